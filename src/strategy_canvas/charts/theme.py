"""The look every chart shares: fonts, the colour-blind-safe palette, what each stored
choice is drawn in, and the Vega-Lite config applied to each chart (:func:`theme`).
"""

from __future__ import annotations

from typing import Any

from strategy_canvas.rules import flaw_urgency

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
#: the severities on a chart's axis, least serious first
SEVERITY_ORDER = flaw_urgency.SEVERITIES
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
