"""Step 5, Feedback: feedback by kind and sentiment, flaws by severity, KPIs against
their targets.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from strategy_canvas.charts.common import (
    clip_text,
    dates_of,
    empty_chart,
    finish_chart,
    format_number,
    ids_of,
    in_list_order,
    layered,
    numbers_of,
    plural,
    pretty_choice,
    set_top_level,
    single_width,
    text_of,
    whole_ticks,
)
from strategy_canvas.charts.theme import (
    ACCENT,
    DEFAULT_WIDTH,
    EMPTY_TEXT,
    FEEDBACK_KINDS,
    FIX_STATUS,
    GREEN,
    GREY,
    MUTED,
    SENTIMENT_COLOURS,
    SEVERITY_ORDER,
)
from strategy_canvas.rules import flaw_urgency, kpi_progress
from strategy_canvas.rules.percent import percent_text


def feedback_chart(
    df: pd.DataFrame,
    *,
    period: str | None = None,
    width: int | None = None,
    title: str = "Feedback over time",
) -> alt.Chart | alt.FacetChart:
    """Feedback items per week or month (``period`` "week" or "month"; by default weeks
    when the dates span at most four months), stacked by sentiment, one row per kind."""
    received = dates_of(df, "received_on")
    data = pd.DataFrame(
        {
            "received": received,
            "kind": text_of(df, "kind", "other").replace("", "other"),
            "sentiment": text_of(df, "sentiment", "neutral").replace("", "neutral"),
        },
        index=df.index,
    ).dropna(subset=["received"])
    if data.empty:
        return empty_chart(title, width, f"{EMPTY_TEXT}: no dated feedback")
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
    counts["kind"] = counts["kind"].map(pretty_choice)
    counts["sentiment"] = counts["sentiment"].map(pretty_choice)
    sentiments = [pretty_choice(s) for s in SENTIMENT_COLOURS]
    counts["stack"] = counts["sentiment"].map(
        lambda s: sentiments.index(s) if s in sentiments else len(sentiments)
    )
    kinds = [pretty_choice(k) for k in FEEDBACK_KINDS]
    kinds += sorted(set(counts["kind"]) - set(kinds))
    unit = "yearweek" if period == "week" else "yearmonth"
    total = DEFAULT_WIDTH if width is None else int(width)
    ticks = whole_ticks(int(counts.groupby(["period", "kind"])["count"].sum().max()))
    inner = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{unit}(period):T",
                title=None,
                axis=alt.Axis(format="%d %b" if period == "week" else "%b %Y", labelOverlap=True),
            ),
            y=alt.Y(
                "sum(count):Q",
                title="Items",
                # Whole items only (an axis of 0.5 items read as nonsense): the ticks are
                # given, on one scale for every row, so the rows compare.
                scale=alt.Scale(domain=[0, ticks[-1]], nice=False),
                axis=alt.Axis(values=ticks, format="d"),
            ),
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
    set_top_level(inner, width=max(total - 130, 200), height=70)
    chart = inner.facet(
        row=alt.Row(
            "kind:N",
            sort=kinds,
            title=None,
            header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight=600),
        ),
        spacing=8,
    )
    undated = len(df) - len(data)
    notes = [f"Per {period}, stacked by sentiment"]
    if undated:
        notes.append(f"{plural(undated, 'item')} without a date not shown")
    return finish_chart(chart, title=title, subtitle="; ".join(notes))


def flaws_chart(
    df: pd.DataFrame, *, width: int | None = None, title: str = "Flaws by severity"
) -> alt.Chart:
    """The number of flaws per severity (low → critical), stacked by fix status."""
    data = pd.DataFrame(
        {
            "severity": text_of(df, "severity", "medium").str.lower(),
            "fix": text_of(df, "fix_status", "open").replace("", "open"),
        },
        index=df.index,
    )
    data = data[data["severity"].isin(SEVERITY_ORDER)]
    if data.empty:
        return empty_chart(title, width)
    counts = data.groupby(["severity", "fix"], sort=True).size().rename("count").reset_index()
    counts["severity"] = counts["severity"].map(pretty_choice)
    counts["fix"] = counts["fix"].map(pretty_choice)
    statuses = [pretty_choice(s) for s in FIX_STATUS]
    counts["stack"] = counts["fix"].map(lambda s: statuses.index(s) if s in statuses else 9)
    severities = [pretty_choice(s) for s in SEVERITY_ORDER]
    ticks = whole_ticks(int(counts.groupby("severity")["count"].sum().max()))
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
            y=alt.Y(
                "sum(count):Q",
                title="Flaws",
                scale=alt.Scale(domain=[0, ticks[-1]], nice=False),
                axis=alt.Axis(values=ticks, format="d"),
            ),
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
    unfixed = data["fix"].isin(flaw_urgency.OPEN_FIX_STATUSES)
    still_open = int(unfixed.sum())
    critical = int((data["severity"].isin(flaw_urgency.SERIOUS) & unfixed).sum())
    subtitle = (
        f"{still_open:,} of {len(data):,} not fixed yet, {critical:,} of them high or critical"
    )
    return finish_chart(
        chart, title=title, subtitle=subtitle, width=single_width(width), height=260
    )


# ----------------------------------------------------------------------------- KPIs


def kpi_chart(
    readings_df: pd.DataFrame,
    key_results_df: pd.DataFrame,
    *,
    columns: int = 2,
    max_kpis: int = 12,
    width: int | None = None,
    title: str = "KPIs against their targets",
) -> alt.Chart | alt.ConcatChart:
    """One small chart per key result: its readings over time, the target (dashed
    green) and the baseline (dotted grey) as lines, the target date as a diamond; the
    progress from baseline to target in the tooltip."""
    krs = in_list_order(key_results_df) if len(key_results_df) else key_results_df
    readings = pd.DataFrame(
        {
            "kr": numbers_of(readings_df, "key_result_id"),
            "measured_on": dates_of(readings_df, "measured_on"),
            "value": numbers_of(readings_df, "value"),
            "id": numbers_of(readings_df.assign(id=ids_of(readings_df)), "id"),
        }
    ).dropna()
    if krs.empty:
        krs = pd.DataFrame({"id": sorted(readings["kr"].unique())})
    if krs.empty:
        return empty_chart(title, width)
    krs = krs.assign(id=numbers_of(krs.assign(id=ids_of(krs)), "id"))
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
    return finish_chart(chart, title=title, subtitle=notes)


def _kpi_panel(kr: pd.Series, readings: pd.DataFrame, width: int) -> alt.LayerChart:
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
    readings = kpi_progress.latest_first_order(readings).drop(columns="id")
    progress = kpi_progress.readings_progress(readings["value"], baseline, target)
    points = readings.assign(
        progress=progress.map(
            lambda p: "" if p is None else f"{percent_text(p)} of the way to target"
        )
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
                    axis=alt.Axis(format="%b %Y", labelOverlap=True, tickCount=4),
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
        latest = f"Latest {format_number(float(points['value'].iloc[-1]))}{suffix}"
        if progress.iloc[-1] is not None:
            latest += f", {percent_text(progress.iloc[-1])} of the way"
        lines.append(latest)
    goal_text = []
    if has_target:
        by = f" by {target_date:%d %b %Y}" if not pd.isna(target_date) else ""
        goal_text.append(f"target {format_number(float(target))}{suffix}{by} (dashed)")
    if has_baseline:
        goal_text.append(f"baseline {format_number(float(baseline))}{suffix} (dotted)")
    if goal_text:
        text = ", ".join(goal_text)
        lines.append(text[0].upper() + text[1:])
    return set_top_level(
        layered(*layers),
        width=width,
        height=150,
        title={
            "text": clip_text(metric, 48),
            **({"subtitle": lines} if lines else {}),
            "fontSize": 12,
            "subtitleFontSize": 10,
        },
    )
