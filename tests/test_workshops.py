"""Facilitated workshops through their services, on SQLite and PostgreSQL: rights from
the secret held, hidden until revealed, budgets and caps, locks and the timer, the
join-code guessing limit, promotion, blind scores, the end and its summary."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws
from strategy_canvas.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from strategy_canvas.services.workshops import boards

#: a fixed "now" for the tests that pass one (after anything the real clock stamps)
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)


# ------------------------------------------------------------------------ fixtures


@pytest.fixture
def canvas(session: Session) -> m.Canvas:
    return canvases.create_canvas(session=session, canvas_in={"name": "Acme", "product": "Rocket"})


@pytest.fixture
def started(session: Session, canvas: m.Canvas) -> ws.StartedWorkshop:
    return ws.start_workshop(
        session=session,
        canvas_token=canvas.token,
        title="Kick-off",
        facilitator_name="Fran",
        vote_budget=3,
        vote_cap=2,
    )


@pytest.fixture
def alice(session: Session, started: ws.StartedWorkshop) -> m.Participant:
    return ws.join(session=session, display_name="Alice", join_code=started.join_code)


@pytest.fixture
def bob(session: Session, started: ws.StartedWorkshop) -> m.Participant:
    return ws.join(session=session, display_name="Bob", link_token=started.link_token)


def _revision(session: Session, token: str) -> int:
    session.rollback()
    return canvases.get_revision(session=session, canvas_token=token)


def _feature(session: Session, token: str, title: str = "Export to PDF", **data: Any) -> Any:
    return items.create_item(
        session=session, canvas_token=token, kind="feature", data={"title": title, **data}
    )


def _everything_said(frames: list[pd.DataFrame]) -> str:
    """Every value a reader receives, as one string (to check a text is nowhere)."""
    return json.dumps([f.astype(str).to_dict("records") for f in frames])


def _fails(
    error: type[Exception], call: Callable[[], object], *, match: str | None = None
) -> Exception:
    with pytest.raises(error, match=match) as caught:
        call()
    return caught.value


# --------------------------------------------------------------------- start, join


def test_start_returns_secrets_and_a_facilitator_seat(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop
) -> None:
    workshop, key, code, link = started
    assert len(key) >= 32 and len(link) >= 24 and key != link
    assert len(code) == ws.JOIN_CODE_LENGTH and set(code) <= set(ws.JOIN_CODE_ALPHABET)
    assert workshop.canvas_id == canvas.id and workshop.status == "active"
    assert (workshop.current_step, workshop.phase, workshop.anonymous_notes) == (
        1,
        "brainstorm",
        True,
    )
    assert ws.get_workshop_for_facilitator(session=session, facilitator_key=key).id == workshop.id

    # The facilitator is a participant, their key being their personal token.
    view = ws.workshop_view(session=session, viewer_token=key)
    assert view.role == "facilitator" and view.me is not None and view.me.display_name == "Fran"
    assert list(view.steps["step"]) == [1, 2, 3, 4, 5]
    assert not view.steps[["locked", "notes_revealed", "votes_revealed"]].any().any()
    # What participants can be given carries no facilitator key.
    assert "facilitator_key" not in m.WorkshopPublic.model_fields
    assert key not in view.workshop.model_dump_json()
    listed = ws.list_workshops(session=session, canvas_token=canvas.token)
    assert [w.id for w in listed] == [workshop.id] and key not in listed[0].model_dump_json()
    # No other secret than the canvas token takes the seat over.
    wid = workshop.id or 0
    for other in (link, key, code):
        _fails(
            NotFound,
            lambda other=other: ws.take_over(  # type: ignore[misc]
                session=session, canvas_token=other, workshop_id=wid
            ),
        )
    elsewhere = canvases.create_canvas(session=session, canvas_in={"name": "Elsewhere"})
    _fails(
        NotFound,
        lambda: ws.take_over(session=session, canvas_token=elsewhere.token, workshop_id=wid),
    )
    assert ws.get_workshop_for_facilitator(session=session, facilitator_key=key).id == wid


def test_taking_over_the_seat_replaces_the_key_and_tells_the_old_holder(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    old = started.facilitator_key
    note = ws.add_note(session=session, participant_token=old, step=1, text="Mine")
    assert ws.seat_taken_over(session=session, facilitator_key=old) is None
    before = _revision(session, canvas.token)
    wid = started.workshop.id or 0
    new = ws.take_over(session=session, canvas_token=canvas.token, workshop_id=wid, now=T0)
    assert new != old and len(new) >= 32
    assert _revision(session, canvas.token) == before + 1  # every screen hears of it
    # The old key opens nothing any more, and its holder is told when the seat went.
    _fails(
        PermissionDenied, lambda: ws.set_phase(session=session, facilitator_key=old, phase="vote")
    )
    _fails(PermissionDenied, lambda: ws.workshop_view(session=session, viewer_token=old))
    assert ws.seat_taken_over(session=session, facilitator_key=old) == T0
    assert ws.seat_taken_over(session=session, facilitator_key=alice.token) is None
    # The new key is the facilitator's, with the same seat (their notes stay theirs).
    view = ws.workshop_view(session=session, viewer_token=new)
    assert view.role == "facilitator" and view.me is not None and view.me.display_name == "Fran"
    board = ws.board(session=session, viewer_token=new, step=1)
    assert board.notes.set_index("note_id").loc[note.id, "mine"]
    ws.set_phase(session=session, facilitator_key=new, phase="vote")
    stored = session.get(m.Workshop, wid, populate_existing=True)
    assert stored is not None and stored.superseded_key_hash == ws.key_hash(old)
    assert old not in str(stored.superseded_key_hash)


def test_start_validates_and_allows_one_running_workshop_per_canvas(
    session: Session, canvas: m.Canvas
) -> None:
    error = _fails(
        ValidationFailed,
        lambda: ws.start_workshop(session=session, canvas_token=canvas.token, title=" "),
    )
    assert error.errors[0].field == "title"  # type: ignore[attr-defined]
    error = _fails(
        ValidationFailed,
        lambda: ws.start_workshop(
            session=session, canvas_token=canvas.token, title="W", vote_budget=2, vote_cap=3
        ),
        match="must not be above the votes per person",
    )
    assert error.errors[0].field == "vote_cap"  # type: ignore[attr-defined]
    _fails(
        NotFound,
        lambda: ws.start_workshop(session=session, canvas_token="no-such-canvas", title="W"),
    )
    before = _revision(session, canvas.token)
    ws.start_workshop(session=session, canvas_token=canvas.token, title="First")
    assert _revision(session, canvas.token) == before + 1
    _fails(
        ValidationFailed,
        lambda: ws.start_workshop(session=session, canvas_token=canvas.token, title="Second"),
        match="has a workshop running already",
    )
    assert session.exec(select(func.count()).select_from(m.Workshop)).one() == 1


def test_join_by_code_or_link_and_rejoin_keeps_identity(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop
) -> None:
    before = _revision(session, canvas.token)
    typed = f" {started.join_code[:3].lower()}-{started.join_code[3:].lower()} "
    alice = ws.join(session=session, display_name="  Alice ", join_code=typed)
    assert alice.display_name == "Alice" and not alice.is_facilitator
    assert _revision(session, canvas.token) == before + 1  # the facilitator's list updates
    bob = ws.join(session=session, display_name="Bob", link_token=started.link_token)
    assert len({alice.token, bob.token, started.facilitator_key}) == 3
    assert len(alice.token) >= 24

    # Closing the tab and coming back through the personal link: the same person.
    with Session(session.get_bind()) as fresh:
        again = ws.rejoin(session=fresh, participant_token=alice.token)
        assert (again.id, again.display_name) == (alice.id, "Alice")
        note = ws.add_note(session=fresh, participant_token=alice.token, step=1, text="Mine")
    board = ws.board(session=session, viewer_token=alice.token, step=1)
    assert board.notes.loc[0, "note_id"] == note.id and bool(board.notes.loc[0, "mine"])

    _fails(PermissionDenied, lambda: ws.rejoin(session=session, participant_token="nobody"))
    _fails(
        PermissionDenied, lambda: ws.rejoin(session=session, participant_token=started.link_token)
    )


def test_join_validates_the_name_and_the_way_in(
    session: Session, started: ws.StartedWorkshop
) -> None:
    for name, rule in [("", "is required"), ("x" * 41, "at most 40 characters")]:
        error = _fails(
            ValidationFailed,
            lambda name=name: ws.join(  # type: ignore[misc]
                session=session, display_name=name, join_code=started.join_code
            ),
            match=rule,
        )
        assert error.errors[0].field == "display_name"  # type: ignore[attr-defined]
    _fails(ValidationFailed, lambda: ws.join(session=session, display_name="Al"))
    _fails(
        ValidationFailed,
        lambda: ws.join(
            session=session,
            display_name="Al",
            join_code=started.join_code,
            link_token=started.link_token,
        ),
    )
    _fails(NotFound, lambda: ws.join(session=session, display_name="Al", link_token="forged"))
    assert session.exec(select(func.count()).select_from(m.Participant)).one() == 1


# ----------------------------------------------------------------------------- rights


def _facilitator_actions(
    session: Session, note_id: int, theme_id: int
) -> dict[str, Callable[[str], object]]:
    return {
        "go_to_step": lambda k: ws.go_to_step(session=session, facilitator_key=k, step=2),
        "set_phase": lambda k: ws.set_phase(session=session, facilitator_key=k, phase="vote"),
        "set_follow_me": lambda k: ws.set_follow_me(
            session=session, facilitator_key=k, follow_me=False
        ),
        "update_workshop": lambda k: ws.update_workshop(
            session=session, facilitator_key=k, changes={"title": "Mine now"}
        ),
        "lock_step": lambda k: ws.lock_step(session=session, facilitator_key=k, step=1),
        "unlock_step": lambda k: ws.unlock_step(session=session, facilitator_key=k, step=1),
        "start_timer": lambda k: ws.start_timer(session=session, facilitator_key=k, seconds=60),
        "stop_timer": lambda k: ws.stop_timer(session=session, facilitator_key=k),
        "reveal": lambda k: ws.reveal(session=session, facilitator_key=k, step=1, what="notes"),
        "set_vote_rules": lambda k: ws.set_vote_rules(
            session=session, facilitator_key=k, budget=9, cap=9
        ),
        "create_theme": lambda k: ws.create_theme(
            session=session, facilitator_key=k, step=1, name="Speed"
        ),
        "rename_theme": lambda k: ws.rename_theme(
            session=session, facilitator_key=k, theme_id=theme_id, name="Taken"
        ),
        "assign_note_to_theme": lambda k: ws.assign_note_to_theme(
            session=session, facilitator_key=k, note_id=note_id, theme_id=theme_id
        ),
        "delete_theme": lambda k: ws.delete_theme(
            session=session, facilitator_key=k, theme_id=theme_id
        ),
        "promote_note": lambda k: ws.promote_note(
            session=session, facilitator_key=k, note_id=note_id, kind="problem"
        ),
        "remove_note": lambda k: ws.remove_note(
            session=session, facilitator_key=k, note_id=note_id
        ),
        "apply_blind_scores": lambda k: ws.apply_blind_scores(session=session, facilitator_key=k),
        "get_workshop_for_facilitator": lambda k: ws.get_workshop_for_facilitator(
            session=session, facilitator_key=k
        ),
        "end_workshop": lambda k: ws.end_workshop(session=session, facilitator_key=k),
    }


def test_facilitator_actions_are_refused_to_everyone_else(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
) -> None:
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Slow")
    theme = ws.create_theme(
        session=session, facilitator_key=started.facilitator_key, step=1, name="Speed"
    )
    feature = _feature(session, canvas.token)
    ws.blind_score(
        session=session, participant_token=alice.token, feature_id=feature.id, value=5, effort=5
    )
    actions = _facilitator_actions(session, note.id or 0, theme.id or 0)
    before = _revision(session, canvas.token)
    impostors = {
        "participant token": alice.token,
        "public link": started.link_token,
        "join code": started.join_code,
        "random key": secrets.token_urlsafe(24),
        "empty": "",
    }
    for name, action in actions.items():
        for who, key in impostors.items():
            with pytest.raises(PermissionDenied, match="Only the facilitator"):
                action(key)
            session.rollback()
            assert _revision(session, canvas.token) == before, (name, who)
    workshop = ws.get_workshop_for_facilitator(
        session=session, facilitator_key=started.facilitator_key
    )
    assert (workshop.current_step, workshop.title, workshop.status) == (1, "Kick-off", "active")
    stored = session.get(m.Note, note.id, populate_existing=True)
    assert stored is not None and stored.theme_id is None and stored.promoted_kind is None
    assert session.get(m.Feature, feature.id, populate_existing=True).value is None  # type: ignore[union-attr]

    # The key itself can do every one of them.
    for name, action in actions.items():
        action(started.facilitator_key)
        assert _revision(session, canvas.token) > before, name


def test_participant_actions_need_a_participant_token(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Slow")
    feature = _feature(session, canvas.token)
    calls: dict[str, Callable[[str], object]] = {
        "add_note": lambda t: ws.add_note(session=session, participant_token=t, step=1, text="x"),
        "edit_own_note": lambda t: ws.edit_own_note(
            session=session, participant_token=t, note_id=note.id or 0, text="x"
        ),
        "delete_own_note": lambda t: ws.delete_own_note(
            session=session, participant_token=t, note_id=note.id or 0
        ),
        "vote": lambda t: ws.vote(session=session, participant_token=t, feature_id=feature.id),
        "unvote": lambda t: ws.unvote(session=session, participant_token=t, feature_id=feature.id),
        "blind_score": lambda t: ws.blind_score(
            session=session, participant_token=t, feature_id=feature.id, value=1, effort=1
        ),
        "set_ready": lambda t: ws.set_ready(session=session, participant_token=t),
        "heartbeat": lambda t: ws.heartbeat(session=session, participant_token=t),
    }
    before = _revision(session, canvas.token)
    for name, call in calls.items():
        for token in (started.link_token, started.join_code, secrets.token_urlsafe(18), ""):
            with pytest.raises(PermissionDenied):
                call(token)
            session.rollback()
            assert _revision(session, canvas.token) == before, name
    for reader in (
        lambda t: ws.board(session=session, viewer_token=t, step=1),
        lambda t: ws.score_summary(session=session, viewer_token=t),
        lambda t: ws.presence(session=session, viewer_token=t),
        lambda t: ws.workshop_view(session=session, viewer_token=t),
        lambda t: ws.sync_state(session=session, viewer_token=t),
    ):
        _fails(PermissionDenied, lambda reader=reader: reader(secrets.token_urlsafe(18)))  # type: ignore[misc]


def test_a_participant_of_one_workshop_cannot_reach_another_canvas(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    other = canvases.create_canvas(session=session, canvas_in={"name": "Other"})
    other_ws = ws.start_workshop(session=session, canvas_token=other.token, title="Other")
    carol = ws.join(session=session, display_name="Carol", join_code=other_ws.join_code)
    their_note = ws.add_note(session=session, participant_token=carol.token, step=1, text="Ours")
    their_theme = ws.create_theme(
        session=session, facilitator_key=other_ws.facilitator_key, step=1, name="Theirs"
    )
    ws.reveal(session=session, facilitator_key=other_ws.facilitator_key, step=1, what="notes")
    their_feature = _feature(session, other.token, "Their feature")
    my_note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Mine")
    before = _revision(session, other.token)

    for call in [
        lambda: ws.vote(session=session, participant_token=alice.token, note_id=their_note.id),
        lambda: ws.vote(
            session=session, participant_token=alice.token, feature_id=their_feature.id
        ),
        lambda: ws.blind_score(
            session=session,
            participant_token=alice.token,
            feature_id=their_feature.id,
            value=5,
            effort=5,
        ),
        lambda: ws.edit_own_note(
            session=session, participant_token=alice.token, note_id=their_note.id or 0, text="x"
        ),
        lambda: ws.delete_own_note(
            session=session, participant_token=alice.token, note_id=their_note.id or 0
        ),
        lambda: ws.remove_note(
            session=session, facilitator_key=started.facilitator_key, note_id=their_note.id or 0
        ),
        lambda: ws.promote_note(
            session=session,
            facilitator_key=started.facilitator_key,
            note_id=their_note.id or 0,
            kind="problem",
        ),
        lambda: ws.assign_note_to_theme(
            session=session,
            facilitator_key=started.facilitator_key,
            note_id=my_note.id or 0,
            theme_id=their_theme.id,
        ),
        lambda: ws.delete_theme(
            session=session, facilitator_key=started.facilitator_key, theme_id=their_theme.id or 0
        ),
    ]:
        _fails(NotFound, call)
        session.rollback()
    assert _revision(session, other.token) == before
    # Canvas 2's workshop is not readable with canvas 1's tokens, nor its summary.
    board = ws.board(session=session, viewer_token=alice.token, step=1)
    assert "Ours" not in _everything_said([board.notes]) and len(board.notes) == 1
    _fails(
        NotFound,
        lambda: ws.summary(
            session=session, canvas_token=canvas.token, workshop_id=other_ws.workshop.id or 0
        ),
    )
    assert ws.sync_state(session=session, viewer_token=alice.token).workshop_id == (
        started.workshop.id
    )


# ---------------------------------------------------------------- hidden until reveal


def test_notes_are_hidden_until_revealed(
    session: Session, started: ws.StartedWorkshop, alice: m.Participant, bob: m.Participant
) -> None:
    ws.add_note(session=session, participant_token=alice.token, step=1, text="Alice: exports")
    ws.add_note(session=session, participant_token=bob.token, step=1, text="Bob: onboarding")
    ws.add_note(session=session, participant_token=bob.token, step=1, text="Bob: pricing")

    seen = ws.board(session=session, viewer_token=alice.token, step=1)
    text = _everything_said([seen.notes, seen.themes, seen.tally, seen.features])
    assert "Alice: exports" in text and "Bob" not in text
    assert seen.hidden_notes == 2 and len(seen.notes) == 3
    placeholders = seen.notes[seen.notes["hidden"]]
    assert placeholders["note_id"].isna().all() and placeholders["text"].isna().all()
    assert placeholders["author"].isna().all()  # anonymous by default

    # The facilitator sees everything; the projector (public link) nothing yet.
    full = ws.board(session=session, viewer_token=started.facilitator_key, step=1)
    assert full.hidden_notes == 0 and set(full.notes["text"]) == {
        "Alice: exports",
        "Bob: onboarding",
        "Bob: pricing",
    }
    assert full.notes["author"].isna().all()  # anonymous for the facilitator too
    projector = ws.board(session=session, viewer_token=started.link_token, step=1)
    assert projector.hidden_notes == 3 and projector.my_votes_left is None
    assert "Alice" not in _everything_said([projector.notes])

    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=1, what="notes")
    seen = ws.board(session=session, viewer_token=alice.token, step=1)
    assert seen.hidden_notes == 0 and "Bob: pricing" in set(seen.notes["text"])
    assert list(seen.notes["mine"]) == [True, False, False]
    assert seen.notes["author"].isna().all()
    # Other steps stay hidden.
    ws.add_note(session=session, participant_token=bob.token, step=2, text="Bob: vision")
    assert ws.board(session=session, viewer_token=alice.token, step=2).hidden_notes == 1

    # Named notes when the facilitator turns anonymity off.
    ws.update_workshop(
        session=session, facilitator_key=started.facilitator_key, changes={"anonymous_notes": False}
    )
    seen = ws.board(session=session, viewer_token=alice.token, step=1)
    assert list(seen.notes["author"]) == ["Alice", "Bob", "Bob"]
    _fails(ValidationFailed, lambda: ws.board(session=session, viewer_token=alice.token, step=6))


def test_votes_are_hidden_until_revealed(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    f1, f2 = _feature(session, canvas.token, "One"), _feature(session, canvas.token, "Two")
    for _ in range(2):
        ws.vote(session=session, participant_token=alice.token, feature_id=f1.id)
    ws.vote(session=session, participant_token=bob.token, feature_id=f2.id)

    seen = ws.board(session=session, viewer_token=alice.token, step=3)
    assert seen.features["votes"].isna().all() and seen.tally.empty
    assert list(seen.features["my_votes"]) == [2, 0]
    assert (seen.my_votes_used, seen.my_votes_left, seen.vote_budget) == (2, 1, 3)
    full = ws.board(session=session, viewer_token=started.facilitator_key, step=3)
    assert list(full.features["votes"]) == [2, 1]

    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=3, what="votes")
    seen = ws.board(session=session, viewer_token=bob.token, step=3)
    assert list(seen.features["votes"]) == [2, 1] and list(seen.features["my_votes"]) == [0, 1]
    assert seen.tally.to_dict("records") == [
        {"target_kind": "feature", "target_id": f1.id, "label": "One", "votes": 2},
        {"target_kind": "feature", "target_id": f2.id, "label": "Two", "votes": 1},
    ]
    # Revealing closes the voting of the step.
    _fails(
        PermissionDenied,
        lambda: ws.vote(session=session, participant_token=bob.token, feature_id=f1.id),
        match="voting there is closed",
    )
    _fails(
        PermissionDenied,
        lambda: ws.unvote(session=session, participant_token=alice.token, feature_id=f1.id),
    )


# ------------------------------------------------------------------- budgets and caps


def test_vote_budget_and_cap(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    f1, f2, f3 = (_feature(session, canvas.token, t) for t in ("One", "Two", "Three"))
    vote = ws.vote
    vote(session=session, participant_token=alice.token, feature_id=f1.id)
    vote(session=session, participant_token=alice.token, feature_id=f1.id)
    error = _fails(
        ValidationFailed,
        lambda: vote(session=session, participant_token=alice.token, feature_id=f1.id),
        match="given this item 2 votes",
    )
    assert error.errors[0].field == "vote_cap"  # type: ignore[attr-defined]
    vote(session=session, participant_token=alice.token, feature_id=f2.id)
    error = _fails(
        ValidationFailed,
        lambda: vote(session=session, participant_token=alice.token, feature_id=f3.id),
        match="used all 3 of your votes in step 3",
    )
    assert error.errors[0].field == "vote_budget"  # type: ignore[attr-defined]
    # Budgets are per person: Bob still has his.
    for f in (f1, f2, f3):
        vote(session=session, participant_token=bob.token, feature_id=f.id)
    # Taking one back frees it.
    ws.unvote(session=session, participant_token=alice.token, feature_id=f1.id)
    vote(session=session, participant_token=alice.token, feature_id=f3.id)
    _fails(
        NotFound,
        lambda: ws.unvote(session=session, participant_token=alice.token, feature_id=9999),
    )
    ws.unvote(session=session, participant_token=alice.token, feature_id=f3.id)
    _fails(
        NotFound,
        lambda: ws.unvote(session=session, participant_token=alice.token, feature_id=f3.id),
        match="no vote on this item",
    )
    counts = dict(
        session.exec(
            select(m.Vote.participant_id, func.count()).group_by(m.Vote.participant_id)
        ).all()
    )
    assert counts == {alice.id: 2, bob.id: 3}

    # A budget per step: notes of step 1, once revealed, have their own.
    note = ws.add_note(session=session, participant_token=bob.token, step=1, text="Idea")
    _fails(
        PermissionDenied,
        lambda: vote(session=session, participant_token=alice.token, note_id=note.id),
        match="not revealed yet",
    )
    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=1, what="notes")
    vote(session=session, participant_token=alice.token, note_id=note.id)
    error = _fails(
        ValidationFailed,
        lambda: vote(session=session, participant_token=alice.token),
        match="vote for one note or one feature",
    )
    _fails(
        ValidationFailed,
        lambda: vote(
            session=session, participant_token=alice.token, note_id=note.id, feature_id=f1.id
        ),
    )

    # New rules apply to the next vote; they are validated.
    ws.set_vote_rules(session=session, facilitator_key=started.facilitator_key, budget=4, cap=3)
    vote(session=session, participant_token=alice.token, feature_id=f2.id)
    error = _fails(
        ValidationFailed,
        lambda: ws.set_vote_rules(
            session=session, facilitator_key=started.facilitator_key, budget=2, cap=3
        ),
    )
    assert error.errors[0].field == "vote_cap"  # type: ignore[attr-defined]
    error = _fails(
        ValidationFailed,
        lambda: ws.set_vote_rules(
            session=session, facilitator_key=started.facilitator_key, budget=0, cap=0
        ),
    )
    assert {e.field for e in error.errors} == {"vote_budget", "vote_cap"}  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- lock and timer


def test_a_locked_step_refuses_notes_votes_and_scores(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
) -> None:
    key = started.facilitator_key
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Before")
    feature = _feature(session, canvas.token)
    ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    ws.lock_step(session=session, facilitator_key=key, step=1)
    ws.lock_step(session=session, facilitator_key=key, step=3)
    before = _revision(session, canvas.token)
    for call in [
        lambda: ws.add_note(session=session, participant_token=alice.token, step=1, text="x"),
        lambda: ws.edit_own_note(
            session=session, participant_token=alice.token, note_id=note.id or 0, text="x"
        ),
        lambda: ws.delete_own_note(
            session=session, participant_token=alice.token, note_id=note.id or 0
        ),
        lambda: ws.vote(session=session, participant_token=alice.token, note_id=note.id),
        lambda: ws.vote(session=session, participant_token=alice.token, feature_id=feature.id),
        lambda: ws.blind_score(
            session=session, participant_token=alice.token, feature_id=feature.id, value=3, effort=3
        ),
    ]:
        _fails(PermissionDenied, call, match="is locked by the facilitator")
    assert _revision(session, canvas.token) == before
    assert ws.board(session=session, viewer_token=alice.token, step=1).locked
    # Other steps stay open; the facilitator can still capture what is said.
    ws.add_note(session=session, participant_token=alice.token, step=2, text="Vision")
    ws.add_note(session=session, participant_token=key, step=1, text="Said aloud")
    ws.unlock_step(session=session, facilitator_key=key, step=1)
    ws.add_note(session=session, participant_token=alice.token, step=1, text="After")
    assert len(ws.board(session=session, viewer_token=key, step=1).notes) == 3
    _fails(ValidationFailed, lambda: ws.lock_step(session=session, facilitator_key=key, step=0))


def test_read_only_timer_refuses_notes_once_time_is_up(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = started.facilitator_key
    ws.start_timer(
        session=session,
        facilitator_key=key,
        seconds=300,
        label="Silent brainstorm",
        read_only_when_up=True,
        now=T0,
    )
    state = ws.sync_state(session=session, viewer_token=alice.token, now=T0 + timedelta(minutes=1))
    assert (state.timer_label, state.seconds_left, state.time_is_up) == (
        "Silent brainstorm",
        240.0,
        False,
    )
    assert state.timer_ends_at == T0 + timedelta(minutes=5) and state.timer_read_only
    note = ws.add_note(
        session=session,
        participant_token=alice.token,
        step=1,
        text="In time",
        now=T0 + timedelta(minutes=4, seconds=59),
    )
    late = T0 + timedelta(minutes=5, seconds=1)
    _fails(
        PermissionDenied,
        lambda: ws.add_note(
            session=session, participant_token=alice.token, step=1, text="Late", now=late
        ),
        match="Time is up",
    )
    _fails(
        PermissionDenied,
        lambda: ws.edit_own_note(
            session=session, participant_token=alice.token, note_id=note.id or 0, text="x", now=late
        ),
    )
    # The module clock is what the services read when no ``now`` is given.
    monkeypatch.setattr(ws, "clock", lambda: late)
    _fails(
        PermissionDenied,
        lambda: ws.add_note(session=session, participant_token=alice.token, step=1, text="Late"),
    )
    assert ws.sync_state(session=session, canvas_token=canvas.token).time_is_up
    ws.add_note(session=session, participant_token=key, step=1, text="Facilitator's")

    # A timer without read-only only shows the time.
    ws.start_timer(session=session, facilitator_key=key, seconds=60, now=T0)
    ws.add_note(session=session, participant_token=alice.token, step=1, text="Still fine")
    # Stopping the timer clears it.
    ws.start_timer(session=session, facilitator_key=key, seconds=60, read_only_when_up=True, now=T0)
    ws.stop_timer(session=session, facilitator_key=key)
    ws.add_note(session=session, participant_token=alice.token, step=1, text="Fine again")
    state = ws.sync_state(session=session, viewer_token=alice.token)
    assert state.timer_ends_at is None and state.seconds_left is None and not state.time_is_up

    for seconds in (0, -5, ws.TIMER_MAX_SECONDS + 1):
        error = _fails(
            ValidationFailed,
            lambda seconds=seconds: ws.start_timer(  # type: ignore[misc]
                session=session, facilitator_key=key, seconds=seconds
            ),
        )
        assert error.errors[0].field == "seconds"  # type: ignore[attr-defined]
    error = _fails(
        ValidationFailed,
        lambda: ws.start_timer(session=session, facilitator_key=key, seconds=60, label="x" * 81),
    )
    assert error.errors[0].field == "timer_label"  # type: ignore[attr-defined]


def test_a_finished_timer_does_not_follow_the_room_into_the_next_step(
    session: Session,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = started.facilitator_key
    ws.start_timer(session=session, facilitator_key=key, seconds=60, read_only_when_up=True, now=T0)
    monkeypatch.setattr(ws, "clock", lambda: T0 + timedelta(minutes=2))
    assert ws.sync_state(session=session, viewer_token=alice.token).time_is_up
    ws.go_to_step(session=session, facilitator_key=key, step=2)
    state = ws.sync_state(session=session, viewer_token=alice.token)
    assert (state.timer_ends_at, state.time_is_up, state.timer_read_only) == (None, False, False)
    ws.add_note(session=session, participant_token=alice.token, step=2, text="Not read-only")
    # A timer still running goes on across the move (a timebox may span two steps).
    ws.start_timer(session=session, facilitator_key=key, seconds=600, label="Two steps")
    ws.go_to_step(session=session, facilitator_key=key, step=3)
    state = ws.sync_state(session=session, viewer_token=alice.token)
    assert state.timer_label == "Two steps" and not state.time_is_up


# ------------------------------------------------------------- pacing, presence, sync


def test_pacing_changes_what_every_screen_reads(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    key = started.facilitator_key
    first = ws.sync_state(session=session, canvas_token=canvas.token)
    assert (first.step, first.phase, first.status, first.workshop_id) == (
        1,
        "brainstorm",
        "active",
        started.workshop.id,
    )
    assert ws.sync_state(session=session, viewer_token=alice.token) == first
    assert ws.sync_state(session=session, viewer_token=started.link_token) == first
    assert ws.sync_state(session=session, viewer_token=key) == first

    ws.set_ready(session=session, participant_token=alice.token)
    ws.go_to_step(session=session, facilitator_key=key, step=3)
    ws.set_phase(session=session, facilitator_key=key, phase="vote")
    ws.set_follow_me(session=session, facilitator_key=key, follow_me=False)
    state = ws.sync_state(session=session, viewer_token=alice.token)
    assert (state.step, state.phase, state.follow_me) == (3, "vote", False)
    assert state.revision == first.revision + 4
    assert state.workshop_version == (first.workshop_version or 0) + 3
    # Going to a step clears everyone's ready.
    assert not ws.presence(session=session, viewer_token=key).people["ready"].any()

    for call, field in [
        (lambda: ws.go_to_step(session=session, facilitator_key=key, step=6), "current_step"),
        (lambda: ws.set_phase(session=session, facilitator_key=key, phase="dance"), "phase"),  # type: ignore[arg-type]
        (
            lambda: ws.update_workshop(
                session=session, facilitator_key=key, changes={"facilitator_key": "mine"}
            ),
            "facilitator_key",
        ),
    ]:
        error = _fails(ValidationFailed, call)
        assert error.errors[0].field == field  # type: ignore[attr-defined]
    assert ws.sync_state(session=session, canvas_token=canvas.token).revision == state.revision

    # A settings form opened at an older version is a conflict.
    view = ws.workshop_view(session=session, viewer_token=key)
    ws.update_workshop(
        session=session,
        facilitator_key=key,
        changes={"title": "Renamed"},
        expected_version=view.workshop.version,
    )
    conflict = _fails(
        ConflictError,
        lambda: ws.update_workshop(
            session=session,
            facilitator_key=key,
            changes={"title": "Stale"},
            expected_version=view.workshop.version,
        ),
    )
    assert conflict.current.title == "Renamed"  # type: ignore[attr-defined]

    # Without a workshop the canvas still answers, with no pace.
    other = canvases.create_canvas(session=session, canvas_in={"name": "Quiet"})
    quiet = ws.sync_state(session=session, canvas_token=other.token)
    assert quiet.workshop_id is None and quiet.step is None and quiet.revision >= 1
    _fails(NotFound, lambda: ws.sync_state(session=session, canvas_token="no-such-canvas"))


def test_presence_heartbeat_and_ready(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    canvas_token = canvas.token
    before = _revision(session, canvas_token)
    ws.heartbeat(session=session, participant_token=alice.token, now=T0 + timedelta(seconds=100))
    assert _revision(session, canvas_token) == before  # presence is read by time
    ws.heartbeat(session=session, participant_token=bob.token, now=T0 + timedelta(seconds=50))
    ws.set_ready(session=session, participant_token=bob.token)
    seen = ws.presence(
        session=session,
        viewer_token=alice.token,
        now=T0 + timedelta(seconds=110),
        within_seconds=30,
    )
    people = seen.people.set_index("display_name")
    assert list(seen.people["display_name"]) == ["Fran", "Alice", "Bob"]
    assert bool(people.loc["Alice", "here"]) and not bool(people.loc["Bob", "here"])
    assert bool(people.loc["Bob", "ready"]) and bool(people.loc["Alice", "me"])
    assert bool(people.loc["Fran", "is_facilitator"])
    # Bob is ready but gone: a ready flag of someone who left is not counted.
    assert (seen.total, seen.here, seen.ready) == (3, 1, 0)
    assert not any(t in _everything_said([seen.people]) for t in (alice.token, bob.token))
    assert started.facilitator_key not in _everything_said([seen.people])
    back = ws.presence(session=session, viewer_token=alice.token, now=T0 + timedelta(seconds=52))
    assert (back.here, back.ready) == (2, 1)  # at 52 s both are here, Bob ready
    # Heartbeats closer than a few seconds are not written.
    ws.heartbeat(session=session, participant_token=alice.token, now=T0 + timedelta(seconds=101))
    stored = session.get(m.Participant, alice.id, populate_existing=True)
    assert stored is not None and stored.last_seen_at == T0 + timedelta(seconds=100)
    ws.set_ready(session=session, participant_token=bob.token, ready=False)
    assert ws.presence(session=session, viewer_token=started.link_token).ready == 0


# ------------------------------------------------------------------ notes and themes


def test_own_notes_can_be_edited_and_taken_back_but_not_others(
    session: Session, started: ws.StartedWorkshop, alice: m.Participant, bob: m.Participant
) -> None:
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Draft")
    edited = ws.edit_own_note(
        session=session, participant_token=alice.token, note_id=note.id or 0, text=" Final "
    )
    assert (edited.text, edited.version) == ("Final", 2)
    _fails(
        PermissionDenied,
        lambda: ws.edit_own_note(
            session=session, participant_token=bob.token, note_id=note.id or 0, text="Mine"
        ),
        match="your own notes",
    )
    _fails(
        PermissionDenied,
        lambda: ws.delete_own_note(
            session=session, participant_token=bob.token, note_id=note.id or 0
        ),
    )
    _fails(
        ConflictError,
        lambda: ws.edit_own_note(
            session=session,
            participant_token=alice.token,
            note_id=note.id or 0,
            text="Stale",
            expected_version=1,
        ),
    )
    for text, rule in [("", "is required"), ("x" * 501, "at most 500 characters")]:
        error = _fails(
            ValidationFailed,
            lambda text=text: ws.add_note(  # type: ignore[misc]
                session=session, participant_token=alice.token, step=1, text=text
            ),
            match=rule,
        )
        assert error.errors[0].field == "text"  # type: ignore[attr-defined]
    error = _fails(
        ValidationFailed,
        lambda: ws.add_note(session=session, participant_token=alice.token, step=9, text="x"),
    )
    assert error.errors[0].field == "step"  # type: ignore[attr-defined]

    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=1, what="notes")
    ws.vote(session=session, participant_token=bob.token, note_id=note.id)
    ws.delete_own_note(session=session, participant_token=alice.token, note_id=note.id or 0)
    assert session.exec(select(func.count()).select_from(m.Vote)).one() == 0
    assert ws.board(session=session, viewer_token=bob.token, step=1).notes.empty


def test_the_facilitator_groups_and_removes_notes(
    session: Session, started: ws.StartedWorkshop, alice: m.Participant, bob: m.Participant
) -> None:
    key = started.facilitator_key
    n1 = ws.add_note(session=session, participant_token=alice.token, step=1, text="Slow export")
    n2 = ws.add_note(session=session, participant_token=bob.token, step=1, text="Slow search")
    n3 = ws.add_note(session=session, participant_token=bob.token, step=2, text="Be fast")
    speed = ws.create_theme(session=session, facilitator_key=key, step=1, name=" Speed ")
    assert speed.name == "Speed"
    ws.assign_note_to_theme(
        session=session, facilitator_key=key, note_id=n1.id or 0, theme_id=speed.id
    )
    ws.assign_note_to_theme(
        session=session, facilitator_key=key, note_id=n2.id or 0, theme_id=speed.id
    )
    _fails(
        ValidationFailed,
        lambda: ws.assign_note_to_theme(
            session=session, facilitator_key=key, note_id=n3.id or 0, theme_id=speed.id
        ),
        match="belongs to step 1, the note to step 2",
    )
    error = _fails(
        ValidationFailed,
        lambda: ws.create_theme(session=session, facilitator_key=key, step=1, name="x" * 81),
    )
    assert error.errors[0].field == "name"  # type: ignore[attr-defined]
    ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    ws.vote(session=session, participant_token=alice.token, note_id=n2.id)
    ws.reveal(session=session, facilitator_key=key, step=1, what="votes")
    seen = ws.board(session=session, viewer_token=alice.token, step=1)
    assert seen.themes.to_dict("records") == [
        {"theme_id": speed.id, "name": "Speed", "notes": 2, "votes": 1}
    ]
    assert set(seen.notes["theme"]) == {"Speed"}
    ws.rename_theme(session=session, facilitator_key=key, theme_id=speed.id or 0, name="Latency")
    assert set(ws.board(session=session, viewer_token=key, step=1).notes["theme"]) == {"Latency"}

    ws.assign_note_to_theme(session=session, facilitator_key=key, note_id=n1.id or 0, theme_id=None)
    ws.delete_theme(session=session, facilitator_key=key, theme_id=speed.id or 0)
    seen = ws.board(session=session, viewer_token=key, step=1)
    assert seen.themes.empty and seen.notes["theme_id"].isna().all()

    ws.remove_note(session=session, facilitator_key=key, note_id=n2.id or 0)
    assert list(ws.board(session=session, viewer_token=key, step=1).notes["note_id"]) == [n1.id]
    assert session.exec(select(func.count()).select_from(m.Vote)).one() == 0
    _fails(
        NotFound, lambda: ws.remove_note(session=session, facilitator_key=key, note_id=n2.id or 0)
    )


# ------------------------------------------------------------------------- promotion


@pytest.mark.parametrize(
    ("step", "kind"),
    [(s, k) for s, kinds in ws.PROMOTION_KINDS.items() for k in kinds],
)
def test_promotion_creates_the_real_item_and_links_it(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    step: int,
    kind: str,
) -> None:
    note = ws.add_note(session=session, participant_token=alice.token, step=step, text="Make it so")
    before = _revision(session, canvas.token)
    item = ws.promote_note(
        session=session, facilitator_key=started.facilitator_key, note_id=note.id or 0, kind=kind
    )
    assert _revision(session, canvas.token) > before
    stored = items.get_item(session=session, canvas_token=canvas.token, kind=kind, item_id=item.id)
    assert getattr(stored, items.ITEM_TYPES[kind].title_field) == "Make it so"
    linked = session.get(m.Note, note.id, populate_existing=True)
    assert linked is not None and (linked.promoted_kind, linked.promoted_item_id) == (kind, item.id)
    board = ws.board(session=session, viewer_token=started.facilitator_key, step=step)
    assert board.notes.loc[0, "promoted_kind"] == kind


def test_promotion_rules(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    key = started.facilitator_key
    persona = items.create_item(
        session=session, canvas_token=canvas.token, kind="persona", data={"name": "Dana"}
    )
    long_text = "Teams cannot see who decided what, so they " + "argue again " * 30
    note = ws.add_note(session=session, participant_token=alice.token, step=3, text=long_text)
    _fails(
        ValidationFailed,
        lambda: ws.promote_note(
            session=session, facilitator_key=key, note_id=note.id or 0, kind="goal"
        ),
        match="a note of step 3 can become: feature",
    )
    # Bad fields: nothing is written, the note stays unpromoted.
    error = _fails(
        ValidationFailed,
        lambda: ws.promote_note(
            session=session,
            facilitator_key=key,
            note_id=note.id or 0,
            kind="feature",
            fields={"value": 11},
        ),
    )
    assert error.errors[0].field == "value"  # type: ignore[attr-defined]
    assert items.list_items(session=session, canvas_token=canvas.token, kind="feature") == []
    assert session.get(m.Note, note.id, populate_existing=True).promoted_kind is None  # type: ignore[union-attr]

    feature = ws.promote_note(
        session=session,
        facilitator_key=key,
        note_id=note.id or 0,
        kind="feature",
        fields={"persona_id": persona.id, "value": 8},
    )
    assert len(feature.title) <= 200 and feature.title.endswith("…")
    assert feature.description == long_text.strip()
    assert (feature.persona_id, feature.value) == (persona.id, 8)
    _fails(
        ValidationFailed,
        lambda: ws.promote_note(
            session=session, facilitator_key=key, note_id=note.id or 0, kind="feature"
        ),
        match="is already a feature",
    )
    assert len(items.list_items(session=session, canvas_token=canvas.token, kind="feature")) == 1


def test_a_promoted_note_is_one_target_with_its_item_and_keeps_the_step_complete(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    from strategy_canvas.services import progress

    key = started.facilitator_key
    persona = items.create_item(
        session=session,
        canvas_token=canvas.token,
        kind="persona",
        data={"name": "Dana", "jobs": "plan", "pains": "chaos"},
    )
    goal = items.create_item(
        session=session, canvas_token=canvas.token, kind="goal", data={"title": "Retain"}
    )
    idea = ws.add_note(session=session, participant_token=alice.token, step=3, text="Offline")
    ws.reveal(session=session, facilitator_key=key, step=3, what="notes")
    for token in (alice.token, bob.token):
        ws.vote(session=session, participant_token=token, note_id=idea.id)
    feature = ws.promote_note(
        session=session,
        facilitator_key=key,
        note_id=idea.id or 0,
        kind="feature",
        fields={"persona_id": persona.id, "goal_id": goal.id, "moscow": "must", "value": None},
    )
    assert (feature.persona_id, feature.goal_id, feature.moscow) == (persona.id, goal.id, "must")
    # No more votes on the note: the feature is the target; a vote given may be taken back.
    _fails(
        ValidationFailed,
        lambda: ws.vote(session=session, participant_token=bob.token, note_id=idea.id),
        match="vote for the feature instead",
    )
    ws.vote(session=session, participant_token=bob.token, feature_id=feature.id)
    tally = ws.board(session=session, viewer_token=key, step=3).tally
    assert tally.to_dict("records") == [
        {"target_kind": "feature", "target_id": feature.id, "label": "Offline", "votes": 3}
    ]
    ws.unvote(session=session, participant_token=bob.token, note_id=idea.id)
    summary = ws.summary(session=session, canvas_token=canvas.token, workshop_id=idea.workshop_id)
    assert [(v["target_kind"], v["votes"]) for v in summary["appendix"]["votes"]] == [
        ("feature", 2)
    ]
    # A problem carries the note's text as its statement: step 1 does not lose the rule.
    problem_note = ws.add_note(
        session=session, participant_token=alice.token, step=1, text="Dinner is a daily fight"
    )
    problem = ws.promote_note(
        session=session, facilitator_key=key, note_id=problem_note.id or 0, kind="problem"
    )
    assert problem.statement == "Dinner is a daily fight"
    [step1] = [p for p in progress.step_progress(session=session, canvas_token=canvas.token)
               if p.step == 1]  # fmt: skip
    assert not any("statement" in line for line in step1.missing)
    assert set(ws.COMPLETING_FIELDS["feature"]) == {"persona_id", "goal_id", "moscow"}


# ----------------------------------------------------------------------- blind scores


def test_blind_scores_stay_blind_until_revealed_then_show_spread(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    carol = ws.join(session=session, display_name="Carol", join_code=started.join_code)
    agreed = _feature(session, canvas.token, "Agreed")
    split = _feature(session, canvas.token, "Split")
    _feature(session, canvas.token, "Unscored")
    scores = [(alice, (6, 3), (1, 2)), (bob, (7, 3), (9, 2)), (carol, (6, 4), (5, 9))]
    for person, (v1, e1), (v2, e2) in scores:
        ws.blind_score(
            session=session,
            participant_token=person.token,
            feature_id=agreed.id,
            value=v1,
            effort=e1,
        )
        ws.blind_score(
            session=session,
            participant_token=person.token,
            feature_id=split.id,
            value=v2,
            effort=e2,
        )
    # Scoring again replaces the score.
    ws.blind_score(
        session=session, participant_token=alice.token, feature_id=agreed.id, value=5, effort=3
    )
    assert session.exec(select(func.count()).select_from(m.BlindScore)).one() == 6

    seen = ws.score_summary(session=session, viewer_token=bob.token)
    assert not seen.revealed and not seen.visible
    assert (seen.scorers, seen.participants) == (3, 4)
    rows = seen.features.set_index("title")
    assert list(rows["scores"]) == [3, 3, 0]
    assert (rows.loc["Split", "my_value"], rows.loc["Split", "my_effort"]) == (9, 2)
    for column in ("mean_value", "mean_effort", "value_std", "effort_range", "discuss"):
        assert rows[column].isna().all(), column
    # The facilitator sees them at once.
    assert ws.score_summary(session=session, viewer_token=started.facilitator_key).visible

    error = _fails(
        PermissionDenied,
        lambda: ws.reveal(session=session, facilitator_key=alice.token, step=3, what="scores"),
    )
    _fails(
        ValidationFailed,
        lambda: ws.reveal(
            session=session, facilitator_key=started.facilitator_key, step=2, what="scores"
        ),
        match="in step 3",
    )
    _fails(
        ValidationFailed,
        lambda: ws.reveal(
            session=session,
            facilitator_key=started.facilitator_key,
            step=3,
            what="secrets",  # type: ignore[arg-type]
        ),
    )
    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=3, what="scores")
    seen = ws.score_summary(session=session, viewer_token=bob.token)
    assert seen.revealed and seen.visible
    rows = seen.features.set_index("title")
    assert rows.loc["Agreed", "mean_value"] == 6.0 and rows.loc["Agreed", "value_range"] == 2
    assert rows.loc["Agreed", "value_std"] == pytest.approx(0.82, abs=0.01)
    assert not rows.loc["Agreed", "discuss"]
    assert rows.loc["Split", "mean_value"] == 5.0 and rows.loc["Split", "value_range"] == 8
    assert rows.loc["Split", "value_std"] == pytest.approx(3.27, abs=0.01)
    assert rows.loc["Split", "effort_range"] == 7 and bool(rows.loc["Split", "discuss"])
    assert pd.isna(rows.loc["Unscored", "discuss"])
    _fails(
        PermissionDenied,
        lambda: ws.blind_score(
            session=session, participant_token=bob.token, feature_id=agreed.id, value=1, effort=1
        ),
        match="scoring is closed",
    )
    for value, effort, field in [(0, 5, "value"), (5, 11, "effort")]:
        error = _fails(
            ValidationFailed,
            lambda value=value, effort=effort: ws.blind_score(  # type: ignore[misc]
                session=session,
                participant_token=carol.token,
                feature_id=agreed.id,
                value=value,
                effort=effort,
            ),
        )
        assert error.errors[0].field == field  # type: ignore[attr-defined]


def test_discuss_flag_thresholds() -> None:
    assert boards.discuss(*boards.spread([5, 5, 9])[1:])  # range 4
    assert not boards.discuss(*boards.spread([5, 6, 8])[1:])  # std 1.25, range 3
    assert boards.discuss(*boards.spread([1, 5])[1:])  # std 2


def test_apply_blind_scores_writes_value_and_effort_to_the_features(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    f1 = _feature(session, canvas.token, "One", value=2, effort=8.0)
    f2 = _feature(session, canvas.token, "Two", effort=0.5, effort_low=0.25, effort_high=1.0)
    untouched = _feature(session, canvas.token, "Unscored", value=4)
    for person, (v1, e1), (v2, e2) in [(alice, (7, 4), (2, 9)), (bob, (8, 5), (3, 10))]:
        ws.blind_score(
            session=session, participant_token=person.token, feature_id=f1.id, value=v1, effort=e1
        )
        ws.blind_score(
            session=session, participant_token=person.token, feature_id=f2.id, value=v2, effort=e2
        )
    before = _revision(session, canvas.token)
    applied = ws.apply_blind_scores(session=session, facilitator_key=started.facilitator_key)
    assert _revision(session, canvas.token) > before
    rows = applied.set_index("title")
    assert list(rows.index) == ["One", "Two"]
    assert (rows.loc["One", "value"], rows.loc["One", "effort"]) == (8, 1.75)  # 7.5 → 8
    assert (rows.loc["One", "previous_value"], rows.loc["One", "previous_effort"]) == (2, 8.0)
    assert (rows.loc["Two", "value"], rows.loc["Two", "effort"]) == (3, 10.5)  # 2.5 → 3

    one = items.get_item(session=session, canvas_token=canvas.token, kind="feature", item_id=f1.id)
    two = items.get_item(session=session, canvas_token=canvas.token, kind="feature", item_id=f2.id)
    assert (one.value, one.effort, one.version) == (8, 1.75, 2)
    # The range is widened to hold the new estimate, so the feature stays valid.
    assert (two.value, two.effort, two.effort_low, two.effort_high) == (3, 10.5, 0.25, 10.5)
    same = items.get_item(
        session=session, canvas_token=canvas.token, kind="feature", item_id=untouched.id
    )
    assert (same.value, same.version) == (4, 1)


def test_effort_mapping_is_monotonic_and_documented() -> None:
    assert ws.effort_person_months(1) == 0.25 and ws.effort_person_months(10) == 12.0
    assert ws.effort_person_months(3) == 1.0 and ws.effort_person_months(3.5) == 1.25
    points = [ws.effort_person_months(e / 4) for e in range(4, 41)]
    assert points == sorted(points)
    assert [ws.blind_value(v) for v in (1.0, 2.49, 2.5, 9.6, 10)] == [1, 2, 3, 10, 10]


# ------------------------------------------------------------------ join-code limits


def _attempt(engine: Engine, code: str, now: datetime, name: str = "Guess") -> m.Participant:
    """One join attempt, in its own session, like one request of its own."""
    with Session(engine, expire_on_commit=False) as fresh:
        return ws.join(session=fresh, display_name=name, join_code=code, now=now)


def _wrong_codes(prefix: str, right: set[str], count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = prefix + "".join(
            secrets.choice(ws.JOIN_CODE_ALPHABET) for _ in range(ws.JOIN_CODE_LENGTH - len(prefix))
        )
        if code not in right and code not in codes:
            codes.append(code)
    return codes


def test_join_code_guessing_is_limited_per_workshop(
    engine: Engine, session: Session, canvas: m.Canvas, started: ws.StartedWorkshop
) -> None:
    other_canvas = canvases.create_canvas(session=session, canvas_in={"name": "Other"})
    other = ws.start_workshop(session=session, canvas_token=other_canvas.token, title="Other")
    code = started.join_code
    assert other.join_code[: ws.CODE_PREFIX_LENGTH] != code[: ws.CODE_PREFIX_LENGTH]
    prefix = code[: ws.CODE_PREFIX_LENGTH]
    for wrong in _wrong_codes(prefix, {code}, ws.MAX_FAILED_JOINS_PER_CODE):
        _fails(NotFound, lambda wrong=wrong: _attempt(engine, wrong, T0), match="No workshop")  # type: ignore[misc]
    # Now even the right code is refused for the window: a guesser cannot tell.
    for later in (0, 30, 59):
        _fails(
            PermissionDenied,
            lambda later=later: _attempt(engine, code, T0 + timedelta(seconds=later)),  # type: ignore[misc]
            match="Too many attempts; wait a minute",
        )
    # Another workshop's code (another bucket) and the join link still work.
    _attempt(engine, other.join_code, T0 + timedelta(seconds=1), "Olga")
    with Session(engine) as fresh:
        ws.join(session=fresh, display_name="Linus", link_token=started.link_token)
    # A minute after the last failure, the right code works again.
    joined = _attempt(engine, code, T0 + timedelta(seconds=61), "Patient")
    assert joined.workshop_id == started.workshop.id
    count = session.exec(select(func.count()).select_from(m.JoinAttempt)).one()
    assert count == ws.MAX_FAILED_JOINS_PER_CODE  # refusals are not counted


def test_join_code_guessing_is_limited_globally(
    engine: Engine, session: Session, started: ws.StartedWorkshop
) -> None:
    code = started.join_code
    prefixes: set[str] = set()
    while len(prefixes) < ws.MAX_FAILED_JOINS_GLOBAL:
        prefix = "".join(secrets.choice(ws.JOIN_CODE_ALPHABET) for _ in range(3))
        if prefix != code[:3]:
            prefixes.add(prefix)
    # Random guesses, each in a different bucket, none over the per-code limit...
    for i, prefix in enumerate(sorted(prefixes)):
        wrong = _wrong_codes(prefix, {code}, 1)[0]
        _fails(
            NotFound,
            lambda wrong=wrong, i=i: _attempt(engine, wrong, T0 + timedelta(seconds=i / 2)),
        )  # type: ignore[misc]
    # ...add up to the global limit: every code is refused, the right one too.
    last = T0 + timedelta(seconds=(len(prefixes) - 1) / 2)
    _fails(
        PermissionDenied,
        lambda: _attempt(engine, code, last + timedelta(seconds=1)),
        match="Too many attempts",
    )
    # The window slides: once the oldest failures are a minute old, joins work again.
    joined = _attempt(engine, code, T0 + timedelta(seconds=61), "Later")
    assert joined.workshop_id == started.workshop.id


def test_old_attempts_are_pruned(
    engine: Engine, session: Session, started: ws.StartedWorkshop
) -> None:
    for i in range(3):
        _fails(NotFound, lambda i=i: _attempt(engine, "ZZZZZ" + str(i + 2), T0))  # type: ignore[misc]
    _fails(
        NotFound, lambda: _attempt(engine, "ZZZZZ9", T0 + ws.ATTEMPTS_KEPT + timedelta(seconds=1))
    )
    assert session.exec(select(func.count()).select_from(m.JoinAttempt)).one() == 1


# ------------------------------------------------------------------ end and summary


def test_ending_keeps_everything_in_the_canvas(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
) -> None:
    key = started.facilitator_key
    feature = _feature(session, canvas.token)
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Keep me")
    later = ws.add_note(session=session, participant_token=alice.token, step=4, text="Ship it")
    theme = ws.create_theme(session=session, facilitator_key=key, step=1, name="Kept")
    ws.assign_note_to_theme(
        session=session, facilitator_key=key, note_id=note.id or 0, theme_id=theme.id
    )
    ws.vote(session=session, participant_token=alice.token, feature_id=feature.id)
    ws.blind_score(
        session=session, participant_token=alice.token, feature_id=feature.id, value=4, effort=4
    )
    ws.start_timer(session=session, facilitator_key=key, seconds=60)

    ended = ws.end_workshop(session=session, facilitator_key=key, now=T0)
    assert (ended.status, ended.ended_at, ended.join_code, ended.timer_ends_at) == (
        "ended",
        T0,
        None,
        None,
    )
    for table in (m.Note, m.Theme, m.Vote, m.BlindScore, m.Participant):
        assert session.exec(select(func.count()).select_from(table)).one() >= 1, table
    assert ws.board(session=session, viewer_token=key, step=1).notes.loc[0, "theme"] == "Kept"
    state = ws.sync_state(session=session, viewer_token=alice.token)
    assert state.status == "ended"
    assert ws.sync_state(session=session, canvas_token=canvas.token).workshop_id is None

    # Nothing more is added; the code is freed; pacing is over.
    for call in [
        lambda: ws.add_note(session=session, participant_token=alice.token, step=1, text="x"),
        lambda: ws.vote(session=session, participant_token=alice.token, feature_id=feature.id),
        lambda: ws.blind_score(
            session=session, participant_token=alice.token, feature_id=feature.id, value=1, effort=1
        ),
        lambda: ws.set_ready(session=session, participant_token=alice.token),
        lambda: ws.go_to_step(session=session, facilitator_key=key, step=2),
        lambda: ws.start_timer(session=session, facilitator_key=key, seconds=60),
        lambda: ws.end_workshop(session=session, facilitator_key=key),
        lambda: ws.join(session=session, display_name="Late", link_token=started.link_token),
        lambda: ws.add_note(session=session, participant_token=key, step=1, text="x"),
    ]:
        _fails(PermissionDenied, call, match="ended")
    _fails(
        NotFound,
        lambda: ws.join(session=session, display_name="Late", join_code=started.join_code),
    )
    # The identity still works to read, and the facilitator can still promote.
    assert ws.rejoin(session=session, participant_token=alice.token).id == alice.id
    roadmap_item = ws.promote_note(
        session=session, facilitator_key=key, note_id=later.id or 0, kind="roadmap_item"
    )
    assert roadmap_item.title == "Ship it"
    ws.apply_blind_scores(session=session, facilitator_key=key)
    # A new workshop can start on the canvas.
    ws.start_workshop(session=session, canvas_token=canvas.token, title="Follow-up")
    assert len(ws.list_workshops(session=session, canvas_token=canvas.token)) == 2


def test_summary_lists_decisions_actions_and_the_appendix(
    session: Session,
    canvas: m.Canvas,
    started: ws.StartedWorkshop,
    alice: m.Participant,
    bob: m.Participant,
) -> None:
    key = started.facilitator_key
    feature = _feature(session, canvas.token, "Bulk export")
    problem_note = ws.add_note(
        session=session, participant_token=alice.token, step=1, text="Export takes hours"
    )
    idea = ws.add_note(session=session, participant_token=bob.token, step=1, text="Use a queue")
    ws.add_note(session=session, participant_token=bob.token, step=1, text="Blue logo")
    action_note = ws.add_note(session=session, participant_token=alice.token, step=4, text="Pilot")
    theme = ws.create_theme(session=session, facilitator_key=key, step=1, name="Speed")
    ws.assign_note_to_theme(
        session=session, facilitator_key=key, note_id=idea.id or 0, theme_id=theme.id
    )
    ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    ws.vote(session=session, participant_token=alice.token, note_id=idea.id)
    ws.vote(session=session, participant_token=bob.token, note_id=idea.id)
    ws.vote(session=session, participant_token=bob.token, note_id=problem_note.id)
    ws.vote(session=session, participant_token=alice.token, feature_id=feature.id)
    ws.blind_score(
        session=session, participant_token=alice.token, feature_id=feature.id, value=9, effort=2
    )
    ws.blind_score(
        session=session, participant_token=bob.token, feature_id=feature.id, value=3, effort=2
    )
    problem = ws.promote_note(
        session=session, facilitator_key=key, note_id=problem_note.id or 0, kind="problem"
    )
    risk = ws.promote_note(
        session=session,
        facilitator_key=key,
        note_id=action_note.id or 0,
        kind="risk",
        fields={"owner": "Dana"},
    )
    ws.end_workshop(session=session, facilitator_key=key)

    report = ws.summary(
        session=session, canvas_token=canvas.token, workshop_id=started.workshop.id or 0
    )
    json.dumps(report)  # plain data for the export
    assert report["workshop"]["title"] == "Kick-off" and report["workshop"]["status"] == "ended"
    assert report["workshop"]["facilitator"] == "Fran" and report["workshop"]["participants"] == 3
    assert [(d["kind"], d["item_id"], d["title"], d["votes"]) for d in report["decisions"]] == [
        ("problem", problem.id, "Export takes hours", 1)
    ]
    assert [(a["kind"], a["item_id"], a["title"], a["note"]) for a in report["actions"]] == [
        ("risk", risk.id, "Pilot", "Pilot")
    ]
    appendix = report["appendix"]
    assert [(n["text"], n["theme"], n["votes"], n["author"]) for n in appendix["notes"]] == [
        ("Use a queue", "Speed", 2, None),
        ("Blue logo", None, 0, None),
    ]
    assert appendix["themes"] == [
        {"theme_id": theme.id, "step": 1, "name": "Speed", "notes": 1, "votes": 2}
    ]
    assert [(v["step"], v["label"], v["votes"]) for v in appendix["votes"]] == [
        (1, "Use a queue", 2),
        (1, "Export takes hours", 1),
        (3, "Bulk export", 1),
    ]
    [score] = appendix["scores"]
    assert (score["title"], score["mean_value"], score["value_range"], score["discuss"]) == (
        "Bulk export",
        6.0,
        6,
        True,
    )
    assert report["counts"] == {
        "notes": 4,
        "promoted": 2,
        "votes": 4,
        "scorers": 2,
        "participants": 3,
    }
    # A deleted item is still listed, marked gone.
    items.delete_item(
        session=session,
        canvas_token=canvas.token,
        kind="problem",
        item_id=problem.id,
        expected_version=1,
    )
    report = ws.summary(
        session=session, canvas_token=canvas.token, workshop_id=started.workshop.id or 0
    )
    assert report["decisions"][0]["still_exists"] is False
    # The summary needs the canvas token.
    _fails(
        NotFound,
        lambda: ws.summary(
            session=session, canvas_token=alice.token, workshop_id=started.workshop.id or 0
        ),
    )


def test_named_notes_show_their_authors_in_the_summary(session: Session, canvas: m.Canvas) -> None:
    started = ws.start_workshop(
        session=session, canvas_token=canvas.token, title="Open", anonymous_notes=False
    )
    dana = ws.join(session=session, display_name="Dana", join_code=started.join_code)
    ws.add_note(session=session, participant_token=dana.token, step=2, text="Be the default")
    report = ws.summary(
        session=session, canvas_token=canvas.token, workshop_id=started.workshop.id or 0
    )
    assert report["appendix"]["notes"][0]["author"] == "Dana"


def test_deleting_the_canvas_deletes_its_workshops(
    session: Session, canvas: m.Canvas, started: ws.StartedWorkshop, alice: m.Participant
) -> None:
    feature = _feature(session, canvas.token)
    ws.add_note(session=session, participant_token=alice.token, step=1, text="Gone")
    ws.create_theme(session=session, facilitator_key=started.facilitator_key, step=1, name="T")
    ws.vote(session=session, participant_token=alice.token, feature_id=feature.id)
    ws.blind_score(
        session=session, participant_token=alice.token, feature_id=feature.id, value=2, effort=2
    )
    keep = canvases.create_canvas(session=session, canvas_in={"name": "Keep"})
    kept = ws.start_workshop(session=session, canvas_token=keep.token, title="Kept")
    canvases.delete_canvas(session=session, canvas_token=canvas.token, confirm_name="Acme")
    for table in (m.Note, m.Theme, m.Vote, m.BlindScore):
        assert session.exec(select(func.count()).select_from(table)).one() == 0, table
    assert session.exec(select(func.count()).select_from(m.WorkshopStep)).one() == 5
    assert session.exec(select(m.Workshop.id)).all() == [kept.workshop.id]
    assert session.exec(select(func.count()).select_from(m.Participant)).one() == 1
    _fails(PermissionDenied, lambda: ws.board(session=session, viewer_token=alice.token, step=1))


def test_a_vote_click_delivered_twice_counts_once(
    session: Session, started: ws.StartedWorkshop, alice: m.Participant, bob: m.Participant
) -> None:
    """Streamlit can deliver a button click inside a polling fragment twice; the button
    sends the count it was drawn with, and a second delivery changes nothing."""
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Offline")
    ws.reveal(session=session, facilitator_key=started.facilitator_key, step=1, what="notes")

    def mine() -> int:
        board = ws.board(session=session, viewer_token=bob.token, step=1)
        return int(board.notes.set_index("note_id").loc[note.id, "my_votes"])

    def revision() -> int:
        return ws.sync_state(session=session, viewer_token=bob.token).revision

    assert ws.vote(session=session, participant_token=bob.token, note_id=note.id, seen=0)
    before = revision()
    assert ws.vote(session=session, participant_token=bob.token, note_id=note.id, seen=0) is None
    assert (mine(), revision()) == (1, before)  # the repeat changed nothing, not even the counter
    ws.vote(session=session, participant_token=bob.token, note_id=note.id, seen=1)
    assert mine() == 2
    ws.unvote(session=session, participant_token=bob.token, note_id=note.id, seen=2)
    ws.unvote(session=session, participant_token=bob.token, note_id=note.id, seen=2)
    assert mine() == 1
