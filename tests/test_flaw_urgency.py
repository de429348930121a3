"""rules/flaw_urgency.py: open fixes first, then by severity, then in list order."""

from __future__ import annotations

import pandas as pd

from strategy_canvas.rules import flaw_urgency


def test_open_fixes_first_then_severity_then_list_order() -> None:
    flaws = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "title": ["low open", "critical fixed", "high open", "critical doing", "high too"],
            "severity": ["low", "critical", "high", "critical", "high"],
            "fix_status": ["open", "fixed", "open", "in_progress", "open"],
        }
    )
    ordered = flaw_urgency.by_urgency(flaws)
    assert list(ordered["title"]) == [
        "critical doing",
        "high open",
        "high too",
        "low open",
        "critical fixed",
    ]
    assert list(ordered["is_open"]) == [True, True, True, True, False]
    assert list(ordered["position"]) == [1, 2, 3, 4, 5]


def test_the_vocabulary_comes_from_the_model() -> None:
    assert flaw_urgency.SEVERITIES == ("low", "medium", "high", "critical")
    assert list(flaw_urgency.SEVERITY_RANK) == ["critical", "high", "medium", "low"]
    assert flaw_urgency.is_open("in_progress") and not flaw_urgency.is_open("wont_fix")


def test_no_flaws_keeps_the_columns() -> None:
    empty = flaw_urgency.by_urgency(pd.DataFrame(columns=["id", "severity", "fix_status"]))
    assert empty.empty and {"is_open", "position"} <= set(empty.columns)
