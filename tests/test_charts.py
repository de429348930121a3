"""The chart builders, checked through ``chart.to_dict()`` (encodings, sorts, scales,
labels, empty states) and rendered once each through vl-convert."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from strategy_canvas import charts, scoring
from strategy_canvas.charts import svg as chart_svg

START = date(2026, 1, 5)


# --------------------------------------------------------------------- test data


def features(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "title": [f"Feature {i}" for i in range(1, n + 1)],
            "reach": rng.integers(100, 20_000, n),
            "impact": rng.choice(scoring.IMPACT_SCALE, n),
            "confidence": rng.choice([50, 80, 100], n),
            "effort": rng.choice([0.5, 1, 2, 3, 5, 8], n).astype(float),
            "ease": rng.integers(1, 11, n),
            "value": rng.integers(1, 11, n),
            "moscow": rng.choice(list(scoring.MOSCOW_ORDER), n),
            "persona": rng.choice(["Maya, PM", "Ops lead"], n),
        }
    )


def assumptions(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "statement": [f"Teams will pay for thing {i}" for i in range(n)],
            "importance": rng.integers(1, 6, n),
            "evidence": rng.integers(1, 6, n),
            "status": rng.choice(list(charts.ASSUMPTION_STATUS), n),
        }
    )


def roadmap(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    starts = [START + timedelta(days=int(d)) for d in rng.integers(0, 200, n)]
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "title": [f"Item {i}" for i in range(1, n + 1)],
            "lane": rng.choice(list(charts.LANES), n),
            "status": rng.choice(list(charts.ROADMAP_STATUS), n),
            "owner": rng.choice(["Ana", "Ben", ""], n),
            "team": rng.choice(["Core", "Growth"], n),
            "start_date": starts,
            "end_date": [
                s + timedelta(days=int(d))
                for s, d in zip(starts, rng.integers(5, 60, n), strict=True)
            ],
            "milestone": ["Beta" if i % 4 == 0 else "" for i in range(n)],
        }
    )


def feedback(n: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "text": ["It is slow"] * n,
            "kind": rng.choice(list(charts.FEEDBACK_KINDS), n),
            "sentiment": rng.choice(list(charts.SENTIMENT_COLOURS), n),
            "received_on": [START + timedelta(days=int(d)) for d in rng.integers(0, 240, n)],
        }
    )


def flaws(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "title": ["A flaw"] * n,
            "severity": rng.choice(list(charts.SEVERITY_ORDER), n),
            "fix_status": rng.choice(list(charts.FIX_STATUS), n),
        }
    )


def key_results(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "metric": [f"Metric {i}" for i in range(1, n + 1)],
            "unit": ["%"] * n,
            "baseline": [10.0] * n,
            "target": [50.0] * n,
            "target_date": [date(2026, 12, 31)] * n,
        }
    )


def readings(n: int, kpis: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key_result_id": [1 + i % max(kpis, 1) for i in range(n)],
            "measured_on": [START + timedelta(days=7 * i) for i in range(n)],
            "value": [10.0 + i % 40 for i in range(n)],
        }
    )


def progress(n: int) -> pd.DataFrame:
    titles = ["Problem & audience", "Vision", "Designs", "Implementation", "Feedback"]
    steps = list(range(1, min(n, 5) + 1))
    return pd.DataFrame(
        {"step": steps, "title": titles[: len(steps)], "score": [i / 4 for i in range(len(steps))]}
    )


def _kpis(n: int, width: int | None) -> Any:
    kpis = min(n, 3) if n < 100 else 6  # 500 readings over 6 KPIs
    return charts.kpi_chart(readings(n, kpis), key_results(kpis), width=width)


#: name -> (n rows, width) -> chart; n = 0 gives the empty input of that chart.
BUILDERS: dict[str, Callable[[int, int | None], Any]] = {
    "value_effort": lambda n, w: charts.value_effort_chart(features(n), width=w),
    "score_bars": lambda n, w: charts.score_bars(features(n), "rice", width=w),
    "robustness": lambda n, w: charts.robustness_chart(
        scoring.monte_carlo(features(n), draws=500), width=w
    ),
    "assumption_map": lambda n, w: charts.assumption_map(assumptions(n), width=w),
    "roadmap_lanes": lambda n, w: charts.roadmap_lanes(roadmap(n), width=w),
    "roadmap_timeline": lambda n, w: charts.roadmap_timeline(
        roadmap(n), today=date(2026, 3, 1), width=w
    ),
    "feedback": lambda n, w: charts.feedback_chart(feedback(n), width=w),
    "flaws": lambda n, w: charts.flaws_chart(flaws(n), width=w),
    "kpi": _kpis,
    "progress": lambda n, w: charts.progress_chart(progress(n), width=w),
}


# ------------------------------------------------------------------------ helpers


def units(spec: dict[str, Any], data: Any = None) -> Iterator[dict[str, Any]]:
    """Every view with a mark, however deeply layered, concatenated or faceted (with
    the data it inherits from its parent when it has none of its own)."""
    data = spec.get("data", data)
    if "mark" in spec:
        yield {"data": data, **spec} if data is not None else spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from units(child, data)
    if "spec" in spec:
        yield from units(spec["spec"], data)


def mark_type(unit: dict[str, Any]) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def rows(spec: dict[str, Any], unit: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][unit["data"]["name"]]


def all_values(spec: dict[str, Any], column: str) -> set[Any]:
    return {row[column] for data in spec["datasets"].values() for row in data if column in row}


def subtitle(spec: dict[str, Any]) -> str:
    sub = spec.get("title", {}).get("subtitle", [])
    return " ".join([sub] if isinstance(sub, str) else sub)


def find(spec: dict[str, Any], mark: str, field: str | None = None) -> list[dict[str, Any]]:
    found = [u for u in units(spec) if mark_type(u) == mark]
    if field is not None:
        found = [u for u in found if field in fields(u)]
    return found


def fields(unit: dict[str, Any]) -> list[str]:
    """The fields a view encodes (tooltips included)."""
    found = []
    for channel in unit.get("encoding", {}).values():
        for enc in channel if isinstance(channel, list) else [channel]:
            if isinstance(enc, dict) and "field" in enc:
                found.append(enc["field"])
    return found


# ------------------------------------------------------------------ every chart


@pytest.mark.parametrize("name", BUILDERS)
def test_empty_input_gives_the_empty_state(name: str) -> None:
    spec = BUILDERS[name](0, None).to_dict()
    texts = find(spec, "text", "message")
    assert len(texts) == 1
    assert rows(spec, texts[0])[0]["message"].startswith(charts.EMPTY_TEXT)
    assert spec["title"]["text"]


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("n", [1, 500])
def test_one_and_five_hundred_rows_build(name: str, n: int) -> None:
    spec = BUILDERS[name](n, 700).to_dict()
    assert not find(spec, "text", "message")  # not the empty state
    assert spec["config"]["font"] == charts.FONT


@pytest.mark.parametrize("name", BUILDERS)
def test_the_same_input_gives_the_same_spec(name: str) -> None:
    first = json.dumps(BUILDERS[name](40, None).to_dict(), sort_keys=True)
    assert json.dumps(BUILDERS[name](40, None).to_dict(), sort_keys=True) == first


@pytest.mark.parametrize("name", BUILDERS)
def test_renders_to_svg_at_an_explicit_width(name: str) -> None:
    svg = vlc.vegalite_to_svg(BUILDERS[name](25, 700).to_dict())
    assert svg.startswith("<svg") and 'width="' in svg


def test_a_pages_svg_is_drawn_once_in_a_process_of_its_own() -> None:
    """charts/svg.drawn: not waited for, a new spec is not drawn yet (it is being drawn
    in the drawing process, never in the caller's, whose interpreter lock vl-convert
    would hold); waited for, it is the SVG vl-convert draws in the caller's process;
    asked again, it is there at once."""
    spec = chart_svg.svg_spec(
        charts.value_effort_chart(features(40), width=500, title="Drawn once"),
        font=chart_svg.FONT_ON_PAGE,
    )
    assert chart_svg.drawn(spec) is None
    svg = chart_svg.drawn(spec, wait=120.0)
    assert svg is not None and svg == chart_svg.render(spec)
    assert 'width="500"' in svg and "Drawn once" in svg
    assert chart_svg.FONT in svg  # measured and drawn in the shipped font first
    assert chart_svg.drawn(spec) == svg


def test_the_drawing_process_stops_with_the_server_dropping_what_is_queued() -> None:
    """At exit the drawings not started are dropped and the drawing process stopped:
    concurrent.futures would otherwise join it after every queued drawing, and a server
    told to stop waited for them."""
    specs = [
        chart_svg.svg_spec(charts.value_effort_chart(features(30), width=400, title=f"Q{i}"))
        for i in range(12)
    ]
    futures = []
    for spec in specs:  # each as it is queued (a warm process may finish the first ones)
        chart_svg.drawn(spec)
        future = chart_svg._pending.get(chart_svg.digest(spec))
        if future is not None:
            futures.append(future)
    pool = chart_svg._process
    assert pool is not None and futures
    workers = list(pool._processes.values())
    chart_svg._stop()
    assert chart_svg._process is None
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive()
    assert all(f.cancelled() or f.done() for f in futures)
    assert any(f.cancelled() for f in futures), "the queued drawings are dropped"
    # a later drawing starts the process again
    assert chart_svg.drawn(specs[0], wait=120.0) is not None


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_render_all_draws_in_a_helper_beside_the_caller_and_keeps_the_order() -> None:
    """With a helper (the export worker starts one), the specs are shared between the
    caller and the helper process: the same SVGs as drawn one by one, in order; the
    helper drew some of them; a dead helper is replaced and its specs drawn anyway."""
    specs = [
        chart_svg.svg_spec(charts.value_effort_chart(features(60, seed=i), width=420 + i))
        for i in range(6)
    ]
    alone = [chart_svg.render(spec) for spec in specs]
    try:
        chart_svg.start_helper()
        helper = chart_svg._helper_pool()
        assert helper is not None
        pid = helper.submit(os.getpid).result(timeout=120)
        assert pid != os.getpid()
        before = _cpu_ticks(pid)
        assert chart_svg.render_all(specs) == alone
        assert _cpu_ticks(pid) > before, "the helper drew none of them"

        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):  # the pool sees its process die
            helper.submit(os.getpid).result(timeout=60)
        assert chart_svg.render_all(specs[:3]) == alone[:3]
        replaced = chart_svg._helper_pool()
        assert replaced is not None and replaced is not helper
        assert replaced.submit(os.getpid).result(timeout=120) not in (pid, os.getpid())
    finally:
        chart_svg._helper_wanted = False
        chart_svg._stop_helper()


def test_width_none_fills_the_container_and_an_int_is_the_whole_width() -> None:
    page = charts.value_effort_chart(features(10)).to_dict()
    assert page["width"] == "container"
    assert "autosize" not in page
    pdf = charts.value_effort_chart(features(10), width=640).to_dict()
    assert pdf["width"] == 640
    assert pdf["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_building_charts_switches_on_no_global_theme() -> None:
    before = alt.theme.active
    charts.progress_chart(progress(5))
    assert alt.theme.active == before
    assert charts.theme()["range"]["category"] == charts.CATEGORY


# ------------------------------------------------------------------ each chart


def test_value_effort_chart_encodings_quadrants_and_labels() -> None:
    df = features(60)
    spec = charts.value_effort_chart(df, top_n=8).to_dict()
    (points,) = find(spec, "circle")
    enc = points["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("effort", "quantitative")
    assert (enc["y"]["field"], enc["y"]["type"]) == ("value", "quantitative")
    assert enc["color"]["scale"]["domain"] == list(scoring.QUADRANTS)
    assert [t["field"] for t in enc["tooltip"]] == [
        "feature",
        "persona",
        "value",
        "effort",
        "rice",
        "quadrant",
    ]
    assert {"Quick wins", "Big bets", "Fill-ins", "Money pits"} <= all_values(spec, "label")
    assert len(find(spec, "rect")) == 1 and len(find(spec, "rule")) == 2
    point_labels = [
        row for u in find(spec, "text", "label") for row in rows(spec, u) if "id" in row
    ]
    assert 0 < len(point_labels) <= 8
    # The labelled features are among the top 8 by RICE.
    top = set(df.assign(r=scoring.rice_score(df)).nlargest(8, "r")["id"])
    assert {row["id"] for row in point_labels} <= top
    assert "median" in subtitle(spec)


def test_value_effort_chart_skips_unscored_and_says_so() -> None:
    df = features(5)
    df.loc[0, "value"] = None
    spec = charts.value_effort_chart(df).to_dict()
    (points,) = find(spec, "circle")
    assert len(rows(spec, points)) == 4
    assert "1 feature without value or effort not shown" in subtitle(spec)


def test_score_bars_are_sorted_descending_and_truncated_at_thirty() -> None:
    df = features(120)
    spec = charts.score_bars(df, "rice").to_dict()
    (bars,) = find(spec, "bar")
    assert bars["encoding"]["y"]["sort"] == "-x"
    assert bars["encoding"]["x"]["field"] == "bar"
    data = rows(spec, bars)
    assert len(data) == 30
    values = [row["bar"] for row in data]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(scoring.rice_score(df).max())
    assert "Top 30 of 120 scored features shown" in subtitle(spec)


def test_score_bars_moscow_puts_must_longest() -> None:
    df = features(4).assign(moscow=["could", "must", "wont", "should"])
    spec = charts.score_bars(df, "moscow").to_dict()
    (bars,) = find(spec, "bar")
    assert [(r["feature"], r["bar"]) for r in rows(spec, bars)] == [
        ("Feature 2", 4),
        ("Feature 4", 3),
        ("Feature 1", 2),
        ("Feature 3", 1),
    ]
    assert "Must" in bars["encoding"]["x"]["axis"]["labelExpr"]


def test_robustness_chart_sorts_by_median_rank_and_shows_the_interval() -> None:
    mc = scoring.monte_carlo(features(12), k=3, draws=500)
    spec = charts.robustness_chart(mc).to_dict()
    assert len(spec["hconcat"]) == 2
    (chance,) = find(spec, "bar")
    assert chance["encoding"]["x"]["field"] == "p_top_k"
    assert chance["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert chance["encoding"]["x"]["title"] == "Chance of the top 3"
    expected = mc.sort_values(["median_rank", "rank_p10", "id"], kind="stable")["title"].tolist()
    assert chance["encoding"]["y"]["sort"] == expected
    (interval,) = [u for u in find(spec, "rule") if "x2" in u["encoding"]]
    assert interval["encoding"]["x"]["field"] == "rank_p10"
    assert interval["encoding"]["x2"]["field"] == "rank_p90"
    (median,) = find(spec, "point")
    assert median["encoding"]["x"]["field"] == "median_rank"
    assert "sentence" in [t["field"] for t in chance["encoding"]["tooltip"]]


def test_assumption_map_quadrants_status_colours_and_no_hidden_points() -> None:
    df = assumptions(80)
    spec = charts.assumption_map(df).to_dict()
    (points,) = find(spec, "circle")
    enc = points["encoding"]
    assert enc["color"]["field"] == "status"
    assert enc["color"]["scale"]["domain"] == ["Untested", "Testing", "Validated", "Invalidated"]
    assert set(charts.ASSUMPTION_QUADRANTS.values()) <= all_values(spec, "label")
    assert spec["resolve"]["scale"]["color"] == "independent"  # statuses keep their colours
    positions = {(row["x_at"], row["y_at"]) for row in rows(spec, points)}
    assert len(positions) == 80  # each assumption has a place of its own
    for row in rows(spec, points):  # and stays near its cell
        assert abs(row["x_at"] - row["evidence"]) <= 0.33
        assert abs(row["y_at"] - row["importance"]) <= 0.33


def test_roadmap_lanes_have_fixed_lanes_and_a_more_card() -> None:
    df = roadmap(40).assign(lane="now")
    spec = charts.roadmap_lanes(df, per_lane=10).to_dict()
    (cards,) = find(spec, "rect")
    assert cards["encoding"]["x"]["scale"]["domain"] == ["now", "next", "later"]
    assert cards["encoding"]["color"]["field"] == "status"
    assert len(rows(spec, cards)) == 10
    assert "+30 more" in all_values(spec, "item")


def _marks(node: Any, kind: str) -> list[dict[str, Any]]:
    """The items of every ``kind`` mark in a Vega scenegraph."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("marktype") == kind and node.get("role") == "mark":
            found.extend(node["items"])
        for value in node.values():
            found.extend(_marks(value, kind))
    elif isinstance(node, list):
        for value in node:
            found.extend(_marks(value, kind))
    return found


@pytest.mark.parametrize("width", [360, 900])
def test_roadmap_lane_titles_stay_inside_their_cards_at_any_width(width: int) -> None:
    """A page column stretches the chart to its own width: the titles once started left
    of their card and ran into the next lane when it was narrower than assumed."""
    df = roadmap(6).assign(
        lane=["now", "now", "next", "next", "later", "later"],
        title=["Receipt scan v2: line-item OCR and a very long title"] * 6,
    )
    spec = charts.roadmap_lanes(df).to_dict()
    spec["width"] = width
    scene = vlc.vegalite_to_scenegraph(spec)
    cards = sorted((c["x"], c["y"], c["width"]) for c in _marks(scene, "rect") if "width" in c)
    texts = [t for t in _marks(scene, "text") if t.get("text", "").startswith("Receipt")]
    assert len(texts) == 6
    for text in texts:
        left = text["x"] + text.get("dx", 0)
        card = next(c for c in cards if c[0] <= text["x"] < c[0] + c[2])
        assert card[0] < left < card[0] + 20, (width, text, card)
        assert left + text["limit"] <= card[0] + card[2], (width, text, card)


def test_roadmap_timeline_is_temporal_grouped_by_owner_with_milestones_and_today() -> None:
    df = roadmap(12)
    spec = charts.roadmap_timeline(df, today=date(2026, 3, 1)).to_dict()
    (bars,) = find(spec, "bar")
    enc = bars["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("start", "temporal")
    assert enc["x2"]["field"] == "until"
    assert enc["color"]["field"] == "who"
    owners = [row["who"] for row in rows(spec, bars)]
    assert owners == sorted(owners, key=lambda o: (o == "Unassigned", o))
    assert enc["y"]["sort"] == [row["label"] for row in rows(spec, bars)]
    diamonds = [u for u in find(spec, "point") if u["mark"]["shape"] == "diamond"]
    assert len(rows(spec, diamonds[0])) == 3  # items 1, 5, 9 carry a milestone
    (today,) = find(spec, "rule", "today")
    assert today["encoding"]["x"]["type"] == "temporal"
    assert "today" not in json.dumps(charts.roadmap_timeline(df).to_dict())


def test_roadmap_timeline_limits_rows_and_counts_undated_items() -> None:
    df = roadmap(200)
    df.loc[:9, ["start_date", "end_date"]] = None
    spec = charts.roadmap_timeline(df, max_items=60).to_dict()
    (bars,) = find(spec, "bar")
    assert len(rows(spec, bars)) == 60
    assert "10 items without dates not shown" in subtitle(spec)
    assert "The 60 earliest of 190 dated items shown" in subtitle(spec)


def test_feedback_chart_counts_per_month_by_sentiment_one_row_per_kind() -> None:
    df = feedback(300)
    spec = charts.feedback_chart(df).to_dict()
    assert spec["facet"]["row"]["field"] == "kind"
    (bars,) = find(spec, "bar")
    enc = bars["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"], enc["x"]["timeUnit"]) == (
        "period",
        "temporal",
        "yearmonth",
    )
    assert enc["color"]["scale"]["domain"] == ["Positive", "Neutral", "Negative"]
    assert sum(row["count"] for row in spec["datasets"][spec["data"]["name"]]) == 300
    weekly = charts.feedback_chart(df, period="week").to_dict()
    assert find(weekly, "bar")[0]["encoding"]["x"]["timeUnit"] == "yearweek"


def test_flaws_chart_orders_severity_low_to_critical() -> None:
    spec = charts.flaws_chart(flaws(50)).to_dict()
    (bars,) = find(spec, "bar")
    enc = bars["encoding"]
    order = ["Low", "Medium", "High", "Critical"]
    assert enc["x"]["sort"] == order
    assert enc["x"]["scale"]["domain"] == order
    assert enc["color"]["scale"]["domain"] == ["Open", "In progress", "Fixed", "Won't fix"]
    assert enc["y"]["aggregate"] == "sum"
    # Even with only critical flaws, every severity keeps its place on the axis.
    only = charts.flaws_chart(flaws(3).assign(severity="critical")).to_dict()
    assert find(only, "bar")[0]["encoding"]["x"]["scale"]["domain"] == order


def test_kpi_chart_small_multiples_with_target_baseline_and_progress() -> None:
    spec = charts.kpi_chart(readings(12, 3), key_results(3)).to_dict()
    assert len(spec["concat"]) == 3
    panel = spec["concat"][0]
    (line,) = find(panel, "line")
    assert (line["encoding"]["x"]["field"], line["encoding"]["x"]["type"]) == (
        "measured_on",
        "temporal",
    )
    assert [t["field"] for t in line["encoding"]["tooltip"]][-1] == "progress"
    (rule,) = find(panel, "rule")
    assert {(r["line"], r["value"]) for r in rows(spec, rule)} == {
        ("Target", 50.0),
        ("Baseline", 10.0),
    }
    assert rule["encoding"]["strokeDash"]["field"] == "line"
    assert "Target 50 % by 31 Dec 2026 (dashed)" in " ".join(panel["title"]["subtitle"])
    progress_text = {row["progress"] for row in rows(spec, line)}
    assert "0% of the way to target" in progress_text  # 10 is the baseline


def test_kpi_chart_shows_a_kpi_without_readings_and_limits_the_panels() -> None:
    spec = charts.kpi_chart(readings(0, 1), key_results(1)).to_dict()
    assert "No readings yet" in all_values(spec, "text")
    many = charts.kpi_chart(readings(40, 7), key_results(7), max_kpis=4).to_dict()
    assert len(many["concat"]) == 4
    assert "First 4 of 7 KPIs shown" in subtitle(many)


def test_progress_chart_has_a_fixed_step_order_and_a_full_domain() -> None:
    shuffled = progress(5).iloc[[3, 0, 4, 1, 2]]
    spec = charts.progress_chart(shuffled).to_dict()
    bars = find(spec, "bar", "score")
    assert len(bars) == 1
    enc = bars[0]["encoding"]
    assert enc["x"]["scale"]["domain"] == [0, 1]
    assert enc["x"]["axis"]["format"] == "%"
    assert enc["y"]["sort"] == [
        "1. Problem & audience",
        "2. Vision",
        "3. Designs",
        "4. Implementation",
        "5. Feedback",
    ]


def test_vote_chart_ranks_items_and_tells_same_labels_apart() -> None:
    tally = pd.DataFrame(
        {
            "target_kind": ["note", "feature", "note"],
            "target_id": [1, 7, 2],
            "label": ["Same", "Plan", "Same"],
            "votes": [2, 5, 1],
        }
    )
    spec = charts.vote_chart(tally).to_dict()
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    values = next(iter(spec["datasets"].values()))
    assert [v["item"] for v in values] == ["Plan", "Same", "Same (#2)"]
    assert bars["encoding"]["y"]["sort"] == ["Plan", "Same", "Same (#2)"]
    assert [v["votes"] for v in values] == [5, 2, 1]


def test_every_builder_declares_the_altair_chart_type_it_returns() -> None:
    """Builders say what they return (``alt.Chart | alt.LayerChart``…), never ``Any``."""
    import inspect
    import typing

    builders = [f for name, f in vars(charts).items() if inspect.isfunction(f) and name != "theme"]
    assert len(builders) >= 11
    for builder in builders:
        returned = typing.get_type_hints(builder)["return"]
        kinds = typing.get_args(returned) or (returned,)
        assert all(isinstance(k, type) and issubclass(k, alt.TopLevelMixin) for k in kinds), (
            builder.__name__,
            returned,
        )
