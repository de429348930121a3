"""The canvas's history as it is written: who did what, recorded by every write.

Every write of a canvas's items and of the canvas itself records one entry (a row of
``activity``) in the same transaction as the write, right after the change itself, so
the history never tells of a change that was rolled back, and no change goes untold
(docs/ARCHITECTURE.md, "History"). Who did it is an :class:`Actor` that the caller
passes down (keyword ``actor=``): the name a person gave for their personal key, a
workshop participant's display name, the login user, "command line", an import.

What an entry holds (``data``, JSON) is enough to replay it on the canvas's JSON export
(:mod:`strategy_canvas.services.replay`) and to take it back (undo, the trash):

- ``create``: ``after`` — the new item's fields, as the JSON export writes them;
- ``update``: ``before`` and ``after`` — the changed fields; ``version`` — the item's
  version after the write;
- ``delete``: ``item`` — the item's fields; ``version``, ``position``; ``links`` — the items whose
  link to it was cleared (``[kind, id, field, target id]``); ``rows`` — the rows
  deleted with it (``[table, {column: value}]``: a feature's sketches, scores,
  decision, votes);
- ``restore``: ``item``, ``from_id`` (the id it had), ``version``, ``links`` set again
  (``[kind, id, field, target id]``), ``rows`` brought back (``[kind, fields with
  ref]`` for items, ``[table, {"id": id}]`` for others), ``orders`` — the ids of each
  list it wrote to, afterwards (what comes back, comes back where it was);
- ``reorder``: ``before`` and ``after`` — the item ids in list order.

A canvas being created in the transaction (a new canvas, an import, a copy, the demo)
records one entry for the whole canvas and none for the items written into it.

This module imports only the models, so every service can record without a cycle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from strategy_canvas import models as m

#: what an entry's ``action`` can be
ITEM_ACTIONS = ("create", "update", "delete", "restore", "reorder")
EVENT_ACTIONS = ("start", "archive", "unarchive", "version", "workshop")
#: the field a sketch's image is written under in JSON (bytes as base64 text)
IMAGE_FIELD = "image_base64"
CANVAS_KIND = "canvas"
#: the batch of history entries a JSON import brought: shown in the feed as they were,
#: never undone, restored or replayed (their ids name items of the canvas they came from)
IMPORTED = "imported"

_QUIET = "sc.history.quiet"  # session.info: ids of canvases created in this transaction
_BATCH = "sc.history.batch"  # session.info: the batch of this transaction's entries


# --------------------------------------------------------------------------- actors


def key_of(secret: str) -> str:
    """An opaque, stable key for a person's secret (their ``me`` key, a login): the
    history keeps this, never the secret, so reading it grants nothing."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Actor:
    """Who makes a write, as the history shows them.

    ``name`` is shown in the feed; ``key`` tells one person's changes from another's
    (for "undo my last change"; an opaque value, see :func:`key_of`); ``via`` says
    where the write came from; ``batch``, when set, groups the entries of one action
    that spans several transactions (a grid saved row by row), so an undo takes them
    back together.
    """

    name: str
    key: str = ""
    via: str = "page"
    batch: str = ""

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())[: m.ACTOR_NAME_MAX]
        object.__setattr__(self, "name", name or UNKNOWN_NAME)

    @classmethod
    def person(cls, name: str, secret: str, *, via: str = "page") -> Actor:
        """A person known by a secret of theirs (hashed here)."""
        return cls(name, key_of(secret), via)

    def one_action(self) -> Actor:
        """The same actor, with a new batch for an action of several transactions."""
        return replace(self, batch=secrets.token_hex(8))

    def importing(self) -> Actor:
        """The same person, writing through an import."""
        return replace(self, via="import")


UNKNOWN_NAME = "Someone"
#: a write made without saying who (a service called without ``actor=``)
UNKNOWN = Actor(UNKNOWN_NAME, via="page")
COMMAND_LINE = Actor("command line", key="cli", via="cli")
SYSTEM = Actor("Strategy Canvas", key="system", via="system")


def importer(what: str) -> Actor:
    """An import's actor, e.g. ``importer("backlog.csv")``."""
    return Actor(f"import: {what}" if what else "import", key="import", via="import")


# ----------------------------------------------------------------------- JSON values


def json_value(value: Any) -> Any:
    """A field's value as the JSON export writes it (dates as ISO text, bytes base64)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def json_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Item fields as the JSON export writes them: the image under ``image_base64``."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "image":
            out[IMAGE_FIELD] = None if value is None else json_value(value)
        else:
            out[name] = json_value(value)
    return out


def row_json(table: sa.Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """Any table's row as JSON-ready values (for the rows a delete takes with it)."""
    return {c.name: json_value(row[c.name]) for c in table.columns}


def row_from_json(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`row_json`: values typed for the table's columns again."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in values:
            continue
        value = values[column.name]
        if isinstance(value, str):
            kind = column.type
            if isinstance(kind, sa.TypeDecorator):
                kind = kind.impl_instance
            if isinstance(kind, sa.DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(kind, sa.Date):
                value = date.fromisoformat(value)
            elif isinstance(kind, sa.LargeBinary):
                value = base64.b64decode(value)
        out[column.name] = value
    return out


def fields_from_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Item fields from the history back to what the services take: the image as bytes
    (dates stay ISO text; the Create schemas read them)."""
    out = dict(values)
    if IMAGE_FIELD in out:
        encoded = out.pop(IMAGE_FIELD)
        out["image"] = None if encoded is None else base64.b64decode(encoded)
    return out


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# -------------------------------------------------------------------------- writing


def mark_new_canvas(session: Session, canvas_id: int) -> None:
    """The canvas is being created in this transaction: its items' writes are part of
    its creation entry, not entries of their own."""
    session.info.setdefault(_QUIET, set()).add(canvas_id)


def _transaction_batch(session: Session) -> str:
    batch = session.info.get(_BATCH)
    if batch is None:
        batch = session.info[_BATCH] = secrets.token_hex(8)
    return str(batch)


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _end_of_transaction(session: OrmSession) -> None:
    session.info.pop(_QUIET, None)
    session.info.pop(_BATCH, None)


#: one statement, built once: a write's own cost is what the budget counts
_INSERT = sa.insert(m.Activity.__table__)  # type: ignore[attr-defined]


def record(
    session: Session,
    *,
    canvas_id: int,
    actor: Actor | None,
    action: str,
    kind: str = "",
    item_id: int | None = None,
    step: int | None = None,
    title: str = "",
    data: Mapping[str, Any] | None = None,
    undoes: int | None = None,
    by_undo: bool = False,
    always: bool = False,
) -> None:
    """Add an entry to the canvas's history, in the caller's transaction.

    ``undoes`` names the entry this write takes back (an undo, a restore from the
    trash); ``by_undo`` marks a write made by "undo", which a later undo skips (undo
    walks back through a person's changes; it does not undo itself). Writes into a
    canvas created in this same transaction are not recorded (its creation entry
    stands for them) unless ``always``.
    """
    if not always and canvas_id in session.info.get(_QUIET, ()):
        return
    who = actor or UNKNOWN
    if by_undo:
        data = {**(data or {}), "undo": True}
    session.connection().execute(
        _INSERT,
        {
            "canvas_id": canvas_id,
            "at": m.utcnow(),
            "actor_name": who.name,
            "actor_key": who.key,
            "via": who.via[:16],
            "batch": who.batch or _transaction_batch(session),
            "action": action,
            "kind": kind,
            "item_id": item_id,
            "step": step,
            "title": _short(title),
            "data": dumps(data or {}),
            "undoes": undoes,
        },
    )


def _short(text: str, width: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def last_entry_id(session: Session, canvas_id: int) -> int:
    """The id of the canvas's newest entry (0 when it has none)."""
    found = session.exec(
        select(sa.func.max(m.Activity.id)).where(m.Activity.canvas_id == canvas_id)
    ).one()
    return int(found or 0)
