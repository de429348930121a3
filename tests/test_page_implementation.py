"""Step 4 (Implementation) driven through its widgets: add, edit and delete roadmap
items, dependencies and risks; invalid input named by field and rule with nothing
written; the board (lanes, dependencies, risks by score) with the demo canvas and the
empty states."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import charts, db, models
from strategy_canvas.charts import svg as chart_svg
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import chart_view, implementation
from strategy_canvas.ui.text import md
from tests.pagekit import (
    add_edit_delete,
    chart_pictures,
    chart_pictures_of,
    chart_titles,
    choose_kind,
    click,
    field,
    fill,
    html_text,
    open_page,
    rows,
    sections,
    svg_texts,
    svg_title,
    texts,
)

PAGE = "pages/4_Implementation.py"


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    """A canvas with a feature and two roadmap items (what step 4 links to)."""
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Roadmap"})

        def add(kind: str, **data: object) -> int:
            return items.create_item(
                session=session, canvas_token=canvas.token, kind=kind, data=data
            ).id

        feature = add("feature", title="Receipt scan")
        add("roadmap_item", title="Scan MVP", feature_id=feature, lane="now", owner="Wen")
        add("roadmap_item", title="Pantry view", lane="next")
        return canvas


def _ids(engine: Engine, token: str, kind: str) -> list[int]:
    return [r.id for r in rows(engine, token, kind)]


def _page(canvas: models.Canvas) -> AppTest:
    at = open_page(PAGE, canvas=canvas.token)
    assert not at.exception, [e.message for e in at.exception]
    return at


_CARD_TITLE = re.compile(r'<div class="sc-line sc-strong">(.*?)</div>')


def _card_titles(body: str) -> list[str]:
    """The titles of the cards in one st.html body, unescaped (as the browser shows them)."""
    return [html.unescape(t) for t in _CARD_TITLE.findall(body)]


def _lanes(at: AppTest) -> dict[str, list[str]]:
    """Lane heading -> the titles of the cards under it, as the board shows them (the
    heading and the first cards are one HTML element per lane; unfolded cards are in
    the lane's expander)."""
    lanes: dict[str, list[str]] = {}
    for column in at.columns:
        headings = html_text(column, "sc-lane-title")
        if len(headings) != 1:
            continue
        lane = headings[0].split(" · ")[0]
        lanes[lane] = [t for body in texts(column, "html") for t in _card_titles(body)]
    return lanes


def _dependency_lists(at: AppTest) -> list[str]:
    return [t for t in texts(at, "markdown") if t.startswith("- **") and " depends on " in t]


# ------------------------------------------------------------- add, edit, delete


def test_roadmap_item_built_from_a_feature(app_engine: Engine, canvas: models.Canvas) -> None:
    [feature] = _ids(app_engine, canvas.token, "feature")
    at = _page(canvas)
    assert "Receipt scan" in field(at, "roadmap_item", "new", "feature_id").options
    create = {
        "title": "Line-item OCR",
        "feature_id": feature,
        "lane": "now",
        "start_date": date(2026, 10, 1),
        "end_date": date(2026, 11, 15),
        "owner": "Dana",
        "team": "Pantry",
        "milestone": "Fall release",
    }
    choose_kind(at, 4, "roadmap_item")
    fill(at, "roadmap_item", "new", create)
    click(at, "ed.roadmap_item.new.save")
    assert "Line-item OCR" in _lanes(at)["Now"]  # on the board at once
    [row] = [
        r for r in rows(app_engine, canvas.token, "roadmap_item") if r.title == create["title"]
    ]
    for name, value in create.items():
        assert getattr(row, name) == value

    at.selectbox(key="ed.roadmap_item.open").set_value(str(row.id)).run()
    fill(at, "roadmap_item", row.id, {"lane": "later", "status": "in_progress"})
    click(at, f"ed.roadmap_item.{row.id}.save")
    [stored] = [r for r in rows(app_engine, canvas.token, "roadmap_item") if r.id == row.id]
    assert (stored.lane, stored.status, stored.version) == ("later", "in_progress", 2)
    assert "Line-item OCR" in _lanes(at)["Later"]

    click(at, f"ed.roadmap_item.{row.id}.delete")
    assert row.id not in _ids(app_engine, canvas.token, "roadmap_item")
    assert not any("Line-item OCR" in cards for cards in _lanes(at).values())


def test_a_roadmap_item_takes_its_features_title_until_it_has_one(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    [feature] = _ids(app_engine, canvas.token, "feature")
    before = _ids(app_engine, canvas.token, "roadmap_item")
    at = choose_kind(_page(canvas), 4, "roadmap_item")
    field(at, "roadmap_item", "new", "feature_id").set_value(feature).run()
    assert at.text_input(key="ed.roadmap_item.new.title").value == "Receipt scan"
    click(at, "ed.roadmap_item.new.save")
    [row] = [r for r in rows(app_engine, canvas.token, "roadmap_item") if r.id not in before]
    assert (row.title, row.feature_id) == ("Receipt scan", feature)
    # A title of its own is never replaced.
    at.text_input(key="ed.roadmap_item.new.title").set_value("Scan v2").run()
    field(at, "roadmap_item", "new", "feature_id").set_value(feature).run()
    assert at.text_input(key="ed.roadmap_item.new.title").value == "Scan v2"


def test_a_link_among_many_features_is_chosen_from_a_popover(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    """More than LONG_LIST features: the roadmap item's feature is a popover naming the
    linked feature, its list sent only while it is open; choosing closes it, the title
    follows the feature, the other fields keep what was typed, and Add saves the link."""
    from strategy_canvas.ui import fields

    with db.session_scope(app_engine) as session:
        for n in range(fields.LONG_LIST):
            items.create_item(
                session=session,
                canvas_token=canvas.token,
                kind="feature",
                data={"title": f"Feature {n} <b>**{n}**</b>"},
            )
    target = next(
        r for r in rows(app_engine, canvas.token, "feature") if r.title.startswith("Feature 7 ")
    )
    before = _ids(app_engine, canvas.token, "roadmap_item")
    at = choose_kind(_page(canvas), 4, "roadmap_item")
    key = "ed.roadmap_item.new.feature_id"
    assert not [b for b in at.selectbox if b.key == key]  # the list is not drawn
    labels = [p.proto.popover.label for p in at.get("popover")]
    assert "Feature: — none —" in labels
    at.text_input(key="ed.roadmap_item.new.owner").set_value("Wen")
    at.session_state[f"{key}.pick"] = True  # the person opens it
    at.run()
    box = at.selectbox(key=key)
    assert len(box.options) == fields.LONG_LIST + 2  # none, then every feature
    box.set_value(target.id).run()
    assert not at.exception
    assert not at.session_state[f"{key}.pick"]  # choosing closed it
    assert not [b for b in at.selectbox if b.key == key]
    assert f"Feature: {md(target.title)}" in [p.proto.popover.label for p in at.get("popover")]
    assert at.text_input(key="ed.roadmap_item.new.title").value == target.title
    at.run()  # the folded choice is kept from run to run
    assert at.text_input(key="ed.roadmap_item.new.owner").value == "Wen"
    click(at, "ed.roadmap_item.new.save")
    [row] = [r for r in rows(app_engine, canvas.token, "roadmap_item") if r.id not in before]
    assert (row.title, row.feature_id, row.owner) == (target.title, target.id, "Wen")


def test_roadmap_item_add_edit_delete(app_engine: Engine, canvas: models.Canvas) -> None:
    add_edit_delete(
        _page(canvas),
        app_engine,
        canvas.token,
        step=4,
        kind="roadmap_item",
        create={"title": "Kid veto votes", "lane": "later", "owner": "Tomás"},
        edit={"title": "Kid veto", "team": "Household"},
        added="“Kid veto votes”",
        saved="“Kid veto”",
    )


def test_dependency(app_engine: Engine, canvas: models.Canvas) -> None:
    scan, pantry = _ids(app_engine, canvas.token, "roadmap_item")
    at = _page(canvas)
    edited = add_edit_delete(
        at,
        app_engine,
        canvas.token,
        step=4,
        kind="dependency",
        create={"item_id": pantry, "depends_on_id": scan},
        edit={"item_id": scan, "depends_on_id": pantry},
        added="“Pantry view” depends on “Scan MVP”",  # named by its items, not an id
        saved="“Scan MVP” depends on “Pantry view”",
    )
    assert (edited.item_id, edited.depends_on_id) == (scan, pantry)


def test_the_board_lists_dependencies_and_flags_the_order(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    scan, pantry = _ids(app_engine, canvas.token, "roadmap_item")
    at = choose_kind(_page(canvas), 4, "dependency")
    fill(at, "dependency", "new", {"item_id": scan, "depends_on_id": pantry})
    click(at, "ed.dependency.new.save")
    [line] = _dependency_lists(at)
    assert line.startswith("- **Scan MVP** depends on **Pantry view**")
    assert "it is planned for a later lane (Next)" in line  # now depends on next: a warning


def test_risk(app_engine: Engine, canvas: models.Canvas) -> None:
    scan = _ids(app_engine, canvas.token, "roadmap_item")[0]
    at = _page(canvas)
    edited = add_edit_delete(
        at,
        app_engine,
        canvas.token,
        step=4,
        kind="risk",
        create={
            "title": "OCR accuracy stays low",
            "likelihood": 4,
            "impact": 5,
            "mitigation": "Manual review queue",
            "roadmap_item_id": scan,
        },
        edit={"likelihood": 2, "status": "mitigating"},
        added="“OCR accuracy stays low”",
    )
    assert (edited.likelihood, edited.impact) == (2, 5)


def test_risks_are_sorted_by_score(app_engine: Engine, canvas: models.Canvas) -> None:
    with db.session_scope(app_engine) as session:
        for title, likelihood, impact in [("Small", 1, 2), ("Big", 4, 5), ("Middle", 3, 3)]:
            items.create_item(
                session=session,
                canvas_token=canvas.token,
                kind="risk",
                data={"title": title, "likelihood": likelihood, "impact": impact},
            )
    at = _page(canvas)
    [table] = [d.value for d in at.dataframe]
    assert list(table["Risk"]) == ["Big", "Middle", "Small"]
    assert list(table["Score"]) == [20, 9, 2]
    assert any("3 open risks have no mitigation yet" in c for c in texts(at, "caption"))


# ------------------------------------------------------------------ invalid input


def test_a_roadmap_item_needs_a_title(app_engine: Engine, canvas: models.Canvas) -> None:
    at = choose_kind(_page(canvas), 4, "roadmap_item")
    fill(at, "roadmap_item", "new", {"owner": "Dana"})
    click(at, "ed.roadmap_item.new.save")
    assert "**Title** is required and cannot be empty" in " ".join(texts(at, "error"))
    assert len(rows(app_engine, canvas.token, "roadmap_item")) == 2
    assert at.text_input(key="ed.roadmap_item.new.owner").value == "Dana"


def test_an_item_cannot_depend_on_itself(app_engine: Engine, canvas: models.Canvas) -> None:
    scan = _ids(app_engine, canvas.token, "roadmap_item")[0]
    at = choose_kind(_page(canvas), 4, "dependency")
    fill(at, "dependency", "new", {"item_id": scan, "depends_on_id": scan})
    click(at, "ed.dependency.new.save")
    assert "**Depends on** a roadmap item cannot depend on itself" in " ".join(texts(at, "error"))
    assert rows(app_engine, canvas.token, "dependency") == []


def test_a_risk_needs_a_title(app_engine: Engine, canvas: models.Canvas) -> None:
    at = choose_kind(_page(canvas), 4, "risk")
    fill(at, "risk", "new", {"mitigation": "Cache prices nightly"})
    click(at, "ed.risk.new.save")
    assert "**Risk** is required and cannot be empty" in " ".join(texts(at, "error"))
    assert rows(app_engine, canvas.token, "risk") == []


# -------------------------------------------------------------------------- board


def test_the_demo_canvas_shows_every_section(app_engine: Engine, seeded: models.Canvas) -> None:
    at = _page(seeded)
    heads = sections(at)
    for kind in implementation.KINDS:
        count = len(rows(app_engine, seeded.token, kind))
        assert f"{items.ITEM_TYPES[kind].plural} · {count}" in heads
    lanes = _lanes(at)
    assert list(lanes) == ["Now", "Next", "Later"]
    assert all(lanes.values()), "the demo has work in every lane"
    assert sum(len(v) for v in lanes.values()) == len(
        rows(app_engine, seeded.token, "roadmap_item")
    )
    [listed] = _dependency_lists(at)
    assert listed.count(" depends on ") == len(rows(app_engine, seeded.token, "dependency"))
    [risks] = [d.value for d in at.dataframe]
    assert list(risks["Score"]) == sorted(risks["Score"], reverse=True)
    assert {"Risk", "Likelihood", "Impact", "Score", "Mitigation", "Owner", "Status"} <= set(risks)
    for kind in implementation.KINDS:  # every item type can be edited
        choose_kind(at, 4, kind)
        assert not at.exception
        assert at.selectbox(key=f"ed.{kind}.open")


def test_the_empty_canvas_says_what_to_do(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    notes = " ".join(html_text(at, "sc-small"))  # under each section's heading
    assert "Nothing on the roadmap yet" in notes
    assert "No dependencies yet" in notes and "No risks yet" in notes
    assert not at.dataframe
    choose_kind(at, 4, "dependency")
    assert any("add at least two roadmap items first" in i for i in texts(at, "info"))


def test_a_card_shows_who_when_and_what_is_off() -> None:
    row = {
        "id": 1,
        "title": "Scan *MVP*",
        "feature_id": 7,
        "status": "in_progress",
        "milestone": "Beta [500]",
        "owner": "Dana",
        "team": "Pantry",
        "start_date": date(2026, 10, 1),
        "end_date": date(2026, 9, 1),
    }
    card = implementation.roadmap_card(row, {7: "Receipt scan"}, today=date(2026, 9, 10))
    assert _card_titles(card) == ["Scan *MVP*"]
    assert '<span class="sc-badge sc-bg-blue">in progress</span>' in card
    assert '<span class="sc-badge sc-bg-violet">' in card and "flag</span> Beta [500]" in card
    assert "Receipt scan" in card
    assert "Dana · Pantry" in card and "1 Oct – 1 Sep" in card
    assert "ends before it starts" in card


HOSTILE = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no]"


def test_a_card_shows_hostile_text_literally() -> None:
    """User text in a card is data: escaped for HTML, never markup (the card is HTML,
    not markdown, so markdown signs are shown as typed too)."""
    row = {"id": 1, "title": HOSTILE, "feature_id": 7, "status": "planned",
           "milestone": HOSTILE, "owner": HOSTILE, "team": "<b>team</b>"}  # fmt: skip
    card = implementation.roadmap_card(row, {7: HOSTILE}, today=date(2026, 9, 10))
    assert "<script>" not in card and "<b>team" not in card
    assert card.count(html.escape(HOSTILE)) == 4  # title, feature, milestone, owner
    assert "&lt;b&gt;team&lt;/b&gt;" in card
    assert _card_titles(card) == [HOSTILE]


def test_the_lanes_show_hostile_titles_as_typed(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Hostile"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="roadmap_item",
            data={"title": HOSTILE, "lane": "now", "owner": "<i>me</i>"},
        )
    at = _page(canvas)
    assert _lanes(at)["Now"] == [HOSTILE]
    [body] = [b for b in texts(at, "html") if '<div class="sc-cards">' in b]
    assert "<script>" not in body and "<i>me" not in body and "&lt;i&gt;me&lt;/i&gt;" in body


# -------------------------------------------------------------------------- charts


def _timeline_colour(at: AppTest) -> str:
    """The title of the timeline's colour legend, as its picture draws it."""
    [svg] = [
        svg for _, svg in chart_pictures(at) if "Roadmap timeline" in svg_texts(svg, "title-text")
    ]
    [title] = svg_texts(svg, "legend-title")
    return title


def test_the_roadmap_charts_with_the_demo_canvas(seeded: models.Canvas) -> None:
    at = _page(seeded)
    assert not at.warning
    # the timeline is folded under the editor, and not sent until it is unfolded
    [folded] = [e for e in at.expander if e.label == "Timeline"]
    assert not list(folded.children.values())
    assert set(chart_titles(at)) == {"Roadmap: now, next, later"}
    at.session_state[implementation.TIMELINE_OPEN_KEY] = True  # the person unfolds it
    at.run()
    assert not at.exception
    assert {"Roadmap: now, next, later", "Roadmap timeline"} <= set(chart_titles(at))
    assert _timeline_colour(at) == "Owner"
    # grouped by team: a choice outside the live board, kept for the session
    at.segmented_control(key=implementation.TIMELINE_GROUP_KEY).set_value("team").run()
    assert not at.exception
    assert _timeline_colour(at) == "Team"
    assert _lanes(at)["Now"], "the cards stay under the chart"


def test_the_empty_roadmap_draws_no_chart(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    at.session_state[implementation.TIMELINE_OPEN_KEY] = True  # the timeline unfolded
    at.run()
    assert not at.exception
    assert not chart_titles(at)
    assert any("give them start and end dates" in c for c in texts(at, "caption"))


def test_a_long_lane_shows_its_first_cards_and_lists_the_rest_when_unfolded(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    from strategy_canvas.ui.implementation import CARDS_PER_LANE, MORE_KEY

    extra = CARDS_PER_LANE + 3
    with db.session_scope(app_engine) as session:
        for n in range(extra):
            items.create_item(
                session=session,
                canvas_token=canvas.token,
                kind="roadmap_item",
                data={"title": f"Later work {n}", "lane": "later"},
            )
    at = _page(canvas)
    cards = _lanes(at)["Later"]
    assert cards == [f"Later work {n}" for n in range(CARDS_PER_LANE)]
    # folded, the rest is not sent to the browser at all: only its heading
    [more] = [e for e in at.expander if e.label == "3 more in Later"]
    assert not list(more.children.values())
    assert not any(f"Later work {CARDS_PER_LANE}" in t for t in texts(at, "html"))

    at.session_state[f"{MORE_KEY}.later"] = True  # the person unfolds it
    at.run()
    assert not at.exception
    cards = _lanes(at)["Later"]  # the first cards, then the unfolded rest
    assert cards == [f"Later work {n}" for n in range(extra)]
    [more] = [e for e in at.expander if e.label == "3 more in Later"]
    [listed] = texts(more, "html")  # one element, however many
    assert _card_titles(listed) == [f"Later work {n}" for n in range(CARDS_PER_LANE, extra)]
    assert "Later · 11" in html_text(at, "sc-lane-title")


def test_the_lanes_chart_is_a_picture_with_the_interactive_chart_a_click_away(
    seeded: models.Canvas,
) -> None:
    """The lanes are drawn on the server (the PDF's renderer) and shown as an image,
    which the browser draws for a fraction of a Vega chart's cost; the Vega chart, with
    its tooltips, is one switch away, from the same spec."""
    at = _page(seeded)
    [(alt, svg)] = chart_pictures(at)
    assert alt.startswith("Roadmap: now, next, later")
    assert svg_title(svg) == "Roadmap: now, next, later"
    assert [t.upper() for t in ("now", "next", "later")] == svg_texts(svg, "axis-label")
    key = f"{chart_view.INTERACTIVE_KEY}.roadmap_lanes"
    assert at.toggle(key=key).value is False
    at.toggle(key=key).set_value(True).run()
    assert not at.exception
    assert not chart_pictures(at)
    [chart] = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["title"]["text"] == "Roadmap: now, next, later"
    assert spec["width"] == chart_view.PAGE_WIDTH  # the picture's spec, drawn in the browser
    assert {"tooltip"} <= set(json.dumps(spec["layer"]).replace('"', " ").split())
    at.toggle(key=key).set_value(False).run()
    assert [alt] == [a for a, _ in chart_pictures(at)]


def test_the_lanes_chart_shows_hostile_titles_as_text(app_engine: Engine) -> None:
    """User text in a chart's picture is text: vl-convert escapes it in the SVG, which
    is a well-formed document whose marks read as typed; the image tag holds it only
    base64-encoded, so nothing of it is markup in the page."""
    title = '<script>&"x"'
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Hostile"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="roadmap_item",
            data={"title": title, "lane": "now", "owner": HOSTILE},
        )
    at = _page(canvas)
    [body] = [b for b in texts(at, "html") if 'class="sc-chart"' in b]
    assert "<script" not in body and HOSTILE not in body
    [(_, svg)] = chart_pictures(at)
    assert title in svg_texts(svg, "mark")
    assert "<script" not in svg and "&lt;script&gt;&amp;" in svg


def test_a_chart_picture_escapes_its_alternative_text() -> None:
    """The alternative text is the chart's title and subtitle, escaped for HTML."""
    spec = charts.roadmap_lanes(
        pd.DataFrame({"id": [1], "title": ["a"], "lane": ["now"]}),
        width=300,
        title=HOSTILE,
    ).to_dict()
    body = chart_view.picture(spec, chart_svg.render(spec))
    assert "<script" not in body and html.escape(HOSTILE) in body
    [(alt, svg)] = chart_pictures_of(body)
    assert alt.startswith(HOSTILE)
    assert svg_title(svg) == HOSTILE


def test_the_vega_chart_stands_in_until_the_picture_is_drawn(
    seeded: models.Canvas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The picture of a changed chart is drawn in a process of its own (vl-convert holds
    the interpreter lock while it draws); a run that finds it not drawn yet shows the
    Vega chart of the same spec, and a run once it is drawn shows the picture."""
    asked: list[str] = []
    real = chart_svg.drawn

    def drawing(spec: dict[str, object], *, wait: float = 0.0) -> str | None:
        asked.append(chart_svg.digest(spec))
        return None if len(asked) == 1 else real(spec, wait=120.0)  # first: not drawn yet

    monkeypatch.setattr(chart_svg, "drawn", drawing)
    at = _page(seeded)
    assert not chart_pictures(at)
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["title"]["text"] == "Roadmap: now, next, later"
    at.run()
    assert not at.exception
    assert [svg_title(svg) for _, svg in chart_pictures(at)] == ["Roadmap: now, next, later"]
    assert not at.get("vega_lite_chart")
    assert len(asked) == 2 and len(set(asked)) == 1, "the same spec both times"
