"""Markdown and CSV: the demo as Markdown with literal user text, features and roadmap
as CSV that pandas reads back (backlog imports: tests/test_backlog_import.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from strategy_canvas import demo
from strategy_canvas.export import backlog, csv_io, markdown
from strategy_canvas.services import canvases, items, progress

DATA = Path(__file__).parent / "data"


def _canvas(session: Session, name: str = "Backlog") -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": name}).token


def _features(session: Session, token: str) -> list[items.m.Feature]:
    return items.list_items(session=session, canvas_token=token, kind="feature")


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
    frame = backlog.read_backlog(text.encode()).frame()
    assert frame.loc[0, "title"] == '=HYPERLINK("http://x")'
    assert frame.loc[0, "external_key"] == "-5"
