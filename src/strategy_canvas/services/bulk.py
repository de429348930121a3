"""Adding many items at once: a list pasted one per line, or a block copied from a
spreadsheet (tab-separated, optionally with a header row).

:func:`read_block` turns the text into rows of cells by column (no database);
:func:`add_many` resolves each row's links by the linked item's title, validates every
row through the item type's Create schema, and writes all of them in one transaction,
or, if any row breaks a rule, none of them: the refusal names each row, field and rule
(docs/ARCHITECTURE.md, "The write path and its version check"). Nothing is guessed: a
value that is not what its field takes is refused, never dropped, clamped or rounded.
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas import scoring
from strategy_canvas.services import items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import FieldError, ValidationFailed
from strategy_canvas.services.validation import field_label, validate

#: the most rows one paste may add (a backlog of more comes through the CSV import)
MAX_ROWS = 500
#: how many refused rows a message lists before it counts the rest
SHOWN_ERRORS = 12

#: the columns of a pasted block without a header row, in order, per item type: what
#: names the item first, then what a person usually has at hand
COLUMNS: dict[str, tuple[str, ...]] = {
    "problem": ("title", "statement", "impact"),
    "persona": ("name", "kind", "description", "jobs", "pains", "gains", "size", "problem_id"),
    "alternative": ("name", "kind", "strengths", "weaknesses", "url"),
    "evidence": ("title", "source", "summary", "strength", "url", "problem_id"),
    "assumption": ("statement", "importance", "evidence", "status", "test_plan", "persona_id"),
    "goal": ("title", "description", "persona_id"),
    "key_result": ("metric", "unit", "baseline", "target", "target_date", "goal_id"),
    "feature": (
        "title",
        "kind",
        "persona_id",
        "goal_id",
        *scoring.SCORE_INPUTS,
        "status",
        "description",
    ),
    "criterion": ("name", "weight", "description"),
    "criterion_score": ("feature_id", "criterion_id", "score"),
    "sketch": ("feature_id", "url", "caption"),
    "roadmap_item": (
        "feature_id",
        "title",
        "lane",
        "owner",
        "team",
        "start_date",
        "end_date",
        "status",
        "milestone",
    ),
    "dependency": ("item_id", "depends_on_id"),
    "risk": ("title", "likelihood", "impact", "mitigation", "owner", "status", "roadmap_item_id"),
    "feedback": (
        "text",
        "feature_id",
        "source",
        "kind",
        "sentiment",
        "received_on",
        "author",
        "persona_id",
        "key_result_id",
    ),
    "flaw": ("title", "severity", "fix", "fix_owner", "fix_status", "feature_id", "description"),
    "kpi_reading": ("key_result_id", "measured_on", "value", "note"),
    "decision": ("feature_id", "decision", "rationale", "decided_on"),
}

#: how a stored choice may be written besides its key ("won't" for "wont")
_CHOICE_WORDS = {
    "won't": "wont",
    "won't have": "wont",
    "in progress": "in_progress",
    "won't fix": "wont_fix",
    "usability test": "usability_test",
    "declare victory": "victory",
    "roll back": "rollback",
}


def columns(kind: str) -> tuple[str, ...]:
    """The fields a pasted block fills, in order, when it has no header row."""
    items.item_type(kind)
    if kind not in COLUMNS:
        raise ValidationFailed.single(
            "kind", "Item type", "cannot be added many at once", what="Add many"
        )
    return COLUMNS[kind]


def column_label(kind: str, name: str) -> str:
    """A column as its header reads: the field's label ("Persona", "Reach")."""
    return field_label(items.item_type(kind).create, name)


@dataclass(frozen=True)
class Block:
    """A pasted block read into rows: ``fields`` names each column, ``rows`` holds
    (line number in the paste, the row's cells by field); a header row, when there is
    one, is not a row."""

    fields: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    has_header: bool = False


def _header_names(kind: str) -> dict[str, str]:
    """What a header cell may say -> the field it names (labels, names, links without
    their ``_id``), compared in lower case."""
    spec = items.item_type(kind)
    names: dict[str, str] = {}
    for name in spec.fields:
        for alias in (name, name.removesuffix("_id"), field_label(spec.create, name)):
            names[alias.replace("_", " ").strip().lower()] = name
    return names


def _is_header(cells: Sequence[str], names: Mapping[str, str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(_cell_key(c) in names for c in filled)


def _cell_key(cell: str) -> str:
    return cell.replace("_", " ").replace("*", "").strip().lower()


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line with something in it. Without a tab anywhere
    each line is one cell, as typed; with tabs the block is read as a spreadsheet
    writes it (a cell holding a tab, a newline or a quote comes quoted)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" not in text:
        return [(n, [line]) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    reader = csv.reader(io.StringIO(text), dialect="excel-tab")
    out = []
    for cells in reader:
        if any(c.strip() for c in cells):
            out.append((reader.line_num, cells))
    return out


def read_block(kind: str, text: str) -> Block:
    """The rows of a pasted list or spreadsheet block for items of ``kind``.

    A first row whose every cell names a field (its label, e.g. "Persona", or its name)
    is a header and says which column is which; otherwise the columns are
    :func:`columns` in order. Refused (naming the line) when a row has more cells than
    there are columns, or when the block holds more than :data:`MAX_ROWS` rows.
    """
    spec = items.item_type(kind)
    order = columns(kind)
    lines = _lines(text)
    names = _header_names(kind)
    fields: tuple[str, ...] = order
    has_header = False
    if lines and _is_header(lines[0][1], names):
        fields = tuple(names.get(_cell_key(c), "") for c in lines[0][1])
        lines = lines[1:]
        has_header = True
    errors = []
    rows = []
    for number, cells in lines:
        while len(cells) > len(fields) and not cells[-1].strip():
            cells = cells[:-1]  # a spreadsheet's empty trailing cells
        if len(cells) > len(fields):
            errors.append(
                FieldError(
                    f"line{number}",
                    f"Line {number}",
                    f"has {len(cells)} cells but there are {len(fields)} columns "
                    f"({', '.join(column_label(kind, f) for f in fields if f)})",
                )
            )
            continue
        row = {f: c.strip() for f, c in zip(fields, cells, strict=False) if f and c.strip()}
        rows.append((number, row))
    if not rows and not errors:
        errors.append(FieldError("text", "Items", "paste at least one line"))
    if len(rows) > MAX_ROWS:
        errors.append(
            FieldError("text", "Items", f"at most {MAX_ROWS:,} at once (this has {len(rows):,})")
        )
    if errors:
        raise ValidationFailed(_shown(errors), what=f"Add {spec.plural.lower()}")
    return Block(fields, tuple(rows), has_header)


def _shown(errors: list[FieldError]) -> list[FieldError]:
    if len(errors) <= SHOWN_ERRORS:
        return errors
    rest = len(errors) - SHOWN_ERRORS
    return [*errors[:SHOWN_ERRORS], FieldError("more", "…", f"and {rest:,} more problems")]


# ------------------------------------------------------------------------ values


@dataclass(frozen=True)
class _Targets:
    """Titles of the items a kind links to, for finding them by name."""

    by_kind: dict[str, dict[str, list[int]]]
    titles: dict[str, dict[int, str]]

    def find(self, kind: str, text: str) -> int | str:
        """The id of the item of ``kind`` named ``text``, or why there is none."""
        found = self.by_kind.get(kind, {}).get(" ".join(text.split()).lower(), [])
        label = items.item_type(kind).noun
        if len(found) == 1:
            return found[0]
        if not found:
            return f"names no {label} of this canvas (“{text}”)"
        return f"“{text}” names {len(found)} {label}s; rename one so they differ"


def _targets(session: Session, canvas_token: str, kind: str) -> _Targets:
    spec = items.item_type(kind)
    by_kind: dict[str, dict[str, list[int]]] = {}
    titles: dict[str, dict[int, str]] = {}
    for target in set(spec.links.values()):
        title_field = items.item_type(target).title_field
        names: dict[str, list[int]] = {}
        for row in items.list_items(session=session, canvas_token=canvas_token, kind=target):
            title = str(getattr(row, title_field) or "")
            names.setdefault(" ".join(title.split()).lower(), []).append(int(row.id))
            titles.setdefault(target, {})[int(row.id)] = title
        by_kind[target] = names
    return _Targets(by_kind, titles)


def _choices(spec: items.ItemType, name: str) -> tuple[str, ...]:
    annotation = spec.create.model_fields[name].annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is Literal:
            return tuple(str(a) for a in typing.get_args(arg))
    return ()


def _value(spec: items.ItemType, name: str, text: str, targets: _Targets) -> Any:
    """A cell as the schema takes it: a link as the id of the item it names, a choice
    by its key or its words ("won't"), everything else as typed (the schema judges it)."""
    if name in spec.links:
        return targets.find(spec.links[name], text)
    options = _choices(spec, name)
    if options:
        key = text.strip().lower()
        key = _CHOICE_WORDS.get(key, key.replace(" ", "_"))
        return key if key in options else text
    return text


def _row_data(
    spec: items.ItemType, cells: Mapping[str, str], targets: _Targets
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(the row's data for the schema, [(field, problem)] of links that name nothing)."""
    data: dict[str, Any] = {}
    problems = []
    for name, text in cells.items():
        value = _value(spec, name, text, targets)
        if name in spec.links and isinstance(value, str):
            problems.append((name, value))
            continue
        data[name] = value
    if spec.key == "roadmap_item" and not data.get("title") and data.get("feature_id"):
        # A roadmap item made from a feature is named after it unless given a title.
        data["title"] = targets.titles["feature"][data["feature_id"]]
    return data, problems


def unplanned_features(*, session: Session, canvas_token: str) -> dict[int, str]:
    """id -> title of the features on no roadmap item yet that belong on it (not
    dropped, not won't-have), the best by RICE first (unscored ones last, in list
    order): what the roadmap is made from."""
    features = items.list_items(session=session, canvas_token=canvas_token, kind="feature")
    planned = {
        r.feature_id
        for r in items.list_items(session=session, canvas_token=canvas_token, kind="roadmap_item")
    }
    waiting = [
        f for f in features if f.id not in planned and f.status != "dropped" and f.moscow != "wont"
    ]
    frame = pd.DataFrame(
        [
            {"id": f.id, **{n: getattr(f, n) for n in scoring.FRAMEWORKS["rice"].inputs}}
            for f in waiting
        ],
        columns=["id", *scoring.FRAMEWORKS["rice"].inputs],
    )
    rice = scoring.rice_score(frame).fillna(-1).to_numpy()
    order = sorted(range(len(waiting)), key=lambda i: -rice[i])
    return {int(waiting[i].id): waiting[i].title for i in order}


def roadmap_from_features(
    *,
    session: Session,
    canvas_token: str,
    feature_ids: Sequence[int],
    lane: str = "next",
    owner: str = "",
    actor: Actor | None = None,
) -> list[m.CanvasItem]:
    """A roadmap item for each of ``feature_ids``, named after its feature and linked to
    it, in ``lane`` with ``owner``; all in one transaction, or none (a refusal names the
    field and the rule)."""
    if not feature_ids:
        raise ValidationFailed.single(
            "feature_id", "Features", "choose at least one", what="Put on the roadmap"
        )
    features = {
        int(f.id): f
        for f in items.list_items(session=session, canvas_token=canvas_token, kind="feature")
    }
    missing = [i for i in feature_ids if i not in features]
    if missing:
        raise ValidationFailed.single(
            "feature_id",
            "Features",
            "must be features of this canvas; one was deleted meanwhile, reload and choose again",
            what="Put on the roadmap",
        )
    rows = [
        {"title": features[i].title, "feature_id": i, "lane": lane, "owner": owner}
        for i in feature_ids
    ]
    for data in rows:  # every row is checked before anything is written
        validate(m.RoadmapItemCreate, data, what="Put on the roadmap")
    created = [
        items.create_item(
            session=session,
            canvas_token=canvas_token,
            kind="roadmap_item",
            data=data,
            commit=False,
            actor=actor,
        )
        for data in rows
    ]
    session.commit()
    for row in created:
        session.refresh(row)
    return created


def add_many(
    *, session: Session, canvas_token: str, kind: str, text: str, actor: Actor | None = None
) -> list[m.CanvasItem]:
    """Add every row of a pasted list or block (:func:`read_block`) as an item of
    ``kind``, in one transaction, in the order pasted.

    Links are given by the linked item's title (a persona by its name, a KPI by its
    metric); a roadmap item given a feature and no title takes the feature's title.
    Every row is checked before anything is written: one bad row refuses the paste,
    naming each bad row's line, field and rule; nothing is written then. ``actor`` is
    who adds them, for the history.
    """
    spec = items.item_type(kind)
    block = read_block(kind, text)
    targets = _targets(session, canvas_token, kind)
    what = f"Add {spec.plural.lower()}"
    prepared: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for number, cells in block.rows:
        data, problems = _row_data(spec, cells, targets)
        where = f"Line {number}"
        for name, problem in problems:
            errors.append(FieldError(name, f"{where}, {field_label(spec.create, name)}", problem))
        try:
            validate(spec.create, data, what=what)
        except ValidationFailed as refused:
            errors.extend(
                FieldError(e.field, f"{where}, {e.label}", e.message) for e in refused.errors
            )
            continue
        if not problems:
            prepared.append(data)
    if errors:
        session.rollback()
        raise ValidationFailed(_shown(errors), what=what)
    created = []
    try:
        for data in prepared:
            created.append(
                items.create_item(
                    session=session,
                    canvas_token=canvas_token,
                    kind=kind,
                    data=data,
                    commit=False,
                    actor=actor,
                )
            )
    except ValidationFailed as refused:  # a rule only the database knows (a duplicate)
        line = block.rows[len(created)][0]
        raise ValidationFailed(
            [FieldError(e.field, f"Line {line}, {e.label}", e.message) for e in refused.errors],
            what=what,
        ) from None
    session.commit()
    for row in created:
        session.refresh(row)
    return created
