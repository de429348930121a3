"""Cells read as the values they mean: numbers written the way a locale writes them,
dates as trackers write them, long text fitted to a field with a visible note.

Each reader raises ValueError with a message that completes "Field: …" when a cell
cannot be read; the caller turns it into a problem of that row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from strategy_canvas.export.backlog.vocabulary import month_number

DateOrder = Literal["dmy", "mdy"]


# -------------------------------------------------------------------------- text


def cut_note(length: int) -> str:
    return f" … (cut, {length:,} characters in the file)"


def fit(text: str, limit: int) -> tuple[str, bool]:
    """``text`` whole if it fits ``limit``; else cut so that it and the note
    "… (cut, N characters in the file)" fill the limit. Returns (text, was_cut)."""
    if len(text) <= limit:
        return text, False
    note = cut_note(len(text))
    return text[: limit - len(note)].rstrip() + note, True


def split_values(cells: Iterable[str]) -> list[str]:
    """The values of one or more cells of a multi-valued field (Jira repeats the column,
    Linear and Asana join values with commas), each once, in order."""
    out: dict[str, None] = {}
    for cell in cells:
        for part in cell.split(","):
            value = " ".join(part.split())
            if value:
                out.setdefault(value, None)
    return list(out)


def fit_list(values: list[str], limit: int) -> tuple[str, bool]:
    """``values`` joined with ", ", cut at a value's end with the note if too long."""
    text = ", ".join(values)
    if len(text) <= limit:
        return text, False
    note = cut_note(len(text))
    kept: list[str] = []
    for value in values:
        if len(", ".join([*kept, value])) + len(note) > limit:
            break
        kept.append(value)
    return ", ".join(kept) + note, True


# ------------------------------------------------------------------------ numbers

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def number(text: str) -> tuple[float, int]:
    """The number in ``text`` and how many decimals it was written with.

    ``1,234`` and ``1,234.5`` have thousands commas; ``2,5`` and ``1.234,5`` a decimal
    comma (as Spanish, German, French and Portuguese Jira write story points).
    """
    cleaned = text.strip().removesuffix("%").strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):  # 1.234,5
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:  # 1,234.5
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = (
            cleaned.replace(",", "") if _THOUSANDS.match(cleaned) else cleaned.replace(",", ".")
        )
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"must be a number, not {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"must be a number, not {text.strip()!r}")
    decimals = (
        len(cleaned.partition(".")[2]) if "." in cleaned and "e" not in cleaned.lower() else 0
    )
    return value, decimals


def round_half_up(value: float, decimals: int) -> float:
    """``value`` rounded as a person does (2.5 → 3), not to the even neighbour."""
    factor = 10**decimals
    return math.floor(value * factor + 0.5) / factor


# -------------------------------------------------------------------------- dates

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:\s.*)?$")
_JAPANESE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")
#: JavaScript's Date.toString(), as Linear's older exports write dates:
#: ``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)``
_JS = re.compile(r"^[A-Za-z]{3},? ([A-Za-z]{3}) (\d{1,2}),? (\d{4})(?:\s.*)?$")
#: Jira's ``24/jun/24``, ``12/Aug/26 9:14 AM``, ``24/ene/24``, ``3/6月/24``; also
#: ``24 Jun 2024`` and ``24-Jun-2024``
_DAY_MONTH_NAME = re.compile(
    r"^(\d{1,2})[/\- .]+([^\W\d_]+\.?|\d{1,2}月)[/\- .]+(\d{2}|\d{4})(?:\s.*)?$"
)
#: ``Jun 24, 2024`` and ``June 24 2024``
_MONTH_NAME_DAY = re.compile(r"^([^\W\d_]+)\.? (\d{1,2}),? (\d{4})(?:\s.*)?$")
#: ``11/01/2023 15:22``, ``11.01.2023``, ``11-01-23``: day and month in some order
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[\sT,].*)?$")

EXAMPLES = "e.g. 2026-08-24, 24/Aug/26 or 08/24/2026"


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def numeric_order(texts: Iterable[str]) -> tuple[DateOrder | None, list[str]]:
    """Whether a column's numeric dates are day-first or month-first, judged from the
    column as a whole: a first number above 12 means day-first, a second above 12
    month-first. Returns (order or None when every date could be either, the dates
    that could be either)."""
    day_first = month_first = False
    either: list[str] = []
    for text in texts:
        found = _NUMERIC.match(text.strip())
        if not found:
            continue
        first, second = int(found.group(1)), int(found.group(2))
        if first > 12 >= second:
            day_first = True
        elif second > 12 >= first:
            month_first = True
        elif first != second:
            either.append(text.strip())
    if day_first and not month_first:
        return "dmy", []
    if month_first and not day_first:
        return "mdy", []
    return None, either


def parse_date(text: str, order: DateOrder = "dmy") -> date:
    """The date ``text`` names, in any of the forms trackers write (see the patterns
    above); ``order`` settles numeric dates such as ``11/01/2023``."""
    cleaned = " ".join(text.split())
    if found := _ISO.match(cleaned):
        return _make(int(found[1]), int(found[2]), int(found[3]), cleaned)
    if found := _YMD.match(cleaned) or _JAPANESE.match(cleaned):
        return _make(int(found[1]), int(found[2]), int(found[3]), cleaned)
    if found := _JS.match(cleaned):
        month = month_number(found[1])
        if month:
            return _make(int(found[3]), month, int(found[2]), cleaned)
    if found := _DAY_MONTH_NAME.match(cleaned):
        word = found[2]
        month = int(word[:-1]) if word.endswith("月") else month_number(word)
        if month:
            return _make(_year(found[3]), month, int(found[1]), cleaned)
    if found := _MONTH_NAME_DAY.match(cleaned):
        month = month_number(found[1])
        if month:
            return _make(int(found[3]), month, int(found[2]), cleaned)
    if found := _NUMERIC.match(cleaned):
        first, second = int(found[1]), int(found[2])
        day, month = (first, second) if order == "dmy" else (second, first)
        return _make(_year(found[3]), month, day, cleaned)
    raise ValueError(f"{cleaned!r} is not a date this can read ({EXAMPLES})")


@dataclass(frozen=True)
class DateColumn:
    """How a file's date column is read: its numeric order and whether it was a guess."""

    order: DateOrder
    guessed_from: tuple[str, ...] = ()
