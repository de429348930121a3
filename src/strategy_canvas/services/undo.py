"""Undo: take back a person's last change, in one click, without overwriting anyone.

A person's last change is the newest batch of history entries they made (one save, one
delete, a grid saved row by row, a promote) that has not been taken back. Undo walks
back through their changes: undoing twice takes back the change before, never the undo
itself.

Each entry is taken back through the ordinary write path, inside the canvas's write
lock (``begin_write``). If anyone else saved the item after the change, :func:`undo`
raises :class:`UndoConflict` with their version and what the undo would write, and the
person chooses — keep theirs, or undo anyway on top of the version they have now seen
(passed back in ``overwrite``, checked like any ``expected_version``: if it moved again
meanwhile, that is a new conflict).

- an update is undone by writing the fields' earlier values;
- a create, by deleting the item (to the trash, so even that can be brought back); an
  undone promote makes its workshop note a note again;
- a delete, by restoring the item from the trash with its links;
- a restore, by deleting the item again;
- a reorder, by putting the list back in its earlier order;
- a change of the canvas's name or details, by writing the earlier values.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity, canvases, history, items, trash
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import NotFound, ServiceError, ValidationFailed

#: how far back to look for a person's last change that can be undone
LOOK_BACK = 200
UNDOABLE = ("create", "update", "delete", "restore", "reorder")


@dataclass(frozen=True)
class Change:
    """A person's last change: the entries of one action, newest first."""

    batch: str
    entry_ids: list[int]
    at: datetime
    summary: str
    #: (kind, id) of the items it wrote
    items: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Clash:
    """One item an undo would overwrite: someone saved it after the change."""

    entry_id: int
    kind: str
    item_id: int
    title: str
    #: the item's fields as they are now (None for a list's order); plain values, readable
    #: after the session that found them has closed
    current: dict[str, Any] | None
    #: what the person must have seen to overwrite it: the item's version now (for a
    #: list, a checksum of its order now), passed back to :func:`undo` in ``overwrite``
    version: int
    #: field -> (what the change had set, what the undo would write)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


class UndoConflict(ServiceError):
    """Undoing would overwrite someone's later save; nothing was written."""

    def __init__(self, clashes: list[Clash]) -> None:
        self.clashes = clashes
        names = ", ".join(f"“{c.title}”" for c in clashes[:3])
        more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
        super().__init__(
            f"Someone changed {names}{more} after your change; nothing was undone. "
            "Keep theirs, or undo anyway."
        )


def summarise(entries: list[m.Activity]) -> str:
    """What a batch did, in a few words: "deleted persona “Dana”", "changed 3 features"."""
    return history.summarise([(e.action, e.kind, e.title) for e in entries])


def _not_undone(canvas_id: int) -> Any:
    undone = aliased(m.Activity)
    return ~sa.exists().where(
        col(undone.canvas_id) == canvas_id, col(undone.undoes) == col(m.Activity.id)
    )


def last_change(*, session: Session, canvas_token: str, actor_key: str) -> Change | None:
    """The change of the person ``actor_key`` that undo would take back, or None."""
    if not actor_key:
        return None
    canvas_id = items.canvas_id_for(session, canvas_token)
    recent = session.exec(
        select(m.Activity)
        .where(
            m.Activity.canvas_id == canvas_id,
            m.Activity.actor_key == actor_key,
            col(m.Activity.action).in_(UNDOABLE),
            _not_undone(canvas_id),
        )
        .order_by(col(m.Activity.id).desc())
        .limit(LOOK_BACK)
    ).all()
    batch = next((e.batch for e in recent if _undoable(e)), None)
    if batch is None:
        return None
    entries = [e for e in recent if e.batch == batch and _undoable(e)]
    return Change(
        batch=batch,
        entry_ids=[e.id or 0 for e in entries],
        at=entries[0].at,
        summary=summarise(entries),
        items=[(e.kind, e.item_id) for e in entries if e.item_id is not None],
    )


def _undoable(entry: m.Activity) -> bool:
    if entry.kind == activity.CANVAS_KIND and entry.action != "update":
        return False
    return not json.loads(entry.data).get("undo", False)


# ----------------------------------------------------------------------------- undo


def _current(session: Session, kind: str, item_id: int, canvas_id: int) -> Any:
    if kind == activity.CANVAS_KIND:
        return session.get(m.Canvas, canvas_id, populate_existing=True)
    spec = items.ITEM_TYPES[kind]
    return session.exec(
        select(spec.table)
        .where(spec.table.id == item_id, spec.table.canvas_id == canvas_id)
        .execution_options(populate_existing=True)
    ).first()


def _clash(
    entry: m.Activity, data: Mapping[str, Any], current: dict[str, Any] | None, version: int
) -> Clash:
    fields = {}
    if entry.action == "update":
        after = data.get("after", {})
        for name, earlier in data.get("before", {}).items():
            fields[name] = (after.get(name), earlier)
    return Clash(
        entry_id=entry.id or 0,
        kind=entry.kind,
        item_id=entry.item_id or 0,
        title=entry.title,
        current=current,
        version=version,
        fields=fields,
    )


def _fields_of(kind: str, row: Any) -> dict[str, Any]:
    names = (
        list(m.CanvasCreate.model_fields)
        if kind == activity.CANVAS_KIND
        else items.ITEM_TYPES[kind].fields
    )
    return {name: getattr(row, name) for name in names}


def order_checksum(order: list[int]) -> int:
    """A list's order as one number, to tell whether it moved since it was seen."""
    return zlib.crc32(",".join(map(str, order)).encode())


def _saved_since_by_others(session: Session, canvas_id: int, entry: m.Activity) -> bool:
    """Whether anyone other than the entry's author wrote the same item (for a reorder,
    reordered the same list) after it. A person's own later changes, and their undos,
    never stand in the way of undoing their earlier one."""
    query = select(m.Activity.id).where(
        m.Activity.canvas_id == canvas_id,
        m.Activity.kind == entry.kind,
        col(m.Activity.id) > (entry.id or 0),
        m.Activity.actor_key != entry.actor_key,
    )
    if entry.action == "reorder":
        query = query.where(m.Activity.action == "reorder")
    else:
        query = query.where(m.Activity.item_id == entry.item_id)
    return session.exec(query.limit(1)).first() is not None


def _check(
    session: Session,
    canvas_id: int,
    entry: m.Activity,
    data: Mapping[str, Any],
    overwrite: Mapping[int, int],
) -> Clash | None:
    """Whether taking ``entry`` back would overwrite someone's later save (a Clash)."""
    entry_id = entry.id or 0
    if entry.action == "delete" or not _saved_since_by_others(session, canvas_id, entry):
        return None
    if entry.action == "reorder":
        now = items.list_order(session, items.ITEM_TYPES[entry.kind], canvas_id)
        checksum = order_checksum(now)
        return None if overwrite.get(entry_id) == checksum else _clash(entry, data, None, checksum)
    current = _current(session, entry.kind, entry.item_id or 0, canvas_id)
    if current is None or overwrite.get(entry_id) == current.version:
        return None  # gone since (taking it back says so), or seen and chosen to overwrite
    return _clash(entry, data, _fields_of(entry.kind, current), int(current.version))


def undo(
    *,
    session: Session,
    canvas_token: str,
    actor: Actor,
    entry_ids: list[int],
    overwrite: Mapping[int, int] | None = None,
) -> str:
    """Take back the entries ``entry_ids`` (a :class:`Change`'s, made by ``actor``), in
    one transaction; returns what was undone, in a few words.

    Raises :class:`UndoConflict` (writing nothing) when an item was saved by someone
    else after the change, unless ``overwrite`` maps that entry to the version of the
    item the person has seen and chosen to overwrite.
    """
    seen = dict(overwrite or {})
    canvas_id = items.begin_write(session, canvas_token)
    try:
        entries = session.exec(
            select(m.Activity)
            .where(col(m.Activity.id).in_(entry_ids), m.Activity.canvas_id == canvas_id)
            .order_by(col(m.Activity.id).desc())
        ).all()
        if len(entries) != len(set(entry_ids)) or any(
            e.actor_key != actor.key or not actor.key for e in entries
        ):
            raise NotFound("This change is not yours to undo, or it is gone.")
        if session.exec(select(m.Activity.id).where(col(m.Activity.undoes).in_(entry_ids))).first():
            raise ValidationFailed.single(
                "change", "Undo", "this change was undone already", what="Undo"
            )
        parsed = [(e, json.loads(e.data)) for e in entries]
        clashes = [c for e, d in parsed if (c := _check(session, canvas_id, e, d, seen))]
        if clashes:
            raise UndoConflict(clashes)
        for entry, data in parsed:
            _take_back(session, canvas_token, canvas_id, entry, data, actor)
        summary = summarise(list(entries))
    except Exception:
        if session.in_transaction():
            session.rollback()
        raise
    session.commit()
    return summary


def _take_back(
    session: Session,
    canvas_token: str,
    canvas_id: int,
    entry: m.Activity,
    data: Mapping[str, Any],
    actor: Actor,
) -> None:
    entry_id = entry.id or 0
    kind, item_id = entry.kind, entry.item_id or 0
    current = _current(session, kind, item_id, canvas_id)
    if entry.action == "update" and kind == activity.CANVAS_KIND:
        if current is None:
            raise NotFound("The canvas is gone.")
        canvases.update_canvas(
            session=session,
            canvas_token=canvas_token,
            changes=data.get("before", {}),
            expected_version=current.version,
            actor=actor,
            undoes=entry_id,
            commit=False,
        )
    elif entry.action == "update":
        if current is None:
            raise _gone(entry)
        before = activity.fields_from_json(data.get("before", {}))
        items.update_item(
            session=session,
            canvas_token=canvas_token,
            kind=kind,
            item_id=item_id,
            changes=before,
            expected_version=current.version,
            commit=False,
            actor=actor,
            undoes=entry_id,
        )
    elif entry.action in ("create", "restore"):
        if current is None:
            raise _gone(entry)
        items.delete_item(
            session=session,
            canvas_token=canvas_token,
            kind=kind,
            item_id=item_id,
            expected_version=current.version,
            actor=actor,
            commit=False,
            undoes=entry_id,
        )
        if entry.action == "create":  # an undone promote: the note is a note again
            session.exec(
                sa.update(m.Note)
                .where(
                    col(m.Note.canvas_id) == canvas_id,
                    col(m.Note.promoted_kind) == kind,
                    col(m.Note.promoted_item_id) == item_id,
                )
                .values(promoted_kind=None, promoted_item_id=None, version=m.Note.version + 1)
            )
    elif entry.action == "delete":
        trash.restore(
            session=session,
            canvas_token=canvas_token,
            entry_id=entry_id,
            actor=actor,
            by_undo=True,
            commit=False,
        )
    elif entry.action == "reorder":
        spec = items.ITEM_TYPES[kind]
        now = items.list_order(session, spec, canvas_id)
        earlier = [i for i in data.get("before", []) if i in set(now)]
        order = earlier + [i for i in now if i not in set(earlier)]
        items.reorder_items(
            session=session,
            canvas_token=canvas_token,
            kind=kind,
            ordered_ids=order,
            actor=actor,
            undoes=entry_id,
            commit=False,
        )


def _gone(entry: m.Activity) -> NotFound:
    return NotFound(
        f"The {history.item_label(entry.kind)} “{entry.title}” was deleted by someone since; "
        "nothing was undone. It is in the trash."
    )
