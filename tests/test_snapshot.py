"""services/snapshot.py: the read model, on SQLite and PostgreSQL — one consistent read
per change of the canvas, shared by every reader, carrying the derived tables."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from strategy_canvas import db, scoring
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.rules import flaw_urgency, kpi_progress, top_features
from strategy_canvas.services import canvases, items, progress, snapshot
from strategy_canvas.services.errors import NotFound


@pytest.fixture
def demo(engine: Engine) -> str:
    snapshot.clear_cache()
    with db.session_scope(engine) as session:
        return create_demo_canvas(session=session).token


def _read(engine: Engine, token: str, revision: int | None = None) -> snapshot.CanvasSnapshot:
    with db.session_scope(engine, readonly=True) as session:
        return snapshot.snapshot(session=session, canvas_token=token, revision=revision)


def test_it_holds_every_item_in_list_order_and_survives_its_session(
    engine: Engine, demo: str
) -> None:
    snap = _read(engine, demo)
    with db.session_scope(engine, readonly=True) as session:
        for kind in items.ITEM_TYPES:
            stored = items.list_items(session=session, canvas_token=demo, kind=kind)
            assert [r.id for r in snap.rows[kind]] == [r.id for r in stored], kind
            frame = items.items_frame(session=session, canvas_token=demo, kind=kind)
            pd.testing.assert_frame_equal(snap[kind], frame, check_dtype=False)
        assert snap.revision == canvases.get_revision(session=session, canvas_token=demo)
    # the session is closed: the rows and the canvas are still readable
    assert snap.canvas.token == demo and snap.rows["feature"][0].title
    assert snap.titles("persona") == {int(r.id): items.item_title(r) for r in snap.rows["persona"]}
    linked = snap.linked_frame("feature")
    assert list(linked["persona"]) == [snap.titles("persona").get(i) for i in linked["persona_id"]]


def test_one_load_per_change_for_every_reader(engine: Engine, demo: str) -> None:
    first = _read(engine, demo)
    assert _read(engine, demo) is first  # every session gets the same snapshot
    assert _read(engine, demo, revision=first.revision) is first  # no query at all
    with db.session_scope(engine) as session:
        [flaw] = items.list_items(session=session, canvas_token=demo, kind="flaw")[:1]
        items.update_item(
            session=session,
            canvas_token=demo,
            kind="flaw",
            item_id=flaw.id,
            changes={"title": "Renamed flaw"},
            expected_version=flaw.version,
        )
    after = _read(engine, demo)
    assert after is not first and after.revision == first.revision + 1
    assert "Renamed flaw" in list(after["flaw"]["title"])
    assert "Renamed flaw" not in list(first["flaw"]["title"])  # the old one is unchanged


def test_asked_for_an_old_counter_it_is_never_older(engine: Engine, demo: str) -> None:
    old = _read(engine, demo).revision
    with db.session_scope(engine) as session:
        items.create_item(session=session, canvas_token=demo, kind="problem", data={"title": "New"})
    snapshot.clear_cache()
    snap = _read(engine, demo, revision=old)
    assert snap.revision == old + 1 and "New" in list(snap["problem"]["title"])


def test_the_derived_tables_are_the_rules_own(engine: Engine, demo: str) -> None:
    snap = _read(engine, demo)
    features = snap["feature"]
    ranks = scoring.rank_table(
        features, criteria_df=snap["criterion"], scores_df=snap["criterion_score"]
    )
    pd.testing.assert_frame_equal(snap.ranks, ranks)
    pd.testing.assert_frame_equal(
        snap.kpis, kpi_progress.kpi_table(snap["key_result"], snap["kpi_reading"])
    )
    pd.testing.assert_frame_equal(snap.flaws, flaw_urgency.by_urgency(snap["flaw"]))
    pd.testing.assert_frame_equal(snap.top_features, top_features.top_features(features, ranks))
    with db.session_scope(engine, readonly=True) as session:
        assert snap.steps == progress.step_progress(session=session, canvas_token=demo)
    assert snap.completeness == pytest.approx(sum(s.score for s in snap.steps) / 5)
    assert snap.ranks is snap.ranks  # computed once


def test_a_token_that_names_no_canvas_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        snapshot.snapshot(session=session, canvas_token="no-such-canvas")


def _same_as_a_full_read(engine: Engine, token: str, snap: snapshot.CanvasSnapshot) -> None:
    with db.session_scope(engine, readonly=True) as session:
        full = snapshot.load_snapshot(session=session, canvas_token=token)
    assert snap.revision == full.revision
    assert snap.canvas.model_dump() == full.canvas.model_dump()
    for kind in items.ITEM_TYPES:
        pd.testing.assert_frame_equal(snap[kind], full[kind], obj=kind)
    pd.testing.assert_frame_equal(snap.ranks, full.ranks)


def test_after_a_write_of_this_process_only_the_item_types_it_touched_are_read_again(
    engine: Engine, demo: str
) -> None:
    """A save of one feature reads the features again and keeps every other item type's
    rows; what it gives is what a full read gives. A delete (the database cascades it)
    and a change of the canvas itself read the whole canvas again."""
    before = _read(engine, demo)
    derived = (before.ranks, before.flaws, before.kpis, before["feedback"], before.robustness())
    feature = before.rows["feature"][0]
    with db.session_scope(engine) as session:
        items.update_item(
            session=session,
            canvas_token=demo,
            kind="feature",
            item_id=feature.id,
            changes={"title": "Saved on its own", "reach": 4321},
            expected_version=feature.version,
        )
    after = _read(engine, demo)
    assert after.revision == before.revision + 1
    assert after.rows["feature"][0].title == "Saved on its own"
    kept = [k for k in items.ITEM_TYPES if after.rows[k] is before.rows[k]]
    assert kept == [k for k in items.ITEM_TYPES if k != "feature"]
    # what the features do not feed is kept; the ranks and the robustness are made again
    assert after.flaws is derived[1] and after.kpis is derived[2]
    assert after["feedback"] is derived[3]
    assert after.ranks is not derived[0] and after.robustness() is not derived[4]
    _same_as_a_full_read(engine, demo, after)
    with db.session_scope(engine, readonly=True) as session:
        full = snapshot.load_snapshot(session=session, canvas_token=demo)
    pd.testing.assert_frame_equal(after.robustness(), full.robustness())
    pd.testing.assert_frame_equal(after.top_features, full.top_features)

    # One transaction writing two item types (an added persona, a reordered list).
    with db.session_scope(engine) as session:
        persona = items.create_item(
            session=session,
            canvas_token=demo,
            kind="persona",
            data={"name": "Added in a batch"},
            commit=False,
        )
        goals = [g.id for g in after.rows["goal"]]
        items.reorder_items(
            session=session, canvas_token=demo, kind="goal", ordered_ids=goals[::-1]
        )
    batch = _read(engine, demo)
    assert {k for k in items.ITEM_TYPES if batch.rows[k] is not after.rows[k]} == {
        "persona",
        "goal",
    }
    assert persona.id in [p.id for p in batch.rows["persona"]]
    assert batch.ranks is after.ranks, "a write of personas and goals ranked the features again"
    _same_as_a_full_read(engine, demo, batch)

    with db.session_scope(engine) as session:
        items.delete_item(
            session=session,
            canvas_token=demo,
            kind="persona",
            item_id=batch.rows["persona"][0].id,
            expected_version=batch.rows["persona"][0].version,
        )
    deleted = _read(engine, demo)
    assert not [k for k in items.ITEM_TYPES if deleted.rows[k] is batch.rows[k]]
    _same_as_a_full_read(engine, demo, deleted)

    with db.session_scope(engine) as session:
        canvases.rename_canvas(
            session=session,
            canvas_token=demo,
            name="Renamed canvas",
            expected_version=deleted.canvas.version,
        )
    renamed = _read(engine, demo)
    assert renamed.canvas.name == "Renamed canvas"
    assert not [k for k in items.ITEM_TYPES if renamed.rows[k] is deleted.rows[k]]
    _same_as_a_full_read(engine, demo, renamed)


def test_a_note_is_believed_only_for_the_write_that_made_the_counter(
    engine: Engine, demo: str
) -> None:
    """A note of a commit that failed after it was noted names the counter another
    write then reaches: its changed_at differs, so the whole canvas is read again."""
    before = _read(engine, demo)
    key = (snapshot.database_key(engine), before.canvas.id, before.revision + 1)
    feature = before.rows["feature"][0]
    with db.session_scope(engine) as session:  # a write of another process: no note
        items.update_item(
            session=session,
            canvas_token=demo,
            kind="feature",
            item_id=feature.id,
            changes={"title": "Written elsewhere"},
            expected_version=feature.version,
            commit=False,
        )
        planted = (datetime(2000, 1, 1), frozenset({"persona"}), before.revision)
        snapshot._journal.put(key, planted)
        session.connection().info.pop(items.BUMPED)  # as if another process wrote it
        session.commit()
    after = _read(engine, demo)
    assert after.rows["feature"][0].title == "Written elsewhere"
    _same_as_a_full_read(engine, demo, after)
