"""A share (0.25, 1.14) as the whole percentage a user reads (25 %, 114 %).

One rounding everywhere — the pages, the charts, the PDF and the Markdown all print
what :func:`percent` returns — so the same share never reads 12 % in one place and
13 % in another: halves round up (12.5 % → 13 %), not to the even neighbour as
Python's ``round`` does.
"""

from __future__ import annotations

import math
from typing import Any


def percent(share: Any) -> int | None:
    """The share as a whole percentage, halves up; None when there is no share."""
    if share is None:
        return None
    try:
        value = float(share)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return math.floor(value * 100 + 0.5)


def percent_text(share: Any, missing: str = "—") -> str:
    """``percent`` as text ("114%"), or ``missing`` when there is no share."""
    value = percent(share)
    return missing if value is None else f"{value}%"
