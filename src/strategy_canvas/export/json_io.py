"""A whole canvas as a versioned JSON document, and back.

The document (format version 1)::

    {
      "format": "strategy-canvas",
      "version": 1,
      "exported_at": "2026-09-01T08:30:00+00:00",
      "canvas": {"name": ..., "product": ..., "description": ..., "authors": ...},
      "items": {
        "problem": [{"ref": 1, "title": ..., "statement": ..., "impact": ...}, ...],
        "persona": [{"ref": 4, "name": ..., "problem_id": 1, ...}, ...],
        ...                                  # every item type, in list order
      },
      "workshops": [{"workshop": {...}, "decisions": [...], "actions": [...],
                     "appendix": {...}, "counts": {...}}, ...],
      "versions": [{"name": "Sent to the board", "kind": "manual", "created_at": ...,
                    "actor": "Ana", "history_id": 41, "document": {...}}, ...],
      "history": [{"id": 41, "at": ..., "actor": "Ana", "via": "page",
                   "action": "update", "kind": "feature", "item_id": 12, "step": 3,
                   "title": ..., "data": {"before": {...}, "after": {...}}}, ...]
    }

``workshops`` (optional) holds the summary of each ended workshop of the canvas, as
:func:`services.workshops.summary` gives it (and the summaries the canvas was imported
with): an import keeps them, so the new canvas's reports can include them. The
workshops themselves (their people, notes and votes) are not copied.

``versions`` and ``history`` (optional, ``export_canvas(history=True)``) carry the
canvas's named versions, each the canvas as it was (a document of its own, without
versions or history), and who changed what, oldest first. An import keeps them: each
version's refs become the ids the items have in the new canvas (an item deleted before
the export gets a negative ref of its own), so "what changed since" works at once; the
history is shown as it was, read-only (it is not undone, restored from or replayed:
it names the items of the canvas it came from).

Each item carries a ``ref``, unique within its item type, and the fields of its Create
schema. A link field (``problem_id``, ``feature_id``, ...) holds the ``ref`` of the item
it points to (in the item type :data:`services.items.ITEM_TYPES` names for it) or null.
Dates are ISO strings (``YYYY-MM-DD``); a sketch's image is base64 text in
``image_base64``. The export writes the database ids as refs, but an import only needs
them to be unique per item type.

:func:`import_canvas` validates the whole document before it writes anything, collects
every error with its location (``items.feature[3].title: must be at most 200
characters``) and then writes the new canvas and all its items through the services in
a single transaction, so a failure midway leaves the database as it was.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from strategy_canvas import models as m
from strategy_canvas.services import (
    activity,
    canvas_copy,
    canvases,
    documents,
    items,
    snapshot,
    versions,
    workshops,
)
from strategy_canvas.services import history as history_service
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import FieldError, ValidationFailed
from strategy_canvas.services.validation import validate

FORMAT = documents.FORMAT
VERSION = documents.VERSION
#: Largest document :func:`load_document` reads (the CLI and the upload use it).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
#: Most items of one type a document may hold.
MAX_ITEMS_PER_KIND = 20_000
#: Most errors listed in one ValidationFailed (the rest are counted).
MAX_ERRORS_LISTED = 50
IMAGE_FIELD = activity.IMAGE_FIELD
#: base64 text of the largest image a sketch may hold, plus padding.
_MAX_IMAGE_BASE64 = (m.SKETCH_MAX_BYTES + 2) // 3 * 4
_TOP_LEVEL_KEYS = (
    "format",
    "version",
    "exported_at",
    "canvas",
    "items",
    "workshops",
    "versions",
    "history",
)
#: Most named versions and history entries a document may carry.
MAX_VERSIONS = 500
MAX_HISTORY = 200_000
_VERSION_KINDS = ("manual", "workshop", "pdf")
#: Most workshop summaries a document may hold.
MAX_WORKSHOPS = 200
_WHAT = "Import"


# --------------------------------------------------------------------------- export


def export_canvas(*, session: Session, canvas_token: str, history: bool = False) -> dict[str, Any]:
    """The canvas and every item, as a JSON-ready dict (see the module docstring), from
    the canvas's snapshot (the state the pages show), with every workshop summary; with
    ``history``, its named versions (each the canvas as it was) and its history too."""
    snap = snapshot.snapshot(session=session, canvas_token=canvas_token)
    document = documents.document_of(snap.canvas, snap.rows)
    summaries = workshops.every_summary(session=session, canvas_token=canvas_token)
    if summaries:
        document["workshops"] = summaries
    if history:
        document["versions"] = [
            {
                "name": v.name,
                "kind": v.kind,
                "created_at": v.created_at.isoformat(),
                "actor": v.actor_name,
                "history_id": v.activity_id,
                "document": versions.version_document(
                    session=session, canvas_token=canvas_token, version_id=v.id
                ),
            }
            for v in reversed(versions.list_versions(session=session, canvas_token=canvas_token))
        ]
        document["history"] = history_service.entries_for_export(
            session=session, canvas_token=canvas_token
        )
    return document


def dumps(document: Mapping[str, Any]) -> str:
    """The document as JSON text (UTF-8 friendly, indented, ends with a newline)."""
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------- parse


def _document_error(message: str) -> ValidationFailed:
    return ValidationFailed.single("document", "document", message, what=_WHAT)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def load_document(raw: bytes | str) -> dict[str, Any]:
    """Parse a JSON document (bytes or text) into a dict, or raise ValidationFailed
    that says what is wrong with it (empty, too large, not UTF-8, malformed, truncated,
    not an object)."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise _document_error(
            f"is {size / 1024 / 1024:.1f} MB; at most "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB can be imported"
        )
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _document_error(f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    else:
        text = raw.removeprefix("\ufeff")
    if not text.strip():
        raise _document_error("is empty; expected a Strategy Canvas JSON export")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _document_error(
                "ends before the JSON is complete (line "
                f"{exc.lineno}, column {exc.colno}); the file looks truncated"
            ) from None
        raise _document_error(
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise _document_error(f"contains {exc}, which is not a number JSON allows") from None
    except RecursionError:
        raise _document_error("nests too deeply to be a Strategy Canvas export") from None
    if not isinstance(document, dict):
        raise _document_error(
            f"must be a JSON object (a Strategy Canvas export), not {_json_type(document)}"
        )
    return document


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _is_ref(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ------------------------------------------------------------------------- validate


@dataclass
class _Plan:
    """A validated document, ready to write."""

    canvas: dict[str, Any]
    #: kind -> [(ref, values)], values validated by the Create schema; links are refs.
    items: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    #: workshop summaries, checked
    workshops: list[dict[str, Any]] = field(default_factory=list)
    #: the versions and history the document carries, checked (None: it carries none)
    past: versions.Past | None = None


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def error(self, location: str, message: str) -> None:
        self.errors.append(FieldError(location, location, message))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        listed = self.errors[:MAX_ERRORS_LISTED]
        hidden = len(self.errors) - len(listed)
        if hidden:
            listed.append(FieldError("document", "…", f"and {hidden:,} more errors"))
        raise ValidationFailed(listed, what=_WHAT)

    def text_hygiene(self, location: str, data: Mapping[str, Any]) -> None:
        """Text every database can store: no NUL characters, no lone surrogates."""
        for key, value in data.items():
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                self.error(f"{location}.{key}", "must not contain NUL characters (\\u0000)")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.error(
                    f"{location}.{key}", "is not valid Unicode text (it holds a lone surrogate)"
                )

    def schema(
        self,
        schema: type[SQLModel],
        data: Mapping[str, Any],
        location: str,
        *,
        extra_allowed: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        """``data`` validated through ``schema``, or None with the errors recorded."""
        known: dict[str, Any] = {}
        for key, value in data.items():
            if key in schema.model_fields:
                known[key] = value
            elif key not in extra_allowed:
                self.error(f"{location}.{key}", "is not a field of this item")
        self.text_hygiene(location, known)
        try:
            return validate(schema, known).model_dump()
        except ValidationFailed as exc:
            for err in exc.errors:
                self.error(f"{location}.{err.field}", err.message)
            return None


def _check_header(check: _Checker, document: Mapping[str, Any]) -> None:
    fmt = document.get("format")
    if fmt != FORMAT:
        check.error(
            "format",
            f"must be {FORMAT!r}; this is not a Strategy Canvas export"
            if "format" in document
            else f'is missing; a Strategy Canvas export says "format": "{FORMAT}"',
        )
    if "version" not in document:
        check.error("version", "is missing")
        return
    version = document["version"]
    if not _is_ref(version):
        check.error("version", f"must be a whole number, not {_json_type(version)}")
    elif version > VERSION:
        check.error(
            "version",
            f"is {version}: the document was written by a newer Strategy "
            f"Canvas; this one reads format version {VERSION}, so update Strategy "
            "Canvas to import it",
        )
    elif version < 1:
        check.error("version", f"is {version}; the only format version is {VERSION}")


def _validate_document(document: Any) -> _Plan:
    check = _Checker()
    if not isinstance(document, Mapping):
        raise _document_error(f"must be a JSON object, not {_json_type(document)}")
    _check_header(check, document)
    check.raise_if_any()  # a foreign or newer document: its contents would only add noise

    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            check.error(str(key), f"is not part of a version-{VERSION} document")
    exported_at = document.get("exported_at")
    if exported_at is not None and not isinstance(exported_at, str):
        check.error("exported_at", "must be a date and time as text")

    canvas_data = document.get("canvas")
    canvas: dict[str, Any] | None = None
    if not isinstance(canvas_data, Mapping):
        check.error(
            "canvas",
            "is missing"
            if canvas_data is None
            else f"must be an object, not {_json_type(canvas_data)}",
        )
    else:
        canvas = check.schema(m.CanvasCreate, canvas_data, "canvas")

    raw_items = document.get("items")
    lists: dict[str, list[Any]] = {}
    if not isinstance(raw_items, Mapping):
        check.error(
            "items",
            "is missing"
            if raw_items is None
            else f"must be an object, not {_json_type(raw_items)}",
        )
    else:
        for kind, entries in raw_items.items():
            if kind not in items.ITEM_TYPES:
                check.error(
                    f"items.{kind}",
                    "is not an item type; expected one of " + ", ".join(items.ITEM_TYPES),
                )
            elif not isinstance(entries, list):
                check.error(f"items.{kind}", f"must be a list, not {_json_type(entries)}")
            elif len(entries) > MAX_ITEMS_PER_KIND:
                check.error(
                    f"items.{kind}",
                    f"has {len(entries):,} items; at most "
                    f"{MAX_ITEMS_PER_KIND:,} of one type can be imported",
                )
            else:
                lists[kind] = entries

    # First pass: the refs of every item type, so links can be checked in any order.
    refs: dict[str, dict[int, int]] = {kind: {} for kind in items.ITEM_TYPES}
    for kind, entries in lists.items():
        for index, entry in enumerate(entries):
            location = f"items.{kind}[{index}]"
            if not isinstance(entry, Mapping):
                check.error(location, f"must be an object, not {_json_type(entry)}")
                continue
            ref: Any = entry.get("ref")
            if "ref" not in entry:
                check.error(f"{location}.ref", "is missing; every item needs a ref")
            elif not _is_ref(ref):
                check.error(f"{location}.ref", f"must be a whole number, not {_json_type(ref)}")
            elif ref in refs[kind]:
                check.error(
                    f"{location}.ref",
                    f"{ref} is used already by "
                    f"items.{kind}[{refs[kind][ref]}]; refs must be unique per type",
                )
            else:
                refs[kind][ref] = index

    if len(lists.get("vision", [])) > 1:
        check.error("items.vision", f"has {len(lists['vision'])} entries; a canvas has one vision")

    plan = _Plan(canvas=canvas or {})
    plan.workshops = _check_workshops(check, document.get("workshops"))
    plan.past = _check_past(check, document)
    seen: dict[tuple[Any, ...], str] = {}
    dependencies: dict[int, list[int]] = {}  # roadmap ref -> the refs it depends on
    roadmap_titles: dict[int, str] = {
        e["ref"]: str(e.get("title", ""))
        for e in lists.get("roadmap_item", [])
        if isinstance(e, Mapping) and _is_ref(e.get("ref"))
    }
    for kind, entries in lists.items():
        spec = items.ITEM_TYPES[kind]
        plan.items[kind] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            location = f"items.{kind}[{index}]"
            data = {k: v for k, v in entry.items() if k != "ref"}
            if kind == "sketch":
                if "image" in data:
                    check.error(
                        f"{location}.image",
                        f"is not a field of this item; images go in {IMAGE_FIELD} as base64 text",
                    )
                    del data["image"]
                if IMAGE_FIELD in data:
                    data["image"] = _decode_image(
                        check, f"{location}.{IMAGE_FIELD}", data.pop(IMAGE_FIELD)
                    )
            links_ok = True
            for link, target in spec.links.items():
                if link not in data or data[link] is None:
                    continue
                value = data[link]
                links_ok = links_ok and _is_ref(value) and value in refs[target]
                if not _is_ref(value):
                    check.error(
                        f"{location}.{link}",
                        "must be the ref (a whole number) of "
                        f"{items.ITEM_TYPES[target].a_noun}, or null; not "
                        f"{_json_type(value)}",
                    )
                    data[link] = 0
                elif value not in refs[target]:
                    check.error(
                        f"{location}.{link}",
                        f"points to {target} ref {value}, which is not in the document",
                    )
                elif target == kind and value == entry.get("ref"):
                    check.error(f"{location}.{link}", "cannot point to the item itself")
            values = check.schema(spec.create, data, location)
            if values is None or not links_ok:  # the errors are recorded; no more checks
                continue
            if kind == "dependency" and values["item_id"] == values["depends_on_id"]:
                check.error(f"{location}.depends_on_id", "a roadmap item cannot depend on itself")
            elif kind == "dependency":
                cycle = items.closing_cycle(
                    dependencies, values["item_id"], values["depends_on_id"]
                )
                if cycle:
                    check.error(
                        f"{location}.depends_on_id", items.cycle_text(roadmap_titles, cycle)
                    )
                else:
                    dependencies.setdefault(values["item_id"], []).append(values["depends_on_id"])
            for columns in _unique_columns(kind):
                key = (kind, columns, tuple(values[c] for c in columns))
                if key in seen:
                    names = " and ".join(columns)
                    check.error(
                        f"{location}.{columns[-1]}",
                        f"repeats the {names} of {seen[key]}; each may appear only once",
                    )
                seen.setdefault(key, location)
            if _is_ref(entry.get("ref")):  # else its ref error is recorded already
                plan.items[kind].append((entry["ref"], values))
    check.raise_if_any()
    return plan


def _check_workshops(check: _Checker, summaries: Any) -> list[dict[str, Any]]:
    if summaries is None:
        return []
    if not isinstance(summaries, list):
        check.error("workshops", f"must be a list, not {_json_type(summaries)}")
        return []
    if len(summaries) > MAX_WORKSHOPS:
        check.error("workshops", f"has {len(summaries):,} summaries; at most {MAX_WORKSHOPS}")
        return []
    for index, data in enumerate(summaries):
        for where, rule in workshops.summary_problems(data):
            check.error(f"workshops[{index}]" + (f".{where}" if where else ""), rule)
    return [s for s in summaries if isinstance(s, dict)]


def _moment_error(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return f"must be a date and time as text, not {_json_type(value)}"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return "must be a date and time written as YYYY-MM-DDTHH:MM:SS"
    return None


def _check_versions(check: _Checker, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.error("versions", f"must be a list, not {_json_type(raw)}")
        return []
    if len(raw) > MAX_VERSIONS:
        check.error("versions", f"has {len(raw):,} versions; at most {MAX_VERSIONS:,}")
        return []
    kept, names = [], set()
    for index, version in enumerate(raw):
        where = f"versions[{index}]"
        if not isinstance(version, Mapping):
            check.error(where, f"must be an object, not {_json_type(version)}")
            continue
        name = check.schema(m.VersionCreate, {"name": version.get("name")}, where)
        if name is not None and name["name"] in names:
            check.error(f"{where}.name", f"“{name['name']}” names another version already")
        if version.get("kind", "manual") not in _VERSION_KINDS:
            check.error(f"{where}.kind", f"must be one of {', '.join(_VERSION_KINDS)}")
        if problem := _moment_error(version.get("created_at")):
            check.error(f"{where}.created_at", problem)
        document = version.get("document")
        if not isinstance(document, Mapping):
            check.error(f"{where}.document", "must be the canvas as it was (an object)")
            continue
        if "versions" in document or "history" in document:
            check.error(f"{where}.document", "holds the canvas only, not versions or history")
            continue
        try:
            _validate_document(document)
        except ValidationFailed as error:
            for err in error.errors:
                check.error(f"{where}.document.{err.field}", err.message)
            continue
        if name is not None:
            names.add(name["name"])
            kept.append({**version, "name": name["name"], "document": document})
    return kept


def _check_history(check: _Checker, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.error("history", f"must be a list, not {_json_type(raw)}")
        return []
    if len(raw) > MAX_HISTORY:
        check.error("history", f"has {len(raw):,} entries; at most {MAX_HISTORY:,}")
        return []
    kept = []
    for index, entry in enumerate(raw):
        where = f"history[{index}]"
        if not isinstance(entry, Mapping):
            check.error(where, f"must be an object, not {_json_type(entry)}")
            continue
        texts = {k: entry.get(k) for k in ("action", "kind", "title", "actor", "via")}
        wrong = [k for k, v in texts.items() if v is not None and not isinstance(v, str)]
        for key in wrong:
            check.error(f"{where}.{key}", f"must be text, not {_json_type(texts[key])}")
        if not isinstance(entry.get("action"), str) or not entry["action"]:
            check.error(f"{where}.action", "is missing")
        if not isinstance(entry.get("data", {}), Mapping):
            check.error(f"{where}.data", f"must be an object, not {_json_type(entry.get('data'))}")
        for key in ("id", "item_id", "step"):
            if entry.get(key) is not None and not _is_ref(entry.get(key)):
                check.error(f"{where}.{key}", "must be a whole number or null")
        if problem := _moment_error(entry.get("at")):
            check.error(f"{where}.at", problem)
        check.text_hygiene(where, {k: v for k, v in texts.items() if isinstance(v, str)})
        kept.append(dict(entry))
    return kept


def _check_past(check: _Checker, document: Mapping[str, Any]) -> versions.Past | None:
    """The named versions and the history an export with them carries (each version's
    document checked as a document of its own)."""
    if document.get("versions") is None and document.get("history") is None:
        return None
    return versions.Past(
        versions=_check_versions(check, document.get("versions")),
        entries=_check_history(check, document.get("history")),
    )


@functools.cache
def _unique_columns(kind: str) -> list[tuple[str, ...]]:
    """The unique constraints of the item type's table that its fields decide
    (a decision per feature, a dependency per pair, ...), as tuples of field names."""
    spec = items.ITEM_TYPES[kind]
    out = []
    for constraint in spec.table.__table__.constraints:  # type: ignore[attr-defined]
        if isinstance(constraint, sa.UniqueConstraint):
            columns = tuple(c.name for c in constraint.columns)
            if all(c in spec.create.model_fields for c in columns):
                out.append(columns)
    return out


def _decode_image(check: _Checker, location: str, value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        check.error(location, f"must be base64 text or null, not {_json_type(value)}")
        return None
    if len(value) > _MAX_IMAGE_BASE64:
        check.error(location, f"holds an image larger than {m.SKETCH_MAX_BYTES // 1024 // 1024} MB")
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        check.error(location, "is not valid base64 text")
        return None


# --------------------------------------------------------------------------- import


def validate_document(document: Any) -> None:
    """Raise ValidationFailed naming every fault of the document; write nothing."""
    _validate_document(document)


def import_canvas(
    *,
    session: Session,
    document: Mapping[str, Any],
    actor: Actor | None = None,
    origin: str = "an import",
) -> m.Canvas:
    """A NEW canvas holding everything in ``document``.

    The whole document is validated first (ValidationFailed lists every error with its
    location); then the canvas and its items are written through the services in one
    transaction (:func:`strategy_canvas.services.canvas_copy.create_canvas_with_items`),
    so nothing is written unless everything is. Its history starts with one entry:
    created by ``actor`` from ``origin``.
    """
    plan = _validate_document(document)
    return canvas_copy.create_canvas_with_items(
        session=session,
        canvas_in=plan.canvas,
        entries=plan.items,
        actor=actor or activity.importer("JSON"),
        origin=origin,
        summaries=plan.workshops,
        past=plan.past,
    )


def restore_version(
    *, session: Session, canvas_token: str, name: str, actor: Actor | None = None
) -> m.Canvas:
    """The canvas as it was at its version ``name``, as a NEW canvas named after both
    ("Tidewater (Sent to the board)"); the canvas itself is never changed."""
    canvas = canvases.get_canvas(session=session, canvas_token=canvas_token)
    version = versions.get_version(session=session, canvas_token=canvas_token, name=name)
    document = versions.version_document(
        session=session, canvas_token=canvas_token, version_id=version.id
    )
    original = canvas.name
    session.rollback()  # end the read before the write begins
    document["canvas"]["name"] = f"{document['canvas']['name']} ({version.name})"[:120]
    return import_canvas(
        session=session,
        document=document,
        actor=actor,
        origin=f"version “{version.name}” of {original}",
    )
