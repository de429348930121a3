"""Step 1, Problem & audience: the assumption map."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from strategy_canvas.charts import common
from strategy_canvas.charts.theme import (
    ASSUMPTION_QUADRANTS,
    ASSUMPTION_STATUS,
    FAINT,
    MUTED,
    VERMILLION,
)


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
) -> alt.Chart | alt.LayerChart:
    """Importance (1–5) against evidence (1–5), coloured by status. Top-left — important
    and barely evidenced — is where to test first. Assumptions in the same cell are
    spread on a small grid so each one shows."""
    data = pd.DataFrame(
        {
            "id": common.ids_of(df),
            "statement": common.text_of(df, "statement", "Untitled").map(
                lambda t: common.clip_text(t, 120)
            ),
            "importance": common.numbers_of(df, "importance").clip(1, 5),
            "evidence": common.numbers_of(df, "evidence").clip(1, 5),
            "status": common.text_of(df, "status", "untested")
            .replace("", "untested")
            .map(common.pretty_choice),
        },
        index=df.index,
    ).dropna(subset=["importance", "evidence"])
    if data.empty:
        return common.empty_chart(title, width)
    data = _spread_in_cells(common.in_list_order(data), "evidence", "importance")
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
    corner_texts = common.corner_labels(
        corners,
        x=alt.X("tx:Q", scale=scale),
        y=alt.Y("ty:Q", scale=scale),
        colour=alt.Color(
            "label:N",
            scale=alt.Scale(domain=labels, range=[VERMILLION, MUTED, MUTED, MUTED]),
            legend=None,
        ),
    )
    rules = alt.Chart(pd.DataFrame({"mid": [3.0]})).mark_rule(color=FAINT, strokeDash=[4, 4])
    points = (
        alt.Chart(data)
        .mark_circle(size=80, opacity=0.9, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("x_at:Q", scale=scale, axis=axis, title="Evidence (1 = none, 5 = strong)"),
            y=alt.Y("y_at:Q", scale=scale, axis=axis, title="Importance (1 = low, 5 = critical)"),
            color=alt.Color(
                "status:N", title="Status", scale=common.colour_scale(ASSUMPTION_STATUS)
            ),
            tooltip=[
                alt.Tooltip("statement:N", title="Assumption"),
                alt.Tooltip("importance:Q", title="Importance"),
                alt.Tooltip("evidence:Q", title="Evidence"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    chart = common.layered(
        background,
        rules.encode(x=alt.X("mid:Q", scale=scale)),
        rules.encode(y=alt.Y("mid:Q", scale=scale)),
        *corner_texts,
        points,
    ).resolve_scale(color="independent")  # the corner names' colours are not statuses
    test_first = int(((data["importance"] > 3) & (data["evidence"] < 3)).sum())
    subtitle = f"{common.plural(test_first, 'assumption')} to test first" if test_first else None
    return common.finish_chart(
        chart, title=title, subtitle=subtitle, width=common.single_width(width), height=360
    )
