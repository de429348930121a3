"""Step 4, Implementation: the roadmap's lanes and its timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from strategy_canvas.charts.common import (
    clip_text,
    colour_scale,
    dates_of,
    empty_chart,
    epoch_ms,
    finish_chart,
    ids_of,
    layered,
    numbers_of,
    plural,
    pretty_choice,
    short_labels,
    single_width,
    text_of,
)
from strategy_canvas.charts.theme import (
    EMPTY_TEXT,
    INK,
    LANES,
    MUTED,
    ROADMAP_STATUS,
    VERMILLION,
)


def roadmap_lanes(
    df: pd.DataFrame,
    *,
    per_lane: int = 12,
    width: int | None = None,
    title: str = "Roadmap: now, next, later",
) -> alt.Chart | alt.LayerChart:
    """The roadmap as three lanes of cards, coloured by status; at most ``per_lane``
    cards per lane, then a "+N more" card."""
    data = pd.DataFrame(
        {
            "id": ids_of(df),
            "position": numbers_of(df, "position"),
            "item": text_of(df, "title", "Untitled"),
            "lane": text_of(df, "lane", "next").str.lower(),
            "status": text_of(df, "status", "planned").replace("", "planned"),
            "owner": text_of(df, "owner"),
            "team": text_of(df, "team"),
        },
        index=df.index,
    )
    data = data[data["lane"].isin(LANES)]
    if data.empty:
        return empty_chart(title, width)
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
    shown["card"] = shown["item"]
    shown["status"] = shown["status"].map(pretty_choice)
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
            color=alt.Color("status:N", title="Status", scale=colour_scale(ROADMAP_STATUS)),
            stroke=alt.Stroke("status:N", scale=colour_scale(ROADMAP_STATUS)),
            tooltip=[
                alt.Tooltip("item:N", title="Item"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("team:N", title="Team"),
            ],
        )
    )
    # The text starts at its card's left edge and is cut at its right edge, whatever
    # width the chart is drawn at (a page column stretches it; the PDF sets it).
    text = (
        alt.Chart(shown)
        .mark_text(
            align="left",
            dx=10,
            fontSize=11,
            color=INK,
            limit=alt.ExprRef("max(bandwidth('x') - 20, 40)"),
        )
        .encode(x=alt.X("lane:N", bandPosition=0), y=y, text=alt.Text("card:N"))
    )
    layers = [cards, text]
    if len(more):
        layers.append(
            alt.Chart(more)
            .mark_text(fontSize=11, color=MUTED, fontStyle="italic")
            .encode(x=x, y=y, text=alt.Text("item:N"))
        )
    notes = ", ".join(f"{pretty_choice(lane)} {counts.get(lane, 0)}" for lane in LANES)
    return finish_chart(
        layered(*layers),
        title=title,
        subtitle=f"Items per lane: {notes}",
        width=single_width(width),
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
) -> alt.Chart | alt.LayerChart:
    """Bars from start to end date, one row per item, grouped and coloured by owner
    (or ``group="team"``); milestones as diamonds at the item's end; an optional
    dashed "today" line. An item with one date only is drawn as one day. At most
    ``max_items`` rows: the earliest to start, or with ``today`` the current and
    coming ones first."""
    if group not in ("owner", "team"):
        raise ValueError('group must be "owner" or "team"')
    start, end = dates_of(df, "start_date"), dates_of(df, "end_date")
    data = pd.DataFrame(
        {
            "id": ids_of(df),
            "position": numbers_of(df, "position"),
            "item": text_of(df, "title", "Untitled"),
            "start": start.fillna(end),
            "end": end.fillna(start),
            "who": text_of(df, group).replace("", "Unassigned"),
            "status": text_of(df, "status", "planned").map(pretty_choice),
            "milestone": text_of(df, "milestone"),
        },
        index=df.index,
    ).dropna(subset=["start"])
    if data.empty:
        return empty_chart(title, width, f"{EMPTY_TEXT}: no roadmap item has dates")
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
    data["label"] = short_labels(data["item"], data["id"], limit=36)
    order = data["label"].tolist()
    many = len(data) > 60  # too many rows to name: hide the names, keep the tooltips
    # The time axis spans the items, today, and room on the right for milestone names.
    first, last = data["start"].min(), data["until"].max()
    if today is not None:
        first, last = min(first, pd.Timestamp(today)), max(last, pd.Timestamp(today))
    room = 0.12 if (data["milestone"] != "").any() and not many else 0.02
    last = last + (last - first) * room + pd.Timedelta(days=1)
    domain = [epoch_ms(first), epoch_ms(last)]
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
                    milestones.assign(text=milestones["milestone"].map(lambda t: clip_text(t, 24)))
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
        notes.append(f"{plural(undated, 'item')} without dates not shown")
    if dated > len(data):
        which = "current and coming" if today is not None else "earliest"
        notes.append(f"The {len(data)} {which} of {dated:,} dated items shown")
    if many:
        notes.append(f"{len(data):,} items: names hidden, hover a bar for details")
    return finish_chart(
        layered(*layers),
        title=title,
        subtitle=notes,
        width=single_width(width),
        height=alt.Step(8 if many else 24 if len(data) <= 30 else 16),
    )
