"""Many people writing at once lose nothing, on SQLite (a file, WAL) and on PostgreSQL.

Each simulated user works as a Streamlit rerun does: a fresh session to read what they
start from, another to save with the version they started from, and a retry when the
save is refused as a conflict. No other error may happen (no "database is locked", no
deadlock, no lost update), and the canvas's change counter counts every saved write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from strategy_canvas import db
from strategy_canvas.services import canvases, items
from strategy_canvas.services.errors import ConflictError

THREADS = 8
WRITES_PER_THREAD = 40
DEADLINE_SECONDS = 60


def new_canvas(engine: Engine) -> str:
    with db.session_scope(engine) as session:
        return canvases.create_canvas(session=session, canvas_in={"name": "Concurrency"}).token


def revision(engine: Engine, token: str) -> int:
    with db.session_scope(engine, readonly=True) as session:
        return canvases.get_revision(session=session, canvas_token=token)


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + 30)
        assert not thread.is_alive(), "a writer hung"
    return errors


def test_read_modify_write_loses_no_update(engine: Engine) -> None:
    token = new_canvas(engine)
    with db.session_scope(engine) as session:
        feature = items.create_item(
            session=session,
            canvas_token=token,
            kind="feature",
            data={"title": "Counter", "reach": 0},
        )
        feature_id = feature.id
    assert feature_id is not None
    start_revision = revision(engine, token)
    saved = [0] * THREADS
    conflicts = [0] * THREADS
    deadline = time.monotonic() + DEADLINE_SECONDS

    def work(i: int) -> None:
        while saved[i] < WRITES_PER_THREAD:
            if time.monotonic() > deadline:
                raise TimeoutError(f"writer {i} saved only {saved[i]} in {DEADLINE_SECONDS} s")
            # What the user opened: read in a session of its own, as one rerun does ...
            with db.session_scope(engine, readonly=True) as session:
                row = items.get_item(
                    session=session, canvas_token=token, kind="feature", item_id=feature_id
                )
                opened_version, reach = row.version, row.reach
            # ... and the save, in the session of a later rerun.
            try:
                with db.session_scope(engine) as session:
                    items.update_item(
                        session=session,
                        canvas_token=token,
                        kind="feature",
                        item_id=feature_id,
                        changes={"reach": reach + 1},
                        expected_version=opened_version,
                    )
            except ConflictError as conflict:
                assert conflict.current is not None
                assert conflict.current.version > opened_version
                conflicts[i] += 1
                continue
            saved[i] += 1

    errors = run_threads(THREADS, work)
    assert errors == []
    total = THREADS * WRITES_PER_THREAD
    assert sum(saved) == total
    with db.session_scope(engine, readonly=True) as session:
        row = items.get_item(
            session=session, canvas_token=token, kind="feature", item_id=feature_id
        )
        assert row.reach == total
        assert row.version == total + 1
    # Refused saves roll back their bump of the counter: it counts the saved writes only.
    assert revision(engine, token) - start_revision == total
    print(f"{engine.dialect.name}: {total} saves, {sum(conflicts)} conflicts retried")


def test_stale_save_is_refused_with_the_stored_row(engine: Engine) -> None:
    token = new_canvas(engine)
    with db.session_scope(engine) as session:
        kr = items.create_item(
            session=session,
            canvas_token=token,
            kind="key_result",
            data={"metric": "Weekly active teams", "baseline": 10},
        )
        kr_id = kr.id
    assert kr_id is not None

    # A opens the key result ...
    with db.session_scope(engine, readonly=True) as session_a:
        opened = items.get_item(
            session=session_a, canvas_token=token, kind="key_result", item_id=kr_id
        )
        opened_version = opened.version
    # ... B opens it and saves ...
    with db.session_scope(engine) as session_b:
        saved_b = items.update_item(
            session=session_b,
            canvas_token=token,
            kind="key_result",
            item_id=kr_id,
            changes={"baseline": 20, "unit": "teams"},
            expected_version=opened_version,
        )
        assert saved_b.version == opened_version + 1
    revision_after_b = revision(engine, token)
    # ... then A saves what it started from version 1: refused, with B's row to show.
    with db.session_scope(engine) as session_a2:
        with pytest.raises(ConflictError) as caught:
            items.update_item(
                session=session_a2,
                canvas_token=token,
                kind="key_result",
                item_id=kr_id,
                changes={"baseline": 15},
                expected_version=opened_version,
            )
        # The session is still usable afterwards (the page goes on to show both versions).
        again = items.get_item(
            session=session_a2, canvas_token=token, kind="key_result", item_id=kr_id
        )
        assert again.version == opened_version + 1
    conflict = caught.value
    assert conflict.kind == "key_result"
    assert conflict.item_id == kr_id
    assert conflict.expected_version == opened_version
    assert conflict.attempted == {"baseline": 15}
    # The stored row is readable after A's session closed (the UI shows it on the next rerun).
    current: Any = conflict.current
    assert current is not None
    assert current.version == opened_version + 1
    assert current.baseline == 20
    assert current.unit == "teams"
    assert "changed by someone else" in str(conflict)
    with db.session_scope(engine, readonly=True) as session:
        stored = items.get_item(
            session=session, canvas_token=token, kind="key_result", item_id=kr_id
        )
        assert (stored.baseline, stored.version) == (20, opened_version + 1)
    assert revision(engine, token) == revision_after_b, "a refused save moved the counter"

    # A decides to save over B's version, naming it: accepted.
    with db.session_scope(engine) as session_a3:
        saved_a: Any = items.update_item(
            session=session_a3,
            canvas_token=token,
            kind="key_result",
            item_id=kr_id,
            changes={"baseline": 15},
            expected_version=current.version,
        )
        assert (saved_a.baseline, saved_a.version) == (15, opened_version + 2)


def test_stale_delete_is_refused(engine: Engine) -> None:
    token = new_canvas(engine)
    with db.session_scope(engine) as session:
        risk = items.create_item(
            session=session, canvas_token=token, kind="risk", data={"title": "Churn"}
        )
        risk_id, opened_version = risk.id, risk.version
    assert risk_id is not None
    with db.session_scope(engine) as session:
        items.update_item(
            session=session,
            canvas_token=token,
            kind="risk",
            item_id=risk_id,
            changes={"likelihood": 5},
            expected_version=opened_version,
        )
    with db.session_scope(engine) as session, pytest.raises(ConflictError) as caught:
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="risk",
            item_id=risk_id,
            expected_version=opened_version,
        )
    assert caught.value.current is not None
    assert caught.value.current.likelihood == 5
    with db.session_scope(engine, readonly=True) as session:
        assert (
            items.get_item(
                session=session, canvas_token=token, kind="risk", item_id=risk_id
            ).likelihood
            == 5
        )


def test_thirty_people_adding_at_once(engine: Engine) -> None:
    people, each = 30, 10
    token = new_canvas(engine)
    start_revision = revision(engine, token)

    def work(i: int) -> None:
        for n in range(each):
            with db.session_scope(engine) as session:
                items.create_item(
                    session=session,
                    canvas_token=token,
                    kind="feedback",
                    data={"text": f"note {n} from person {i}", "author": f"person {i}"},
                )

    errors = run_threads(people, work)
    assert errors == []
    with db.session_scope(engine, readonly=True) as session:
        rows = items.list_items(session=session, canvas_token=token, kind="feedback")
    assert len(rows) == people * each
    assert {r.text for r in rows} == {
        f"note {n} from person {i}" for i in range(people) for n in range(each)
    }
    # Writers of one canvas take turns, so each new note got a place of its own at the end.
    assert sorted(r.position for r in rows) == list(range(people * each))
    assert revision(engine, token) - start_revision == people * each
