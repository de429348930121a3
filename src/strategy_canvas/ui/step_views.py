"""Read-only views of a canvas: a step's items per type, and the Overview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas.services import items
from strategy_canvas.services.validation import field_label
from strategy_canvas.ui import links, progress, steps
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from sqlmodel import Session

    from strategy_canvas.ui.setup import PageContext

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


@dataclass
class TypeView:
    spec: items.ItemType
    frame: pd.DataFrame


def _readable(session: Session, token: str, spec: items.ItemType) -> pd.DataFrame:
    """The items of one type as a table for reading: labels as headers, links as titles."""
    frame = items.items_frame(session=session, canvas_token=token, kind=spec.key)
    for column, target in spec.links.items():
        titles = items.choices(session=session, canvas_token=token, kind=target)
        frame[column] = frame[column].map(titles)
    frame = frame.drop(columns=[c for c in frame.columns if c in _HIDDEN])
    return frame.rename(columns={c: field_label(spec.create, c) for c in frame.columns})


def load_step(ctx: PageContext, step: int) -> list[TypeView]:
    assert ctx.canvas is not None
    specs = [spec for spec in items.ITEM_TYPES.values() if spec.step == step]
    with ctx.read() as session:
        return [TypeView(spec, _readable(session, ctx.canvas.token, spec)) for spec in specs]


def _show_single(view: TypeView) -> None:
    """A one-row type (the vision): its filled-in fields as a short list."""
    row = view.frame.iloc[0] if len(view.frame) else None
    filled = {k: v for k, v in (row.items() if row is not None else []) if _present(v)}
    if not filled:
        st.caption(f"No {lower_first(view.spec.label)} written yet.")
        return
    st.markdown("\n".join(f"- **{label}:** {md(str(value))}" for label, value in filled.items()))


def _present(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and str(value).strip() != ""
    )


def show_step_items(ctx: PageContext) -> None:
    """Each item type of the page's step, read-only, with an empty state per type."""
    for view in load_step(ctx, ctx.step or 0):
        with st.container(border=True):
            count = "" if view.spec.key == "vision" else f" · {len(view.frame)}"
            st.subheader(f"{view.spec.plural}{count}")
            if view.spec.key == "vision":
                _show_single(view)
            elif view.frame.empty:
                st.caption(f"No {lower_first(view.spec.plural)} yet.")
            else:
                st.dataframe(view.frame, hide_index=True, width="stretch")


def _counts(ctx: PageContext) -> dict[int, list[tuple[items.ItemType, int]]]:
    assert ctx.canvas is not None
    counts: dict[int, list[tuple[items.ItemType, int]]] = {n: [] for n in steps.STEPS}
    with ctx.read() as session:
        for spec in items.ITEM_TYPES.values():
            if spec.key == "vision":
                continue
            rows = items.list_items(session=session, canvas_token=ctx.canvas.token, kind=spec.key)
            counts[spec.step].append((spec, len(rows)))
    return counts


def show_overview(ctx: PageContext) -> None:
    """The canvas's name, product and description, and per step its counts and progress."""
    canvas = ctx.canvas
    assert canvas is not None
    st.caption("Overview")
    st.title(md(canvas.name))
    if canvas.product:
        st.markdown(f"**Product:** {md(canvas.product)}")
    if canvas.description:
        st.markdown(md(canvas.description))
    with ctx.read() as session:
        by_step = progress.step_progress(session=session, canvas_token=canvas.token) or {}
    counts = _counts(ctx)
    columns = st.columns(len(steps.STEPS))
    for column, (number, info) in zip(columns, steps.STEPS.items(), strict=True):
        with column:
            _step_card(ctx, info, counts[number], by_step.get(number))


def _step_card(
    ctx: PageContext, info: steps.StepInfo, counts: list[tuple[items.ItemType, int]], row: Any
) -> None:
    """One step on the Overview: its item count, what it holds, how complete it is."""
    with st.container(border=True, height="stretch"):
        st.caption(f"Step {info.number}")
        st.markdown(f"**{info.title}**")
        st.metric("Items", sum(n for _, n in counts), label_visibility="collapsed")
        st.caption("  \n".join(f"{spec.plural}: {n}" for spec, n in counts if n) or "Nothing yet.")
        if row is not None:
            st.progress(row.score, text=f"{progress.percent(row.score)} complete")
            if row.missing:
                st.caption(f"Next: {md(row.missing[0])}")
        links.page_link(
            info.page, label="Open", icon=":material/arrow_forward:", query_params=ctx.link_params
        )
