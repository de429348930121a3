"""The canvas's charts: pure functions from DataFrames to Altair charts.

The same chart objects serve the pages (``st.altair_chart``) and the PDF
(``vl_convert.vegalite_to_svg(chart.to_dict())``). Every builder:

- takes the rows as a DataFrame with the columns of ``items_frame`` for its item type
  (extra columns are ignored, missing optional ones are tolerated);
- takes ``width``: ``None`` fits the page (``"container"``; composite charts such as
  small multiples cannot fill a container, so they use :data:`DEFAULT_WIDTH`), an int is
  the total width in pixels, which the PDF passes;
- takes ``title`` (a sensible default otherwise) and notes what it left out in a
  subtitle ("Top 30 of 120 shown");
- returns a chart with a "No data yet" text in place of marks when there is nothing to
  draw, never raises on empty or partial input, and limits labels on large inputs;
- carries its look in its own ``config`` (:func:`theme`), so nothing global is
  switched on at import (Vega-Lite allows a config only on a top-level chart, so
  show these charts as they are rather than layering or concatenating them);
- is deterministic: the same input gives the same ``to_dict()`` (no auto-named
  parameters, data in a fixed order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from strategy_canvas import scoring

DEFAULT_WIDTH = 640
EMPTY_TEXT = "No data yet"

FONT = "Inter, 'Helvetica Neue', Helvetica, Arial, 'DejaVu Sans', sans-serif"
INK = "#1F2933"
MUTED = "#52606D"
FAINT = "#9AA5B1"
GRID = "#E4E7EB"
ACCENT = "#0072B2"

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
GREEN = "#009E73"
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#8792A2"
LIGHT_GREY = "#C5CCD6"
CATEGORY = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, "#7F6A3B", GREY, "#000000"]

QUADRANT_COLOURS = {
    "Quick win": GREEN,
    "Big bet": BLUE,
    "Fill-in": GREY,
    "Money pit": VERMILLION,
}
VERDICT_COLOURS = {"solid": GREEN, "fragile": ORANGE}
ASSUMPTION_STATUS = {
    "untested": GREY,
    "testing": BLUE,
    "validated": GREEN,
    "invalidated": VERMILLION,
}
ROADMAP_STATUS = {"planned": GREY, "in_progress": BLUE, "done": GREEN, "blocked": VERMILLION}
SENTIMENT_COLOURS = {"positive": GREEN, "neutral": LIGHT_GREY, "negative": VERMILLION}
FEEDBACK_KINDS = ("praise", "problem", "request", "question", "bug")
SEVERITY_ORDER = ("low", "medium", "high", "critical")
FIX_STATUS = {
    "open": VERMILLION,
    "in_progress": ORANGE,
    "fixed": GREEN,
    "wont_fix": LIGHT_GREY,
}
ASSUMPTION_QUADRANTS = {
    # (importance high?, evidence high?) -> label
    (True, False): "Test first",
    (True, True): "Build on it",
    (False, False): "Revisit later",
    (False, True): "Safe to park",
}
LANES = ("now", "next", "later")


def theme() -> dict[str, Any]:
    """The look of every chart: fonts, colours, axes. Applied per chart as its config."""
    return {
        "font": FONT,
        "background": "white",
        "padding": 8,
        "title": {
            "fontSize": 15,
            "fontWeight": 600,
            "color": INK,
            "anchor": "start",
            "subtitleColor": MUTED,
            "subtitleFontSize": 11,
            "offset": 10,
        },
        "axis": {
            "labelColor": MUTED,
            "labelFontSize": 11,
            "titleColor": INK,
            "titleFontSize": 12,
            "titleFontWeight": 500,
            "gridColor": GRID,
            "domainColor": LIGHT_GREY,
            "tickColor": LIGHT_GREY,
            "labelLimit": 220,
        },
        "legend": {
            "labelColor": MUTED,
            "labelFontSize": 11,
            "titleColor": INK,
            "titleFontSize": 11,
            "orient": "bottom",
            "direction": "horizontal",
            "symbolType": "circle",
        },
        "header": {"labelColor": INK, "labelFontSize": 12, "titleColor": INK},
        "view": {"stroke": None},
        "range": {"category": CATEGORY},
        "bar": {"color": ACCENT},
        "line": {"color": ACCENT},
        "point": {"color": ACCENT},
        "text": {"color": INK, "fontSize": 11},
        "concat": {"spacing": 24},
    }


# ------------------------------------------------------------------------ helpers


def _finish(
    chart: Any,
    *,
    title: str,
    subtitle: str | Sequence[str] | None = None,
    width: int | str | None = None,
    height: Any = None,
) -> Any:
    """Title, size and theme on the top-level chart (the last step of every builder)."""
    # Plain dicts, not alt.Title / alt.Config objects: Altair validates those on
    # construction (40 ms for the config alone), and to_dict() validates the whole
    # chart anyway.
    lines = [s for s in ([subtitle] if isinstance(subtitle, str) else subtitle or []) if s]
    props: dict[str, Any] = {"title": {"text": title, **({"subtitle": lines} if lines else {})}}
    if width is not None:
        props["width"] = width
    if isinstance(width, int):
        # An explicit width is the whole chart's, axes and legend included (the PDF's
        # column); Vega-Lite's own "width" is the plot area's.
        props["autosize"] = {"type": "fit-x", "contains": "padding"}
    if height is not None:
        props["height"] = height
    props["config"] = theme()
    return _set(chart, **props)


def _set(chart: Any, **props: Any) -> Any:
    """Set top-level properties in place. ``chart.properties()`` and ``configure()``
    deep-copy (and validate) the whole chart on every call, which made a page of small
    multiples take seconds; the charts here are fresh objects, and ``to_dict()``
    validates the result anyway."""
    for name, value in props.items():
        setattr(chart, name, value)
    return chart


def _single_width(width: int | None) -> int | str:
    return "container" if width is None else int(width)


def _empty(title: str, width: int | None, message: str = EMPTY_TEXT) -> alt.Chart:
    """The empty state: the chart's title and a clear message in place of marks."""
    chart = (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=14, color=MUTED)
        .encode(text=alt.Text("message:N"))
    )
    return _finish(chart, title=title, width=_single_width(width), height=120)


def _column(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index, dtype=object)


def _text(df: pd.DataFrame, name: str, default: str = "") -> pd.Series:
    col = _column(df, name)
    return col.astype(object).where(col.notna(), default).astype(str).str.strip()


def _numbers(df: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_column(df, name), errors="coerce").astype(float)


def _dates(df: pd.DataFrame, name: str) -> pd.Series:
    """The column as naive datetimes (date objects, strings or timestamps, a time zone
    dropped); NaT where missing or not a date."""
    values = pd.to_datetime(_column(df, name), errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _labels(titles: pd.Series, ids: pd.Series, limit: int = 42) -> pd.Series:
    """Short, unique labels: long titles cut with "…", repeated ones told apart by id."""
    short = titles.map(lambda t: _clip(str(t) or "Untitled", limit))
    repeated = short.duplicated(keep=False)
    with_id = short + " (#" + ids.astype(str) + ")"
    return short.where(~repeated, with_id)


def _ids(df: pd.DataFrame) -> pd.Series:
    return df["id"] if "id" in df.columns else pd.Series(range(1, len(df) + 1), index=df.index)


def _in_order(df: pd.DataFrame) -> pd.DataFrame:
    """The rows in their list order (position, then id) when those columns exist."""
    keys = [c for c in ("position", "id") if c in df.columns]
    return df.sort_values(keys, kind="stable") if keys else df


def _pretty(value: str) -> str:
    """A stored choice as words: "in_progress" → "In progress", "wont" → "Won't"."""
    special = {"wont": "Won't", "wont_fix": "Won't fix"}
    return special.get(value, value.replace("_", " ").capitalize())


def _colour_scale(mapping: dict[str, str]) -> alt.Scale:
    """A colour scale from stored choices to colours, its domain in words."""
    return alt.Scale(domain=[_pretty(k) for k in mapping], range=list(mapping.values()))


def _number(x: float) -> str:
    """1234.5 → "1,234.5", 40.0 → "40", 0.125 → "0.125" (at most 4 significant digits)."""
    if not math.isfinite(x):
        return "–"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    digits = max(0, 3 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def _epoch_ms(when: pd.Timestamp) -> int:
    """A timestamp as Vega's number for a date: milliseconds since 1970 (UTC)."""
    return int((when - pd.Timestamp("1970-01-01")) / pd.Timedelta(milliseconds=1))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------- value vs effort

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
) -> Any:
    """Value (1–10) against effort (person-months) with the four quadrants labelled.

    Quick wins sit top-left, big bets top-right, fill-ins bottom-left, money pits
    bottom-right; the effort split is the median effort unless ``effort_threshold`` is
    given. The ``top_n`` features by RICE (else by value per effort) are labelled; a
    ``persona`` column, when present, shows in the tooltip.
    """
    quadrants = scoring.value_effort(df, effort_threshold=effort_threshold)
    data = pd.DataFrame(
        {
            "id": _ids(df),
            "feature": _text(df, "title", "Untitled"),
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
        data["persona"] = _text(df, "persona")
    data = data.dropna(subset=["value", "effort"])
    if data.empty:
        return _empty(title, width)
    data = _in_order(data)
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
    corner_labels = [
        alt.Chart(corner[corner["side"] == side])
        .mark_text(
            align=side,
            baseline="middle",
            dx=6 if side == "left" else -6,
            fontSize=12,
            fontWeight=600,
        )
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            y=alt.Y("y:Q", scale=y_scale),
            text=alt.Text("label:N"),
            color=colour,
        )
        for side in ("left", "right")
    ]
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
    labelled = labelled.assign(label=labelled["feature"].map(lambda t: _clip(t, 28)))
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
    chart = alt.layer(background, effort_rule, value_rule, *corner_labels, points, *labels)
    notes = [
        f"Effort split at {split:g} person-months"
        + (" (the median)" if effort_threshold is None else "")
        + f", value at {top:g}"
    ]
    if len(labelled):
        notes[0] += f"; labels on the top {min(top_n, len(data))} by RICE, where they fit"
    left_out = len(df) - len(data)
    if left_out:
        notes.append(f"{_plural(left_out, 'feature')} without value or effort not shown")
    return _finish(
        chart, title=title, subtitle=notes, width=_single_width(width), height=PLOT_HEIGHT
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
) -> Any:
    """Ranked horizontal bars of the features under ``framework`` (a key of
    ``scoring.FRAMEWORKS``), best first, the top ``top`` shown."""
    fw = scoring.framework(framework)
    title = title or f"Features ranked by {fw.label}"
    scores = fw.score(df, criteria_df=criteria_df, scores_df=scores_df)
    data = pd.DataFrame(
        {
            "id": _ids(df),
            "feature": _text(df, "title", "Untitled"),
            "score": scores,
            "bar": fw.bar_value(scores),
            "rank": fw.rank(scores),
        },
        index=df.index,
    ).dropna(subset=["score"])
    if data.empty:
        return _empty(title, width, f"{EMPTY_TEXT}: no feature is scored for {fw.label}")
    data = data.sort_values(["rank", "id"], kind="stable")
    scored = len(data)
    data = data.head(top).copy()
    data["label"] = _labels(data["feature"], data["id"])
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
        notes.append(f"{_plural(unscored, 'feature')} not scored for {fw.label} yet")
    return _finish(
        alt.layer(bars, values),
        title=title,
        subtitle=notes,
        width=_single_width(width),
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
) -> Any:
    """Per feature, the chance of landing in the top k (bar) and the rank it takes in
    80 % of the runs (a line from p10 to p90, a dot at the median), sorted by median
    rank. Takes the output of ``scoring.monte_carlo``."""
    k = int(k or mc_df.attrs.get("k", 5))
    draws = mc_df.attrs.get("draws")
    if mc_df.empty or "p_top_k" not in mc_df.columns:
        return _empty(title, width)
    data = mc_df.dropna(subset=["p_top_k", "median_rank"])
    if data.empty:
        return _empty(title, width, f"{EMPTY_TEXT}: no feature has the inputs to be ranked")
    data = data.assign(id=_ids(data)).sort_values(["median_rank", "rank_p10", "id"], kind="stable")
    ranked = len(data)
    data = data.head(top)
    data = pd.DataFrame(
        {
            "label": _labels(_text(data, "title", "Untitled"), data["id"]),
            "p_top_k": data["p_top_k"].astype(float),
            "rank_p10": data["rank_p10"].astype(float),
            "median_rank": data["median_rank"].astype(float),
            "rank_p90": data["rank_p90"].astype(float),
            "verdict": _text(data, "verdict").map(str.capitalize),
            "sentence": _text(data, "sentence"),
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
    chance = _set(
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
    ranks = _set(alt.layer(cut, interval, median), width=round(inner * 0.65), height=alt.Step(22))
    chart = alt.hconcat(chance, ranks, spacing=16).resolve_scale(y="shared")
    notes = [
        f"{draws:,} runs with the estimates varied" if draws else "Estimates varied at random",
        f"Bars: share of runs in the top {k}. Lines: the middle 80% of ranks, dot at the median",
    ]
    subtitle = notes
    if ranked > top:
        subtitle.append(f"The {top} best of {ranked:,} ranked features shown")
    return _finish(chart, title=title, subtitle=subtitle)


# -------------------------------------------------------------------- assumptions


def _spread_in_cells(cells: pd.DataFrame, x: str, y: str, room: float = 0.64) -> pd.DataFrame:
    """Offsets that lay the points of one (x, y) cell out on a small grid, so points
    that share a cell all show (deterministic, unlike random jitter)."""
    group = cells.groupby([x, y], sort=False)
    nth = group.cumcount().to_numpy()
    size = group[x].transform("size").to_numpy()
    side = np.ceil(np.sqrt(size)).astype(int)
    step = np.where(side > 1, room / np.maximum(side - 1, 1), 0.0)
    col, row = nth % side, nth // side
    rows_used = np.ceil(size / side)
    dx = (col - (side - 1) / 2) * step
    dy = ((rows_used - 1) / 2 - row) * step
    return cells.assign(x_at=cells[x] + dx, y_at=cells[y] + dy)


def assumption_map(
    df: pd.DataFrame, *, width: int | None = None, title: str = "Riskiest assumptions"
) -> Any:
    """Importance (1–5) against evidence (1–5), coloured by status. Top-left — important
    and barely evidenced — is where to test first. Assumptions in the same cell are
    spread on a small grid so each one shows."""
    data = pd.DataFrame(
        {
            "id": _ids(df),
            "statement": _text(df, "statement", "Untitled").map(lambda t: _clip(t, 120)),
            "importance": _numbers(df, "importance").clip(1, 5),
            "evidence": _numbers(df, "evidence").clip(1, 5),
            "status": _text(df, "status", "untested").replace("", "untested").map(_pretty),
        },
        index=df.index,
    ).dropna(subset=["importance", "evidence"])
    if data.empty:
        return _empty(title, width)
    data = _spread_in_cells(_in_order(data), "evidence", "importance")
    # The axes run past 1..5 so the quadrant names in the corners clear the points.
    low, high = 0.2, 5.8
    scale = alt.Scale(domain=[low, high], nice=False)
    axis = alt.Axis(values=[1, 2, 3, 4, 5], grid=False, format="d")
    regions = pd.DataFrame(
        {
            "label": [ASSUMPTION_QUADRANTS[key] for key in ASSUMPTION_QUADRANTS],
            "x": [low, 3, low, 3],
            "x2": [3, high, 3, high],
            "y": [3, 3, low, low],
            "y2": [high, high, 3, 3],
            "shade": [0.10, 0.04, 0.04, 0.02],
        }
    )
    background = (
        alt.Chart(regions)
        .mark_rect(color=VERMILLION)
        .encode(
            x=alt.X("x:Q", scale=scale),
            x2=alt.X2("x2:Q"),
            y=alt.Y("y:Q", scale=scale),
            y2=alt.Y2("y2:Q"),
            opacity=alt.Opacity("shade:Q", scale=None, legend=None),
        )
    )
    corners = regions.assign(
        tx=[low, high, low, high],
        ty=[high - 0.15, high - 0.15, low + 0.15, low + 0.15],  # just inside the corners
        side=["left", "right", "left", "right"],
    )
    labels = list(ASSUMPTION_QUADRANTS.values())
    corner_labels = [
        alt.Chart(corners[corners["side"] == side])
        .mark_text(
            align=side,
            baseline="middle",
            dx=6 if side == "left" else -6,
            fontSize=12,
            fontWeight=600,
        )
        .encode(
            x=alt.X("tx:Q", scale=scale),
            y=alt.Y("ty:Q", scale=scale),
            text=alt.Text("label:N"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=labels, range=[VERMILLION, MUTED, MUTED, MUTED]),
                legend=None,
            ),
        )
        for side in ("left", "right")
    ]
    rules = alt.Chart(pd.DataFrame({"mid": [3.0]})).mark_rule(color=FAINT, strokeDash=[4, 4])
    points = (
        alt.Chart(data)
        .mark_circle(size=80, opacity=0.9, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("x_at:Q", scale=scale, axis=axis, title="Evidence (1 = none, 5 = strong)"),
            y=alt.Y("y_at:Q", scale=scale, axis=axis, title="Importance (1 = low, 5 = critical)"),
            color=alt.Color("status:N", title="Status", scale=_colour_scale(ASSUMPTION_STATUS)),
            tooltip=[
                alt.Tooltip("statement:N", title="Assumption"),
                alt.Tooltip("importance:Q", title="Importance"),
                alt.Tooltip("evidence:Q", title="Evidence"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    chart = alt.layer(
        background,
        rules.encode(x=alt.X("mid:Q", scale=scale)),
        rules.encode(y=alt.Y("mid:Q", scale=scale)),
        *corner_labels,
        points,
    ).resolve_scale(color="independent")  # the corner names' colours are not statuses
    test_first = int(((data["importance"] > 3) & (data["evidence"] < 3)).sum())
    subtitle = f"{_plural(test_first, 'assumption')} to test first" if test_first else None
    return _finish(chart, title=title, subtitle=subtitle, width=_single_width(width), height=360)


# ------------------------------------------------------------------------ roadmap


def roadmap_lanes(
    df: pd.DataFrame,
    *,
    per_lane: int = 12,
    width: int | None = None,
    title: str = "Roadmap: now, next, later",
) -> Any:
    """The roadmap as three lanes of cards, coloured by status; at most ``per_lane``
    cards per lane, then a "+N more" card."""
    data = pd.DataFrame(
        {
            "id": _ids(df),
            "position": _numbers(df, "position"),
            "item": _text(df, "title", "Untitled"),
            "lane": _text(df, "lane", "next").str.lower(),
            "status": _text(df, "status", "planned").replace("", "planned"),
            "owner": _text(df, "owner"),
            "team": _text(df, "team"),
        },
        index=df.index,
    )
    data = data[data["lane"].isin(LANES)]
    if data.empty:
        return _empty(title, width)
    data["lane_at"] = data["lane"].map(LANES.index)
    data = data.sort_values(["lane_at", "position", "id"], kind="stable", na_position="last")
    data["row"] = data.groupby("lane").cumcount()
    counts = data.groupby("lane")["id"].size()
    shown = data[data["row"] < per_lane].copy()
    extra = [
        {"lane": lane, "row": per_lane, "item": f"+{counts[lane] - per_lane} more", "status": ""}
        for lane in LANES
        if counts.get(lane, 0) > per_lane
    ]
    lane_width = ((DEFAULT_WIDTH if width is None else int(width)) - 24) / 3
    shown["card"] = shown["item"]
    shown["status"] = shown["status"].map(_pretty)
    more = pd.DataFrame(extra, columns=["lane", "row", "item", "status"])
    x = alt.X(
        "lane:N",
        scale=alt.Scale(domain=list(LANES), paddingInner=0.06, paddingOuter=0),
        axis=alt.Axis(
            orient="top",
            title=None,
            labelExpr="upper(datum.label)",
            labelAngle=0,
            labelFontSize=12,
            labelFontWeight=600,
            labelColor=INK,
            ticks=False,
            domain=False,
        ),
    )
    rows = max(int(shown["row"].max()) + 1, per_lane + 1 if len(more) else 0)
    y = alt.Y(
        "row:O",
        axis=None,
        scale=alt.Scale(domain=list(range(rows)), paddingInner=0.18, paddingOuter=0.1),
    )
    cards = (
        alt.Chart(shown)
        .mark_rect(cornerRadius=4, strokeWidth=1.5, fillOpacity=0.16)
        .encode(
            x=x,
            y=y,
            # One scale for fill and edge, so the legend shows the status colours once.
            color=alt.Color("status:N", title="Status", scale=_colour_scale(ROADMAP_STATUS)),
            stroke=alt.Stroke("status:N", scale=_colour_scale(ROADMAP_STATUS)),
            tooltip=[
                alt.Tooltip("item:N", title="Item"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("team:N", title="Team"),
            ],
        )
    )
    text = (
        alt.Chart(shown)
        .mark_text(
            align="left",
            dx=-(lane_width / 2) + 10,
            fontSize=11,
            color=INK,
            limit=max(lane_width - 20, 40),
        )
        .encode(x=x, y=y, text=alt.Text("card:N"))
    )
    layers = [cards, text]
    if len(more):
        layers.append(
            alt.Chart(more)
            .mark_text(fontSize=11, color=MUTED, fontStyle="italic")
            .encode(x=x, y=y, text=alt.Text("item:N"))
        )
    notes = ", ".join(f"{_pretty(lane)} {counts.get(lane, 0)}" for lane in LANES)
    return _finish(
        alt.layer(*layers),
        title=title,
        subtitle=f"Items per lane: {notes}",
        width=_single_width(width),
        height=alt.Step(34),
    )


def roadmap_timeline(
    df: pd.DataFrame,
    *,
    group: str = "owner",
    today: date | None = None,
    max_items: int = 60,
    width: int | None = None,
    title: str = "Roadmap timeline",
) -> Any:
    """Bars from start to end date, one row per item, grouped and coloured by owner
    (or ``group="team"``); milestones as diamonds at the item's end; an optional
    dashed "today" line. An item with one date only is drawn as one day. At most
    ``max_items`` rows: the earliest to start, or with ``today`` the current and
    coming ones first."""
    if group not in ("owner", "team"):
        raise ValueError('group must be "owner" or "team"')
    start, end = _dates(df, "start_date"), _dates(df, "end_date")
    data = pd.DataFrame(
        {
            "id": _ids(df),
            "position": _numbers(df, "position"),
            "item": _text(df, "title", "Untitled"),
            "start": start.fillna(end),
            "end": end.fillna(start),
            "who": _text(df, group).replace("", "Unassigned"),
            "status": _text(df, "status", "planned").map(_pretty),
            "milestone": _text(df, "milestone"),
        },
        index=df.index,
    ).dropna(subset=["start"])
    if data.empty:
        return _empty(title, width, f"{EMPTY_TEXT}: no roadmap item has dates")
    flipped = data["end"] < data["start"]
    data.loc[flipped, ["start", "end"]] = data.loc[flipped, ["end", "start"]].to_numpy()
    data["until"] = data["end"] + pd.Timedelta(days=1)  # the end date is inclusive
    dated = len(data)
    if dated > max_items:
        done = (data["until"] <= pd.Timestamp(today)) if today is not None else False
        data = data.assign(_done=done).sort_values(["_done", "start", "id"], kind="stable")
        data = data.head(max_items).drop(columns="_done")
    data["unassigned"] = data["who"] == "Unassigned"  # the unassigned go last
    data = data.sort_values(["unassigned", "who", "start", "position", "id"], kind="stable")
    data["label"] = _labels(data["item"], data["id"], limit=36)
    order = data["label"].tolist()
    many = len(data) > 60  # too many rows to name: hide the names, keep the tooltips
    # The time axis spans the items, today, and room on the right for milestone names.
    first, last = data["start"].min(), data["until"].max()
    if today is not None:
        first, last = min(first, pd.Timestamp(today)), max(last, pd.Timestamp(today))
    room = 0.12 if (data["milestone"] != "").any() and not many else 0.02
    last = last + (last - first) * room + pd.Timedelta(days=1)
    domain = [_epoch_ms(first), _epoch_ms(last)]
    y = alt.Y(
        "label:N",
        sort=order,
        title=None,
        axis=alt.Axis(labels=not many, ticks=False, domain=False, labelLimit=200),
    )
    tooltip = [
        alt.Tooltip("item:N", title="Item"),
        alt.Tooltip("who:N", title=group.capitalize()),
        alt.Tooltip("start:T", title="Start", format="%d %b %Y"),
        alt.Tooltip("end:T", title="End", format="%d %b %Y"),
        alt.Tooltip("status:N", title="Status"),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=3, height={"band": 0.7})
        .encode(
            x=alt.X(
                "start:T",
                title=None,
                axis=alt.Axis(format="%b %Y", labelOverlap=True, tickCount="month"),
                scale=alt.Scale(domain=domain),
            ),
            x2=alt.X2("until:T"),
            y=y,
            color=alt.Color(
                "who:N",
                title=group.capitalize(),
                # Wrap a long legend into rows rather than run off the chart's edge.
                legend=alt.Legend(columns=min(data["who"].nunique(), 5)),
            ),
            tooltip=tooltip,
        )
    )
    layers: list[Any] = [bars]
    milestones = data[data["milestone"] != ""]
    if len(milestones):
        layers.append(
            alt.Chart(milestones)
            .mark_point(shape="diamond", filled=True, size=110, color=INK, opacity=1)
            .encode(
                x=alt.X("until:T"),
                y=y,
                tooltip=[
                    alt.Tooltip("milestone:N", title="Milestone"),
                    alt.Tooltip("end:T", title="Date", format="%d %b %Y"),
                ],
            )
        )
        if len(milestones) <= 15 and not many:
            layers.append(
                alt.Chart(
                    milestones.assign(text=milestones["milestone"].map(lambda t: _clip(t, 24)))
                )
                .mark_text(align="left", dx=9, fontSize=10, color=INK)
                .encode(x=alt.X("until:T"), y=y, text=alt.Text("text:N"))
            )
    if today is not None:
        marker = pd.DataFrame({"today": [pd.Timestamp(today)], "text": ["Today"]})
        layers.append(
            alt.Chart(marker)
            .mark_rule(color=VERMILLION, strokeDash=[5, 3])
            .encode(x=alt.X("today:T"))
        )
        layers.append(
            alt.Chart(marker)
            .mark_text(align="left", baseline="top", dx=4, dy=2, color=VERMILLION, fontSize=10)
            .encode(x=alt.X("today:T"), y=alt.YValue(0), text=alt.Text("text:N"))
        )
    notes = []
    undated = len(df) - dated
    if undated:
        notes.append(f"{_plural(undated, 'item')} without dates not shown")
    if dated > len(data):
        which = "current and coming" if today is not None else "earliest"
        notes.append(f"The {len(data)} {which} of {dated:,} dated items shown")
    if many:
        notes.append(f"{len(data):,} items: names hidden, hover a bar for details")
    return _finish(
        alt.layer(*layers),
        title=title,
        subtitle=notes,
        width=_single_width(width),
        height=alt.Step(8 if many else 24 if len(data) <= 30 else 16),
    )


# ----------------------------------------------------------------------- feedback


def feedback_chart(
    df: pd.DataFrame,
    *,
    period: str | None = None,
    width: int | None = None,
    title: str = "Feedback over time",
) -> Any:
    """Feedback items per week or month (``period`` "week" or "month"; by default weeks
    when the dates span at most four months), stacked by sentiment, one row per kind."""
    received = _dates(df, "received_on")
    data = pd.DataFrame(
        {
            "received": received,
            "kind": _text(df, "kind", "other").replace("", "other"),
            "sentiment": _text(df, "sentiment", "neutral").replace("", "neutral"),
        },
        index=df.index,
    ).dropna(subset=["received"])
    if data.empty:
        return _empty(title, width, f"{EMPTY_TEXT}: no dated feedback")
    if period is None:
        span = (data["received"].max() - data["received"].min()).days
        period = "week" if span <= 120 else "month"
    if period not in ("week", "month"):
        raise ValueError('period must be "week" or "month"')
    freq = "W-SUN" if period == "week" else "M"
    data["period"] = data["received"].dt.to_period(freq).dt.start_time
    counts = (
        data.groupby(["period", "kind", "sentiment"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    counts["kind"] = counts["kind"].map(_pretty)
    counts["sentiment"] = counts["sentiment"].map(_pretty)
    sentiments = [_pretty(s) for s in SENTIMENT_COLOURS]
    counts["stack"] = counts["sentiment"].map(
        lambda s: sentiments.index(s) if s in sentiments else len(sentiments)
    )
    kinds = [_pretty(k) for k in FEEDBACK_KINDS]
    kinds += sorted(set(counts["kind"]) - set(kinds))
    unit = "yearweek" if period == "week" else "yearmonth"
    total = DEFAULT_WIDTH if width is None else int(width)
    inner = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{unit}(period):T",
                title=None,
                axis=alt.Axis(format="%d %b" if period == "week" else "%b %Y", labelOverlap=True),
            ),
            y=alt.Y("sum(count):Q", title="Items", axis=alt.Axis(tickMinStep=1, tickCount=3)),
            color=alt.Color(
                "sentiment:N",
                title="Sentiment",
                scale=alt.Scale(domain=sentiments, range=list(SENTIMENT_COLOURS.values())),
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip(
                    f"{unit}(period):T",
                    title=period.capitalize(),
                    format="%d %b %Y" if period == "week" else "%B %Y",
                ),
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("sentiment:N", title="Sentiment"),
                alt.Tooltip("sum(count):Q", title="Items"),
            ],
        )
    )
    _set(inner, width=max(total - 130, 200), height=70)
    chart = inner.facet(
        row=alt.Row(
            "kind:N",
            sort=kinds,
            title=None,
            header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight=600),
        ),
        spacing=8,
    ).resolve_scale(y="independent")
    undated = len(df) - len(data)
    notes = [f"Per {period}, stacked by sentiment"]
    if undated:
        notes.append(f"{_plural(undated, 'item')} without a date not shown")
    return _finish(chart, title=title, subtitle="; ".join(notes))


def flaws_chart(
    df: pd.DataFrame, *, width: int | None = None, title: str = "Flaws by severity"
) -> Any:
    """The number of flaws per severity (low → critical), stacked by fix status."""
    data = pd.DataFrame(
        {
            "severity": _text(df, "severity", "medium").str.lower(),
            "fix": _text(df, "fix_status", "open").replace("", "open"),
        },
        index=df.index,
    )
    data = data[data["severity"].isin(SEVERITY_ORDER)]
    if data.empty:
        return _empty(title, width)
    counts = data.groupby(["severity", "fix"], sort=True).size().rename("count").reset_index()
    counts["severity"] = counts["severity"].map(_pretty)
    counts["fix"] = counts["fix"].map(_pretty)
    statuses = [_pretty(s) for s in FIX_STATUS]
    counts["stack"] = counts["fix"].map(lambda s: statuses.index(s) if s in statuses else 9)
    severities = [_pretty(s) for s in SEVERITY_ORDER]
    chart = (
        alt.Chart(counts)
        .mark_bar(width={"band": 0.6})
        .encode(
            x=alt.X(
                "severity:N",
                sort=severities,
                scale=alt.Scale(domain=severities),
                title="Severity",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("sum(count):Q", title="Flaws", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "fix:N",
                title="Fix status",
                scale=alt.Scale(domain=statuses, range=list(FIX_STATUS.values())),
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("fix:N", title="Fix status"),
                alt.Tooltip("sum(count):Q", title="Flaws"),
            ],
        )
    )
    still_open = int(data["fix"].isin(["open", "in_progress"]).sum())
    critical = int(
        (
            data["severity"].isin(["high", "critical"]) & data["fix"].isin(["open", "in_progress"])
        ).sum()
    )
    subtitle = (
        f"{still_open:,} of {len(data):,} not fixed yet, {critical:,} of them high or critical"
    )
    return _finish(chart, title=title, subtitle=subtitle, width=_single_width(width), height=260)


# ----------------------------------------------------------------------------- KPIs


def kpi_progress(values: pd.Series, baseline: float | None, target: float | None) -> pd.Series:
    """The share of the way from baseline to target (from 0 without a baseline); NaN
    without a target or when baseline equals target."""
    base = 0.0 if baseline is None or pd.isna(baseline) else float(baseline)
    if target is None or pd.isna(target) or float(target) == base:
        return pd.Series(np.nan, index=values.index)
    return (values - base) / (float(target) - base)


def kpi_chart(
    readings_df: pd.DataFrame,
    key_results_df: pd.DataFrame,
    *,
    columns: int = 2,
    max_kpis: int = 12,
    width: int | None = None,
    title: str = "KPIs against their targets",
) -> Any:
    """One small chart per key result: its readings over time, the target (dashed
    green) and the baseline (dotted grey) as lines, the target date as a diamond; the
    progress from baseline to target in the tooltip."""
    krs = _in_order(key_results_df) if len(key_results_df) else key_results_df
    readings = pd.DataFrame(
        {
            "kr": _numbers(readings_df, "key_result_id"),
            "measured_on": _dates(readings_df, "measured_on"),
            "value": _numbers(readings_df, "value"),
        }
    ).dropna()
    if krs.empty:
        krs = pd.DataFrame({"id": sorted(readings["kr"].unique())})
    if krs.empty:
        return _empty(title, width)
    krs = krs.assign(id=_numbers(krs.assign(id=_ids(krs)), "id"))
    shown = krs.head(max_kpis)
    columns = max(1, min(columns, len(shown)))
    total = DEFAULT_WIDTH if width is None else int(width)
    cell = max(int((total - 24 * (columns - 1)) / columns) - 75, 140)
    panels = []
    for _, kr in shown.iterrows():
        panels.append(_kpi_panel(kr, readings[readings["kr"] == kr["id"]], cell))
    chart = alt.concat(*panels, columns=columns, spacing=24)
    notes = []
    if len(krs) > max_kpis:
        notes.append(f"First {max_kpis} of {len(krs)} KPIs shown")
    return _finish(chart, title=title, subtitle=notes)


def _kpi_panel(kr: pd.Series, readings: pd.DataFrame, width: int) -> Any:
    """One KPI: few layers on purpose, since every layer of every panel costs time in
    ``to_dict()`` (a page may show a dozen panels)."""
    named = kr.get("metric")
    metric = str(named) if isinstance(named, str) and named.strip() else f"KPI #{kr['id']:g}"
    unit = str(kr.get("unit") or "")
    suffix = f" {unit}" if unit else ""
    baseline, target = kr.get("baseline"), kr.get("target")
    has_target = target is not None and not pd.isna(target)
    has_baseline = baseline is not None and not pd.isna(baseline)
    target_date = pd.to_datetime(kr.get("target_date"), errors="coerce")
    readings = readings.sort_values("measured_on")
    progress = kpi_progress(readings["value"], baseline, target)
    points = readings.assign(
        progress=progress.map(lambda p: "" if pd.isna(p) else f"{p:.0%} of the way to target")
    )
    y_title = unit or "Value"
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    layers: list[Any] = []
    if len(points):
        layers.append(
            alt.Chart(points)
            .mark_line(color=ACCENT, strokeWidth=2, point=alt.OverlayMarkDef(size=36))
            .encode(
                x=alt.X(
                    "measured_on:T",
                    title=None,
                    axis=alt.Axis(format="%b %y", labelOverlap=True, tickCount=4),
                ),
                y=y,
                tooltip=[
                    alt.Tooltip("measured_on:T", title="Measured on", format="%d %b %Y"),
                    alt.Tooltip("value:Q", title=metric, format=",.4~g"),
                    alt.Tooltip("progress:N", title="Progress"),
                ],
            )
        )
    references = pd.DataFrame(
        {
            "value": [
                float(target) if has_target else None,
                float(baseline) if has_baseline else None,
            ],
            "line": ["Target", "Baseline"],
        }
    ).dropna()
    if len(references):
        layers.append(
            alt.Chart(references)
            .mark_rule(strokeWidth=1.5)
            .encode(
                y=y,
                color=alt.Color(
                    "line:N",
                    scale=alt.Scale(domain=["Target", "Baseline"], range=[GREEN, GREY]),
                    legend=None,
                ),
                strokeDash=alt.StrokeDash(
                    "line:N",
                    scale=alt.Scale(domain=["Target", "Baseline"], range=[[6, 4], [2, 3]]),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("line:N", title="Line"),
                    alt.Tooltip("value:Q", title=y_title),
                ],
            )
        )
    if has_target and not pd.isna(target_date):
        goal = pd.DataFrame({"when": [target_date], "value": [float(target)]})
        layers.append(
            alt.Chart(goal)
            .mark_point(shape="diamond", filled=True, size=90, color=GREEN, opacity=1)
            .encode(
                x=alt.X("when:T", title=None),
                y=y,
                tooltip=[alt.Tooltip("when:T", title="Target date", format="%d %b %Y")],
            )
        )
    if not len(points):
        layers.append(
            alt.Chart(pd.DataFrame({"text": ["No readings yet"]}))
            .mark_text(color=MUTED, fontSize=11)
            .encode(text=alt.Text("text:N"), x=alt.XValue(width / 2), y=alt.YValue(60))
        )
    lines = []
    if len(points):
        latest = f"Latest {_number(float(points['value'].iloc[-1]))}{suffix}"
        if not pd.isna(progress.iloc[-1]):
            latest += f", {progress.iloc[-1]:.0%} of the way"
        lines.append(latest)
    goal_text = []
    if has_target:
        by = f" by {target_date:%d %b %Y}" if not pd.isna(target_date) else ""
        goal_text.append(f"target {_number(float(target))}{suffix}{by} (dashed)")
    if has_baseline:
        goal_text.append(f"baseline {_number(float(baseline))}{suffix} (dotted)")
    if goal_text:
        text = ", ".join(goal_text)
        lines.append(text[0].upper() + text[1:])
    return _set(
        alt.layer(*layers),
        width=width,
        height=150,
        title={
            "text": _clip(metric, 48),
            **({"subtitle": lines} if lines else {}),
            "fontSize": 12,
            "subtitleFontSize": 10,
        },
    )


# ------------------------------------------------------------------------ progress


def progress_chart(
    progress_df: pd.DataFrame, *, width: int | None = None, title: str = "Canvas progress"
) -> Any:
    """The completeness of each step (0–100 %), steps in their fixed order. Takes
    ``step``, ``title`` and ``score`` (0..1) per step."""
    if progress_df.empty:
        return _empty(title, width)
    data = pd.DataFrame(
        {
            "step": _numbers(progress_df, "step"),
            "name": _text(progress_df, "title"),
            "score": _numbers(progress_df, "score").clip(0, 1).fillna(0.0),
        }
    ).sort_values("step", kind="stable")
    data["label"] = [
        f"{int(s)}. {n}" if not pd.isna(s) else n
        for s, n in zip(data["step"], data["name"], strict=True)
    ]
    data["done"] = np.where(data["score"] >= 1, "Complete", "In progress")
    data["percent"] = data["score"].map(lambda v: f"{v:.0%}")
    data["full"] = 1.0
    order = data["label"].tolist()
    y = alt.Y(
        "label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, ticks=False, domain=False)
    )
    x_scale = alt.Scale(domain=[0, 1], nice=False)
    track = (
        alt.Chart(data)
        .mark_bar(color="#EEF1F4", cornerRadius=3, height={"band": 0.6})
        .encode(y=y, x=alt.X("full:Q", scale=x_scale))
    )
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=3, height={"band": 0.6})
        .encode(
            y=y,
            x=alt.X(
                "score:Q",
                scale=x_scale,
                title=None,
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
            ),
            color=alt.Color(
                "done:N",
                scale=alt.Scale(domain=["In progress", "Complete"], range=[ACCENT, GREEN]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Step"),
                alt.Tooltip("percent:N", title="Complete"),
            ],
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=6, fontSize=11, color=INK)
        .encode(y=y, x=alt.X("full:Q", scale=x_scale), text=alt.Text("percent:N"))
    )
    overall = float(data["score"].mean())
    return _finish(
        alt.layer(track, bars, text),
        title=title,
        subtitle=f"{overall:.0%} complete overall",
        width=_single_width(width),
        height=alt.Step(30),
    )
