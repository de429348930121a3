"""Step 3's Prioritise tab: switching framework, scoring in the grid (saved row by row with
the version the grid showed), conflicts and refused values, the charts and the robustness
check, and the empty states.

AppTest cannot type into an ``st.data_editor``, but it can hand the page the editor's
edit state (``edited_rows``) the way the browser does, through the editor's key; the
browser test (tests/browser/test_prioritisation_browser.py) types into a real cell.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models, scoring
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import chart_view, designs
from strategy_canvas.ui import prioritisation as prio
from strategy_canvas.ui import prioritisation_grid as prio_grid
from strategy_canvas.ui import prioritisation_views as prio_views
from tests.pagekit import APP, chart_titles, rows, texts

PAGE = "pages/3_Designs.py"


# ------------------------------------------------------------------------- helpers


def _prioritise(canvas: models.Canvas, view: str | None = None) -> AppTest:
    """The Designs page with the Prioritise tab (and ``view`` below the grid) open."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    at.query_params["canvas"] = canvas.token
    at.session_state[designs.TAB_KEY] = designs.TABS[1]
    if view is not None:
        at.session_state[prio.VIEW_KEY] = view
    return _ok(at.run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def _feature(engine: Engine, token: str, title: str) -> Any:
    [row] = [r for r in rows(engine, token, "feature") if r.title == title]
    return row


def _edit(at: AppTest, cells: dict[int, dict[str, Any]]) -> AppTest:
    """Hand the page the grid's edit state, as the browser sends it after a cell edit:
    row position -> column -> value."""
    [grid] = at.data_editor
    at.session_state[grid.key] = {"edited_rows": cells, "added_rows": [], "deleted_rows": []}
    return _ok(at.run())


def _position(at: AppTest, feature_id: int) -> int:
    return list(at.data_editor[0].value.index).index(feature_id)


def _ranking(at: AppTest) -> list[str]:
    """The features in the order the ranking table shows them."""
    [table] = [d.value for d in at.dataframe if "Spread" in d.value.columns]
    return list(table["Feature"])


def _update(engine: Engine, token: str, feature: Any, **changes: Any) -> None:
    """Someone else saves the feature, from another session."""
    with db.session_scope(engine) as session:
        items.update_item(
            session=session,
            canvas_token=token,
            kind="feature",
            item_id=feature.id,
            changes=changes,
            expected_version=feature.version,
        )


# ------------------------------------------------------------ reading the grid


def test_edits_are_read_by_position_and_only_changed_fields_kept() -> None:
    shown = {
        7: {"title": "A", "reach": 500.0, "impact": 1.0, "moscow": "must"},
        9: {"title": "B", "reach": float("nan"), "impact": 2.0, "moscow": None},
    }
    edited = {
        0: {"reach": 800.0, "impact": 1.0},  # impact unchanged: left out
        1: {"reach": 1200.0, "moscow": "Won't", "title": "renamed"},  # title is not a score
        5: {"reach": 1.0},  # no such row
    }
    assert prio_grid.edits_from_grid(edited, [7, 9], shown) == {
        7: {"reach": 800},
        9: {"reach": 1200, "moscow": "wont"},
    }
    assert prio_grid.edits_from_grid({0: {"reach": None}}, [9], shown) == {}  # still empty


# ---------------------------------------------------------------- the grid on the page


def test_switching_framework_changes_the_ranking(seeded: models.Canvas) -> None:
    at = _prioritise(seeded)
    assert at.segmented_control(key=prio.FRAMEWORK_KEY).value == "rice"
    by_rice = _ranking(at)
    assert by_rice[0] == "One-tap weekly plan"
    at.segmented_control(key=prio.FRAMEWORK_KEY).set_value("value_effort").run()
    by_value = _ranking(_ok(at))
    assert sorted(by_value) == sorted(by_rice) and by_value != by_rice
    assert not chart_titles(at)  # the chart under the table is folded, not sent
    at.session_state[f"{chart_view.FOLD_KEY}.score_bars"] = True  # unfolded
    at.run()
    assert "Features ranked by Value/Effort" in chart_titles(_ok(at))
    at.segmented_control(key=prio.FRAMEWORK_KEY).set_value("rice").run()
    assert "Features ranked by RICE" in chart_titles(_ok(at))  # it stays unfolded
    # the flagged features and the reason show under the table
    flagged = [t for t in texts(at, "markdown") if "flagged for discussion" in t]
    assert flagged and " under " in flagged[0]


def test_editing_a_score_in_the_grid_saves_it_and_reranks(
    app_engine: Engine, seeded: models.Canvas
) -> None:
    at = _prioritise(seeded)
    deals = _feature(app_engine, seeded.token, "Deals-aware plans")
    assert _ranking(at)[-1] == "Deals-aware plans"
    key_before = at.data_editor[0].key
    better = {"reach": 15_000, "impact": 3.0, "confidence": 90, "effort": 3.0}
    _edit(at, {_position(at, deals.id): better})
    stored = _feature(app_engine, seeded.token, "Deals-aware plans")
    assert (stored.reach, stored.impact, stored.confidence, stored.effort) == (15_000, 3, 90, 3)
    assert stored.version == deals.version + 1
    assert (stored.ease, stored.value) == (deals.ease, deals.value)  # only what was edited
    assert "Saved the scores of 1 feature." in texts(at, "toast")
    assert _ranking(at)[0] == "Deals-aware plans"  # the ranking follows at once
    assert at.data_editor[0].key != key_before  # a fresh grid, loaded from the database
    assert at.data_editor[0].value.loc[deals.id, "reach"] == 15_000


def _scores(engine: Engine, token: str, feature_id: int) -> dict[str, float]:
    names = {c.id: c.name for c in rows(engine, token, "criterion")}
    return {
        names[s.criterion_id]: s.score
        for s in rows(engine, token, "criterion_score")
        if s.feature_id == feature_id
    }


def test_the_grid_ties_features_and_scores_every_weighted_criterion(
    app_engine: Engine, seeded: models.Canvas
) -> None:
    token = seeded.token
    at = _prioritise(seeded)
    deals = _feature(app_engine, token, "Deals-aware plans")
    criteria = {c.name: c.id for c in rows(app_engine, token, "criterion")}
    persona = rows(app_engine, token, "persona")[-1]
    goal = rows(app_engine, token, "goal")[-1]
    before = _scores(app_engine, token, deals.id)
    [grid] = at.data_editor
    config = json.loads(grid.proto.columns)
    for name, criterion_id in criteria.items():  # a column per criterion, its weight in the help
        assert config[f"crit:{criterion_id}"]["label"] == name
        assert "weight" in config[f"crit:{criterion_id}"]["help"]
    first, *others = criteria.items()
    cells: dict[str, Any] = {
        "persona_id": persona.name,
        "goal_id": goal.title,
        f"crit:{first[1]}": 9.5,  # changed
        **{f"crit:{cid}": None for _, cid in others[:1]},  # taken away
    }
    _edit(at, {_position(at, deals.id): cells})
    stored = _feature(app_engine, token, "Deals-aware plans")
    assert (stored.persona_id, stored.goal_id) == (persona.id, goal.id)
    after = _scores(app_engine, token, deals.id)
    assert after[first[0]] == 9.5
    for name, _ in others[:1]:
        assert name not in after and name in before
    assert any("criterion score" in t for t in texts(at, "toast"))
    [grid] = at.data_editor
    assert grid.value.loc[deals.id, "persona_id"] == persona.name
    assert grid.value.loc[deals.id, f"crit:{first[1]}"] == 9.5

    # A score out of range: refused with the rule, nothing written, the value kept.
    _edit(at, {_position(at, deals.id): {f"crit:{first[1]}": 11}})
    assert any(f"**{first[0]}** must be at most 10" in e for e in texts(at, "error"))
    assert _scores(app_engine, token, deals.id)[first[0]] == 9.5
    [grid] = at.data_editor
    assert grid.value.loc[deals.id, f"crit:{first[1]}"] == 11
    assert grid.value.loc[deals.id, "unsaved"] == "⚠ not saved"


def test_a_row_changed_by_someone_else_is_not_overwritten(
    app_engine: Engine, seeded: models.Canvas
) -> None:
    at = _prioritise(seeded)
    deals = _feature(app_engine, seeded.token, "Deals-aware plans")
    plan = _feature(app_engine, seeded.token, "One-tap weekly plan")
    _update(app_engine, seeded.token, deals, reach=12_000)  # theirs, while the grid is open
    _edit(at, {_position(at, deals.id): {"reach": 10_000}, _position(at, plan.id): {"ease": 3}})
    # the other row is saved; theirs stays
    assert _feature(app_engine, seeded.token, "One-tap weekly plan").ease == 3
    assert _feature(app_engine, seeded.token, "Deals-aware plans").reach == 12_000
    conflict = " ".join(texts(at, "markdown"))
    assert "1 row not saved: someone else changed it" in conflict
    assert "**Reach** is now **12,000** — you entered 10,000" in conflict
    # the grid keeps my value, marked, until I choose
    grid = at.data_editor[0].value
    assert grid.loc[deals.id, "reach"] == 10_000 and grid.loc[deals.id, "unsaved"]
    # editing the row again still does not overwrite theirs
    _edit(at, {_position(at, deals.id): {"confidence": 50}})
    assert _feature(app_engine, seeded.token, "Deals-aware plans").reach == 12_000
    # reload: their values, nothing pending
    at.button(key=f"prio.reload.{deals.id}").click().run()
    _ok(at)
    assert not any("not saved" in t for t in texts(at, "markdown"))
    assert at.data_editor[0].value.loc[deals.id, "reach"] == 12_000
    assert "unsaved" not in at.data_editor[0].value.columns


def test_keep_mine_is_a_deliberate_overwrite(app_engine: Engine, seeded: models.Canvas) -> None:
    at = _prioritise(seeded)
    deals = _feature(app_engine, seeded.token, "Deals-aware plans")
    _update(app_engine, seeded.token, deals, reach=12_000)
    _edit(at, {_position(at, deals.id): {"reach": 10_000}})
    at.button(key=f"prio.keep.{deals.id}").click().run()
    _ok(at)
    assert _feature(app_engine, seeded.token, "Deals-aware plans").reach == 10_000
    assert "Saved the scores of 1 feature." in texts(at, "toast")


def test_a_refused_value_names_the_field_and_writes_nothing_for_that_row(
    app_engine: Engine, seeded: models.Canvas
) -> None:
    at = _prioritise(seeded)
    deals = _feature(app_engine, seeded.token, "Deals-aware plans")  # reach low 2,000
    plan = _feature(app_engine, seeded.token, "One-tap weekly plan")
    _edit(at, {_position(at, deals.id): {"reach": 1_000}, _position(at, plan.id): {"value": 4}})
    [error] = texts(at, "error")
    assert "Deals\\-aware plans" in error
    assert "**Reach (low)** must not be above the estimate itself" in error
    stored = _feature(app_engine, seeded.token, "Deals-aware plans")
    assert (stored.reach, stored.version) == (deals.reach, deals.version)
    assert _feature(app_engine, seeded.token, "One-tap weekly plan").value == 4  # saved
    # the typed value stays in the grid to correct; fixing the range saves both fields
    assert at.data_editor[0].value.loc[deals.id, "reach"] == 1_000
    _edit(at, {_position(at, deals.id): {"reach_low": 500}})
    stored = _feature(app_engine, seeded.token, "Deals-aware plans")
    assert (stored.reach, stored.reach_low) == (1_000, 500)
    assert not texts(at, "error")


def test_the_grid_leaves_the_limits_to_the_services(seeded: models.Canvas) -> None:
    """A number column with limits would clamp (−3 → 3, 10¹² → the maximum) or cut a
    value ("2.5" → "25"): the columns carry none, and their help says the rule."""
    at = _prioritise(seeded)
    [grid] = at.data_editor
    assert grid.editing_mode == "fixed"
    config = json.loads(grid.proto.columns)
    for name in ("reach", "confidence", "effort", "ease", "value", "reach_low", "effort_high"):
        limits = config[name].get("type_config", {})
        assert not {"min_value", "max_value", "step"} & set(limits), (name, limits)
    assert config["confidence"]["help"].endswith("A whole number from 0 to 100.")
    assert config["effort"]["help"].endswith("A number above 0, up to 1,000.")
    impact = [o["value"] for o in config["impact"]["type_config"]["options"]]
    assert impact == [0.25, 0.5, 1.0, 2.0, 3.0]
    assert config["title"]["disabled"] is True
    assert {
        "reach",
        "impact",
        "confidence",
        "effort",
        "ease",
        "value",
        "moscow",
        "kano",
        "reach_low",
        "reach_high",
        "effort_low",
        "effort_high",
    } <= set(grid.value.columns)


# ----------------------------------------------------------------- charts and robustness


def test_each_view_draws_its_chart_with_the_demo_canvas(seeded: models.Canvas) -> None:
    ranking, matrix, robustness = prio.VIEWS
    at = _prioritise(seeded, ranking)
    at.session_state[f"{chart_view.FOLD_KEY}.score_bars"] = True  # the chart unfolded
    assert "Features ranked by RICE" in chart_titles(_ok(at.run()))
    at = _prioritise(seeded, matrix)
    assert "Value vs effort" in chart_titles(at)
    assert any(
        t.startswith("- **Quick wins**") for t in "\n".join(texts(at, "markdown")).split("\n")
    )
    at = _prioritise(seeded, robustness)
    assert "How robust is the ranking?" in chart_titles(at)
    # one sentence per feature, each saying solid or fragile
    [sentences] = [t for t in texts(at, "markdown") if "runs" in t and t.startswith("- ")]
    lines = sentences.split("\n")
    assert len(lines) == len(at.data_editor[0].value)
    assert all(line.endswith(("Solid\\.", "Fragile\\.")) for line in lines), lines
    assert any("✓ solid" in line for line in lines) and any("⚠ fragile" in line for line in lines)


def test_every_features_verdict_is_sent_only_once_unfolded(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Many"})
        token = canvas.token
        for n in range(prio_views.SENTENCES_SHOWN + 4):
            items.create_item(
                session=session,
                canvas_token=token,
                kind="feature",
                data={"title": f"F{n}", "reach": 10 + n, "impact": 1, "confidence": 80,
                      "effort": 1 + n % 3},
            )  # fmt: skip
    at = _prioritise(canvas, prio.VIEWS[2])
    [every] = [e for e in at.expander if e.label.startswith("Every feature")]
    assert every.label == f"Every feature ({prio_views.SENTENCES_SHOWN + 4})"
    assert not every.get("dataframe"), "folded, the table is not sent"
    at.session_state[prio_views.EVERY_FEATURE_KEY] = True
    [every] = [e for e in _ok(at.run()).expander if e.label.startswith("Every feature")]
    [table] = every.get("dataframe")
    assert sorted(table.value["Feature"]) == sorted(f"F{n}" for n in range(19))


def test_the_robustness_cut_can_be_changed(seeded: models.Canvas) -> None:
    at = _prioritise(seeded, prio.VIEWS[2])
    assert at.number_input(key=prio.K_KEY).value == prio_views.DEFAULT_K
    at.number_input(key=prio.K_KEY).set_value(3).run()
    [sentences] = [t for t in texts(_ok(at), "markdown") if "runs" in t and t.startswith("- ")]
    assert "top 3 in" in sentences and "top 5 in" not in sentences
    # Out of range, or a fraction: refused with the rule, the typed value kept, the check
    # on the last good cut (never clamped to 50 or rounded).
    for typed in (80, 2.5, 0):
        at.number_input(key=prio.K_KEY).set_value(typed).run()
        assert at.number_input(key=prio.K_KEY).value == typed
        assert any("**Top k** must be a whole number from 1 to 50" in e for e in texts(at, "error"))
        [sentences] = [t for t in texts(at, "markdown") if "runs" in t and t.startswith("- ")]
        assert "top 3 in" in sentences


def test_judgement_frameworks_say_the_check_needs_estimates(seeded: models.Canvas) -> None:
    at = _prioritise(seeded, prio.VIEWS[2])
    at.segmented_control(key=prio.FRAMEWORK_KEY).set_value("moscow").run()
    assert any("works on RICE, ICE, Value/Effort" in c for c in texts(_ok(at), "caption"))
    assert not chart_titles(at)


def test_weighted_without_criteria_says_how_to_add_them(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "No criteria"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="feature",
            data={"title": "Plan", "reach": 10, "impact": 1, "confidence": 50, "effort": 1},
        )
    at = _prioritise(canvas)
    at.segmented_control(key=prio.FRAMEWORK_KEY).set_value("weighted").run()
    [info] = texts(_ok(at), "info")
    assert "Scoring criteria" in info and "Criterion scores" in info


@pytest.mark.parametrize("view", prio.VIEWS)
def test_the_empty_canvas_shows_empty_states(app_engine: Engine, view: str) -> None:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Empty"})
    at = _prioritise(canvas, view)
    assert not at.data_editor and not chart_titles(at)
    captions = " ".join(texts(at, "caption"))
    assert "No features to score yet" in captions and "No features yet" in captions


def test_a_long_list_of_features_is_described_then_tabled() -> None:
    features = pd.DataFrame(
        {
            "id": range(1, 21),
            "title": [f"Feature {i}" for i in range(1, 21)],
            "reach": [1000 * i for i in range(1, 21)],
            "impact": 1.0,
            "confidence": 100,  # exact estimates: the ranking cannot move
            "effort": 2.0,
        }
    )
    result = scoring.monte_carlo(features, framework="rice", k=5, draws=200, seed=1)
    sentences = prio_views.robustness_sentences(result, limit=15)
    assert len(sentences.lines) == 16 and "5 more in the table below" in sentences.lines[-1]
    assert sentences.lines[0].startswith("- :green[**✓ solid**] **Feature 20**")
    assert sentences.table is not None and sentences.table.num_rows == 20


def test_the_ranking_shows_a_score_as_the_board_does(seeded: models.Canvas) -> None:
    """RICE 10,125 on the board is 10,125 in the ranking (it read 10125), a MoSCoW
    bucket its word."""
    at = _prioritise(seeded)
    [ranking] = [d for d in at.dataframe if "Spread" in d.value.columns]
    assert json.loads(ranking.proto.columns)["Score"]["type_config"]["format"] == "localized"
    at.segmented_control(key=prio.FRAMEWORK_KEY).set_value("moscow").run()
    [ranking] = [d for d in _ok(at).dataframe if "Spread" in d.value.columns]
    assert "type_config" not in json.loads(ranking.proto.columns)["Score"]
    assert set(ranking.value["Score"]) <= {"Must", "Should", "Could", "Won't", ""}
