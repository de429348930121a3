"""Refuse, never guess: every numeric field of every editor, given a value out of its
range (or a fraction where a whole number is due), is refused with a message naming the
field and the rule; nothing is written, and what the user typed stays on screen. The
scoring grid does the same for its cells.

The editors' number inputs carry no min/max (Streamlit would leave an out-of-range
value unsent and let the save go on without it, "saved as blank") and are float inputs
(an int input cuts 2.5 to 2): the services judge the raw value.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import designs, fields, prioritisation_grid, steps
from tests.pagekit import APP, TIMEOUT, choose_kind, click, fill, open_page, rows, texts

#: kind -> (valid required fields, {numeric field: an out-of-range value, its rule})
CASES: dict[str, tuple[dict[str, Any], dict[str, tuple[float, str]]]] = {
    "persona": ({"name": "Ward manager"}, {"size": (2e10, "must be at most 10,000,000,000")}),
    "assumption": (
        {"statement": "Managers plan ahead"},
        {"importance": (6, "must be at most 5"), "evidence": (2.5, "must be a whole number")},
    ),
    "key_result": (
        {"metric": "Gap time"},
        {
            "baseline": (2e12, "must be at most 1,000,000,000,000"),
            "target": (-2e12, "must be at least -1,000,000,000,000"),
        },
    ),
    "feature": (
        {"title": "Swap market"},
        {
            "reach": (1e12, "must be at most 1,000,000,000"),
            "impact": (7, "must be at most 3"),
            "confidence": (150, "must be at most 100"),
            "effort": (-3, "must be greater than 0"),
            "ease": (11, "must be at most 10"),
            "value": (0.5, "must be a whole number"),
            "reach_low": (-1, "must be at least 0"),
            "reach_high": (2e9, "must be at most 1,000,000,000"),
            "effort_low": (0, "must be greater than 0"),
            "effort_high": (5000, "must be at most 1,000"),
        },
    ),
    "criterion": ({"name": "Strategic fit"}, {"weight": (101, "must be at most 100")}),
    "risk": (
        {"title": "Nurses ignore the app"},
        {"likelihood": (0, "must be at least 1"), "impact": (6, "must be at most 5")},
    ),
}


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Refusals"})
        token = canvas.token
        for kind, data in [
            ("feature", {"title": "Existing"}),
            ("criterion", {"name": "Fit"}),
            ("key_result", {"metric": "Gap"}),
        ]:
            items.create_item(session=session, canvas_token=token, kind=kind, data=data)
        return canvas


def _counts(engine: Engine, token: str) -> dict[str, int]:
    return {kind: len(rows(engine, token, kind)) for kind in items.ITEM_TYPES}


def _refused(at: Any, kind: str, sid: str, out_of_range: dict[str, tuple[float, str]]) -> None:
    """Save refused: each field and its rule named, the typed values still there."""
    errors = "\n".join(texts(at, "error"))
    assert "Nothing was saved" in errors, errors
    spec = items.ITEM_TYPES[kind]
    for name, (value, rule) in out_of_range.items():
        label = fields.shape_of(spec, name).label
        assert f"**{label}** {rule}" in errors, (name, errors)
        assert at.session_state[f"ed.{kind}.{sid}.{name}"] == value


@pytest.mark.parametrize("kind", list(CASES))
def test_out_of_range_numbers_are_refused_by_every_editor(
    app_engine: Engine, canvas: models.Canvas, kind: str
) -> None:
    step = items.ITEM_TYPES[kind].step
    valid, out_of_range = CASES[kind]
    at = choose_kind(open_page(steps.STEPS[step].page, canvas=canvas.token), step, kind)
    before = _counts(app_engine, canvas.token)
    fill(at, kind, "new", {**valid, **{n: v for n, (v, _) in out_of_range.items()}})
    click(at, f"ed.{kind}.new.save")
    _refused(at, kind, "new", out_of_range)
    assert _counts(app_engine, canvas.token) == before
    # The same values on an existing item: refused, the stored item unchanged.
    if kind == "feature":
        [stored] = [r for r in rows(app_engine, canvas.token, kind) if r.title == "Existing"]
        at.selectbox(key="ed.feature.open").set_value(str(stored.id)).run()
        fill(at, kind, stored.id, {n: v for n, (v, _) in out_of_range.items()})
        click(at, f"ed.feature.{stored.id}.save")
        _refused(at, kind, str(stored.id), out_of_range)
        assert at.session_state[designs.PART_KEY] == "Scores"  # where the first field is
        [after] = [r for r in rows(app_engine, canvas.token, kind) if r.id == stored.id]
        assert (after.version, after.reach, after.effort) == (stored.version, None, None)


def test_the_score_and_reading_editors_refuse_out_of_range_numbers(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    token = canvas.token
    before = _counts(app_engine, token)
    at = choose_kind(open_page(steps.STEPS[3].page, canvas=token), 3, "criterion_score")
    fill(at, "criterion_score", "new", {"score": 11})
    click(at, "ed.criterion_score.new.save")
    _refused(at, "criterion_score", "new", {"score": (11, "must be at most 10")})

    at = choose_kind(open_page(steps.STEPS[5].page, canvas=token), 5, "kpi_reading")
    fill(at, "kpi_reading", "new", {"value": 1e13})
    click(at, "ed.kpi_reading.new.save")
    _refused(at, "kpi_reading", "new", {"value": (1e13, "must be at most 1,000,000,000,000")})
    assert _counts(app_engine, token) == before


@pytest.mark.parametrize(
    ("cells", "rule"),
    [
        ({"effort": -3}, "**Effort** must be greater than 0"),
        ({"reach": 1e12}, "**Reach** must be at most 1,000,000,000"),
        ({"confidence": 150}, "**Confidence** must be at most 100"),
        ({"value": 2.5}, "**Value** must be a whole number"),
        ({"ease": 11}, "**Ease** must be at most 10"),
        ({"impact": 7}, "**Impact** must be at most 3"),
        ({"reach_low": -1}, "**Reach (low)** must be at least 0"),
        ({"reach_high": 2e9}, "**Reach (high)** must be at most 1,000,000,000"),
        ({"effort_low": 0}, "**Effort (low)** must be greater than 0"),
        ({"effort_high": 5000}, "**Effort (high)** must be at most 1,000"),
        ({"crit:": 11}, "**Fit** must be at most 10"),
    ],
)
def test_the_grid_refuses_out_of_range_cells(
    app_engine: Engine, canvas: models.Canvas, cells: dict[str, float], rule: str
) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(steps.STEPS[3].page)
    at.query_params["canvas"] = canvas.token
    at.session_state["designs.tab"] = designs.TABS[1]
    at.run()
    [stored] = rows(app_engine, canvas.token, "feature")
    if "crit:" in cells:  # the criterion's own column
        [criterion] = rows(app_engine, canvas.token, "criterion")
        cells = {f"crit:{criterion.id}": cells["crit:"]}
    scores_before = len(rows(app_engine, canvas.token, "criterion_score"))
    [grid] = at.data_editor
    at.session_state[grid.key] = {"edited_rows": {0: cells}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert any(rule in e for e in texts(at, "error")), texts(at, "error")
    [after] = rows(app_engine, canvas.token, "feature")
    assert after.version == stored.version  # nothing written
    assert len(rows(app_engine, canvas.token, "criterion_score")) == scores_before
    [grid] = at.data_editor  # the typed value stays on screen, marked not saved
    [name] = cells
    assert grid.value.loc[stored.id, name] == cells[name]
    if name in prioritisation_grid.FIELD_LABELS:  # the message names the column's header
        named = rule.split("**")[1]  # "Confidence" for the header "Confidence %"
        assert prioritisation_grid.FIELD_LABELS[name].startswith(named), (named, name)
    assert grid.value.loc[stored.id, "unsaved"] == "⚠ not saved"
