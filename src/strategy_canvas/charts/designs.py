"""Step 3, Designs: value vs effort, the scores under a framework, robustness."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from strategy_canvas import scoring
from strategy_canvas.charts.common import (
    clip_text,
    corner_labels,
    empty_chart,
    finish_chart,
    ids_of,
    in_list_order,
    layered,
    plural,
    set_top_level,
    short_labels,
    single_width,
    text_of,
)
from strategy_canvas.charts.theme import (
    ACCENT,
    DEFAULT_WIDTH,
    EMPTY_TEXT,
    FAINT,
    GREEN,
    INK,
    MUTED,
    ORANGE,
    QUADRANT_COLOURS,
)

PLOT_HEIGHT = 360
#: The value axis runs past 1..10 so the quadrant names in the corners clear the points.
VALUE_LOW, VALUE_HIGH = 0.2, 10.8
#: Where a point's label may go, tried in this order (mark_text settings for each).
_LABEL_OFFSETS: dict[str, dict[str, Any]] = {
    "right": {"align": "left", "baseline": "middle", "dx": 8},
    "left": {"align": "right", "baseline": "middle", "dx": -8},
    "above": {"align": "center", "baseline": "bottom", "dy": -8},
    "below": {"align": "center", "baseline": "top", "dy": 8},
    "above right": {"align": "left", "baseline": "bottom", "dx": -4, "dy": -7},
    "below right": {"align": "left", "baseline": "top", "dx": -4, "dy": 7},
    "above left": {"align": "right", "baseline": "bottom", "dx": 4, "dy": -7},
    "below left": {"align": "right", "baseline": "top", "dx": 4, "dy": 7},
}


def _place_labels(
    x: pd.Series,
    y: pd.Series,
    texts: pd.Series,
    *,
    points: tuple[pd.Series, pd.Series],
    bounds: tuple[float, float],
    keep_out: Sequence[tuple[float, float, float, float]] = (),
    char_px: float = 6.0,
    line_px: float = 13.0,
) -> list[str]:
    """Greedy label placement in (estimated) pixels: each label, in priority order, takes
    the first side of its point where it overlaps no point, no placed label and nothing
    in ``keep_out``; a label with no free side is left out ("")."""
    taken = [(px - 5, py - 5, px + 5, py + 5) for px, py in zip(*points, strict=True)]
    taken += list(keep_out)
    width, height = bounds
    placements = []
    for px, py, text in zip(x, y, texts, strict=True):
        w = len(text) * char_px
        boxes = {
            "right": (px + 8, py - line_px / 2, px + 8 + w, py + line_px / 2),
            "left": (px - 8 - w, py - line_px / 2, px - 8, py + line_px / 2),
            "above": (px - w / 2, py - 8 - line_px, px + w / 2, py - 8),
            "below": (px - w / 2, py + 8, px + w / 2, py + 8 + line_px),
            "above right": (px - 4, py - 7 - line_px, px - 4 + w, py - 7),
            "below right": (px - 4, py + 7, px - 4 + w, py + 7 + line_px),
            "above left": (px + 4 - w, py - 7 - line_px, px + 4, py - 7),
            "below left": (px + 4 - w, py + 7, px + 4, py + 7 + line_px),
        }
        chosen = ""
        for where, box in boxes.items():
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlap(box, other) for other in taken):
                chosen = where
                taken.append(box)
                break
        placements.append(chosen)
    return placements


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def value_effort_chart(
    df: pd.DataFrame,
    *,
    top_n: int = 8,
    effort_threshold: float | None = None,
    width: int | None = None,
    title: str = "Value vs effort",
) -> alt.Chart | alt.LayerChart:
    """Value (1–10) against effort (person-months) with the four quadrants labelled.

    Quick wins sit top-left, big bets top-right, fill-ins bottom-left, money pits
    bottom-right; the effort split is the median effort unless ``effort_threshold`` is
    given. The ``top_n`` features by RICE (else by value per effort) are labelled; a
    ``persona`` column, when present, shows in the tooltip.
    """
    quadrants = scoring.value_effort(df, effort_threshold=effort_threshold)
    data = pd.DataFrame(
        {
            "id": ids_of(df),
            "feature": text_of(df, "title", "Untitled"),
            "value": quadrants["value"],
            "effort": quadrants["effort"],
            "quadrant": quadrants["quadrant"],
            "rice": scoring.rice_score(df).round(1),
            "ratio": quadrants["ratio"].round(2),
        },
        index=df.index,
    )
    tooltip_persona = "persona" in df.columns
    if tooltip_persona:
        data["persona"] = text_of(df, "persona")
    data = data.dropna(subset=["value", "effort"])
    if data.empty:
        return empty_chart(title, width, f"{EMPTY_TEXT}: no feature has a value and an effort")
    data = in_list_order(data)
    split = float(quadrants.attrs["effort_threshold"])
    top = scoring.VALUE_THRESHOLD
    x_max = max(float(data["effort"].max()) * 1.1, split * 2, 1.0)
    x_max = math.ceil(x_max)

    regions = pd.DataFrame(
        {
            "quadrant": list(scoring.QUADRANTS),
            "x": [0, split, 0, split],
            "x2": [split, x_max, split, x_max],
            "y": [top, top, VALUE_LOW, VALUE_LOW],
            "y2": [VALUE_HIGH, VALUE_HIGH, top, top],
        }
    )
    x_scale = alt.Scale(domain=[0, x_max], nice=False, zero=True)
    y_scale = alt.Scale(domain=[VALUE_LOW, VALUE_HIGH], nice=False)
    colour = alt.Color(
        "quadrant:N",
        scale=alt.Scale(domain=list(QUADRANT_COLOURS), range=list(QUADRANT_COLOURS.values())),
        legend=None,
    )
    background = (
        alt.Chart(regions)
        .mark_rect(opacity=0.07)
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            x2=alt.X2("x2:Q"),
            y=alt.Y("y:Q", scale=y_scale),
            y2=alt.Y2("y2:Q"),
            color=colour,
        )
    )
    corner = pd.DataFrame(
        {
            "label": [q + ("s" if not q.endswith("s") else "") for q in scoring.QUADRANTS],
            "quadrant": list(scoring.QUADRANTS),
            "x": [0, x_max, 0, x_max],
            # Just inside the corners (the value axis has room past 1 and 10 for them).
            "y": [VALUE_HIGH - 0.25, VALUE_HIGH - 0.25, VALUE_LOW + 0.25, VALUE_LOW + 0.25],
            "side": ["left", "right", "left", "right"],
        }
    )
    corners = corner_labels(
        corner, x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), colour=colour
    )
    splits = pd.DataFrame({"effort": [split], "value": [top]})
    effort_rule = (
        alt.Chart(splits)
        .mark_rule(color=FAINT, strokeDash=[4, 4])
        .encode(x=alt.X("effort:Q", scale=x_scale))
    )
    value_rule = (
        alt.Chart(splits)
        .mark_rule(color=FAINT, strokeDash=[4, 4])
        .encode(y=alt.Y("value:Q", scale=y_scale))
    )
    tooltip = [
        alt.Tooltip("feature:N", title="Feature"),
        alt.Tooltip("value:Q", title="Value"),
        alt.Tooltip("effort:Q", title="Effort (person-months)"),
        alt.Tooltip("rice:Q", title="RICE", format=",.1f"),
        alt.Tooltip("quadrant:N", title="Quadrant"),
    ]
    if tooltip_persona:
        tooltip.insert(1, alt.Tooltip("persona:N", title="Persona"))
    points = (
        alt.Chart(data)
        .mark_circle(size=90, opacity=0.85, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("effort:Q", scale=x_scale, title="Effort (person-months)"),
            y=alt.Y(
                "value:Q",
                scale=y_scale,
                title="Value (1–10)",
                axis=alt.Axis(values=list(range(1, 11))),
            ),
            color=colour,
            tooltip=tooltip,
        )
    )
    ranked = data.assign(
        _rice=data["rice"].fillna(-np.inf), _ratio=data["ratio"].fillna(-np.inf)
    ).sort_values(["_rice", "_ratio", "id"], ascending=[False, False, True], kind="stable")
    labelled = ranked.head(max(0, top_n)).drop(columns=["_rice", "_ratio"])
    labelled = labelled.assign(label=labelled["feature"].map(lambda t: clip_text(t, 28)))
    plot_width = (DEFAULT_WIDTH if width is None else int(width)) - 70
    labelled["placement"] = _place_labels(
        labelled["effort"] / x_max * plot_width,
        (VALUE_HIGH - labelled["value"]) / (VALUE_HIGH - VALUE_LOW) * PLOT_HEIGHT,
        labelled["label"],
        points=(
            data["effort"] / x_max * plot_width,
            (VALUE_HIGH - data["value"]) / (VALUE_HIGH - VALUE_LOW) * PLOT_HEIGHT,
        ),
        bounds=(plot_width, PLOT_HEIGHT),
        keep_out=[
            (0, 0, 110, 22),
            (plot_width - 110, 0, plot_width, 22),
            (0, PLOT_HEIGHT - 22, 110, PLOT_HEIGHT),
            (plot_width - 110, PLOT_HEIGHT - 22, plot_width, PLOT_HEIGHT),
        ],
    )
    labelled = labelled[labelled["placement"] != ""]
    labels = [
        alt.Chart(labelled[labelled["placement"] == where])
        .mark_text(fontSize=10, color=INK, **_LABEL_OFFSETS[where])
        .encode(
            x=alt.X("effort:Q", scale=x_scale),
            y=alt.Y("value:Q", scale=y_scale),
            text=alt.Text("label:N"),
        )
        for where in _LABEL_OFFSETS
        if (labelled["placement"] == where).any()
    ]
    chart = layered(background, effort_rule, value_rule, *corners, points, *labels)
    notes = [
        f"Effort split at {split:g} person-months"
        + (" (the median)" if effort_threshold is None else "")
        + f", value at {top:g}"
    ]
    if len(labelled):
        notes[0] += f"; labels on the top {min(top_n, len(data))} by RICE, where they fit"
    left_out = len(df) - len(data)
    if left_out:
        notes.append(f"{plural(left_out, 'feature')} without value or effort not shown")
    return finish_chart(
        chart, title=title, subtitle=notes, width=single_width(width), height=PLOT_HEIGHT
    )


# ------------------------------------------------------------------------ scores

_SCORE_FORMATS = {"rice": ",.0f", "ice": ",.0f", "value_effort": ".2f", "weighted": ".1f"}


def score_bars(
    df: pd.DataFrame,
    framework: str = "rice",
    *,
    criteria_df: pd.DataFrame | None = None,
    scores_df: pd.DataFrame | None = None,
    top: int = 30,
    width: int | None = None,
    title: str | None = None,
) -> alt.Chart | alt.LayerChart:
    """Ranked horizontal bars of the features under ``framework`` (a key of
    ``scoring.FRAMEWORKS``), best first, the top ``top`` shown."""
    fw = scoring.framework(framework)
    title = title or f"Features ranked by {fw.label}"
    scores = fw.score(df, criteria_df=criteria_df, scores_df=scores_df)
    data = pd.DataFrame(
        {
            "id": ids_of(df),
            "feature": text_of(df, "title", "Untitled"),
            "score": scores,
            "bar": fw.bar_value(scores),
            "rank": fw.rank(scores),
        },
        index=df.index,
    ).dropna(subset=["score"])
    if data.empty:
        return empty_chart(title, width, f"{EMPTY_TEXT}: no feature is scored for {fw.label}")
    data = data.sort_values(["rank", "id"], kind="stable")
    scored = len(data)
    data = data.head(top).copy()
    data["label"] = short_labels(data["feature"], data["id"])
    if framework == "moscow":
        order = scoring.MOSCOW_ORDER
        data["shown"] = data["score"].map(lambda r: scoring.MOSCOW_LABELS[order[int(r) - 1]])
    else:
        data["shown"] = data["score"].map(lambda v: format(v, _SCORE_FORMATS.get(framework, ".2f")))

    large = float(data["bar"].abs().max()) >= 1_000_000
    axis = alt.Axis(grid=True, labelOverlap="greedy", tickCount=5, format="~s" if large else ",~f")
    if framework == "moscow":
        axis = alt.Axis(
            values=[1, 2, 3, 4],
            labelExpr="['', 'Won\\'t', 'Could', 'Should', 'Must'][datum.value]",
        )
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
        # Room past the longest bar for its value.
        x=alt.X(
            "bar:Q",
            title=fw.unit,
            axis=axis,
            scale=alt.Scale(zero=True, domainMax=float(data["bar"].max()) * 1.15),
        ),
        tooltip=[
            alt.Tooltip("feature:N", title="Feature"),
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("shown:N", title=fw.label),
        ],
    )
    bars = base.mark_bar(color=ACCENT, cornerRadiusEnd=2, height={"band": 0.75})
    values = base.mark_text(align="left", dx=4, fontSize=10, color=MUTED).encode(
        text=alt.Text("shown:N")
    )
    notes = []
    if scored > top:
        notes.append(f"Top {top} of {scored:,} scored features shown")
    unscored = len(df) - scored
    if unscored:
        notes.append(f"{plural(unscored, 'feature')} not scored for {fw.label} yet")
    return finish_chart(
        layered(bars, values),
        title=title,
        subtitle=notes,
        width=single_width(width),
        height=alt.Step(22),
    )


# -------------------------------------------------------------------- robustness


def robustness_chart(
    mc_df: pd.DataFrame,
    *,
    k: int | None = None,
    top: int = 30,
    width: int | None = None,
    title: str = "How robust is the ranking?",
) -> alt.Chart | alt.HConcatChart:
    """Per feature, the chance of landing in the top k (bar) and the rank it takes in
    80 % of the runs (a line from p10 to p90, a dot at the median), sorted by median
    rank. Takes the output of ``scoring.monte_carlo``."""
    k = int(k or mc_df.attrs.get("k", 5))
    draws = mc_df.attrs.get("draws")
    if mc_df.empty or "p_top_k" not in mc_df.columns:
        return empty_chart(title, width)
    data = mc_df.dropna(subset=["p_top_k", "median_rank"])
    if data.empty:
        return empty_chart(title, width, f"{EMPTY_TEXT}: no feature has the inputs to be ranked")
    data = data.assign(id=ids_of(data)).sort_values(
        ["median_rank", "rank_p10", "id"], kind="stable"
    )
    ranked = len(data)
    data = data.head(top)
    data = pd.DataFrame(
        {
            "label": short_labels(text_of(data, "title", "Untitled"), data["id"]),
            "p_top_k": data["p_top_k"].astype(float),
            "rank_p10": data["rank_p10"].astype(float),
            "median_rank": data["median_rank"].astype(float),
            "rank_p90": data["rank_p90"].astype(float),
            "verdict": text_of(data, "verdict").map(str.capitalize),
            "sentence": text_of(data, "sentence"),
        }
    )
    order = data["label"].tolist()
    total = DEFAULT_WIDTH if width is None else int(width)
    inner = max(total - 260, 200)
    colour = alt.Color(
        "verdict:N",
        title="Verdict",
        scale=alt.Scale(domain=["Solid", "Fragile"], range=[GREEN, ORANGE]),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Feature"),
        alt.Tooltip("sentence:N", title="In short"),
    ]
    y = alt.Y("label:N", sort=order, title=None)
    chance = set_top_level(
        alt.Chart(data)
        .mark_bar(height={"band": 0.7})
        .encode(
            y=y,
            x=alt.X(
                "p_top_k:Q",
                title=f"Chance of the top {k}",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.5, 1]),
            ),
            color=colour,
            tooltip=tooltip,
        ),
        width=round(inner * 0.35),
        height=alt.Step(22),
    )
    rank_scale = alt.Scale(domain=[1, max(float(data["rank_p90"].max()), 2.0)], nice=False)
    spread = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, axis=None), tooltip=tooltip)
    interval = spread.mark_rule(strokeWidth=3, opacity=0.6).encode(
        x=alt.X("rank_p10:Q", title="Rank in 80% of runs (1 = best)", scale=rank_scale),
        x2=alt.X2("rank_p90:Q"),
        color=colour,
    )
    median = spread.mark_point(filled=True, size=60, opacity=1).encode(
        x=alt.X("median_rank:Q", scale=rank_scale), color=colour
    )
    cut = (
        alt.Chart(pd.DataFrame({"k": [k + 0.5]}))
        .mark_rule(color=FAINT, strokeDash=[4, 4])
        .encode(x=alt.X("k:Q", scale=rank_scale))
    )
    ranks = set_top_level(
        layered(cut, interval, median), width=round(inner * 0.65), height=alt.Step(22)
    )
    chart = alt.hconcat(chance, ranks, spacing=16).resolve_scale(y="shared")
    notes = [
        f"{draws:,} runs with the estimates varied" if draws else "Estimates varied at random",
        f"Bars: share of runs in the top {k}. Lines: the middle 80% of ranks, dot at the median",
    ]
    subtitle = notes
    if ranked > top:
        subtitle.append(f"The {top} best of {ranked:,} ranked features shown")
    return finish_chart(chart, title=title, subtitle=subtitle)
