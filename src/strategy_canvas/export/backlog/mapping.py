"""Which column fills which field: names as trackers write them, and the mapping's
checks, whose messages list the file's columns and the closest names.

A row's identity in a tracker is here too: the ``Strategy Canvas ID`` the tracker
export writes (:func:`item_ref`) and the import reads back.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import get_args

from strategy_canvas import models as m
from strategy_canvas.export.backlog import vocabulary as vocab
from strategy_canvas.export.backlog.reading import WHAT, Backlog
from strategy_canvas.services.errors import FieldError, ValidationFailed
from strategy_canvas.services.validation import field_label

IMPORT_FIELDS = tuple(vocab.COLUMN_NAMES)
#: Fields that are the feature's own; the others steer the import.
FEATURE_FIELDS = (
    "title", "description", "external_key", "external_url", "kind", "status", "moscow",
    "effort", "labels", "reach", "impact", "confidence", "ease", "value", "kano",
)  # fmt: skip
#: What each import field is called where a person reads it.
FIELD_LABELS = {
    **{name: field_label(m.FeatureCreate, name) for name in FEATURE_FIELDS},
    "moscow": "Priority (MoSCoW)",
    "issue_id": "Issue id",
    "status_category": "Status category",
    "parent": "Parent (epic)",
    "start_date": "Start date",
    "due_date": "Due date",
    "canvas_ref": "Strategy Canvas ID",
}
#: Fields whose values come from a vocabulary, and the choices a value may be mapped to.
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "status": get_args(m.FeatureStatus),
    "moscow": get_args(m.MoSCoW),
    "kind": get_args(m.FeatureKind),
    "kano": get_args(m.Kano),
}
_REF = re.compile(r"^SC-([0-9a-f]{8})-([FR])(\d+)$")
_REF_KINDS = {"F": "feature", "R": "roadmap_item"}

# ----------------------------------------------------------------------- identity


def canvas_tag(canvas_token: str) -> str:
    """Eight hex digits that tell this canvas's rows apart in a tracker (a hash: the
    token itself is a secret and never leaves the app)."""
    return hashlib.sha256(canvas_token.encode()).hexdigest()[:8]


def item_ref(canvas_token: str, kind: str, item_id: int) -> str:
    """The ``Strategy Canvas ID`` of a feature or roadmap item: ``SC-1a2b3c4d-F12``."""
    return ref(canvas_tag(canvas_token), kind, item_id)


def ref(tag: str, kind: str, item_id: int) -> str:
    return f"SC-{tag}-{'F' if kind == 'feature' else 'R'}{item_id}"


def parse_ref(text: str, tag: str) -> tuple[str, int] | None:
    found = _REF.match(text.strip())
    if not found or found[1] != tag:
        return None  # another canvas's row (or none): an ordinary row here
    return _REF_KINDS[found[2]], int(found[3])


# ------------------------------------------------------------------------ mapping


def suggest_mapping(columns: Iterable[str]) -> dict[str, str]:
    """field -> column of the file, for the fields whose column has a known name.

    Known names are compared without case, accents, spaces or punctuation; a custom
    field in any language's wrapper (``Campo personalizado (Story Points)``) is known by
    the name inside its brackets.

    >>> suggest_mapping(["Clave", "Resumen", "Campo personalizado (Estimate)"])
    {'title': 'Resumen', 'external_key': 'Clave', 'effort': 'Campo personalizado (Estimate)'}
    """
    columns = list(columns)
    exact: dict[str, str] = {}
    inner: dict[str, str] = {}
    for column in columns:
        exact.setdefault(vocab.norm(column), column)
        name = vocab.inner_name(column)
        if name:
            inner.setdefault(vocab.norm(name), column)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for lookup in (exact, inner):
        for field_name, names in vocab.COLUMN_NAMES.items():
            if field_name in mapping:
                continue
            for name in names:
                found = lookup.get(vocab.norm(name))
                if found is not None and found not in taken:
                    mapping[field_name] = found
                    taken.add(found)
                    break
    return {f: mapping[f] for f in vocab.COLUMN_NAMES if f in mapping}


def closest_columns(columns: Sequence[str], names: Iterable[str], limit: int = 3) -> list[str]:
    """The file's columns whose names are closest to ``names`` (best first)."""
    by_norm = {vocab.norm(c): c for c in columns}
    scored: dict[str, float] = {}
    for name in names:
        target = vocab.norm(name)
        for key, column in by_norm.items():
            if not key:
                continue
            ratio = difflib.SequenceMatcher(None, target, key).ratio()
            if ratio >= 0.6:
                scored[column] = max(scored.get(column, 0.0), ratio)
    return sorted(scored, key=lambda c: -scored[c])[:limit]


def quoted(names: Iterable[str]) -> str:
    return ", ".join(f"“{n}”" for n in names)


def _no_column(backlog: Backlog, column: str) -> str:
    near = closest_columns(backlog.columns, [column])
    hint = f"; closest: {quoted(near)}" if near else ""
    return (
        f"the file has no column “{column}”{hint}. The file's columns: {backlog.describe_columns()}"
    )


def parse_mapping(pairs: Iterable[str], columns: Sequence[str] | None = None) -> dict[str, str]:
    """``["title=Summary", "effort=Story Points"]`` (the CLI's ``--map``) as a mapping.

    Raises ValidationFailed for a malformed pair, an unknown field or (when ``columns``
    is given) a column the file does not have, naming the closest columns it has.
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
            near = closest_columns(columns, [column])
            hint = f"; closest: {quoted(near)}" if near else ""
            errors.append(
                FieldError(
                    "map",
                    "Mapping",
                    f"the file has no column “{column}”{hint}. The file's columns: "
                    f"{', '.join(dict.fromkeys(columns))}",
                )
            )
        else:
            mapping[name] = column
    if errors:
        raise ValidationFailed(errors, what=WHAT)
    return mapping


def parse_value_map(field_name: str, pairs: Iterable[str]) -> dict[str, str]:
    """``["UAT=building", "On Hold=planned"]`` (the CLI's ``--status``) as a value map
    for ``field_name``; raises ValidationFailed naming a choice that does not exist."""
    choices = CHOICE_FIELDS[field_name]
    out: dict[str, str] = {}
    errors = []
    label = FIELD_LABELS[field_name]
    for pair in pairs:
        value, sep, choice = pair.rpartition("=")
        value, choice = value.strip(), choice.strip().lower().replace("won't", "wont")
        if not sep or not value:
            errors.append(
                FieldError(field_name, label, f"{pair!r} must read VALUE={choices[0].upper()}")
            )
        elif choice not in choices:
            errors.append(
                FieldError(
                    field_name, label, f"{pair!r}: {choice!r} is not one of {', '.join(choices)}"
                )
            )
        else:
            out[value] = choice
    if errors:
        raise ValidationFailed(errors, what=WHAT)
    return out


def mapping_problems(backlog: Backlog, mapping: Mapping[str, str], ppm: float) -> list[FieldError]:
    problems = []
    if "title" not in mapping:
        near = closest_columns(backlog.columns, vocab.COLUMN_NAMES["title"])
        hint = f" Closest to a title: {quoted(near)}." if near else ""
        problems.append(
            FieldError(
                "map",
                "Mapping",
                "no column is mapped to the title (a feature needs one). The file's columns: "
                f"{backlog.describe_columns()}.{hint}",
            )
        )
    unknown = [f for f in mapping if f not in IMPORT_FIELDS]
    if unknown:
        problems.append(FieldError("map", "Mapping", f"unknown fields: {', '.join(unknown)}"))
    for column in dict.fromkeys(mapping.values()):
        if column not in backlog.positions:
            problems.append(FieldError("map", "Mapping", _no_column(backlog, column)))
    if ppm <= 0:
        problems.append(FieldError("points", "Points per person-month", "must be above 0"))
    return problems
