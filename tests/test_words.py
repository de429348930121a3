"""The words a user reads: each wording bug found in the trial, and its siblings.

"Edit a alternative", "Add 3 more feature or story", 'Added kpi reading "KPI reading"',
'Delete dependency "2"?', "None None None" for an unscored feature, an axis of 0.5
feedback items, "Oct 26" meaning October 2026, value-vs-effort labels beside the wrong
dots.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pandas as pd
import pytest
import vl_convert as vlc
from sqlalchemy import Engine

from strategy_canvas import charts, db, models
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.ui import designs, steps
from strategy_canvas.ui import prioritisation as prio
from strategy_canvas.ui import prioritisation_views as views
from tests.pagekit import (
    APP,
    TIMEOUT,
    chart_pictures,
    choose_kind,
    click,
    fill,
    open_page,
    rows,
    svg_texts,
    texts,
)


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Words"})
        token = canvas.token
        for kind, data in [
            ("feature", {"title": "Unscored idea"}),
            ("roadmap_item", {"title": "Alpha"}),
            ("roadmap_item", {"title": "Beta"}),
            ("key_result", {"metric": "Stages on time", "unit": "%"}),
        ]:
            items.create_item(session=session, canvas_token=token, kind=kind, data=data)
        return canvas


def test_every_picker_reads_with_its_article() -> None:
    spec = items.ITEM_TYPES
    assert [spec[k].a_noun for k in ("alternative", "assumption", "evidence", "feedback")] == [
        "an alternative",
        "an assumption",
        "a piece of evidence",
        "a piece of feedback",
    ]
    assert (spec["kpi_reading"].a_noun, spec["key_result"].a_noun) == (
        "a KPI reading",
        "a key result",
    )


def test_the_picker_of_alternatives_says_an(app_engine: Engine, canvas: models.Canvas) -> None:
    at = choose_kind(open_page(steps.STEPS[1].page, canvas=canvas.token), 1, "alternative")
    assert at.selectbox(key="ed.alternative.open").label == "Edit an alternative"


def test_what_is_missing_is_counted_in_plural_words(session: Any) -> None:
    canvas = canvases.create_canvas(session=session, canvas_in={"name": "Empty"})
    missing = [
        line
        for step in progress.step_progress(session=session, canvas_token=canvas.token)
        for line in step.missing
    ]
    assert "Add 3 more features or stories (have 0, need 3)" in missing
    assert "Add 1 more problem (have 0, need 1)" in missing
    assert "Add 3 more assumptions (have 0, need 3)" in missing


def test_a_kpi_reading_and_a_dependency_are_named_by_what_they_are(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    token = canvas.token
    at = choose_kind(open_page(steps.STEPS[5].page, canvas=token), 5, "kpi_reading")
    fill(at, "kpi_reading", "new", {"value": 62.0, "measured_on": dt.date(2026, 3, 1)})
    click(at, "ed.kpi_reading.new.save")
    [notice] = texts(at, "success")
    plain = re.sub(r"\\(.)", r"\1", notice)
    assert plain == "Added KPI reading: “Stages on time” at 62% on 2026-03-01."

    alpha, beta = rows(app_engine, token, "roadmap_item")
    at = choose_kind(open_page(steps.STEPS[4].page, canvas=token), 4, "dependency")
    fill(at, "dependency", "new", {"item_id": alpha.id, "depends_on_id": beta.id})
    click(at, "ed.dependency.new.save")
    [dependency] = rows(app_engine, token, "dependency")
    at.selectbox(key="ed.dependency.open").set_value(str(dependency.id)).run()
    confirm = [t for t in texts(at, "markdown") if t.startswith("Delete dependency")]
    [plain] = [re.sub(r"\\(.)", r"\1", t) for t in confirm]
    assert plain.startswith("Delete dependency “Alpha” depends on “Beta”? ")


def test_an_empty_cell_reads_as_a_dash_not_none(app_engine: Engine, canvas: models.Canvas) -> None:
    at = open_page(steps.STEPS[3].page, canvas=canvas.token)
    assert at.dataframe, "the features table"
    for table in at.dataframe:
        assert table.proto.placeholder == "—"
    [features] = [d for d in at.dataframe if "RICE" in d.value.columns]
    assert features.value.iloc[0]["Title"] == "Unscored idea"


def test_the_feedback_axis_counts_whole_items() -> None:
    feedback = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "text": ["a", "b", "c"],
            "kind": ["bug", "praise", "bug"],
            "sentiment": ["negative", "positive", "neutral"],
            "received_on": [dt.date(2026, 3, 1), dt.date(2026, 3, 20), dt.date(2026, 5, 2)],
        }
    )
    svg = vlc.vegalite_to_svg(charts.feedback_chart(feedback, width=460).to_dict())
    assert sorted(set(re.findall(r">(\d+(?:\.\d+)?)</text>", svg))) == ["0", "1"]


def test_the_flaws_axis_counts_whole_flaws() -> None:
    flaws = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "severity": ["high", "high", "low", "critical"],
            "fix_status": ["open", "fixed", "open", "fixed"],
        }
    )
    svg = vlc.vegalite_to_svg(charts.flaws_chart(flaws, width=460).to_dict())
    assert sorted(set(re.findall(r">(\d+(?:\.\d+)?)</text>", svg))) == ["0", "1", "2"]


def test_a_month_on_a_date_axis_says_its_whole_year() -> None:
    kr = pd.DataFrame([{"id": 1, "metric": "Gap", "unit": "", "baseline": 10.0, "target": 1.0,
                        "target_date": dt.date(2027, 1, 31), "goal_id": None}])  # fmt: skip
    readings = pd.DataFrame(
        [
            {"id": i, "key_result_id": 1, "measured_on": day, "value": v, "note": ""}
            for i, (day, v) in enumerate(
                [(dt.date(2026, 8, 1), 9.0), (dt.date(2026, 10, 1), 7.0)], start=1
            )
        ]
    )
    spec = json.dumps(charts.kpi_chart(readings, kr, columns=1, width=460).to_dict())
    assert '"%b %y"' not in spec and '"%b %Y"' in spec
    assert re.search(r"Oct 2026", vlc.vegalite_to_svg(json.loads(spec)))


def test_the_value_effort_matrix_is_drawn_at_the_width_its_labels_were_placed_for(
    app_engine: Engine,
) -> None:
    from streamlit.testing.v1 import AppTest

    with db.session_scope(app_engine) as session:
        from strategy_canvas.demo import create_demo_canvas

        token = create_demo_canvas(session=session).token
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(steps.STEPS[3].page)
    at.query_params["canvas"] = token
    at.session_state[designs.TAB_KEY] = designs.TABS[1]
    at.session_state[prio.VIEW_KEY] = prio.VIEWS[1]
    at.run()
    [svg] = [
        svg for _, svg in chart_pictures(at) if "Value vs effort" in svg_texts(svg, "title-text")
    ]
    # drawn at that width, the picture scales as one: each label stays by its dot
    assert re.search(rf'<svg[^>]* width="{views.MATRIX_WIDTH}"', svg)
