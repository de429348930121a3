"""The facilitator's pacing: step, phase, follow-me, vote rules, locks, reveals, the
timer and the end of the workshop. Every function here needs the facilitator key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col

from strategy_canvas import models as m
from strategy_canvas.services import activity, versions
from strategy_canvas.services.errors import (
    ConflictError,
    FieldError,
    ValidationFailed,
)
from strategy_canvas.services.validation import validate
from strategy_canvas.services.workshops.common import (
    begin_facilitator_write,
    check_step,
    commit_detached,
    facilitator_actor,
    resolve_now,
    rollback_on_error,
    step_state,
    stored_after_rollback,
)

TIMER_MAX_SECONDS = 4 * 3600
REVEALABLE = ("notes", "votes", "scores")
Revealable = Literal["notes", "votes", "scores"]


def _bump_workshop(session: Session, workshop_id: int, **values: Any) -> None:
    session.exec(
        sa.update(m.Workshop)
        .where(col(m.Workshop.id) == workshop_id)
        .values(**values, version=m.Workshop.version + 1)
    )


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
    workshop, _ = begin_facilitator_write(session, facilitator_key)
    with rollback_on_error(session):
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
            stored = stored_after_rollback(session, m.Workshop, workshop.id)
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
            # A timer that ran out belonged to the step left behind: its "time is up"
            # (and the read-only it may bring) does not follow the room.
            if workshop.timer_ends_at is not None and workshop.timer_ends_at <= resolve_now(None):
                session.exec(
                    sa.update(m.Workshop)
                    .where(col(m.Workshop.id) == workshop.id)
                    .values(timer_ends_at=None, timer_label="", timer_read_only=False)
                )
        commit_detached(session, workshop)
    return workshop


def go_to_step(
    *,
    session: Session,
    facilitator_key: str,
    step: int,
    phase: m.WorkshopPhase = "brainstorm",
) -> m.Workshop:
    """Move the workshop to ``step`` (and ``phase``, brainstorm by default); clears
    everyone's ready flag and a timer that has run out. With follow-me on, every screen
    goes there."""
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


def set_vote_rules(
    *, session: Session, facilitator_key: str, budget: float, cap: float
) -> m.Workshop:
    """Votes per person and step (``budget``) and per person on one item (``cap``),
    as typed: whole numbers from 1 to 50 (a fraction is refused, never rounded)."""
    return update_workshop(
        session=session,
        facilitator_key=facilitator_key,
        changes={"vote_budget": budget, "vote_cap": cap},
    )


def _set_step_flags(
    session: Session, facilitator_key: str, step: int, *, active: bool, **flags: bool
) -> m.WorkshopStep:
    check_step(step)
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=active)
    with rollback_on_error(session):
        state = step_state(session, workshop.id or 0, step)
        for name, value in flags.items():
            setattr(state, name, value)
        session.add(state)
        _bump_workshop(session, workshop.id or 0)
        commit_detached(session, state, reload=False)
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
    seconds: float | None,
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
    now = resolve_now(now)
    workshop, _ = begin_facilitator_write(session, facilitator_key)
    with rollback_on_error(session):
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
        commit_detached(session, workshop)
    return workshop


def stop_timer(*, session: Session, facilitator_key: str) -> m.Workshop:
    """Clear the timer (and the read-only it may have brought)."""
    workshop, _ = begin_facilitator_write(session, facilitator_key)
    with rollback_on_error(session):
        _bump_workshop(
            session, workshop.id or 0, timer_ends_at=None, timer_label="", timer_read_only=False
        )
        commit_detached(session, workshop)
    return workshop


def end_workshop(
    *, session: Session, facilitator_key: str, now: datetime | None = None
) -> m.Workshop:
    """End the workshop: no more notes, votes or scores; the code is freed. Notes,
    themes, votes and scores stay in the canvas, and the facilitator can still group,
    promote and apply scores afterwards."""
    now = resolve_now(now)
    workshop, canvas_token = begin_facilitator_write(session, facilitator_key)
    actor = facilitator_actor(session, facilitator_key)
    with rollback_on_error(session):
        _bump_workshop(
            session,
            workshop.id or 0,
            status="ended",
            ended_at=now,
            join_code=None,
            timer_ends_at=None,
            timer_read_only=False,
        )
        activity.record(
            session,
            canvas_id=workshop.canvas_id,
            actor=actor,
            action="workshop",
            title=f"ended the workshop “{workshop.title}”",
        )
        commit_detached(session, workshop)
    # The canvas as the workshop left it is a version, to compare with later.
    versions.save_automatic(
        session=session,
        canvas_token=canvas_token,
        name=f"After the workshop “{workshop.title}”"[:110],
        kind="workshop",
        actor=actor,
    )
    return workshop
