"""Features and the roadmap as CSV, and features imported from a backlog CSV.

Export: :func:`features_csv` (every feature with every score and the titles it links
to) and :func:`roadmap_csv`. Both write UTF-8 with a header row. A text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a
spreadsheet shows it instead of running it as a formula (OWASP's advice for CSV
injection); :func:`read_backlog` takes that ``'`` off again, so our own exports
re-import unchanged.

Import, in three steps so a page or the CLI can show what will happen first:

1. :func:`read_backlog` reads the file (delimiter sniffed, UTF-8 with or without BOM,
   Windows-1252 as a fallback; at most :data:`MAX_BYTES` and :data:`MAX_ROWS`).
2. :func:`suggest_mapping` maps feature fields to the file's columns by the names Jira,
   Linear and Productboard give them; the user may change it.
3. :func:`plan_import` validates every row through ``FeatureCreate`` and splits the rows
   into features to create and features to update: a row whose external key (Jira's
   "Issue key", Linear's "ID", Productboard's "Feature ID") matches a feature of the
   canvas updates that feature, so importing an updated export never duplicates.
   :func:`apply_import` then writes the plan in one transaction, or nothing at all if any
   row is bad.

Row numbers are those a spreadsheet shows: the header is row 1, the first feature row 2.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas import scoring
from strategy_canvas.services import items
from strategy_canvas.services.errors import FieldError, ValidationFailed
from strategy_canvas.services.validation import field_label, validate

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
#: Bad rows listed in one error (the rest are counted).
MAX_ERRORS_LISTED = 50
#: Story points (Jira) or estimate points (Linear) per person-month of effort. A team
#: whose developers finish about 5 points in a two-week sprint does about 10 a month;
#: pass your own to :func:`plan_import` (1.0 when the column is already person-months).
POINTS_PER_PERSON_MONTH = 10.0

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WHAT = "CSV import"

# ----------------------------------------------------------------------- export

FEATURE_COLUMNS = [
    "id",
    "title",
    "kind",
    "status",
    "description",
    "persona",
    "goal",
    "epic",
    "reach",
    "reach_low",
    "reach_high",
    "impact",
    "confidence",
    "effort",
    "effort_low",
    "effort_high",
    "ease",
    "value",
    "moscow",
    "kano",
    "rice",
    "ice",
    "value_effort",
    "weighted",
    "rice_rank",
    "median_rank",
    "external_key",
    "external_url",
    "labels",
]
ROADMAP_COLUMNS = [
    "id",
    "title",
    "feature",
    "lane",
    "status",
    "start_date",
    "end_date",
    "owner",
    "team",
    "milestone",
    "depends_on",
    "notes",
]


def _guard(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _to_csv(frame: pd.DataFrame) -> str:
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    guarded = frame.copy()
    for column in text_columns:
        guarded[column] = guarded[column].map(_guard)
    return guarded.to_csv(index=False, lineterminator="\n")


def _titles(session: Session, canvas_token: str, kind: str) -> dict[int, str]:
    return {
        row.id: items.item_title(row)
        for row in items.list_items(session=session, canvas_token=canvas_token, kind=kind)
    }


def features_frame(*, session: Session, canvas_token: str) -> pd.DataFrame:
    """Every feature with its fields, the titles it links to and every score."""
    features = items.items_frame(session=session, canvas_token=canvas_token, kind="feature")
    if features.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    criteria = items.items_frame(session=session, canvas_token=canvas_token, kind="criterion")
    scores = items.items_frame(session=session, canvas_token=canvas_token, kind="criterion_score")
    ranks = scoring.rank_table(features, criteria_df=criteria, scores_df=scores)
    personas = _titles(session, canvas_token, "persona")
    goals = _titles(session, canvas_token, "goal")
    titles = dict(zip(features["id"], features["title"], strict=True))
    out = features.assign(
        persona=features["persona_id"].map(personas),
        goal=features["goal_id"].map(goals),
        epic=features["epic_id"].map(titles),
        rice=ranks["rice_score"].round(2),
        ice=ranks["ice_score"].round(2),
        value_effort=ranks["value_effort_score"].round(3),
        weighted=ranks["weighted_score"].round(3),
        rice_rank=ranks["rice_rank"].astype("Int64"),
        median_rank=ranks["median_rank"],
    )
    return out[FEATURE_COLUMNS]


def features_csv(*, session: Session, canvas_token: str) -> str:
    """Every feature as CSV: fields, persona, goal and epic titles, RICE, ICE,
    value/effort and weighted scores, ranks, external key and link."""
    return _to_csv(features_frame(session=session, canvas_token=canvas_token))


def roadmap_csv(*, session: Session, canvas_token: str) -> str:
    """Every roadmap item as CSV, with the feature's title and what it depends on."""
    roadmap = items.items_frame(session=session, canvas_token=canvas_token, kind="roadmap_item")
    if roadmap.empty:
        return _to_csv(pd.DataFrame(columns=ROADMAP_COLUMNS))
    features = _titles(session, canvas_token, "feature")
    titles = dict(zip(roadmap["id"], roadmap["title"], strict=True))
    depends: dict[int, list[str]] = {}
    for dep in items.list_items(session=session, canvas_token=canvas_token, kind="dependency"):
        depends.setdefault(dep.item_id, []).append(titles.get(dep.depends_on_id, ""))
    out = roadmap.assign(
        feature=roadmap["feature_id"].map(features),
        depends_on=roadmap["id"].map(lambda i: "; ".join(depends.get(i, []))),
    )
    return _to_csv(out[ROADMAP_COLUMNS])


# ------------------------------------------------------------------------- read


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed.single("file", "File", message, what=_WHAT)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # what Excel on Windows saves as "CSV"
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _file_error(
            f"is not UTF-8 text (bad byte at offset {exc.start}); save it as CSV UTF-8"
        ) from None


def read_backlog(raw: bytes) -> pd.DataFrame:
    """The rows of a backlog CSV as a DataFrame of text (empty cells are "").

    Raises ValidationFailed naming the problem: too large, empty, not text, not CSV,
    more than :data:`MAX_ROWS` rows.
    """
    if len(raw) > MAX_BYTES:
        raise _file_error(
            f"is {len(raw) / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB "
            "can be imported"
        )
    text = _decode(raw)
    if not text.strip():
        raise _file_error("is empty; expected a CSV export with a header row")
    sample = text[:64_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise _file_error(f"is not a CSV file this can read: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise _file_error("has a header row but no rows to import")
    if len(frame) > MAX_ROWS:
        raise _file_error(f"has {len(frame):,} rows; at most {MAX_ROWS:,} can be imported")
    # Undo the formula guard of our own export (see the module docstring).
    return frame.map(
        lambda v: v[1:] if isinstance(v, str) and v[:1] == "'" and v[1:2] in _FORMULA_START else v
    )


# ---------------------------------------------------------------------- mapping

#: Per feature field, the column names that mean it, best first, as Jira (Cloud and
#: Server CSV export), Linear (CSV export) and Productboard (features CSV export) write
#: them; compared without case, spaces, underscores or punctuation.
KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("Summary", "Title", "Feature name", "Name", "Feature", "Issue summary"),
    "description": ("Description", "Feature description", "Body", "Details"),
    "external_key": (
        "External key",
        "Issue key",
        "Key",
        "ID",
        "Feature ID",
        "Identifier",
        "Issue ID",
    ),
    "external_url": (
        "External link",
        "External URL",
        "URL",
        "Link",
        "Feature URL",
        "Productboard URL",
        "Issue URL",
        "Web URL",
    ),
    "effort": (
        "Story Points",
        "Custom field (Story Points)",
        "Custom field (Story point estimate)",
        "Story point estimate",
        "Estimate",
        "Effort",
        "Points",
    ),
    "status": ("Status", "Feature status", "State", "Workflow state"),
    "moscow": ("MoSCoW", "Priority", "Feature priority"),
    "kind": ("Issue Type", "Issue type", "Type", "Feature type"),
    "reach": ("Reach",),
    "impact": ("Impact",),
    "confidence": ("Confidence",),
    "ease": ("Ease",),
    "value": ("Value", "Business value", "Custom field (Business Value)"),
    "kano": ("Kano",),
}
IMPORT_FIELDS = tuple(KNOWN_COLUMNS)

_STATUS = {
    # Jira
    "to do": "idea",
    "open": "idea",
    "backlog": "idea",
    "new": "idea",
    "selected for development": "planned",
    "ready": "planned",
    "ready for development": "planned",
    "in progress": "building",
    "in review": "building",
    "in development": "building",
    "code review": "building",
    "testing": "building",
    "done": "shipped",
    "closed": "shipped",
    "resolved": "shipped",
    "released": "shipped",
    "won't do": "dropped",
    "wont do": "dropped",
    "won't fix": "dropped",
    "cancelled": "dropped",
    "canceled": "dropped",
    "duplicate": "dropped",
    "archived": "dropped",
    # Linear
    "triage": "idea",
    "todo": "idea",
    # Productboard
    "new idea": "idea",
    "candidate": "idea",
    "under consideration": "idea",
    "planned": "planned",
    "next": "planned",
    "shipped": "shipped",
    "completed": "shipped",
    "won't implement": "dropped",
    # ours
    "idea": "idea",
    "building": "building",
    "dropped": "dropped",
}
#: Priority → MoSCoW. Jira: Highest/Blocker/Critical, High, Medium/Major, Low/Minor,
#: Lowest/Trivial; Linear: Urgent, High, Medium, Low, No priority; or MoSCoW itself.
_MOSCOW = {
    "must": "must",
    "must have": "must",
    "should": "should",
    "should have": "should",
    "could": "could",
    "could have": "could",
    "won't": "wont",
    "wont": "wont",
    "won't have": "wont",
    "highest": "must",
    "blocker": "must",
    "critical": "must",
    "urgent": "must",
    "p0": "must",
    "p1": "should",
    "high": "should",
    "medium": "could",
    "major": "could",
    "normal": "could",
    "p2": "could",
    "low": "wont",
    "lowest": "wont",
    "minor": "wont",
    "trivial": "wont",
    "p3": "wont",
    "p4": "wont",
}
_KIND = {"epic": "epic", "story": "story", "user story": "story"}
_NO_VALUE = {"", "no priority", "none", "-", "n/a", "unassigned"}


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.lower())


def suggest_mapping(columns: Iterable[str]) -> dict[str, str]:
    """field -> column of the file, for the fields whose column has a known name.

    >>> suggest_mapping(["Issue key", "Summary", "Status", "Story Points"])
    {'title': 'Summary', 'external_key': 'Issue key', 'effort': 'Story Points', 'status': 'Status'}
    """
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(_norm(column), column)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field_name, names in KNOWN_COLUMNS.items():
        for name in names:
            found = by_name.get(_norm(name))
            if found is not None and found not in taken:
                mapping[field_name] = found
                taken.add(found)
                break
    return mapping


def parse_mapping(pairs: Iterable[str], columns: Sequence[str] | None = None) -> dict[str, str]:
    """``["title=Summary", "effort=Story Points"]`` (the CLI's ``--map``) as a mapping.

    Raises ValidationFailed for a malformed pair, an unknown field or (when ``columns``
    is given) a column the file does not have.
    """
    mapping: dict[str, str] = {}
    errors: list[FieldError] = []
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            errors.append(FieldError("map", "Mapping", f"{pair!r} must read FIELD=COLUMN"))
        elif name not in IMPORT_FIELDS:
            errors.append(
                FieldError(
                    "map",
                    "Mapping",
                    f"{name!r} is not a field; use one of {', '.join(IMPORT_FIELDS)}",
                )
            )
        elif columns is not None and column not in columns:
            errors.append(FieldError("map", "Mapping", f"the file has no column {column!r}"))
        else:
            mapping[name] = column
    if errors:
        raise ValidationFailed(errors, what=_WHAT)
    return mapping


# ------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported, and why (one per broken rule)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field} {self.message}"


@dataclass(frozen=True)
class PlannedRow:
    row: int
    data: dict[str, Any]
    #: for an update: the feature and the version it was read at
    feature_id: int | None = None
    expected_version: int | None = None


@dataclass
class ImportPlan:
    """What an import would do: nothing is written until :func:`apply_import`."""

    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    #: rows whose feature already holds exactly these values
    unchanged: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: values that were read with a guess, e.g. a status this does not know
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = (
            f"{len(self.creates)} new, {len(self.updates)} updated, {len(self.unchanged)} unchanged"
        )
        return text + (f"; {len(self.errors)} problems" if self.errors else "")


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").removesuffix("%").strip()
    if cleaned.lower() in _NO_VALUE:
        return None
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class _RowReader:
    def __init__(self, row_number: int, points_per_person_month: float) -> None:
        self.row = row_number
        self.points = points_per_person_month
        self.errors: list[RowError] = []
        self.warnings: list[str] = []

    def error(self, field_name: str, message: str) -> None:
        label = field_label(m.FeatureCreate, field_name)
        self.errors.append(RowError(self.row, label, message))

    def value(self, field_name: str, text: str) -> Any:
        text = text.strip()
        key = text.lower()
        if field_name in ("title", "description", "external_key", "external_url"):
            return text
        if key in _NO_VALUE:
            return None
        if field_name == "status":
            status = _STATUS.get(key)
            if status is None:
                self.warnings.append(f"row {self.row}: status {text!r} is unknown; read as Idea")
                return "idea"
            return status
        if field_name == "moscow":
            moscow = _MOSCOW.get(key)
            if moscow is None:
                self.error(field_name, f"{text!r} is not a priority or MoSCoW category")
            return moscow
        if field_name == "kind":
            return _KIND.get(key, "feature")
        if field_name == "kano":
            return key
        try:
            number = _number(text)
        except ValueError:
            self.error(field_name, f"must be a number, not {text!r}")
            return None
        if number is None:
            return None
        if field_name == "effort":
            if number == 0:
                return None  # zero points: not estimated
            return round(number / self.points, 2)
        if field_name in ("reach", "confidence", "ease", "value") and number.is_integer():
            return int(number)
        return number


def plan_import(
    *,
    session: Session,
    canvas_token: str,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    points_per_person_month: float = POINTS_PER_PERSON_MONTH,
) -> ImportPlan:
    """Validate every row and decide, per row, to create or to update a feature.

    ``mapping`` is field -> column (see :func:`suggest_mapping`); it must map ``title``.
    Rows are validated through ``FeatureCreate`` (an update: the stored feature with the
    row's values on top). Every bad row is listed with its row number and reason; rows
    whose external key appears twice in the file are bad too.
    """
    problems = []
    if "title" not in mapping:
        problems.append(FieldError("map", "Mapping", "must map title to a column"))
    unknown = [f for f in mapping if f not in IMPORT_FIELDS]
    if unknown:
        problems.append(FieldError("map", "Mapping", f"unknown fields: {', '.join(unknown)}"))
    missing = [c for c in mapping.values() if c not in frame.columns]
    if missing:
        problems.append(FieldError("map", "Mapping", f"the file has no column {missing[0]!r}"))
    if points_per_person_month <= 0:
        problems.append(FieldError("points", "Points per person-month", "must be above 0"))
    if problems:
        raise ValidationFailed(problems, what=_WHAT)

    existing = {
        row.external_key: row
        for row in items.list_items(session=session, canvas_token=canvas_token, kind="feature")
        if row.external_key
    }
    plan = ImportPlan()
    seen: dict[str, int] = {}
    fields = list(m.FeatureCreate.model_fields)
    for index, record in enumerate(frame.to_dict("records")):
        reader = _RowReader(index + 2, points_per_person_month)
        read = {f: reader.value(f, str(record[c] or "")) for f, c in mapping.items()}
        # An empty cell sets nothing: a new feature keeps the default, an update keeps
        # what the team entered here (scores, links).
        data = {k: v for k, v in read.items() if v is not None}
        key = str(data.get("external_key") or "").strip()
        if key and key in seen:
            reader.error("external_key", f"{key!r} is also on row {seen[key]}")
        elif key:
            seen[key] = reader.row
        current = existing.get(key) if key else None
        merged = data if current is None else {f: getattr(current, f) for f in fields} | data
        if not reader.errors:
            try:
                validate(m.FeatureCreate, merged, what=_WHAT)
            except ValidationFailed as exc:
                reader.errors += [RowError(reader.row, e.label, e.message) for e in exc.errors]
        plan.warnings += reader.warnings
        if reader.errors:
            plan.errors += reader.errors
        elif current is None:
            plan.creates.append(PlannedRow(reader.row, merged))
        else:
            changes = {
                k: v
                for k, v in data.items()
                if (v.strip() if isinstance(v, str) else v) != getattr(current, k)
            }
            if not changes:
                plan.unchanged.append(reader.row)
            else:
                plan.updates.append(PlannedRow(reader.row, changes, current.id, current.version))
    return plan


def apply_import(*, session: Session, canvas_token: str, plan: ImportPlan) -> dict[str, int]:
    """Write the plan in one transaction: every create and update, or nothing.

    Raises ValidationFailed listing the bad rows if the plan has any (nothing is
    written), and ConflictError if someone changed a feature since the plan was made
    (nothing is written; plan again).
    """
    if plan.errors:
        listed = [
            FieldError(f"row {e.row}", f"Row {e.row}: {e.field}", e.message)
            for e in plan.errors[:MAX_ERRORS_LISTED]
        ]
        hidden = len(plan.errors) - len(listed)
        if hidden:
            listed.append(FieldError("rows", "…", f"and {hidden:,} more problems"))
        raise ValidationFailed(listed, what=_WHAT)
    try:
        for planned in plan.creates:
            items.create_item(
                session=session,
                canvas_token=canvas_token,
                kind="feature",
                data=planned.data,
                commit=False,
            )
        for planned in plan.updates:
            assert planned.feature_id is not None and planned.expected_version is not None
            items.update_item(
                session=session,
                canvas_token=canvas_token,
                kind="feature",
                item_id=planned.feature_id,
                changes=planned.data,
                expected_version=planned.expected_version,
                commit=False,
            )
        session.commit()
    except BaseException:
        if session.in_transaction():
            session.rollback()
        raise
    return {
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "unchanged": len(plan.unchanged),
    }
