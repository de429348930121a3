"""What every step page shows around its board: the header, and the no-canvas state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.ui import links, steps, text

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


def header_html(number: int, of: int, title: str, purpose: str) -> str:
    """The step's number, name (the page's one ``<h1>``) and purpose as one HTML body,
    laid out as Streamlit's caption, title and markdown were (the ``sc-step-`` classes
    of :mod:`strategy_canvas.ui.layout`'s style sheet). Text escaped."""
    return (
        '<div class="sc-step-head">'
        f'<div class="sc-step-of">Step {number} of {of}</div>'
        f'<h1 class="sc-step-title">{text.h(title)}</h1>'
        f'<p class="sc-step-purpose">{text.h(purpose)}</p>'
        "</div>"
    )


def step_header(ctx: PageContext) -> None:
    """The step's number, name and one-line purpose: one st.html, not a caption, a title
    and a markdown element, for every step page draws them on every open
    (docs/ARCHITECTURE.md, "Budgets")."""
    info = steps.step_info(ctx.step or 0)
    st.html(header_html(info.number, len(steps.STEPS), info.title, info.purpose))
