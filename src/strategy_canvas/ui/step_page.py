"""The frame every step page shares: header, guidance, completeness, board and editor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.rules import percent as shares
from strategy_canvas.services import items, progress
from strategy_canvas.ui import (
    board,
    editor,
    guidance,
    keyboard,
    layout,
    messages,
    quick_entry,
    step_views,
    text,
)
from strategy_canvas.ui import progress as cached_progress
from strategy_canvas.ui.context import Frames

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

#: kind -> a function drawing that kind's editor (default: picker + generic editor)
Editors = dict[str, Callable[["PageContext"], None]]


def header(ctx: PageContext) -> None:
    """Title, purpose, guidance and the completeness signal of the page's step."""
    assert ctx.step is not None and ctx.token is not None
    step_views.step_header(ctx)
    messages.show_flashes()  # e.g. "Created …" from the home page, which opened this step
    steps = cached_progress.steps_for(ctx)
    guidance.show(ctx.step, new_to_it=steps[ctx.step - 1].score < 0.5)
    completeness(steps[ctx.step - 1])


def completeness(step: progress.StepProgress) -> None:
    """How complete the step is, and what is missing, named."""
    percent = shares.percent(step.score)
    if step.complete:
        st.success(
            f"This step is complete ({percent}%): every check passes.", icon=":material/task_alt:"
        )
        return
    # One st.html, not a bordered container holding a progress bar and a markdown list:
    # every step page draws it on every open (docs/ARCHITECTURE.md, "Budgets").
    needs = "".join(f"<li>{text.h(line)}</li>" for line in step.missing)
    st.html(
        text.card(
            [
                text.line(
                    f'<span class="sc-strong">{percent}% complete</span> — what a good '
                    "canvas still needs here:",
                    small=True,
                ),
                text.bar(step.score),
                f'<ul class="sc-list sc-missing">{needs}</ul>',
            ]
        )
    )


def workspace(
    ctx: PageContext,
    kinds: Sequence[str],
    render: board.Renderer,
    *,
    editors: Editors | None = None,
    board_title: str = "The board",
) -> None:
    """The live board and the editor of the step: side by side on a wide screen, one
    under the other on a narrow one or when the person widens the board
    (:mod:`strategy_canvas.ui.layout`)."""
    if layout.is_wide():
        _board_heading(board_title)
        with st.container(key=layout.BOARD_KEY):
            board.live_board(ctx, render)
        st.divider()
        with st.container(key=layout.EDITOR_KEY):
            edit_panel(ctx, kinds, editors or {})
        return
    left, right = st.columns([3, 2], gap="medium")
    with left:  # the heading goes with its board when the two columns stack
        _board_heading(board_title)
        with st.container(key=layout.BOARD_KEY):
            board.live_board(ctx, render)
    with right, st.container(key=layout.EDITOR_KEY):
        edit_panel(ctx, kinds, editors or {})


def _board_heading(title: str) -> None:
    """The board's title, and the toggle that gives it the whole width."""
    heading, toggle = st.columns([3, 1], vertical_alignment="bottom")
    heading.subheader(title)
    with toggle:
        layout.wide_board()


def _kind_key(step: int | None) -> str:
    return f"step{step}.edit_kind"


def edit_kind(step: int) -> str | None:
    """The kind step ``step``'s editor is open on (None before its page first drew it)."""
    kind = st.session_state.get(_kind_key(step))
    return str(kind) if kind is not None else None


def choose_kind(step: int, kind: str) -> None:
    """Open step ``step``'s editor on ``kind`` when its page is next drawn (callbacks
    only: before its selector is drawn)."""
    st.session_state[_kind_key(step)] = kind


def edit_panel(ctx: PageContext, kinds: Sequence[str], editors: Editors) -> None:
    st.subheader("Edit")
    editable = [k for k in kinds if k in editors or items.ITEM_TYPES[k].key != "vision"]
    key = _kind_key(ctx.step)
    if st.session_state.get(key) not in editable:
        st.session_state[key] = editable[0]
    if len(editable) > 1:
        st.selectbox(
            "What to edit",
            editable,
            key=key,
            format_func=lambda k: items.ITEM_TYPES[k].plural,
        )
    kind = st.session_state.get(key) or editable[0]
    mode = entry_mode(ctx, kind)
    with st.container(border=True, key=keyboard.PANEL_KEY):
        if mode == "many":
            quick_entry.add_many(ctx, kind)
        elif mode == "features":
            quick_entry.from_features(ctx)
        elif kind in editors:
            editors[kind](ctx)
        else:
            editor.edit_section(ctx, kind)
    keyboard.enter_saves()


def _mode_key(step: int | None, kind: str) -> str:
    return f"step{step}.mode.{kind}"


def _modes_key(step: int | None) -> str:
    """The ways chosen on a step, by kind, and the last one (under ``None``): kept
    apart from the widget's own key, which Streamlit drops once the widget is not drawn
    (the editor shows one kind at a time)."""
    return f"step{step}.modes"


def entry_mode(ctx: PageContext, kind: str) -> str:
    """How items of ``kind`` are entered (:data:`quick_entry.MODES`): one at a time,
    many at once, or from features; remembered per step and kind for the session. A
    kind not entered yet starts in the way last chosen on the step (someone pasting
    problems goes on pasting when they turn to personas), if the kind offers it."""
    ways = quick_entry.modes(kind)
    if len(ways) == 1:
        return ways[0]
    key = _mode_key(ctx.step, kind)
    chosen: dict[str | None, str] = st.session_state.setdefault(_modes_key(ctx.step), {})
    if st.session_state.get(key) not in ways:
        start = next((m for m in (chosen.get(kind), chosen.get(None)) if m in ways), ways[0])
        st.session_state[key] = start
    mode = str(
        st.segmented_control(
            "How to enter them",
            ways,
            key=key,
            required=True,
            format_func=quick_entry.MODES.__getitem__,
            label_visibility="collapsed",
            width="stretch",
        )
    )
    chosen[kind] = chosen[None] = mode
    return mode


def section(
    frames: Frames,
    kind: str,
    *,
    columns: Sequence[str] | None = None,
    empty: str | None = None,
    widths: Mapping[str, board.ColumnWidth] | None = None,
) -> None:
    """A heading with the count, then the items of ``kind`` as a table (``widths``: see
    :func:`board.table`)."""
    spec = items.ITEM_TYPES[kind]
    st.markdown(f"**{spec.plural}** · {len(frames[kind])}")
    board.table(frames, kind, columns=columns, empty=empty, widths=widths)
