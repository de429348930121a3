"""Replaying the history on a canvas's document: the canvas at a version, moved forward
entry by entry, is the canvas at the next one.

This is what makes the history trustworthy (a test replays random edit sequences and
compares), and what a diff between a version and a later point of the history could
be built from. Pure functions on the JSON-ready document of
:mod:`strategy_canvas.services.documents`; they never touch the database.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from strategy_canvas.services import activity
from strategy_canvas.services.items import ITEM_TYPES, TABLE_KINDS


class _Lists:
    """The document's item lists with an index by ref, kept in step."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.items: dict[str, list[dict[str, Any]]] = document.setdefault("items", {})
        for kind in ITEM_TYPES:
            self.items.setdefault(kind, [])

    def find(self, kind: str, ref: int) -> dict[str, Any] | None:
        return next((entry for entry in self.items[kind] if entry.get("ref") == ref), None)

    def remove(self, kind: str, ref: int) -> None:
        self.items[kind] = [entry for entry in self.items[kind] if entry.get("ref") != ref]

    def append(self, kind: str, ref: int, fields: Mapping[str, Any]) -> None:
        self.items[kind].append({"ref": ref, **fields})

    def set_link(self, kind: str, ref: int, field: str, value: int | None) -> None:
        entry = self.find(kind, ref)
        if entry is not None:
            entry[field] = value


def apply(document: dict[str, Any], action: str, kind: str, item_id: int | None, data: Any) -> None:
    """Apply one history entry to ``document`` in place (entries that do not change
    the canvas's content, such as archiving or saving a version, change nothing, and
    neither do the entries an import brought, which name another canvas's items)."""
    if data.get("imported"):
        return
    if kind == activity.CANVAS_KIND:
        if action == "update":
            document.setdefault("canvas", {}).update(data.get("after", {}))
        return
    if kind not in ITEM_TYPES:
        return
    lists = _Lists(document)
    if action == "create" and item_id is not None:
        lists.append(kind, item_id, data["after"])
    elif action == "update" and item_id is not None:
        entry = lists.find(kind, item_id)
        if entry is not None:
            entry.update(data.get("after", {}))
    elif action == "delete" and item_id is not None:
        lists.remove(kind, item_id)
        for link_kind, link_id, field, *_ in data.get("links", []):
            if link_kind in ITEM_TYPES:
                lists.set_link(link_kind, link_id, field, None)
        for table, row in data.get("rows", []):
            if table in TABLE_KINDS:
                lists.remove(TABLE_KINDS[table], row["id"])
    elif action == "restore" and item_id is not None:
        lists.append(kind, item_id, data["item"])
        for row_kind, fields in data.get("rows", []):
            if row_kind in ITEM_TYPES:
                rest = {k: v for k, v in fields.items() if k != "ref"}
                lists.append(row_kind, fields["ref"], rest)
        for link_kind, link_id, field, target in data.get("links", []):
            if link_kind in ITEM_TYPES:
                lists.set_link(link_kind, link_id, field, target)
        for sorted_kind, refs in data.get("orders", {}).items():
            _sort(lists, sorted_kind, refs)
    elif action == "reorder":
        _sort(lists, kind, data["after"])


def _sort(lists: _Lists, kind: str, refs: list[int]) -> None:
    order = {ref: at for at, ref in enumerate(refs)}
    lists.items[kind].sort(key=lambda entry: order.get(entry["ref"], len(order)))


def replay(
    document: Mapping[str, Any], entries: Iterable[tuple[str, str, int | None, str]]
) -> dict[str, Any]:
    """A copy of ``document`` with ``entries`` — (action, kind, item id, data as JSON
    text), oldest first — applied."""
    result = copy.deepcopy(dict(document))
    for action, kind, item_id, data in entries:
        apply(result, action, kind, item_id, json.loads(data))
    return result
