"""Facilitated workshops: a whole team on one canvas, live.

Rights come only from the secret the caller holds, checked here (never from a role flag):

- the **canvas token** (full rights on the canvas): start a workshop, list the canvas's
  workshops, read a workshop's summary, poll :func:`sync_state`;
- the **facilitator key** (``secrets.token_urlsafe(24)``, returned once by
  :func:`start_workshop`, never part of a URL shown to others): pace the workshop, lock
  steps, run the timer, reveal, group, promote notes to items, apply blind scores, end
  it. The facilitator is a participant too: their key works as their participant token;
- a **participant token** (the personal rejoin link): notes, votes, blind scores, ready,
  heartbeat; reads show the participant their own notes and what has been revealed;
- the **public join link** (``link_token``, on the projector with the join code): join;
  as a viewer token it reads the projector's view (only what has been revealed);
- the **join code** (6 characters, unambiguous alphabet): join, limited against guessing.

Writes start with :func:`strategy_canvas.services.items.begin_write` (after resolving the
caller's secret to its canvas): it bumps the canvas change counter that every screen
polls and serialises the canvas's writers (the SQLite write lock; a row lock on
PostgreSQL), so budgets and caps are counted inside the same transaction and hold under
any number of simultaneous voters. The one exception is :func:`heartbeat`: presence is
read by time, and bumping the counter every second for every participant would make
every screen reload constantly.

Hidden until revealed: :func:`board` and :func:`score_summary` filter here, not in the
page: before the facilitator reveals a step's notes, a participant gets only their own
notes' text (others' as placeholders without id or text); before votes are revealed, only
their own votes and remaining budget; before scores are revealed, only how many scored.
The facilitator sees everything; the projector view (the public link) sees only what is
revealed. When notes are anonymous, no reader gets the author's name.

Join-code guessing is limited on the server, in the database (so every app process
shares the limit), counting failed attempts of the last minute:

- per workshop: at most :data:`MAX_FAILED_JOINS_PER_CODE` failures whose code starts
  like the workshop's code (its first :data:`CODE_PREFIX_LENGTH` characters; codes are
  drawn so that active workshops do not share a prefix, so the bucket is the
  workshop's). Someone who read part of a code off the projector cannot try the rest;
- globally: at most :data:`MAX_FAILED_JOINS_GLOBAL` failures across all codes, since a
  random guess names no known workshop; with 32⁶ ≈ 10⁹ codes this makes guessing any
  running workshop's code hopeless.

Over either limit every join by code in that bucket is refused for the rest of the
window, even with the right code (checked before the code is looked up, or the refusal
would tell a right guess from a wrong one); refusals themselves do not count, so the
window ends a minute after the last failure. Joins by the link are not limited: its
token has 144 random bits.

Time: every function that depends on the time takes ``now`` (default :func:`clock`,
which tests may also monkeypatch).
"""

from __future__ import annotations

import math
import secrets
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import items
from strategy_canvas.services.errors import (
    ConflictError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from strategy_canvas.services.validation import validate

# ------------------------------------------------------------------------ settings

FACILITATOR_KEY_BYTES = 24  # 32 URL-safe characters
TOKEN_BYTES = 18  # 24 URL-safe characters, 144 bits: participant and link tokens
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
JOIN_CODE_LENGTH = 6
CODE_PREFIX_LENGTH = 3
ATTEMPT_WINDOW = timedelta(minutes=1)
ATTEMPTS_KEPT = timedelta(minutes=10)
MAX_FAILED_JOINS_PER_CODE = 10
MAX_FAILED_JOINS_GLOBAL = 60
#: PostgreSQL advisory lock that serialises joins, so the failure counts are exact
JOIN_LOCK_KEY = 0x5C_0001

#: a participant counts as here when seen within this many seconds
PRESENCE_SECONDS = 30
#: heartbeats closer together than this are not written
HEARTBEAT_MIN_SECONDS = 5
TIMER_MAX_SECONDS = 4 * 3600

#: blind scores whose spread is at least this call for a discussion
DISCUSS_STD = 2.0
DISCUSS_RANGE = 4

REVEALABLE = ("notes", "votes", "scores")
Revealable = Literal["notes", "votes", "scores"]
Role = Literal["facilitator", "participant", "audience"]

#: what a note of each step can become
PROMOTION_KINDS: dict[int, tuple[str, ...]] = {
    1: ("problem", "persona", "assumption"),
    2: ("goal",),
    3: ("feature",),
    4: ("roadmap_item", "risk"),
    5: ("feedback", "flaw"),
}
#: promoted items that are actions (someone does something); the rest are decisions
ACTION_KINDS = frozenset({"roadmap_item", "risk", "flaw"})
#: where the whole note goes when it is too long for the item's title
DETAIL_FIELDS = {
    "problem": "statement",
    "persona": "description",
    "goal": "description",
    "feature": "description",
    "roadmap_item": "notes",
    "flaw": "description",
}

#: Blind effort (1 = tiny .. 10 = huge, the scale participants score on) mapped to the
#: feature's ``effort`` in person-months (RICE's unit): 1 ≈ a week, 3 ≈ a month,
#: 6 ≈ a quarter, 10 ≈ a year. A mean between two points is interpolated linearly.
EFFORT_PERSON_MONTHS: dict[int, float] = {
    1: 0.25,
    2: 0.5,
    3: 1.0,
    4: 1.5,
    5: 2.0,
    6: 3.0,
    7: 4.0,
    8: 6.0,
    9: 9.0,
    10: 12.0,
}


def clock() -> datetime:
    """Now, in UTC; tests monkeypatch it or pass ``now``."""
    return m.utcnow()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock()


# --------------------------------------------------------------------- result types


class StartedWorkshop(NamedTuple):
    workshop: m.Workshop
    #: the facilitator's secret: keep it out of anything shown to others
    facilitator_key: str
    join_code: str
    #: the token of the public join link
    link_token: str


class SyncState(NamedTuple):
    """What a live fragment polls: one indexed query (two for a link token)."""

    revision: int
    step: int | None
    phase: str | None
    timer_ends_at: datetime | None
    timer_label: str
    seconds_left: float | None
    time_is_up: bool
    timer_read_only: bool
    follow_me: bool
    status: str | None
    workshop_id: int | None
    workshop_version: int | None
    changed_at: datetime


@dataclass(frozen=True)
class WorkshopView:
    """A workshop as the holder of a viewer token sees it (no facilitator key)."""

    workshop: m.WorkshopPublic
    role: Role
    me: m.ParticipantPublic | None
    #: step, locked, notes_revealed, votes_revealed, scores_revealed
    steps: pd.DataFrame


@dataclass(frozen=True)
class Board:
    """The notes of one step as one viewer may see them.

    ``notes`` has one row per note, in the order written: note_id, text, hidden, mine,
    author, theme_id, theme, promoted_kind, promoted_item_id, votes, my_votes. A hidden
    note (another's, before reveal) is a placeholder: no id, no text, no theme; only its
    author's name when notes are not anonymous. ``votes`` (totals) is <NA> until votes
    are revealed (the facilitator always sees them). ``features`` (step 3) has
    feature_id, title, votes, my_votes the same way. ``tally`` ranks every voted item
    once totals are visible: target_kind, target_id, label, votes.
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


@dataclass(frozen=True)
class Presence:
    """``people``: participant_id, display_name, is_facilitator, ready, here, me,
    last_seen_at, facilitator first, then in order of joining."""

    people: pd.DataFrame
    total: int
    here: int
    ready: int


# ------------------------------------------------------------------------ helpers


def _commit(session: Session, row: Any, *, reload: bool = True) -> None:
    """Commit, handing ``row`` back as stored and detached: usable after the session
    closes, and no read after the commit (on SQLite a read in a writing session begins
    a transaction that holds the write lock until the session ends). ``reload=False``
    for a row written through the ORM, whose attributes are what was stored."""
    session.flush()
    if reload:
        session.refresh(row)
    session.expunge(row)
    session.commit()


def _detached(session: Session, table: type[Any], row_id: Any) -> Any:
    """After a failed write (rolled back): the stored row, readable after the session
    closes (None if it is gone), with no transaction left open."""
    stored = session.get(table, row_id, populate_existing=True)
    if stored is not None:
        session.expunge(stored)
    session.rollback()
    return stored


@contextmanager
def _rollback_on_error(session: Session) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if session.in_transaction():
            session.rollback()
        raise


def _check_step(step: int) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step not in m.WORKSHOP_STEPS:
        raise ValidationFailed.single("step", "Step", "must be a whole number from 1 to 5")
    return step


def _not_facilitator() -> PermissionDenied:
    return PermissionDenied(
        "Only the facilitator can do this, and the key given is not a facilitator's key."
    )


def _not_participant() -> PermissionDenied:
    return PermissionDenied(
        "This personal link does not belong to anyone in a workshop; join with the code."
    )


def _ended() -> PermissionDenied:
    return PermissionDenied("This workshop has ended; it can no longer be changed.")


def _facilitator_ids(session: Session, facilitator_key: str) -> tuple[int, str]:
    row = session.exec(
        select(m.Workshop.id, m.Canvas.token)
        .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
        .where(m.Workshop.facilitator_key == facilitator_key)
    ).first()
    if row is None or not facilitator_key:
        raise _not_facilitator()
    workshop_id, canvas_token = row
    assert workshop_id is not None
    return workshop_id, canvas_token


def _begin_facilitator_write(
    session: Session, facilitator_key: str, *, active: bool = True
) -> tuple[m.Workshop, str]:
    """Check the key, begin the write on its canvas, return the workshop as it is now."""
    workshop_id, canvas_token = _facilitator_ids(session, facilitator_key)
    items.begin_write(session, canvas_token)
    session.expire_all()
    workshop = session.get(m.Workshop, workshop_id)
    assert workshop is not None
    if active and workshop.status != "active":
        session.rollback()
        raise _ended()
    return workshop, canvas_token


@dataclass(frozen=True)
class _Seat:
    participant: m.Participant
    workshop: m.Workshop
    canvas_token: str

    @property
    def is_facilitator(self) -> bool:
        return self.participant.is_facilitator


def _seat(session: Session, participant_token: str) -> _Seat:
    row = session.exec(
        select(m.Participant, m.Workshop, m.Canvas.token)
        .join(m.Workshop, col(m.Workshop.id) == m.Participant.workshop_id)
        .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
        .where(m.Participant.token == participant_token)
    ).first()
    if row is None or not participant_token:
        raise _not_participant()
    return _Seat(*row)


def _begin_participant_write(session: Session, participant_token: str) -> _Seat:
    """Check the token, begin the write on its canvas, return the seat as it is now."""
    seat = _seat(session, participant_token)
    items.begin_write(session, seat.canvas_token)
    session.expire_all()
    participant = session.get(m.Participant, seat.participant.id)
    workshop = session.get(m.Workshop, seat.workshop.id)
    assert participant is not None and workshop is not None
    return _Seat(participant, workshop, seat.canvas_token)


def _step_state(session: Session, workshop_id: int, step: int) -> m.WorkshopStep:
    state = session.get(m.WorkshopStep, (workshop_id, step))
    assert state is not None, "every workshop has a row per step"
    return state


def _check_can_contribute(session: Session, seat: _Seat, step: int, now: datetime) -> None:
    """Refuse a participant's write when the workshop ended, the step is locked, or
    the timer ran out with read-only on. The facilitator is held only by the end."""
    workshop = seat.workshop
    if workshop.status != "active":
        raise _ended()
    if seat.is_facilitator:
        return
    if _step_state(session, workshop.id or 0, step).locked:
        raise PermissionDenied(f"Step {step} is locked by the facilitator.")
    if _time_is_up(workshop, now) and workshop.timer_read_only:
        raise PermissionDenied(
            "Time is up: the board is read-only until the facilitator restarts the timer."
        )


def _time_is_up(workshop: m.Workshop, now: datetime) -> bool:
    return workshop.timer_ends_at is not None and workshop.timer_ends_at <= now


def _note_of(session: Session, workshop_id: int, note_id: int) -> m.Note:
    note = session.exec(
        select(m.Note).where(m.Note.id == note_id, m.Note.workshop_id == workshop_id)
    ).first()
    if note is None:
        raise NotFound("This note is not on this workshop's board; it may have been removed.")
    return note


def _feature_of(session: Session, canvas_id: int, feature_id: int) -> m.Feature:
    feature = session.exec(
        select(m.Feature).where(m.Feature.id == feature_id, m.Feature.canvas_id == canvas_id)
    ).first()
    if feature is None:
        raise NotFound("This feature is not on this workshop's canvas.")
    return feature


def _bump_workshop(session: Session, workshop_id: int, **values: Any) -> None:
    session.exec(
        sa.update(m.Workshop)
        .where(col(m.Workshop.id) == workshop_id)
        .values(**values, version=m.Workshop.version + 1)
    )


def _public(workshop: m.Workshop) -> m.WorkshopPublic:
    return m.WorkshopPublic.model_validate(workshop, from_attributes=True)


def _target(note_id: int | None, feature_id: int | None) -> tuple[str, int]:
    """A vote's target as ("note", id) or ("feature", id)."""
    if note_id is not None:
        return "note", note_id
    return "feature", feature_id or 0


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------ start and join


def _new_join_code(session: Session) -> str:
    """A code no active workshop has, preferably with a prefix none has either (so the
    per-code failure bucket is one workshop's)."""
    code = ""
    for attempt in range(64):
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        clash = col(m.Workshop.join_code) == code
        if attempt < 48:
            clash = col(m.Workshop.join_code).startswith(code[:CODE_PREFIX_LENGTH])
        if session.exec(select(m.Workshop.id).where(clash)).first() is None:
            return code
    raise RuntimeError("could not draw a free join code")  # pragma: no cover


def start_workshop(
    *,
    session: Session,
    canvas_token: str,
    title: str,
    facilitator_name: str = "Facilitator",
    vote_budget: int = 5,
    vote_cap: int = 3,
    anonymous_notes: bool = True,
    now: datetime | None = None,
) -> StartedWorkshop:
    """Start a workshop on the canvas (one at a time per canvas).

    Needs the canvas token. Returns the workshop, the facilitator's key (show it only to
    the facilitator), the join code and the public join link's token.
    """
    settings = validate(
        m.WorkshopCreate,
        {
            "title": title,
            "vote_budget": vote_budget,
            "vote_cap": vote_cap,
            "anonymous_notes": anonymous_notes,
        },
        what="Workshop",
    )
    facilitator = validate(m.ParticipantCreate, {"display_name": facilitator_name}, what="You")
    now = _now(now)
    canvas_id = items.begin_write(session, canvas_token)
    with _rollback_on_error(session):
        running = session.exec(
            select(m.Workshop.id).where(
                m.Workshop.canvas_id == canvas_id, m.Workshop.status == "active"
            )
        ).first()
        if running is not None:
            raise ValidationFailed.single(
                "canvas",
                "Canvas",
                "has a workshop running already; end it before starting another",
                what="Workshop",
            )
        key = secrets.token_urlsafe(FACILITATOR_KEY_BYTES)
        workshop = m.Workshop(
            **settings.model_dump(),
            canvas_id=canvas_id,
            facilitator_key=key,
            join_code=_new_join_code(session),
            link_token=secrets.token_urlsafe(TOKEN_BYTES),
            started_at=now,
        )
        session.add(workshop)
        session.flush()
        assert workshop.id is not None
        session.add_all(m.WorkshopStep(workshop_id=workshop.id, step=s) for s in m.WORKSHOP_STEPS)
        session.add(
            m.Participant(
                display_name=facilitator.display_name,
                workshop_id=workshop.id,
                token=key,
                is_facilitator=True,
                joined_at=now,
                last_seen_at=now,
            )
        )
        _commit(session, workshop)
    assert workshop.join_code is not None
    return StartedWorkshop(workshop, key, workshop.join_code, workshop.link_token)


def normalise_join_code(code: str) -> str:
    """What people type ("k7m-2pq ") as stored ("K7M2PQ")."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())[:16]


def _failed_joins(session: Session, since: datetime, prefix: str | None = None) -> int:
    query = select(sa.func.count()).select_from(m.JoinAttempt).where(m.JoinAttempt.at > since)
    if prefix is not None:
        query = query.where(m.JoinAttempt.code_prefix == prefix)
    return int(session.exec(query).one())


def _serialise_joins(session: Session) -> None:
    """On PostgreSQL, one join at a time (SQLite's BEGIN IMMEDIATE does it already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.select(sa.func.pg_advisory_xact_lock(JOIN_LOCK_KEY)))  # type: ignore[call-overload]


def _guard_join_attempts(session: Session, prefix: str, now: datetime) -> None:
    since = now - ATTEMPT_WINDOW
    if (
        _failed_joins(session, since) >= MAX_FAILED_JOINS_GLOBAL
        or _failed_joins(session, since, prefix) >= MAX_FAILED_JOINS_PER_CODE
    ):
        session.rollback()
        raise PermissionDenied(
            "Too many attempts; wait a minute and try again (or open the join link)."
        )


def _record_failed_join(session: Session, prefix: str, now: datetime) -> None:
    session.exec(sa.delete(m.JoinAttempt).where(col(m.JoinAttempt.at) < now - ATTEMPTS_KEPT))
    session.add(m.JoinAttempt(code_prefix=prefix, at=now))
    session.commit()


def join(
    *,
    session: Session,
    display_name: str,
    join_code: str | None = None,
    link_token: str | None = None,
    now: datetime | None = None,
) -> m.Participant:
    """Join an active workshop by its code or its public link; returns the new
    participant, whose ``token`` is their personal rejoin token (put it in their link).

    A wrong code raises NotFound and counts against the guessing limits; over them,
    PermissionDenied "Too many attempts; wait a minute" (see the module docstring).
    """
    who = validate(m.ParticipantCreate, {"display_name": display_name}, what="Join")
    if (join_code is None) == (link_token is None):
        raise ValidationFailed.single(
            "join_code", "Join code", "give the join code, or open the join link", what="Join"
        )
    now = _now(now)
    with _rollback_on_error(session):
        if link_token is not None:
            workshop = session.exec(
                select(m.Workshop).where(m.Workshop.link_token == link_token)
            ).first()
            if workshop is None or not link_token:
                raise NotFound("This join link is not valid; ask the facilitator for the code.")
            if workshop.status != "active":
                raise PermissionDenied("This workshop has ended.")
        else:
            code = normalise_join_code(join_code or "")
            prefix = code[:CODE_PREFIX_LENGTH]
            _serialise_joins(session)
            _guard_join_attempts(session, prefix, now)
            workshop = session.exec(
                select(m.Workshop).where(
                    m.Workshop.join_code == code, m.Workshop.status == "active"
                )
            ).first()
            if workshop is None or not code:
                _record_failed_join(session, prefix, now)
                raise NotFound("No workshop is running with this code; check it and try again.")
        workshop_id = workshop.id or 0
        canvas_token = session.exec(
            select(m.Canvas.token).where(m.Canvas.id == workshop.canvas_id)
        ).one()
        items.begin_write(session, canvas_token)
        session.refresh(workshop)  # as it is now that the canvas's writers wait for us
        if workshop.status != "active":
            raise PermissionDenied("This workshop has ended.")
        participant = m.Participant(
            display_name=who.display_name,
            workshop_id=workshop_id,
            token=secrets.token_urlsafe(TOKEN_BYTES),
            joined_at=now,
            last_seen_at=now,
        )
        session.add(participant)
        _commit(session, participant, reload=False)
    return participant


def rejoin(
    *, session: Session, participant_token: str, now: datetime | None = None
) -> m.Participant:
    """The same participant again (after closing the tab), from their personal token."""
    seat = _seat(session, participant_token)
    now = _now(now)
    session.exec(
        sa.update(m.Participant)
        .where(col(m.Participant.id) == seat.participant.id)
        .values(last_seen_at=now)
    )
    _commit(session, seat.participant)
    return seat.participant


def recover_facilitator_key(*, session: Session, canvas_token: str, workshop_id: int) -> str:
    """The facilitator key of one of the canvas's workshops, for the holder of the canvas
    token (who has every right on the canvas anyway): a facilitator who lost their key
    link takes the workshop back from the canvas."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    key = session.exec(
        select(m.Workshop.facilitator_key).where(
            m.Workshop.id == workshop_id, m.Workshop.canvas_id == canvas_id
        )
    ).first()
    if key is None:
        raise NotFound("This canvas has no such workshop.")
    return key


def get_workshop_for_facilitator(*, session: Session, facilitator_key: str) -> m.Workshop:
    """The workshop, with its key, code and link, for the holder of its facilitator key."""
    workshop_id, _ = _facilitator_ids(session, facilitator_key)
    session.expire_all()
    workshop = session.get(m.Workshop, workshop_id)
    assert workshop is not None
    return workshop


# ---------------------------------------------------------------- viewers and reads


@dataclass(frozen=True)
class _Viewer:
    workshop: m.Workshop
    canvas_token: str
    participant: m.Participant | None
    role: Role


def _viewer(session: Session, viewer_token: str) -> _Viewer:
    """Whoever holds ``viewer_token``: the facilitator, a participant, or the projector
    (the public link)."""
    session.expire_all()
    if viewer_token:
        row = session.exec(
            select(m.Participant, m.Workshop, m.Canvas.token)
            .join(m.Workshop, col(m.Workshop.id) == m.Participant.workshop_id)
            .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
            .where(m.Participant.token == viewer_token)
        ).first()
        if row is not None:
            participant, workshop, token = row
            role: Role = "facilitator" if participant.is_facilitator else "participant"
            return _Viewer(workshop, token, participant, role)
        public = session.exec(
            select(m.Workshop, m.Canvas.token)
            .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
            .where(m.Workshop.link_token == viewer_token)
        ).first()
        if public is not None:
            return _Viewer(public[0], public[1], None, "audience")
    raise PermissionDenied("This link does not give access to a workshop.")


def _steps_frame(session: Session, workshop_id: int) -> pd.DataFrame:
    columns = ["step", "locked", "notes_revealed", "votes_revealed", "scores_revealed"]
    rows = session.exec(
        select(m.WorkshopStep)
        .where(m.WorkshopStep.workshop_id == workshop_id)
        .order_by(col(m.WorkshopStep.step))
    )
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)


def workshop_view(*, session: Session, viewer_token: str) -> WorkshopView:
    """The workshop, the viewer's role and seat, and each step's lock and reveals."""
    viewer = _viewer(session, viewer_token)
    me = None
    if viewer.participant is not None:
        me = m.ParticipantPublic.model_validate(viewer.participant, from_attributes=True)
    return WorkshopView(
        workshop=_public(viewer.workshop),
        role=viewer.role,
        me=me,
        steps=_steps_frame(session, viewer.workshop.id or 0),
    )


def list_workshops(*, session: Session, canvas_token: str) -> list[m.WorkshopPublic]:
    """The canvas's workshops, newest first (needs the canvas token)."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    session.expire_all()
    rows = session.exec(
        select(m.Workshop)
        .where(m.Workshop.canvas_id == canvas_id)
        .order_by(col(m.Workshop.started_at).desc(), col(m.Workshop.id).desc())
    )
    return [_public(w) for w in rows]


_SYNC_COLUMNS: tuple[Any, ...] = (
    m.CanvasRevision.revision,
    m.CanvasRevision.changed_at,
    m.Workshop.id,
    m.Workshop.status,
    m.Workshop.current_step,
    m.Workshop.phase,
    m.Workshop.follow_me,
    m.Workshop.timer_ends_at,
    m.Workshop.timer_label,
    m.Workshop.timer_read_only,
    m.Workshop.version,
)


def sync_state(
    *,
    session: Session,
    canvas_token: str | None = None,
    viewer_token: str | None = None,
    now: datetime | None = None,
) -> SyncState:
    """The canvas's change counter and its active workshop's pace, for live sync.

    Give the canvas token (editors, the facilitator's canvas pages) or a viewer token
    (participant token, facilitator key or public link). One indexed query; a public
    link costs a second one. With no active workshop (canvas token), the workshop's
    fields are None.
    """
    if (canvas_token is None) == (viewer_token is None):
        raise ValueError("give exactly one of canvas_token and viewer_token")
    row = None
    if canvas_token is not None:
        row = session.exec(  # type: ignore[call-overload]
            sa.select(*_SYNC_COLUMNS)
            .select_from(m.Canvas)
            .join(m.CanvasRevision, col(m.CanvasRevision.canvas_id) == m.Canvas.id)
            .outerjoin(
                m.Workshop,
                sa.and_(
                    col(m.Workshop.canvas_id) == m.Canvas.id,
                    col(m.Workshop.status) == "active",
                ),
            )
            .where(col(m.Canvas.token) == canvas_token)
        ).first()
        if row is None:
            raise NotFound("No canvas has this link; check the link or ask for a new one.")
    elif viewer_token:
        row = session.exec(  # type: ignore[call-overload]
            sa.select(*_SYNC_COLUMNS)
            .select_from(m.Participant)
            .join(m.Workshop, col(m.Workshop.id) == m.Participant.workshop_id)
            .join(m.CanvasRevision, col(m.CanvasRevision.canvas_id) == m.Workshop.canvas_id)
            .where(col(m.Participant.token) == viewer_token)
        ).first()
        if row is None:
            row = session.exec(  # type: ignore[call-overload]
                sa.select(*_SYNC_COLUMNS)
                .select_from(m.Workshop)
                .join(m.CanvasRevision, col(m.CanvasRevision.canvas_id) == m.Workshop.canvas_id)
                .where(col(m.Workshop.link_token) == viewer_token)
            ).first()
    if row is None:
        raise PermissionDenied("This link does not give access to a workshop.")
    (revision, changed_at, workshop_id, status, step, phase, follow_me) = row[:7]
    ends_at, label, read_only, version = row[7:]
    seconds_left = None
    if ends_at is not None:
        seconds_left = max(0.0, (ends_at - _now(now)).total_seconds())
    return SyncState(
        revision=int(revision),
        step=step,
        phase=phase,
        timer_ends_at=ends_at,
        timer_label=label or "",
        seconds_left=seconds_left,
        time_is_up=seconds_left == 0.0,
        timer_read_only=bool(read_only),
        follow_me=bool(follow_me),
        status=status,
        workshop_id=workshop_id,
        workshop_version=version,
        changed_at=changed_at,
    )


# ------------------------------------------------------------------------- presence


def heartbeat(*, session: Session, participant_token: str, now: datetime | None = None) -> None:
    """Mark the participant as here. Writes at most every few seconds and does not bump
    the canvas's change counter (presence is read by time, see :func:`presence`)."""
    now = _now(now)
    result = session.exec(
        sa.update(m.Participant)
        .where(
            col(m.Participant.token) == participant_token,
            sa.or_(
                col(m.Participant.last_seen_at).is_(None),
                col(m.Participant.last_seen_at) < now - timedelta(seconds=HEARTBEAT_MIN_SECONDS),
            ),
        )
        .values(last_seen_at=now)
    )
    if result.rowcount == 0:
        _seat(session, participant_token)  # raises for a token that names no one
    session.commit()


def set_ready(*, session: Session, participant_token: str, ready: bool = True) -> m.Participant:
    """Say "I'm ready" (or not). Going to another step clears everyone's ready."""
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        if seat.workshop.status != "active":
            raise _ended()
        seat.participant.ready = bool(ready)
        session.add(seat.participant)
        _commit(session, seat.participant, reload=False)
    return seat.participant


def presence(
    *,
    session: Session,
    viewer_token: str,
    now: datetime | None = None,
    within_seconds: float = PRESENCE_SECONDS,
) -> Presence:
    """Who is in the workshop, who is here (seen within ``within_seconds``), who is
    ready. Any viewer of the workshop may read it; no tokens are returned."""
    viewer = _viewer(session, viewer_token)
    cutoff = _now(now) - timedelta(seconds=within_seconds)
    me = viewer.participant.id if viewer.participant is not None else None
    rows = []
    for p in session.exec(
        select(m.Participant)
        .where(m.Participant.workshop_id == viewer.workshop.id)
        .order_by(col(m.Participant.is_facilitator).desc(), col(m.Participant.id))
    ):
        rows.append(
            {
                "participant_id": p.id,
                "display_name": p.display_name,
                "is_facilitator": p.is_facilitator,
                "ready": p.ready,
                "here": p.last_seen_at is not None and p.last_seen_at >= cutoff,
                "me": p.id == me,
                "last_seen_at": p.last_seen_at,
            }
        )
    people = pd.DataFrame(
        rows,
        columns=[
            "participant_id",
            "display_name",
            "is_facilitator",
            "ready",
            "here",
            "me",
            "last_seen_at",
        ],
    )
    return Presence(
        people=people,
        total=len(rows),
        here=sum(bool(r["here"]) for r in rows),
        ready=sum(bool(r["ready"]) for r in rows),
    )


# --------------------------------------------------------------- facilitator: pacing


def update_workshop(
    *,
    session: Session,
    facilitator_key: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> m.Workshop:
    """Change the workshop's settings (any field of WorkshopCreate: title, step, phase,
    follow me, vote rules, anonymity, timer label). Facilitator only.

    ``expected_version``, when given, must still be the workshop's version (else
    ConflictError): for a settings form opened earlier.
    """
    workshop, _ = _begin_facilitator_write(session, facilitator_key)
    with _rollback_on_error(session):
        merged = {name: getattr(workshop, name) for name in m.WorkshopCreate.model_fields}
        unknown = [k for k in changes if k not in m.WorkshopCreate.model_fields]
        if unknown:
            raise ValidationFailed(
                [FieldError(k, k, "is not a setting of a workshop") for k in unknown],
                what="Workshop",
            )
        merged.update(changes)
        values = validate(m.WorkshopCreate, merged, what="Workshop").model_dump()
        changed = {k: values[k] for k in changes}
        query = sa.update(m.Workshop).where(col(m.Workshop.id) == workshop.id)
        if expected_version is not None:
            query = query.where(col(m.Workshop.version) == expected_version)
        result = session.exec(query.values(**changed, version=m.Workshop.version + 1))
        if result.rowcount == 0:
            session.rollback()
            stored = _detached(session, m.Workshop, workshop.id)
            raise ConflictError(
                "workshop",
                workshop.id or 0,
                current=stored,
                attempted=dict(changes),
                expected_version=expected_version or 0,
            )
        if "current_step" in changes:
            session.exec(
                sa.update(m.Participant)
                .where(col(m.Participant.workshop_id) == workshop.id)
                .values(ready=False)
            )
        _commit(session, workshop)
    return workshop


def go_to_step(
    *,
    session: Session,
    facilitator_key: str,
    step: int,
    phase: m.WorkshopPhase = "brainstorm",
) -> m.Workshop:
    """Move the workshop to ``step`` (and ``phase``, brainstorm by default); clears
    everyone's ready flag. With follow-me on, every screen goes there."""
    return update_workshop(
        session=session,
        facilitator_key=facilitator_key,
        changes={"current_step": step, "phase": phase},
    )


def set_phase(*, session: Session, facilitator_key: str, phase: m.WorkshopPhase) -> m.Workshop:
    """brainstorm | group | vote | score | discuss (what the screens put forward)."""
    return update_workshop(
        session=session, facilitator_key=facilitator_key, changes={"phase": phase}
    )


def set_follow_me(*, session: Session, facilitator_key: str, follow_me: bool) -> m.Workshop:
    return update_workshop(
        session=session, facilitator_key=facilitator_key, changes={"follow_me": follow_me}
    )


def set_vote_rules(*, session: Session, facilitator_key: str, budget: int, cap: int) -> m.Workshop:
    """Votes per person and step (``budget``) and per person on one item (``cap``)."""
    return update_workshop(
        session=session,
        facilitator_key=facilitator_key,
        changes={"vote_budget": budget, "vote_cap": cap},
    )


def _set_step_flags(
    session: Session, facilitator_key: str, step: int, *, active: bool, **flags: bool
) -> m.WorkshopStep:
    _check_step(step)
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=active)
    with _rollback_on_error(session):
        state = _step_state(session, workshop.id or 0, step)
        for name, value in flags.items():
            setattr(state, name, value)
        session.add(state)
        _bump_workshop(session, workshop.id or 0)
        _commit(session, state, reload=False)
    return state


def lock_step(*, session: Session, facilitator_key: str, step: int) -> m.WorkshopStep:
    """Participants can no longer add, edit, vote or score in ``step``."""
    return _set_step_flags(session, facilitator_key, step, active=True, locked=True)


def unlock_step(*, session: Session, facilitator_key: str, step: int) -> m.WorkshopStep:
    return _set_step_flags(session, facilitator_key, step, active=True, locked=False)


def reveal(
    *,
    session: Session,
    facilitator_key: str,
    step: int,
    what: Revealable,
    revealed: bool = True,
) -> m.WorkshopStep:
    """Reveal (or hide again) the step's notes, votes or blind scores (step 3 only).

    Revealing votes closes voting in the step, revealing scores closes scoring.
    """
    if what not in REVEALABLE:
        raise ValidationFailed.single(
            "what", "What to reveal", f"must be one of {', '.join(REVEALABLE)}"
        )
    if what == "scores" and step != 3:
        raise ValidationFailed.single(
            "step", "Step", "blind scores are given to features, in step 3"
        )
    return _set_step_flags(
        session, facilitator_key, step, active=False, **{f"{what}_revealed": bool(revealed)}
    )


def start_timer(
    *,
    session: Session,
    facilitator_key: str,
    seconds: int,
    label: str = "",
    read_only_when_up: bool = False,
    now: datetime | None = None,
) -> m.Workshop:
    """Run a countdown of ``seconds`` shown on every screen; with ``read_only_when_up``
    participants cannot add, edit, vote or score once it reaches zero."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not (1 <= seconds <= TIMER_MAX_SECONDS)
    ):
        raise ValidationFailed.single(
            "seconds",
            "Duration",
            f"must be between 1 second and {TIMER_MAX_SECONDS // 3600} hours",
            what="Timer",
        )
    now = _now(now)
    workshop, _ = _begin_facilitator_write(session, facilitator_key)
    with _rollback_on_error(session):
        merged = {name: getattr(workshop, name) for name in m.WorkshopCreate.model_fields}
        merged.update(timer_label=label, timer_read_only=read_only_when_up)
        values = validate(m.WorkshopCreate, merged, what="Timer")
        _bump_workshop(
            session,
            workshop.id or 0,
            timer_ends_at=now + timedelta(seconds=seconds),
            timer_label=values.timer_label,
            timer_read_only=values.timer_read_only,
        )
        _commit(session, workshop)
    return workshop


def stop_timer(*, session: Session, facilitator_key: str) -> m.Workshop:
    """Clear the timer (and the read-only it may have brought)."""
    workshop, _ = _begin_facilitator_write(session, facilitator_key)
    with _rollback_on_error(session):
        _bump_workshop(
            session, workshop.id or 0, timer_ends_at=None, timer_label="", timer_read_only=False
        )
        _commit(session, workshop)
    return workshop


def end_workshop(
    *, session: Session, facilitator_key: str, now: datetime | None = None
) -> m.Workshop:
    """End the workshop: no more notes, votes or scores; the code is freed. Notes,
    themes, votes and scores stay in the canvas, and the facilitator can still group,
    promote and apply scores afterwards."""
    now = _now(now)
    workshop, _ = _begin_facilitator_write(session, facilitator_key)
    with _rollback_on_error(session):
        _bump_workshop(
            session,
            workshop.id or 0,
            status="ended",
            ended_at=now,
            join_code=None,
            timer_ends_at=None,
            timer_read_only=False,
        )
        _commit(session, workshop)
    return workshop


# -------------------------------------------------------------------- participants


def add_note(
    *,
    session: Session,
    participant_token: str,
    step: int,
    text: str,
    now: datetime | None = None,
) -> m.Note:
    """Add a note to ``step``'s board. Refused when the workshop ended, the step is
    locked, or the timer ran out with read-only on."""
    valid = validate(m.NoteCreate, {"step": step, "text": text}, what="Note")
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        _check_can_contribute(session, seat, valid.step, now)
        note = m.Note(
            **valid.model_dump(),
            canvas_id=seat.workshop.canvas_id,
            workshop_id=seat.workshop.id or 0,
            participant_id=seat.participant.id,
            created_at=now,
            updated_at=now,
        )
        session.add(note)
        _commit(session, note, reload=False)
    return note


def _own_note(session: Session, seat: _Seat, note_id: int) -> m.Note:
    note = _note_of(session, seat.workshop.id or 0, note_id)
    if note.participant_id != seat.participant.id:
        raise PermissionDenied("You can only change your own notes.")
    return note


def edit_own_note(
    *,
    session: Session,
    participant_token: str,
    note_id: int,
    text: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> m.Note:
    """Change the text of one's own note (same rules as adding one)."""
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        note = _own_note(session, seat, note_id)
        valid = validate(m.NoteCreate, {"step": note.step, "text": text}, what="Note")
        _check_can_contribute(session, seat, note.step, now)
        query = sa.update(m.Note).where(col(m.Note.id) == note_id)
        if expected_version is not None:
            query = query.where(col(m.Note.version) == expected_version)
        result = session.exec(
            query.values(text=valid.text, updated_at=now, version=m.Note.version + 1)
        )
        if result.rowcount == 0:
            session.rollback()
            stored = _detached(session, m.Note, note_id)
            raise ConflictError(
                "note",
                note_id,
                current=stored,
                attempted={"text": text},
                expected_version=expected_version or 0,
            )
        _commit(session, note)
    return note


def delete_own_note(
    *, session: Session, participant_token: str, note_id: int, now: datetime | None = None
) -> None:
    """Take back one's own note (same rules as adding one); its votes go with it."""
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        note = _own_note(session, seat, note_id)
        _check_can_contribute(session, seat, note.step, now)
        session.exec(sa.delete(m.Note).where(col(m.Note.id) == note_id))
        session.commit()


def _vote_target(
    session: Session, seat: _Seat, note_id: int | None, feature_id: int | None
) -> tuple[int, Any]:
    """(step, where-clause naming the target) after checking the target is reachable."""
    valid = validate(m.VoteCreate, {"note_id": note_id, "feature_id": feature_id}, what="Vote")
    if valid.note_id is not None:
        note = _note_of(session, seat.workshop.id or 0, valid.note_id)
        if not _step_state(session, seat.workshop.id or 0, note.step).notes_revealed:
            raise PermissionDenied(
                f"The notes of step {note.step} are not revealed yet; vote once they are."
            )
        return note.step, col(m.Vote.note_id) == note.id
    assert valid.feature_id is not None
    feature = _feature_of(session, seat.workshop.canvas_id, valid.feature_id)
    return 3, col(m.Vote.feature_id) == feature.id


def _votes_open(session: Session, seat: _Seat, step: int, now: datetime) -> None:
    _check_can_contribute(session, seat, step, now)
    if _step_state(session, seat.workshop.id or 0, step).votes_revealed:
        raise PermissionDenied(f"The votes of step {step} are revealed; voting there is closed.")


def vote(
    *,
    session: Session,
    participant_token: str,
    note_id: int | None = None,
    feature_id: int | None = None,
    seen: int | None = None,
    now: datetime | None = None,
) -> m.Vote | None:
    """Give one vote to a note (once its step's notes are revealed) or to a feature of
    the canvas (step 3). Each person has ``vote_budget`` votes per step and may give one
    item at most ``vote_cap`` of them; both are counted in the write's transaction, after
    ``begin_write`` has serialised the canvas's writers, so they hold under any race.

    ``seen``: how many votes this person had on the item when they clicked. If they have
    another number now, the click was counted already (a request that arrived twice) and
    nothing changes: returns None. A click counts once."""
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        step, on_target = _vote_target(session, seat, note_id, feature_id)
        _votes_open(session, seat, step, now)
        mine = (
            select(sa.func.count())
            .select_from(m.Vote)
            .where(m.Vote.participant_id == seat.participant.id, m.Vote.step == step)
        )
        used = int(session.exec(mine).one())
        if used >= seat.workshop.vote_budget:
            raise ValidationFailed.single(
                "vote_budget",
                "Votes per person and step",
                f"you have used all {seat.workshop.vote_budget} of your votes in step "
                f"{step}; take one back to vote for something else",
                what="Vote",
            )
        on_item = int(session.exec(mine.where(on_target)).one())
        if seen is not None and on_item != seen:
            session.rollback()
            return None
        if on_item >= seat.workshop.vote_cap:
            raise ValidationFailed.single(
                "vote_cap",
                "Votes per person on one item",
                f"you have given this item {seat.workshop.vote_cap} votes, the most allowed",
                what="Vote",
            )
        row = m.Vote(
            note_id=note_id,
            feature_id=feature_id,
            canvas_id=seat.workshop.canvas_id,
            workshop_id=seat.workshop.id or 0,
            participant_id=seat.participant.id or 0,
            step=step,
            created_at=now,
        )
        session.add(row)
        _commit(session, row, reload=False)
    return row


def unvote(
    *,
    session: Session,
    participant_token: str,
    note_id: int | None = None,
    feature_id: int | None = None,
    seen: int | None = None,
    now: datetime | None = None,
) -> None:
    """Take back one of one's votes on the note or feature. ``seen`` as for
    :func:`vote`: a click that was counted already changes nothing."""
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        step, on_target = _vote_target(session, seat, note_id, feature_id)
        _votes_open(session, seat, step, now)
        mine = select(m.Vote.id).where(m.Vote.participant_id == seat.participant.id, on_target)
        if seen is not None and len(session.exec(mine).all()) != seen:
            session.rollback()
            return
        vote_id = session.exec(mine.order_by(col(m.Vote.id).desc())).first()
        if vote_id is None:
            raise NotFound("You have no vote on this item to take back.")
        session.exec(sa.delete(m.Vote).where(col(m.Vote.id) == vote_id))
        session.commit()


def blind_score(
    *,
    session: Session,
    participant_token: str,
    feature_id: int,
    value: int,
    effort: int,
    now: datetime | None = None,
) -> m.BlindScore:
    """Score a feature privately: value and effort, 1..10 (scoring again replaces it).
    Refused once the scores are revealed, and under step 3's lock or read-only timer."""
    valid = validate(
        m.BlindScoreCreate,
        {"feature_id": feature_id, "value": value, "effort": effort},
        what="Blind score",
    )
    now = _now(now)
    seat = _begin_participant_write(session, participant_token)
    with _rollback_on_error(session):
        _feature_of(session, seat.workshop.canvas_id, valid.feature_id)
        _check_can_contribute(session, seat, 3, now)
        if _step_state(session, seat.workshop.id or 0, 3).scores_revealed:
            raise PermissionDenied("The scores are revealed; scoring is closed.")
        score = session.exec(
            select(m.BlindScore).where(
                m.BlindScore.participant_id == seat.participant.id,
                m.BlindScore.feature_id == valid.feature_id,
            )
        ).first()
        if score is None:
            score = m.BlindScore(
                **valid.model_dump(),
                canvas_id=seat.workshop.canvas_id,
                workshop_id=seat.workshop.id or 0,
                participant_id=seat.participant.id or 0,
                created_at=now,
                updated_at=now,
            )
        else:
            score.value, score.effort, score.updated_at = valid.value, valid.effort, now
        session.add(score)
        _commit(session, score, reload=False)
    return score


# ------------------------------------------------------------------ board and scores

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
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({k: v for k, v in ints.items() if k in columns})


def board(*, session: Session, viewer_token: str, step: int) -> Board:
    """The notes, themes and votes of ``step`` as the holder of ``viewer_token`` may see
    them (see :class:`Board`; the filtering happens here, not in the page)."""
    _check_step(step)
    viewer = _viewer(session, viewer_token)
    workshop = viewer.workshop
    workshop_id = workshop.id or 0
    state = _step_state(session, workshop_id, step)
    me = viewer.participant.id if viewer.participant is not None else None
    sees_all_notes = viewer.role == "facilitator" or state.notes_revealed
    sees_totals = viewer.role == "facilitator" or state.votes_revealed

    votes = list(
        session.exec(
            select(m.Vote.participant_id, m.Vote.note_id, m.Vote.feature_id).where(
                m.Vote.workshop_id == workshop_id, m.Vote.step == step
            )
        )
    )
    totals: Counter[tuple[str, int]] = Counter()
    mine: Counter[tuple[str, int]] = Counter()
    for participant_id, note_id, feature_id in votes:
        target = _target(note_id, feature_id)
        totals[target] += 1
        if participant_id == me:
            mine[target] += 1

    themes = {
        t.id: t
        for t in session.exec(
            select(m.Theme)
            .where(m.Theme.workshop_id == workshop_id, m.Theme.step == step)
            .order_by(col(m.Theme.id))
        )
    }
    rows, hidden = [], 0
    theme_notes: Counter[int] = Counter()
    theme_votes: Counter[int] = Counter()
    labels: dict[tuple[str, int], str] = {}
    for note, author in session.exec(
        select(m.Note, m.Participant.display_name)
        .outerjoin(m.Participant, col(m.Participant.id) == m.Note.participant_id)
        .where(m.Note.workshop_id == workshop_id, m.Note.step == step)
        .order_by(col(m.Note.id))
    ):
        is_mine = me is not None and note.participant_id == me
        name = None if workshop.anonymous_notes else author
        if not (sees_all_notes or is_mine):
            hidden += 1
            rows.append({"hidden": True, "mine": False, "author": name, "my_votes": 0})
            continue
        target = ("note", note.id or 0)
        labels[target] = _short(note.text)
        theme = themes.get(note.theme_id)
        if theme is not None:
            theme_notes[theme.id or 0] += 1
            theme_votes[theme.id or 0] += totals[target]
        rows.append(
            {
                "note_id": note.id,
                "text": note.text,
                "hidden": False,
                "mine": is_mine,
                "author": name,
                "theme_id": note.theme_id,
                "theme": theme.name if theme is not None else None,
                "promoted_kind": note.promoted_kind,
                "promoted_item_id": note.promoted_item_id,
                "votes": totals[target] if sees_totals else None,
                "my_votes": mine[target],
            }
        )
    notes = _frame(rows, NOTE_COLUMNS, {**_NULLABLE_INTS, "votes": "Int64", "my_votes": "int64"})
    theme_frame = _frame(
        [
            {
                "theme_id": t.id,
                "name": t.name,
                "notes": theme_notes[t.id or 0],
                "votes": theme_votes[t.id or 0] if sees_totals else None,
            }
            for t in themes.values()
        ],
        ["theme_id", "name", "notes", "votes"],
        {"theme_id": "int64", "notes": "int64", "votes": "Int64"},
    )
    feature_rows = []
    if step == 3:
        for feature_id, title in session.exec(
            select(m.Feature.id, m.Feature.title)
            .where(m.Feature.canvas_id == workshop.canvas_id)
            .order_by(col(m.Feature.position), col(m.Feature.id))
        ):
            target = ("feature", feature_id or 0)
            labels[target] = _short(title)
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
        for (kind, target_id), count in totals.most_common():
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


def _spread(values: list[int]) -> tuple[float, float, int]:
    """(mean, population standard deviation, range)."""
    return statistics.fmean(values), statistics.pstdev(values), max(values) - min(values)


def _discuss(std: float, spread: int) -> bool:
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


def _score_rows(
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
            mean_v, std_v, range_v = _spread([v for _, v, _ in given])
            mean_e, std_e, range_e = _spread([e for _, _, e in given])
            row.update(
                mean_value=round(mean_v, 2),
                mean_effort=round(mean_e, 2),
                value_std=round(std_v, 2),
                effort_std=round(std_e, 2),
                value_range=range_v,
                effort_range=range_e,
                discuss=_discuss(std_v, range_v) or _discuss(std_e, range_e),
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
    viewer = _viewer(session, viewer_token)
    revealed = _step_state(session, viewer.workshop.id or 0, 3).scores_revealed
    visible = revealed or viewer.role == "facilitator"
    me = viewer.participant.id if viewer.participant is not None else None
    rows, scorers = _score_rows(session, viewer.workshop, me=me, visible=visible)
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


# ------------------------------------------------------------- grouping, promotion


def remove_note(*, session: Session, facilitator_key: str, note_id: int) -> None:
    """Take a note off the board (moderation); its votes go with it."""
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        _note_of(session, workshop.id or 0, note_id)
        session.exec(sa.delete(m.Note).where(col(m.Note.id) == note_id))
        session.commit()


def create_theme(*, session: Session, facilitator_key: str, step: int, name: str) -> m.Theme:
    """A group for the notes of ``step``."""
    valid = validate(m.ThemeCreate, {"step": step, "name": name}, what="Theme")
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        theme = m.Theme(
            **valid.model_dump(), canvas_id=workshop.canvas_id, workshop_id=workshop.id or 0
        )
        session.add(theme)
        _commit(session, theme, reload=False)
    return theme


def rename_theme(*, session: Session, facilitator_key: str, theme_id: int, name: str) -> m.Theme:
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        theme = _theme_of(session, workshop.id or 0, theme_id)
        valid = validate(m.ThemeCreate, {"step": theme.step, "name": name}, what="Theme")
        theme.name = valid.name
        session.add(theme)
        _commit(session, theme, reload=False)
    return theme


def delete_theme(*, session: Session, facilitator_key: str, theme_id: int) -> None:
    """Delete a theme; its notes stay, ungrouped."""
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        _theme_of(session, workshop.id or 0, theme_id)
        session.exec(
            sa.update(m.Note).where(col(m.Note.theme_id) == theme_id).values(theme_id=None)
        )
        session.exec(sa.delete(m.Theme).where(col(m.Theme.id) == theme_id))
        session.commit()


def _theme_of(session: Session, workshop_id: int, theme_id: int) -> m.Theme:
    theme = session.exec(
        select(m.Theme).where(m.Theme.id == theme_id, m.Theme.workshop_id == workshop_id)
    ).first()
    if theme is None:
        raise NotFound("This theme is not part of this workshop; it may have been deleted.")
    return theme


def assign_note_to_theme(
    *, session: Session, facilitator_key: str, note_id: int, theme_id: int | None
) -> m.Note:
    """Put a note in a theme of its step (``None`` takes it out of any)."""
    workshop, _ = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        note = _note_of(session, workshop.id or 0, note_id)
        if theme_id is not None:
            theme = _theme_of(session, workshop.id or 0, theme_id)
            if theme.step != note.step:
                raise ValidationFailed.single(
                    "theme_id",
                    "Theme",
                    f"belongs to step {theme.step}, the note to step {note.step}",
                    what="Note",
                )
        note.theme_id = theme_id
        note.version += 1
        session.add(note)
        _commit(session, note, reload=False)
    return note


def _max_length(schema: type[Any], field: str) -> int | None:
    for rule in schema.model_fields[field].metadata:
        if getattr(rule, "max_length", None) is not None:
            return int(rule.max_length)
    return None


def _promotion_data(kind: str, text: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    spec = items.item_type(kind)
    data: dict[str, Any] = {}
    limit = _max_length(spec.create, spec.title_field) or len(text)
    if len(text) <= limit:
        data[spec.title_field] = text
    else:
        data[spec.title_field] = _short(text, limit)
        detail = DETAIL_FIELDS.get(kind)
        if detail is not None:
            data[detail] = text
    data.update(fields)
    return data


def promote_note(
    *,
    session: Session,
    facilitator_key: str,
    note_id: int,
    kind: str,
    fields: Mapping[str, Any] | None = None,
) -> Any:
    """Turn a note into a real item of its step, in one transaction, and remember it.

    ``kind`` must suit the note's step (:data:`PROMOTION_KINDS`); the note's text
    becomes the item's title (``fields`` may set or override any field). The item is
    written through :func:`items.create_item`, so it is validated like any other.
    """
    workshop, canvas_token = _begin_facilitator_write(session, facilitator_key, active=False)
    with _rollback_on_error(session):
        note = _note_of(session, workshop.id or 0, note_id)
        if note.promoted_kind is not None:
            raise ValidationFailed.single(
                "note_id",
                "Note",
                f"is already a {items.item_type(note.promoted_kind).label.lower()} "
                f"(#{note.promoted_item_id})",
                what="Promote",
            )
        allowed = PROMOTION_KINDS[note.step]
        if kind not in allowed:
            raise ValidationFailed.single(
                "kind",
                "Item type",
                f"a note of step {note.step} can become: {', '.join(allowed)}",
                what="Promote",
            )
        data = _promotion_data(kind, note.text, fields or {})
        row = items.create_item(
            session=session, canvas_token=canvas_token, kind=kind, data=data, commit=False
        )
        session.exec(
            sa.update(m.Note)
            .where(col(m.Note.id) == note_id)
            .values(promoted_kind=kind, promoted_item_id=row.id, version=m.Note.version + 1)
        )
        _commit(session, row, reload=False)
    return row


def effort_person_months(effort: float) -> float:
    """A blind effort (1..10, possibly a mean) on the feature's scale, person-months
    (see :data:`EFFORT_PERSON_MONTHS`), rounded to 2 decimals."""
    effort = min(10.0, max(1.0, float(effort)))
    low = math.floor(effort)
    high = min(10, low + 1)
    share = effort - low
    months = EFFORT_PERSON_MONTHS[low] + share * (
        EFFORT_PERSON_MONTHS[high] - EFFORT_PERSON_MONTHS[low]
    )
    return round(months, 2)


def blind_value(value: float) -> int:
    """A mean blind value as the feature's value: rounded half up, within 1..10."""
    return int(min(10, max(1, math.floor(float(value) + 0.5))))


def apply_blind_scores(*, session: Session, facilitator_key: str) -> pd.DataFrame:
    """Write the mean blind scores to the features, feeding step 3's prioritisation.

    Per scored feature: ``value`` = the mean value rounded (:func:`blind_value`),
    ``effort`` = the mean effort in person-months (:func:`effort_person_months`); where
    the feature has an effort range that would not hold the new estimate, the range is
    widened to hold it. All through :func:`items.update_item` at each feature's current
    version, in one transaction. Returns feature_id, title, scores, mean_value,
    mean_effort, value, effort, previous_value, previous_effort.
    """
    workshop, canvas_token = _begin_facilitator_write(session, facilitator_key, active=False)
    columns = [
        "feature_id",
        "title",
        "scores",
        "mean_value",
        "mean_effort",
        "value",
        "effort",
        "previous_value",
        "previous_effort",
    ]
    with _rollback_on_error(session):
        rows, _ = _score_rows(session, workshop, me=None, visible=True)
        scored = [r for r in rows if r["scores"]]
        applied = []
        for r in scored:
            feature = _feature_of(session, workshop.canvas_id, r["feature_id"])
            value = blind_value(r["mean_value"])
            effort = effort_person_months(r["mean_effort"])
            changes: dict[str, Any] = {"value": value, "effort": effort}
            if feature.effort_low is not None and feature.effort_low > effort:
                changes["effort_low"] = effort
            if feature.effort_high is not None and feature.effort_high < effort:
                changes["effort_high"] = effort
            previous = (feature.value, feature.effort)
            items.update_item(
                session=session,
                canvas_token=canvas_token,
                kind="feature",
                item_id=r["feature_id"],
                changes=changes,
                expected_version=feature.version,
                commit=False,
            )
            applied.append(
                {
                    "feature_id": r["feature_id"],
                    "title": r["title"],
                    "scores": r["scores"],
                    "mean_value": r["mean_value"],
                    "mean_effort": r["mean_effort"],
                    "value": value,
                    "effort": effort,
                    "previous_value": previous[0],
                    "previous_effort": previous[1],
                }
            )
        session.commit()
    return pd.DataFrame(applied, columns=columns)


# ---------------------------------------------------------------------------- summary


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(*, session: Session, canvas_token: str, workshop_id: int) -> dict[str, Any]:
    """What the workshop produced, as plain JSON-ready data for the export.

    Needs the canvas token. ``decisions`` and ``actions`` are the items promoted from
    notes (actions: roadmap items, risks, flaws), each with the note it came from and
    the note's votes; ``appendix`` holds the notes never promoted, the themes and the
    vote results, and the blind scores. Authors are named only when notes were not
    anonymous.
    """
    canvas_id = items.canvas_id_for(session, canvas_token)
    session.expire_all()
    workshop = session.exec(
        select(m.Workshop).where(m.Workshop.id == workshop_id, m.Workshop.canvas_id == canvas_id)
    ).first()
    if workshop is None:
        raise NotFound("This canvas has no such workshop.")
    people = {
        p.id: p
        for p in session.exec(
            select(m.Participant)
            .where(m.Participant.workshop_id == workshop_id)
            .order_by(col(m.Participant.id))
        )
    }
    themes = {
        t.id: t
        for t in session.exec(
            select(m.Theme).where(m.Theme.workshop_id == workshop_id).order_by(col(m.Theme.id))
        )
    }
    notes = list(
        session.exec(
            select(m.Note)
            .where(m.Note.workshop_id == workshop_id)
            .order_by(col(m.Note.step), col(m.Note.id))
        )
    )
    totals: Counter[tuple[str, int]] = Counter()
    vote_steps: dict[tuple[str, int], int] = {}
    for note_id, feature_id, step in session.exec(
        select(m.Vote.note_id, m.Vote.feature_id, m.Vote.step).where(
            m.Vote.workshop_id == workshop_id
        )
    ):
        target = _target(note_id, feature_id)
        totals[target] += 1
        vote_steps[target] = step

    def author(note: m.Note) -> str | None:
        person = people.get(note.participant_id)
        return None if workshop.anonymous_notes or person is None else person.display_name

    decisions: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    unpromoted: list[dict[str, Any]] = []
    for note in notes:
        votes = totals[("note", note.id or 0)]
        theme = themes.get(note.theme_id)
        if note.promoted_kind is None or note.promoted_item_id is None:
            unpromoted.append(
                {
                    "note_id": note.id,
                    "step": note.step,
                    "text": note.text,
                    "theme": theme.name if theme is not None else None,
                    "author": author(note),
                    "votes": votes,
                }
            )
            continue
        spec = items.item_type(note.promoted_kind)
        item = session.exec(
            select(spec.table).where(
                spec.table.id == note.promoted_item_id, spec.table.canvas_id == canvas_id
            )
        ).first()
        entry = {
            "step": note.step,
            "kind": note.promoted_kind,
            "kind_label": spec.label,
            "item_id": note.promoted_item_id,
            "title": items.item_title(item) if item is not None else None,
            "still_exists": item is not None,
            "note_id": note.id,
            "note": note.text,
            "theme": theme.name if theme is not None else None,
            "votes": votes,
        }
        (actions if note.promoted_kind in ACTION_KINDS else decisions).append(entry)

    labels = {("note", n.id or 0): _short(n.text) for n in notes}
    for feature_id, title in session.exec(
        select(m.Feature.id, m.Feature.title).where(m.Feature.canvas_id == canvas_id)
    ):
        labels[("feature", feature_id or 0)] = _short(title)
    vote_results: list[dict[str, Any]] = sorted(
        (
            {
                "step": vote_steps[target],
                "target_kind": target[0],
                "target_id": target[1],
                "label": labels.get(target, ""),
                "votes": count,
            }
            for target, count in totals.items()
        ),
        key=lambda r: (r["step"], -r["votes"], r["target_kind"], r["target_id"]),
    )
    theme_rows = []
    for theme in themes.values():
        members = [n for n in notes if n.theme_id == theme.id]
        theme_rows.append(
            {
                "theme_id": theme.id,
                "step": theme.step,
                "name": theme.name,
                "notes": len(members),
                "votes": sum(totals[("note", n.id or 0)] for n in members),
            }
        )
    score_rows, scorers = _score_rows(session, workshop, me=None, visible=True)
    scores = [
        {k: v for k, v in r.items() if k not in ("my_value", "my_effort")}
        for r in score_rows
        if r["scores"]
    ]
    facilitator = next((p.display_name for p in people.values() if p.is_facilitator), None)
    return {
        "workshop": {
            "id": workshop.id,
            "title": workshop.title,
            "status": workshop.status,
            "started_at": _iso(workshop.started_at),
            "ended_at": _iso(workshop.ended_at),
            "facilitator": facilitator,
            "participants": len(people),
            "anonymous_notes": workshop.anonymous_notes,
            "vote_budget": workshop.vote_budget,
            "vote_cap": workshop.vote_cap,
        },
        "decisions": decisions,
        "actions": actions,
        "appendix": {
            "notes": unpromoted,
            "themes": theme_rows,
            "votes": vote_results,
            "scores": scores,
        },
        "counts": {
            "notes": len(notes),
            "promoted": len(decisions) + len(actions),
            "votes": sum(totals.values()),
            "scorers": scorers,
            "participants": len(people),
        },
    }
