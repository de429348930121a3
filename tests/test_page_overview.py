"""The Overview through AppTest: the demo canvas on one screen (next action, problem,
personas, vision, top features, roadmap lanes, KPIs, open flaws, progress per step), an
empty canvas's empty states, and a change showing up on the next refresh."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.ui import chart_view, steps
from strategy_canvas.ui.text import md
from tests.pagekit import chart_titles, open_page, texts

PAGE = steps.OVERVIEW.page


def _rows(engine: Engine, token: str, kind: str) -> list[Any]:
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


def _markdown(at: AppTest) -> str:
    return "\n".join(texts(at, "markdown"))


def _progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.main.get("progress")]


def _links(at: AppTest) -> dict[str, Any]:
    return {p.proto.label: p.proto for p in at.main.get("page_link")}


def test_the_demo_canvas_on_one_screen(seeded: models.Canvas, app_engine: Engine) -> None:
    token = seeded.token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    assert not at.warning
    assert texts(at, "title") == [md(seeded.name)]
    board = _markdown(at)

    # the next suggested action, at the top, linking to its step
    with db.session_scope(app_engine, readonly=True) as session:
        step_rows = progress.step_progress(session=session, canvas_token=token)
    action = progress.next_action(step_rows)
    assert action is not None
    first = texts(at.main, "markdown")[1]  # right under the byline
    assert first == f"#### :material/lightbulb: Next: {md(action)}"
    step = next(s for s in step_rows if s.missing)
    link = _links(at)[f"Go to step {step.step}: {step.title}"]
    assert f"canvas={token}" in link.query_string

    # the problem, the personas, the vision
    problem = _rows(app_engine, token, "problem")[0]
    assert f"**{md(problem.title)}**" in board
    assert md(problem.statement[:80]) in board
    for persona in _rows(app_engine, token, "persona"):
        assert f"**{md(persona.name)}**" in board
    vision = _rows(app_engine, token, "vision")[0]
    assert md(vision.statement[:80]) in board
    assert md(vision.north_star_metric) in board

    # the top five features by RICE, best first
    assert "1\\. **One\\-tap weekly plan** :green-badge[shipped]" in board
    ranks = [board.index(f"{n}\\. **") for n in range(1, 6)]
    assert ranks == sorted(ranks) and "6\\. **" not in board

    # the roadmap's lanes with their titles, side by side in one HTML element
    roadmap = _rows(app_engine, token, "roadmap_item")
    [lanes] = [t for t in texts(at, "html") if t.startswith('<div class="sc-lanes">')]
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", lanes)).split())
    for lane in ("Now", "Next", "Later"):
        count = sum(r.lane == lane.lower() for r in roadmap)
        assert f"{lane} · {count}" in shown
    assert next(r.title for r in roadmap if r.lane == "later") in shown
    assert shown.index("Now ·") < shown.index("Next ·") < shown.index("Later ·")
    done = next(r.title for r in roadmap if r.status == "done")
    assert f'<s class="sc-fg-gray">{html.escape(done)}</s> ✓' in lanes  # struck through

    # the KPIs against target, as progress bars
    kpis = _rows(app_engine, token, "key_result")
    for kr in kpis:
        assert f"**{md(kr.metric)}**" in board
    assert "21 min → target 10 min · **70%**" in _progress_texts(at)

    # the open flaws, most severe first; fixed ones are not listed
    assert "Open flaws · 2" in " ".join(texts(at, "subheader"))
    high = board.index("🟠 **Receipt OCR misreads abbreviated product names**")
    assert high < board.index("⚪ **Plans repeat the same dinner on the same weekday**")
    assert "Leftover lunches tripled" not in board

    # progress per step: a bar, the first missing thing, a link keeping the canvas
    for row in step_rows:
        assert f"{round(row.score * 100)}%" in _progress_texts(at)
        info = steps.STEPS[row.step]
        assert f"**{row.step}. {info.title}**" in board
        assert f"canvas={token}" in _links(at)[f"Open step {row.step}"].query_string
    assert f"Next: {md(step.missing[0])}" in texts(at, "caption")
    # and as one chart, the steps in order: folded, and sent only once unfolded
    assert not at.get("vega_lite_chart")
    at.session_state[f"{chart_view.FOLD_KEY}.progress"] = True
    at.run()
    assert not at.exception
    [chart] = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert chart["title"]["text"] == "Checks passed per step"
    assert chart_titles(at) == ["Checks passed per step"]


def test_an_empty_canvas_says_where_to_start(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Blank"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    assert "Next: Problem & audience\\: Add 1 more problem" in _markdown(at)
    captions = " ".join(texts(at, "caption"))
    for empty in (
        "No problem written yet",
        "No personas or segments yet",
        "No vision statement yet",
        "No features yet",
        "Nothing on the roadmap yet",
        "No KPIs yet",
        "No flaws recorded yet",
    ):
        assert empty in captions, empty
    labels = _links(at)
    for label in (
        "Write the problem in step 1",
        "Write the vision in step 2",
        "Design features in step 3",
        "Plan the roadmap in step 4",
        "Record feedback and flaws in step 5",
    ):
        assert f"canvas={token}" in labels[label].query_string
    assert [m.value for m in at.metric] == ["0%"]
    at.session_state[f"{chart_view.FOLD_KEY}.progress"] = True  # the chart unfolded
    at.run()
    assert not at.exception
    assert chart_titles(at) == ["Checks passed per step"]  # every step at 0%, not an error


def test_unscored_features_and_a_change_on_the_next_refresh(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Live"}).token
        items.create_item(
            session=session, canvas_token=token, kind="feature", data={"title": "Unscored"}
        )
    at = open_page(PAGE, canvas=token)
    assert any("No feature is scored yet" in c for c in texts(at, "caption"))
    with db.session_scope(app_engine) as session:  # someone else, meanwhile
        items.create_item(
            session=session,
            canvas_token=token,
            kind="flaw",
            data={"title": "Crash on <b>save</b>", "severity": "critical"},
        )
    at.run()
    assert f"🔴 **{md('Crash on <b>save</b>')}**" in _markdown(at)
    assert "Open flaws · 1" in " ".join(texts(at, "subheader"))


def test_the_roadmap_lanes_show_hostile_titles_as_typed() -> None:
    import pandas as pd

    from strategy_canvas.ui import overview

    hostile = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no]"
    roadmap = pd.DataFrame(
        {"title": [hostile, "<i>b</i>"], "lane": ["now", "next"], "status": ["blocked", "done"]}
    )
    lanes = overview.lanes_html(roadmap)
    assert "<script>" not in lanes and "<i>b" not in lanes
    shown = html.unescape(re.sub(r"<[^>]+>", "", lanes))
    assert hostile in shown and "<i>b</i>" in shown
    assert "blocked" in shown and "Later · 0" in shown and "Empty" in shown
