"""The trash: every item deleted from a canvas, and bringing one back.

A delete keeps, in its history entry, the item's fields, the links that pointed to it
(cleared by the delete) and the rows deleted with it (a feature's sketches, criterion
scores, decision, votes and blind scores; a roadmap item's dependencies; a KPI's
readings). :func:`restore` writes them back in one transaction:

- the item, under its old id when that is free (else a new one), where it was in its
  list; its own links are kept where their targets still exist;
- the rows deleted with it, where what else they belong to still exists (a criterion
  score needs its criterion, a vote its participant);
- the links that pointed to it, on the items that still exist and have not been linked
  to something else since (a link someone set meanwhile is never overwritten).

Restoring is a write like any other: it bumps the canvas's change counter first and
records an entry (``restore``, naming the delete it takes back).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity, items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import NotFound, ValidationFailed
from strategy_canvas.services.validation import validate


@dataclass(frozen=True)
class Deleted:
    """An item in the trash."""

    entry_id: int
    kind: str
    item_id: int
    title: str
    step: int | None
    deleted_at: datetime
    deleted_by: str
    #: links that pointed to it, which a restore sets again where it can
    links: int
    #: what was deleted with it: item-type label (or table) -> how many
    with_it: dict[str, int]

    @property
    def label(self) -> str:
        return items.ITEM_TYPES[self.kind].label


@dataclass(frozen=True)
class Restored:
    kind: str
    item_id: int
    title: str
    links: int
    rows: int
    #: what could not come back, and why (e.g. "a criterion score: its criterion is gone")
    skipped: list[str]


def list_trash(*, session: Session, canvas_token: str, limit: int = 500) -> list[Deleted]:
    """The canvas's deleted items, most recently deleted first."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    back = aliased(m.Activity)
    rows = session.exec(
        select(m.Activity)
        .where(
            m.Activity.canvas_id == canvas_id,
            m.Activity.action == "delete",
            m.Activity.batch != activity.IMPORTED,
            ~sa.exists().where(
                col(back.undoes) == col(m.Activity.id), col(back.action) == "restore"
            ),
        )
        .order_by(col(m.Activity.id).desc())
        .limit(limit)
    ).all()
    return [_deleted(entry) for entry in rows if entry.kind in items.ITEM_TYPES]


def _deleted(entry: m.Activity) -> Deleted:
    data = json.loads(entry.data)
    with_it: dict[str, int] = defaultdict(int)
    for table, _row in data.get("rows", []):
        kind = items.TABLE_KINDS.get(table)
        with_it[items.in_sentence(kind) if kind else table.replace("_", " ")] += 1
    return Deleted(
        entry_id=entry.id or 0,
        kind=entry.kind,
        item_id=entry.item_id or 0,
        title=entry.title,
        step=entry.step,
        deleted_at=entry.at,
        deleted_by=entry.actor_name,
        links=len(data.get("links", [])),
        with_it=dict(with_it),
    )


# --------------------------------------------------------------------------- restore


def _exists(session: Session, table: sa.Table, row_id: Any, canvas_id: int | None) -> bool:
    query = sa.select(table.c.id).where(table.c.id == row_id)
    if canvas_id is not None and "canvas_id" in table.c:
        query = query.where(table.c.canvas_id == canvas_id)
    return session.connection().execute(query).first() is not None


def _table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


def _insert(session: Session, table: sa.Table, values: dict[str, Any], old_id: int) -> int | None:
    """Insert a row under its old id when that is free (else a new one), in a savepoint:
    a row that breaks a rule now (a second decision for a feature) is not written."""
    if not _exists(session, table, old_id, None):
        values = {**values, "id": old_id}
    try:
        with session.begin_nested():
            new_id = session.exec(sa.insert(table).values(values).returning(table.c.id)).scalar()
    except IntegrityError:
        return None
    return int(new_id) if new_id is not None else None


def _link_targets(table: sa.Table) -> dict[str, tuple[str, bool]]:
    """column -> (table it points to, whether it may be empty) for the table's keys."""
    return {
        fk.parent.name: (fk.column.table.name, bool(fk.parent.nullable))
        for fk in table.foreign_keys
        if fk.column.table.name != "canvas"
    }


def _relinked(
    session: Session,
    table: sa.Table,
    values: dict[str, Any],
    ids: Mapping[str, Mapping[int, int]],
    canvas_id: int | None,
) -> tuple[dict[str, Any], str | None]:
    """``values`` with each key mapped to its row's id now; links to what is gone are
    emptied, and a required one that is gone returns the reason the row cannot come back."""
    out = dict(values)
    for column, (target, nullable) in _link_targets(table).items():
        value = out.get(column)
        if value is None:
            continue
        value = ids.get(target, {}).get(value, value)
        if _exists(session, _table(target), value, canvas_id):
            out[column] = value
        elif nullable:
            out[column] = None
        else:
            return out, f"its {target.replace('_', ' ')} is gone"
    return out, None


def _item_row(
    session: Session,
    spec: items.ItemType,
    canvas_id: int,
    fields: Mapping[str, Any],
    ids: Mapping[str, Mapping[int, int]],
) -> tuple[dict[str, Any] | None, str | None]:
    """An item's fields from the history, validated, links mapped; or why it cannot be."""
    data = dict(fields)
    data = activity.fields_from_json(data)
    table = _table(spec.table_name)
    data, problem = _relinked(session, table, data, ids, canvas_id)
    if problem:
        return None, problem
    return validate(spec.create, data, what=spec.label).model_dump(), None


def restore(
    *,
    session: Session,
    canvas_token: str,
    entry_id: int,
    actor: Actor | None = None,
    by_undo: bool = False,
    commit: bool = True,
) -> Restored:
    """Bring back the item deleted by history entry ``entry_id``, with its links and
    the rows deleted with it (see the module docstring). ``by_undo``: the restore is an
    undo of the delete; ``commit=False`` leaves the transaction open for the caller."""
    canvas_id = items.begin_write(session, canvas_token)
    try:
        result = _restore(session, canvas_id, entry_id, actor, by_undo)
    except Exception:
        session.rollback()
        raise
    if commit:
        session.commit()
    return result


def _restore(
    session: Session, canvas_id: int, entry_id: int, actor: Actor | None, by_undo: bool
) -> Restored:
    entry = session.exec(
        select(m.Activity).where(m.Activity.id == entry_id, m.Activity.canvas_id == canvas_id)
    ).first()
    if entry is None or entry.action != "delete" or entry.kind not in items.ITEM_TYPES:
        raise NotFound("This item is not in the canvas's trash.")
    if entry.batch == activity.IMPORTED:
        raise ValidationFailed.single(
            "entry_id",
            "Trash",
            f"“{entry.title}” was deleted before this canvas was imported; it can't come back",
            what="Restore",
        )
    if session.exec(
        select(m.Activity.id).where(m.Activity.undoes == entry_id, m.Activity.action == "restore")
    ).first():
        raise ValidationFailed.single(
            "entry_id", "Trash", f"“{entry.title}” was restored already", what="Restore"
        )
    data = json.loads(entry.data)
    spec = items.ITEM_TYPES[entry.kind]
    table_name = spec.table_name
    ids: dict[str, dict[int, int]] = defaultdict(dict)
    values, problem = _item_row(session, spec, canvas_id, data["item"], ids)
    if values is None:
        raise ValidationFailed.single("entry_id", spec.label, problem or "", what="Restore")
    version = int(data.get("version", 1)) + 1
    position = data.get("position")
    row_values = {
        **values,
        "canvas_id": canvas_id,
        "position": items.next_position(session, spec.table, canvas_id)
        if position is None
        else int(position),
        "version": version,
        "created_at": m.utcnow(),
        "updated_at": m.utcnow(),
    }
    new_id = _insert(session, _table(table_name), row_values, int(entry.item_id or 0))
    if new_id is None:
        raise items.unique_violation(spec)
    ids[table_name][int(entry.item_id or 0)] = new_id

    rows_out: list[list[Any]] = []
    skipped: list[str] = []
    for row_table, row in data.get("rows", []):
        brought = _restore_row(session, canvas_id, row_table, row, ids)
        if isinstance(brought, str):
            skipped.append(brought)
        elif brought is not None:
            rows_out.append(brought)

    links_out = []
    for kind, row_id, field, target in data.get("links", []):
        if kind not in items.ITEM_TYPES:
            continue
        target_table = _link_targets(_table(items.ITEM_TYPES[kind].table_name))[field][0]
        new_target = ids.get(target_table, {}).get(target)
        if new_target is None:
            continue
        link_table = items.ITEM_TYPES[kind].table
        changed = session.exec(
            sa.update(link_table)
            .where(
                col(link_table.id) == row_id,
                col(link_table.canvas_id) == canvas_id,
                col(getattr(link_table, field)).is_(None),
            )
            .values({field: new_target})
        ).rowcount
        if changed:
            links_out.append([kind, row_id, field, new_target])

    title = str(values.get(spec.title_field) or "").strip() or entry.title
    activity.record(
        session,
        canvas_id=canvas_id,
        actor=actor,
        action="restore",
        kind=spec.key,
        item_id=new_id,
        step=spec.step,
        title=title,
        data={
            "item": activity.json_fields(values),
            "from_id": entry.item_id,
            "version": version,
            "links": links_out,
            "rows": rows_out,
            "orders": {
                kind: items.list_order(session, items.ITEM_TYPES[kind], canvas_id)
                for kind in {spec.key, *(row[0] for row in rows_out)}
                if kind in items.ITEM_TYPES
            },
        },
        undoes=entry_id,
        by_undo=by_undo,
    )
    return Restored(spec.key, new_id, title, len(links_out), len(rows_out), skipped)


def _restore_row(
    session: Session,
    canvas_id: int,
    table_name: str,
    row: Mapping[str, Any],
    ids: dict[str, dict[int, int]],
) -> list[Any] | str | None:
    """Write back one row deleted with the item: ``[kind, fields]`` or ``[table, {id}]``
    for the history, or why it could not come back."""
    table = _table(table_name)
    kind = items.TABLE_KINDS.get(table_name)
    old_id = int(row["id"])
    typed = activity.row_from_json(table, row)
    what = items.in_sentence(kind) if kind else table_name.replace("_", " ")
    if kind is not None:
        spec = items.ITEM_TYPES[kind]
        fields = {n: typed.get(n) for n in spec.fields}
        try:
            values, problem = _item_row(session, spec, canvas_id, activity.json_fields(fields), ids)
        except ValidationFailed as error:
            return f"a {what}: {error}"
        if values is None:
            return f"a {what}: {problem}"
        new_id = _insert(
            session,
            table,
            {
                **values,
                "canvas_id": canvas_id,
                "position": typed.get("position")
                if typed.get("position") is not None
                else items.next_position(session, spec.table, canvas_id),
                "version": int(typed.get("version") or 1) + 1,
                "created_at": typed.get("created_at") or m.utcnow(),
                "updated_at": m.utcnow(),
            },
            old_id,
        )
        if new_id is None:
            return f"a {what}: it would clash with one that exists now"
        ids[table_name][old_id] = new_id
        return [kind, {"ref": new_id, **activity.json_fields(values)}]
    typed.pop("id", None)
    values, problem = _relinked(session, table, typed, ids, None)
    if problem:
        return f"a {what}: {problem}"
    new_id = _insert(session, table, values, old_id)
    if new_id is None:
        return f"a {what}: it would clash with one that exists now"
    ids[table_name][old_id] = new_id
    return [table_name, {"id": new_id}]
