"""Starting a workshop, joining it, and reading it as the holder of a secret.

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
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import items
from strategy_canvas.services.errors import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from strategy_canvas.services.validation import validate
from strategy_canvas.services.workshops.common import (
    Role,
    Viewer,
    commit_detached,
    facilitator_ids,
    resolve_now,
    rollback_on_error,
    seat_of,
    viewer_of,
)

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


class StartedWorkshop(NamedTuple):
    workshop: m.Workshop
    #: the facilitator's secret: keep it out of anything shown to others
    facilitator_key: str
    join_code: str
    #: the token of the public join link
    link_token: str


@dataclass(frozen=True)
class WorkshopView:
    """A workshop as the holder of a viewer token sees it (no facilitator key)."""

    workshop: m.WorkshopPublic
    role: Role
    me: m.ParticipantPublic | None
    #: step, locked, notes_revealed, votes_revealed, scores_revealed
    steps: pd.DataFrame


def _public(workshop: m.Workshop) -> m.WorkshopPublic:
    return m.WorkshopPublic.model_validate(workshop, from_attributes=True)


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
    vote_budget: float = 5,
    vote_cap: float = 3,
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
    now = resolve_now(now)
    canvas_id = items.begin_write(session, canvas_token)
    with rollback_on_error(session):
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
        commit_detached(session, workshop)
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
    now = resolve_now(now)
    with rollback_on_error(session):
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
        commit_detached(session, participant, reload=False)
    return participant


def rejoin(
    *, session: Session, participant_token: str, now: datetime | None = None
) -> m.Participant:
    """The same participant again (after closing the tab), from their personal token."""
    seat = seat_of(session, participant_token)
    now = resolve_now(now)
    session.exec(
        sa.update(m.Participant)
        .where(col(m.Participant.id) == seat.participant.id)
        .values(last_seen_at=now)
    )
    commit_detached(session, seat.participant)
    return seat.participant


def key_hash(key: str) -> str:
    """How a superseded facilitator key is remembered (never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()


def take_over(
    *, session: Session, canvas_token: str, workshop_id: int, now: datetime | None = None
) -> str:
    """The holder of the canvas token takes the facilitator's seat of one of the
    canvas's workshops (a facilitator who lost their link, or the owner stepping in).

    The seat is never handed over silently: the facilitator key is **replaced** (the
    facilitator's participant row keeps its notes and votes), so the old key stops
    working at once, and its holder's screen is told that the seat was taken over and
    when (:func:`seat_taken_over`). Returns the new key.
    """
    now = resolve_now(now)
    canvas_id = items.begin_write(session, canvas_token)
    with rollback_on_error(session):
        workshop = session.exec(
            select(m.Workshop).where(
                m.Workshop.id == workshop_id, m.Workshop.canvas_id == canvas_id
            )
        ).first()
        if workshop is None:
            raise NotFound("This canvas has no such workshop.")
        old_key = workshop.facilitator_key
        key = secrets.token_urlsafe(FACILITATOR_KEY_BYTES)
        session.exec(
            sa.update(m.Participant)
            .where(
                col(m.Participant.workshop_id) == workshop_id,
                col(m.Participant.token) == old_key,
            )
            .values(token=key)
        )
        session.exec(
            sa.update(m.Workshop)
            .where(col(m.Workshop.id) == workshop_id)
            .values(
                facilitator_key=key,
                superseded_key_hash=key_hash(old_key),
                taken_over_at=now,
                version=m.Workshop.version + 1,
            )
        )
        session.commit()
    return key


def seat_taken_over(*, session: Session, facilitator_key: str) -> datetime | None:
    """When the seat this (old) facilitator key held was taken over from the canvas,
    or None: for the screen of a facilitator whose key stopped working."""
    if not facilitator_key:
        return None
    at = session.exec(
        select(m.Workshop.taken_over_at).where(
            m.Workshop.superseded_key_hash == key_hash(facilitator_key)
        )
    ).first()
    session.rollback()
    return at


def get_workshop_for_facilitator(*, session: Session, facilitator_key: str) -> m.Workshop:
    """The workshop, with its key, code and link, for the holder of its facilitator key."""
    workshop_id, _ = facilitator_ids(session, facilitator_key)
    session.expire_all()
    workshop = session.get(m.Workshop, workshop_id)
    assert workshop is not None
    return workshop


def canvas_for_facilitator(*, session: Session, facilitator_key: str) -> m.Canvas:
    """The canvas the workshop works on, for the holder of its facilitator key (who
    writes to it by promoting notes, and may take back their last change)."""
    _, canvas_token = facilitator_ids(session, facilitator_key)
    canvas = session.exec(select(m.Canvas).where(m.Canvas.token == canvas_token)).one()
    session.expunge(canvas)
    return canvas


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
    viewer = viewer_of(session, viewer_token)
    return view_for(
        viewer, _public(viewer.workshop), _steps_frame(session, viewer.workshop.id or 0)
    )


def view_for(viewer: Viewer, workshop: m.WorkshopPublic, steps: pd.DataFrame) -> WorkshopView:
    """:func:`workshop_view` of ``viewer``, from the workshop and its steps as read
    already (the room's live reads share them: ``live_read``)."""
    me = None
    if viewer.participant is not None:
        me = m.ParticipantPublic.model_validate(viewer.participant, from_attributes=True)
    return WorkshopView(workshop=workshop, role=viewer.role, me=me, steps=steps)


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
