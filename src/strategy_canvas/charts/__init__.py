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
  parameters, data in a fixed order);
- returns Altair's own chart type: ``alt.Chart`` for the empty state, a composite
  (``alt.LayerChart``, ``alt.HConcatChart``…) for the rest.

The package has one module per step (:mod:`.problem`, :mod:`.designs`,
:mod:`.implementation`, :mod:`.feedback`, :mod:`.overview`, :mod:`.workshop`), the
shared look (:mod:`.theme`) and the helpers the builders share (:mod:`.common`).
Callers import the package: ``from strategy_canvas import charts; charts.kpi_chart(...)``.
"""

from __future__ import annotations

from strategy_canvas.charts.designs import (
    PLOT_HEIGHT,
    VALUE_HIGH,
    VALUE_LOW,
    robustness_chart,
    score_bars,
    value_effort_chart,
)
from strategy_canvas.charts.feedback import (
    feedback_chart,
    flaws_chart,
    kpi_chart,
)
from strategy_canvas.charts.implementation import (
    roadmap_lanes,
    roadmap_timeline,
)
from strategy_canvas.charts.overview import (
    progress_chart,
)
from strategy_canvas.charts.problem import (
    assumption_map,
)
from strategy_canvas.charts.theme import (
    ACCENT,
    ASSUMPTION_QUADRANTS,
    ASSUMPTION_STATUS,
    BLUE,
    CATEGORY,
    DEFAULT_WIDTH,
    EMPTY_TEXT,
    FAINT,
    FEEDBACK_KINDS,
    FIX_STATUS,
    FONT,
    GREEN,
    GREY,
    GRID,
    INK,
    LANES,
    LIGHT_GREY,
    MUTED,
    ORANGE,
    PURPLE,
    QUADRANT_COLOURS,
    ROADMAP_STATUS,
    SENTIMENT_COLOURS,
    SEVERITY_ORDER,
    SKY,
    VERDICT_COLOURS,
    VERMILLION,
    YELLOW,
    theme,
)
from strategy_canvas.charts.workshop import (
    VOTE_CHART_LIMIT,
    VOTE_KIND_COLOURS,
    vote_chart,
)

__all__ = [
    "ACCENT",
    "ASSUMPTION_QUADRANTS",
    "ASSUMPTION_STATUS",
    "BLUE",
    "CATEGORY",
    "DEFAULT_WIDTH",
    "EMPTY_TEXT",
    "FAINT",
    "FEEDBACK_KINDS",
    "FIX_STATUS",
    "FONT",
    "GREEN",
    "GREY",
    "GRID",
    "INK",
    "LANES",
    "LIGHT_GREY",
    "MUTED",
    "ORANGE",
    "PLOT_HEIGHT",
    "PURPLE",
    "QUADRANT_COLOURS",
    "ROADMAP_STATUS",
    "SENTIMENT_COLOURS",
    "SEVERITY_ORDER",
    "SKY",
    "VALUE_HIGH",
    "VALUE_LOW",
    "VERDICT_COLOURS",
    "VERMILLION",
    "VOTE_CHART_LIMIT",
    "VOTE_KIND_COLOURS",
    "YELLOW",
    "assumption_map",
    "feedback_chart",
    "flaws_chart",
    "kpi_chart",
    "progress_chart",
    "roadmap_lanes",
    "roadmap_timeline",
    "robustness_chart",
    "score_bars",
    "theme",
    "value_effort_chart",
    "vote_chart",
]
