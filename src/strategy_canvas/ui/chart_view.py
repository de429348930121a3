"""Charts and rankings on the pages, cached by the canvas's change counter.

Building an Altair chart and its Vega-Lite spec (and a Monte Carlo run) costs far more
than drawing it; an unchanged canvas should not pay that on every rerun or on every
tick of the live board. Results are cached per (database, canvas, change counter, name,
options) for all sessions, so thirty people watching a canvas build each chart once.
The results are shared, not copied for each rerun: they are only read.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit import dataframe_util

from strategy_canvas.charts import svg as chart_svg
from strategy_canvas.lru import LRUCache
from strategy_canvas.ui import layout

if TYPE_CHECKING:
    import altair as alt

    from strategy_canvas.ui.context import Frames


_RESULTS: LRUCache[Any] = LRUCache(1024)
#: session-state keys owned by this module: whether a folded chart is unfolded
FOLD_KEY = "chart.open"
#: ... and whether a chart is shown as the interactive Vega chart instead of its picture
INTERACTIVE_KEY = "chart.interactive"
#: the width (px) a page's chart is drawn at unless it says otherwise: about the board
#: column's at 1280 px; the picture shrinks to a narrower column and grows to a wider
#: one up to GROW times, so its 11-px labels stay between about 9 and 13 px at
#: 1024-1440 px
PAGE_WIDTH = 480
GROW = 1.2
#: how long a page's run waits for a chart's picture being drawn before it shows the
#: Vega chart instead (which the next run after the drawing replaces): not at all, so a
#: run is never slower than with the Vega chart
PICTURE_WAIT = 0.0
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


def cached(
    frames: Frames, name: str, compute: Callable[[], Any], options: tuple[Hashable, ...] = ()
) -> Any:
    """``compute()`` once per state of the canvas (and ``name`` and ``options``)."""
    return _RESULTS.get_or_compute((*frames.key, name, options), compute)


def _with_arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its tabular datasets already in Arrow IPC bytes.

    ``st.vega_lite_chart`` converts every inline dataset to Arrow on every call (about
    7 ms for a chart of 300 points, against 0.3 ms when the bytes are given); done once
    here, the cached spec is drawn as it is. GeoJSON-like data is left as it was.
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict):
        return spec
    converted = {}
    for key, rows in datasets.items():
        tabular = isinstance(rows, list) and not (
            rows and isinstance(rows[0], dict) and "geometry" in rows[0]
        )
        converted[key] = dataframe_util.convert_anything_to_arrow_bytes(rows) if tabular else rows
    return {**spec, "datasets": converted}


def picture(spec: Mapping[str, Any], svg: str) -> str:
    """The chart as an image for ``st.html``: ``svg``, the spec drawn by vl-convert (as
    the PDF's), in a data URI, as wide as its column up to :data:`GROW` times the width
    it was drawn at, its title (and subtitle) as the alternative text.

    In an ``<img>`` the SVG is a picture, not markup: nothing in it runs, and its text
    is escaped by vl-convert anyway; the alternative text is escaped here."""
    found = _SVG_SIZE.search(svg)
    width, height = (float(found[1]), float(found[2])) if found else (float(PAGE_WIDTH), 300.0)
    title = spec.get("title", "")
    if isinstance(title, dict):
        subtitle = title.get("subtitle") or []
        lines = [str(title.get("text", ""))] + (
            [subtitle] if isinstance(subtitle, str) else [str(s) for s in subtitle]
        )
        title = ". ".join(line for line in lines if line)
    data = base64.b64encode(svg.encode()).decode()
    return (
        f'<img class="sc-chart" alt="{html.escape(str(title))}" width="{width:.0f}" '
        f'height="{height:.0f}" style="width: 100%; max-width: {width * GROW:.0f}px; '
        f'height: auto; display: block" src="data:image/svg+xml;base64,{data}">'
    )


def show(
    frames: Frames,
    name: str,
    build: Callable[[int], alt.TopLevelMixin],
    options: tuple[Hashable, ...] = (),
    *,
    width: int = PAGE_WIDTH,
    folded: str | None = None,
) -> None:
    """Draw the chart ``build(width)`` makes as a picture (:func:`picture`), cached by
    the canvas's state, with a switch under it to the interactive Vega chart (its
    tooltips, the same spec) for whoever wants the details. Until the picture of a
    changed chart is drawn (:func:`strategy_canvas.charts.svg.drawn`, in a process of
    its own), the Vega chart stands in for it.

    A Vega chart costs the browser tens of milliseconds to embed on every page open, the
    picture a few (docs/ARCHITECTURE.md, "Budgets"). ``folded`` (a label) puts the
    chart in a folded expander and draws it only while it is unfolded
    (:func:`strategy_canvas.ui.layout.fold`), for a chart below the fold."""
    if folded is not None:
        panel = layout.fold(folded, key=f"{FOLD_KEY}.{name}", icon=":material/bar_chart:")
        if panel is None:
            return
        with panel:
            show(frames, name, build, options, width=width)
        return
    spec = cached(
        frames,
        f"chart:{name}",
        lambda: chart_svg.svg_spec(build(width), font=chart_svg.FONT_ON_PAGE),
        (width, *options),
    )
    key = f"{INTERACTIVE_KEY}.{name}"
    svg = None if st.session_state.get(key) else chart_svg.drawn(spec, wait=PICTURE_WAIT)
    if svg is None:  # asked for, or its picture not drawn yet
        arrow = cached(
            frames, f"chart.vega:{name}", lambda: _with_arrow_datasets(spec), (width, *options)
        )
        st.vega_lite_chart(spec=arrow, width="content", theme=None)
    else:
        st.html(cached(frames, f"chart.svg:{name}", lambda: picture(spec, svg), (width, *options)))
    st.toggle(
        "Interactive",
        key=key,
        help="The same chart in the browser: hover over a mark for its details.",
    )
