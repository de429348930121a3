"""How far a KPI has come: (latest − baseline) ÷ (target − baseline).

The rule, decided once for every page, chart and export:

- **Not clamped.** A "lower is better" KPI with baseline 47, target 10 and a latest
  reading of 5 has come 114 % of the way: it went past its target, and the number says
  so; one that moved away from its target reads below 0 %. Every place prints the same
  number (:func:`strategy_canvas.rules.percent.percent`); a progress *bar* is drawn
  full from 100 % and empty below 0 % (:func:`bar_fill`), with the number beside it.
- **Unknown is not zero.** Without a latest reading, a baseline or a target there is no
  progress (None): a missing baseline is not read as 0.
- **No distance.** When the baseline is the target, a reading at the target is 100 %
  and any other reading has no progress to show.
- **The latest reading** is the one with the latest date; of two on the same day, the
  one recorded last.

Works the same for targets above the baseline (grow sign-ups) and below it (cut a time).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from strategy_canvas.rules.percent import percent

#: the columns of :func:`kpi_table`
COLUMNS = [
    "key_result_id",
    "metric",
    "unit",
    "baseline",
    "latest",
    "latest_on",
    "latest_id",
    "previous",
    "target",
    "target_date",
    "readings",
    "progress",
    "percent",
    "reached",
]


def number(value: Any) -> float | None:
    """A stored number as a float; None when it is missing or not a number."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def progress_to_target(latest: Any, baseline: Any, target: Any) -> float | None:
    """The share of the way from ``baseline`` to ``target`` that ``latest`` has come
    (see the module docstring); None when it cannot be said."""
    latest_f, baseline_f, target_f = number(latest), number(baseline), number(target)
    if latest_f is None or baseline_f is None or target_f is None:
        return None
    if target_f == baseline_f:
        return 1.0 if latest_f == target_f else None
    return (latest_f - baseline_f) / (target_f - baseline_f)


def bar_fill(progress: float | None) -> float:
    """How full a progress bar is drawn: the progress within 0..1 (0 without one)."""
    if progress is None or math.isnan(progress):
        return 0.0
    return max(0.0, min(1.0, progress))


def reached(progress: float | None) -> bool:
    """The KPI is at or past its target."""
    return progress is not None and not math.isnan(progress) and progress >= 1.0


def readings_progress(values: pd.Series, baseline: Any, target: Any) -> pd.Series:
    """Each reading's progress toward the target (None where it cannot be said)."""
    return values.map(lambda v: progress_to_target(v, baseline, target))


def latest_first_order(readings: pd.DataFrame) -> pd.DataFrame:
    """The readings by date, then in the order they were recorded (the last is the
    latest)."""
    on = pd.to_datetime(readings["measured_on"], errors="coerce")
    return readings.assign(_on=on).sort_values(["_on", "id"], kind="stable").drop(columns="_on")


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def kpi_table(key_results: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Per key result (in its list order): its latest reading against its target.

    Columns (:data:`COLUMNS`): ``key_result_id``, ``metric``, ``unit``, ``baseline``,
    ``latest``, ``latest_on``, ``latest_id`` (the reading's id), ``previous``,
    ``target``, ``target_date``, ``readings`` (how many), ``progress`` (the share),
    ``percent`` (the whole percentage every place prints, <NA> when unknown) and
    ``reached`` (at or past the target). Unknown numbers are NaN.
    """
    by_kr: dict[int, list[dict[str, Any]]] = {}
    if not readings.empty:
        for row in latest_first_order(readings).to_dict("records"):
            by_kr.setdefault(int(row["key_result_id"]), []).append(row)
    rows = []
    for kr in key_results.to_dict("records"):
        history = by_kr.get(int(kr["id"]), [])
        latest = history[-1] if history else None
        previous = history[-2] if len(history) > 1 else None
        progress = progress_to_target(
            latest["value"] if latest else None, kr["baseline"], kr["target"]
        )
        rows.append(
            {
                "key_result_id": int(kr["id"]),
                "metric": kr["metric"],
                "unit": kr["unit"],
                "baseline": _nan(number(kr["baseline"])),
                "latest": _nan(number(latest["value"]) if latest else None),
                "latest_on": latest["measured_on"] if latest else None,
                "latest_id": int(latest["id"]) if latest else None,
                "previous": _nan(number(previous["value"]) if previous else None),
                "target": _nan(number(kr["target"])),
                "target_date": kr["target_date"],
                "readings": len(history),
                "progress": _nan(progress),
                "percent": percent(progress),
                "reached": reached(progress),
            }
        )
    numbers = {c: float for c in ("baseline", "latest", "previous", "target", "progress")}
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {**numbers, "latest_id": "Int64", "percent": "Int64", "readings": "int64", "reached": bool}
    )
