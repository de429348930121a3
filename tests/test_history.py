"""The canvas remembers: every write's history entry, the trash, undo, named versions
and the diff in the product's words, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.export import markdown
from strategy_canvas.services import (
    activity,
    canvases,
    changes,
    documents,
    history,
    items,
    people,
    replay,
    trash,
    undo,
    versions,
)
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ConflictError, NotFound, ValidationFailed

ANA = Actor.person("Ana", "ana-personal-key")
BEN = Actor.person("Ben", "ben-personal-key")


@pytest.fixture
def token(session: Session) -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": "Acme"}, actor=ANA).token


def add(session: Session, token: str, kind: str, actor: Actor = ANA, /, **data: Any) -> Any:
    return items.create_item(session=session, canvas_token=token, kind=kind, data=data, actor=actor)


def edit(session: Session, token: str, row: Any, actor: Actor = ANA, /, **changes: Any) -> Any:
    fresh = items.get_item(session=session, canvas_token=token, kind=row.kind_key, item_id=row.id)
    return items.update_item(
        session=session,
        canvas_token=token,
        kind=row.kind_key,
        item_id=row.id,
        changes=changes,
        expected_version=fresh.version,
        actor=actor,
    )


def remove(session: Session, token: str, row: Any, actor: Actor = ANA) -> None:
    fresh = items.get_item(session=session, canvas_token=token, kind=row.kind_key, item_id=row.id)
    items.delete_item(
        session=session,
        canvas_token=token,
        kind=row.kind_key,
        item_id=row.id,
        expected_version=fresh.version,
        actor=actor,
    )


def entries(session: Session, token: str) -> list[m.Activity]:
    canvas_id = items.canvas_id_for(session, token)
    return list(
        session.exec(
            select(m.Activity).where(m.Activity.canvas_id == canvas_id).order_by(col(m.Activity.id))
        )
    )


def spine(session: Session, token: str) -> dict[str, Any]:
    """A persona that a goal, a feature, feedback and an assumption link to."""
    problem = add(session, token, "problem", title="Dinner decisions eat the week")
    persona = add(session, token, "persona", name="Busy parent", problem_id=problem.id)
    goal = add(session, token, "goal", title="Five-minute plans", persona_id=persona.id)
    feature = add(
        session,
        token,
        "feature",
        title="Household sync",
        persona_id=persona.id,
        goal_id=goal.id,
        reach=1200,
        impact=2,
        confidence=80,
        effort=3,
    )
    feedback = add(session, token, "feedback", text="Love it", persona_id=persona.id)
    assumption = add(session, token, "assumption", statement="They cook", persona_id=persona.id)
    return {
        "problem": problem,
        "persona": persona,
        "goal": goal,
        "feature": feature,
        "feedback": feedback,
        "assumption": assumption,
    }


# ------------------------------------------------------------------------- recording


def test_every_write_records_who_did_what(session: Session, token: str) -> None:
    persona = add(session, token, "persona", ANA, name="Busy parent")
    edit(session, token, persona, BEN, pains="No time", name="Busy parents")
    other = add(session, token, "persona", BEN, name="Grandparent")
    items.reorder_items(
        session=session,
        canvas_token=token,
        kind="persona",
        ordered_ids=[other.id, persona.id],
        actor=ANA,
    )
    remove(session, token, other, BEN)
    canvas = canvases.get_canvas(session=session, canvas_token=token)
    canvases.rename_canvas(
        session=session,
        canvas_token=token,
        name="Acme 2",
        expected_version=canvas.version,
        actor=BEN,
    )
    canvases.set_archived(session=session, canvas_token=token, archived=True, actor=ANA)

    log = entries(session, token)
    assert [(e.actor_name, e.action, e.kind) for e in log] == [
        ("Ana", "create", "canvas"),
        ("Ana", "create", "persona"),
        ("Ben", "update", "persona"),
        ("Ben", "create", "persona"),
        ("Ana", "reorder", "persona"),
        ("Ben", "delete", "persona"),
        ("Ben", "update", "canvas"),
        ("Ana", "archive", "canvas"),
    ]
    update = json.loads(log[2].data)
    assert update["before"] == {"pains": "", "name": "Busy parent"}
    assert update["after"] == {"pains": "No time", "name": "Busy parents"}
    assert log[2].title == "Busy parents" and log[2].step == 1
    assert json.loads(log[4].data) == {
        "before": [persona.id, other.id],
        "after": [other.id, persona.id],
    }
    assert json.loads(log[6].data)["after"] == {"name": "Acme 2"}
    assert log[1].actor_key == ANA.key != BEN.key and "ana-personal-key" not in ANA.key


def test_a_refused_write_records_nothing(session: Session, token: str) -> None:
    persona = add(session, token, "persona", name="Busy parent")
    before = len(entries(session, token))
    with pytest.raises(ValidationFailed):
        add(session, token, "persona", name="x" * 500)
    with pytest.raises(ConflictError):
        items.update_item(
            session=session,
            canvas_token=token,
            kind="persona",
            item_id=persona.id,
            changes={"name": "Stale"},
            expected_version=persona.version + 5,
            actor=BEN,
        )
    with pytest.raises(ConflictError):
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="persona",
            item_id=persona.id,
            expected_version=persona.version + 5,
            actor=BEN,
        )
    assert len(entries(session, token)) == before


def test_a_new_canvas_is_one_entry_however_many_items_it_arrives_with(session: Session) -> None:
    from strategy_canvas import demo

    canvas = demo.create_demo_canvas(session=session)
    log = entries(session, canvas.token)
    assert [(e.action, e.kind) for e in log] == [("create", "canvas")]
    # later writes are recorded again
    add(session, canvas.token, "goal", title="After the demo")
    assert [e.action for e in entries(session, canvas.token)] == ["create", "create"]


def test_deleting_a_canvas_deletes_its_history_and_versions(session: Session, token: str) -> None:
    add(session, token, "persona", name="Busy parent")
    versions.save_version(session=session, canvas_token=token, name="v1", actor=ANA)
    canvas_id = items.canvas_id_for(session, token)
    canvases.delete_canvas(session=session, canvas_token=token, confirm_name="Acme")
    assert session.exec(select(m.Activity).where(m.Activity.canvas_id == canvas_id)).all() == []
    assert (
        session.exec(select(m.CanvasVersion).where(m.CanvasVersion.canvas_id == canvas_id)).all()
        == []
    )


# ----------------------------------------------------------------------------- trash


def test_a_deleted_persona_comes_back_with_its_links(session: Session, token: str) -> None:
    rows = spine(session, token)
    persona = rows["persona"]
    remove(session, token, persona, BEN)
    # meanwhile: the goal is linked to another persona, the feedback is deleted
    other = add(session, token, "persona", ANA, name="Grandparent")
    edit(session, token, rows["goal"], ANA, persona_id=other.id)
    remove(session, token, rows["feedback"], ANA)

    found = trash.list_trash(session=session, canvas_token=token)
    deleted = next(d for d in found if d.kind == "persona")
    assert (deleted.title, deleted.deleted_by, deleted.links) == ("Busy parent", "Ben", 4)

    restored = trash.restore(
        session=session, canvas_token=token, entry_id=deleted.entry_id, actor=ANA
    )
    assert restored.item_id == persona.id and restored.links == 2
    back = items.get_item(session=session, canvas_token=token, kind="persona", item_id=persona.id)
    assert (back.name, back.problem_id) == ("Busy parent", rows["problem"].id)
    get = items.get_item
    assert (
        get(
            session=session, canvas_token=token, kind="feature", item_id=rows["feature"].id
        ).persona_id
        == persona.id
    )
    assert (
        get(
            session=session, canvas_token=token, kind="assumption", item_id=rows["assumption"].id
        ).persona_id
        == persona.id
    )
    # a link someone set since is never overwritten
    assert (
        get(session=session, canvas_token=token, kind="goal", item_id=rows["goal"].id).persona_id
        == other.id
    )
    assert all(d.kind != "persona" for d in trash.list_trash(session=session, canvas_token=token))
    with pytest.raises(ValidationFailed, match="restored already"):
        trash.restore(session=session, canvas_token=token, entry_id=deleted.entry_id, actor=ANA)
    assert entries(session, token)[-1].action == "restore"


def test_a_deleted_feature_comes_back_with_what_went_with_it(session: Session, token: str) -> None:
    feature = add(session, token, "feature", title="Household sync")
    criterion = add(session, token, "criterion", name="Strategic fit", weight=30)
    gone_criterion = add(session, token, "criterion", name="Legacy", weight=5)
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    add(
        session,
        token,
        "sketch",
        feature_id=feature.id,
        caption="Flow",
        media_type="image/png",
        image=image,
    )
    add(
        session, token, "criterion_score", feature_id=feature.id, criterion_id=criterion.id, score=7
    )
    add(
        session,
        token,
        "criterion_score",
        feature_id=feature.id,
        criterion_id=gone_criterion.id,
        score=2,
    )
    add(
        session, token, "decision", feature_id=feature.id, decision="iterate", rationale="Half-used"
    )
    road = add(session, token, "roadmap_item", title="Ship sync", feature_id=feature.id)
    remove(session, token, feature, BEN)
    remove(session, token, gone_criterion, BEN)
    assert items.list_items(session=session, canvas_token=token, kind="sketch") == []

    entry = trash.list_trash(session=session, canvas_token=token)[-1]
    assert entry.with_it == {"sketch": 1, "criterion score": 2, "decision": 1}
    result = trash.restore(session=session, canvas_token=token, entry_id=entry.entry_id, actor=ANA)
    assert result.rows == 3 and len(result.skipped) == 1 and "criterion" in result.skipped[0]
    sketch = items.list_items(session=session, canvas_token=token, kind="sketch")[0]
    assert sketch.image == image and sketch.feature_id == feature.id
    decision = items.list_items(session=session, canvas_token=token, kind="decision")[0]
    assert decision.rationale == "Half-used"
    road_now = items.get_item(
        session=session, canvas_token=token, kind="roadmap_item", item_id=road.id
    )
    assert road_now.feature_id == feature.id


def test_a_restored_item_keeps_its_place_in_the_list(session: Session, token: str) -> None:
    names = ["A", "B", "C", "D"]
    rows = [add(session, token, "persona", name=n) for n in names]
    remove(session, token, rows[1])
    entry = trash.list_trash(session=session, canvas_token=token)[0]
    trash.restore(session=session, canvas_token=token, entry_id=entry.entry_id, actor=ANA)
    listed = items.list_items(session=session, canvas_token=token, kind="persona")
    assert [p.name for p in listed] == names


# ------------------------------------------------------------------------------ undo


def test_undo_takes_back_my_last_change_and_then_the_one_before(
    session: Session, token: str
) -> None:
    persona = add(session, token, "persona", ANA, name="Busy parent")
    edit(session, token, persona, ANA, pains="No time")
    add(session, token, "persona", BEN, name="Ben's persona")  # someone else's, not mine

    change = undo.last_change(session=session, canvas_token=token, actor_key=ANA.key)
    assert change is not None and change.summary == "changed persona “Busy parent”"
    said = undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    assert said == "changed persona “Busy parent”"
    now = items.get_item(session=session, canvas_token=token, kind="persona", item_id=persona.id)
    assert now.pains == ""

    change = undo.last_change(session=session, canvas_token=token, actor_key=ANA.key)
    assert change is not None and change.summary == "added persona “Busy parent”"
    undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    assert [
        p.name for p in items.list_items(session=session, canvas_token=token, kind="persona")
    ] == ["Ben's persona"]
    # the undone create went to the trash, so even that can come back
    assert trash.list_trash(session=session, canvas_token=token)[0].title == "Busy parent"
    with pytest.raises(ValidationFailed, match="undone already"):
        undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    with pytest.raises(NotFound):  # Ben's change is not Ana's to undo
        theirs = undo.last_change(session=session, canvas_token=token, actor_key=BEN.key)
        assert theirs is not None
        undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=theirs.entry_ids)


def test_undo_of_a_delete_restores_the_item_with_its_links(session: Session, token: str) -> None:
    rows = spine(session, token)
    remove(session, token, rows["persona"], ANA)
    change = undo.last_change(session=session, canvas_token=token, actor_key=ANA.key)
    assert change is not None and change.summary == "deleted persona “Busy parent”"
    undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    feature = items.get_item(
        session=session, canvas_token=token, kind="feature", item_id=rows["feature"].id
    )
    assert feature.persona_id == rows["persona"].id


def test_an_undo_that_would_overwrite_a_later_save_is_a_choice(
    session: Session, token: str
) -> None:
    feature = add(session, token, "feature", ANA, title="Household sync", reach=100)
    edit(session, token, feature, ANA, reach=200)
    change = undo.last_change(session=session, canvas_token=token, actor_key=ANA.key)
    assert change is not None
    edit(session, token, feature, BEN, reach=300)  # Ben saves after Ana

    with pytest.raises(undo.UndoConflict) as caught:
        undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    clash = caught.value.clashes[0]
    assert clash.current is not None
    assert clash.current["reach"] == 300 and clash.fields == {"reach": (200, 100)}
    assert (
        items.get_item(
            session=session, canvas_token=token, kind="feature", item_id=feature.id
        ).reach
        == 300
    )

    edit(session, token, feature, BEN, reach=400)  # and again, after Ana saw 300
    with pytest.raises(undo.UndoConflict):
        undo.undo(
            session=session,
            canvas_token=token,
            actor=ANA,
            entry_ids=change.entry_ids,
            overwrite={clash.entry_id: clash.version},
        )
    seen = items.get_item(session=session, canvas_token=token, kind="feature", item_id=feature.id)
    undo.undo(
        session=session,
        canvas_token=token,
        actor=ANA,
        entry_ids=change.entry_ids,
        overwrite={clash.entry_id: seen.version},
    )
    assert (
        items.get_item(
            session=session, canvas_token=token, kind="feature", item_id=feature.id
        ).reach
        == 100
    )


def test_one_action_of_many_rows_is_undone_together(session: Session, token: str) -> None:
    rows = [add(session, token, "feature", BEN, title=f"F{i}", reach=10) for i in range(3)]
    grid = ANA.one_action()  # a grid saved row by row, each in its own transaction
    for row in rows:
        edit(session, token, row, grid, reach=99)
    change = undo.last_change(session=session, canvas_token=token, actor_key=ANA.key)
    assert change is not None and change.summary == "changed 3 features"
    undo.undo(session=session, canvas_token=token, actor=ANA, entry_ids=change.entry_ids)
    assert [
        f.reach for f in items.list_items(session=session, canvas_token=token, kind="feature")
    ] == [10] * 3


# -------------------------------------------------------------------------- versions


def test_versions_are_named_kept_and_never_overwritten(session: Session, token: str) -> None:
    persona = add(session, token, "persona", name="Busy parent")
    first = versions.save_version(
        session=session, canvas_token=token, name="Sent to the board", actor=ANA
    )
    with pytest.raises(ValidationFailed, match="names a version of this canvas already"):
        versions.save_version(
            session=session, canvas_token=token, name="Sent to the board", actor=ANA
        )
    with pytest.raises(ValidationFailed, match="Version name"):
        versions.save_version(session=session, canvas_token=token, name="  ", actor=ANA)
    edit(session, token, persona, pains="No time")

    auto = versions.save_automatic(
        session=session, canvas_token=token, name="PDF exported", kind="pdf", actor=ANA
    )
    again = versions.save_automatic(
        session=session, canvas_token=token, name="PDF exported", kind="pdf", actor=ANA
    )
    assert again.id == auto.id  # nothing changed since: no second copy
    edit(session, token, persona, pains="No time at all")
    third = versions.save_automatic(
        session=session, canvas_token=token, name="PDF exported", kind="pdf", actor=ANA
    )
    assert third.name == "PDF exported (2)"
    assert [v.name for v in versions.list_versions(session=session, canvas_token=token)] == [
        "PDF exported (2)",
        "PDF exported",
        "Sent to the board",
    ]
    kept = versions.version_document(session=session, canvas_token=token, version_id=first.id)
    assert kept["items"]["persona"][0]["pains"] == ""
    with pytest.raises(NotFound, match="no version named “Nope”"):
        versions.get_version(session=session, canvas_token=token, name="Nope")


# ------------------------------------------------------------------------------ diff


def test_the_diff_tells_the_changes_in_the_products_words(session: Session, token: str) -> None:
    rows = spine(session, token)
    second = add(
        session, token, "feature", title="Pantry scan", reach=100, impact=1, confidence=50, effort=5
    )
    kr = add(session, token, "key_result", metric="Weekly plans", baseline=100, target=300)
    add(session, token, "kpi_reading", key_result_id=kr.id, measured_on=date(2026, 1, 1), value=150)
    versions.save_version(session=session, canvas_token=token, name="Board, 12 Dec", actor=ANA)

    edit(session, token, second, reach=100_000, status="planned")
    remove(session, token, rows["assumption"])
    new_persona = add(session, token, "persona", name="Grandparent")
    edit(session, token, rows["feature"], persona_id=new_persona.id)
    add(session, token, "kpi_reading", key_result_id=kr.id, measured_on=date(2026, 2, 1), value=250)
    add(session, token, "decision", feature_id=rows["feature"].id, decision="iterate")

    diff = changes.since_version(session=session, canvas_token=token, since="Board, 12 Dec")
    step1 = next(s for s in diff.steps if s.step == 1)
    step3 = next(s for s in diff.steps if s.step == 3)
    assert [line.text for line in step1.added] == ["Added persona “Grandparent”"]
    assert [line.text for line in step1.removed] == ["Removed assumption “They cook”"]
    changed = next(line for line in step3.changed if line.ref == second.id)
    assert changed.details == ["Status: idea → planned", "Reach: 100 → 100,000"]
    assert [line.text for line in step3.links] == [
        "Feature “Household sync” no longer links to persona “Busy parent”",
        "Feature “Household sync” now links to persona “Grandparent”",
    ]
    assert "Pantry scan: 2nd → 1st by RICE" in [line.text for line in diff.ranks]
    assert [line.text for line in diff.kpis] == [
        "Weekly plans: 150 → 250 (25% → 75% of the way to 300)"
    ]
    assert [line.text for line in diff.decisions] == ["Household sync: Iterate"]
    assert diff.headline() == (
        "3 added, 1 removed, 1 changed; 2 links made or broken; 2 rank moves; "
        "1 KPI moved; 1 new decision"
    )
    # the exports say it as a sentence, "KPI" as it is (str.capitalize lowered it)
    assert diff.summary() == (
        "3 added, 1 removed, 1 changed; 2 links made or broken; 2 rank moves; "
        "1 KPI moved; 1 new decision."
    )
    assert diff.summary() in markdown.changes_markdown(diff)

    same = changes.compare(
        documents.canvas_document(session=session, canvas_token=token),
        documents.canvas_document(session=session, canvas_token=token),
        since="now",
    )
    assert same.empty and same.headline() == "no changes"
    assert same.summary() == "No changes."


def test_the_diff_between_two_versions(session: Session, token: str) -> None:
    persona = add(session, token, "persona", name="Busy parent")
    versions.save_version(session=session, canvas_token=token, name="one", actor=ANA)
    edit(session, token, persona, name="Busy parents")
    versions.save_version(session=session, canvas_token=token, name="two", actor=ANA)
    add(session, token, "persona", name="Later")
    diff = changes.since_version(session=session, canvas_token=token, since="one", until="two")
    assert (diff.since, diff.until, diff.added, diff.changed) == ("one", "two", 0, 1)
    assert diff.steps[0].changed[0].details == ["Name: Busy parent → Busy parents"]


# --------------------------------------------------------------------------- reading


def test_the_feed_filters_by_step_person_and_item(session: Session, token: str) -> None:
    persona = add(session, token, "persona", ANA, name="Busy parent")
    feature = add(session, token, "feature", BEN, title="Household sync", persona_id=persona.id)
    edit(session, token, feature, BEN, reach=5000, persona_id=None)
    edit(session, token, persona, ANA, name="Busy parents")

    page = history.feed(session=session, canvas_token=token)
    assert page.total == 5 and page.entries[0].sentence == "changed persona “Busy parents”"
    assert [
        e.actor_name for e in history.feed(session=session, canvas_token=token, step=3).entries
    ] == ["Ben", "Ben"]
    mine = history.feed(session=session, canvas_token=token, person="Ana")
    assert {e.actor_name for e in mine.entries} == {"Ana"} and mine.total == 3
    one = history.item_history(
        session=session, canvas_token=token, kind="feature", item_id=feature.id
    )
    assert [e.action for e in one] == ["update", "create"]
    assert [(c.label, c.before, c.after) for c in one[0].changes] == [
        ("Persona", "“Busy parents”", "—"),
        ("Reach", "—", "5,000"),
    ]
    assert history.people(session=session, canvas_token=token) == ["Ana", "Ben"]
    found = history.items_in_history(session=session, canvas_token=token)
    assert [(h.kind, h.title) for h in found] == [
        ("persona", "Busy parents"),
        ("feature", "Household sync"),
    ]
    assert [h.label for h in found] == ["Persona · Busy parents", "Feature · Household sync"]
    reading = history.HistoryItem("kpi_reading", 1, "of “Weekly plans”: 120 on 2027-01-05")
    assert reading.label == "KPI reading of “Weekly plans”: 120 on 2027-01-05"
    paged = history.feed(session=session, canvas_token=token, per_page=2, page=2)
    assert (paged.pages, len(paged.entries), paged.entries[0].sentence) == (
        3,
        1,
        "created the canvas",
    )


def test_the_feed_shows_one_action_of_many_items_as_one_line(session: Session, token: str) -> None:
    from strategy_canvas.services import bulk

    add(session, token, "persona", ANA, name="Busy parent")
    session.commit()
    pasted = bulk.add_many(
        session=session,
        canvas_token=token,
        kind="problem",
        text="Plans get lost\nShopping twice\nFood goes off",
        actor=BEN,
    )
    session.commit()
    edit(session, token, pasted[0], BEN, title="Plans get lost on the fridge")
    session.commit()

    page = history.action_feed(session=session, canvas_token=token)
    assert page.total == 4
    assert [(a.size, len(a.entries)) for a in page.actions] == [(1, 1), (3, 3), (1, 1), (1, 1)]
    edited, paste, persona, created = page.actions
    assert paste.sentence == "added 3 problems" and paste.first.actor_name == "Ben"
    assert [e.title for e in paste.entries] == ["Food goes off", "Shopping twice", "Plans get lost"]
    assert edited.sentence == "changed problem “Plans get lost on the fridge”"
    assert persona.sentence == "added persona “Busy parent”"
    assert created.sentence == "created the canvas"
    # a page holds whole actions; the step filter applies to each entry
    first = history.action_feed(session=session, canvas_token=token, per_page=2)
    assert (first.pages, [a.size for a in first.actions]) == (2, [1, 3])
    assert [
        a.sentence for a in history.action_feed(session=session, canvas_token=token, step=1).actions
    ] == [
        "changed problem “Plans get lost on the fridge”",
        "added 3 problems",
        "added persona “Busy parent”",
    ]


def test_an_action_of_many_kinds_is_told_by_kind_and_lists_its_newest_entries(
    session: Session, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from strategy_canvas.services import bulk

    ben = BEN.one_action()  # one action in two writes
    bulk.add_many(session=session, canvas_token=token, kind="persona", text="A\nB\nC", actor=ben)
    bulk.add_many(session=session, canvas_token=token, kind="problem", text="D\nE", actor=ben)
    monkeypatch.setattr(history, "ACTION_SHOWN", 2)
    [action, _created] = history.action_feed(session=session, canvas_token=token).actions
    assert action.sentence == "added 3 personas and 2 problems"
    assert action.size == 5 and [e.title for e in action.entries] == ["E", "D"]


def test_a_person_gives_their_name_once(session: Session, token: str) -> None:
    assert people.name_for(session=session, owner_key="my-key-123") is None
    people.set_name(session=session, owner_key="my-key-123", display_name="  Ana   Silva ")
    assert people.name_for(session=session, owner_key="my-key-123") == "Ana Silva"
    with pytest.raises(ValidationFailed, match="Your name"):
        people.set_name(session=session, owner_key="my-key-123", display_name="x" * 41)
    assert people.name_for(session=session, owner_key="my-key-123") == "Ana Silva"
    stored = session.exec(select(m.Person)).all()
    assert all("my-key-123" not in p.key_hash for p in stored)


# -------------------------------------------------------------------------- replaying


def test_replaying_the_log_from_a_version_reproduces_the_canvas(
    session: Session, token: str
) -> None:
    rows = spine(session, token)
    add(session, token, "persona", name="Second persona")  # the restored one comes back first
    start = versions.save_version(session=session, canvas_token=token, name="start", actor=ANA)
    edit(session, token, rows["feature"], title="Sync", reach=1)
    remove(session, token, rows["persona"])
    entry = trash.list_trash(session=session, canvas_token=token)[0]
    trash.restore(session=session, canvas_token=token, entry_id=entry.entry_id, actor=ANA)
    remove(session, token, rows["goal"])
    canvas = canvases.get_canvas(session=session, canvas_token=token)
    canvases.update_canvas(
        session=session,
        canvas_token=token,
        changes={"product": "Dinner"},
        expected_version=canvas.version,
        actor=ANA,
    )
    before = versions.version_document(session=session, canvas_token=token, version_id=start.id)
    replayed = replay.replay(
        before,
        versions.entries_between(session=session, canvas_token=token, after=start.activity_id),
    )
    now = documents.canvas_document(session=session, canvas_token=token)
    assert replayed["items"] == now["items"] and replayed["canvas"] == now["canvas"]


def test_json_values_round_trip_through_the_history() -> None:
    fields = {"image": b"\x00\xffbytes", "received_on": date(2026, 3, 4), "text": "ok"}
    encoded = activity.json_fields(fields)
    assert encoded == {"image_base64": "AP9ieXRlcw==", "received_on": "2026-03-04", "text": "ok"}
    assert activity.fields_from_json(encoded)["image"] == b"\x00\xffbytes"


# ------------------------------------------------------------------------ workshops


def test_the_facilitator_undoes_a_promote_and_the_note_is_a_note_again(
    session: Session, token: str
) -> None:
    from strategy_canvas.services import workshops as ws

    started = ws.start_workshop(
        session=session, canvas_token=token, title="Kick-off", facilitator_name="Fran"
    )
    alice = ws.join(session=session, display_name="Alice", link_token=started.link_token)
    note = ws.add_note(session=session, participant_token=alice.token, step=1, text="Busy parent")
    persona = ws.promote_note(
        session=session,
        facilitator_key=started.facilitator_key,
        note_id=note.id or 0,
        kind="persona",
    )
    last = entries(session, token)[-1]
    fran = session.exec(
        select(m.Participant).where(m.Participant.token == started.facilitator_key)
    ).one()
    assert (last.actor_name, last.actor_key, last.via, last.action) == (
        "Fran",
        people.participant_key(fran.id or 0),
        "workshop",
        "create",
    )
    facilitator = people.participant(fran)
    change = undo.last_change(session=session, canvas_token=token, actor_key=facilitator.key)
    assert change is not None and change.summary == "added persona “Busy parent”"
    undo.undo(session=session, canvas_token=token, actor=facilitator, entry_ids=change.entry_ids)
    assert items.list_items(session=session, canvas_token=token, kind="persona") == []
    again = session.get(m.Note, note.id, populate_existing=True)
    assert again is not None and again.promoted_kind is None and again.promoted_item_id is None
    assert persona.id is not None


def test_ending_a_workshop_saves_a_version(session: Session, token: str) -> None:
    from strategy_canvas.services import workshops as ws

    add(session, token, "persona", name="Busy parent")
    started = ws.start_workshop(
        session=session, canvas_token=token, title="Kick-off", facilitator_name="Fran"
    )
    ws.end_workshop(session=session, facilitator_key=started.facilitator_key)
    [version] = versions.list_versions(session=session, canvas_token=token)
    assert (version.name, version.kind, version.actor_name) == (
        "After the workshop “Kick-off”",
        "workshop",
        "Fran",
    )
    feed = history.feed(session=session, canvas_token=token).entries
    assert [e.sentence for e in feed[:2]] == [
        "saved version “After the workshop “Kick-off”” when the workshop ended",
        "ended the workshop “Kick-off”",
    ]


# ------------------------------------------------------------------------ JSON export


def test_a_json_export_carries_the_versions_and_history_into_a_new_canvas(
    session: Session, token: str
) -> None:
    from strategy_canvas.export import json_io

    rows = spine(session, token)
    versions.save_version(session=session, canvas_token=token, name="Board", actor=ANA)
    remove(session, token, rows["assumption"], BEN)
    edit(session, token, rows["feature"], ANA, reach=5000)
    document = json_io.export_canvas(session=session, canvas_token=token, history=True)
    assert [v["name"] for v in document["versions"]] == ["Board"]
    assert [e["action"] for e in document["history"]][-2:] == ["delete", "update"]

    copy = json_io.import_canvas(
        session=session, document=json_io.load_document(json_io.dumps(document))
    )
    [kept] = versions.list_versions(session=session, canvas_token=copy.token)
    assert (kept.name, kept.actor_name) == ("Board", "Ana")
    diff = changes.since_version(session=session, canvas_token=copy.token, since="Board")
    # the same changes as in the original, item by item, though every id is new
    original = changes.since_version(session=session, canvas_token=token, since="Board")
    assert diff.headline() == original.headline() == "1 removed, 1 changed"
    feed = history.feed(session=session, canvas_token=copy.token).entries
    assert feed[0].sentence == "created the canvas" and feed[0].detail == "from an import"
    assert [e.actor_name for e in feed[1:3]] == ["Ana", "Ben"]
    assert feed[2].imported and not feed[2].restorable  # it names the other canvas's item
    # what an import brought is shown entry by entry, as it was in its canvas
    actions = history.action_feed(session=session, canvas_token=copy.token).actions
    assert [a.size for a in actions] == [1] * len(feed)
    assert trash.list_trash(session=session, canvas_token=copy.token) == []


def test_an_import_refuses_bad_versions_and_history_naming_each(session: Session) -> None:
    from strategy_canvas.export import json_io

    token = canvases.create_canvas(session=session, canvas_in={"name": "Src"}).token
    document = json_io.export_canvas(session=session, canvas_token=token, history=True)
    inner = json_io.export_canvas(session=session, canvas_token=token)
    inner["items"]["persona"] = [{"ref": 1, "name": "x" * 300}]
    document["versions"] = [
        {"name": "A", "document": inner},
        {"name": "A", "document": {**inner, "history": []}},
        {"name": "", "kind": "weekly", "document": "nope"},
    ]
    document["history"] = [{"action": 5, "at": "yesterday"}]
    before = len(canvases.list_canvases(session=session))
    with pytest.raises(ValidationFailed) as caught:
        json_io.import_canvas(session=session, document=document)
    said = str(caught.value)
    for expected in (
        "versions[0].document.items.persona[0].name: must be at most 200 characters",
        "versions[1].document: holds the canvas only",
        "versions[2].name: is required",
        "versions[2].kind: must be one of manual, workshop, pdf",
        "versions[2].document: must be the canvas as it was",
        "history[0].action: must be text",
        "history[0].at: must be a date and time",
    ):
        assert expected in said, (expected, said)
    assert len(canvases.list_canvases(session=session)) == before
