"""Which flaws come first: the ones whose fix is still open, then the most severe.

The order every page and export lists flaws in: open fixes first (open, in progress),
each group by severity (critical first), then in the flaws' own list order. The
vocabulary — the severities from least to most serious, and which fix statuses count
as open — is written here once, from the model's own choices.
"""

from __future__ import annotations

from typing import get_args

import pandas as pd

from strategy_canvas import models as m

#: the severities, least serious first (the order of the model's choices)
SEVERITIES: tuple[str, ...] = get_args(m.Severity)
#: a severity's place in urgency: critical 0 … low 3
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(SEVERITIES))}
#: the severities that call for a named fix and owner
SERIOUS: tuple[str, ...] = ("high", "critical")
#: the fix statuses of a flaw still to be dealt with
OPEN_FIX_STATUSES: tuple[str, ...] = ("open", "in_progress")


def is_open(fix_status: object) -> bool:
    return fix_status in OPEN_FIX_STATUSES


def by_urgency(flaws: pd.DataFrame) -> pd.DataFrame:
    """The flaws, most urgent first (see the module docstring), with a boolean
    ``is_open`` column and ``position``: 1 for the first, 2 for the next…"""
    if flaws.empty:
        return flaws.assign(is_open=pd.Series(dtype=bool), position=pd.Series(dtype="int64"))
    frame = flaws.assign(
        is_open=flaws["fix_status"].isin(OPEN_FIX_STATUSES),
        _severity=flaws["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)),
        _order=range(len(flaws)),
    )
    frame = frame.sort_values(["is_open", "_severity", "_order"], ascending=[False, True, True])
    frame = frame.drop(columns=["_severity", "_order"]).reset_index(drop=True)
    return frame.assign(position=range(1, len(frame) + 1))
