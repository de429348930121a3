"""Step 5 driven through its widgets: add, edit and delete feedback, flaws, KPI readings and
decisions; invalid input; one decision per feature; feedback sent back to step 1; the
board's sections and empty states."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import chart_view, feedback
from tests.pagekit import (
    badges,
    chart_titles,
    choose_kind,
    field,
    fill,
    html_text,
    open_page,
    sections,
    texts,
)

PAGE = "pages/5_Feedback.py"
PROBLEM = "pages/1_Problem_and_audience.py"


def _add(engine: Engine, token: str, kind: str, /, **data: Any) -> Any:
    with db.session_scope(engine) as session:
        return items.create_item(session=session, canvas_token=token, kind=kind, data=data)


def _rows(engine: Engine, token: str, kind: str) -> list[Any]:
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    """Two shipped features, a KPI with a baseline and target, a persona, a feedback."""
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Loop"})
    token = canvas.token
    _add(app_engine, token, "feature", title="One-tap plan", status="shipped")
    _add(app_engine, token, "feature", title="Swap tonight", status="shipped")
    _add(
        app_engine, token, "key_result", metric="Planning time", unit="min", baseline=47, target=10
    )
    _add(app_engine, token, "persona", name="Busy parent")
    _add(
        app_engine,
        token,
        "feedback",
        text="Our nanny can't see the plan. She calls me every day.",
        author="Beta family #6",
        source="interview",
    )
    return canvas


def _ids(engine: Engine, token: str) -> dict[str, int]:
    features = {f.title: f.id for f in _rows(engine, token, "feature")}
    return {
        "plan": features["One-tap plan"],
        "swap": features["Swap tonight"],
        "kpi": _rows(engine, token, "key_result")[0].id,
        "persona": _rows(engine, token, "persona")[0].id,
        "feedback": _rows(engine, token, "feedback")[0].id,
    }


def _show(at: AppTest, kind: str) -> AppTest:
    """Show the board's section of ``kind``, as a click on its button does."""
    at.session_state[feedback.BOARD_VIEW_KEY] = kind
    return at.run()


def _resolve(values: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """Values naming a fixture item ("@plan") replaced by its id."""
    return {
        k: ids[v[1:]] if isinstance(v, str) and v.startswith("@") else v for k, v in values.items()
    }


CASES = [
    (
        "feedback",
        {
            "text": "Swap took forever at 5:40 pm.",
            "sentiment": "negative",
            "source": "usability_test",
            "received_on": date(2026, 8, 3),
            "feature_id": "@swap",
            "key_result_id": "@kpi",
            "persona_id": "@persona",
        },
        {"sentiment": "neutral", "author": "Test P3"},
    ),
    (
        "flaw",
        {"title": "Swap ignores the clock", "severity": "high", "feature_id": "@swap"},
        {"fix": "Filter by minutes left", "fix_owner": "Jordan", "fix_status": "in_progress"},
    ),
    (
        "kpi_reading",
        {"key_result_id": "@kpi", "measured_on": date(2026, 8, 31), "value": 21.0},
        {"value": 24.0, "note": "After swap GA"},
    ),
    (
        "decision",
        {"feature_id": "@plan", "decision": "victory", "rationale": "Planning time halved"},
        {"decision": "iterate"},
    ),
]


@pytest.mark.parametrize(("kind", "create", "edit"), CASES, ids=[c[0] for c in CASES])
def test_add_edit_delete_through_the_widgets(
    app_engine: Engine,
    canvas: models.Canvas,
    kind: str,
    create: dict[str, Any],
    edit: dict[str, Any],
) -> None:
    ids = _ids(app_engine, canvas.token)
    create = _resolve(create, ids)
    before = len(_rows(app_engine, canvas.token, kind))
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, kind)
    fill(at, kind, "new", create)
    at.button(key=f"ed.{kind}.new.save").click().run()
    assert not at.exception
    rows = _rows(app_engine, canvas.token, kind)
    assert len(rows) == before + 1
    row = rows[-1]
    for name, value in create.items():
        assert getattr(row, name) == value, name
    assert any("Added" in s for s in texts(at, "success"))

    at.selectbox(key=f"ed.{kind}.open").set_value(str(row.id)).run()
    fill(at, kind, str(row.id), edit)
    at.button(key=f"ed.{kind}.{row.id}.save").click().run()
    assert not at.exception
    stored = next(r for r in _rows(app_engine, canvas.token, kind) if r.id == row.id)
    assert stored.version == 2
    for name, value in edit.items():
        assert getattr(stored, name) == value, name
    assert any("Saved" in s for s in texts(at, "success"))

    at.button(key=f"ed.{kind}.{row.id}.delete").click().run()
    assert not at.exception
    assert len(_rows(app_engine, canvas.token, kind)) == before
    assert any("Deleted" in s for s in texts(at, "success"))


def test_empty_feedback_names_the_field_and_writes_nothing(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "feedback")
    fill(at, "feedback", "new", {"text": "   ", "author": "Someone"})
    at.button(key="ed.feedback.new.save").click().run()
    assert not at.exception
    [error] = texts(at, "error")
    assert "**Feedback**" in error and "is required" in error
    assert len(_rows(app_engine, canvas.token, "feedback")) == 1  # only the fixture's
    assert at.text_input(key="ed.feedback.new.author").value == "Someone"  # kept to correct


def test_a_second_decision_for_a_feature_is_refused_kindly(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    ids = _ids(app_engine, canvas.token)
    decision = _add(
        app_engine, canvas.token, "decision", feature_id=ids["plan"], decision="victory"
    )
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "decision")
    # A new decision starts on the shipped feature still waiting for one.
    assert field(at, "decision", "new", "feature_id").value == ids["swap"]
    fill(at, "decision", "new", {"feature_id": ids["plan"], "decision": "rollback"})
    assert any("already has a decision (declare victory)" in i for i in texts(at, "info"))
    at.button(key="ed.decision.new.save").click().run()
    [error] = texts(at, "error")
    assert "**Feature**" in error and "already has a decision" in error
    assert [d.decision for d in _rows(app_engine, canvas.token, "decision")] == ["victory"]

    at.button(key="step5.open_decision").click().run()  # go to the one that exists
    assert at.selectbox(key="ed.decision.open").value == str(decision.id)
    assert field(at, "decision", decision.id, "decision").value == "victory"


def test_send_feedback_back_to_step_one_as_a_problem(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    ids = _ids(app_engine, canvas.token)
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "feedback")
    at.selectbox(key="ed.feedback.open").set_value(str(ids["feedback"])).run()
    at.button(key="step5.send.problem").click().run()
    assert not at.exception
    [problem] = _rows(app_engine, canvas.token, "problem")
    assert problem.title == "Our nanny can't see the plan"
    assert f"feedback #{ids['feedback']}" in problem.statement
    assert "Sent to step 1 as problem “Our nanny can't see the plan”." in [
        s.replace("\\", "") for s in texts(at, "success")
    ]
    link = next(p for p in at.get("page_link") if p.proto.label == "Open it in Problem & audience")
    assert f"canvas={canvas.token}" in link.proto.query_string
    assert _rows(app_engine, canvas.token, "feedback")[0].version == 1  # left as it was

    at.run()  # the panel remembers what the feedback became
    assert any("Already sent as problem" in c for c in texts(at, "caption"))

    at.switch_page(PROBLEM).run()  # step 1 opens on the new problem
    assert not at.exception
    assert at.selectbox(key="ed.problem.open").value == str(problem.id)
    assert at.text_input(key=f"ed.problem.{problem.id}.title").value == problem.title


def test_send_after_someone_else_changed_the_feedback_sends_nothing(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    ids = _ids(app_engine, canvas.token)
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "feedback")
    at.selectbox(key="ed.feedback.open").set_value(str(ids["feedback"])).run()
    with db.session_scope(app_engine) as session:  # someone else, meanwhile
        items.update_item(
            session=session,
            canvas_token=canvas.token,
            kind="feedback",
            item_id=ids["feedback"],
            changes={"text": "The nanny needs her own login."},
            expected_version=1,
        )
    at.button(key="step5.send.assumption").click().run()
    assert not at.exception
    assert any("nothing was sent" in i for i in texts(at, "info"))
    assert _rows(app_engine, canvas.token, "assumption") == []
    text_key = f"ed.feedback.{ids['feedback']}.text"
    assert at.text_area(key=text_key).value == "The nanny needs her own login."  # theirs
    at.button(key="step5.send.assumption").click().run()
    [assumption] = _rows(app_engine, canvas.token, "assumption")
    assert assumption.statement.startswith("The nanny needs her own login.")


def test_a_draft_with_dates_survives_a_reload(app_engine: Engine, canvas: models.Canvas) -> None:
    """Drafts hold the item's dates (and the values the edit started from) as JSON."""
    ids = _ids(app_engine, canvas.token)
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "decision")
    fill(at, "decision", "new", {"decided_on": date(2026, 8, 20), "rationale": "Half"})
    assert not at.exception
    me = at.query_params["me"]
    reloaded = AppTest.from_file(str(at._script_path), default_timeout=30)
    reloaded.switch_page(PAGE)
    reloaded.query_params.update(
        {"canvas": canvas.token, "me": me[0] if isinstance(me, list) else me}
    )
    reloaded.run()
    choose_kind(reloaded, 5, "decision")
    assert not reloaded.exception
    assert field(reloaded, "decision", "new", "decided_on").value == date(2026, 8, 20)
    assert reloaded.text_area(key="ed.decision.new.rationale").value == "Half"
    assert field(reloaded, "decision", "new", "feature_id").value == ids["plan"]


def test_send_waits_for_unsaved_changes(app_engine: Engine, canvas: models.Canvas) -> None:
    ids = _ids(app_engine, canvas.token)
    at = choose_kind(open_page(PAGE, canvas=canvas.token), 5, "feedback")
    at.selectbox(key="ed.feedback.open").set_value(str(ids["feedback"])).run()
    fill(at, "feedback", str(ids["feedback"]), {"author": "Changed"})
    assert at.button(key="step5.send.persona").disabled
    assert any("Save or discard your changes first" in c for c in texts(at, "caption"))


def test_the_board_shows_every_section(app_engine: Engine, canvas: models.Canvas) -> None:
    ids = _ids(app_engine, canvas.token)
    _add(app_engine, canvas.token, "decision", feature_id=ids["plan"], decision="victory")
    _add(
        app_engine, canvas.token, "flaw", title="Fixed one", severity="critical", fix_status="fixed"
    )
    _add(app_engine, canvas.token, "flaw", title="Open one", severity="low")
    for on, value in [(date(2026, 7, 31), 30), (date(2026, 8, 31), 28.5)]:
        _add(
            app_engine,
            canvas.token,
            "kpi_reading",
            key_result_id=ids["kpi"],
            measured_on=on,
            value=value,
        )
    at = open_page(PAGE, canvas=canvas.token)
    assert not at.exception
    # one section at a time, only it built: the feedback, which the editor edits
    assert [h.split(" · ")[0] for h in sections(at)] == ["Feedback"]
    heads, shown, tables = {}, [], {}
    for kind in feedback.KINDS:
        _show(at, kind)
        [heads[kind]] = sections(at)  # each heading is one html element
        shown += badges(at)
        tables[kind] = [d.value for d in at.dataframe]
    assert heads["feedback"] == "Feedback · 1 1 neutral 1 not tied to a feature"
    assert heads["flaw"] == "Flaws & fixes · 2 1 low open 1 fixed or closed"
    assert heads["decision"].startswith("Decisions · 1 1 declare victory")
    assert "1 shipped feature waits for a decision: “Swap tonight”." in heads["decision"]
    assert ("gray", "1 neutral") in shown and ("orange", "1 not tied to a feature") in shown
    assert ("gray", "1 low open") in shown and ("green", "1 declare victory") in shown
    assert [len(found) for found in tables.values()] == [1, 1, 1, 1]
    [flaws], [decisions] = tables["flaw"], tables["decision"]
    # every reading is folded, and sent only once unfolded
    _show(at, "kpi_reading")
    assert [e.label for e in at.expander if e.label.startswith("Every reading")] == [
        "Every reading (2)"
    ]
    at.session_state[feedback.EVERY_READING_KEY] = True
    at.run()
    kpis, readings = (d.value for d in at.dataframe)
    assert list(flaws["Flaw"]) == ["Open one", "Fixed one"]  # open ones first
    [kpi] = kpis.to_dict("records")
    assert (kpi["KPI"], kpi["Latest"], kpi["Target"]) == ("Planning time", "28.5 min ↓", "10 min")
    assert kpi["Progress"] == pytest.approx(100 * (47 - 28.5) / 37)
    assert list(readings["Value"]) == ["28.5 min", "30 min"]  # latest first
    assert list(decisions["Decision"]) == ["⚠️ needs a decision", "🏆 Declare victory"]


def test_the_board_opens_on_what_the_editor_edits(canvas: models.Canvas) -> None:
    """Saving a KPI reading shows it: the board follows the editor's kind; a section
    picked by hand stays shown while the editor stays on its kind."""
    at = open_page(PAGE, canvas=canvas.token)
    assert [h.split(" · ")[0] for h in sections(at)] == ["Feedback"]
    choose_kind(at, 5, "kpi_reading")
    assert [h.split(" · ")[0] for h in sections(at)] == ["KPI readings"]
    at.segmented_control(key=feedback.BOARD_VIEW_KEY).set_value("decision").run()
    assert [h.split(" · ")[0] for h in sections(at)] == ["Decisions"]
    at.run()  # any other run of the page keeps it
    assert [h.split(" · ")[0] for h in sections(at)] == ["Decisions"]
    choose_kind(at, 5, "flaw")
    assert [h.split(" · ")[0] for h in sections(at)] == ["Flaws & fixes"]


HOSTILE = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no] <b>b</b>"


def test_the_board_names_what_waits_for_a_decision_as_typed(app_engine: Engine) -> None:
    """The headings are HTML now: a feature's title in them is shown as typed, never as
    markup (HTML or Markdown)."""
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Hostile"}).token
    _add(app_engine, token, "feature", title=HOSTILE, status="shipped")
    at = _show(open_page(PAGE, canvas=token), "decision")
    assert not at.exception
    [line] = [h for h in sections(at) if h.startswith("Decisions · 0")]
    assert f"1 shipped feature waits for a decision: “{HOSTILE}”." in line
    [body] = [b for b in texts(at, "html") if "waits for a decision" in b]
    assert "<script>" not in body and "<b>b</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** # $x$ [x](y) &amp; :red[no]" in body


def test_an_empty_canvas_says_what_to_do(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    assert any(h.startswith("Feedback · 0No feedback yet") for h in sections(at))
    notes = ""
    for kind in feedback.KINDS:  # each section's note, under its heading
        notes += " ".join(html_text(_show(at, kind), "sc-small"))
        assert not at.dataframe
    assert "No feedback yet — add what users said" in notes
    assert "No flaws recorded" in notes
    assert "No KPIs yet — KPIs are the key results of step 2" in notes
    assert "No feature is building or shipped yet" in notes
    assert not at.dataframe
    assert not chart_titles(at)
    choose_kind(at, 5, "kpi_reading")
    assert any("There is no KPI to read yet" in i for i in texts(at, "info"))
    choose_kind(at, 5, "decision")
    assert any("There is no feature to decide on yet" in i for i in texts(at, "info"))


def test_the_demo_canvas(seeded: models.Canvas) -> None:
    at = open_page(PAGE, canvas=seeded.token)
    assert not at.exception
    assert not at.warning
    assert len(at.dataframe) == 1  # the section shown: its table only (the feedback)
    assert at.dataframe[0].value["Feedback"].iloc[0].startswith("Receipt scan v2")  # newest
    # each section's chart is below its table, folded, and not sent until unfolded
    folded = {
        "feedback": "Feedback over time",
        "flaw": "Flaws by severity",
        "kpi_reading": "KPIs against their targets",
    }
    for kind, label in folded.items():
        _show(at, kind)
        assert [e.label for e in at.expander if e.label in folded.values()] == [label]
        assert not chart_titles(at)
    # feedback by kind and sentiment over time, flaws by severity, KPIs against target
    for kind, name in zip(folded, ("feedback", "flaws", "kpis"), strict=True):
        at.session_state[f"{chart_view.FOLD_KEY}.{name}"] = True  # the person unfolds it
        _show(at, kind)
        assert not at.exception
        assert chart_titles(at) == [folded[kind]]
