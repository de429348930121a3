"""What participants add: notes, votes and blind scores, each a row of its own so that
people adding at once never collide. Budgets and caps are counted inside the write's
transaction, after :func:`strategy_canvas.services.items.begin_write` has serialised the
canvas's writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypedDict, Unpack

import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import items
from strategy_canvas.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from strategy_canvas.services.validation import validate
from strategy_canvas.services.workshops.common import (
    Seat,
    begin_participant_write,
    commit_detached,
    feature_of,
    note_of,
    resolve_now,
    rollback_on_error,
    step_state,
    stored_after_rollback,
    workshop_ended,
)


def _check_can_contribute(session: Session, seat: Seat, step: int, now: datetime) -> None:
    """Refuse a participant's write when the workshop ended, the step is locked, or
    the timer ran out with read-only on. The facilitator is held only by the end."""
    workshop = seat.workshop
    if workshop.status != "active":
        raise workshop_ended()
    if seat.is_facilitator:
        return
    if step_state(session, workshop.id or 0, step).locked:
        raise PermissionDenied(f"Step {step} is locked by the facilitator.")
    if _time_is_up(workshop, now) and workshop.timer_read_only:
        raise PermissionDenied(
            "Time is up: the board is read-only until the facilitator restarts the timer."
        )


def _time_is_up(workshop: m.Workshop, now: datetime) -> bool:
    return workshop.timer_ends_at is not None and workshop.timer_ends_at <= now


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
    now = resolve_now(now)
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
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
        commit_detached(session, note, reload=False)
    return note


def _own_note(session: Session, seat: Seat, note_id: int) -> m.Note:
    note = note_of(session, seat.workshop.id or 0, note_id)
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
    now = resolve_now(now)
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
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
            stored = stored_after_rollback(session, m.Note, note_id)
            raise ConflictError(
                "note",
                note_id,
                current=stored,
                attempted={"text": text},
                expected_version=expected_version or 0,
            )
        commit_detached(session, note)
    return note


def delete_own_note(
    *, session: Session, participant_token: str, note_id: int, now: datetime | None = None
) -> None:
    """Take back one's own note (same rules as adding one); its votes go with it."""
    now = resolve_now(now)
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
        note = _own_note(session, seat, note_id)
        _check_can_contribute(session, seat, note.step, now)
        session.exec(sa.delete(m.Note).where(col(m.Note.id) == note_id))
        session.commit()


def _vote_target(
    session: Session,
    seat: Seat,
    note_id: int | None,
    feature_id: int | None,
    *,
    giving: bool = True,
) -> tuple[int, Any]:
    """(step, where-clause naming the target) after checking the target is reachable.

    A note promoted to an item takes no more votes (``giving``; votes given before may
    be taken back): it is decided, and a note that became a feature is voted on as that
    feature, so the idea is not two targets splitting its votes."""
    valid = validate(m.VoteCreate, {"note_id": note_id, "feature_id": feature_id}, what="Vote")
    if valid.note_id is not None:
        note = note_of(session, seat.workshop.id or 0, valid.note_id)
        if not step_state(session, seat.workshop.id or 0, note.step).notes_revealed:
            raise PermissionDenied(
                f"The notes of step {note.step} are not revealed yet; vote once they are."
            )
        if giving and note.promoted_kind is not None:
            instead = (
                "vote for the feature instead"
                if note.promoted_kind == "feature"
                else "it is decided, so it takes no more votes"
            )
            raise ValidationFailed.single(
                "note_id",
                "Note",
                f"became a {items.item_type(note.promoted_kind).label.lower()} "
                f"(#{note.promoted_item_id}): {instead}",
                what="Vote",
            )
        return note.step, col(m.Vote.note_id) == note.id
    assert valid.feature_id is not None
    feature = feature_of(session, seat.workshop.canvas_id, valid.feature_id)
    return 3, col(m.Vote.feature_id) == feature.id


def _votes_open(session: Session, seat: Seat, step: int, now: datetime) -> None:
    _check_can_contribute(session, seat, step, now)
    if step_state(session, seat.workshop.id or 0, step).votes_revealed:
        raise PermissionDenied(f"The votes of step {step} are revealed; voting there is closed.")


class VoteClick(TypedDict, total=False):
    """What a click on a vote button says: the note or the feature it is on, how many
    votes the person had there when they clicked (``seen``), and when (``now``)."""

    note_id: int | None
    feature_id: int | None
    seen: int | None
    now: datetime | None


@contextmanager
def _vote_write(
    session: Session, participant_token: str, click: VoteClick, *, giving: bool
) -> Iterator[tuple[Seat, int, Any, datetime]]:
    """The write of a vote given or taken back, once its target is reachable and its
    step takes votes: (seat, step, where-clause naming the target, now); any error rolls
    it back."""
    now = resolve_now(click.get("now"))
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
        step, on_target = _vote_target(
            session, seat, click.get("note_id"), click.get("feature_id"), giving=giving
        )
        _votes_open(session, seat, step, now)
        yield seat, step, on_target, now


def vote(*, session: Session, participant_token: str, **click: Unpack[VoteClick]) -> m.Vote | None:
    """Give one vote to a note (once its step's notes are revealed) or to a feature of
    the canvas (step 3). Each person has ``vote_budget`` votes per step and may give one
    item at most ``vote_cap`` of them; both are counted in the write's transaction, after
    ``begin_write`` has serialised the canvas's writers, so they hold under any race.

    ``seen``: how many votes this person had on the item when they clicked. If they have
    another number now, the click was counted already (a request that arrived twice) and
    nothing changes: returns None. A click counts once."""
    seen = click.get("seen")
    with _vote_write(session, participant_token, click, giving=True) as (
        seat,
        step,
        on_target,
        now,
    ):
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
            note_id=click.get("note_id"),
            feature_id=click.get("feature_id"),
            canvas_id=seat.workshop.canvas_id,
            workshop_id=seat.workshop.id or 0,
            participant_id=seat.participant.id or 0,
            step=step,
            created_at=now,
        )
        session.add(row)
        commit_detached(session, row, reload=False)
    return row


def unvote(*, session: Session, participant_token: str, **click: Unpack[VoteClick]) -> None:
    """Take back one of one's votes on the note or feature. ``seen`` as for
    :func:`vote`: a click that was counted already changes nothing."""
    seen = click.get("seen")
    with _vote_write(session, participant_token, click, giving=False) as (seat, _, on_target, _):
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
    now = resolve_now(now)
    seat = begin_participant_write(session, participant_token)
    with rollback_on_error(session):
        feature_of(session, seat.workshop.canvas_id, valid.feature_id)
        _check_can_contribute(session, seat, 3, now)
        if step_state(session, seat.workshop.id or 0, 3).scores_revealed:
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
        commit_detached(session, score, reload=False)
    return score
