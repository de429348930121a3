"""The demo canvas: every item type, the minimum counts, links inside the canvas, complete
scores, deterministic dates; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from strategy_canvas import demo
from strategy_canvas import models as m
from strategy_canvas.export import json_io
from strategy_canvas.services import canvases, items
from tests.dbkit import normalise

ByKind = dict[str, list[Any]]

MINIMUM = {
    "problem": 2,
    "persona": 3,
    "alternative": 3,
    "evidence": 3,
    "assumption": 5,
    "vision": 1,
    "goal": 3,
    "key_result": 3,
    "feature": 12,
    "sketch": 2,
    "roadmap_item": 10,
    "dependency": 3,
    "risk": 4,
    "feedback": 16,
    "flaw": 5,
    "kpi_reading": 12,
    "decision": 4,
    "criterion": 3,
    "criterion_score": 12,
}


def check_every_item_type_has_at_least_the_minimum(canvas: m.Canvas, by_kind: ByKind) -> None:
    assert canvas.name and canvas.product == "Tidewater" and canvas.authors
    counts = {kind: len(rows) for kind, rows in by_kind.items()}
    # every item type, including any added after this list was written, is filled
    short = {k: (n, MINIMUM.get(k, 1)) for k, n in counts.items() if n < MINIMUM.get(k, 1)}
    assert not short, f"fewer than the minimum (have, need): {short}"
    assert counts["vision"] == 1


def check_every_link_points_to_an_item_of_the_same_canvas(by_kind: ByKind) -> None:
    ids = {kind: {row.id for row in rows} for kind, rows in by_kind.items()}
    linked: Counter[tuple[str, str]] = Counter()
    for kind, spec in items.ITEM_TYPES.items():
        for row in by_kind[kind]:
            for link, target in spec.links.items():
                value = getattr(row, link)
                if value is not None:
                    assert value in ids[target], f"{kind} {row.id}.{link} -> {value}"
                    linked[(kind, link)] += 1
    # The spine is really tied together.
    for kind, link in [
        ("persona", "problem_id"),
        ("goal", "persona_id"),
        ("feature", "persona_id"),
        ("feature", "goal_id"),
        ("roadmap_item", "feature_id"),
        ("key_result", "goal_id"),
        ("key_result", "roadmap_item_id"),
        ("feedback", "feature_id"),
        ("feedback", "key_result_id"),
        ("feedback", "persona_id"),
        ("flaw", "feedback_id"),
        ("risk", "roadmap_item_id"),
    ]:
        assert linked[(kind, link)] > 0, f"no {kind} uses {link}"


def check_features_are_scored_completely_and_tied_to_persona_and_goal(by_kind: ByKind) -> None:
    for f in by_kind["feature"]:
        assert f.persona_id is not None and f.goal_id is not None, f.title
        assert f.reach is not None and f.reach > 0, f.title
        assert f.impact in {0.25, 0.5, 1, 2, 3}, f.title
        assert f.confidence is not None and 0 <= f.confidence <= 100, f.title
        assert f.effort is not None and f.effort > 0, f.title
        assert f.ease is not None and f.value is not None, f.title
        assert f.moscow is not None and f.kano is not None, f.title
    assert {f.kind for f in by_kind["feature"]} == {"feature", "story", "epic"}


def check_vision_goals_and_key_results_are_filled(by_kind: ByKind) -> None:
    (vision,) = by_kind["vision"]
    for name in items.ITEM_TYPES["vision"].fields:
        assert getattr(vision, name), f"vision.{name} is empty"
    per_goal = Counter(kr.goal_id for kr in by_kind["key_result"])
    assert all(1 <= per_goal[g.id] <= 2 for g in by_kind["goal"])
    for kr in by_kind["key_result"]:
        assert kr.unit and kr.baseline is not None and kr.target is not None
        assert kr.target_date is not None


def check_step_five_is_spread_and_trends_toward_targets(by_kind: ByKind) -> None:
    dates = sorted(f.received_on for f in by_kind["feedback"])
    assert (dates[-1] - dates[0]).days >= 75
    assert len({f.source for f in by_kind["feedback"]}) >= 4
    assert {f.sentiment for f in by_kind["feedback"]} == {"positive", "neutral", "negative"}
    assert all(f.fix and f.fix_owner for f in by_kind["flaw"])
    for kr in by_kind["key_result"]:
        readings = sorted(
            (r for r in by_kind["kpi_reading"] if r.key_result_id == kr.id),
            key=lambda r: r.measured_on,
        )
        assert len(readings) >= 4
        span = (readings[-1].measured_on - readings[0].measured_on).days
        assert span >= 85
        # every reading moves from the baseline toward the target
        gaps = [abs(kr.target - r.value) for r in readings]
        assert gaps == sorted(gaps, reverse=True) and gaps[-1] < abs(kr.target - kr.baseline)
    decisions = by_kind["decision"]
    assert {d.decision for d in decisions} == {"victory", "iterate", "rollback"}
    shipped = {f.id for f in by_kind["feature"] if f.status == "shipped"}
    assert {d.feature_id for d in decisions} <= shipped and len(decisions) >= 4
    assert all(d.rationale and d.decided_on for d in decisions)


def check_roadmap_uses_every_lane_with_dates_owners_and_milestones(by_kind: ByKind) -> None:
    roadmap = by_kind["roadmap_item"]
    assert {r.lane for r in roadmap} == {"now", "next", "later"}
    assert all(r.start_date and r.end_date and r.start_date <= r.end_date for r in roadmap)
    assert all(r.owner and r.team for r in roadmap)
    assert len({r.status for r in roadmap}) >= 3
    assert sum(1 for r in roadmap if r.milestone) >= 5
    assert all(s.url.startswith("https://") and s.caption for s in by_kind["sketch"])


def test_demo_canvas_is_complete_linked_and_deterministic(session: Session) -> None:
    canvas = demo.create_demo_canvas(session=session)
    by_kind: ByKind = {
        kind: items.list_items(session=session, canvas_token=canvas.token, kind=kind)
        for kind in items.ITEM_TYPES
    }
    check_every_item_type_has_at_least_the_minimum(canvas, by_kind)
    check_every_link_points_to_an_item_of_the_same_canvas(by_kind)
    check_features_are_scored_completely_and_tied_to_persona_and_goal(by_kind)
    check_vision_goals_and_key_results_are_filled(by_kind)
    check_step_five_is_spread_and_trends_toward_targets(by_kind)
    check_roadmap_uses_every_lane_with_dates_owners_and_milestones(by_kind)
    assert max(f.received_on for f in by_kind["feedback"]) < demo.ANCHOR == date(2026, 9, 1)

    # A second demo is a new canvas with the same content (dates are anchored).
    second = demo.create_demo_canvas(session=session)
    assert second.token != canvas.token

    def snapshot(token: str) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for kind, spec in items.ITEM_TYPES.items():
            rows = items.list_items(session=session, canvas_token=token, kind=kind)
            out[kind] = [
                tuple(getattr(r, f) for f in spec.fields if f not in spec.links) for r in rows
            ]
        return out

    assert snapshot(canvas.token) == snapshot(second.token)
    assert len(canvases.list_canvases(session=session)) == 2


def test_the_demo_is_its_json_file_loaded_through_the_import(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo is data in the export format, written by the import a user's file takes
    (the same on either database: the test above builds it on both)."""
    session = Session(sqlite_engine, expire_on_commit=False)
    imported: list[dict[str, Any]] = []
    real = json_io.import_canvas

    def spy(**kwargs: Any) -> Any:
        imported.append(kwargs["document"])
        return real(**kwargs)

    monkeypatch.setattr(json_io, "import_canvas", spy)
    canvas = demo.create_demo_canvas(session=session)
    file = json.loads(demo.DEMO_FILE.read_text(encoding="utf-8"))
    assert imported == [file]
    exported = json_io.export_canvas(session=session, canvas_token=canvas.token)
    assert normalise(exported) == normalise(file)


def test_a_failing_demo_writes_nothing(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo is one transaction: a failure midway leaves no half-built canvas."""
    real = items.create_item
    calls = {"n": 0}

    def failing(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 60:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(items, "create_item", failing)
    with pytest.raises(RuntimeError):
        demo.create_demo_canvas(session=session)
    assert session.exec(select(func.count()).select_from(m.Canvas)).one() == 0
    assert session.exec(select(func.count()).select_from(m.Feature)).one() == 0
