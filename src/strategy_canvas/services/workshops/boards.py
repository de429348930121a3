"""Reading a step's board and the blind scores, filtered for the viewer.

Hidden until revealed: :func:`board` and :func:`score_summary` filter here, not in the
page: before the facilitator reveals a step's notes, a participant gets only their own
notes' text (others' as placeholders without id or text); before votes are revealed, only
their own votes and remaining budget; before scores are revealed, only how many scored.
The facilitator sees everything; the projector view (the public link) sees only what is
revealed. When notes are anonymous, no reader gets the author's name.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.lru import LRUCache
from strategy_canvas.services.snapshot import database_key
from strategy_canvas.services.workshops.common import (
    Role,
    Viewer,
    check_step,
    merge_promoted,
    shorten,
    step_state,
    viewer_of,
    vote_key,
)

#: blind scores whose spread is at least this call for a discussion
DISCUSS_STD = 2.0
DISCUSS_RANGE = 4


@dataclass(frozen=True)
class Board:
    """The notes of one step as one viewer may see them.

    ``notes`` has one row per note, in the order written: note_id, text, hidden, mine,
    author, theme_id, theme, promoted_kind, promoted_item_id, votes, my_votes. A hidden
    note (another's, before reveal) is a placeholder: no id, no text, no theme; only its
    author's name when notes are not anonymous. ``votes`` (totals) is <NA> until votes
    are revealed (the facilitator always sees them). ``features`` (step 3) has
    feature_id, title, votes, my_votes the same way. ``tally`` ranks every voted item
    once totals are visible: target_kind, target_id, label, votes; a note promoted to a
    feature is counted as that feature (one idea, one target).
    """

    step: int
    role: Role
    locked: bool
    notes_revealed: bool
    votes_revealed: bool
    anonymous: bool
    notes: pd.DataFrame
    hidden_notes: int
    themes: pd.DataFrame
    features: pd.DataFrame
    tally: pd.DataFrame
    vote_budget: int
    vote_cap: int
    my_votes_used: int
    my_votes_left: int | None


@dataclass(frozen=True)
class ScoreSummary:
    """Blind scores of the step-3 features.

    ``features``: feature_id, title, scores (how many scored it), my_value, my_effort,
    then (once revealed, or for the facilitator) mean_value, mean_effort, value_std,
    effort_std, value_range, effort_range and ``discuss`` (std ≥ :data:`DISCUSS_STD`
    or range ≥ :data:`DISCUSS_RANGE` on value or effort); before that those are <NA>.
    """

    revealed: bool
    visible: bool
    scorers: int
    participants: int
    features: pd.DataFrame


NOTE_COLUMNS = [
    "note_id",
    "text",
    "hidden",
    "mine",
    "author",
    "theme_id",
    "theme",
    "promoted_kind",
    "promoted_item_id",
    "votes",
    "my_votes",
]
_NULLABLE_INTS = {"note_id": "Int64", "theme_id": "Int64", "promoted_item_id": "Int64"}


def _frame(rows: list[dict[str, Any]], columns: list[str], ints: Mapping[str, str]) -> pd.DataFrame:
    """The rows as a frame, typed column by column as it is built (an ``astype`` of
    the whole frame afterwards cost most of a board's time: every live screen reads
    one per change)."""
    data: dict[str, Any] = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        dtype = ints.get(column)
        data[column] = pd.array(values, dtype=dtype) if dtype else values
    return pd.DataFrame(data, columns=columns)


@dataclass(frozen=True)
class _StepRows:
    """A step's rows as stored, the same for every viewer (filtered per viewer later)."""

    #: (participant id, note id, feature id) of each vote
    votes: tuple[tuple[int | None, int | None, int | None], ...]
    #: (id, name) of each theme, in the order made
    themes: tuple[tuple[int, str], ...]
    #: (id, author's participant id, text, theme id, promoted kind, promoted item id,
    #: author's display name) of each note, in the order written
    notes: tuple[tuple[int, int | None, str, int | None, str | None, int | None, str | None], ...]
    #: (id, title) of the canvas's features (step 3 only)
    features: tuple[tuple[int, str], ...]


#: (database, change counter, its changed_at, workshop, step) -> the step's rows
_SHARED_ROWS: LRUCache[_StepRows] = LRUCache(64)


def _read_rows(session: Session, workshop: m.Workshop, step: int) -> _StepRows:
    workshop_id = workshop.id or 0
    votes = tuple(
        (participant_id, note_id, feature_id)
        for participant_id, note_id, feature_id in session.exec(
            select(m.Vote.participant_id, m.Vote.note_id, m.Vote.feature_id).where(
                m.Vote.workshop_id == workshop_id, m.Vote.step == step
            )
        )
    )
    themes = tuple(
        (int(theme_id or 0), name)
        for theme_id, name in session.exec(
            select(m.Theme.id, m.Theme.name)
            .where(m.Theme.workshop_id == workshop_id, m.Theme.step == step)
            .order_by(col(m.Theme.id))
        )
    )
    notes = tuple(
        (
            int(note.id or 0),
            note.participant_id,
            note.text,
            note.theme_id,
            note.promoted_kind,
            note.promoted_item_id,
            author,
        )
        for note, author in session.exec(
            select(m.Note, m.Participant.display_name)
            .outerjoin(m.Participant, col(m.Participant.id) == m.Note.participant_id)
            .where(m.Note.workshop_id == workshop_id, m.Note.step == step)
            .order_by(col(m.Note.id))
        )
    )
    features: tuple[tuple[int, str], ...] = ()
    if step == 3:
        features = tuple(
            (int(feature_id or 0), title)
            for feature_id, title in session.exec(
                select(m.Feature.id, m.Feature.title)
                .where(m.Feature.canvas_id == workshop.canvas_id)
                .order_by(col(m.Feature.position), col(m.Feature.id))
            )
        )
    return _StepRows(votes, themes, notes, features)


def _step_rows(session: Session, workshop: m.Workshop, step: int, *, shared: bool) -> _StepRows:
    """The step's rows; ``shared``: from the process's cache, keyed by the canvas's
    change counter read first (every write bumps it; rows read after it may show a
    later state, never an earlier one), so the sixteen screens of a room read a
    change's notes once."""
    if not shared:
        return _read_rows(session, workshop, step)
    return shared_rows(session, workshop, step, change_counter(session, workshop.canvas_id))


def change_counter(session: Session, canvas_id: int) -> tuple[str, int, datetime]:
    """What names one change of the canvas in a shared cache: the database, the change
    counter and when it moved (read first: every write bumps it, so rows read after it
    may show a later state, never an earlier one)."""
    revision, changed_at = session.exec(
        select(m.CanvasRevision.revision, m.CanvasRevision.changed_at).where(
            m.CanvasRevision.canvas_id == canvas_id
        )
    ).one()
    return database_key(session.get_bind().engine), revision, changed_at


def shared_rows(
    session: Session, workshop: m.Workshop, step: int, counter: tuple[str, int, datetime]
) -> _StepRows:
    """The step's rows at ``counter`` (:func:`change_counter`), read once for every
    viewer of that change (the others wait for the first one's read)."""
    key = (*counter, workshop.id, step)
    return _SHARED_ROWS.get_or_compute_once(key, lambda: _read_rows(session, workshop, step))


def board(*, session: Session, viewer_token: str, step: int, shared: bool = False) -> Board:
    """The notes, themes and votes of ``step`` as the holder of ``viewer_token`` may see
    them (see :class:`Board`; the filtering happens here, not in the page).

    ``shared`` (the live screens' reads, in read-only sessions): the step's rows are
    shared with every other viewer of the same change (keyed by the canvas's change
    counter, read just before them in ``session``); the filtering is the same. In
    ``session``, not a session of its own: sixteen screens asking at once would each
    hold two of the pool's connections and wait for a third."""
    check_step(step)
    return _board(session, viewer_token, step, shared=shared)


def _board(session: Session, viewer_token: str, step: int, *, shared: bool) -> Board:
    viewer = viewer_of(session, viewer_token)
    state = step_state(session, viewer.workshop.id or 0, step)
    stored = _step_rows(session, viewer.workshop, step, shared=shared)
    return board_for(viewer, state, stored, step)


class StepFlags(Protocol):
    """A step's lock and reveals (a ``WorkshopStep`` row, or a copy of its flags)."""

    @property
    def locked(self) -> bool: ...
    @property
    def notes_revealed(self) -> bool: ...
    @property
    def votes_revealed(self) -> bool: ...


def board_for(viewer: Viewer, state: StepFlags, stored: _StepRows, step: int) -> Board:
    """The step's ``stored`` rows filtered for ``viewer`` (no I/O): what every reader of
    a board goes through, whoever read the rows."""
    workshop = viewer.workshop
    me = viewer.participant.id if viewer.participant is not None else None
    sees_all_notes = viewer.role == "facilitator" or state.notes_revealed
    sees_totals = viewer.role == "facilitator" or state.votes_revealed

    totals: Counter[tuple[str, int]] = Counter()
    mine: Counter[tuple[str, int]] = Counter()
    for participant_id, note_id, feature_id in stored.votes:
        target = vote_key(note_id, feature_id)
        totals[target] += 1
        if participant_id == me:
            mine[target] += 1

    themes = dict(stored.themes)
    rows, hidden = [], 0
    became_feature: dict[int, int] = {}
    theme_notes: Counter[int] = Counter()
    theme_votes: Counter[int] = Counter()
    labels: dict[tuple[str, int], str] = {}
    for note_id, author_id, text, theme_id, kind, item_id, author in stored.notes:
        is_mine = me is not None and author_id == me
        name = None if workshop.anonymous_notes else author
        if not (sees_all_notes or is_mine):
            hidden += 1
            rows.append({"hidden": True, "mine": False, "author": name, "my_votes": 0})
            continue
        target = ("note", note_id)
        labels[target] = shorten(text)
        if kind == "feature" and item_id is not None:
            became_feature[note_id] = item_id
        theme = themes.get(theme_id) if theme_id is not None else None
        if theme_id is not None and theme_id in themes:
            theme_notes[theme_id or 0] += 1
            theme_votes[theme_id or 0] += totals[target]
        rows.append(
            {
                "note_id": note_id,
                "text": text,
                "hidden": False,
                "mine": is_mine,
                "author": name,
                "theme_id": theme_id,
                "theme": theme,
                "promoted_kind": kind,
                "promoted_item_id": item_id,
                "votes": totals[target] if sees_totals else None,
                "my_votes": mine[target],
            }
        )
    notes = _frame(rows, NOTE_COLUMNS, {**_NULLABLE_INTS, "votes": "Int64", "my_votes": "int64"})
    theme_frame = _frame(
        [
            {
                "theme_id": theme_id,
                "name": name,
                "notes": theme_notes[theme_id],
                "votes": theme_votes[theme_id] if sees_totals else None,
            }
            for theme_id, name in stored.themes
        ],
        ["theme_id", "name", "notes", "votes"],
        {"theme_id": "int64", "notes": "int64", "votes": "Int64"},
    )
    feature_rows = []
    if step == 3:
        for feature_id, title in stored.features:
            target = ("feature", feature_id)
            labels[target] = shorten(title)
            feature_rows.append(
                {
                    "feature_id": feature_id,
                    "title": title,
                    "votes": totals[target] if sees_totals else None,
                    "my_votes": mine[target],
                }
            )
    features = _frame(
        feature_rows,
        ["feature_id", "title", "votes", "my_votes"],
        {"feature_id": "int64", "votes": "Int64", "my_votes": "int64"},
    )
    tally_rows = []
    if sees_totals:
        for (kind, target_id), count in merge_promoted(totals, became_feature).most_common():
            tally_rows.append(
                {
                    "target_kind": kind,
                    "target_id": target_id,
                    "label": labels.get((kind, target_id), ""),
                    "votes": count,
                }
            )
    tally = _frame(
        tally_rows,
        ["target_kind", "target_id", "label", "votes"],
        {"target_id": "int64", "votes": "int64"},
    )
    used = sum(mine.values())
    return Board(
        step=step,
        role=viewer.role,
        locked=state.locked,
        notes_revealed=state.notes_revealed,
        votes_revealed=state.votes_revealed,
        anonymous=workshop.anonymous_notes,
        notes=notes,
        hidden_notes=hidden,
        themes=theme_frame,
        features=features,
        tally=tally,
        vote_budget=workshop.vote_budget,
        vote_cap=workshop.vote_cap,
        my_votes_used=used,
        my_votes_left=None if me is None else max(0, workshop.vote_budget - used),
    )


def spread(values: list[int]) -> tuple[float, float, int]:
    """(mean, population standard deviation, range)."""
    return statistics.fmean(values), statistics.pstdev(values), max(values) - min(values)


def discuss(std: float, spread: int) -> bool:
    return std >= DISCUSS_STD or spread >= DISCUSS_RANGE


SCORE_COLUMNS = [
    "feature_id",
    "title",
    "scores",
    "my_value",
    "my_effort",
    "mean_value",
    "mean_effort",
    "value_std",
    "effort_std",
    "value_range",
    "effort_range",
    "discuss",
]


def score_rows(
    session: Session, workshop: m.Workshop, *, me: int | None, visible: bool
) -> tuple[list[dict[str, Any]], int]:
    scores: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    scorers = set()
    for participant_id, feature_id, value, effort in session.exec(
        select(
            m.BlindScore.participant_id,
            m.BlindScore.feature_id,
            m.BlindScore.value,
            m.BlindScore.effort,
        ).where(m.BlindScore.workshop_id == workshop.id)
    ):
        scores[feature_id].append((participant_id, value, effort))
        scorers.add(participant_id)
    rows = []
    for listed_id, title in session.exec(
        select(m.Feature.id, m.Feature.title)
        .where(m.Feature.canvas_id == workshop.canvas_id)
        .order_by(col(m.Feature.position), col(m.Feature.id))
    ):
        given = scores.get(listed_id or 0, [])
        own = next(((v, e) for p, v, e in given if p == me), (None, None))
        row: dict[str, Any] = {
            "feature_id": listed_id,
            "title": title,
            "scores": len(given),
            "my_value": own[0],
            "my_effort": own[1],
        }
        if visible and given:
            mean_v, std_v, range_v = spread([v for _, v, _ in given])
            mean_e, std_e, range_e = spread([e for _, _, e in given])
            row.update(
                mean_value=round(mean_v, 2),
                mean_effort=round(mean_e, 2),
                value_std=round(std_v, 2),
                effort_std=round(std_e, 2),
                value_range=range_v,
                effort_range=range_e,
                discuss=discuss(std_v, range_v) or discuss(std_e, range_e),
            )
        rows.append(row)
    return rows, len(scorers)


_SCORE_TYPES = {
    "feature_id": "int64",
    "scores": "int64",
    "my_value": "Int64",
    "my_effort": "Int64",
    "mean_value": "Float64",
    "mean_effort": "Float64",
    "value_std": "Float64",
    "effort_std": "Float64",
    "value_range": "Int64",
    "effort_range": "Int64",
    "discuss": "boolean",
}


def score_summary(*, session: Session, viewer_token: str) -> ScoreSummary:
    """The blind scores of the canvas's features. Before the facilitator reveals them,
    a participant (or the projector) sees only how many scored and their own scores;
    after, per feature the mean value and effort, their spread and a ``discuss`` flag.
    The facilitator sees everything at any time."""
    viewer = viewer_of(session, viewer_token)
    revealed = step_state(session, viewer.workshop.id or 0, 3).scores_revealed
    visible = revealed or viewer.role == "facilitator"
    me = viewer.participant.id if viewer.participant is not None else None
    rows, scorers = score_rows(session, viewer.workshop, me=me, visible=visible)
    participants = session.exec(
        select(sa.func.count())
        .select_from(m.Participant)
        .where(m.Participant.workshop_id == viewer.workshop.id)
    ).one()
    return ScoreSummary(
        revealed=revealed,
        visible=visible,
        scorers=scorers,
        participants=int(participants),
        features=_frame(rows, SCORE_COLUMNS, _SCORE_TYPES),
    )
