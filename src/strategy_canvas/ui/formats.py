"""How stored values read on a page: a choice as words, a number with its unit, a
severity as its icon. Shared by the step pages and the Overview."""

from __future__ import annotations

import math
from typing import Any

from strategy_canvas.ui import fields

SEVERITY_ICONS = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "⚪"}


def choice(value: Any) -> str:
    """A stored choice as people say it: "usability_test" -> "usability test"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return fields.CHOICE_LABELS.get(str(value), str(value).replace("_", " "))


def number(value: Any, unit: str = "") -> str:
    """A KPI value with its unit: 24 min, 36%, 1.4 dinners; "—" when unknown."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(x):
        return "—"
    text = f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")
    unit = (unit or "").strip()
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"
