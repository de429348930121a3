"""Editing one item in this browser session: the typed state of an open edit, and what
can happen to it — open, autosave, save, resolve a conflict, discard, delete.

The pattern every step page follows (docs/ARCHITECTURE.md, "Live sync without losing
anyone's typing"): an edit remembers the version and the values it started from; every
change of a field is autosaved as a private *draft* (services.drafts), which survives
leaving the page and reloading the browser but never changes the item; Save sends only
the changed fields with the version the edit started from
(:func:`strategy_canvas.services.edits.save_edit`), and when someone saved the item
meanwhile the edit holds the conflict until the user chooses.

This module owns every session-state key of editing (``ed.…``). Other modules use
:class:`Edit` and the functions below, never the keys: the values being typed live in
the field widgets' keys (:meth:`Edit.key`, as Streamlit requires), everything else
about the edit is the :class:`Edit` stored under one key per item.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st

from strategy_canvas.services import drafts, edits, items
from strategy_canvas.services.errors import NotFound, ServiceError
from strategy_canvas.ui import fields, identity, state
from strategy_canvas.ui.identity import owner_key

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

NEW = "new"
#: how long a title may be in a confirmation
_LABEL_LIMIT = 60


def _sid(item_id: int | None) -> str:
    return NEW if item_id is None else str(item_id)


def _scope_prefix(kind: str, item_id: int | None) -> str:
    return f"ed.{kind}.{_sid(item_id)}"


# ------------------------------------------------------------------ which is open


def picker_key(kind: str) -> str:
    """The key of the picker that chooses which item of ``kind`` is open."""
    return f"ed.{kind}.open"


def long_picker_key(kind: str) -> str:
    """The key of the popover holding the picker of ``kind`` when its list is long."""
    return f"ed.{kind}.pick"


def fold_picker(kind: str) -> None:
    """Close the popover of the picker of ``kind`` (a callback: an item was picked)."""
    st.session_state[long_picker_key(kind)] = False


def opened(kind: str) -> str | None:
    """Which item of ``kind`` is open in the editor ("new", an id, or None)."""
    return st.session_state.get(picker_key(kind))


def open_item(kind: str, item_id: int | None) -> None:
    """Open ``item_id`` (None: a new item) in the editor of ``kind`` when it is next
    drawn (callbacks only: before the picker is drawn)."""
    st.session_state[picker_key(kind)] = _sid(item_id)


def keep_choice(kind: str, label: str) -> None:
    """Call just before drawing the picker of ``kind``, with the name it shows for the
    open item: when that name changed since the last run (the item was renamed, here or
    by someone else), the picker is told its choice again.

    A selectbox sends back the *name* of its choice, not the choice: a browser still
    holding the old name would otherwise send a name that is no longer an option on the
    next run, and the editor would jump to a new item, away from the one being edited.
    """
    shown_key = f"ed.{kind}.open_name"
    current = opened(kind)
    before = st.session_state.get(shown_key)
    if before is not None and before[0] == current and before[1] != label:
        st.session_state[picker_key(kind)] = current
    st.session_state[shown_key] = (current, label)


def open_edits() -> list[tuple[str, int, int]]:
    """(kind, item id, version the edit started from) of every open edit of an item."""
    result = []
    for kind in items.ITEM_TYPES:
        sid = opened(kind)
        # Read from a fragment's rerun, a picker outside it may hold its label for a
        # moment instead of the id: only an id names an open edit.
        if isinstance(sid, str) and sid.isdigit():
            edit = Edit.get(kind, int(sid))
            if edit is not None and edit.base_version is not None:
                result.append((kind, int(sid), int(edit.base_version)))
    return result


# ------------------------------------------------------------------- notices


@dataclass(frozen=True)
class Notice:
    """The confirmation of the last action on an item of ``kind``, shown once.

    ``action`` names what happened to the item whose ``values`` the user saw; for an
    action that names no item, ``message`` is the whole text."""

    kind: str
    action: Literal["added", "saved", "deleted"] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def text(self, describe: Callable[[dict[str, Any]], str] | None = None) -> str:
        """The confirmation, naming the item by its title, or by ``describe(values)``
        for kinds whose title field does not name them (a score, a dependency)."""
        if self.action is None:
            return self.message
        spec = items.item_type(self.kind)
        verb = f"{self.action.capitalize()} {spec.noun}"
        if describe is not None:
            return f"{verb}: {describe(self.values)}."
        name = label_of(spec, self.values)
        return f"{verb} “{name}”." if name else f"{verb}."


def _notice_key(kind: str) -> str:
    return f"ed.{kind}.notice"


def pop_notice(kind: str) -> Notice | None:
    """The confirmation of the last action on ``kind``, once (None if there is none)."""
    notice = st.session_state.pop(_notice_key(kind), None)
    return notice if isinstance(notice, Notice) else None


def _tell(notice: Notice) -> None:
    st.session_state[_notice_key(notice.kind)] = notice


def label_of(spec: items.ItemType, values: dict[str, Any]) -> str:
    """The item's title as a confirmation names it (cut at a readable length); "" for
    an item whose title field is empty or does not hold a name (a score, a link)."""
    text = values.get(spec.title_field)
    if not isinstance(text, str) or not text.strip() or spec.title_field in spec.links:
        return ""
    text = text.strip()
    return text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 1] + "…"


# ---------------------------------------------------------------------- the edit


def field_names(spec: items.ItemType) -> list[str]:
    return [s.name for s in fields.editable_fields(spec)]


def _row_values(spec: items.ItemType, row: Any) -> dict[str, Any]:
    return {n: getattr(row, n) for n in field_names(spec)}


def _defaults(spec: items.ItemType, preset: dict[str, Any] | None) -> dict[str, Any]:
    values = {}
    for shape in fields.editable_fields(spec):
        info = spec.create.model_fields[shape.name]
        default = None if info.is_required() else info.default
        values[shape.name] = fields.empty_value(shape, default)
    values.update(preset or {})
    return values


@dataclass
class Edit:
    """One item (or a new one, ``item_id`` None) open for editing in this session.

    ``base_version`` and ``original`` are the version and the values the edit started
    from; the user's values are in the field widgets (:meth:`values`). ``outcome`` is
    what the last save or delete left to settle: a conflict the user must choose on, or
    the service's refusal naming a field. ``restored``: the values came from a draft.
    """

    kind: str
    item_id: int | None
    base_version: int | None
    original: dict[str, Any]
    outcome: edits.Conflict | edits.Refused | None = None
    restored: bool = False

    # ----------------------------------------------------------------- lookup

    @staticmethod
    def get(kind: str, item_id: int | None) -> Edit | None:
        """The edit of this item open in this session, if any."""
        found = st.session_state.get(_scope_prefix(kind, item_id))
        return found if isinstance(found, Edit) else None

    @classmethod
    def open(
        cls,
        ctx: PageContext,
        kind: str,
        item_id: int | None,
        preset: dict[str, Any] | None = None,
    ) -> Edit | None:
        """The edit of the item, opened if it is not yet: its values from this
        session, else from the person's draft, else from the item (or ``preset`` and
        the defaults for a new one). None when the item no longer exists."""
        found = cls.get(kind, item_id)
        spec = items.item_type(kind)
        if found is not None and all(found.key(n) in st.session_state for n in field_names(spec)):
            return found
        assert ctx.token is not None
        with ctx.read() as session:
            draft = drafts.get_draft(
                session=session,
                canvas_token=ctx.token,
                owner_key=owner_key(),
                scope=f"{kind}:{_sid(item_id)}",
            )
            row = None
            if item_id is not None:
                try:
                    row = items.get_item(
                        session=session, canvas_token=ctx.token, kind=kind, item_id=item_id
                    )
                except NotFound:
                    row = None
        if item_id is not None and row is None and draft is None:
            return None
        stored = _row_values(spec, row) if row is not None else _defaults(spec, preset)
        if draft is not None:
            data, base = draft
            original = data.pop("__original__", None) or stored
            values = {**stored, **{k: v for k, v in data.items() if k in stored}}
        else:
            original, values, base = stored, dict(stored), row.version if row else None
        edit = cls(kind, item_id, base, original, restored=draft is not None)
        if found is not None:  # a conflict or a refusal still to settle stays
            edit.outcome = found.outcome
        for name, value in values.items():
            if edit.key(name) not in st.session_state:
                edit.put(name, value)
        edit._store()
        return edit

    def _store(self) -> None:
        st.session_state[_scope_prefix(self.kind, self.item_id)] = self

    # ----------------------------------------------------------------- values

    @property
    def spec(self) -> items.ItemType:
        return items.item_type(self.kind)

    @property
    def is_new(self) -> bool:
        return self.item_id is None

    def key(self, name: str) -> str:
        """The session-state key of ``name`` in this edit's scope: a field's widget, or
        a widget of the page's own (an upload) that is cleared with the edit."""
        return f"{_scope_prefix(self.kind, self.item_id)}.{name}"

    def put(self, name: str, value: Any) -> None:
        """Put ``value`` into the widget of field ``name``, as that widget holds it."""
        shape = next((f for f in fields.editable_fields(self.spec) if f.name == name), None)
        st.session_state[self.key(name)] = (
            fields.widget_value(shape, value) if shape is not None else value
        )

    def value(self, name: str) -> Any:
        """The value of a field as the user has it now."""
        return st.session_state.get(self.key(name))

    def values(self) -> dict[str, Any]:
        return {n: self.value(n) for n in field_names(self.spec)}

    def item_edit(self) -> edits.ItemEdit:
        """The edit as the services take it."""
        return edits.ItemEdit(
            self.kind, self.item_id, self.base_version, dict(self.original), self.values()
        )

    def changes(self) -> dict[str, Any]:
        """The fields the user changed since the edit started."""
        return self.item_edit().changes()

    @property
    def conflict(self) -> edits.Conflict | None:
        return self.outcome if isinstance(self.outcome, edits.Conflict) else None

    def pop_error(self) -> ServiceError | None:
        """The refusal of the last save, once."""
        if isinstance(self.outcome, edits.Refused):
            error, self.outcome = self.outcome.error, None
            return error
        return None

    def take_restored(self) -> bool:
        """Whether the values came from a draft, once."""
        restored, self.restored = self.restored, False
        return restored

    def set_value(self, ctx: PageContext, name: str, value: Any) -> None:
        """Put ``value`` into a field and autosave the draft (callbacks only)."""
        self.put(name, value)
        self.autosave(ctx)

    def keep_undrawn(self, drawn: set[str]) -> None:
        """Keep the values of fields this run did not draw (a layout shows one part of
        the item at a time): Streamlit drops the state of a widget that is not drawn at
        the end of the run; set through session state, the value stays until its widget
        is back."""
        for name in field_names(self.spec):
            key = self.key(name)
            if name not in drawn and key in st.session_state:
                st.session_state[key] = st.session_state[key]

    # ---------------------------------------------------------------- actions

    def autosave(self, ctx: PageContext) -> None:
        """Keep the user's values as their private draft (never changes the item)."""
        assert ctx.token is not None
        data = {**self.values(), "__original__": self.original}
        try:
            with ctx.write() as session:
                drafts.save_draft(
                    session=session,
                    canvas_token=ctx.token,
                    owner_key=owner_key(),
                    scope=f"{self.kind}:{_sid(self.item_id)}",
                    data=data,
                    base_version=self.base_version,
                )
        except ServiceError as error:
            self.outcome = edits.Refused(error)

    def save(self, ctx: PageContext, extra: dict[str, Any] | None = None) -> None:
        """Add the new item, or save the changed fields at the version the edit started
        from. A conflict or a refusal stays on the edit for the user to settle."""
        assert ctx.token is not None
        self.outcome = None
        if not self.is_new and not self.changes() and not extra:
            _tell(Notice(self.kind, message="Nothing changed, nothing to save."))
            return
        with ctx.write() as session:
            result = edits.save_edit(
                session=session,
                canvas_token=ctx.token,
                edit=self.item_edit(),
                extra=extra,
                actor=identity.actor(ctx),
            )
        if not isinstance(result, edits.Saved):
            self.outcome = result
            return
        shown = self.values() if result.created else _row_values(self.spec, result.row)
        self.close(ctx)
        if not result.created:  # keep the saved item open, now at its new version
            saved = Edit(self.kind, self.item_id, result.row.version, shown)
            for name, value in shown.items():
                saved.put(name, value)
            saved._store()
        _tell(Notice(self.kind, "added" if result.created else "saved", shown))

    def discard(self, ctx: PageContext) -> None:
        """Throw away the user's unsaved changes (and their draft)."""
        self.close(ctx)
        _tell(Notice(self.kind, message="Your unsaved changes were discarded."))

    def delete(self, ctx: PageContext) -> None:
        """Delete the item if it is still at the version the edit started from."""
        assert ctx.token is not None and self.item_id is not None
        with ctx.write() as session:
            result = edits.delete_edit(
                session=session,
                canvas_token=ctx.token,
                edit=self.item_edit(),
                actor=identity.actor(ctx),
            )
        if not isinstance(result, edits.Saved):
            self.outcome = result
            return
        self.close(ctx)
        open_item(self.kind, None)
        _tell(Notice(self.kind, "deleted", dict(self.original)))

    def move(self, ctx: PageContext, offset: int) -> None:
        """Move the item up (-1) or down (+1) in its list."""
        assert ctx.token is not None and self.item_id is not None
        try:
            with ctx.write() as session:
                items.move_item(
                    session=session,
                    canvas_token=ctx.token,
                    kind=self.kind,
                    item_id=self.item_id,
                    offset=offset,
                    actor=identity.actor(ctx),
                )
        except ServiceError as error:
            self.outcome = edits.Refused(error)

    def resolve(self, ctx: PageContext, choice: Literal["mine", "theirs"]) -> None:
        """The user's answer to a conflict: keep their changes on top of the stored
        version (and save, or delete, again), or take the stored version."""
        conflict = self.conflict
        if conflict is None:
            return
        self.outcome = None
        if conflict.deleted:  # deleted meanwhile: offer to add it again as a new item
            values = self.values()
            self.close(ctx)
            if choice == "mine":
                again = Edit(self.kind, None, None, _defaults(self.spec, None))
                for name, value in values.items():
                    again.put(name, value)
                again._store()
            open_item(self.kind, None)
            return
        if choice == "theirs":
            self.close(ctx)
            _tell(Notice(self.kind, message="You now see their version."))
            return
        mine = edits.rebased(self.item_edit(), conflict.current, field_names(self.spec))
        self.base_version, self.original = mine.base_version, mine.original
        if conflict.deleting:
            self.delete(ctx)
            return
        for name, value in mine.values.items():
            self.put(name, value)
        self.save(ctx)

    def close(self, ctx: PageContext) -> None:
        """Forget the edit: its draft, its widgets' values and its state. The item is
        read afresh when it is opened again."""
        assert ctx.token is not None
        with ctx.write() as session:
            drafts.discard_draft(
                session=session,
                canvas_token=ctx.token,
                owner_key=owner_key(),
                scope=f"{self.kind}:{_sid(self.item_id)}",
            )
        prefix = _scope_prefix(self.kind, self.item_id)
        for key in [k for k in state.session_keys() if str(k).startswith(prefix + ".")]:
            # a folded field's popover state is listed, yet cannot be deleted
            with contextlib.suppress(KeyError):
                del st.session_state[key]
        st.session_state.pop(prefix, None)
