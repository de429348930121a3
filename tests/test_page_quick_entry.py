"""Fast entry on the step pages, through the widgets: many items pasted at once (all or
nothing, the refusal naming line, field and rule, the paste kept as a draft across a
reload), and roadmap items made from the features not on the roadmap yet."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import step_page, steps
from tests.pagekit import APP, TIMEOUT, choose_kind, click, open_page, rows, texts

PERSONAS = (
    "Name\tKind\tPains\tProblem\n"
    "Release manager\tpersona\tStages slip\tStages are planned in spreadsheets\n"
    "Stage owner\tpersona\tNo hand-off\tStages are planned in spreadsheets\n"
    "Platform team\tsegment\t\tStages are planned in spreadsheets\n"
)


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Stages"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="problem",
            data={"title": "Stages are planned in spreadsheets"},
        )
        return canvas


def _many(at: AppTest, step: int, kind: str) -> AppTest:
    choose_kind(at, step, kind)
    at.segmented_control(key=step_page._mode_key(step, kind)).set_value("many").run()
    return at


def _paste(at: AppTest, kind: str, text: str) -> AppTest:
    at.text_area(key=f"bulk.{kind}.text").set_value(text).run()
    return click(at, f"bulk.{kind}.add")


def test_the_way_of_entry_follows_the_person_to_the_next_item_type(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    at = _many(open_page(steps.STEPS[1].page, canvas=canvas.token), 1, "problem")
    choose_kind(at, 1, "persona")  # pasting problems, then turning to the personas
    assert at.segmented_control(key=step_page._mode_key(1, "persona")).value == "many"
    at.segmented_control(key=step_page._mode_key(1, "persona")).set_value("one").run()
    choose_kind(at, 1, "alternative")  # a kind not entered yet takes the last way chosen
    assert at.segmented_control(key=step_page._mode_key(1, "alternative")).value == "one"
    choose_kind(at, 1, "problem")  # a kind keeps the way chosen for it
    assert at.segmented_control(key=step_page._mode_key(1, "problem")).value == "many"


def test_many_personas_pasted_from_a_spreadsheet_are_added_at_once(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    at = _many(open_page(steps.STEPS[1].page, canvas=canvas.token), 1, "persona")
    assert any("Columns, in this order" in c for c in texts(at, "caption"))
    _paste(at, "persona", PERSONAS)
    added = rows(app_engine, canvas.token, "persona")
    problem = rows(app_engine, canvas.token, "problem")[0]
    assert [(p.name, p.kind, p.pains, p.problem_id) for p in added] == [
        ("Release manager", "persona", "Stages slip", problem.id),
        ("Stage owner", "persona", "No hand-off", problem.id),
        ("Platform team", "segment", "", problem.id),
    ]
    [success] = texts(at, "success")
    assert "Added 3 personas & segments: “Release manager”, “Stage owner”, “Platform team”" in (
        success.replace("\\", "")
    )
    assert at.text_area(key="bulk.persona.text").value == ""  # ready for the next paste


def test_a_bad_paste_adds_nothing_names_each_problem_and_keeps_the_text(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    at = _many(open_page(steps.STEPS[1].page, canvas=canvas.token), 1, "assumption")
    text = "Teams plan a quarter ahead\t4\nOwners read the calendar\t9\nNobody\t2\t7\n"
    _paste(at, "assumption", text)
    [error] = texts(at, "error")
    assert "**Line 2, Importance** must be at most 5" in error
    assert "**Line 3, Evidence** must be at most 5" in error
    assert rows(app_engine, canvas.token, "assumption") == []
    assert at.text_area(key="bulk.assumption.text").value == text


def test_a_paste_not_yet_added_survives_a_reload(app_engine: Engine, canvas: models.Canvas) -> None:
    at = _many(open_page(steps.STEPS[1].page, canvas=canvas.token), 1, "problem")
    at.text_area(key="bulk.problem.text").set_value("First\nSecond\n").run()
    me = at.query_params["me"]
    me = me[0] if isinstance(me, list) else me

    reloaded = AppTest.from_file(APP, default_timeout=TIMEOUT)
    reloaded.switch_page(steps.STEPS[1].page)
    reloaded.query_params.update({"canvas": canvas.token, "me": me})
    reloaded.run()
    _many(reloaded, 1, "problem")
    assert reloaded.text_area(key="bulk.problem.text").value == "First\nSecond\n"
    assert len(rows(app_engine, canvas.token, "problem")) == 1  # a draft, nothing added


def _feature(session: Any, token: str, **data: Any) -> Any:
    return items.create_item(session=session, canvas_token=token, kind="feature", data=data)


def test_features_become_roadmap_items_named_after_them(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    token = canvas.token
    with db.session_scope(app_engine) as session:
        low = _feature(session, token, title="Low", reach=10, impact=1, confidence=50, effort=5)
        high = _feature(session, token, title="High", reach=900, impact=2, confidence=80, effort=1)
        _feature(session, token, title="Dropped", status="dropped")
        _feature(session, token, title="Not now", moscow="wont")
        planned = _feature(session, token, title="Planned")
        items.create_item(
            session=session,
            canvas_token=token,
            kind="roadmap_item",
            data={"title": "Planned", "feature_id": planned.id},
        )
    at = choose_kind(open_page(steps.STEPS[4].page, canvas=token), 4, "roadmap_item")
    at.segmented_control(key=step_page._mode_key(4, "roadmap_item")).set_value("features").run()
    picker = at.multiselect(key="bulk.roadmap.features")
    assert picker.value == [high.id, low.id]  # best first; dropped, won't and planned left out
    at.segmented_control(key="bulk.roadmap.lane").set_value("now")
    at.text_input(key="bulk.roadmap.owner").set_value("Ana")
    click(at, "bulk.roadmap.add")
    made = {r.title: r for r in rows(app_engine, token, "roadmap_item")}
    assert (made["High"].feature_id, made["High"].lane, made["High"].owner) == (
        high.id,
        "now",
        "Ana",
    )
    assert made["Low"].feature_id == low.id
    assert any("Added 2 roadmap" in s for s in texts(at, "success"))
    assert any("Every feature is on the roadmap already" in i for i in texts(at, "info"))
