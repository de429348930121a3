"""What the workshop services share: the caller's seat or view resolved from the
secret they hold, the write's beginning and commit, and the checks every write makes.

Internal to :mod:`strategy_canvas.services.workshops`; callers use the package.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import items, people
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

Role = Literal["facilitator", "participant", "audience"]


def resolve_now(now: datetime | None) -> datetime:
    """``now`` if given, else the package's :func:`~strategy_canvas.services.workshops.clock`,
    looked up on the package each time so that a test that monkeypatches
    ``workshops.clock`` sets the time every service reads."""
    if now is not None:
        return now
    return sys.modules[__package__].clock()


def commit_detached(session: Session, row: Any, *, reload: bool = True) -> None:
    """Commit, handing ``row`` back as stored and detached: usable after the session
    closes, and no read after the commit (on SQLite a read in a writing session begins
    a transaction that holds the write lock until the session ends). ``reload=False``
    for a row written through the ORM, whose attributes are what was stored."""
    session.flush()
    if reload:
        session.refresh(row)
    session.expunge(row)
    session.commit()


def stored_after_rollback(session: Session, table: type[Any], row_id: Any) -> Any:
    """After a failed write (rolled back): the stored row, readable after the session
    closes (None if it is gone), with no transaction left open."""
    stored = session.get(table, row_id, populate_existing=True)
    if stored is not None:
        session.expunge(stored)
    session.rollback()
    return stored


@contextmanager
def rollback_on_error(session: Session) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if session.in_transaction():
            session.rollback()
        raise


def check_step(step: int) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step not in m.WORKSHOP_STEPS:
        raise ValidationFailed.single("step", "Step", "must be a whole number from 1 to 5")
    return step


def not_facilitator() -> PermissionDenied:
    return PermissionDenied(
        "Only the facilitator can do this, and the key given is not a facilitator's key."
    )


def not_participant() -> PermissionDenied:
    return PermissionDenied(
        "This personal link does not belong to anyone in a workshop; join with the code."
    )


def workshop_ended() -> PermissionDenied:
    return PermissionDenied("This workshop has ended; it can no longer be changed.")


def facilitator_ids(session: Session, facilitator_key: str) -> tuple[int, str]:
    row = session.exec(
        select(m.Workshop.id, m.Canvas.token)
        .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
        .where(m.Workshop.facilitator_key == facilitator_key)
    ).first()
    if row is None or not facilitator_key:
        raise not_facilitator()
    workshop_id, canvas_token = row
    assert workshop_id is not None
    return workshop_id, canvas_token


def facilitator_actor(session: Session, facilitator_key: str) -> Actor:
    """The facilitator, as the canvas's history names them (their display name)."""
    row = session.exec(select(m.Participant).where(m.Participant.token == facilitator_key)).first()
    return people.participant(row) if row is not None else Actor("Facilitator", via="workshop")


def begin_facilitator_write(
    session: Session, facilitator_key: str, *, active: bool = True
) -> tuple[m.Workshop, str]:
    """Check the key, begin the write on its canvas, return the workshop as it is now."""
    workshop_id, canvas_token = facilitator_ids(session, facilitator_key)
    items.begin_write(session, canvas_token)
    session.expire_all()
    workshop = session.get(m.Workshop, workshop_id)
    assert workshop is not None
    if active and workshop.status != "active":
        session.rollback()
        raise workshop_ended()
    return workshop, canvas_token


@dataclass(frozen=True)
class Seat:
    participant: m.Participant
    workshop: m.Workshop
    canvas_token: str

    @property
    def is_facilitator(self) -> bool:
        return self.participant.is_facilitator


def seat_of(session: Session, participant_token: str) -> Seat:
    row = session.exec(
        select(m.Participant, m.Workshop, m.Canvas.token)
        .join(m.Workshop, col(m.Workshop.id) == m.Participant.workshop_id)
        .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
        .where(m.Participant.token == participant_token)
    ).first()
    if row is None or not participant_token:
        raise not_participant()
    return Seat(*row)


def begin_participant_write(session: Session, participant_token: str) -> Seat:
    """Check the token, begin the write on its canvas, return the seat as it is now."""
    seat = seat_of(session, participant_token)
    items.begin_write(session, seat.canvas_token)
    session.expire_all()
    participant = session.get(m.Participant, seat.participant.id)
    workshop = session.get(m.Workshop, seat.workshop.id)
    assert participant is not None and workshop is not None
    return Seat(participant, workshop, seat.canvas_token)


def step_state(session: Session, workshop_id: int, step: int) -> m.WorkshopStep:
    state = session.get(m.WorkshopStep, (workshop_id, step))
    assert state is not None, "every workshop has a row per step"
    return state


def note_of(session: Session, workshop_id: int, note_id: int) -> m.Note:
    note = session.exec(
        select(m.Note).where(m.Note.id == note_id, m.Note.workshop_id == workshop_id)
    ).first()
    if note is None:
        raise NotFound("This note is not on this workshop's board; it may have been removed.")
    return note


def feature_of(session: Session, canvas_id: int, feature_id: int) -> m.Feature:
    feature = session.exec(
        select(m.Feature).where(m.Feature.id == feature_id, m.Feature.canvas_id == canvas_id)
    ).first()
    if feature is None:
        raise NotFound("This feature is not on this workshop's canvas.")
    return feature


def vote_key(note_id: int | None, feature_id: int | None) -> tuple[str, int]:
    """A vote's target as ("note", id) or ("feature", id)."""
    if note_id is not None:
        return "note", note_id
    return "feature", feature_id or 0


def merge_promoted(
    totals: Counter[tuple[str, int]], became_feature: dict[int, int]
) -> Counter[tuple[str, int]]:
    """Vote totals with each note that became a feature counted as that feature (note id
    -> feature id): one idea, one target in the results."""
    merged: Counter[tuple[str, int]] = Counter()
    for (kind, target_id), count in totals.items():
        if kind == "note" and target_id in became_feature:
            merged[("feature", became_feature[target_id])] += count
        else:
            merged[(kind, target_id)] += count
    return merged


def shorten(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Viewer:
    workshop: m.Workshop
    canvas_token: str
    participant: m.Participant | None
    role: Role


def viewer_of(session: Session, viewer_token: str) -> Viewer:
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
            return Viewer(workshop, token, participant, role)
        public = session.exec(
            select(m.Workshop, m.Canvas.token)
            .join(m.Canvas, col(m.Canvas.id) == m.Workshop.canvas_id)
            .where(m.Workshop.link_token == viewer_token)
        ).first()
        if public is not None:
            return Viewer(public[0], public[1], None, "audience")
    raise PermissionDenied("This link does not give access to a workshop.")
