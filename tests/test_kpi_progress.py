"""rules/kpi_progress.py and rules/percent.py: how far a KPI has come, said once for every
page, chart and export."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import pytest

from strategy_canvas.rules import kpi_progress
from strategy_canvas.rules.percent import percent, percent_text


@pytest.mark.parametrize(
    ("latest", "baseline", "target", "expected"),
    [
        (24, 47, 10, (47 - 24) / 37),  # lower is better, on its way
        (5, 47, 10, 42 / 37),  # lower is better, past the target: 114 %, not clamped
        (60, 47, 10, -13 / 37),  # moved away from the target: below 0 %
        (100, 20, 60, 2.0),  # higher is better, twice as far as the target
        (40, 20, 60, 0.5),
        (5, 5, 5, 1.0),  # no distance, and at the target
        (4, 5, 5, None),  # no distance: no share to show
        (None, 20, 60, None),  # no reading
        (30, None, 60, None),  # a missing baseline is unknown, not 0
        (30, 20, None, None),  # no target
        ("n/a", 20, 60, None),
    ],
)
def test_progress_to_target(latest: Any, baseline: Any, target: Any, expected: Any) -> None:
    got = kpi_progress.progress_to_target(latest, baseline, target)
    assert got == (None if expected is None else pytest.approx(expected))


def test_the_issues_example_reads_114_percent_and_fills_its_bar() -> None:
    progress = kpi_progress.progress_to_target(5, 47, 10)
    assert percent(progress) == 114 and percent_text(progress) == "114%"
    assert kpi_progress.bar_fill(progress) == 1.0 and kpi_progress.reached(progress)
    assert kpi_progress.bar_fill(-0.35) == 0.0 and not kpi_progress.reached(-0.35)
    assert kpi_progress.bar_fill(None) == 0.0 and not kpi_progress.reached(None)


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.125, 13), (0.135, 14), (1.135, 114), (-0.3514, -35), (0.0049, 0), (0.995, 100)],
)
def test_percent_rounds_halves_up_the_same_everywhere(share: float, shown: int) -> None:
    assert percent(share) == shown and percent_text(share) == f"{shown}%"


def test_percent_of_nothing_is_nothing() -> None:
    for missing in (None, math.nan, "x", math.inf):
        assert percent(missing) is None and percent_text(missing) == "—"


def test_the_table_takes_the_latest_reading_by_date_then_by_entry() -> None:
    krs = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "metric": ["Time", "Sign-ups", "Visits"],
            "unit": ["min", "", ""],
            "baseline": [47.0, None, 10.0],
            "target": [10.0, 100.0, None],
            "target_date": [None, None, None],
        }
    )
    readings = pd.DataFrame(
        {
            "id": [10, 11, 12, 13],
            "key_result_id": [1, 1, 1, 2],
            "measured_on": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 9, 1), date(2026, 9, 1)],
            "value": [20.0, 9.0, 5.0, 50.0],
        }
    )
    table = kpi_progress.kpi_table(krs, readings).set_index("key_result_id")
    # two readings on the latest day: the one recorded last (id 12) is the latest
    assert table.loc[1, "latest"] == 5.0 and table.loc[1, "latest_id"] == 12
    assert table.loc[1, "previous"] == 9.0 and table.loc[1, "readings"] == 3
    assert table.loc[1, "percent"] == 114 and bool(table.loc[1, "reached"])
    # no baseline: no progress, even though a reading and a target exist
    assert math.isnan(table.loc[2, "progress"]) and pd.isna(table.loc[2, "percent"])
    assert math.isnan(table.loc[3, "progress"]) and table.loc[3, "readings"] == 0
    assert list(table.columns) == kpi_progress.COLUMNS[1:]
