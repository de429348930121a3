"""Thirty people at once, on a SQLite file with the production pragmas and on PostgreSQL:
each action in its own session, as each browser rerun has. Nothing is lost, nobody
sees an error, and no budget or cap is exceeded, even when one person's votes race."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws
from strategy_canvas.services.errors import ValidationFailed

PARTICIPANTS = 30
NOTES_EACH = 5
BUDGET = 5
CAP = 2
SEED_NOTES = 10
FEATURES = 6


def _in_session(engine: Engine, action: Callable[[Session], Any]) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        return action(session)


def _all_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for i in range(count) in as many threads, released together."""
    gate = threading.Barrier(count)

    def run(i: int) -> Any:
        gate.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _setup(engine: Engine, *, budget: int, cap: int) -> tuple[str, ws.StartedWorkshop, list[int]]:
    with Session(engine, expire_on_commit=False) as s:
        canvas = canvases.create_canvas(session=s, canvas_in={"name": "Load"})
        features = [
            items.create_item(
                session=s, canvas_token=canvas.token, kind="feature", data={"title": f"F{i}"}
            ).id
            for i in range(FEATURES)
        ]
        started = ws.start_workshop(
            session=s,
            canvas_token=canvas.token,
            title="Load",
            vote_budget=budget,
            vote_cap=cap,
        )
    return canvas.token, started, [f for f in features if f is not None]


def test_thirty_people_add_notes_and_vote_at_once(engine: Engine) -> None:
    canvas_token, started, features = _setup(engine, budget=BUDGET, cap=CAP)
    key = started.facilitator_key

    # Everyone joins at once (joins by code are serialised for the attempt limit).
    people = _all_at_once(
        PARTICIPANTS,
        lambda i: _in_session(
            engine,
            lambda s: ws.join(session=s, display_name=f"Person {i}", join_code=started.join_code),
        ),
    )
    tokens = [p.token for p in people]
    seeds = [
        _in_session(
            engine,
            lambda s, i=i: ws.add_note(session=s, participant_token=key, step=1, text=f"S{i}"),
        ).id
        for i in range(SEED_NOTES)
    ]
    _in_session(engine, lambda s: ws.reveal(session=s, facilitator_key=key, step=1, what="notes"))
    revision_before = _in_session(
        engine, lambda s: canvases.get_revision(session=s, canvas_token=canvas_token)
    )

    def participant(i: int) -> list[str]:
        """Five notes, the whole budget on notes of step 1 and on features, while
        polling the live state and sending heartbeats, as a browser does."""
        rnd = random.Random(i)
        token = tokens[i]
        actions: list[Callable[[Session], Any]] = []
        for n in range(NOTES_EACH):
            actions.append(
                lambda s, n=n: ws.add_note(
                    session=s, participant_token=token, step=1 + n % 2, text=f"P{i} note {n}"
                )
            )
        for targets, kind in ((seeds, "note_id"), (features, "feature_id")):
            picks = rnd.sample(targets, BUDGET // CAP + 1)
            chosen = [t for t in picks for _ in range(CAP)][:BUDGET]
            for target in chosen:
                actions.append(
                    lambda s, target=target, kind=kind: ws.vote(
                        session=s, participant_token=token, **{kind: target}
                    )
                )
        rnd.shuffle(actions)
        errors = []
        for action in actions:
            try:
                _in_session(engine, action)
                _in_session(engine, lambda s: ws.sync_state(session=s, viewer_token=token))
                _in_session(engine, lambda s: ws.heartbeat(session=s, participant_token=token))
            except Exception as exc:  # any error here is a failure of the test
                errors.append(f"{type(exc).__name__}: {exc}")
        return errors

    errors = [e for errs in _all_at_once(PARTICIPANTS, participant) for e in errs]
    assert errors == []

    with Session(engine) as s:
        notes = s.exec(select(func.count()).select_from(m.Note)).one()
        assert notes == SEED_NOTES + PARTICIPANTS * NOTES_EACH
        texts = set(s.exec(select(m.Note.text)).all())
        assert {f"P{i} note {n}" for i in range(PARTICIPANTS) for n in range(NOTES_EACH)} <= texts
        votes = s.exec(
            select(m.Vote.participant_id, m.Vote.step, m.Vote.note_id, m.Vote.feature_id)
        )
        per_step: Counter[tuple[int, int]] = Counter()
        per_item: Counter[tuple[int, int | None, int | None]] = Counter()
        for participant_id, step, note_id, feature_id in votes:
            per_step[(participant_id, step)] += 1
            per_item[(participant_id, note_id, feature_id)] += 1
        assert sum(per_step.values()) == PARTICIPANTS * BUDGET * 2
        assert set(per_step.values()) == {BUDGET} and len(per_step) == PARTICIPANTS * 2
        assert max(per_item.values()) <= CAP
        # Every write moved the change counter exactly once: nothing was lost.
        revision = canvases.get_revision(session=s, canvas_token=canvas_token)
        assert revision == revision_before + PARTICIPANTS * (NOTES_EACH + 2 * BUDGET)
    with Session(engine) as s:
        board = ws.board(session=s, viewer_token=key, step=1)
        assert len(board.notes) == SEED_NOTES + PARTICIPANTS * (NOTES_EACH // 2 + 1)
        assert int(board.notes["votes"].sum()) == PARTICIPANTS * BUDGET
        # Every heartbeat was written (those who finished first have been gone for more
        # than the presence window since: ask about the whole run).
        assert ws.presence(session=s, viewer_token=key, within_seconds=600).here >= PARTICIPANTS


def test_budgets_and_caps_hold_when_one_persons_votes_race(engine: Engine) -> None:
    budget, cap, people, tries = 3, 2, 10, 6
    _, started, features = _setup(engine, budget=budget, cap=cap)
    tokens = [
        _in_session(
            engine,
            lambda s, i=i: ws.join(
                session=s, display_name=f"Racer {i}", link_token=started.link_token
            ),
        ).token
        for i in range(people)
    ]

    def attempt(i: int) -> str:
        """Each person sends ``tries`` votes at once: twice the budget, and on the
        first feature more than the cap."""
        token = tokens[i // tries]
        feature = features[0] if i % tries < 4 else features[1 + i % 2]
        try:
            _in_session(
                engine, lambda s: ws.vote(session=s, participant_token=token, feature_id=feature)
            )
        except ValidationFailed as exc:
            return exc.errors[0].field
        except Exception as exc:
            return f"unexpected {type(exc).__name__}: {exc}"
        return "ok"

    outcomes = Counter(_all_at_once(people * tries, attempt))
    assert set(outcomes) <= {"ok", "vote_budget", "vote_cap"}, outcomes
    assert outcomes["ok"] == people * budget
    with Session(engine) as s:
        rows = s.exec(select(m.Vote.participant_id, m.Vote.feature_id)).all()
    per_person = Counter(p for p, _ in rows)
    per_item = Counter(rows)
    assert set(per_person.values()) == {budget} and len(per_person) == people
    assert max(per_item.values()) <= cap

    # One person, eight votes on one feature at once: exactly the cap gets through.
    token = _in_session(
        engine, lambda s: ws.join(session=s, display_name="Eager", link_token=started.link_token)
    ).token

    def same_item(_: int) -> str:
        try:
            _in_session(
                engine,
                lambda s: ws.vote(session=s, participant_token=token, feature_id=features[-1]),
            )
        except ValidationFailed as exc:
            return exc.errors[0].field
        return "ok"

    assert Counter(_all_at_once(8, same_item)) == {"ok": cap, "vote_cap": 8 - cap}
