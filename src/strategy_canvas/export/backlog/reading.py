"""Reading a tracker's CSV export as it really is.

Real exports are not tidy: Jira repeats a column once per value (47 ``Sprint``
columns, 51 ``Attachment``), has cells of over 140,000 characters, mixes Windows
(CRLF) and bare (LF, CR) line endings, starts with a UTF-8 byte-order mark or was
re-saved by Excel in Windows-1252. :func:`read_backlog` keeps every column, repeats
included, and every cell whole; it refuses only what cannot be read as a table, with
the reason.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2
(a record whose cell holds line breaks is still one row).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from strategy_canvas.services.errors import ValidationFailed

#: Largest file read (Jira exports of a few thousand issues with comments run to tens
#: of megabytes).
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 20_000
#: The prefix our own exports put before a cell a spreadsheet would run as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WHAT = "CSV import"
_DELIMITERS = (",", ";", "\t", "|")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed.single("file", "File", message, what=WHAT)


@dataclass(frozen=True)
class Backlog:
    """A CSV file's header and records, every cell as text (an empty cell is "")."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: per record, the row a spreadsheet shows it on
    row_numbers: tuple[int, ...]
    encoding: str = "UTF-8"
    delimiter: str = ","
    #: per record, cells beyond the header's columns (a cut or mis-quoted line)
    overflow: dict[int, int] = field(default_factory=dict)

    @cached_property
    def columns(self) -> list[str]:
        """The column names, each once, in the order they first appear."""
        return list(dict.fromkeys(self.headers))

    @cached_property
    def positions(self) -> dict[str, tuple[int, ...]]:
        """Column name -> the positions of every column of that name."""
        out: dict[str, list[int]] = {}
        for index, name in enumerate(self.headers):
            out.setdefault(name, []).append(index)
        return {name: tuple(found) for name, found in out.items()}

    def repeats(self, column: str) -> int:
        return len(self.positions.get(column, ()))

    def cells(self, index: int, column: str) -> list[str]:
        """Every cell of ``column`` (all its repeats) in record ``index``."""
        row = self.rows[index]
        return [row[p] for p in self.positions[column]]

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self, limit: int | None = None) -> pd.DataFrame:
        """The records as a DataFrame for display; a repeated column's cells are shown
        together, joined by " | " (none is dropped)."""
        records = self.rows if limit is None else self.rows[:limit]
        data = {
            column: [
                " | ".join(c for c in (row[p] for p in self.positions[column]) if c)
                if self.repeats(column) > 1
                else row[self.positions[column][0]]
                for row in records
            ]
            for column in self.columns
        }
        return pd.DataFrame(data, columns=self.columns)

    def describe_columns(self) -> str:
        """The columns as a person reads them: ``Summary, Sprint (×47), Labels (×5)``."""
        return ", ".join(
            f"{c} (×{self.repeats(c)})" if self.repeats(c) > 1 else c for c in self.columns
        )


def decode(raw: bytes) -> tuple[str, str]:
    """The text of ``raw`` and the name of its encoding.

    UTF-16 and UTF-8 by their byte-order marks, else UTF-8, else Windows-1252 (what
    Excel on Windows saves as "CSV"). A file that holds both UTF-8 characters and bytes
    that are not UTF-8 was stitched together from two encodings: it is refused, as any
    reading of it would garble one half.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise file_error(
                f"is not valid UTF-16 text (bad bytes at offset {exc.start})"
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as exc:
            raise file_error(
                f"starts as UTF-8 but byte {exc.start + 3:,} is not UTF-8; save it again as "
                "CSV UTF-8"
            ) from None
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    if _UTF8_MULTIBYTE.search(raw):
        line = raw[:bad].count(b"\n") + 1
        raise file_error(
            f"mixes two encodings: it holds UTF-8 text, but byte {bad:,} (line {line}) is "
            "not UTF-8; save it again as CSV UTF-8"
        )
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise file_error(
            f"is not UTF-8 or Windows-1252 text (bad byte at offset {exc.start:,}); save it "
            "as CSV UTF-8"
        ) from None


def _header_line(text: str) -> str:
    """The first record's text up to its end (line breaks inside quotes included)."""
    quoted = False
    for index, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            return text[:index]
    return text


def _delimiter(header: str) -> str:
    """The delimiter the header uses most, outside quotes (a comma when none)."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of every record, the header first."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_error(f"is not CSV this can read: {exc} (row {number + 1})") from None
        number += 1
        yield number, cells


def _cell(text: str) -> str:
    """A cell with its line breaks as ``\\n`` (a file may mix CRLF, LF and CR)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _unguard(text: str) -> str:
    """Undo the formula guard of our own export (a ``'`` before ``=``, ``+`` ...)."""
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def read_backlog(raw: bytes) -> Backlog:
    """A backlog CSV's header and records (see the module docstring).

    Raises ValidationFailed naming the problem: too large, empty, not text, not CSV, a
    header with no names, more than :data:`MAX_ROWS` rows, no rows at all.
    """
    if len(raw) > MAX_BYTES:
        raise file_error(
            f"is {len(raw) / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB "
            "can be imported"
        )
    text, encoding = decode(raw)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise file_error(f"holds a NUL character (line {line}); it is not a text CSV file")
    if not text.strip():
        raise file_error("is empty; expected a CSV export with a header row")
    first_line = _header_line(text)
    hint = re.fullmatch(r"sep=(.)", first_line.strip())  # Excel's "sep=;" first line
    if hint:
        delimiter = hint.group(1)
        text = text[len(first_line) :].lstrip("\r\n")
        first_line = _header_line(text)
    else:
        delimiter = _delimiter(first_line)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    records = _records(text, delimiter)
    _, header = next(records, (1, []))
    headers = tuple(_cell(h).strip() for h in header)
    if not any(headers):
        raise file_error("has no column names in its first row")
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    overflow: dict[int, int] = {}
    width = len(headers)
    for number, cells in records:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(rows) == MAX_ROWS:
            raise file_error(
                f"has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} can be imported"
            )
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            overflow[len(rows)] = len(cells) - width
        cells = cells[:width] + [""] * (width - len(cells))
        rows.append(tuple(_unguard(_cell(c)) for c in cells))
        numbers.append(number)
    if not rows:
        raise file_error("has a header row but no rows to import")
    return Backlog(headers, tuple(rows), tuple(numbers), encoding, delimiter, overflow)


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats told apart (``Labels``, ``Labels (2)``), for display."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
