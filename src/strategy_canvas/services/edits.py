"""An edit of one item, from opening it to saving it: the version and the values it
started from, the user's values, and what came of saving it.

The item editor and the score grid both edit this way (docs/ARCHITECTURE.md, "The
write path and its version check"): a save sends only the fields the user changed,
with the version the edit started from; when someone saved the item meanwhile, nothing
is written and the outcome carries the stored row, so the user sees theirs and yours
and chooses. Keeping theirs is :func:`rebased`: the same changes, on top of the stored
row, checked against its version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session

from strategy_canvas.services import items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ConflictError, ServiceError


@dataclass(frozen=True)
class ItemEdit:
    """One item being edited, or a new one (``item_id`` None).

    ``base_version`` is the version the edit started from (None for a new item),
    ``original`` the values it started from, ``values`` the user's values now (all the
    fields, or only the ones they touched)."""

    kind: str
    item_id: int | None
    base_version: int | None
    original: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def is_new(self) -> bool:
        return self.item_id is None

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the one the edit started from."""
        return {k: v for k, v in self.values.items() if v != self.original.get(k)}


@dataclass(frozen=True)
class Saved:
    """Written: ``row`` is the item as stored now (None after a delete)."""

    row: Any
    created: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class Conflict:
    """Someone saved or deleted the item after the edit started; nothing was written.

    ``current`` is the stored row now (None when it was deleted); ``deleting`` says the
    user was deleting it."""

    current: Any
    deleting: bool = False

    @property
    def deleted(self) -> bool:
        return self.current is None


@dataclass(frozen=True)
class Refused:
    """A service refused the write (a value breaks a rule, the canvas is gone…);
    nothing was written. ``error`` names the field and the rule."""

    error: ServiceError


Outcome = Saved | Conflict | Refused


def _conflict(error: ConflictError, *, deleting: bool = False) -> Conflict:
    return Conflict(error.current, deleting=deleting or bool(error.attempted.get("deleted")))


def save_edit(
    *,
    session: Session,
    canvas_token: str,
    edit: ItemEdit,
    extra: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> Outcome:
    """Create the new item from ``edit.values`` (and ``extra``), or update the item with
    only ``edit.changes()`` (and ``extra``) at ``edit.base_version``.

    An update with nothing to change writes nothing and returns ``Saved(None)``.
    """
    try:
        if edit.item_id is None:
            row = items.create_item(
                session=session,
                canvas_token=canvas_token,
                kind=edit.kind,
                data={**edit.values, **(extra or {})},
                actor=actor,
            )
            return Saved(row, created=True)
        changes = {**edit.changes(), **(extra or {})}
        if not changes:
            return Saved(None)
        row = items.update_item(
            session=session,
            canvas_token=canvas_token,
            kind=edit.kind,
            item_id=edit.item_id,
            changes=changes,
            expected_version=edit.base_version or 0,
            actor=actor,
        )
        return Saved(row)
    except ConflictError as error:
        return _conflict(error)
    except ServiceError as error:  # a refused value; NotFound when the item is gone
        return Refused(error)


def delete_edit(
    *, session: Session, canvas_token: str, edit: ItemEdit, actor: Actor | None = None
) -> Outcome:
    """Delete the edited item if it is still at ``edit.base_version`` (to the trash)."""
    assert edit.item_id is not None, "a new item has nothing to delete"
    try:
        items.delete_item(
            session=session,
            canvas_token=canvas_token,
            kind=edit.kind,
            item_id=edit.item_id,
            expected_version=edit.base_version or 0,
            actor=actor,
        )
    except ConflictError as error:
        return _conflict(error, deleting=True)
    except ServiceError as error:
        return Refused(error)
    return Saved(None, deleted=True)


def rebased(edit: ItemEdit, current: Any, fields: Iterable[str]) -> ItemEdit:
    """``edit``'s changes on top of ``current`` (the stored row of a conflict): the
    user's deliberate choice to keep theirs, checked against the stored version, so a
    still newer change conflicts again.

    ``fields`` are the fields the edit covers; it starts again from their stored
    values, and its values keep their fields: the stored value where the user changed
    nothing, theirs where they did."""
    stored = {name: getattr(current, name, None) for name in fields}
    changes = edit.changes()
    return replace(
        edit,
        base_version=int(current.version),
        original=stored,
        values={name: changes.get(name, stored.get(name)) for name in edit.values},
    )
