"""Steps 1 and 2 driven through their widgets, like a user: add, edit, delete every item
type; invalid input; the vision builder; drafts that survive leaving the page and a
reload; a conflict with someone else's save."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.rules import percent as shares
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.ui import chart_view, steps
from strategy_canvas.ui.text import md
from tests.pagekit import (
    chart_titles,
    choose_kind,
    field,
    fill,
    html_text,
    open_page,
    show_part,
    texts,
)

VISION = "pages/2_Vision.py"
PROBLEM = "pages/1_Problem_and_audience.py"


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Journey"})
        items.create_item(
            session=session, canvas_token=canvas.token, kind="persona", data={"name": "Busy parent"}
        )
        items.create_item(
            session=session, canvas_token=canvas.token, kind="goal", data={"title": "Save time"}
        )
        return canvas


def _rows(engine: Engine, token: str, kind: str) -> list[Any]:
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


CASES = [
    (
        1,
        "problem",
        {"title": "Dinner is chaos", "statement": "47 minutes a week"},
        {"statement": "52 minutes a week"},
    ),
    (1, "persona", {"name": "Shift worker", "pains": "Late meetings"}, {"kind": "segment"}),
    (1, "alternative", {"name": "Mealime", "strengths": "Polished"}, {"weaknesses": "Static"}),
    (1, "evidence", {"title": "Survey n=612", "source": "Panel"}, {"strength": "strong"}),
    (
        1,
        "assumption",
        {"statement": "Parents plan ahead", "importance": 5},
        {"evidence": 4, "status": "testing"},
    ),
    (2, "goal", {"title": "Cut food waste"}, {"description": "Use what is bought"}),
    (
        2,
        "key_result",
        {"metric": "Planning time", "baseline": 47.0, "target": 10.0},
        {"unit": "min"},
    ),
]


@pytest.mark.parametrize(("step", "kind", "create", "edit"), CASES, ids=[c[1] for c in CASES])
def test_add_edit_delete_through_the_widgets(
    app_engine: Engine,
    canvas: models.Canvas,
    step: int,
    kind: str,
    create: dict[str, Any],
    edit: dict[str, Any],
) -> None:
    page = PROBLEM if step == 1 else VISION
    before = len(_rows(app_engine, canvas.token, kind))
    at = choose_kind(open_page(page, canvas=canvas.token), step, kind)
    fill(at, kind, "new", create)
    at.button(key=f"ed.{kind}.new.save").click().run()
    assert not at.exception
    rows = _rows(app_engine, canvas.token, kind)
    assert len(rows) == before + 1
    row = rows[-1]
    for name, value in create.items():
        assert getattr(row, name) == value
    assert any("Added" in s for s in texts(at, "success"))

    at.selectbox(key=f"ed.{kind}.open").set_value(str(row.id)).run()
    fill(at, kind, str(row.id), edit)
    at.button(key=f"ed.{kind}.{row.id}.save").click().run()
    assert not at.exception
    stored = next(r for r in _rows(app_engine, canvas.token, kind) if r.id == row.id)
    assert stored.version == 2
    for name, value in edit.items():
        assert getattr(stored, name) == value
    assert any("Saved" in s for s in texts(at, "success"))

    at.button(key=f"ed.{kind}.{row.id}.delete").click().run()
    assert not at.exception
    assert len(_rows(app_engine, canvas.token, kind)) == before
    assert any("Deleted" in s for s in texts(at, "success"))


def test_invalid_input_names_the_field_and_writes_nothing(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    at = choose_kind(open_page(PROBLEM, canvas=canvas.token), 1, "persona")
    fill(at, "persona", "new", {"name": "x" * 201})
    at.button(key="ed.persona.new.save").click().run()
    errors = " ".join(texts(at, "error"))
    assert "Name" in errors and "at most 200 characters" in errors
    assert [p.name for p in _rows(app_engine, canvas.token, "persona")] == ["Busy parent"]
    # The typed value is still there to correct.
    assert at.text_input(key="ed.persona.new.name").value == "x" * 201


def test_links_are_chosen_from_earlier_items(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    persona = _rows(app_engine, canvas.token, "persona")[0]
    at = choose_kind(open_page(VISION, canvas=canvas.token), 2, "goal")
    box = field(at, "goal", "new", "persona_id")
    assert (
        persona.id in box.options
        or str(persona.id) in box.options
        or "Busy parent" in [str(o) for o in box.options]
    )
    fill(at, "goal", "new", {"title": "Retain families", "persona_id": persona.id})
    at.button(key="ed.goal.new.save").click().run()
    goal = next(g for g in _rows(app_engine, canvas.token, "goal") if g.title == "Retain families")
    assert goal.persona_id == persona.id


def test_the_picker_names_items_of_one_title_apart_and_follows_a_rename(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    """The picker's names are worked out once per state of the canvas: two items of one
    title carry their numbers, and a rename by someone else shows on the next rerun."""
    with db.session_scope(app_engine) as session:
        first, second = (
            items.create_item(
                session=session,
                canvas_token=canvas.token,
                kind="persona",
                data={"name": "Shift worker"},
            )
            for _ in range(2)
        )
    at = choose_kind(open_page(PROBLEM, canvas=canvas.token), 1, "persona")
    box = at.selectbox(key="ed.persona.open")
    assert f"Shift worker (#{first.id})" in box.options
    assert f"Shift worker (#{second.id})" in box.options
    assert "Busy parent" in box.options

    with db.session_scope(app_engine) as session:
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="persona",
            item_id=second.id,
            changes={"name": "Night nurse"},
            expected_version=second.version,
        )
    at.run()
    box = at.selectbox(key="ed.persona.open")
    assert "Shift worker" in box.options
    assert "Night nurse" in box.options
    assert not any("(#" in str(option) for option in box.options)


def test_vision_builder_composes_the_statement(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    at = open_page(VISION, canvas=canvas.token)
    vision_id = _rows(app_engine, canvas.token, "vision")[0].id
    parts = {
        "target": "busy parents",
        "need": "need dinner decided",
        "product_name": "Tidewater",
        "category": "meal-planning app",
        "benefit": "plans the week in ten minutes",
        "alternative": "recipe sites",
        "differentiator": "uses what is in the fridge",
    }
    show_part(at, "Sentence builder", "vision")
    assert at.button(key="vision.use_sentence").disabled
    fill(at, "vision", str(vision_id), parts)
    at.button(key="vision.use_sentence").click().run()
    expected = (
        "For busy parents who need dinner decided, Tidewater is a meal-planning app "
        "that plans the week in ten minutes; unlike recipe sites, it uses what is in "
        "the fridge."
    )
    assert at.text_area(key=f"ed.vision.{vision_id}.statement").value == expected
    at.button(key=f"ed.vision.{vision_id}.save").click().run()
    assert _rows(app_engine, canvas.token, "vision")[0].statement == expected
    assert md(expected) in " ".join(texts(at, "markdown"))  # the board shows it, escaped


def test_draft_survives_leaving_the_page_and_a_reload(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    at = choose_kind(open_page(PROBLEM, canvas=canvas.token), 1, "problem")
    fill(at, "problem", "new", {"title": "Half-written problem"})
    me = at.query_params["me"]
    me = me[0] if isinstance(me, list) else me

    at.switch_page("pages/2_Vision.py").run()  # to another page, mid-edit
    at.switch_page(PROBLEM).run()  # and back
    choose_kind(at, 1, "problem")
    assert at.text_input(key="ed.problem.new.title").value == "Half-written problem"

    # A reload: a new browser session with the same address (canvas and me= key).
    reloaded = AppTest.from_file(str(at._script_path), default_timeout=30)
    reloaded.switch_page(PROBLEM)
    reloaded.query_params.update({"canvas": canvas.token, "me": me})
    reloaded.run()
    choose_kind(reloaded, 1, "problem")
    assert reloaded.text_input(key="ed.problem.new.title").value == "Half-written problem"
    assert any("draft was restored" in i for i in texts(reloaded, "info"))
    assert _rows(app_engine, canvas.token, "problem") == []  # a draft, not yet saved


def test_someone_elses_save_gives_a_conflict_choice(
    app_engine: Engine,
    canvas: models.Canvas,
) -> None:
    goal = _rows(app_engine, canvas.token, "goal")[0]
    at = choose_kind(open_page(VISION, canvas=canvas.token), 2, "goal")
    at.selectbox(key="ed.goal.open").set_value(str(goal.id)).run()
    fill(at, "goal", str(goal.id), {"title": "Mine"})
    with db.session_scope(app_engine) as session:  # someone else saves meanwhile
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="goal",
            item_id=goal.id,
            changes={"title": "Theirs"},
            expected_version=1,
        )
    at.run()
    assert any("Someone else just saved" in w for w in texts(at, "warning"))
    at.button(key=f"ed.goal.{goal.id}.save").click().run()
    assert any("compare and choose" in w for w in texts(at, "warning"))
    [compared] = [t for t in texts(at, "markdown") if t.startswith("- **Goal**")]
    assert compared.startswith("- **Goal** — theirs (saved): “Theirs” · yours (unsaved): “Mine”")
    assert _rows(app_engine, canvas.token, "goal")[0].title == "Theirs"  # nothing overwritten
    at.button(key=f"ed.goal.{goal.id}.keep_mine").click().run()
    stored = _rows(app_engine, canvas.token, "goal")[0]
    assert (stored.title, stored.version) == ("Mine", 3)


def test_step_pages_run_with_the_demo_canvas(seeded: models.Canvas) -> None:
    for page in (PROBLEM, VISION):
        at = open_page(page, canvas=seeded.token)
        assert not at.exception
        assert at.selectbox(key=f"step{1 if page == PROBLEM else 2}.edit_kind")


HOSTILE = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no]"


def test_the_goals_show_their_key_results_and_hostile_text_as_typed(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    """Every goal is a card of one HTML element: title, for whom, what it means, each
    key result from baseline to target; user text escaped, never markup."""
    with db.session_scope(app_engine) as session:
        goal = items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="goal",
            data={"title": HOSTILE, "description": "<b>why</b>"},
        )
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="key_result",
            data={"goal_id": goal.id, "metric": HOSTILE, "baseline": 47.0, "target": 10.0,
                  "unit": "min"},
        )  # fmt: skip
    at = open_page(VISION, canvas=canvas.token)
    assert not at.exception
    [cards] = [t for t in texts(at, "html") if 'class="sc-cards"' in t]
    assert "<script>" not in cards and "<b>why" not in cards
    shown = html.unescape(re.sub(r"<[^>]+>", " ", cards))
    assert "Save time" in shown and "No key result yet" in shown  # the goal without one
    assert HOSTILE in shown and "<b>why</b>" in shown
    assert f"{HOSTILE}: 47 min → 10 min" in " ".join(shown.split())


def test_the_assumption_map_is_folded_at_the_foot_of_the_board(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    with db.session_scope(app_engine) as session:
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="assumption",
            data={"statement": "Parents plan ahead", "importance": 5, "evidence": 2},
        )
    at = open_page(PROBLEM, canvas=canvas.token)
    assert not at.exception
    assert [e.label for e in at.expander if e.label == "Riskiest assumptions"]
    assert not chart_titles(at), "folded, the chart is not sent"
    at.session_state[f"{chart_view.FOLD_KEY}.assumption_map"] = True  # the person unfolds it
    at.run()
    assert not at.exception
    assert chart_titles(at) == ["Riskiest assumptions"]


def test_what_a_step_still_needs_shows_hostile_names_as_typed(app_engine: Engine) -> None:
    """The step's completeness card is HTML: the items it names show as typed."""
    hostile = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no] <b>b</b>"
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Needs"}).token
        items.create_item(
            session=session, canvas_token=token, kind="persona", data={"name": hostile}
        )
        step = progress.step_progress(session=session, canvas_token=token)[0]
    assert any(hostile in line for line in step.missing)  # a check names the persona
    at = open_page(steps.STEPS[1].page, canvas=token)
    assert not at.exception
    [card] = [t for t in texts(at, "html") if "sc-missing" in t]
    assert "<script>" not in card and "<b>b</b>" not in card
    assert html_text(at, "sc-missing") == ["".join(step.missing)]
    said = f"{shares.percent(step.score)}% complete — what a good canvas still needs here:"
    assert [t for t in html_text(at) if said in t]
