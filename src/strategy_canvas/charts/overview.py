"""The Overview: how complete each step is."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from strategy_canvas.charts.common import (
    empty_chart,
    finish_chart,
    layered,
    numbers_of,
    single_width,
    text_of,
)
from strategy_canvas.charts.theme import ACCENT, GREEN, INK
from strategy_canvas.rules.percent import percent_text


def progress_chart(
    progress_df: pd.DataFrame, *, width: int | None = None, title: str = "Canvas progress"
) -> alt.Chart | alt.LayerChart:
    """The completeness of each step (0–100 %), steps in their fixed order. Takes
    ``step``, ``title`` and ``score`` (0..1) per step."""
    if progress_df.empty:
        return empty_chart(title, width)
    data = pd.DataFrame(
        {
            "step": numbers_of(progress_df, "step"),
            "name": text_of(progress_df, "title"),
            "score": numbers_of(progress_df, "score").clip(0, 1).fillna(0.0),
        }
    ).sort_values("step", kind="stable")
    data["label"] = [
        f"{int(s)}. {n}" if not pd.isna(s) else n
        for s, n in zip(data["step"], data["name"], strict=True)
    ]
    data["done"] = np.where(data["score"] >= 1, "Complete", "In progress")
    data["percent"] = data["score"].map(percent_text)
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
    return finish_chart(
        layered(track, bars, text),
        title=title,
        subtitle=f"{percent_text(overall)} complete overall",
        width=single_width(width),
        height=alt.Step(30),
    )
