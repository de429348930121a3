"""Reading a canvas's history: the feed, filtered by step, person and item; an item's
own history; who has changed the canvas.

Each entry is told in the product's words — "Ana deleted persona “Busy parent”",
"Ben changed feature “Household sync”: Reach 1,200 → 4,000" — with links shown by the
title of the item they point to. Entries are written by
:mod:`strategy_canvas.services.activity`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity, items
from strategy_canvas.services.validation import field_label

PER_PAGE = 50
VALUE_WIDTH = 80

VERBS = {
    "create": "added",
    "update": "changed",
    "delete": "deleted",
    "restore": "restored",
    "reorder": "reordered",
}


@dataclass(frozen=True)
class FieldChange:
    """One field of an update, before → after, as a person reads it."""

    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One entry of the feed."""

    id: int
    at: datetime
    actor_name: str
    via: str
    action: str
    kind: str
    item_id: int | None
    step: int | None
    title: str
    #: what happened, after the person's name: "deleted persona “Dana”"
    sentence: str
    changes: list[FieldChange] = field(default_factory=list)
    #: more about it: "with 3 links; 2 criterion scores went with it"
    detail: str = ""
    #: made by "undo"
    by_undo: bool = False
    #: taken back since (by an undo or a restore)
    undone: bool = False
    #: brought by a JSON import from the canvas it was exported from
    imported: bool = False
    #: the action it was part of (entries of one paste or grid save share it)
    batch: str = ""

    @property
    def restorable(self) -> bool:
        """A delete whose item is still in the trash."""
        return (
            self.action == "delete"
            and not self.undone
            and not self.imported
            and self.kind in items.ITEM_TYPES
        )


@dataclass(frozen=True)
class FeedPage:
    entries: list[Entry]
    total: int
    page: int
    pages: int


def item_label(kind: str) -> str:
    if kind == activity.CANVAS_KIND:
        return "canvas"
    spec = items.ITEM_TYPES.get(kind)
    return items.in_sentence(kind) if spec else kind.replace("_", " ")


def summarise(actions: Sequence[tuple[str, str, str]]) -> str:
    """What one action of a person did, in a few words, from its entries' (action,
    kind, title): "deleted persona “Dana”", "changed 3 features"."""
    if not actions:
        return ""
    action, kind, title = actions[0]
    verb = VERBS.get(action, action)
    if len(actions) == 1:
        if action == "reorder":
            return f"reordered {title.lower()}"
        return f"{verb} {item_label(kind)} {items.phrase(kind, title)}"
    if len({a[1] for a in actions}) == 1 and len({a[0] for a in actions}) == 1:
        if kind in items.ITEM_TYPES:
            return f"{verb} {items.counted(kind, len(actions))}"
        return f"{verb} {len(actions)} changes"
    return f"made {len(actions)} changes"


# --------------------------------------------------------------------------- values


def show_value(kind: str, name: str, value: Any, titles: Mapping[str, Mapping[int, str]]) -> str:
    """A field's value from the history as a person reads it."""
    if value is None or value == "":
        return "—"
    spec = items.ITEM_TYPES.get(kind)
    if name == activity.IMAGE_FIELD:
        return "an image"
    if spec is not None and name in spec.links and isinstance(value, int):
        target = spec.links[name]
        found = titles.get(target, {}).get(value)
        return f"“{found}”" if found else f"{item_label(target)} #{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    text = " ".join(str(value).split())
    if spec is not None and _is_choice(spec, name):
        text = text.replace("_", " ")
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _is_choice(spec: items.ItemType, name: str) -> bool:
    info = spec.create.model_fields.get(name)
    return info is not None and "Literal" in str(info.annotation)


def field_label_of(kind: str, name: str) -> str:
    """The label of an item's field (or the canvas's), as the editor shows it."""
    if name == activity.IMAGE_FIELD:
        name = "image"
    spec = items.ITEM_TYPES.get(kind)
    if spec is None:
        return (
            m.CanvasCreate.model_fields[name].title or name
            if name in m.CanvasCreate.model_fields
            else name
        )
    return field_label(spec.create, name)


def field_changes(
    kind: str, data: Mapping[str, Any], titles: Mapping[str, Mapping[int, str]]
) -> list[FieldChange]:
    before, after = data.get("before", {}), data.get("after", {})
    spec = items.ITEM_TYPES.get(kind)
    order = [activity.IMAGE_FIELD if n == "image" else n for n in spec.fields] if spec else []
    names = sorted(after, key=lambda n: order.index(n) if n in order else len(order))
    return [
        FieldChange(
            name,
            field_label_of(kind, name),
            show_value(kind, name, before.get(name), titles),
            show_value(kind, name, after.get(name), titles),
        )
        for name in names
    ]


def _links_wanted(kind: str, data: Mapping[str, Any]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    spec = items.ITEM_TYPES.get(kind)
    if spec is None:
        return wanted
    for side in ("before", "after"):
        for name, value in data.get(side, {}).items():
            if name in spec.links and isinstance(value, int):
                wanted[spec.links[name]].add(value)
    return wanted


def _titles(
    session: Session, canvas_id: int, wanted: Mapping[str, set[int]]
) -> dict[str, dict[int, str]]:
    """Titles of the items the entries' links name (those that still exist)."""
    found: dict[str, dict[int, str]] = {}
    for kind, ids in wanted.items():
        spec = items.ITEM_TYPES[kind]
        rows = session.exec(
            select(spec.table).where(spec.table.canvas_id == canvas_id, col(spec.table.id).in_(ids))
        ).all()
        found[kind] = {int(r.id or 0): items.item_title(r) for r in rows}
    return found


# -------------------------------------------------------------------------- entries


def _sentence(row: m.Activity, data: Mapping[str, Any], title: str) -> tuple[str, str]:
    """(what happened, more about it) for an entry."""
    action, kind = row.action, row.kind
    if kind == activity.CANVAS_KIND:
        if action == "create":
            origin = data.get("origin") or ""
            return "created the canvas", (f"from {origin}" if origin else "")
        if action == "update":
            return "changed the canvas's details", ""
        if action == "archive":
            return "archived the canvas", ""
        if action == "unarchive":
            return "brought the canvas back from the archive", ""
    if action == "start":
        return "— the history starts here; the canvas existed before", ""
    if action == "version":
        kinds = {"workshop": " when the workshop ended", "pdf": " with the PDF export"}
        return f"saved version “{title}”{kinds.get(data.get('kind', ''), '')}", ""
    if action == "workshop":
        return title, ""
    sentence = summarise([(action, kind, title)])
    detail = ""
    if action in ("delete", "restore"):
        parts = []
        links = len(data.get("links", []))
        if links:
            parts.append(
                f"{'with' if action == 'delete' else 'relinked'} {links} link{'s' * (links != 1)}"
            )
        with_it: dict[str, int] = defaultdict(int)
        for table, _row in data.get("rows", []):
            with_it[items.TABLE_KINDS.get(table, table)] += 1
        if with_it:
            rows = ", ".join(_count(name, n) for name, n in with_it.items())
            parts.append(f"{rows} {'went with it' if action == 'delete' else 'came back with it'}")
        detail = "; ".join(parts)
    return sentence, detail


def _count(name: str, n: int) -> str:
    """ "2 criterion scores" for an item type, "3 votes" for another table."""
    if name in items.ITEM_TYPES:
        return items.counted(name, n)
    words = name.replace("_", " ")
    return f"{n} {words}{'s' * (n != 1)}"


def _entries(session: Session, canvas_id: int, rows: Sequence[m.Activity]) -> list[Entry]:
    ids = [r.id for r in rows]
    undone = set(
        session.exec(select(m.Activity.undoes).where(col(m.Activity.undoes).in_(ids))).all()
    )
    parsed = [json.loads(r.data) for r in rows]
    wanted: dict[str, set[int]] = defaultdict(set)
    for row, data in zip(rows, parsed, strict=True):
        if row.action == "update":
            for kind, found in _links_wanted(row.kind, data).items():
                wanted[kind] |= found
    titles = _titles(session, canvas_id, wanted)
    out = []
    for row, data in zip(rows, parsed, strict=True):
        title = row.title
        sentence, detail = _sentence(row, data, title)
        out.append(
            Entry(
                id=row.id or 0,
                at=row.at,
                actor_name=row.actor_name,
                via=row.via,
                action=row.action,
                kind=row.kind,
                item_id=row.item_id,
                step=row.step,
                title=title,
                sentence=sentence,
                changes=field_changes(row.kind, data, titles) if row.action == "update" else [],
                detail=detail,
                by_undo=bool(data.get("undo")),
                undone=row.id in undone,
                imported=bool(data.get("imported")),
                batch=row.batch,
            )
        )
    return out


def _filtered(
    canvas_id: int, step: int | None, person: str | None, item: tuple[str, int] | None
) -> list[Any]:
    where = [col(m.Activity.canvas_id) == canvas_id]
    if step is not None:
        where.append(col(m.Activity.step) == step)
    if person:
        where.append(col(m.Activity.actor_name) == person)
    if item is not None:
        where += [col(m.Activity.kind) == item[0], col(m.Activity.item_id) == item[1]]
    return where


def _paged(total: int, page: int, per_page: int) -> tuple[int, int]:
    """(the page asked for, kept within the pages there are; how many pages there are)."""
    pages = max(1, math.ceil(total / per_page))
    return min(max(0, page), pages - 1), pages


def feed(
    *,
    session: Session,
    canvas_token: str,
    step: int | None = None,
    person: str | None = None,
    item: tuple[str, int] | None = None,
    page: int = 0,
    per_page: int = PER_PAGE,
) -> FeedPage:
    """One page of the canvas's history, newest first, filtered by step (1–5), by the
    person's name and by item (kind, id)."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    where = _filtered(canvas_id, step, person, item)
    total = int(session.exec(select(sa.func.count()).select_from(m.Activity).where(*where)).one())
    page, pages = _paged(total, page, per_page)
    rows = session.exec(
        select(m.Activity)
        .where(*where)
        .order_by(col(m.Activity.id).desc())
        .offset(page * per_page)
        .limit(per_page)
    ).all()
    return FeedPage(_entries(session, canvas_id, rows), total, page, pages)


#: how many entries of one action the feed lists (an import can add thousands)
ACTION_SHOWN = 100


@dataclass(frozen=True)
class Action:
    """One action of one person in the feed: a paste of 20 problems is one line, "added
    20 problems", that opens to its entries."""

    #: newest first; at most :data:`ACTION_SHOWN` of them
    entries: list[Entry]
    #: how many entries the action holds (under the feed's filters)
    size: int
    #: what it did, after the person's name
    sentence: str

    @property
    def first(self) -> Entry:
        return self.entries[0]


@dataclass(frozen=True)
class ActionPage:
    actions: list[Action]
    total: int
    page: int
    pages: int


def _action_key() -> Any:
    """What one action's entries share: their batch. An entry without one, or one a JSON
    import brought (shown as it was in its canvas), is an action of its own."""
    own = sa.literal("#") + sa.cast(col(m.Activity.id), sa.String)
    return sa.case(
        (col(m.Activity.batch).in_(["", activity.IMPORTED]), own), else_=col(m.Activity.batch)
    )


def _action_sentence(counts: Sequence[tuple[str, str, int]], entries: Sequence[Entry]) -> str:
    """ "added 220 features and 56 roadmap items", from the action's (action, kind, count)."""
    size = sum(n for _, _, n in counts)
    if size == 1:
        return entries[0].sentence
    verbs = {action for action, _, _ in counts}
    kinds = [kind for _, kind, _ in counts]
    if len(verbs) == 1 and all(kind in items.ITEM_TYPES for kind in kinds):
        [action] = verbs
        if action != "reorder":
            named = [items.counted(kind, n) for _, kind, n in counts]
            listed = ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
            return f"{VERBS.get(action, action)} {listed}"
    return f"made {size:,} changes"


def action_feed(
    *,
    session: Session,
    canvas_token: str,
    step: int | None = None,
    person: str | None = None,
    item: tuple[str, int] | None = None,
    page: int = 0,
    per_page: int = PER_PAGE,
) -> ActionPage:
    """One page of the canvas's history as actions, newest first (filtered as
    :func:`feed`): the entries one paste, grid save or import wrote are one action."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    where = _filtered(canvas_id, step, person, item)
    key = _action_key()
    total = int(
        session.exec(
            select(sa.func.count(sa.distinct(key))).select_from(m.Activity).where(*where)
        ).one()
    )
    page, pages = _paged(total, page, per_page)
    last = sa.func.max(col(m.Activity.id))
    keys = [
        str(k)
        for k in session.exec(
            select(key)
            .where(*where)
            .group_by(key)
            .order_by(last.desc())
            .offset(page * per_page)
            .limit(per_page)
        ).all()
    ]
    counts: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for k, action, kind, n in session.exec(
        select(key, col(m.Activity.action), col(m.Activity.kind), sa.func.count())
        .where(*where, key.in_(keys))
        .group_by(key, col(m.Activity.action), col(m.Activity.kind))
        .order_by(key, sa.func.min(col(m.Activity.id)))
    ).all():
        counts[str(k)].append((action, kind, int(n)))
    ranked = (
        select(
            m.Activity,
            key.label("action_key"),
            sa.func.row_number()
            .over(partition_by=key, order_by=col(m.Activity.id).desc())
            .label("rank"),
        )
        .where(*where, key.in_(keys))
        .subquery()
    )
    shown = aliased(m.Activity, ranked)
    found = session.exec(
        select(shown, ranked.c.action_key)
        .where(ranked.c.rank <= ACTION_SHOWN)
        .order_by(ranked.c.id.desc())
    ).all()
    by_key: dict[str, list[Entry]] = defaultdict(list)
    rows = [row for row, _ in found]
    for entry, (_, k) in zip(_entries(session, canvas_id, rows), found, strict=True):
        by_key[str(k)].append(entry)
    actions = [
        Action(
            entries=by_key[k],
            size=sum(n for _, _, n in counts[k]),
            sentence=_action_sentence(counts[k], by_key[k]),
        )
        for k in keys
        if by_key[k]
    ]
    return ActionPage(actions, total, page, pages)


def item_history(
    *, session: Session, canvas_token: str, kind: str, item_id: int, limit: int = 30
) -> list[Entry]:
    """The newest entries of one item, newest first."""
    return feed(
        session=session, canvas_token=canvas_token, item=(kind, item_id), per_page=limit
    ).entries


def people(*, session: Session, canvas_token: str) -> list[str]:
    """Everyone who has changed the canvas, by name."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    return sorted(
        set(
            session.exec(
                select(m.Activity.actor_name).where(m.Activity.canvas_id == canvas_id).distinct()
            ).all()
        ),
        key=str.casefold,
    )


@dataclass(frozen=True)
class HistoryItem:
    kind: str
    item_id: int
    title: str

    @property
    def label(self) -> str:
        """How the Item filter names it: "Persona · Busy parent"; an item named by its
        links reads as a phrase: "KPI reading of “Weekly plans”: 120 on 2027-01-05"."""
        if self.kind not in items.ITEM_TYPES:
            return self.title
        label = items.ITEM_TYPES[self.kind].label
        if self.kind in items.DESCRIBED:
            return f"{label} {self.title}"
        return f"{label} · {self.title}"


def items_in_history(
    *, session: Session, canvas_token: str, step: int | None = None
) -> list[HistoryItem]:
    """Every item the history names (with its newest title), for the item filter."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    newest = (
        select(sa.func.max(m.Activity.id))
        .where(
            m.Activity.canvas_id == canvas_id,
            col(m.Activity.item_id).is_not(None),
            col(m.Activity.kind).in_(list(items.ITEM_TYPES)),
            *([col(m.Activity.step) == step] if step is not None else []),
        )
        .group_by(col(m.Activity.kind), col(m.Activity.item_id))
    )
    rows = session.exec(
        select(m.Activity.kind, m.Activity.item_id, m.Activity.title).where(
            col(m.Activity.id).in_(newest)
        )
    ).all()
    found = [HistoryItem(kind, int(item_id or 0), title) for kind, item_id, title in rows]
    return sorted(found, key=lambda h: (items.ITEM_TYPES[h.kind].step, h.kind, h.title.casefold()))


def last_entry_id(*, session: Session, canvas_token: str) -> int:
    """The newest entry's id (0 for none): what caches of the history are keyed by."""
    return activity.last_entry_id(session, items.canvas_id_for(session, canvas_token))


def entries_for_export(*, session: Session, canvas_token: str) -> list[dict[str, Any]]:
    """Every entry of the canvas's history, oldest first, as JSON-ready dicts (the JSON
    export's ``history``)."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    rows = session.exec(
        select(m.Activity).where(m.Activity.canvas_id == canvas_id).order_by(col(m.Activity.id))
    ).all()
    return [
        {
            "id": row.id,
            "at": row.at.isoformat(),
            "actor": row.actor_name,
            "via": row.via,
            "action": row.action,
            "kind": row.kind,
            "item_id": row.item_id,
            "step": row.step,
            "title": row.title,
            "batch": row.batch,
            "undoes": row.undoes,
            "data": json.loads(row.data),
        }
        for row in rows
    ]
