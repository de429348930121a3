"""The sidebar every page draws: the app, the open canvas, its steps and the way home;
the name the history knows this person by (asked once), and the undo of their last
change.

Streamlit's own page list is switched off (client.showSidebarNavigation = false): its
links drop the query string, and so the open canvas. Ours pass ``?canvas=`` on with
``st.page_link(..., query_params=...)`` and show each step's completeness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from strategy_canvas.ui import access, identity, links, progress, steps, text, undo
from strategy_canvas.ui.context import APP_ICON, APP_NAME

if TYPE_CHECKING:
    from strategy_canvas import models as m
    from strategy_canvas.ui.context import PageContext


def _step_label(info: steps.StepInfo, score: float | None) -> str:
    label = f"{info.number}. {info.title}" if info.number else info.title
    return f"{label} · {progress.percent(score)}" if score is not None else label


def _completeness(ctx: PageContext) -> tuple[dict[int, Any] | None, float | None]:
    if ctx.canvas is None:
        return None, None
    steps = progress.steps_for(ctx)
    return {row.step: row for row in steps}, sum(s.score for s in steps) / len(steps)


def header(canvas: m.Canvas | None, overall: float | None) -> str:
    """The app's name, the open canvas's name, product and state, and how complete it
    is, as one st.html: the sidebar is drawn on every page open, and each Streamlit
    element costs Chromium about a millisecond to draw (docs/ARCHITECTURE.md,
    "Budgets"). User text is escaped."""
    lines = [f'<div class="sc-side-app">{APP_ICON} {text.h(APP_NAME)}</div>']
    if canvas is None:
        lines.append(text.line("No canvas is open.", "gray"))
    else:
        lines.append(f'<div class="sc-side-canvas">{text.h(canvas.name)}</div>')
        if canvas.product:
            lines.append(text.line(text.h(canvas.product), "gray"))
        if canvas.archived_at is not None:
            lines.append(text.line(f"{text.icon('inventory_2')} Archived", "gray"))
    if overall is not None:
        complete = f"Complete: {progress.percent(overall)}"
        lines.append(f'<div class="sc-side-progress">{text.line(complete, small=True)}')
        lines.append(text.bar(overall) + "</div>")
    return '<div class="sc-side">' + "".join(lines) + "</div>"


def draw(ctx: PageContext) -> None:
    """The sidebar. Its links carry no tooltips: a tooltip stayed over the next link
    while the pointer moved down the list, hiding it; each page says what it is for."""
    bar = st.sidebar
    canvas = ctx.canvas
    by_step, overall = _completeness(ctx)
    bar.html(header(canvas, overall))
    if canvas is not None:
        identity.name_prompt(ctx)
        undo.sidebar(ctx)

    params = ctx.link_params
    disabled = canvas is None
    for info in [steps.OVERVIEW, *steps.STEPS.values()]:
        row = by_step.get(info.number) if by_step else None
        score = row.score if row is not None else None
        links.page_link(
            info.page,
            where=bar,
            label=_step_label(info, score),
            icon=info.icon,
            query_params=params,
            disabled=disabled,
            width="stretch",
        )
    links.page_link(
        steps.WORKSHOP_PAGE,
        where=bar,
        label="Workshop",
        icon=":material/co_present:",
        query_params=params,
        width="stretch",
    )
    links.page_link(
        steps.EXPORT_PAGE,
        where=bar,
        label="Export & import",
        icon=":material/picture_as_pdf:",
        query_params=params,
        disabled=disabled,
        width="stretch",
    )
    links.page_link(
        steps.HISTORY_PAGE,
        where=bar,
        label="History",
        icon=":material/history:",
        query_params=params,
        disabled=disabled,
        width="stretch",
    )
    bar.divider()
    links.page_link(
        steps.HOME_PAGE, label="All canvases", icon=":material/home:", where=bar, width="stretch"
    )
    if access.is_logged_in():
        bar.button("Log out", icon=":material/logout:", on_click=st.logout, key="logout")
