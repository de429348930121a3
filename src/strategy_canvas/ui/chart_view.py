"""Charts and rankings on the pages, cached by the canvas's change counter.

Building an Altair chart and its Vega-Lite spec (and a Monte Carlo run) costs far more
than drawing it; an unchanged canvas should not pay that on every rerun or on every
tick of the live board. Results are cached per (database, canvas, change counter, name,
options) for all sessions, so thirty people watching a canvas build each chart once.
The results are shared, not copied for each rerun: they are only read.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit import dataframe_util

from strategy_canvas.lru import LRUCache
from strategy_canvas.ui import layout

if TYPE_CHECKING:
    import altair as alt

    from strategy_canvas.ui.context import Frames


_RESULTS: LRUCache[Any] = LRUCache(1024)
#: session-state keys owned by this module: whether a folded chart is unfolded
FOLD_KEY = "chart.open"


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


def show(
    frames: Frames,
    name: str,
    build: Callable[[], alt.TopLevelMixin],
    options: tuple[Hashable, ...] = (),
    *,
    stretch: bool = True,
    folded: str | None = None,
) -> None:
    """Draw the chart ``build()`` makes, its spec cached by the canvas's state; as wide
    as its container, or (``stretch`` False) at the width the chart was built for.

    ``folded`` (a label) puts the chart in a folded expander and draws it only while it
    is unfolded (:func:`strategy_canvas.ui.layout.fold`): for a chart below the fold,
    since each Vega chart costs the browser tens of milliseconds on every page open
    (docs/ARCHITECTURE.md, "Budgets")."""
    if folded is not None:
        panel = layout.fold(folded, key=f"{FOLD_KEY}.{name}", icon=":material/bar_chart:")
        if panel is None:
            return
        with panel:
            show(frames, name, build, options, stretch=stretch)
        return
    spec = cached(frames, f"chart:{name}", lambda: _with_arrow_datasets(build().to_dict()), options)
    st.vega_lite_chart(spec=spec, width="stretch" if stretch else "content", theme=None)
