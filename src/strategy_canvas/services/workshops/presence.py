"""Who is in the workshop, who is here and who is ready.

"Here" goes by time: a participant is here when their screen was seen within
:data:`PRESENCE_SECONDS`. A screen that receives pushed changes beats every
:data:`strategy_canvas.live.watch.BEAT_SECONDS` (the app process writes the beats of all
its screens at once, :func:`record_beats`) and says when its tab closes
(:func:`mark_away`); a polling screen writes :func:`heartbeat` itself. So a closed tab or
a lost connection shows as away within a few seconds, and a ready flag counts only
while its holder is here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services.workshops.common import (
    begin_participant_write,
    commit_detached,
    resolve_now,
    rollback_on_error,
    seat_of,
    viewer_of,
    workshop_ended,
)

#: a participant counts as here when seen within this many seconds
PRESENCE_SECONDS = 3.5
#: heartbeats closer together than this are not written
HEARTBEAT_MIN_SECONDS = 1.5


@dataclass(frozen=True)
class Presence:
    """``people``: participant_id, display_name, is_facilitator, ready, here, me,
    last_seen_at, facilitator first, then in order of joining. ``ready`` counts only
    the people here: a ready flag of someone who left is not counted."""

    people: pd.DataFrame
    total: int
    here: int
    ready: int


def heartbeat(*, session: Session, participant_token: str, now: datetime | None = None) -> None:
    """Mark the participant as here. Writes at most every few seconds and does not bump
    the canvas's change counter (presence is read by time, see :func:`presence`)."""
    now = resolve_now(now)
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
        seat_of(session, participant_token)  # raises for a token that names no one
    session.commit()


def set_ready(*, session: Session, participant_token: str, ready: bool = True) -> m.Participant:
    """Say "I'm ready" (or not). Going to another step clears everyone's ready."""
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
        if seat.workshop.status != "active":
            raise workshop_ended()
        seat.participant.ready = bool(ready)
        session.add(seat.participant)
        commit_detached(session, seat.participant, reload=False)
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
    viewer = viewer_of(session, viewer_token)
    me = viewer.participant.id if viewer.participant is not None else None
    return presence_in(session, viewer.workshop.id or 0, me, now=now, within_seconds=within_seconds)


def presence_in(
    session: Session,
    workshop_id: int,
    me: int | None,
    *,
    now: datetime | None = None,
    within_seconds: float = PRESENCE_SECONDS,
) -> Presence:
    """:func:`presence` of the workshop, ``me`` (a participant's id) marked as such."""
    cutoff = resolve_now(now) - timedelta(seconds=within_seconds)
    rows = []
    for p in session.exec(
        select(m.Participant)
        .where(m.Participant.workshop_id == workshop_id)
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
        ready=sum(bool(r["ready"]) and bool(r["here"]) for r in rows),
    )


def as_seen_by(people: Presence, me: int | None) -> Presence:
    """``people`` (read for no one in particular) with ``me`` marked as such."""
    if me is None:
        return people
    frame = people.people.assign(me=people.people["participant_id"].eq(me))
    return dataclasses.replace(people, people=frame)


def record_beats(*, session: Session, seen: Mapping[str, datetime]) -> int:
    """Write when each screen (participant token -> time) was last seen, in one
    statement; tokens that name no one are ignored. Does not bump the change counter
    (presence goes by time). Returns how many participants were updated."""
    if not seen:
        return 0
    statement = (
        sa.update(m.Participant)
        .where(col(m.Participant.token) == sa.bindparam("seen_token"))
        .values(last_seen_at=sa.bindparam("seen_at"))
        .execution_options(synchronize_session=False)
    )
    result = session.connection().execute(
        statement, [{"seen_token": token, "seen_at": at} for token, at in seen.items()]
    )
    session.commit()
    return int(result.rowcount or 0)


def mark_away(*, session: Session, participant_token: str, now: datetime | None = None) -> None:
    """The participant's tab closed: away at once (not after :data:`PRESENCE_SECONDS`)."""
    gone = resolve_now(now) - timedelta(seconds=PRESENCE_SECONDS + 1)
    session.exec(
        sa.update(m.Participant)
        .where(col(m.Participant.token) == participant_token)
        .values(last_seen_at=gone)
    )
    session.commit()


def here_by_canvas(
    *, session: Session, canvas_ids: Collection[int], now: datetime | None = None
) -> dict[int, frozenset[tuple[int, bool]]]:
    """Per canvas, who is here in its running workshop: (participant id, ready) pairs.
    One query for every canvas; what the process's watcher compares to tell the open
    screens that someone came, left or got ready."""
    if not canvas_ids:
        return {}
    cutoff = resolve_now(now) - timedelta(seconds=PRESENCE_SECONDS)
    here: dict[int, set[tuple[int, bool]]] = {c: set() for c in canvas_ids}
    for canvas_id, participant_id, ready in session.exec(
        select(m.Workshop.canvas_id, m.Participant.id, m.Participant.ready)
        .join(m.Workshop, col(m.Workshop.id) == m.Participant.workshop_id)
        .where(
            col(m.Workshop.canvas_id).in_(list(canvas_ids)),
            m.Workshop.status == "active",
            col(m.Participant.last_seen_at) >= cutoff,
        )
    ):
        here[canvas_id].add((int(participant_id or 0), bool(ready)))
    session.rollback()
    return {c: frozenset(v) for c, v in here.items()}
