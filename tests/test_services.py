"""The services on a real database (SQLite file and PostgreSQL): CRUD of every item
type, validation that names the field and writes nothing, conflicts, canvases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.services.errors import ConflictError, NotFound, ValidationFailed


@pytest.fixture
def canvas(session: Session) -> m.Canvas:
    return canvases.create_canvas(session=session, canvas_in={"name": "Acme", "product": "Rocket"})


def _add(session: Session, token: str, kind: str, /, **data: Any) -> Any:
    return items.create_item(session=session, canvas_token=token, kind=kind, data=data)


def _minimal(session: Session, token: str, kind: str) -> dict[str, Any]:
    """The smallest valid data for ``kind`` (creating the items it must link to)."""
    if kind == "sketch":
        return {
            "feature_id": _add(session, token, "feature", title="F").id,
            "url": "https://example.com/s.png",
        }
    if kind == "kpi_reading":
        kr = _add(session, token, "key_result", metric="Activation")
        return {"key_result_id": kr.id, "measured_on": date(2026, 1, 1), "value": 3.5}
    if kind == "decision":
        return {"feature_id": _add(session, token, "feature", title="F").id, "decision": "victory"}
    if kind == "criterion_score":
        feature = _add(session, token, "feature", title="F")
        criterion = _add(session, token, "criterion", name="Strategic fit", weight=30)
        return {"feature_id": feature.id, "criterion_id": criterion.id, "score": 7}
    if kind == "dependency":
        a = _add(session, token, "roadmap_item", title="A")
        b = _add(session, token, "roadmap_item", title="B")
        return {"item_id": a.id, "depends_on_id": b.id}
    spec = items.ITEM_TYPES[kind]
    required = [n for n, f in spec.create.model_fields.items() if f.is_required()]
    values = {
        "metric": "Weekly active teams",
        "text": "Too slow to export",
        "statement": "Teams plan weekly",
    }
    return {name: values.get(name, f"A {kind}") for name in required}


EDITS: dict[str, dict[str, Any]] = {
    "problem": {"statement": "Planning takes 3 hours a week"},
    "persona": {"pains": "No time", "kind": "segment"},
    "alternative": {"weaknesses": "Manual"},
    "evidence": {"strength": "strong"},
    "assumption": {"importance": 5, "evidence": 2},
    "vision": {"north_star_metric": "Weekly planned meals"},
    "goal": {"description": "Grow retention"},
    "key_result": {"target": 40.0, "target_date": date(2026, 12, 31)},
    "feature": {"reach": 1200, "impact": 2.0, "confidence": 80, "effort": 1.5},
    "sketch": {"caption": "First flow"},
    "criterion": {"weight": 40.0},
    "criterion_score": {"score": 9.0},
    "roadmap_item": {"lane": "now", "owner": "Dana"},
    "dependency": {},
    "risk": {"likelihood": 4},
    "feedback": {"sentiment": "negative"},
    "flaw": {"severity": "critical", "fix_owner": "Sam"},
    "kpi_reading": {"value": 4.5},
    "decision": {"rationale": "Retention up 12%"},
}


@pytest.mark.parametrize("kind", list(items.ITEM_TYPES))
def test_every_item_type_can_be_created_edited_reordered_and_deleted(
    session: Session, canvas: m.Canvas, kind: str
) -> None:
    token = canvas.token
    before = len(items.list_items(session=session, canvas_token=token, kind=kind))
    if kind == "vision":
        row = canvases.get_vision(session=session, canvas_token=token)
    else:
        row = _add(session, token, kind, **_minimal(session, token, kind))
    assert row.id is not None and row.version == 1 and row.canvas_id == canvas.id

    edit = EDITS[kind]
    if edit:
        updated = items.update_item(
            session=session,
            canvas_token=token,
            kind=kind,
            item_id=row.id,
            changes=edit,
            expected_version=1,
        )
        assert updated.version == 2
        for name, value in edit.items():
            assert getattr(updated, name) == value
        assert updated.updated_at >= row.updated_at

    if kind == "vision":
        with pytest.raises(ValidationFailed):
            items.delete_item(
                session=session, canvas_token=token, kind=kind, item_id=row.id, expected_version=2
            )
        return
    listed = items.list_items(session=session, canvas_token=token, kind=kind)
    assert len(listed) == before + 1
    stored = items.get_item(session=session, canvas_token=token, kind=kind, item_id=row.id)
    items.delete_item(
        session=session,
        canvas_token=token,
        kind=kind,
        item_id=row.id,
        expected_version=stored.version,
    )
    assert len(items.list_items(session=session, canvas_token=token, kind=kind)) == before


def test_reorder_and_move(session: Session, canvas: m.Canvas) -> None:
    a, b, c = (_add(session, canvas.token, "goal", title=t) for t in "ABC")
    items.reorder_items(
        session=session, canvas_token=canvas.token, kind="goal", ordered_ids=[c.id, a.id, b.id]
    )
    titles = [
        g.title for g in items.list_items(session=session, canvas_token=canvas.token, kind="goal")
    ]
    assert titles == ["C", "A", "B"]
    items.move_item(
        session=session, canvas_token=canvas.token, kind="goal", item_id=b.id, offset=-1
    )
    titles = [
        g.title for g in items.list_items(session=session, canvas_token=canvas.token, kind="goal")
    ]
    assert titles == ["C", "B", "A"]
    with pytest.raises(ValidationFailed, match="exactly once"):
        items.reorder_items(
            session=session, canvas_token=canvas.token, kind="goal", ordered_ids=[a.id, b.id]
        )


def _row_counts(session: Session) -> dict[str, int]:
    counts = {
        k: session.exec(select(func.count()).select_from(t.table)).one()
        for k, t in items.ITEM_TYPES.items()
    }
    counts["revision"] = sum(session.exec(select(m.CanvasRevision.revision)).all())
    return counts


@pytest.mark.parametrize(
    ("kind", "data", "field", "rule"),
    [
        ("feature", {"title": ""}, "title", "is required"),
        ("feature", {"title": "x" * 201}, "title", "at most 200 characters"),
        ("feature", {"title": "ok", "reach": -1}, "reach", "at least 0"),
        ("feature", {"title": "ok", "impact": 7}, "impact", "at most 3"),
        ("feature", {"title": "ok", "confidence": 101}, "confidence", "at most 100"),
        ("feature", {"title": "ok", "effort": 0}, "effort", "greater than 0"),
        ("feature", {"title": "ok", "moscow": "maybe"}, "moscow", "must be one of"),
        ("feature", {"title": "ok", "reach": "lots"}, "reach", "whole number"),
        ("assumption", {"statement": "s", "importance": 9}, "importance", "at most 5"),
        ("key_result", {"metric": "m", "target_date": "next year"}, "target_date", "YYYY-MM-DD"),
        ("persona", {"name": "   "}, "name", "is required"),
        ("feature", {"title": "ok", "colour": "red"}, "colour", "not a field"),
    ],
)
def test_bad_input_names_field_and_rule_and_writes_nothing(
    session: Session, canvas: m.Canvas, kind: str, data: dict[str, Any], field: str, rule: str
) -> None:
    before = _row_counts(session)
    with pytest.raises(ValidationFailed) as raised:
        items.create_item(session=session, canvas_token=canvas.token, kind=kind, data=data)
    assert [e.field for e in raised.value.errors] == [field]
    assert rule in str(raised.value)
    assert _row_counts(session) == before


def test_invalid_update_writes_nothing(session: Session, canvas: m.Canvas) -> None:
    feature = _add(session, canvas.token, "feature", title="Export to PDF", reach=10)
    with pytest.raises(ValidationFailed, match="Reach: must be at least 0"):
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="feature",
            item_id=feature.id,
            changes={"reach": -5, "title": "New"},
            expected_version=1,
        )
    stored = items.get_item(
        session=session, canvas_token=canvas.token, kind="feature", item_id=feature.id
    )
    assert (stored.title, stored.reach, stored.version) == ("Export to PDF", 10, 1)


def test_links_must_stay_within_the_canvas(session: Session, canvas: m.Canvas) -> None:
    other = canvases.create_canvas(session=session, canvas_in={"name": "Other"})
    foreign = _add(session, other.token, "persona", name="Outsider")
    with pytest.raises(ValidationFailed, match="Persona: must be an item of this canvas"):
        _add(session, canvas.token, "feature", title="F", persona_id=foreign.id)
    epic = _add(session, canvas.token, "feature", title="Epic", kind="epic")
    with pytest.raises(ValidationFailed, match="cannot point to the item itself"):
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="feature",
            item_id=epic.id,
            changes={"epic_id": epic.id},
            expected_version=1,
        )
    a = _add(session, canvas.token, "roadmap_item", title="A")
    with pytest.raises(ValidationFailed, match="cannot depend on itself"):
        _add(session, canvas.token, "dependency", item_id=a.id, depends_on_id=a.id)


def test_feature_ranges_must_hold_the_estimate(session: Session, canvas: m.Canvas) -> None:
    with pytest.raises(ValidationFailed, match="Reach \\(low\\): must not be above the estimate"):
        _add(session, canvas.token, "feature", title="F", reach=100, reach_low=200)
    with pytest.raises(ValidationFailed, match="Effort \\(high\\): must not be below"):
        _add(session, canvas.token, "feature", title="F", effort=3, effort_high=2)
    ok = _add(
        session,
        canvas.token,
        "feature",
        title="F",
        reach=100,
        reach_low=50,
        reach_high=400,
        effort=2,
        effort_low=1,
        effort_high=5,
    )
    assert (ok.reach_low, ok.reach_high) == (50, 400)


def test_a_roadmap_item_cannot_end_before_it_starts(session: Session, canvas: m.Canvas) -> None:
    with pytest.raises(ValidationFailed, match="End: must not be before the start date"):
        _add(
            session,
            canvas.token,
            "roadmap_item",
            title="Beta",
            start_date=date(2026, 5, 2),
            end_date=date(2026, 5, 1),
        )


SCRIPTED_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("image", "media_type", "message"),
    [
        (
            SCRIPTED_SVG,
            "image/png",
            "Image: must be a PNG, JPEG, GIF or WebP image by its content; these bytes "
            "are not one (they are markup such as SVG, which can hold scripts), whatever "
            "their label (image/png) says",
        ),
        (
            b"GIF89a" + bytes(40),
            "image/png",
            "Image type: must be labelled with the type of "
            "its content: it is image/gif, labelled image/png",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + bytes(6 * 1024 * 1024),
            "image/png",
            "Image: must be at most 5 MB (this one is 6 MB)",
        ),
    ],
    ids=["scripted-svg-as-png", "gif-as-png", "too-large"],
)
def test_a_sketch_image_is_judged_by_its_bytes(
    session: Session, canvas: m.Canvas, image: bytes, media_type: str, message: str
) -> None:
    """The check lives in the sketch's schema, so every path that writes one applies it
    (the page, the JSON import, the command line)."""
    feature = _add(session, canvas.token, "feature", title="F")
    with pytest.raises(ValidationFailed) as info:
        _add(
            session,
            canvas.token,
            "sketch",
            feature_id=feature.id,
            image=image,
            media_type=media_type,
        )
    assert message in str(info.value)
    assert session.exec(select(func.count()).select_from(m.Sketch)).one() == 0
    webp = b"RIFF\x24\0\0\0WEBPVP8 " + bytes(24)
    kept = _add(
        session, canvas.token, "sketch", feature_id=feature.id, image=webp, media_type="image/webp"
    )
    assert bytes(kept.image) == webp


def test_dates_in_the_values_an_edit_started_from_survive_a_draft(
    session: Session, canvas: m.Canvas
) -> None:
    from strategy_canvas.services import drafts

    original = {"title": "Beta", "start_date": date(2026, 5, 1)}
    drafts.save_draft(
        session=session,
        canvas_token=canvas.token,
        owner_key="me",
        scope="roadmap_item:1",
        data={"title": "Beta 2", "__original__": original},
        base_version=1,
    )
    data, _ = drafts.get_draft(
        session=session, canvas_token=canvas.token, owner_key="me", scope="roadmap_item:1"
    )
    assert data["__original__"] == original


def test_one_score_per_feature_and_criterion(session: Session, canvas: m.Canvas) -> None:
    feature = _add(session, canvas.token, "feature", title="F")
    criterion = _add(session, canvas.token, "criterion", name="Fit", weight=2)
    _add(
        session,
        canvas.token,
        "criterion_score",
        feature_id=feature.id,
        criterion_id=criterion.id,
        score=3,
    )
    with pytest.raises(ValidationFailed, match="has a score for it already"):
        _add(
            session,
            canvas.token,
            "criterion_score",
            feature_id=feature.id,
            criterion_id=criterion.id,
            score=4,
        )


def test_one_decision_per_feature(session: Session, canvas: m.Canvas) -> None:
    feature = _add(session, canvas.token, "feature", title="F")
    _add(session, canvas.token, "decision", feature_id=feature.id, decision="iterate")
    with pytest.raises(ValidationFailed, match="already has a decision"):
        _add(session, canvas.token, "decision", feature_id=feature.id, decision="victory")


def test_stale_save_is_a_conflict_carrying_the_other_row(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        canvas = canvases.create_canvas(session=setup, canvas_in={"name": "Shared"})
        goal = _add(setup, canvas.token, "goal", title="Retain families")
    # A opens the goal at version 1; B saves; then A saves.
    with Session(engine, expire_on_commit=False) as a_session:
        opened = items.get_item(
            session=a_session, canvas_token=canvas.token, kind="goal", item_id=goal.id
        )
    with Session(engine) as b_session:
        items.update_item(
            session=b_session,
            canvas_token=canvas.token,
            kind="goal",
            item_id=goal.id,
            changes={"title": "B's title"},
            expected_version=opened.version,
        )
    with (
        Session(engine, expire_on_commit=False) as a_session,
        pytest.raises(ConflictError) as raised,
    ):
        items.update_item(
            session=a_session,
            canvas_token=canvas.token,
            kind="goal",
            item_id=goal.id,
            changes={"title": "A's title"},
            expected_version=opened.version,
        )
    assert raised.value.current.title == "B's title"
    assert raised.value.current.version == 2
    assert raised.value.attempted == {"title": "A's title"}
    with Session(engine) as check:
        stored = items.get_item(
            session=check, canvas_token=canvas.token, kind="goal", item_id=goal.id
        )
        assert stored.title == "B's title"


def test_delete_of_an_item_changed_meanwhile_is_a_conflict(
    session: Session, canvas: m.Canvas
) -> None:
    goal = _add(session, canvas.token, "goal", title="G")
    items.update_item(
        session=session,
        canvas_token=canvas.token,
        kind="goal",
        item_id=goal.id,
        changes={"title": "G2"},
        expected_version=1,
    )
    with pytest.raises(ConflictError):
        items.delete_item(
            session=session,
            canvas_token=canvas.token,
            kind="goal",
            item_id=goal.id,
            expected_version=1,
        )
    assert (
        items.get_item(
            session=session, canvas_token=canvas.token, kind="goal", item_id=goal.id
        ).title
        == "G2"
    )
    with pytest.raises(NotFound):
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="goal",
            item_id=goal.id + 1000,
            changes={"title": "x"},
            expected_version=1,
        )


def test_every_write_bumps_the_change_counter(session: Session, canvas: m.Canvas) -> None:
    def revision() -> int:
        return canvases.get_revision(session=session, canvas_token=canvas.token)

    start = revision()
    goal = _add(session, canvas.token, "goal", title="G")
    assert revision() == start + 1
    items.update_item(
        session=session,
        canvas_token=canvas.token,
        kind="goal",
        item_id=goal.id,
        changes={"title": "H"},
        expected_version=1,
    )
    assert revision() == start + 2
    with pytest.raises(ValidationFailed):
        _add(session, canvas.token, "goal", title="")
    assert revision() == start + 2
    canvases.rename_canvas(
        session=session, canvas_token=canvas.token, name="Renamed", expected_version=1
    )
    assert revision() == start + 3
    items.delete_item(
        session=session, canvas_token=canvas.token, kind="goal", item_id=goal.id, expected_version=2
    )
    assert revision() == start + 4


def test_unknown_token_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        _add(session, "no-such-token", "goal", title="G")
    with pytest.raises(NotFound):
        canvases.get_revision(session=session, canvas_token="no-such-token")


def test_canvas_lifecycle(session: Session) -> None:
    first = canvases.create_canvas(session=session, canvas_in={"name": "First", "product": "P"})
    second = canvases.create_canvas(session=session, canvas_in={"name": "Second"})
    second_token = second.token
    assert len(first.token) >= 24 and first.token != second.token
    assert {c.name for c in canvases.list_canvases(session=session)} == {"First", "Second"}

    renamed = canvases.rename_canvas(
        session=session, canvas_token=first.token, name="Renamed", expected_version=1
    )
    assert (renamed.name, renamed.version) == ("Renamed", 2)
    with pytest.raises(ConflictError):
        canvases.rename_canvas(
            session=session, canvas_token=first.token, name="Stale", expected_version=1
        )
    with pytest.raises(ValidationFailed, match="Name: is required"):
        canvases.rename_canvas(
            session=session, canvas_token=first.token, name=" ", expected_version=2
        )

    canvases.set_archived(session=session, canvas_token=second.token, archived=True)
    assert [c.name for c in canvases.list_canvases(session=session)] == ["Renamed"]
    archived = canvases.list_canvases(session=session, include_archived=True)
    assert {c.name: c.archived for c in archived} == {"Renamed": False, "Second": True}
    canvases.set_archived(session=session, canvas_token=second.token, archived=False)
    assert len(canvases.list_canvases(session=session)) == 2

    _add(session, second.token, "goal", title="Kept until deleted")
    with pytest.raises(ValidationFailed, match="type the canvas's name"):
        canvases.delete_canvas(session=session, canvas_token=second.token, confirm_name="nope")
    assert len(canvases.list_canvases(session=session)) == 2
    canvases.delete_canvas(session=session, canvas_token=second.token, confirm_name="Second")
    assert [c.name for c in canvases.list_canvases(session=session)] == ["Renamed"]
    assert session.exec(select(func.count()).select_from(m.Goal)).one() == 0
    with pytest.raises(NotFound):
        canvases.get_canvas(session=session, canvas_token=second_token)


def test_create_canvas_validates(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="Name: must be at most 120 characters"):
        canvases.create_canvas(session=session, canvas_in={"name": "n" * 121})
    assert canvases.list_canvases(session=session) == []


def test_progress_names_what_is_missing(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    empty = progress.step_progress(session=session, canvas_token=token)
    assert [s.step for s in empty] == [1, 2, 3, 4, 5]
    assert [s.score for s in empty] == [0, 0, 0, 0, 0]
    assert progress.next_action(empty).startswith("Problem & audience: Add 1 more problem")

    persona = _add(session, token, "persona", name="Busy parent")
    goal = _add(session, token, "goal", title="Save time")
    for title in ("Plan", "Shop", "Cook"):
        _add(
            session,
            token,
            "feature",
            title=title,
            persona_id=persona.id,
            goal_id=goal.id,
            reach=100,
            impact=1,
            confidence=50,
            effort=1,
            moscow="should",
        )
    designs = progress.step_progress(session=session, canvas_token=token)[2]
    assert designs.score == 1 and designs.missing == []

    _add(session, token, "feature", title="Unscored idea")
    designs = progress.step_progress(session=session, canvas_token=token)[2]
    assert 0 < designs.score < 1
    assert any("Unscored idea" in line and "persona and a goal" in line for line in designs.missing)


def test_drafts_survive_and_stay_private(session: Session, canvas: m.Canvas) -> None:
    from strategy_canvas.services import drafts

    token = canvas.token
    before = canvases.get_revision(session=session, canvas_token=token)
    drafts.save_draft(
        session=session,
        canvas_token=token,
        owner_key="me",
        scope="goal:new",
        data={"title": "Half-typed", "target_date": date(2026, 5, 1)},
        base_version=None,
    )
    drafts.save_draft(
        session=session,
        canvas_token=token,
        owner_key="me",
        scope="goal:new",
        data={"title": "Half-typed goal"},
        base_version=3,
    )
    assert drafts.get_draft(
        session=session, canvas_token=token, owner_key="me", scope="goal:new"
    ) == ({"title": "Half-typed goal"}, 3)
    assert (
        drafts.get_draft(
            session=session, canvas_token=token, owner_key="someone-else", scope="goal:new"
        )
        is None
    )
    drafts.save_draft(
        session=session,
        canvas_token=token,
        owner_key="me",
        scope="kr:1",
        data={"target_date": date(2026, 5, 1)},
        base_version=1,
    )
    assert drafts.get_draft(session=session, canvas_token=token, owner_key="me", scope="kr:1") == (
        {"target_date": date(2026, 5, 1)},
        1,
    )
    assert drafts.list_drafts(session=session, canvas_token=token, owner_key="me") == [
        "goal:new",
        "kr:1",
    ]
    # Drafts are private: they do not move the canvas's change counter.
    assert canvases.get_revision(session=session, canvas_token=token) == before
    drafts.discard_draft(session=session, canvas_token=token, owner_key="me", scope="goal:new")
    assert drafts.list_drafts(session=session, canvas_token=token, owner_key="me") == ["kr:1"]
    with pytest.raises(ValidationFailed, match="Draft"):
        drafts.save_draft(
            session=session,
            canvas_token=token,
            owner_key="me",
            scope="x",
            data={"text": "x" * 300_000},
            base_version=None,
        )
