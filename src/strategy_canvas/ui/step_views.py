"""What every step page shows around its board: the header, and the no-canvas state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.ui import links, steps

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

#: columns a reader does not need (bookkeeping, or binary data)
_HIDDEN = {"id", "version", "image", "media_type"}


def lower_first(text: str) -> str:
    """ "Personas & segments" -> "personas & segments", but "KPI readings" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def no_canvas_open(ctx: PageContext) -> None:
    """The empty state of a canvas page opened without a canvas."""
    if ctx.problem:  # page_setup has said what went wrong and linked home
        return
    st.title(ctx.title)
    if ctx.can_list:
        st.info(
            "No canvas is open. Pick one on the home page, or create the first one there.",
            icon=":material/info:",
        )
        links.page_link(steps.HOME_PAGE, label="Go to your canvases", icon=":material/home:")
    else:
        st.info(
            "No canvas is open. Open the link to your canvas that you were given.",
            icon=":material/link:",
        )


def step_header(ctx: PageContext) -> None:
    """The step's number, name and one-line purpose."""
    info = steps.step_info(ctx.step or 0)
    st.caption(f"Step {info.number} of {len(steps.STEPS)}")
    st.title(info.title)
    st.markdown(info.purpose)
