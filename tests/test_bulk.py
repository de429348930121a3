"""Adding many items at once (services/bulk.py): a list one per line or a spreadsheet
block, links found by title, every row checked before anything is written, and a
refusal that names the line, the field and the rule; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import bulk, canvases, items
from strategy_canvas.services.errors import ValidationFailed


@pytest.fixture
def canvas(session: Session) -> m.Canvas:
    return canvases.create_canvas(session=session, canvas_in={"name": "Stage strategy"})


def _rows(session: Session, token: str, kind: str) -> list[Any]:
    return items.list_items(session=session, canvas_token=token, kind=kind)


def _add(session: Session, token: str, kind: str, text: str) -> list[Any]:
    return bulk.add_many(session=session, canvas_token=token, kind=kind, text=text)


def test_a_list_one_per_line_adds_one_item_per_line_in_order(
    session: Session, canvas: m.Canvas
) -> None:
    added = _add(
        session,
        canvas.token,
        "problem",
        "Stages are planned in spreadsheets\n\n  Nobody knows who owns a stage  \n"
        "Reviews wait a week, 3 × a month\n",
    )
    assert [p.title for p in added] == [
        "Stages are planned in spreadsheets",
        "Nobody knows who owns a stage",
        "Reviews wait a week, 3 × a month",  # a comma is text, not a column
    ]
    assert [p.title for p in _rows(session, canvas.token, "problem")] == [p.title for p in added]


def test_a_spreadsheet_block_fills_the_columns_and_finds_links_by_title(
    session: Session, canvas: m.Canvas
) -> None:
    token = canvas.token
    _add(session, token, "persona", "Release manager\nStage owner")
    _add(session, token, "goal", "Ship every stage on time")
    block = (
        "Title\tPersona\tGoal\tReach\tImpact\tConfidence\tEffort\tMoSCoW\n"
        "Stage calendar\trelease MANAGER\tShip every stage on time\t1200\t2\t80\t1.5\twon't\n"
        '"Owner, with ""hand-off"" notes"\tStage owner\t\t300\t0.5\t50\t0.25\tmust\n'
    )
    first, second = _add(session, token, "feature", block)
    personas = {p.name: p.id for p in _rows(session, token, "persona")}
    assert (first.title, first.persona_id, first.reach, first.impact, first.moscow) == (
        "Stage calendar",
        personas["Release manager"],
        1200,
        2.0,
        "wont",
    )
    assert first.goal_id == _rows(session, token, "goal")[0].id
    assert (second.title, second.goal_id, second.effort) == (
        'Owner, with "hand-off" notes',
        None,
        0.25,
    )


def test_one_bad_row_refuses_the_paste_naming_line_field_and_rule(
    session: Session, canvas: m.Canvas
) -> None:
    token = canvas.token
    revision = canvases.get_revision(session=session, canvas_token=token)
    block = (
        "Good one\tfeature\t\t\t100\t1\t50\t2\n"
        "Bad scores\tfeature\t\t\t1000000000000\t7\t150\t-3\n"
        "Unknown persona\tfeature\tNobody\n"
    )
    with pytest.raises(ValidationFailed) as refused:
        _add(session, token, "feature", block)
    messages = {e.label: e.message for e in refused.value.errors}
    assert messages == {
        "Line 2, Reach": "must be at most 1,000,000,000",
        "Line 2, Impact": "must be at most 3",
        "Line 2, Confidence": "must be at most 100",
        "Line 2, Effort": "must be greater than 0",
        "Line 3, Persona": "names no persona of this canvas (“Nobody”)",
    }
    assert _rows(session, token, "feature") == []  # not even the good row
    assert canvases.get_revision(session=session, canvas_token=token) == revision


def test_numbers_are_refused_not_rounded_and_choices_not_guessed(
    session: Session, canvas: m.Canvas
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _add(session, canvas.token, "feature", "Half a reach\tfeature\t\t\t2.5\nOdd\tgizmo\n")
    messages = {e.label: e.message for e in refused.value.errors}
    assert messages["Line 1, Reach"] == "must be a whole number"
    assert messages["Line 2, Kind"].startswith("must be one of")
    assert _rows(session, canvas.token, "feature") == []


def test_roadmap_items_from_features_take_their_titles(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    _add(session, token, "feature", "Stage calendar\nHand-off notes")
    added = _add(
        session,
        token,
        "roadmap_item",
        "Stage calendar\t\tnow\tAna\nHand-off notes\tHand-off notes, first cut\tnext\n",
    )
    features = {f.title: f.id for f in _rows(session, token, "feature")}
    assert [(r.title, r.feature_id, r.lane, r.owner) for r in added] == [
        ("Stage calendar", features["Stage calendar"], "now", "Ana"),
        ("Hand-off notes, first cut", features["Hand-off notes"], "next", ""),
    ]


def test_a_header_row_says_which_column_is_which(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    _add(session, token, "key_result", "Stages shipped on time")
    added = _add(
        session,
        token,
        "kpi_reading",
        "Value\tDate\tKPI\n62\t2026-03-01\tStages shipped on time\n71.5\t2026-04-01\t"
        "stages shipped on time\n",
    )
    assert [(r.value, r.measured_on) for r in added] == [
        (62.0, date(2026, 3, 1)),
        (71.5, date(2026, 4, 1)),
    ]


def test_too_many_cells_or_nothing_at_all_is_refused(session: Session, canvas: m.Canvas) -> None:
    with pytest.raises(ValidationFailed, match="Line 2: has 4 cells but there are 3 columns"):
        _add(session, canvas.token, "problem", "A\tb\tc\nB\tb\tc\td\n")
    with pytest.raises(ValidationFailed, match="paste at least one line"):
        _add(session, canvas.token, "problem", " \n\t\n")
    with pytest.raises(ValidationFailed, match="at most 500 at once"):
        _add(session, canvas.token, "problem", "\n".join(f"P{i}" for i in range(501)))
    assert _rows(session, canvas.token, "problem") == []


def test_a_duplicate_only_the_database_knows_names_its_line(
    session: Session, canvas: m.Canvas
) -> None:
    token = canvas.token
    _add(session, token, "feature", "Stage calendar")
    _add(session, token, "criterion", "Strategic fit\t40")
    with pytest.raises(ValidationFailed, match="Line 2, Criterion"):
        _add(
            session,
            token,
            "criterion_score",
            "Stage calendar\tStrategic fit\t7\nStage calendar\tStrategic fit\t8\n",
        )
    assert _rows(session, token, "criterion_score") == []


def test_features_go_on_the_roadmap_in_one_step(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    calendar, notes = _add(session, token, "feature", "Stage calendar\nHand-off notes")
    added = bulk.roadmap_from_features(
        session=session, canvas_token=token, feature_ids=[notes.id, calendar.id], lane="now",
        owner="Ana",
    )  # fmt: skip
    assert [(r.title, r.feature_id, r.lane, r.owner) for r in added] == [
        ("Hand-off notes", notes.id, "now", "Ana"),
        ("Stage calendar", calendar.id, "now", "Ana"),
    ]
    with pytest.raises(ValidationFailed, match="Lane: must be one of"):
        bulk.roadmap_from_features(
            session=session, canvas_token=token, feature_ids=[notes.id], lane="someday"
        )
    with pytest.raises(ValidationFailed, match="Features: choose at least one"):
        bulk.roadmap_from_features(session=session, canvas_token=token, feature_ids=[])
    assert len(_rows(session, token, "roadmap_item")) == 2
