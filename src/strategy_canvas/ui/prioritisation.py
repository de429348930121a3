"""Step 3 — Prioritisation: switch framework, score the features in place, and see the
ranking, the charts and how robust the ranking is, all at once.

It is the Designs page's *Prioritise* tab (only the open tab runs):

- the framework (RICE, ICE, Value/Effort, MoSCoW, Weighted): a widget outside any
  fragment, kept for the session;
- the scoring grid (``st.data_editor``), also outside the live fragment, so a refresh
  never throws away a cell being edited. What the grid showed — row order, values and
  the versions its rows started from — is kept in session state (:class:`GridState`).
  An edit is saved at the top of the next run (:func:`apply_grid_edits`, before anything
  is drawn, so the whole page shows it), row by row through ``items.update_item(
  changes=only the edited fields, expected_version=the version the grid showed)``. A row
  someone else saved meanwhile is not written: the user sees its stored values next to
  theirs and chooses to reload it or keep theirs. A row the services refuse is not
  written and shows their message naming the field. Every other row is saved. After a
  save the grid gets a fresh key, so it reloads from the database; rows not saved keep
  the user's values on top, marked "not saved", until saved, reloaded or discarded;
- below it, one of three views (lazy tabs): the ranking side by side with the ranked
  score bars, the value-vs-effort matrix, or the robustness check (top k, a seeded
  Monte Carlo of 2,000 draws, its chart and a sentence per feature). Each view is a
  live fragment; its tables, charts and the Monte Carlo run are cached by the canvas's
  change counter (:mod:`strategy_canvas.ui.chart_view`), so an unchanged canvas never
  recomputes them.

:func:`save_scores` and :func:`edits_from_grid` are plain functions (no Streamlit), so
the save path is tested without a browser.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from strategy_canvas import charts, db, scoring
from strategy_canvas.services import items
from strategy_canvas.services.errors import ConflictError, NotFound, ValidationFailed
from strategy_canvas.ui import board, chart_view, messages
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from strategy_canvas.ui.setup import PageContext

#: what a feature's row in the grid holds, in the grid's column order
SCORE_FIELDS: tuple[str, ...] = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "ease",
    "value",
    "moscow",
    "kano",
    "reach_low",
    "reach_high",
    "effort_low",
    "effort_high",
)
_WHOLE = {"reach", "confidence", "ease", "value", "reach_low", "reach_high"}
_CHOICES = {"moscow": scoring.MOSCOW_ORDER, "kano": scoring.KANO_ORDER}
#: the kinds the tab reads: the step's own, so the board's cached load is shared
KINDS = ["feature", "sketch", "criterion", "criterion_score"]

#: session-state keys owned by this module
FRAMEWORK_KEY = "prio.framework"
K_KEY = "prio.k"
VIEW_KEY = "prio.view"
_GRID = "prio.grid.{token}"
_EDITOR = "prio.editor.{token}.{gen}"

#: the views below the grid; only the open one runs
VIEWS = [
    ":material/format_list_numbered: Ranking",
    ":material/scatter_plot: Value vs effort",
    ":material/verified: Robustness",
]
DEFAULT_K = 5
DRAWS = 2000
SEED = 20260901  # fixed, so everyone sees the same robustness for the same canvas
#: a grid taller than this many rows scrolls inside a fixed height
_TALL = 15
#: how many features the robustness check describes in words before the full table
SENTENCES_SHOWN = 15

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
FIELD_LABELS = {
    "reach": "Reach",
    "impact": "Impact",
    "confidence": "Confidence %",
    "effort": "Effort",
    "ease": "Ease",
    "value": "Value",
    "moscow": "MoSCoW",
    "kano": "Kano",
    "reach_low": "Reach low",
    "reach_high": "Reach high",
    "effort_low": "Effort low",
    "effort_high": "Effort high",
}
IMPACT_LABELS = {
    0.25: "0.25 minimal",
    0.5: "0.5 low",
    1.0: "1 medium",
    2.0: "2 high",
    3.0: "3 massive",
}


# ------------------------------------------------------------------ saving (pure)


@dataclass(frozen=True)
class RowConflict:
    """A row someone else saved after the grid loaded it: nothing was written.

    ``theirs`` holds the stored scores now (None when the feature was deleted)."""

    feature_id: int
    title: str
    mine: dict[str, Any]
    theirs: dict[str, Any] | None
    version: int | None


@dataclass(frozen=True)
class RowInvalid:
    """A row with a value the services refuse: nothing was written for it."""

    feature_id: int
    title: str
    mine: dict[str, Any]
    error: ValidationFailed


@dataclass
class SaveResult:
    saved: dict[int, int] = field(default_factory=dict)  # feature id -> its new version
    conflicts: dict[int, RowConflict] = field(default_factory=dict)
    invalid: dict[int, RowInvalid] = field(default_factory=dict)


def scores_of(row: Any) -> dict[str, Any]:
    """The scoring fields of a stored feature."""
    return {name: getattr(row, name, None) for name in SCORE_FIELDS}


def save_scores(
    *,
    engine: Engine,
    canvas_token: str,
    edits: Mapping[int, Mapping[str, Any]],
    versions: Mapping[int, int],
    titles: Mapping[int, str] | None = None,
) -> SaveResult:
    """Write each edited row on its own: ``edits`` maps a feature id to only the fields
    the user changed, ``versions`` to the version the grid showed.

    A row saved by someone else since is not written (a :class:`RowConflict` with the
    stored values); a row the services refuse is not written (a :class:`RowInvalid`
    naming the field and rule); neither stops the other rows.
    """
    result = SaveResult()
    names = titles or {}
    for feature_id, changes in edits.items():
        if not changes:
            continue
        title = names.get(feature_id, f"Feature #{feature_id}")
        try:
            with db.session_scope(engine) as session:
                row = items.update_item(
                    session=session,
                    canvas_token=canvas_token,
                    kind="feature",
                    item_id=feature_id,
                    changes=dict(changes),
                    expected_version=versions[feature_id],
                )
                result.saved[feature_id] = int(row.version)
        except ConflictError as conflict:
            stored = conflict.current
            result.conflicts[feature_id] = RowConflict(
                feature_id,
                title,
                dict(changes),
                scores_of(stored) if stored is not None else None,
                int(stored.version) if stored is not None else None,
            )
        except NotFound:
            result.conflicts[feature_id] = RowConflict(feature_id, title, dict(changes), None, None)
        except ValidationFailed as error:
            result.invalid[feature_id] = RowInvalid(feature_id, title, dict(changes), error)
    return result


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def clean_value(name: str, value: Any) -> Any:
    """A cell's value as the services take it: None for an empty cell, whole numbers
    for the whole-number fields, the stored key for a choice ("won't" → "wont")."""
    if _missing(value):
        return None
    if name in _CHOICES:
        text = str(value).strip().lower().replace("'", "")
        return text
    if isinstance(value, str):
        try:
            value = float(value.replace(",", ""))
        except ValueError:
            return value  # the services name the field and the rule
    if name in _WHOLE and isinstance(value, float) and value.is_integer():
        return int(value)
    if name not in _WHOLE and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def same_value(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def edits_from_grid(
    edited_rows: Mapping[Any, Mapping[str, Any]],
    order: list[int],
    shown: Mapping[int, Mapping[str, Any]],
) -> dict[int, dict[str, Any]]:
    """The data editor's ``edited_rows`` (row position -> column -> value) as feature id
    -> only the fields whose value differs from what the grid showed."""
    result: dict[int, dict[str, Any]] = {}
    for position, cells in edited_rows.items():
        at = int(position)
        if not 0 <= at < len(order):
            continue
        feature_id = order[at]
        before = shown.get(feature_id, {})
        changes = {
            name: clean_value(name, value)
            for name, value in cells.items()
            if name in SCORE_FIELDS and not same_value(clean_value(name, value), before.get(name))
        }
        if changes:
            result[feature_id] = changes
    return result


# ----------------------------------------------------------------- grid state


@dataclass
class GridState:
    """What the grid showed and what is not saved yet, per canvas and session."""

    gen: int = 0
    order: list[int] = field(default_factory=list)  # row position -> feature id
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> values shown
    versions: dict[int, int] = field(default_factory=dict)  # id -> version shown
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)  # not saved yet
    expected: dict[int, int] = field(default_factory=dict)  # pending row -> its version
    conflicts: dict[int, RowConflict] = field(default_factory=dict)
    invalid: dict[int, RowInvalid] = field(default_factory=dict)
    notices: list[tuple[str, str]] = field(default_factory=list)

    def version_of(self, feature_id: int) -> int:
        return self.expected.get(feature_id, self.versions.get(feature_id, 0))

    def forget(self, feature_id: int) -> None:
        for table in (self.pending, self.expected, self.conflicts, self.invalid):
            table.pop(feature_id, None)

    def record(
        self,
        result: SaveResult,
        attempted: Mapping[int, Mapping[str, Any]],
        versions: Mapping[int, int],
    ) -> None:
        """Take a save's outcome in: saved rows are done; the others keep the user's
        values and the version they started from, until saved, reloaded or discarded."""
        for feature_id in result.saved:
            self.forget(feature_id)
        not_saved: dict[int, RowConflict | RowInvalid] = {**result.conflicts, **result.invalid}
        for feature_id, problem in not_saved.items():
            self.forget(feature_id)
            if isinstance(problem, RowConflict) and problem.theirs is None:
                self.notices.append(
                    (
                        "warning",
                        f"“{md(problem.title)}” was deleted by someone else; your scores "
                        "for it were not saved.",
                    )
                )
                continue
            self.pending[feature_id] = dict(attempted[feature_id])
            self.expected[feature_id] = versions[feature_id]
            if isinstance(problem, RowConflict):
                self.conflicts[feature_id] = problem
            else:
                self.invalid[feature_id] = problem
        if result.saved:
            count = len(result.saved)
            self.notices.append(
                ("success", f"Saved the scores of {count} feature{'s' if count != 1 else ''}.")
            )
        self.gen += 1  # a fresh grid: it reloads from the database


def _grid(token: str) -> GridState:
    key = _GRID.format(token=token)
    state = st.session_state.get(key)
    if not isinstance(state, GridState):
        state = st.session_state[key] = GridState()
    return state


def _editor_key(token: str, gen: int) -> str:
    return _EDITOR.format(token=token, gen=gen)


def _save(ctx: PageContext, grid: GridState, edits: dict[int, dict[str, Any]]) -> None:
    assert ctx.token is not None
    versions = {fid: grid.version_of(fid) for fid in edits}
    titles = {fid: str(grid.shown.get(fid, {}).get("title") or f"Feature #{fid}") for fid in edits}
    result = save_scores(
        engine=ctx.engine, canvas_token=ctx.token, edits=edits, versions=versions, titles=titles
    )
    grid.record(result, edits, versions)
    ctx.changed()  # what is drawn next reads the canvas as it is now


def apply_grid_edits(ctx: PageContext) -> None:
    """Save what was edited in the grid since the last run (call before drawing).

    The grid's edit state is read under the key it was drawn with; afterwards the grid
    gets a new key, so its next draw starts clean from the database.
    """
    assert ctx.token is not None
    grid = _grid(ctx.token)
    state = st.session_state.get(_editor_key(ctx.token, grid.gen))
    edited = state.get("edited_rows") if isinstance(state, Mapping) else None
    if not edited:
        return
    changed = edits_from_grid(edited, grid.order, grid.shown)
    edits = {fid: {**grid.pending.get(fid, {}), **cells} for fid, cells in changed.items()}
    if edits:
        _save(ctx, grid, edits)
    else:
        grid.gen += 1


# ------------------------------------------------------------- conflict choices


def _reload_rows(token: str, feature_ids: list[int]) -> None:
    grid = _grid(token)
    for feature_id in feature_ids:
        grid.forget(feature_id)
    grid.gen += 1


def _keep_mine(ctx: PageContext, feature_id: int) -> None:
    """Save the user's values over the stored ones: a deliberate choice, made knowing
    theirs; it is checked against the version they were shown, so a newer change
    conflicts again."""
    assert ctx.token is not None
    grid = _grid(ctx.token)
    conflict = grid.conflicts.get(feature_id)
    if conflict is None or conflict.version is None:
        return
    grid.expected[feature_id] = conflict.version
    _save(ctx, grid, {feature_id: dict(grid.pending.get(feature_id, conflict.mine))})


# --------------------------------------------------------------------- drawing


def _shown_text(name: str, value: Any) -> str:
    if _missing(value):
        return "—"
    if name == "moscow":
        return scoring.MOSCOW_LABELS.get(str(value), str(value))
    if name == "kano":
        return str(value).capitalize()
    if name == "impact":
        return IMPACT_LABELS.get(float(value), f"{value:g}")
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def conflict_lines(conflict: RowConflict) -> list[str]:
    """Per field the user changed: the value stored now, next to the one they entered."""
    theirs = conflict.theirs or {}
    lines = []
    for name, mine in conflict.mine.items():
        label = FIELD_LABELS.get(name, name)
        now = _shown_text(name, theirs.get(name))
        lines.append(
            f"- **{label}** is now **{md(now)}** — you entered {md(_shown_text(name, mine))}"
        )
    others = [
        f"{FIELD_LABELS[n]} {md(_shown_text(n, v))}"
        for n, v in theirs.items()
        if n not in conflict.mine and not _missing(v)
    ]
    if others:
        lines.append(f"- :gray[Its other scores now: {', '.join(others)}]")
    return lines


def problems(ctx: PageContext, grid: GridState) -> None:
    """The outcome of the last save: saved, conflicting rows, refused values."""
    assert ctx.token is not None
    for kind, text in grid.notices:
        if kind == "success":  # a toast: the grid below does not jump after every edit
            st.toast(text, icon=":material/check_circle:")
        else:
            st.warning(text, icon=":material/sync_problem:")
    grid.notices.clear()
    if grid.conflicts:
        with st.container(border=True):
            count = len(grid.conflicts)
            st.markdown(
                f":orange[:material/sync_problem:] **{count} row{'s' if count > 1 else ''} "
                "not saved: someone else changed "
                f"{'them' if count > 1 else 'it'} after your grid loaded.** Nothing of "
                "theirs was overwritten. Reload to take their values, or keep yours."
            )
            for conflict in grid.conflicts.values():
                st.markdown(f"**{md(conflict.title)}**\n" + "\n".join(conflict_lines(conflict)))
                left, right, _ = st.columns([2, 2, 3])
                left.button(
                    "Reload with their values",
                    key=f"prio.reload.{conflict.feature_id}",
                    icon=":material/refresh:",
                    on_click=_reload_rows,
                    args=(ctx.token, [conflict.feature_id]),
                    width="stretch",
                )
                right.button(
                    "Keep mine",
                    key=f"prio.keep.{conflict.feature_id}",
                    icon=":material/save:",
                    help="Save your values over theirs.",
                    on_click=_keep_mine,
                    args=(ctx, conflict.feature_id),
                    width="stretch",
                )
            if count > 1:
                st.button(
                    f"Reload all {count} with their values",
                    key="prio.reload_all",
                    on_click=_reload_rows,
                    args=(ctx.token, list(grid.conflicts)),
                )
    for invalid in grid.invalid.values():
        st.error(
            f"**{md(invalid.title)}** — " + messages.validation_text(invalid.error),
            icon=":material/error:",
        )
        st.button(
            "Discard my changes to this row",
            key=f"prio.discard.{invalid.feature_id}",
            on_click=_reload_rows,
            args=(ctx.token, [invalid.feature_id]),
        )


def grid_frame(features: pd.DataFrame, pending: Mapping[int, Mapping[str, Any]]) -> pd.DataFrame:
    """The grid's input: one row per feature (indexed by id), the user's unsaved values
    on top of the stored ones. Column types are fixed, so the editor's identity does
    not change with the values."""
    ids = pd.Index(pd.to_numeric(features["id"]).astype(int), name="id")
    data: dict[str, Any] = {"title": features["title"].astype(str).to_numpy()}
    for name in SCORE_FIELDS:
        column = (
            features[name] if name in features.columns else pd.Series(None, index=features.index)
        )
        if name in _CHOICES:
            data[name] = column.astype(object).where(column.notna(), None).to_numpy()
        else:
            data[name] = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    frame = pd.DataFrame(data, index=ids)
    for name in _CHOICES:
        frame[name] = frame[name].astype("string")
    if pending:
        frame["unsaved"] = pd.array([""] * len(frame), dtype="string")
        for feature_id, cells in pending.items():
            if feature_id in frame.index:
                for name, value in cells.items():
                    if name in frame.columns:
                        frame.at[feature_id, name] = None if _missing(value) else value
                frame.at[feature_id, "unsaved"] = "⚠ not saved"
    return frame


@functools.cache
def _grid_columns() -> dict[str, Any]:
    """The grid's column configuration: built once (each ``st.column_config`` call
    costs a little, and Streamlit copies the mapping before using it)."""
    cc = st.column_config

    def reach(name: str, help: str) -> Any:
        return cc.NumberColumn(
            FIELD_LABELS[name],
            help=help,
            min_value=0,
            max_value=1_000_000_000,
            step=1,
            format="localized",
        )

    def effort(name: str, help: str) -> Any:
        return cc.NumberColumn(
            FIELD_LABELS[name], help=help, min_value=0.01, max_value=1_000, step=0.01, format="%g"
        )

    return {
        "title": cc.TextColumn("Feature", disabled=True, pinned=True, width="medium"),
        "unsaved": cc.TextColumn("Not saved", disabled=True, width="small"),
        "reach": reach("reach", "People or events it reaches per quarter."),
        "impact": cc.SelectboxColumn(
            FIELD_LABELS["impact"],
            options=list(scoring.IMPACT_SCALE),
            format_func=lambda v: IMPACT_LABELS.get(float(v), str(v)),
            help="How much it moves the goal for each person: 0.25 minimal … 3 massive.",
        ),
        "confidence": cc.NumberColumn(
            FIELD_LABELS["confidence"],
            help="How sure the team is of these estimates, 0–100 %.",
            min_value=0,
            max_value=100,
            step=1,
            format="%d%%",
        ),
        "effort": effort("effort", "Person-months."),
        "ease": cc.NumberColumn(
            FIELD_LABELS["ease"],
            help="1 (hard) to 10 (easy), for ICE.",
            min_value=1,
            max_value=10,
            step=1,
        ),
        "value": cc.NumberColumn(
            FIELD_LABELS["value"],
            help="1 (little) to 10 (huge), for Value/Effort.",
            min_value=1,
            max_value=10,
            step=1,
        ),
        "moscow": cc.SelectboxColumn(
            FIELD_LABELS["moscow"],
            options=list(scoring.MOSCOW_ORDER),
            format_func=lambda v: scoring.MOSCOW_LABELS.get(str(v), str(v)),
        ),
        "kano": cc.SelectboxColumn(
            FIELD_LABELS["kano"],
            options=list(scoring.KANO_ORDER),
            format_func=lambda v: str(v).capitalize(),
            help="Basic, performance, delighter, indifferent or reverse.",
        ),
        "reach_low": reach("reach_low", "The least reach the team believes."),
        "reach_high": reach("reach_high", "The most reach the team believes."),
        "effort_low": effort("effort_low", "The least effort the team believes (person-months)."),
        "effort_high": effort("effort_high", "The most effort the team believes (person-months)."),
    }


def grid_input(
    features: pd.DataFrame, pending: Mapping[int, Mapping[str, Any]]
) -> tuple[pd.DataFrame, list[int], dict[int, dict[str, Any]], dict[int, int]]:
    """The grid's input, its row order (position -> feature id), the values it shows
    per feature and the versions they are at."""
    frame = grid_frame(features, pending)
    order = [int(i) for i in frame.index]
    shown = {int(i): row for i, row in zip(frame.index, frame.to_dict("records"), strict=True)}
    versions = {int(i): int(v) for i, v in zip(features["id"], features["version"], strict=True)}
    return frame, order, shown, versions


def scoring_grid(ctx: PageContext, frames: board.Frames) -> None:
    """The features' scoring inputs, editable in place."""
    assert ctx.token is not None
    grid = _grid(ctx.token)
    features = frames["feature"]
    if features.empty:
        st.caption(
            "No features to score yet — add the first feature, story or epic under "
            "**Features & sketches**; it appears here to be scored."
        )
        grid.order, grid.shown, grid.versions = [], {}, {}
        return
    for gone in set(grid.pending) - set(pd.to_numeric(features["id"]).astype(int)):
        grid.forget(gone)  # deleted by someone else since: nothing left to save
    if grid.pending:
        frame, grid.order, grid.shown, grid.versions = grid_input(features, grid.pending)
    else:  # the usual case: the same input for every session until the canvas changes
        frame, grid.order, grid.shown, grid.versions = chart_view.cached(
            frames, "prio.grid", lambda: grid_input(features, {})
        )
    columns = ["title", *(["unsaved"] if grid.pending else []), *SCORE_FIELDS]
    st.data_editor(
        frame,
        key=_editor_key(ctx.token, grid.gen),
        hide_index=True,
        column_order=columns,
        column_config=_grid_columns(),
        disabled=["title", "unsaved"],
        num_rows="fixed",
        width="stretch",
        height=_height(len(frame)),
        placeholder="—",
    )
    st.caption(
        "Click a cell, type, press Enter: it is saved at once, and the ranking below "
        "follows. Ranges (low/high) are optional: where the team is unsure, they feed the "
        "robustness check."
    )


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


def k_control() -> int:
    """How many features make the cut, for the robustness check."""
    left, _ = st.columns([1, 4])
    with left:
        k = st.number_input(
            "Top k",
            min_value=1,
            max_value=50,
            value=DEFAULT_K,
            step=1,
            key=K_KEY,
            help="How many features make the cut: the check says how often each one "
            "lands in the top k when the estimates are off.",
            persist_state="session",
        )
    return int(k or DEFAULT_K)


def section(ctx: PageContext) -> None:
    """The Prioritise tab of the Designs page: the framework, the scoring grid, then
    the ranking, the value-vs-effort matrix or the robustness check (only the open view
    runs, each in a live fragment)."""
    assert ctx.token is not None
    framework = framework_control()
    st.caption(FRAMEWORK_HELP[framework])
    grid = _grid(ctx.token)
    problems(ctx, grid)
    frames = _frames(ctx)
    scoring_grid(ctx, frames)
    ranking_tab, matrix_tab, robustness_tab = st.tabs(VIEWS, key=VIEW_KEY, on_change="rerun")
    if ranking_tab.open:
        with ranking_tab:
            _live(ctx, frames, lambda live: ranking_panel(live, framework))
    if matrix_tab.open:
        with matrix_tab:
            _live(ctx, frames, matrix_panel)
    if robustness_tab.open:
        with robustness_tab:
            k = k_control() if framework in scoring.MONTE_CARLO_INPUTS else DEFAULT_K
            _live(ctx, frames, lambda live: robustness_panel(live, framework, k))


def _frames(ctx: PageContext) -> board.Frames:
    """The step's tables as of this run's change counter (read once per run)."""
    assert ctx.token is not None
    url, revision = ctx.settings.database_url, ctx.revision
    frames = board.Frames(board.load_frames(url, ctx.token, revision, tuple(KINDS)))
    frames.database_url, frames.canvas_token, frames.revision = url, ctx.token, revision
    return frames


def _live(ctx: PageContext, frames: board.Frames, render: Callable[[board.Frames], None]) -> None:
    """``render(frames)`` in a fragment that follows the canvas by itself.

    The first draw, inside the page's run, uses the tables the page has loaded already;
    each refresh of the fragment on its own reads the change counter again."""
    every = timedelta(seconds=ctx.settings.live_sync_seconds)
    loaded = [frames]

    def view() -> None:
        render(loaded.pop() if loaded else board.current_frames(ctx, KINDS)[1])

    st.fragment(view, run_every=every)()


# ------------------------------------------------------------------- the ranking


def ranking_view(
    features: pd.DataFrame,
    criteria: pd.DataFrame | None,
    scores: pd.DataFrame | None,
    framework: str,
) -> pd.DataFrame:
    """The ranking side by side, for reading: best first under ``framework`` (then by
    the median rank), its rank under every framework, the spread and the flag."""
    table = scoring.rank_table(features, criteria_df=criteria, scores_df=scores)
    chosen = f"{framework}_rank"
    table = table.assign(_at=table[chosen].fillna(math.inf), _median=table["median_rank"])
    table = table.sort_values(["_at", "_median"], kind="stable", na_position="last")
    score = table[f"{framework}_score"]
    if framework == "moscow":
        shown: Any = score.map(
            lambda r: "" if pd.isna(r) else scoring.MOSCOW_LABELS[scoring.MOSCOW_ORDER[int(r) - 1]]
        )
    else:
        shown = score.round(2)
    view = pd.DataFrame(
        {
            "Rank": table[chosen].astype("Int64"),
            "Feature": table["title"],
            "Score": shown,
        }
    )
    for key, fw in scoring.FRAMEWORKS.items():
        view[_rank_label(fw.label)] = table[f"{key}_rank"].astype("Int64")
    view["Spread"] = table["rank_spread"].astype("Int64")
    view["Discuss"] = table["discuss"].map({True: "⚑ discuss", False: ""})
    view["Why"] = table["note"]
    return view.reset_index(drop=True)


def _rank_label(label: str) -> str:
    return label.replace(" score", "")


@functools.cache
def _ranking_columns(framework: str) -> dict[str, Any]:
    cc = st.column_config
    fw = scoring.FRAMEWORKS[framework]
    name = _rank_label(fw.label)
    config: dict[str, Any] = {
        "Rank": cc.NumberColumn("#", help=f"Its place under {fw.label}.", width=40, pinned=True),
        "Feature": cc.TextColumn(width="medium", pinned=True),
        "Score": cc.Column(name if framework == "moscow" else f"{name} score", help=fw.unit),
        "Spread": cc.NumberColumn(
            help="How far apart its best and worst rank are across the frameworks.", width=70
        ),
        "Discuss": cc.TextColumn(
            help="Flagged for discussion: its rank differs most between frameworks "
            "(the reason is listed under the table).",
            width=100,
        ),
    }
    for other in scoring.FRAMEWORKS.values():
        label = _rank_label(other.label)
        config[label] = cc.NumberColumn(
            f"{label} #", help=f"Its rank under {other.label}.", width=90
        )
    return config


#: the ranking table's columns as drawn (the reasons are listed under it)
_RANKING_ORDER = [
    "Rank",
    "Feature",
    "Score",
    *(_rank_label(fw.label) for fw in scoring.FRAMEWORKS.values()),
    "Spread",
    "Discuss",
]


@dataclass(frozen=True)
class Shown:
    """A table ready to draw (Arrow: Streamlit sends it without converting it again)
    and what the page says about it, cached by the canvas's state."""

    table: pa.Table
    rows: int
    flagged: list[tuple[str, str]] = field(default_factory=list)
    unranked: str = ""


def ranking_shown(
    features: pd.DataFrame, criteria: pd.DataFrame, scores: pd.DataFrame, framework: str
) -> Shown:
    view = ranking_view(features, criteria, scores, framework)
    flagged = view[view["Discuss"] != ""]
    unranked = int(view["Rank"].isna().sum())
    note = ""
    if unranked and not (framework == "weighted" and _no_criteria(criteria)):
        note = _unranked_text(features, criteria, scores, framework, unranked)
    return Shown(
        pa.Table.from_pandas(view, preserve_index=False),
        len(view),
        [(str(t), str(n)) for t, n in zip(flagged["Feature"], flagged["Why"], strict=True)],
        note,
    )


def _no_criteria(criteria: pd.DataFrame) -> bool:
    return criteria.empty or not (pd.to_numeric(criteria["weight"]) > 0).any()


def _height(rows: int, row: int = 35) -> int:
    """Show a table whole while it is short; let a long one scroll."""
    return row * min(rows, _TALL) + 38


def ranking_panel(frames: board.Frames, framework: str) -> None:
    """The ranking side by side, what to discuss, and the ranked bars (live)."""
    features = frames["feature"]
    if features.empty:
        st.caption(
            "No features yet — once there are features with scores, they are ranked here "
            "side by side under every framework."
        )
        return
    criteria, scores = frames["criterion"], frames["criterion_score"]
    fw = scoring.FRAMEWORKS[framework]
    if framework == "weighted" and _no_criteria(criteria):
        st.info(
            "Weighted scoring ranks the features by your team's own criteria. Add them "
            "under **Features & sketches**: *What to edit → Scoring criteria* (e.g. "
            "“Strategic fit”, weight 40), then score each feature on each one under "
            "*What to edit → Criterion scores* (0–10).",
            icon=":material/tune:",
        )
    ranking: Shown = chart_view.cached(
        frames,
        "prio.ranking",
        lambda: ranking_shown(features, criteria, scores, framework),
        (framework,),
    )
    st.markdown(f"**Ranked by {fw.label}**, side by side with the other frameworks")
    st.dataframe(
        ranking.table,
        hide_index=True,
        width="stretch",
        height=_height(ranking.rows),
        column_config=_ranking_columns(framework),
        column_order=_RANKING_ORDER,
        placeholder="—",
    )
    if ranking.flagged:
        lines = [f"- **{md(title)}** — {md(note)}" for title, note in ranking.flagged]
        st.markdown(
            f":orange[:material/forum:] **{len(lines)} flagged for discussion** — their "
            "rank depends most on the framework:\n" + "\n".join(lines)
        )
    if ranking.unranked:
        st.caption(ranking.unranked)
    chart_view.show(
        frames,
        "score_bars",
        lambda: charts.score_bars(features, framework, criteria_df=criteria, scores_df=scores),
        (framework,),
    )


def quadrant_lines(features: pd.DataFrame, limit: int = 5) -> list[str]:
    """Per quadrant of the value-vs-effort matrix, its features, best ratio first."""
    table = scoring.value_effort(features).assign(title=features["title"].astype(str))
    lines = []
    for quadrant in scoring.QUADRANTS:
        inside = table[table["quadrant"] == quadrant].sort_values(
            "ratio", ascending=False, kind="stable"
        )
        if inside.empty:
            continue
        names = ", ".join(md(t) for t in inside["title"].head(limit))
        more = f" and {len(inside) - limit} more" if len(inside) > limit else ""
        lines.append(f"- **{quadrant}s** ({len(inside)}): {names}{more}")
    return lines


def matrix_panel(frames: board.Frames) -> None:
    """The value-vs-effort matrix, and which features sit in each corner (live)."""
    features = frames["feature"]
    if features.empty:
        st.caption("No features yet — give features a value and an effort to place them here.")
        return
    chart_view.show(frames, "value_effort", lambda: charts.value_effort_chart(features))
    lines = chart_view.cached(frames, "prio.quadrants", lambda: quadrant_lines(features))
    if lines:
        st.markdown("\n".join(lines))


def _unranked_text(
    features: pd.DataFrame,
    criteria: pd.DataFrame,
    scores: pd.DataFrame,
    framework: str,
    count: int,
) -> str:
    fw = scoring.FRAMEWORKS[framework]
    noun = "feature is" if count == 1 else "features are"
    if framework == "weighted":
        gaps = scoring.missing_scores(features, criteria, scores)
        named = ", ".join(sorted({md(str(c)) for c in gaps["criterion"]}))
        return (
            f"{count} {noun} not ranked by {fw.label}: each needs a score on every "
            f"weighted criterion ({named}) — add them under Criterion scores."
        )
    needs = ", ".join(fw.inputs)
    return f"{count} {noun} not ranked by {fw.label} yet: it needs {needs} (ranked last)."


def robustness_panel(frames: board.Frames, framework: str, k: int) -> None:
    """How often each feature makes the top k when the estimates are off (live)."""
    if framework not in scoring.MONTE_CARLO_INPUTS:
        names = ", ".join(scoring.FRAMEWORKS[key].label for key in scoring.MONTE_CARLO_INPUTS)
        st.caption(
            f"{scoring.FRAMEWORKS[framework].label} is the team's judgement, not an estimate "
            f"with a margin of error: the robustness check works on {names}. Switch the "
            "framework above to see it."
        )
        return
    features = frames["feature"]
    if features.empty:
        st.caption("No features yet — the check needs scored features to vary.")
        return

    def result() -> pd.DataFrame:  # the Monte Carlo run, once per state of the canvas
        return chart_view.cached(
            frames,
            "prio.monte_carlo",
            lambda: scoring.monte_carlo(features, framework=framework, k=k, draws=DRAWS, seed=SEED),
            (framework, k),
        )

    st.caption(
        f"{DRAWS:,} runs, each with every estimate varied within its range (or by its "
        "confidence). **Solid**: in or out of the top "
        f"{k} almost every time, and at about the same rank. **Fragile**: it depends on "
        "estimates the team is unsure of — worth checking before committing."
    )
    chart_view.show(
        frames, "robustness", lambda: charts.robustness_chart(result(), k=k), (framework, k)
    )
    sentences: Sentences = chart_view.cached(
        frames, "prio.sentences", lambda: robustness_sentences(result()), (framework, k)
    )
    st.markdown("\n".join(sentences.lines))
    if sentences.table is not None:
        with st.expander(f"Every feature ({sentences.rows:,})", icon=":material/list:"):
            st.dataframe(
                sentences.table,
                hide_index=True,
                width="stretch",
                height=_height(sentences.rows),
                column_config={
                    "Feature": st.column_config.TextColumn(width="medium", pinned=True),
                    "Verdict": st.column_config.TextColumn(width=90),
                    f"Top {k}": st.column_config.ProgressColumn(
                        help=f"Share of the runs in which it lands in the top {k}.",
                        format="%.0f%%",
                        min_value=0.0,
                        max_value=100.0,
                        width=110,
                    ),
                    "In short": st.column_config.TextColumn(width="large"),
                },
                placeholder="—",
            )


@dataclass(frozen=True)
class Sentences:
    """The robustness in words: a line per feature for the first ones (best first), and
    every feature as a table when there are more."""

    lines: list[str]
    rows: int
    table: pa.Table | None = None


_VERDICT_MARKS = {
    "solid": ":green[**✓ solid**]",
    "fragile": ":orange[**⚠ fragile**]",
    "unscored": ":gray[— not ranked]",
}


def robustness_sentences(result: pd.DataFrame, limit: int = SENTENCES_SHOWN) -> Sentences:
    table = robustness_table(result)
    ordered = result.assign(_median=result["median_rank"].fillna(math.inf)).sort_values(
        ["_median", "rank_p10"], kind="stable"
    )
    lines = [
        f"- {_VERDICT_MARKS.get(str(v), md(str(v)))} **{md(str(t))}** — {md(str(sentence))}"
        for t, v, sentence in zip(
            ordered["title"].head(limit),
            ordered["verdict"].head(limit),
            ordered["sentence"].head(limit),
            strict=True,
        )
    ]
    if len(table) > limit:
        lines.append(f"- :gray[… and {len(table) - limit:,} more in the table below.]")
        return Sentences(lines, len(table), pa.Table.from_pandas(table, preserve_index=False))
    return Sentences(lines, len(table))


def robustness_table(result: pd.DataFrame) -> pd.DataFrame:
    """One sentence per feature, solid and fragile ones named as such, best first."""
    k = int(result.attrs.get("k", DEFAULT_K))
    ordered = result.assign(_median=result["median_rank"].fillna(math.inf)).sort_values(
        ["_median", "rank_p10"], kind="stable"
    )
    verdicts = {"solid": "✓ solid", "fragile": "⚠ fragile", "unscored": "— not ranked"}
    return pd.DataFrame(
        {
            "Feature": ordered["title"].astype(str),
            "Verdict": ordered["verdict"].map(lambda v: verdicts.get(str(v), str(v))),
            f"Top {k}": (ordered["p_top_k"].astype(float) * 100).round(1),
            "In short": ordered["sentence"].astype(str),
        }
    ).reset_index(drop=True)
