"""Helpers every chart builder shares: reading columns tolerantly, short unique labels,
numbers as words, and :func:`finish_chart`, the last step of every builder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from strategy_canvas.charts.theme import EMPTY_TEXT, MUTED, theme

#: what a builder returns: a single chart or one of Altair's composite charts
ChartT = TypeVar(
    "ChartT",
    alt.Chart,
    alt.LayerChart,
    alt.ConcatChart,
    alt.HConcatChart,
    alt.VConcatChart,
    alt.FacetChart,
)


def finish_chart(
    chart: ChartT,
    *,
    title: str,
    subtitle: str | Sequence[str] | None = None,
    width: int | str | None = None,
    height: Any = None,
) -> ChartT:
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
    return set_top_level(chart, **props)


def layered(*charts: alt.Chart) -> alt.LayerChart:
    """The charts drawn on top of each other. ``alt.layer`` without its hoisting of
    shared facet encodings (no chart here has any), so the result is a LayerChart."""
    return alt.LayerChart(layer=list(charts))


def corner_labels(
    corners: pd.DataFrame, *, x: alt.X, y: alt.Y, colour: alt.Color
) -> list[alt.Chart]:
    """The names of a quadrant chart's corners, in bold just inside them: ``corners``
    has a ``side`` ("left" or "right", which way the text runs from its point) and a
    ``label``; ``x`` and ``y`` place each label."""
    return [
        alt.Chart(corners[corners["side"] == side])
        .mark_text(
            align=side,
            baseline="middle",
            dx=6 if side == "left" else -6,
            fontSize=12,
            fontWeight=600,
        )
        .encode(x=x, y=y, text=alt.Text("label:N"), color=colour)
        for side in ("left", "right")
    ]


def set_top_level(chart: ChartT, **props: Any) -> ChartT:
    """Set top-level properties in place. ``chart.properties()`` and ``configure()``
    deep-copy (and validate) the whole chart on every call, which made a page of small
    multiples take seconds; the charts here are fresh objects, and ``to_dict()``
    validates the result anyway."""
    for name, value in props.items():
        setattr(chart, name, value)
    return chart


def single_width(width: int | None) -> int | str:
    return "container" if width is None else int(width)


def empty_chart(title: str, width: int | None, message: str = EMPTY_TEXT) -> alt.Chart:
    """The empty state: the chart's title and a clear message in place of marks
    (:func:`is_empty` tells it)."""
    chart = (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=14, color=MUTED)
        .encode(text=alt.Text("message:N"))
    )
    chart = finish_chart(chart, title=title, width=single_width(width), height=120)
    return set_top_level(chart, usermeta={"empty": True})


def is_empty(chart: Any) -> bool:
    """Whether ``chart`` is the empty state of :func:`empty_chart` (a page shows it;
    the PDF leaves it out rather than print a box that says there is nothing)."""
    meta = getattr(chart, "usermeta", None)
    return isinstance(meta, dict) and meta.get("empty") is True


def column_of(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index, dtype=object)


def text_of(df: pd.DataFrame, name: str, default: str = "") -> pd.Series:
    col = column_of(df, name)
    return col.astype(object).where(col.notna(), default).astype(str).str.strip()


def numbers_of(df: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(column_of(df, name), errors="coerce").astype(float)


def dates_of(df: pd.DataFrame, name: str) -> pd.Series:
    """The column as naive datetimes (date objects, strings or timestamps, a time zone
    dropped); NaT where missing or not a date."""
    values = pd.to_datetime(column_of(df, name), errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def clip_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_labels(titles: pd.Series, ids: pd.Series, limit: int = 42) -> pd.Series:
    """Short, unique labels: long titles cut with "…", repeated ones told apart by id."""
    short = titles.map(lambda t: clip_text(str(t) or "Untitled", limit))
    repeated = short.duplicated(keep=False)
    with_id = short + " (#" + ids.astype(str) + ")"
    return short.where(~repeated, with_id)


def ids_of(df: pd.DataFrame) -> pd.Series:
    return df["id"] if "id" in df.columns else pd.Series(range(1, len(df) + 1), index=df.index)


def in_list_order(df: pd.DataFrame) -> pd.DataFrame:
    """The rows in their list order (position, then id) when those columns exist."""
    keys = [c for c in ("position", "id") if c in df.columns]
    return df.sort_values(keys, kind="stable") if keys else df


def pretty_choice(value: str) -> str:
    """A stored choice as words: "in_progress" → "In progress", "wont" → "Won't"."""
    special = {"wont": "Won't", "wont_fix": "Won't fix"}
    return special.get(value, value.replace("_", " ").capitalize())


def colour_scale(mapping: dict[str, str]) -> alt.Scale:
    """A colour scale from stored choices to colours, its domain in words."""
    return alt.Scale(domain=[pretty_choice(k) for k in mapping], range=list(mapping.values()))


def format_number(x: float) -> str:
    """1234.5 → "1,234.5", 40.0 → "40", 0.125 → "0.125" (at most 4 significant digits)."""
    if not math.isfinite(x):
        return "–"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    digits = max(0, 3 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def epoch_ms(when: pd.Timestamp) -> int:
    """A timestamp as Vega's number for a date: milliseconds since 1970 (UTC)."""
    return int((when - pd.Timestamp("1970-01-01")) / pd.Timedelta(milliseconds=1))


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def whole_ticks(tallest: int, most: int = 4) -> list[int]:
    """Ticks for an axis that counts things: whole numbers from 0 past ``tallest``, at
    most about ``most`` of them (an axis of 0.5 flaws or feedback items reads as
    nonsense; Vega's own ticks halve a small count)."""
    step = max(1, math.ceil(max(tallest, 1) / (most - 1)))
    return list(range(0, step * math.ceil(max(tallest, 1) / step) + 1, step))
