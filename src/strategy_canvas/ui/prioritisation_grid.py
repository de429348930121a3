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

Besides the scores, a row holds whom the feature serves and what it reaches (Persona,
Goal: chosen by name) and its score on each of the team's weighted criteria (a column
per criterion): a criterion cell is a score row of its own, added, changed or taken
away with its own version check (:func:`strategy_canvas.services.scores.save_criterion_scores`).
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
from strategy_canvas.services.scores import GRID_FIELDS, LINK_FIELDS, SCORE_FIELDS
from strategy_canvas.ui import board, chart_view, fields, identity, messages
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

_WHOLE = {"reach", "confidence", "ease", "value", "reach_low", "reach_high"}
_CHOICES = {"moscow": scoring.MOSCOW_ORDER, "kano": scoring.KANO_ORDER}

#: session-state keys owned by this module
_GRID = "prio.grid.{token}"
_EDITOR = "prio.editor.{token}.{gen}"

#: a criterion's column in the grid: "crit:<criterion id>"
CRITERION_PREFIX = "crit:"

FIELD_LABELS = {
    "persona_id": "Persona",
    "goal_id": "Goal",
    "reach": "Reach",
    "impact": "Impact",
    "confidence": "Confidence %",
    "effort": "Effort",
    "ease": "Ease",
    "value": "Value",
    "moscow": "MoSCoW",
    "kano": "Kano",
    "reach_low": "Reach (low)",
    "reach_high": "Reach (high)",
    "effort_low": "Effort (low)",
    "effort_high": "Effort (high)",
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
    if name in LINK_FIELDS:
        return value  # a name; :func:`edits_from_grid` finds its item
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
    names: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[int, dict[str, Any]]:
    """The data editor's ``edited_rows`` (row position -> column -> value) as feature id
    -> only the feature's fields whose value differs from what the grid showed; a
    Persona or Goal cell holds a name, which ``names`` (field -> name -> id) turns into
    the item it names. Criterion cells are :func:`criterion_edits`."""
    result: dict[int, dict[str, Any]] = {}
    for position, cells in edited_rows.items():
        at = int(position)
        if not 0 <= at < len(order):
            continue
        feature_id = order[at]
        before = shown.get(feature_id, {})
        changes = {}
        for name, value in cells.items():
            if name not in GRID_FIELDS:
                continue
            cleaned = clean_value(name, value)
            if same_value(cleaned, before.get(name)):
                continue
            if name in LINK_FIELDS and cleaned is not None:
                cleaned = (names or {}).get(name, {}).get(str(cleaned), cleaned)
            changes[name] = cleaned
        if changes:
            result[feature_id] = changes
    return result


def criterion_edits(
    edited_rows: Mapping[Any, Mapping[str, Any]],
    order: list[int],
    shown: Mapping[int, Mapping[str, Any]],
    stored: Mapping[tuple[int, int], tuple[int, int]],
) -> list[scores.CriterionCell]:
    """The criterion cells the user changed: ``stored`` is (feature id, criterion id)
    -> (score id, version) of the scores the grid showed."""
    cells = []
    for position, row in edited_rows.items():
        at = int(position)
        if not 0 <= at < len(order):
            continue
        feature_id = order[at]
        for column, value in row.items():
            if not str(column).startswith(CRITERION_PREFIX):
                continue
            criterion_id = int(str(column).removeprefix(CRITERION_PREFIX))
            before = shown.get(feature_id, {}).get(column)
            cleaned = clean_value(column, value)
            if same_value(cleaned, before):
                continue
            score_id, version = stored.get((feature_id, criterion_id), (None, None))
            cells.append(
                scores.CriterionCell(
                    feature_id,
                    criterion_id,
                    score_id,
                    version,
                    None if before is None or _missing(before) else float(before),
                    cleaned,
                )
            )
    return cells


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
    #: the Persona and Goal columns' names -> item id
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (feature id, criterion id) -> (score id, version) of the scores shown
    stored_scores: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    #: criterion cells not saved: feature id -> column -> the user's value
    unsaved_scores: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: why they were not: feature id -> [(criterion column, the reason)]
    score_problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def pending(self) -> dict[int, dict[str, Any]]:
        """The user's unsaved values, drawn on top of the stored ones."""
        out = {fid: dict(edit.values) for fid, edit in self.unsaved.items()}
        for fid, cells in self.unsaved_scores.items():
            out.setdefault(fid, {}).update(cells)
        return out

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
            original={name: self.original(shown, name) for name in GRID_FIELDS},
            values=dict(cells),
        )

    def original(self, shown: Mapping[str, Any], name: str) -> Any:
        """A field's value as the grid showed it, as stored (a link as its id)."""
        value = shown.get(name)
        if name in LINK_FIELDS:
            return None if _missing(value) else self.names.get(name, {}).get(str(value))
        return value

    def forget(self, feature_id: int) -> None:
        self.unsaved.pop(feature_id, None)
        self.outcomes.pop(feature_id, None)
        self.unsaved_scores.pop(feature_id, None)
        self.score_problems.pop(feature_id, None)

    def record_scores(
        self,
        results: Mapping[tuple[int, int], edits.Outcome],
        cells: list[scores.CriterionCell],
        criteria: Mapping[int, str],
    ) -> None:
        """Take the criterion cells' outcomes in: a cell not saved keeps the user's
        value, with the reason."""
        saved = 0
        for cell in cells:
            outcome = results.get((cell.feature_id, cell.criterion_id))
            column = f"{CRITERION_PREFIX}{cell.criterion_id}"
            if outcome is None or isinstance(outcome, edits.Saved):
                saved += outcome is not None
                continue
            name = criteria.get(cell.criterion_id, "a criterion")
            if isinstance(outcome, edits.Conflict):
                now = "" if outcome.current is None else f" (now {outcome.current.score:g})"
                reason = (
                    f"**{md(name)}**: someone else changed this score after your grid "
                    f"loaded{now}; yours was not saved"
                )
            elif isinstance(outcome.error, ValidationFailed):
                reason = "; ".join(f"**{md(name)}** {md(e.message)}" for e in outcome.error.errors)
            else:
                reason = f"**{md(name)}**: {md(str(outcome.error))}"
            self.unsaved_scores.setdefault(cell.feature_id, {})[column] = cell.value
            self.score_problems.setdefault(cell.feature_id, []).append((column, reason))
        if saved:
            self.notices.append(
                ("success", f"Saved {saved} criterion score{'s' if saved != 1 else ''}.")
            )
        self.gen += 1

    def record(self, result: scores.ScoresSaved, attempted: Mapping[int, edits.ItemEdit]) -> None:
        """Take a save's outcome in: saved rows are done; the others keep the user's
        values and the version they started from, until saved, reloaded or discarded."""
        for feature_id in [*result.saved, *result.gone]:
            self.unsaved.pop(feature_id, None)
            self.outcomes.pop(feature_id, None)
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
        result = scores.save_scores(
            session=session, canvas_token=ctx.token, rows=rows, actor=identity.actor(ctx)
        )
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
    changed = edits_from_grid(edited, grid.order, grid.shown, grid.names)
    cells = criterion_edits(edited, grid.order, grid.shown, grid.stored_scores)
    if changed:
        _save(ctx, grid, {fid: grid.edit_of(fid, cells) for fid, cells in changed.items()})
    if cells:
        for cell in cells:  # a cell typed again replaces its earlier refusal
            column = f"{CRITERION_PREFIX}{cell.criterion_id}"
            grid.unsaved_scores.get(cell.feature_id, {}).pop(column, None)
            problems = grid.score_problems.get(cell.feature_id, [])
            grid.score_problems[cell.feature_id] = [p for p in problems if p[0] != column]
        with ctx.write() as session:
            results = scores.save_criterion_scores(
                session=session, canvas_token=ctx.token, cells=cells
            )
        grid.record_scores(results, cells, ctx.snapshot().titles("criterion"))
        ctx.changed()
    if not changed and not cells:
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
    _save(ctx, grid, {feature_id: edits.rebased(mine, conflict.current, GRID_FIELDS)})


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
    for feature_id, reasons in list(grid.score_problems.items()):
        if not reasons:
            continue
        lines = "\n".join(f"- {reason}" for _, reason in reasons)
        st.error(f"**{md(grid.title(feature_id))}** — not saved:\n{lines}", icon=":material/error:")
        st.button(
            "Discard my changes to this row",
            key=f"prio.discard_scores.{feature_id}",
            on_click=_reload_rows,
            args=(ctx.token, [feature_id]),
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
    names = {f: {i: n for n, i in by.items()} for f, by in grid.names.items()}

    def named(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: names.get(k, {}).get(v, v) for k, v in values.items()}

    mine = named(grid.unsaved[feature_id].values)
    theirs = named({n: getattr(conflict.current, n, None) for n in GRID_FIELDS})
    lines = conflict_lines(mine, theirs)
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


@dataclass(frozen=True)
class GridLinks:
    """What the grid shows besides a feature's own fields: the names of the personas
    and goals it may be tied to, the team's criteria (id -> name, weight) and their
    scores ((feature id, criterion id) -> (score id, version, score))."""

    names: dict[str, dict[int, str]] = field(default_factory=dict)
    criteria: dict[int, tuple[str, float]] = field(default_factory=dict)
    scores: dict[tuple[int, int], tuple[int, int, float]] = field(default_factory=dict)

    def by_name(self) -> dict[str, dict[str, int]]:
        return {f: {n: i for i, n in names.items()} for f, names in self.names.items()}


def _unique_names(titles: Mapping[int, str]) -> dict[int, str]:
    """id -> name, a number added to a name two items share (a choice names one item)."""
    counts: dict[str, int] = {}
    for title in titles.values():
        counts[title] = counts.get(title, 0) + 1
    return {i: (f"{t} (#{i})" if counts[t] > 1 else t) for i, t in titles.items()}


def grid_links(frames: Frames) -> GridLinks:
    """The personas', goals' and criteria's names and the criterion scores of ``frames``."""
    criteria = frames["criterion"]
    stored = frames["criterion_score"]
    return GridLinks(
        names={
            "persona_id": _unique_names(board.titles(frames, "persona")),
            "goal_id": _unique_names(board.titles(frames, "goal")),
        },
        criteria={
            int(i): (str(n), float(w))
            for i, n, w in zip(criteria["id"], criteria["name"], criteria["weight"], strict=True)
        },
        scores={
            (int(f), int(c)): (int(i), int(v), float(x))
            for i, v, f, c, x in zip(
                stored["id"],
                stored["version"],
                stored["feature_id"],
                stored["criterion_id"],
                stored["score"],
                strict=True,
            )
        },
    )


def grid_frame(
    features: pd.DataFrame,
    pending: Mapping[int, Mapping[str, Any]],
    links: GridLinks | None = None,
) -> pd.DataFrame:
    """The grid's input: one row per feature (indexed by id), the user's unsaved values
    on top of the stored ones. Column types are fixed, so the editor's identity does
    not change with the values."""
    links = links or GridLinks()
    ids = pd.Index(pd.to_numeric(features["id"]).astype(int), name="id")
    data: dict[str, Any] = {"title": features["title"].astype(str).to_numpy()}
    for name in LINK_FIELDS:
        names = links.names.get(name, {})
        column = features[name] if name in features.columns else pd.Series(None, index=ids)
        data[name] = [names.get(int(v)) if not _missing(v) else None for v in column]
    for name in SCORE_FIELDS:
        column = (
            features[name] if name in features.columns else pd.Series(None, index=features.index)
        )
        if name in _CHOICES:
            data[name] = column.astype(object).where(column.notna(), None).to_numpy()
        else:
            data[name] = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    for criterion_id in links.criteria:
        data[f"{CRITERION_PREFIX}{criterion_id}"] = [
            links.scores.get((int(f), criterion_id), (0, 0, math.nan))[2] for f in ids
        ]
    frame = pd.DataFrame(data, index=ids)
    for name in (*_CHOICES, *LINK_FIELDS):
        frame[name] = frame[name].astype("string")
    if pending:
        frame["unsaved"] = pd.array([""] * len(frame), dtype="string")
        by_id = {f: dict(names) for f, names in links.names.items()}
        for feature_id, cells in pending.items():
            if feature_id in frame.index:
                for name, value in cells.items():
                    if name in LINK_FIELDS and not _missing(value):
                        value = by_id.get(name, {}).get(value, value)
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


def _columns(links: GridLinks) -> dict[str, Any]:
    """The column configuration: the fixed ones, then Persona and Goal (choices by
    name) and a column per criterion (0–10, its weight in the help)."""
    cc = st.column_config
    total = sum(w for _, w in links.criteria.values() if w > 0) or 1.0
    columns = dict(_grid_columns())
    for name, what in (("persona_id", "persona"), ("goal_id", "goal")):
        options: list[str] = sorted(links.names.get(name, {}).values(), key=str.lower)
        columns[name] = cc.SelectboxColumn(
            FIELD_LABELS[name],
            options=options,
            help=f"The {what} the feature is for; empty for none.",
            width="medium",
        )
    shape = fields.shape_of(items.ITEM_TYPES["criterion_score"], "score")
    for criterion_id, (name, weight) in links.criteria.items():
        share = f"weight {weight:g} ({weight / total:.0%} of the weighted score)"
        columns[f"{CRITERION_PREFIX}{criterion_id}"] = cc.NumberColumn(
            name,
            help=fields.number_help(shape, f"Its score on “{name}”, {share}."),
            format="%g",
        )
    return columns


def grid_input(
    features: pd.DataFrame,
    pending: Mapping[int, Mapping[str, Any]],
    links: GridLinks | None = None,
) -> tuple[pd.DataFrame, list[int], dict[int, dict[str, Any]], dict[int, int]]:
    """The grid's input, its row order (position -> feature id), the values it shows
    per feature and the versions they are at."""
    frame = grid_frame(features, pending, links)
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
    links: GridLinks = chart_view.cached(frames, "prio.grid.links", lambda: grid_links(frames))
    grid.names = links.by_name()
    grid.stored_scores = {k: (i, v) for k, (i, v, _) in links.scores.items()}
    if grid.pending:
        frame, grid.order, grid.shown, grid.versions = grid_input(features, grid.pending, links)
    else:  # the usual case: the same input for every session until the canvas changes
        frame, grid.order, grid.shown, grid.versions = chart_view.cached(
            frames, "prio.grid", lambda: grid_input(features, {}, links)
        )
    criteria = [f"{CRITERION_PREFIX}{c}" for c in links.criteria]
    columns = [
        "title",
        *(["unsaved"] if grid.pending else []),
        *LINK_FIELDS,
        *scoring.SCORE_INPUTS,
        *criteria,
        *scoring.RANGE_INPUTS,
    ]
    st.data_editor(
        frame,
        key=_editor_key(ctx.token, grid.gen),
        hide_index=True,
        column_order=columns,
        column_config=chart_view.cached(frames, "prio.grid.columns", lambda: _columns(links)),
        disabled=["title", "unsaved"],
        num_rows="fixed",
        width="stretch",
        height=board.table_height(len(frame)),
        placeholder="—",
    )
    st.caption(
        "Click a cell, type, press Enter: it is saved at once, and the ranking below "
        "follows. Persona and Goal tie the feature to whom it serves and what it reaches; "
        + ("a column per scoring criterion (0–10) feeds the weighted ranking; " if criteria else "")
        + "ranges (low/high) are optional: where the team is unsure, they feed the "
        "robustness check. A block copied from a spreadsheet can be pasted over cells."
    )
