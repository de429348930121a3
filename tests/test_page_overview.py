"""The Overview through AppTest: the demo canvas on one screen (next action, problem,
personas, vision, top features, roadmap lanes, KPIs, open flaws, progress per step), an
empty canvas's empty states, and a change showing up on the next refresh."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.rules.percent import percent_text
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.ui import chart_view, steps
from strategy_canvas.ui.text import md
from tests.pagekit import chart_pictures, chart_titles, html_text, open_page, svg_texts, texts

PAGE = steps.OVERVIEW.page


def _rows(engine: Engine, token: str, kind: str) -> list[Any]:
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


def _markdown(at: AppTest) -> str:
    return "\n".join(texts(at, "markdown"))


def _cards(at: AppTest) -> str:
    """What the page's HTML blocks (the cards, the steps' progress) show, as text."""
    return "\n".join(html_text(at))


def _bars(at: AppTest) -> list[str]:
    """How full each progress bar drawn as HTML is, in percent, in page order."""
    return re.findall(r'role="progressbar" aria-valuenow="([\d.]+)"', "".join(texts(at, "html")))


def _links(at: AppTest) -> dict[str, Any]:
    return {p.proto.label: p.proto for p in at.main.get("page_link")}


def test_the_demo_canvas_on_one_screen(seeded: models.Canvas, app_engine: Engine) -> None:
    token = seeded.token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    assert not at.warning
    assert texts(at, "title") == [md(seeded.name)]
    board = _cards(at)
    strong = html_text(at, "sc-strong")

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
    overall = sum(s.score for s in step_rows) / len(step_rows)
    assert html_text(at, "sc-metric-value") == [percent_text(overall)]

    # the problem, the personas, the vision: in one row of cards, in that order
    titles = html_text(at, "sc-title")
    assert [t.strip() for t in titles[:3]] == ["The problem", "For whom", "Vision"]
    problem = _rows(app_engine, token, "problem")[0]
    assert problem.title in strong
    assert problem.statement[:80] in board
    for persona in _rows(app_engine, token, "persona"):
        assert persona.name in strong
    vision = _rows(app_engine, token, "vision")[0]
    assert vision.statement[:80] in board
    assert f"North star: {vision.north_star_metric}" in board

    # the top five features by RICE, best first
    assert "1. One-tap weekly plan shipped · RICE 10,125" in board
    assert html_text(at, "sc-rank") == ["1.", "2.", "3.", "4.", "5."]
    top = html_text(at, "sc-top")
    assert top[0] == "One-tap weekly plan" and len(top) == 5
    ranks = [board.index(f"{n}. {title}") for n, title in enumerate(top, start=1)]
    assert ranks == sorted(ranks)

    # the roadmap's lanes with their titles, side by side in one HTML element
    roadmap = _rows(app_engine, token, "roadmap_item")
    [lanes] = [t for t in texts(at, "html") if '<div class="sc-lanes">' in t]
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
        assert kr.metric in strong
    assert "21 min → target 10 min · 70%" in board
    assert any(round(float(fill)) == 70 for fill in _bars(at))  # its bar, 70% full

    # the open flaws, most severe first; fixed ones are not listed
    assert "Open flaws · 2" in [t.strip() for t in titles]
    assert html_text(at, "sc-flaw") == [
        "Receipt OCR misreads abbreviated product names",
        "Plans repeat the same dinner on the same weekday",
    ]
    assert "🟠 Receipt OCR misreads abbreviated product names" in board
    assert "Leftover lunches tripled" not in board

    # progress per step: a bar, the first missing thing, a link keeping the canvas
    bars = _bars(at)
    for row in step_rows:
        assert any(abs(float(fill) - row.score * 100) <= 0.05 for fill in bars)
        info = steps.STEPS[row.step]
        assert f"{row.step}. {info.title}" in strong
        assert f"canvas={token}" in _links(at)[f"Open step {row.step}"].query_string
    assert f"Next: {step.missing[0]}" in board
    # and as one chart, the steps in order: folded, and sent only once unfolded
    assert not chart_titles(at)
    at.session_state[f"{chart_view.FOLD_KEY}.progress"] = True
    at.run()
    assert not at.exception
    [(alt, svg)] = chart_pictures(at)
    # its alternative text: its title and subtitle
    assert re.fullmatch(r"Checks passed per step\. \d+% complete overall", alt), alt
    assert chart_titles(at) == ["Checks passed per step"]
    # the steps in order, as the bars' axis labels
    labels = svg_texts(svg, "axis-label")
    assert [label for label in labels if label[:1].isdigit() and ". " in label][:5] == [
        f"{n}. {steps.STEPS[n].title}" for n in range(1, 6)
    ]


def test_an_empty_canvas_says_where_to_start(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Blank"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    assert "Next: Problem & audience\\: Add 1 more problem" in _markdown(at)
    captions = " ".join(html_text(at, "sc-small"))
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
    assert html_text(at, "sc-metric-value") == ["0%"]
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
    assert "No feature is scored yet" in _cards(at)
    with db.session_scope(app_engine) as session:  # someone else, meanwhile
        items.create_item(
            session=session,
            canvas_token=token,
            kind="flaw",
            data={"title": "Crash on <b>save</b>", "severity": "critical"},
        )
    at.run()
    assert html_text(at, "sc-flaw") == ["Crash on <b>save</b>"]
    assert "🔴 Crash on <b>save</b>" in _cards(at)
    assert "Open flaws · 1" in [t.strip() for t in html_text(at, "sc-title")]


#: user text that formats in Markdown or HTML, or runs as code, if it is not escaped
HOSTILE = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no] <b>b</b>"


def test_the_cards_show_hostile_text_as_typed(app_engine: Engine) -> None:
    """Every card's user text, moved from Markdown to HTML, shows literally."""
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Hostile"}).token

        def add(item_kind: str, **data: Any) -> None:
            items.create_item(session=session, canvas_token=token, kind=item_kind, data=data)

        add("problem", title=f"P {HOSTILE}", statement=f"S {HOSTILE}")
        add("problem", title=f"Q {HOSTILE}")
        add("persona", name=f"N {HOSTILE}", kind="segment")
        vision = canvases.get_vision(session=session, canvas_token=token)
        assert vision.id is not None
        items.update_item(
            session=session,
            canvas_token=token,
            kind="vision",
            item_id=vision.id,
            changes={"statement": f"V {HOSTILE}", "north_star_metric": f"M {HOSTILE}"},
            expected_version=vision.version,
        )
        add("feature", title=f"F {HOSTILE}", reach=10, impact=1, confidence=50, effort=1)
        add("goal", title="Goal")
        with db.session_scope(app_engine, readonly=True) as read:
            goal = items.list_items(session=read, canvas_token=token, kind="goal")
        add("key_result", goal_id=goal[0].id, metric=f"K {HOSTILE}", target=10, unit="$")
        add("flaw", title=f"L {HOSTILE}", severity="high", fix_owner=f"O {HOSTILE}")
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    raw = "".join(texts(at, "html"))
    assert "<script>" not in raw and "<b>b</b>" not in raw
    shown = _cards(at)
    for start in ("P", "S", "N", "V", "M", "F", "K", "L", "O"):
        assert f"{start} {HOSTILE}" in shown, start
    assert f"“Q {HOSTILE}”" in shown


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
