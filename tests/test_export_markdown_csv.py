"""Markdown and CSV: the demo as Markdown with literal user text, features and roadmap
as CSV that pandas reads back, and backlog imports from Jira, Linear and Productboard
exports: mapping, all-or-nothing validation, re-import by external key."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from strategy_canvas import demo
from strategy_canvas.export import csv_io, markdown
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.services.errors import ValidationFailed

DATA = Path(__file__).parent / "data"


def _canvas(session: Session, name: str = "Backlog") -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": name}).token


def _features(session: Session, token: str) -> list[items.m.Feature]:
    return items.list_items(session=session, canvas_token=token, kind="feature")


def _import(session: Session, token: str, name: str) -> tuple[csv_io.ImportPlan, dict[str, int]]:
    frame = csv_io.read_backlog((DATA / name).read_bytes())
    plan = csv_io.plan_import(
        session=session,
        canvas_token=token,
        frame=frame,
        mapping=csv_io.suggest_mapping(frame.columns),
    )
    return plan, csv_io.apply_import(session=session, canvas_token=token, plan=plan)


def _table_rows(text: str) -> list[list[str]]:
    """The cells of every GFM table row, split on pipes that are not escaped."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| "):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


# ------------------------------------------------------------------------ markdown


def test_demo_markdown_has_a_heading_per_step_and_tables(session: Session) -> None:
    token = demo.create_demo_canvas(session=session).token
    text = markdown.render_markdown(session=session, canvas_token=token)
    canvas = canvases.get_canvas(session=session, canvas_token=token)
    assert text.startswith(f"# {canvas.name}\n")
    for n, title in progress.STEP_TITLES.items():
        assert f"\n## {n}. {title}\n" in text
    for heading in (
        "## Executive summary",
        "## Decision log",
        "## Open flaws and risks",
        "### Features ranked by RICE",
        "### Roadmap",
        "### Feedback",
    ):
        assert f"\n{heading}\n" in text
    assert "| # | Feature |" in text and "|---|" in text
    for row in items.list_items(session=session, canvas_token=token, kind="feature"):
        assert markdown.escape(row.title, cell=True) in text
    # Every table keeps its shape: each row has as many cells as its header.
    blocks = re.split(r"\n\n", text)
    for block in blocks:
        rows = _table_rows(block)
        if rows:
            assert {len(r) for r in rows} == {len(rows[0])}, block[:200]

    only = markdown.render_markdown(session=session, canvas_token=token, steps=(2,))
    assert "## 2. Vision" in only and "## 3. Designs" not in only


def test_markdown_keeps_hostile_text_literal(session: Session) -> None:
    token = _canvas(session, "Name with <b>tags</b> & *stars*")
    hostile = (
        "<script>alert(1)</script> **bold** [link](http://x) `code` | pipe | # hash\n"
        "1. not a list\n- nor this\n    not code\n:rocket: ~~strike~~ $x$ &amp; <img src=x>"
    )
    persona = items.create_item(
        session=session,
        canvas_token=token,
        kind="persona",
        data={"name": "P | one", "pains": hostile},
    ).id
    items.create_item(
        session=session,
        canvas_token=token,
        kind="problem",
        data={"title": "# Not a heading", "statement": hostile},
    )
    items.create_item(
        session=session,
        canvas_token=token,
        kind="feature",
        data={
            "title": "Feature | with pipe",
            "description": hostile,
            "persona_id": persona,
            "reach": 10,
            "impact": 1,
            "confidence": 50,
            "effort": 1,
        },
    )
    text = markdown.render_markdown(session=session, canvas_token=token)

    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\\*\\*bold\\*\\*" in text and "\\[link\\](http://x)" in text
    assert "\\`code\\`" in text and "\\~\\~strike\\~\\~" in text and "\\$x\\$" in text
    assert "&amp;amp;" in text  # an entity the user typed stays as typed
    assert "#### \\# Not a heading" in text
    assert "\n1\\. not a list" in text and "\n\\- nor this" in text
    assert "\n    not code" not in text
    # Pipes are escaped, so the tables keep their columns; newlines in a cell are <br>.
    for block in re.split(r"\n\n", text):
        rows = _table_rows(block)
        if rows:
            assert {len(r) for r in rows} == {len(rows[0])}, block[:300]
    assert "Feature \\| with pipe<br>" in text
    assert "<br>1. not a list" in text  # inside a cell nothing starts a line


# ----------------------------------------------------------------------- CSV export


def test_features_csv_has_every_score_and_round_trips(session: Session) -> None:
    token = demo.create_demo_canvas(session=session).token
    text = csv_io.features_csv(session=session, canvas_token=token)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == csv_io.FEATURE_COLUMNS
    for column in (
        "reach",
        "impact",
        "confidence",
        "effort",
        "ease",
        "value",
        "moscow",
        "kano",
        "rice",
        "ice",
        "value_effort",
        "weighted",
        "rice_rank",
    ):
        assert column in frame.columns
    features = {f.id: f for f in _features(session, token)}
    assert set(frame["id"]) == set(features)
    for row in frame.itertuples():
        feature = features[row.id]
        assert row.title == feature.title
        expected = feature.reach * feature.impact * feature.confidence / 100 / feature.effort
        assert row.rice == pytest.approx(expected, rel=1e-3)
        assert row.persona and row.goal  # the demo ties every feature to both
    assert frame["rice_rank"].min() == 1

    roadmap = pd.read_csv(io.StringIO(csv_io.roadmap_csv(session=session, canvas_token=token)))
    assert list(roadmap.columns) == csv_io.ROADMAP_COLUMNS
    assert len(roadmap) == len(
        items.list_items(session=session, canvas_token=token, kind="roadmap_item")
    )
    assert roadmap["depends_on"].notna().sum() >= 1


def test_csv_cells_that_look_like_formulas_are_guarded(session: Session) -> None:
    token = _canvas(session)
    items.create_item(
        session=session,
        canvas_token=token,
        kind="feature",
        data={"title": '=HYPERLINK("http://x")', "external_key": "-5"},
    )
    text = csv_io.features_csv(session=session, canvas_token=token)
    assert "'=HYPERLINK" in text and ",'-5," in text
    # ...and our own reader takes the guard off again.
    frame = csv_io.read_backlog(text.encode())
    assert frame.loc[0, "title"] == '=HYPERLINK("http://x")'
    assert frame.loc[0, "external_key"] == "-5"


# ----------------------------------------------------------------------- CSV import


def test_jira_export_is_mapped_and_imported(session: Session) -> None:
    token = _canvas(session)
    plan, counts = _import(session, token, "jira_export.csv")
    assert counts == {"created": 4, "updated": 0, "unchanged": 0}
    assert not plan.errors
    by_key = {f.external_key: f for f in _features(session, token)}
    assert set(by_key) == {"TW-101", "TW-102", "TW-103", "TW-104"}
    recipe = by_key["TW-101"]
    assert recipe.title == "Recipe import from URL"
    assert recipe.description.startswith("As a parent") and "\n" in recipe.description
    assert recipe.effort == pytest.approx(5 / csv_io.POINTS_PER_PERSON_MONTH)
    assert (recipe.status, recipe.moscow, recipe.kind) == ("idea", "should", "story")
    assert (by_key["TW-102"].status, by_key["TW-102"].moscow) == ("building", "must")
    assert (by_key["TW-103"].kind, by_key["TW-103"].status) == ("epic", "shipped")
    assert (by_key["TW-104"].status, by_key["TW-104"].effort) == ("dropped", None)
    assert '"use by"' in by_key["TW-102"].description


def test_linear_and_productboard_exports_are_mapped(session: Session) -> None:
    token = _canvas(session)
    _, counts = _import(session, token, "linear_export.csv")
    assert counts["created"] == 3
    _, counts = _import(session, token, "productboard_export.csv")  # ";"-separated
    assert counts["created"] == 2
    by_key = {f.external_key: f for f in _features(session, token)}
    offline = by_key["ENG-41"]
    assert offline.title == "Offline grocery list" and offline.moscow == "must"
    assert offline.external_url.startswith("https://linear.app/")
    assert by_key["ENG-42"].title == "Barcode scan for pantry | quick add"
    assert by_key["ENG-43"].moscow is None and by_key["ENG-43"].effort is None
    taste = by_key["8f1c2d3e-0001"]
    assert taste.title == "Family taste profiles" and taste.kind == "feature"
    assert taste.external_url.endswith("8f1c2d3e-0001")
    assert "€" in by_key["8f1c2d3e-0002"].description


def test_bad_rows_are_listed_and_nothing_is_imported(session: Session) -> None:
    token = _canvas(session)
    frame = csv_io.read_backlog((DATA / "jira_bad_rows.csv").read_bytes())
    plan = csv_io.plan_import(
        session=session,
        canvas_token=token,
        frame=frame,
        mapping=csv_io.suggest_mapping(frame.columns),
    )
    problems = {(e.row, e.field): e.message for e in plan.errors}
    assert (3, "Title") in problems and "required" in problems[(3, "Title")]
    assert (4, "Effort") in problems and "number" in problems[(4, "Effort")]
    assert (5, "Title") in problems and "200" in problems[(5, "Title")]
    assert (6, "External key") in problems and "row 2" in problems[(6, "External key")]
    assert (6, "MoSCoW") in problems and "Whenever" in problems[(6, "MoSCoW")]
    assert not plan.ok and "problems" in plan.summary()
    revision = canvases.get_revision(session=session, canvas_token=token)
    with pytest.raises(ValidationFailed) as failed:
        csv_io.apply_import(session=session, canvas_token=token, plan=plan)
    assert "Row 3" in str(failed.value)
    assert _features(session, token) == []
    assert canvases.get_revision(session=session, canvas_token=token) == revision


def test_a_failing_write_rolls_back_the_whole_import(session: Session) -> None:
    token = _canvas(session)
    frame = csv_io.read_backlog((DATA / "jira_export.csv").read_bytes())
    plan = csv_io.plan_import(
        session=session,
        canvas_token=token,
        frame=frame,
        mapping=csv_io.suggest_mapping(frame.columns),
    )
    # A row that only fails when written (it slipped past planning) stops everything.
    plan.creates.append(csv_io.PlannedRow(99, {"title": "x", "persona_id": 987_654}))
    with pytest.raises(ValidationFailed):
        csv_io.apply_import(session=session, canvas_token=token, plan=plan)
    assert _features(session, token) == []


def test_reimporting_an_updated_export_updates_by_external_key(session: Session) -> None:
    token = _canvas(session)
    _import(session, token, "jira_export.csv")
    first = {f.external_key: f for f in _features(session, token)}
    # The team scores a feature in the canvas; a re-import must not wipe that.
    items.update_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=first["TW-103"].id,
        changes={"reach": 900, "value": 8},
        expected_version=first["TW-103"].version,
    )

    plan, counts = _import(session, token, "jira_export_updated.csv")
    assert counts == {"created": 1, "updated": 2, "unchanged": 2}, plan.summary()
    after = {f.external_key: f for f in _features(session, token)}
    assert len(after) == 5 and len(_features(session, token)) == 5  # no duplicates
    assert after["TW-101"].id == first["TW-101"].id
    assert after["TW-101"].status == "building"
    assert after["TW-101"].effort == pytest.approx(8 / csv_io.POINTS_PER_PERSON_MONTH)
    assert after["TW-102"].title == "Pantry expiry dates and reminders"
    assert (after["TW-103"].reach, after["TW-103"].value) == (900, 8)
    assert after["TW-105"].title == "Meal history export"

    _, again = _import(session, token, "jira_export_updated.csv")
    assert again == {"created": 0, "updated": 0, "unchanged": 5}


def test_files_that_cannot_be_imported_get_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        csv_io.read_backlog(b"  \n")
    with pytest.raises(ValidationFailed, match="at most 5 MB"):
        csv_io.read_backlog(b"a" * (csv_io.MAX_BYTES + 1))
    rows = "Summary\n" + "x\n" * (csv_io.MAX_ROWS + 1)
    with pytest.raises(ValidationFailed, match="5,001 rows; at most 5,000"):
        csv_io.read_backlog(rows.encode())
    with pytest.raises(ValidationFailed, match="no rows"):
        csv_io.read_backlog(b"Summary,Issue key\n")
    cp1252 = "Summary;Description\nCaf\xe9 menu;\u20ac price\n".encode("cp1252")
    assert csv_io.read_backlog(cp1252).loc[0, "Summary"] == "Café menu"
    with pytest.raises(ValidationFailed, match="FIELD=COLUMN"):
        csv_io.parse_mapping(["title"])
    with pytest.raises(ValidationFailed, match="not a field"):
        csv_io.parse_mapping(["owner=Assignee"])
    assert csv_io.parse_mapping(["title=Summary", "effort = Story Points"]) == {
        "title": "Summary",
        "effort": "Story Points",
    }
