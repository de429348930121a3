"""A backlog's rows as features of a canvas: map the columns, plan, then write.

1. :func:`suggest_mapping` maps import fields to the file's columns by the names Jira
   (in its languages), Linear, Asana and Productboard give them; the user may change it.
2. :func:`plan_import` reads every row through the schemas and decides, per row, to
   create a feature, update one, or leave it as it is. Nothing is written. It reports
   every row with a real problem, every value it does not know together with what it
   became (a status of the team's own workflow, ``UAT``, becomes ``idea`` unless the
   team maps it), and every text it had to cut.
3. :func:`apply_import` writes the plan in one transaction. By default a plan with a
   bad row writes nothing; with ``skip_invalid`` the good rows are written and the bad
   ones are listed as skipped. Either way a row is imported with its values or
   reported, never half-written.

Which feature a row updates: a row carrying this canvas's own ``Strategy Canvas ID``
(:func:`item_ref`, written by the tracker export) updates that item, so a file pushed to
Jira or Linear and brought back changes nothing that was not changed there; else a row
whose external key (Jira's "Issue key", Linear's "ID", Asana's "Task ID") matches a
feature updates it; else it is a new feature.

An empty cell sets nothing: a new feature keeps the default, an update keeps what the
team entered in the canvas (scores, links).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from annotated_types import Le
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.export.backlog import vocabulary as vocab
from strategy_canvas.export.backlog.mapping import (
    CHOICE_FIELDS,
    FEATURE_FIELDS,
    FIELD_LABELS,
    canvas_tag,
    mapping_problems,
    parse_ref,
    quoted,
    ref,
)
from strategy_canvas.export.backlog.reading import WHAT, Backlog
from strategy_canvas.export.backlog.values import (
    DateOrder,
    fit,
    fit_list,
    number,
    numeric_order,
    parse_date,
    round_half_up,
    split_values,
)
from strategy_canvas.services import items
from strategy_canvas.services.errors import FieldError, ValidationFailed
from strategy_canvas.services.validation import validate

#: Story points (Jira) or estimate points (Linear) per person-month of effort. A team
#: whose developers finish about 5 points in a two-week sprint does about 10 a month.
#: A column named "Effort" is read as person-months already.
POINTS_PER_PERSON_MONTH = 10.0
_VOCABULARY = {
    "status": vocab.FEATURE_STATUS,
    "moscow": vocab.MOSCOW,
    "kind": vocab.KIND,
    "kano": vocab.KANO,
}
#: What a value this does not know becomes (None: the field is left unset).
_UNKNOWN_BECOMES: dict[str, str | None] = {
    "status": "idea",
    "moscow": None,
    "kind": "feature",
    "kano": None,
}
FULL_TITLE = "Full title: "
#: the most effort a feature may have, in person-months
_EFFORT_MAX = float(
    next(  # type: ignore[arg-type]
        rule.le for rule in m.FeatureCreate.model_fields["effort"].metadata if isinstance(rule, Le)
    )
)
_ROADMAP_FROM_FEATURE = {"building": "in_progress", "shipped": "done"}
_TEXT_FIELDS = ("title", "description", "external_key", "external_url")


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported, and why (one per broken rule)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field} {self.message}"


@dataclass(frozen=True)
class UnknownValue:
    """A value of a vocabulary field this does not know, and what it became.

    A status of a team's own workflow takes its Jira status category's meaning row by
    row, so it may become different things in different rows: ``outcomes`` lists each
    with its rows, and ``became`` is the outcome of most rows.
    """

    field: str
    value: str
    became: str | None
    rows: tuple[int, ...]
    #: (what it became, in which rows), in the order first met; one entry or more
    outcomes: tuple[tuple[str | None, tuple[int, ...]], ...] = ()

    @property
    def mixed(self) -> bool:
        """Whether its rows became different things (as their status category says)."""
        return len(self.outcomes) > 1

    def __str__(self) -> str:
        label = FIELD_LABELS[self.field]
        head = f"{label} “{self.value}” is not one this knows ({rows_text(self.rows)})"
        if not self.mixed:
            return f"{head}; it became {_became(self.became)}"
        each = [f"{_became(became)} ({rows_text(rows)})" for became, rows in self.outcomes]
        listed = ", ".join(each[:-1]) + f" and {each[-1]}"
        return f"{head}; as its Jira status category says, it became {listed}"


def _became(value: str | None) -> str:
    return value if value is not None else "nothing (left unset)"


def rows_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:5])
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


@dataclass(frozen=True)
class PlannedSchedule:
    """A feature's place on the roadmap, from its start and due dates."""

    data: dict[str, Any]
    #: for an update: the roadmap item and the version it was read at
    item_id: int | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PlannedRow:
    row: int
    kind: Literal["feature", "roadmap_item"]
    title: str
    #: a create: every value; an update: the changes only
    data: dict[str, Any]
    item_id: int | None = None
    expected_version: int | None = None
    #: the file row whose new feature is this one's epic (linked once it exists)
    epic_row: int | None = None
    schedule: PlannedSchedule | None = None


@dataclass(frozen=True)
class RowPreview:
    """One row as the page previews it: what happens and with which values."""

    row: int
    action: Literal["new", "update", "unchanged", "problem"]
    values: dict[str, Any]
    notes: tuple[str, ...] = ()


@dataclass
class ImportPlan:
    """What an import would do: nothing is written until :func:`apply_import`."""

    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    #: rows whose item already holds exactly these values
    unchanged: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: what was read with a guess or cut to fit, one line each
    warnings: list[str] = field(default_factory=list)
    unknown: list[UnknownValue] = field(default_factory=list)
    preview: list[RowPreview] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    def summary(self) -> str:
        text = (
            f"{len(self.creates)} new, {len(self.updates)} updated, {len(self.unchanged)} unchanged"
        )
        if self.errors:
            bad = len(self.bad_rows)
            text += f"; {bad} row{'s' if bad != 1 else ''} with problems"
        return text


@dataclass
class _Entry:
    """A row being planned."""

    row: int
    kind: Literal["feature", "roadmap_item"] = "feature"
    current: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parent: str = ""
    keys: list[str] = field(default_factory=list)
    dates: dict[str, date] = field(default_factory=dict)
    #: the effort cell as points and the decimals it was written with
    effort_cell: tuple[float, int] | None = None
    epic_id: int | None = None
    epic_row: int | None = None


class _Planner:
    def __init__(
        self,
        session: Session,
        canvas_token: str,
        backlog: Backlog,
        mapping: Mapping[str, str],
        ppm: float,
        value_map: Mapping[str, Mapping[str, str]],
        date_order: DateOrder | None,
    ) -> None:
        self.backlog = backlog
        self.mapping = dict(mapping)
        self.ppm = ppm
        self.tag = canvas_tag(canvas_token)
        self.value_map = {
            f: {vocab.value_key(k): v for k, v in pairs.items()} for f, pairs in value_map.items()
        }
        self.plan = ImportPlan()
        #: (field, value) -> what it became -> the rows
        self.unknown: dict[tuple[str, str], dict[str | None, list[int]]] = {}
        self.features = {
            row.id: row
            for row in items.list_items(session=session, canvas_token=canvas_token, kind="feature")
        }
        self.roadmap = {
            row.id: row
            for row in items.list_items(
                session=session, canvas_token=canvas_token, kind="roadmap_item"
            )
        }
        self.by_key = {row.external_key: row for row in self.features.values() if row.external_key}
        effort_column = self.mapping.get("effort", "")
        self.effort_in_points = vocab.norm(effort_column) != "effort"
        self.orders = {f: self._date_order(f, date_order) for f in ("start_date", "due_date")}

    # -- reading cells

    def label(self, field_name: str) -> str:
        label = FIELD_LABELS.get(field_name, field_name)
        column = self.mapping.get(field_name)
        if column is None or vocab.norm(column) == vocab.norm(label):
            return label
        return f"{label} (column “{column}”)"

    def _date_order(self, field_name: str, chosen: DateOrder | None) -> DateOrder:
        column = self.mapping.get(field_name)
        if column is None or column not in self.backlog.positions:
            return chosen or "dmy"
        texts = [
            c for i in range(len(self.backlog)) for c in self.backlog.cells(i, column) if c.strip()
        ]
        order, either = numeric_order(texts)
        if chosen:
            return chosen
        if order:
            return order
        if either:
            self.plan.warnings.append(
                f"{self.label(field_name)}: dates such as {either[0]} could be day/month or "
                "month/day, and no date in the column settles it; read as day/month "
                "(choose month/day if they are)"
            )
        return "dmy"

    def text(self, index: int, field_name: str, entry: _Entry) -> str:
        """The field's one value in this row (a repeated column's cells must agree;
        descriptions are joined)."""
        cells = [c.strip() for c in self.backlog.cells(index, self.mapping[field_name])]
        values = list(dict.fromkeys(c for c in cells if c))
        if field_name == "description":
            return "\n\n".join(values)
        if len(values) > 1:
            entry.errors.append(
                RowError(
                    entry.row,
                    self.label(field_name),
                    f"has {len(values)} different values in its {len(cells)} columns "
                    f"({quoted(values[:3])}); it takes one",
                )
            )
        return values[0] if values else ""

    def choice(
        self, field_name: str, text: str, row: int, fallback: str | None = None
    ) -> str | None:
        key = vocab.value_key(text)
        mapped = self.value_map.get(field_name, {}).get(key)
        if mapped is not None:
            return mapped
        known = _VOCABULARY[field_name].get(key)
        if known is not None:
            return known
        became = fallback if fallback is not None else _UNKNOWN_BECOMES[field_name]
        self.unknown.setdefault((field_name, text), {}).setdefault(became, []).append(row)
        return became

    # -- one row

    def read_row(self, index: int) -> _Entry:
        entry = _Entry(row=self.backlog.row_numbers[index])
        if index in self.backlog.overflow:
            entry.errors.append(
                RowError(
                    entry.row,
                    "Row",
                    f"has {self.backlog.overflow[index]} cells more than the header has "
                    "columns; the line may be cut or wrongly quoted",
                )
            )
        raw = {f: self.text(index, f, entry) for f in self.mapping if f != "labels"}
        ref = parse_ref(raw.get("canvas_ref", ""), self.tag)
        if ref is not None:
            entry.keys.append(raw["canvas_ref"].strip())
            entry.kind = ref[0]  # type: ignore[assignment]
            entry.current = (self.features if ref[0] == "feature" else self.roadmap).get(ref[1])
            if entry.current is None:
                if ref[0] == "roadmap_item":
                    entry.errors.append(
                        RowError(
                            entry.row,
                            self.label("canvas_ref"),
                            "names a roadmap item that is no longer in this canvas",
                        )
                    )
                else:
                    entry.notes.append(
                        "its feature was deleted from the canvas; it comes in as a new one"
                    )
        for key_field in ("external_key", "issue_id"):
            if raw.get(key_field):
                entry.keys.append(raw[key_field])
        entry.parent = raw.get("parent", "")
        self._dates(raw, entry)
        if entry.kind == "roadmap_item":
            self._roadmap_values(raw, entry)
            return entry
        if entry.current is None and raw.get("external_key"):
            entry.current = self.by_key.get(raw["external_key"])
        self._feature_values(index, raw, entry)
        return entry

    def _dates(self, raw: Mapping[str, str], entry: _Entry) -> None:
        for field_name in ("start_date", "due_date"):
            text = raw.get(field_name, "")
            if not text or vocab.value_key(text) in vocab.NO_VALUE:
                continue
            try:
                entry.dates[field_name] = parse_date(text, self.orders[field_name])
            except ValueError as exc:
                entry.errors.append(RowError(entry.row, self.label(field_name), str(exc)))

    def _number(self, field_name: str, text: str, entry: _Entry) -> float | int | None:
        try:
            value, decimals = number(text)
        except ValueError as exc:
            entry.errors.append(RowError(entry.row, self.label(field_name), str(exc)))
            return None
        if field_name == "effort":
            if value == 0:
                return None  # zero points: not estimated
            entry.effort_cell = (value, decimals)
            return round(value / self.ppm, 3) if self.effort_in_points else value
        if field_name in ("reach", "confidence", "ease", "value") and value.is_integer():
            return int(value)
        return value

    def _feature_values(self, index: int, raw: Mapping[str, str], entry: _Entry) -> None:
        data = entry.data
        for field_name in FEATURE_FIELDS:
            if field_name not in self.mapping:
                continue
            if field_name == "labels":
                labels = split_values(self.backlog.cells(index, self.mapping["labels"]))
                if labels:
                    data["labels"], cut = fit_list(labels, m.MEDIUM)
                    if cut:
                        entry.notes.append(f"{self.label('labels')} cut at {m.MEDIUM:,} characters")
                continue
            text = raw[field_name]
            if field_name in _TEXT_FIELDS:
                if text or field_name == "title":
                    data[field_name] = text
            elif vocab.value_key(text) in vocab.NO_VALUE:
                continue
            elif field_name in _VOCABULARY:
                fallback = None
                if field_name == "status" and raw.get("status_category"):
                    fallback = vocab.STATUS_CATEGORY.get(vocab.value_key(raw["status_category"]))
                chosen = self.choice(field_name, text, entry.row, fallback)
                if chosen is not None:
                    data[field_name] = chosen
            else:
                found = self._number(field_name, text, entry)
                if found is not None:
                    data[field_name] = found
        self._fit_texts(entry)

    def _fit_texts(self, entry: _Entry) -> None:
        """Titles and descriptions too long for the field are cut with a visible note;
        a cut title is kept whole at the top of the description."""
        data = entry.data
        title = data.get("title", "")
        if len(title) > m.SHORT:
            data["title"], _ = fit(title, m.SHORT)
            base = data.get("description")
            if base is None:
                base = entry.current.description if entry.current is not None else ""
            whole = f"{FULL_TITLE}{title}"
            if base != whole and not base.startswith(f"{whole}\n\n"):
                base = f"{whole}\n\n{base}" if base else whole
            data["description"] = base
            entry.notes.append(
                f"{self.label('title')} cut at {m.SHORT} characters ({len(title):,} in the "
                "file); the whole title opens the description"
            )
        description = data.get("description", "")
        if len(description) > m.DESCRIPTION:
            data["description"], _ = fit(description, m.DESCRIPTION)
            entry.notes.append(
                f"{self.label('description')} cut at {m.DESCRIPTION:,} characters "
                f"({len(description):,} in the file)"
            )

    def _roadmap_values(self, raw: Mapping[str, str], entry: _Entry) -> None:
        data = entry.data
        if raw.get("title"):
            data["title"] = fit(raw["title"], m.SHORT)[0]
        if raw.get("description"):
            data["notes"], cut = fit(raw["description"], m.MEDIUM)
            if cut:
                entry.notes.append(f"{self.label('description')} cut at {m.MEDIUM:,} characters")
        status = vocab.ROADMAP_STATUS.get(vocab.value_key(raw.get("status", "")))
        if status:
            data["status"] = status
        if "start_date" in entry.dates:
            data["start_date"] = entry.dates["start_date"]
        if "due_date" in entry.dates:
            data["end_date"] = entry.dates["due_date"]

    # -- the whole file

    def run(self) -> ImportPlan:
        entries = [self.read_row(i) for i in range(len(self.backlog))]
        self.titles = {e.row: str(e.data.get("title", "")) for e in entries}
        self._duplicates(entries)
        self._parents(entries)
        for entry in entries:
            self._validate(entry)
        self._classify(entries)
        self.plan.unknown = [
            _unknown_value(f, value, outcomes) for (f, value), outcomes in self.unknown.items()
        ]
        return self.plan

    def _duplicates(self, entries: list[_Entry]) -> None:
        seen: dict[str, int] = {}
        for entry in entries:
            for key in dict.fromkeys(entry.keys):
                if key in seen and seen[key] != entry.row:
                    entry.errors.append(
                        RowError(
                            entry.row,
                            "Key",
                            f"“{key}” is also on row {seen[key]}; an item may be in the file once",
                        )
                    )
                else:
                    seen.setdefault(key, entry.row)

    def _parents(self, entries: list[_Entry]) -> None:
        """Link each feature to the epic its parent column names: a row of the file
        (by key, issue id or canvas ID), else a feature of the canvas (by key), else a
        unique title (Asana names the parent task)."""
        by_key: dict[str, _Entry] = {}
        titles: dict[str, list[_Entry]] = {}
        for entry in entries:
            if entry.kind != "feature":
                continue
            for key in entry.keys:
                by_key.setdefault(key, entry)
            title = entry.data.get("title") or (
                entry.current.title if entry.current is not None else ""
            )
            titles.setdefault(title, []).append(entry)
        canvas_titles: dict[str, list[Any]] = {}
        for feature in self.features.values():
            canvas_titles.setdefault(feature.title, []).append(feature)
        refs = {ref(self.tag, "feature", fid): row for fid, row in self.features.items()}
        not_found: list[tuple[int, str]] = []
        not_epic: list[tuple[int, str, str]] = []
        for entry in entries:
            if entry.kind != "feature" or not entry.parent:
                continue
            parent = entry.parent
            target = by_key.get(parent) or (
                titles[parent][0] if len(titles.get(parent, [])) == 1 else None
            )
            stored = None
            if target is None:
                stored = self.by_key.get(parent) or refs.get(parent)
                if stored is None and len(canvas_titles.get(parent, [])) == 1:
                    stored = canvas_titles[parent][0]
            if target is entry or (stored is not None and stored is entry.current):
                continue
            if target is not None and target.current is not None:
                stored, target = target.current, None
            if target is None and stored is None:
                not_found.append((entry.row, parent))
                continue
            kind = stored.kind if stored is not None else target.data.get("kind", "feature")  # type: ignore[union-attr]
            if kind != "epic":
                not_epic.append((entry.row, parent, kind))
                continue
            if stored is not None:
                entry.data["epic_id"] = stored.id
            else:
                entry.epic_row = target.row  # type: ignore[union-attr]
        if not_found:
            row, parent = not_found[0]
            self.plan.warnings.append(
                f"{len(not_found)} row(s) name a parent that is neither in the file nor in the "
                f"canvas (e.g. row {row}: “{parent}”); they come in without an epic"
            )
        if not_epic:
            row, parent, kind = not_epic[0]
            self.plan.warnings.append(
                f"{len(not_epic)} row(s) have a parent that is not an epic (e.g. row {row}: "
                f"“{parent}”, a {kind}); they come in without an epic"
            )

    def _validate(self, entry: _Entry) -> None:
        if entry.errors or (entry.kind == "roadmap_item" and entry.current is None):
            return
        spec = items.ITEM_TYPES[entry.kind]
        merged = dict(entry.data)
        if entry.current is not None:
            merged = {f: getattr(entry.current, f) for f in spec.fields} | merged
        try:
            validate(spec.create, merged, what=WHAT)
        except ValidationFailed as exc:
            entry.errors += [
                RowError(
                    entry.row,
                    self._error_label(e.field, e.label),
                    self._in_points(entry, e.message) if e.field == "effort" else e.message,
                )
                for e in exc.errors
            ]
        if entry.kind == "feature" and entry.dates:
            schedule = {
                "start_date": entry.dates.get("start_date"),
                "end_date": entry.dates.get("due_date"),
            }
            current = self._placement(entry)
            if current is not None:
                schedule = {
                    "start_date": entry.dates.get("start_date", current.start_date),
                    "end_date": entry.dates.get("due_date", current.end_date),
                }
            try:
                validate(m.RoadmapItemCreate, {"title": "x", **schedule}, what=WHAT)
            except ValidationFailed as exc:
                names = {"start_date": "start_date", "end_date": "due_date"}
                entry.errors += [
                    RowError(entry.row, self.label(names.get(e.field, e.field)), e.message)
                    for e in exc.errors
                ]

    def _in_points(self, entry: _Entry, message: str) -> str:
        """A refused effort said in the file's unit: the column holds story points, the
        rule is in person-months."""
        if entry.effort_cell is None or not self.effort_in_points:
            return message
        points, decimals = entry.effort_cell
        months = points / self.ppm
        text = (
            f"{points:.{decimals}f} points are {months:,g} person-months at {self.ppm:,g} "
            f"points a person-month; effort {message}"
        )
        if months > _EFFORT_MAX:
            text += f" person-months ({_EFFORT_MAX * self.ppm:,g} points)"
        return text

    def _error_label(self, field_name: str, label: str) -> str:
        if field_name in self.mapping:
            return self.label(field_name)
        if field_name == "end_date" and "due_date" in self.mapping:
            return self.label("due_date")
        if field_name == "notes" and "description" in self.mapping:
            return self.label("description")
        return label

    def _placement(self, entry: _Entry) -> Any:
        """The roadmap item that places an existing feature on the roadmap (its first)."""
        if entry.current is None or entry.kind != "feature":
            return None
        own = [r for r in self.roadmap.values() if r.feature_id == entry.current.id]
        return min(own, key=lambda r: (r.position, r.id)) if own else None

    def _changes(self, entry: _Entry) -> dict[str, Any]:
        current = entry.current
        changes = {}
        for name, value in entry.data.items():
            stored = getattr(current, name)
            if isinstance(value, str):
                same = _plain(value) == _plain(stored or "")
                if name == "labels":
                    same = split_values([value]) == split_values([stored or ""])
            elif name == "effort" and entry.effort_cell is not None and stored is not None:
                points, decimals = entry.effort_cell
                in_file = stored * self.ppm if self.effort_in_points else stored
                same = abs(round_half_up(in_file, decimals) - points) < 1e-9
            else:
                same = value == stored
            if not same:
                changes[name] = value
        return changes

    def _schedule(self, entry: _Entry, title: str, status: str) -> PlannedSchedule | None:
        if entry.kind != "feature" or not entry.dates:
            return None
        values = {
            "start_date": entry.dates.get("start_date"),
            "end_date": entry.dates.get("due_date"),
        }
        current = self._placement(entry)
        if current is None:
            return PlannedSchedule(
                {
                    "title": fit(title, m.SHORT)[0],
                    "lane": "now" if status == "building" else "next",
                    "status": _ROADMAP_FROM_FEATURE.get(status, "planned"),
                    **{k: v for k, v in values.items() if v is not None},
                }
            )
        changes = {k: v for k, v in values.items() if v is not None and v != getattr(current, k)}
        return PlannedSchedule(changes, current.id, current.version) if changes else None

    def _classify(self, entries: list[_Entry]) -> None:
        plan = self.plan
        for entry in entries:
            plan.warnings += [f"row {entry.row}: {note}" for note in entry.notes]
            if entry.errors:
                plan.errors += entry.errors
                plan.preview.append(self._preview(entry, "problem", [str(e) for e in entry.errors]))
                continue
            title = str(entry.data.get("title") or getattr(entry.current, "title", ""))
            if entry.current is None:
                data = dict(entry.data)
                schedule = self._schedule(entry, title, data.get("status", "idea"))
                plan.creates.append(
                    PlannedRow(
                        entry.row,
                        "feature",
                        title,
                        data,
                        epic_row=entry.epic_row,
                        schedule=schedule,
                    )
                )
                plan.preview.append(self._preview(entry, "new", entry.notes))
                continue
            changes = self._changes(entry)
            status = str(changes.get("status", getattr(entry.current, "status", "")))
            schedule = self._schedule(entry, title, status)
            if not changes and schedule is None and entry.epic_row is None:
                plan.unchanged.append(entry.row)
                plan.preview.append(self._preview(entry, "unchanged", entry.notes))
                continue
            plan.updates.append(
                PlannedRow(
                    entry.row,
                    entry.kind,
                    title,
                    changes,
                    entry.current.id,
                    entry.current.version,
                    epic_row=entry.epic_row,
                    schedule=schedule,
                )
            )
            plan.preview.append(self._preview(entry, "update", entry.notes))

    def _preview(self, entry: _Entry, action: Any, notes: Iterable[str]) -> RowPreview:
        values: dict[str, Any] = {}
        if entry.current is not None:
            spec = items.ITEM_TYPES[entry.kind]
            values = {f: getattr(entry.current, f) for f in spec.fields if f != "image"}
        values.update(entry.data)
        values.update({k: v for k, v in entry.dates.items()})
        if entry.epic_row is not None:
            values["epic"] = f"{self.titles.get(entry.epic_row, '')} (row {entry.epic_row})"
        elif values.get("epic_id") is not None and values["epic_id"] in self.features:
            values["epic"] = self.features[values["epic_id"]].title
        return RowPreview(entry.row, action, values, tuple(notes))


def _unknown_value(
    field_name: str, value: str, outcomes: Mapping[str | None, list[int]]
) -> UnknownValue:
    most = max(outcomes, key=lambda became: len(outcomes[became]))
    return UnknownValue(
        field_name,
        value,
        most,
        tuple(sorted(row for rows in outcomes.values() for row in rows)),
        tuple((became, tuple(rows)) for became, rows in outcomes.items()),
    )


def _plain(text: str) -> str:
    """Text as compared for a change: line endings and outer spaces do not count."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def plan_import(
    *,
    session: Session,
    canvas_token: str,
    backlog: Backlog,
    mapping: Mapping[str, str],
    points_per_person_month: float = POINTS_PER_PERSON_MONTH,
    value_map: Mapping[str, Mapping[str, str]] | None = None,
    date_order: DateOrder | None = None,
) -> ImportPlan:
    """Read every row and decide, per row, to create, update or leave an item.

    ``mapping`` is field -> column (see :func:`suggest_mapping`); it must map
    ``title``. ``value_map`` maps values the vocabularies do not know, per field
    (``{"status": {"UAT": "building"}}``). ``date_order`` settles numeric dates such as
    11/01/2023 when the file's dates cannot (day/month by default).

    Raises ValidationFailed for a mapping that cannot work (naming the file's columns
    and the closest names); every problem of a row is in the plan instead.
    """
    problems = mapping_problems(backlog, mapping, points_per_person_month)
    for field_name in value_map or {}:
        if field_name not in CHOICE_FIELDS:
            problems.append(
                FieldError("values", "Value map", f"{field_name!r} has no choices to map to")
            )
    if problems:
        raise ValidationFailed(problems, what=WHAT)
    planner = _Planner(
        session,
        canvas_token,
        backlog,
        mapping,
        points_per_person_month,
        value_map or {},
        date_order,
    )
    return planner.run()
