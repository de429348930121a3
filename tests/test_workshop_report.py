"""The summary in the report: an ended workshop's decisions and actions, themes, vote
results, blind-score spread and the notes never promoted go into the PDF, the Markdown
and the JSON export, come back in through the JSON import, and the Export page lets the
user choose which workshop's summary the report holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from strategy_canvas import db, models
from strategy_canvas.export import json_io, markdown, pdf, report_data
from strategy_canvas.services import canvases
from strategy_canvas.services import workshops as ws
from strategy_canvas.services.errors import NotFound, ValidationFailed
from tests.pagekit import open_page, texts
from tests.reportkit import HOSTILE, ended_workshop, pdf_text, squash

#: the checks read the PDF with poppler-utils (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("poppler")


@pytest.fixture
def canvas(engine: Engine) -> models.Canvas:
    with db.session_scope(engine) as session:
        return canvases.create_canvas(session=session, canvas_in={"name": "Dinner planner"})


def test_the_summary_tables_speak_the_product_s_words(
    session: Session, canvas: models.Canvas
) -> None:
    key = ended_workshop(session, canvas.token)
    data = report_data.gather(session=session, canvas_token=canvas.token, workshop=key)
    section = data["workshop"]
    assert section["title"] == "Spring strategy day" and section["counts"]["votes"] == 3
    tables = {t["key"]: t for t in section["tables"]}
    assert list(tables) == ["decisions", "actions", "themes", "votes", "scores", "notes"]
    for table in tables.values():
        assert all("_" not in c and c[:1].isupper() for c in table["columns"])
    assert tables["decisions"]["rows"] == [
        ["1", "Problem", "冷蔵庫 first", "2", "冷蔵庫 first", ""]
    ]
    assert tables["actions"]["rows"][0][:3] == ["4", "Risk", "Scanner may slip"]
    assert tables["votes"]["rows"] == [
        ["1", "Note", "冷蔵庫 first", "2"],
        ["1", "Note", HOSTILE, "1"],
    ]
    scores = dict(zip(tables["scores"]["columns"], tables["scores"]["rows"][0], strict=True))
    assert scores["Value (mean)"] == "6" and scores["Value spread (±)"] == "3"
    assert scores["Value range"] == "6" and scores["Discuss"] == "yes"
    assert tables["notes"]["rows"] == [["1", HOSTILE, "Timing", "Ann", "1"]]
    # Without a choice, the report has no workshop section; an unknown key is refused.
    assert "workshop" not in report_data.gather(session=session, canvas_token=canvas.token)
    for wrong in ("workshop-999", "record-1", "nonsense", "workshop-x"):
        with pytest.raises(NotFound):
            report_data.gather(session=session, canvas_token=canvas.token, workshop=wrong)


def test_markdown_and_pdf_hold_the_summary_with_user_text_as_text(
    session: Session, canvas: models.Canvas, tmp_path: Path
) -> None:
    key = ended_workshop(session, canvas.token)
    text = markdown.render_markdown(session=session, canvas_token=canvas.token, workshop=key)
    section = text[text.index("## Workshop: Spring strategy day") : text.index("## Decision log")]
    for title in ("### Decisions", "### Actions", "### Themes", "### Vote results"):
        assert title in section
    assert "### Blind scores" in section and "### Notes never promoted" in section
    assert "| Value (mean) | Value spread (±) |" in section
    assert "<b>" not in section and "&lt;b&gt;" in section and r"\*bold\*" in section
    assert r"\| pipe" in section  # a pipe in a cell does not break the table
    document = pdf.render_pdf(session=session, canvas_token=canvas.token, workshop=key)
    body = squash(pdf_text(document, tmp_path))
    for expected in ("Workshop:Springstrategyday", "Blindscores", "Notesneverpromoted", "Votes"):
        assert expected in body
    assert squash(HOSTILE) in body  # shown literally, never read as markup
    assert "Workshop:" not in pdf_text(
        pdf.render_pdf(session=session, canvas_token=canvas.token), tmp_path
    )


def test_the_json_export_carries_the_summaries_and_the_import_keeps_them(
    session: Session, canvas: models.Canvas
) -> None:
    key = ended_workshop(session, canvas.token)
    document = json.loads(
        json_io.dumps(json_io.export_canvas(session=session, canvas_token=canvas.token))
    )
    [summary] = document["workshops"]
    assert summary["workshop"]["title"] == "Spring strategy day"
    assert summary["counts"]["promoted"] == 2 and len(summary["appendix"]["scores"]) == 1
    imported = json_io.import_canvas(session=session, document=document).token
    [choice] = ws.summary_choices(session=session, canvas_token=imported)
    assert choice["key"].startswith("record-") and choice["title"] == "Spring strategy day"
    before = markdown.render_markdown(session=session, canvas_token=canvas.token, workshop=key)
    after = markdown.render_markdown(session=session, canvas_token=imported, workshop=choice["key"])

    def section(text: str) -> str:
        return text[text.index("## Workshop") : text.index("## Decision log")]

    assert section(after) == section(before)
    # ... and it travels on: exported again from the imported canvas, the same summary.
    again = json_io.export_canvas(session=session, canvas_token=imported)
    assert again["workshops"] == [summary]
    # A record belongs to its canvas only.
    with pytest.raises(NotFound):
        ws.summary_by_key(session=session, canvas_token=canvas.token, key=choice["key"])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(workshops={"not": "a list"}), "workshops"),
        (lambda d: d["workshops"][0]["workshop"].update(title="x" * 121), "workshop.title"),
        (lambda d: d["workshops"][0]["workshop"].update(ended_at="yesterday"), "ended_at"),
        (lambda d: d["workshops"][0].update(decisions="none"), "workshops[0].decisions"),
        (lambda d: d["workshops"][0]["appendix"].pop("votes"), "appendix.votes"),
        (lambda d: d["workshops"][0]["counts"].update(x={"a": {"b": {"c": {"d": {}}}}}), "only"),
        (lambda d: d["workshops"].__setitem__(0, ["a list"]), "workshops[0]"),
    ],
)
def test_a_bad_summary_is_refused_with_its_place_and_nothing_is_written(
    session: Session, canvas: models.Canvas, change: Any, where: str
) -> None:
    ended_workshop(session, canvas.token)
    document = json.loads(
        json_io.dumps(json_io.export_canvas(session=session, canvas_token=canvas.token))
    )
    change(document)
    count = len(canvases.list_canvases(session=session, include_archived=True))
    with pytest.raises(ValidationFailed) as refused:
        json_io.import_canvas(session=session, document=document)
    said = " ".join(f"{e.field}: {e.message}" for e in refused.value.errors)
    assert where in said
    assert len(canvases.list_canvases(session=session, include_archived=True)) == count


def test_the_export_page_offers_the_latest_workshop_s_summary(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Dinner"}).token
        key = ended_workshop(session, token)
    at = open_page("pages/8_Export.py", canvas=token)
    assert not at.exception
    at.radio(key="export.format").set_value("md").run()
    choice = at.selectbox(key="export.workshop")
    assert choice.value == key  # the latest ended workshop, by default
    assert choice.options[-1] == "No workshop summary"
    assert choice.options[0].startswith("Spring strategy day · ended ")
    at.button(key="export.prepare").click().run(timeout=120)
    assert not at.exception
    assert "## Workshop: Spring strategy day" in at.code[0].value
    none = at.selectbox(key="export.workshop")
    none.select_index(len(none.options) - 1).run()
    at.button(key="export.prepare").click().run(timeout=120)
    assert "## Workshop" not in at.code[0].value
    at.radio(key="export.format").set_value("csv_features").run()
    assert not [s for s in at.selectbox if s.key == "export.workshop"]
    assert not any("No workshop" in t for t in texts(at, "caption"))
