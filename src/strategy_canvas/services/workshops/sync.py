"""What a live screen polls: the canvas's change counter and the workshop's pace."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col

from strategy_canvas import models as m
from strategy_canvas.services.errors import (
    NotFound,
    PermissionDenied,
)
from strategy_canvas.services.workshops.common import (
    resolve_now,
)


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
        seconds_left = max(0.0, (ends_at - resolve_now(now)).total_seconds())
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


def stream_target(*, session: Session, secret: str) -> tuple[int, int]:
    """(canvas id, change counter) of the canvas that ``secret`` opens: a canvas token,
    a participant's token, a facilitator key or a workshop's public link. For the event
    stream of live screens, which sends nothing but that counter. PermissionDenied for
    anything else."""
    if secret:
        base = sa.select(col(m.CanvasRevision.canvas_id), col(m.CanvasRevision.revision))
        queries = [
            base.join(m.Canvas, col(m.Canvas.id) == m.CanvasRevision.canvas_id).where(
                col(m.Canvas.token) == secret
            ),
            base.join(m.Workshop, col(m.Workshop.canvas_id) == m.CanvasRevision.canvas_id)
            .join(m.Participant, col(m.Participant.workshop_id) == m.Workshop.id)
            .where(col(m.Participant.token) == secret),
            base.join(m.Workshop, col(m.Workshop.canvas_id) == m.CanvasRevision.canvas_id).where(
                col(m.Workshop.link_token) == secret
            ),
        ]
        for query in queries:
            row = session.exec(query).first()  # type: ignore[call-overload]
            if row is not None:
                session.rollback()
                return int(row[0]), int(row[1])
    session.rollback()
    raise PermissionDenied("This link does not open a canvas or a workshop.")


def revisions(*, session: Session, canvas_ids: list[int]) -> dict[int, int]:
    """The change counters of ``canvas_ids`` (one query), for the process's watcher."""
    if not canvas_ids:
        return {}
    rows = session.exec(  # type: ignore[call-overload]
        sa.select(col(m.CanvasRevision.canvas_id), col(m.CanvasRevision.revision)).where(
            col(m.CanvasRevision.canvas_id).in_(canvas_ids)
        )
    ).all()
    session.rollback()
    return {int(c): int(r) for c, r in rows}
