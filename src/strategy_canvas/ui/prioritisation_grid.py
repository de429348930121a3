"""The scoring grid of the Designs page's *Prioritise* tab: the features' scoring
inputs, edited in place (``st.data_editor``), outside the live fragment, so a refresh
never throws away a cell being edited.

What the grid showed — row order, values and the versions its rows started from — is
kept in session state (:class:`GridState`). An edit is saved at the top of the next run
(:func:`apply_grid_edits`, before anything is drawn, so the whole page shows it), each
edited row an :class:`~strategy_canvas.services.edits.ItemEdit` of only the edited
fields at the version the grid showed, through
:func:`strategy_canvas.services.scores.save_scores`. A row someone else saved meanwhile
is not written: the user sees its stored values next to theirs and chooses to reload it
or keep theirs. A row the services refuse is not written and shows their message naming
the field. Every other row is saved. After a save the grid gets a fresh key, so it
reloads from the database; rows not saved keep the user's values on top, marked "not
saved", until saved, reloaded or discarded.

:func:`edits_from_grid` and :func:`clean_value` are plain functions (no Streamlit), so
reading the grid is tested without a browser.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import scoring
from strategy_canvas.services import edits, items, scores
from strategy_canvas.services.errors import ValidationFailed
from strategy_canvas.services.scores import SCORE_FIELDS
from strategy_canvas.ui import board, chart_view, fields, messages
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

_WHOLE = {"reach", "confidence", "ease", "value", "reach_low", "reach_high"}
_CHOICES = {"moscow": scoring.MOSCOW_ORDER, "kano": scoring.KANO_ORDER}

#: session-state keys owned by this module
_GRID = "prio.grid.{token}"
_EDITOR = "prio.editor.{token}.{gen}"

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
    """What the grid showed and what is not saved yet, per canvas and session.

    ``unsaved`` holds each row not saved yet as the edit it is (the user's values, the
    stored values and version they started from); ``outcomes`` what stopped it: a
    conflict to choose on, or a refused value."""

    gen: int = 0
    order: list[int] = field(default_factory=list)  # row position -> feature id
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> values shown
    versions: dict[int, int] = field(default_factory=dict)  # id -> version shown
    unsaved: dict[int, edits.ItemEdit] = field(default_factory=dict)
    outcomes: dict[int, edits.Conflict | edits.Refused] = field(default_factory=dict)
    notices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pending(self) -> dict[int, dict[str, Any]]:
        """The user's unsaved values, drawn on top of the stored ones."""
        return {fid: edit.values for fid, edit in self.unsaved.items()}

    @property
    def conflicts(self) -> dict[int, edits.Conflict]:
        return {f: o for f, o in self.outcomes.items() if isinstance(o, edits.Conflict)}

    @property
    def refused(self) -> dict[int, edits.Refused]:
        return {f: o for f, o in self.outcomes.items() if isinstance(o, edits.Refused)}

    def title(self, feature_id: int) -> str:
        return str(self.shown.get(feature_id, {}).get("title") or f"Feature #{feature_id}")

    def edit_of(self, feature_id: int, cells: Mapping[str, Any]) -> edits.ItemEdit:
        """The row's edit with ``cells`` typed on top: an unsaved row goes on from where
        it started; another starts from what the grid showed."""
        before = self.unsaved.get(feature_id)
        if before is not None:
            return replace(before, values={**before.values, **cells})
        shown = self.shown.get(feature_id, {})
        return edits.ItemEdit(
            "feature",
            feature_id,
            self.versions.get(feature_id, 0),
            original={name: shown.get(name) for name in SCORE_FIELDS},
            values=dict(cells),
        )

    def forget(self, feature_id: int) -> None:
        self.unsaved.pop(feature_id, None)
        self.outcomes.pop(feature_id, None)

    def record(self, result: scores.ScoresSaved, attempted: Mapping[int, edits.ItemEdit]) -> None:
        """Take a save's outcome in: saved rows are done; the others keep the user's
        values and the version they started from, until saved, reloaded or discarded."""
        for feature_id in [*result.saved, *result.gone]:
            self.forget(feature_id)
        for feature_id in result.gone:
            self.notices.append(
                (
                    "warning",
                    f"“{md(self.title(feature_id))}” was deleted by someone else; your scores "
                    "for it were not saved.",
                )
            )
        not_saved: dict[int, edits.Conflict | edits.Refused] = {
            **result.conflicts,
            **result.refused,
        }
        for feature_id, outcome in not_saved.items():
            self.unsaved[feature_id] = attempted[feature_id]
            self.outcomes[feature_id] = outcome
        if result.saved:
            count = len(result.saved)
            self.notices.append(
                ("success", f"Saved the scores of {count} feature{'s' if count != 1 else ''}.")
            )
        self.gen += 1  # a fresh grid: it reloads from the database


def grid_state(token: str) -> GridState:
    """The grid's state for this canvas in this session."""
    key = _GRID.format(token=token)
    state = st.session_state.get(key)
    if not isinstance(state, GridState):
        state = st.session_state[key] = GridState()
    return state


def _editor_key(token: str, gen: int) -> str:
    return _EDITOR.format(token=token, gen=gen)


def _save(ctx: PageContext, grid: GridState, rows: dict[int, edits.ItemEdit]) -> None:
    assert ctx.token is not None
    with ctx.write() as session:
        result = scores.save_scores(session=session, canvas_token=ctx.token, rows=rows)
    grid.record(result, rows)
    ctx.changed()  # what is drawn next reads the canvas as it is now


def apply_grid_edits(ctx: PageContext) -> None:
    """Save what was edited in the grid since the last run (call before drawing).

    The grid's edit state is read under the key it was drawn with; afterwards the grid
    gets a new key, so its next draw starts clean from the database.
    """
    assert ctx.token is not None
    grid = grid_state(ctx.token)
    state = st.session_state.get(_editor_key(ctx.token, grid.gen))
    edited = state.get("edited_rows") if isinstance(state, Mapping) else None
    if not edited:
        return
    changed = edits_from_grid(edited, grid.order, grid.shown)
    if changed:
        _save(ctx, grid, {fid: grid.edit_of(fid, cells) for fid, cells in changed.items()})
    else:
        grid.gen += 1


# ------------------------------------------------------------- conflict choices


def _reload_rows(token: str, feature_ids: list[int]) -> None:
    grid = grid_state(token)
    for feature_id in feature_ids:
        grid.forget(feature_id)
    grid.gen += 1


def _keep_mine(ctx: PageContext, feature_id: int) -> None:
    """Save the user's values over the stored ones: a deliberate choice, made knowing
    theirs; it is checked against the version they were shown, so a newer change
    conflicts again."""
    assert ctx.token is not None
    grid = grid_state(ctx.token)
    conflict = grid.conflicts.get(feature_id)
    mine = grid.unsaved.get(feature_id)
    if conflict is None or conflict.deleted or mine is None:
        return
    _save(ctx, grid, {feature_id: edits.rebased(mine, conflict.current, SCORE_FIELDS)})


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


def conflict_lines(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """Per field the user changed (``mine``): the value stored now (``theirs``), next to
    the one they entered."""
    lines = []
    for name, value in mine.items():
        label = FIELD_LABELS.get(name, name)
        now = _shown_text(name, theirs.get(name))
        lines.append(
            f"- **{label}** is now **{md(now)}** — you entered {md(_shown_text(name, value))}"
        )
    others = [
        f"{FIELD_LABELS[n]} {md(_shown_text(n, v))}"
        for n, v in theirs.items()
        if n not in mine and not _missing(v)
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
            for feature_id in grid.conflicts:
                _conflict_row(ctx, grid, feature_id)
            if count > 1:
                st.button(
                    f"Reload all {count} with their values",
                    key="prio.reload_all",
                    on_click=_reload_rows,
                    args=(ctx.token, list(grid.conflicts)),
                )
    for feature_id, refused in grid.refused.items():
        error = refused.error
        text = str(error)
        if isinstance(error, ValidationFailed):
            text = messages.validation_text(error)
        st.error(f"**{md(grid.title(feature_id))}** — {text}", icon=":material/error:")
        st.button(
            "Discard my changes to this row",
            key=f"prio.discard.{feature_id}",
            on_click=_reload_rows,
            args=(ctx.token, [feature_id]),
        )


def _conflict_row(ctx: PageContext, grid: GridState, feature_id: int) -> None:
    """One row someone else saved: theirs next to mine, and the two choices."""
    conflict = grid.conflicts[feature_id]
    mine = grid.unsaved[feature_id].values
    lines = conflict_lines(mine, scores.scores_of(conflict.current))
    st.markdown(f"**{md(grid.title(feature_id))}**\n" + "\n".join(lines))
    left, right, _ = st.columns([2, 2, 3])
    left.button(
        "Reload with their values",
        key=f"prio.reload.{feature_id}",
        icon=":material/refresh:",
        on_click=_reload_rows,
        args=(ctx.token, [feature_id]),
        width="stretch",
    )
    right.button(
        "Keep mine",
        key=f"prio.keep.{feature_id}",
        icon=":material/save:",
        help="Save your values over theirs.",
        on_click=_keep_mine,
        args=(ctx, feature_id),
        width="stretch",
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

    # No min_value, max_value or step on the number columns: the grid would turn −3
    # into 3, cap 10¹² at the maximum and make "2.5" of a whole-number column "25".
    # The services judge the value as typed and name the field and the rule; the
    # column's help says the rule beforehand.
    def number(name: str, help: str, format: str = "%g") -> Any:
        shape = fields.shape_of(items.ITEM_TYPES["feature"], name)
        return cc.NumberColumn(
            FIELD_LABELS[name], help=fields.number_help(shape, help), format=format
        )

    def reach(name: str, help: str) -> Any:
        return number(name, help, "localized")

    def effort(name: str, help: str) -> Any:
        return number(name, help)

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
        "confidence": number(
            "confidence", "How sure the team is of these estimates, in percent.", "%g%%"
        ),
        "effort": effort("effort", "Person-months."),
        "ease": number("ease", "1 (hard) to 10 (easy), for ICE."),
        "value": number("value", "1 (little) to 10 (huge), for Value/Effort."),
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


def scoring_grid(ctx: PageContext, frames: Frames) -> None:
    """The features' scoring inputs, editable in place."""
    assert ctx.token is not None
    grid = grid_state(ctx.token)
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
        height=board.table_height(len(frame)),
        placeholder="—",
    )
    st.caption(
        "Click a cell, type, press Enter: it is saved at once, and the ranking below "
        "follows. Ranges (low/high) are optional: where the team is unsure, they feed the "
        "robustness check."
    )
