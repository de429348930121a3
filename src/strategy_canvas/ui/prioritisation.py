"""Step 3 — Prioritisation: switch framework, score the features in place, and see the
ranking, the charts and how robust the ranking is, all at once.

It is the Designs page's *Prioritise* tab (only the open tab runs):

- the scoring grid (:mod:`.prioritisation_grid`), outside any fragment, so a refresh
  never throws away a cell being edited;
- below it, the framework (RICE, ICE, Value/Effort, MoSCoW, Weighted; kept for the
  session) and one of three views (lazy tabs, :mod:`.prioritisation_views`), each view
  in a live fragment. The framework and the views are a fragment of their own: switching
  either reruns them alone, not the page, its sidebar and the grid, which do not depend
  on them (the page's frame and the grid were most of what the browser redrew on a
  switch; docs/ARCHITECTURE.md, "Budgets").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import scoring
from strategy_canvas.ui import board, push
from strategy_canvas.ui import prioritisation_grid as grid
from strategy_canvas.ui import prioritisation_views as views
from strategy_canvas.ui.context import Frames

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

#: the kinds the tab reads: the step's own, so the board's cached load is shared
KINDS = ["feature", "sketch", "criterion", "criterion_score"]

#: session-state keys owned by this module
FRAMEWORK_KEY = "prio.framework"
K_KEY = "prio.k"
VIEW_KEY = "prio.view"
_GOOD_K = "prio.k.good"

#: the views below the grid; only the open one runs
VIEWS = [
    ":material/format_list_numbered: Ranking",
    ":material/scatter_plot: Value vs effort",
    ":material/verified: Robustness",
]

FRAMEWORK_HELP = {
    "rice": "**RICE** = reach × impact × confidence ÷ effort: how many people it helps "
    "in a quarter, how much, how sure the team is, per person-month of work.",
    "ice": "**ICE** = impact × confidence × ease, a quick gut check (impact is mapped "
    "from its 0.25–3 scale onto 1–10).",
    "value_effort": "**Value/Effort** = value (1–10) per person-month: quick wins first.",
    "moscow": "**MoSCoW**: must, should, could, won't — the team's call on what this "
    "release needs.",
    "weighted": "**Weighted**: your team's own criteria, Σ weight × score (0–10), weights "
    "made to add up to 100 %.",
}


def framework_control() -> str:
    """The framework to rank by, remembered for the session."""
    framework = st.segmented_control(
        "Rank by",
        list(scoring.FRAMEWORKS),
        format_func=lambda k: scoring.FRAMEWORKS[k].label.replace(" score", ""),
        key=FRAMEWORK_KEY,
        default="rice",
        required=True,
        persist_state="session",
    )
    return str(framework or "rice")


#: the range of the robustness check's cut
K_RANGE = (1, 50)


def k_control() -> int:
    """How many features make the cut, for the robustness check. A value out of range
    (or a fraction) is refused with the rule; the check keeps the last good cut."""
    left, _ = st.columns([1, 4])
    with left:
        k = st.number_input(
            "Top k",
            value=float(views.DEFAULT_K),
            step=1.0,
            format="%g",
            key=K_KEY,
            help="How many features make the cut: the check says how often each one "
            f"lands in the top k when the estimates are off. A whole number from "
            f"{K_RANGE[0]} to {K_RANGE[1]}.",
            persist_state="session",
        )
    good = k is not None and float(k).is_integer() and K_RANGE[0] <= k <= K_RANGE[1]
    if not good:
        kept = int(st.session_state.get(_GOOD_K, views.DEFAULT_K))
        st.error(
            f"**Top k** must be a whole number from {K_RANGE[0]} to {K_RANGE[1]}; the "
            f"check below still uses the top {kept}.",
            icon=":material/error:",
        )
        return kept
    st.session_state[_GOOD_K] = int(k)
    return int(k)


def section(ctx: PageContext) -> None:
    """The Prioritise tab of the Designs page: the scoring grid, then the framework and
    the ranking, the value-vs-effort matrix or the robustness check (only the open view
    runs, each in a live fragment), in a fragment of their own (:func:`rankings`)."""
    assert ctx.token is not None
    grid.problems(ctx, grid.grid_state(ctx.token))
    frames = _frames(ctx)
    grid.scoring_grid(ctx, frames)
    loaded = [frames]

    def part() -> None:  # drawn with the page from its tables; on its own, read again
        rankings(ctx, loaded.pop() if loaded else board.current_frames(ctx)[1])

    st.fragment(part)()


def rankings(ctx: PageContext, frames: Frames) -> None:
    """The framework to rank by, what it means, and the open view of the ranking."""
    framework = framework_control()
    st.caption(FRAMEWORK_HELP[framework])
    ranking_tab, matrix_tab, robustness_tab = st.tabs(VIEWS, key=VIEW_KEY, on_change="rerun")
    if ranking_tab.open:
        with ranking_tab:
            _live(ctx, frames, lambda live: views.ranking_panel(live, framework), "ranking")
    if matrix_tab.open:
        with matrix_tab:
            _live(ctx, frames, views.matrix_panel, "matrix")
    if robustness_tab.open:
        with robustness_tab:
            k = k_control() if framework in scoring.MONTE_CARLO_INPUTS else views.DEFAULT_K
            _live(
                ctx, frames, lambda live: views.robustness_panel(live, framework, k), "robustness"
            )


def _frames(ctx: PageContext) -> Frames:
    """The canvas's snapshot as of this run's change counter (read once per run)."""
    return ctx.snapshot()


def _live(ctx: PageContext, frames: Frames, render: Callable[[Frames], None], name: str) -> None:
    """``render(frames)`` in a fragment that follows the canvas by itself.

    The first draw, inside the page's run, uses the tables the page has loaded already;
    each refresh of the fragment on its own reads the change counter again."""
    loaded = [frames]

    def view() -> push.Drawn:
        shown = loaded.pop() if loaded else board.current_frames(ctx)[1]
        render(shown)
        return board.drawn(ctx, shown.revision)

    push.follow(view, every_seconds=ctx.settings.live_sync_seconds, key=f"sc.live.{name}")


# ------------------------------------------------------------------- the ranking


def apply_grid_edits(ctx: PageContext) -> None:
    """Save what was edited in the scoring grid since the last run; the page calls it
    first, so everything it draws shows the saved scores
    (:func:`.prioritisation_grid.apply_grid_edits`)."""
    grid.apply_grid_edits(ctx)
