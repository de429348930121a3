"""Edit mode: one item, or a new one, opened in an editor that remembers its version.

The pattern every step page follows (docs/ARCHITECTURE.md, "Live sync without losing
anyone's typing"):

- what others change shows in the read-only board (:mod:`strategy_canvas.ui.board`),
  which refreshes itself inside a fragment;
- editing happens here, outside that fragment, so a refresh never touches it;
- every change of a field is autosaved as a *draft* (services.drafts), which survives
  leaving the page and reloading the browser, but never changes the item;
- Save sends only the fields the user changed, with the version the edit started from;
  if someone saved the item meanwhile, the user sees theirs and yours and chooses.

Session-state keys are all ``ed.<kind>.…``, owned by this module.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import db
from strategy_canvas.services import drafts, items
from strategy_canvas.services.errors import (
    ConflictError,
    NotFound,
    ServiceError,
    ValidationFailed,
)
from strategy_canvas.ui import fields, messages
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.setup import PageContext

NEW = "new"
_OWNER = "ed.owner"
_OWNER_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


# ------------------------------------------------------------------------ identity


def owner_key() -> str:
    """This person's key for their drafts, kept in the link (``?me=``) to survive reloads.

    Streamlit cannot write cookies, so the address bar is the only place that outlives
    the browser session; the key only names drafts and grants no rights.
    """
    key = st.session_state.get(_OWNER) or st.query_params.get("me") or ""
    if not _OWNER_RE.match(key):
        key = secrets.token_urlsafe(12)
    st.session_state[_OWNER] = key
    if st.query_params.get("me") != key:
        st.query_params["me"] = key
    return key


# ------------------------------------------------------------------- session keys


def _k(kind: str, sid: str, name: str) -> str:
    return f"ed.{kind}.{sid}.{name}"


def _sid(item_id: int | None) -> str:
    return NEW if item_id is None else str(item_id)


def open_scope(kind: str) -> str | None:
    """Which item of ``kind`` is open in the editor ("new", an id, or None)."""
    return st.session_state.get(f"ed.{kind}.open")


def open_edits() -> list[tuple[str, int, int]]:
    """(kind, item id, version the edit started from) of every open edit of an item."""
    result = []
    for kind in items.ITEM_TYPES:
        sid = open_scope(kind)
        base = st.session_state.get(_k(kind, sid, "base")) if sid else None
        if sid and sid != NEW and base is not None:
            result.append((kind, int(sid), int(base)))
    return result


def _field_names(spec: items.ItemType) -> list[str]:
    return [s.name for s in fields.editable_fields(spec)]


def _current_values(spec: items.ItemType, sid: str) -> dict[str, Any]:
    return {n: st.session_state.get(_k(spec.key, sid, n)) for n in _field_names(spec)}


def _clear_scope(kind: str, sid: str) -> None:
    prefix = f"ed.{kind}.{sid}."
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def _row_values(spec: items.ItemType, row: Any) -> dict[str, Any]:
    return {n: getattr(row, n) for n in _field_names(spec)}


def _defaults(spec: items.ItemType, preset: dict[str, Any] | None) -> dict[str, Any]:
    values = {}
    for shape in fields.editable_fields(spec):
        info = spec.create.model_fields[shape.name]
        default = None if info.is_required() else info.default
        values[shape.name] = fields.empty_value(shape, default)
    values.update(preset or {})
    return values


# --------------------------------------------------------------------- loading


def _load_scope(
    ctx: PageContext, spec: items.ItemType, item_id: int | None, preset: dict[str, Any] | None
) -> bool:
    """Fill the scope's widget keys, from session state, else the draft, else the item.

    Returns False when the item no longer exists.
    """
    kind, sid = spec.key, _sid(item_id)
    names = _field_names(spec)
    if (
        all(_k(kind, sid, n) in st.session_state for n in names)
        and _k(kind, sid, "original") in st.session_state
    ):
        return True
    assert ctx.token is not None
    with ctx.read() as session:
        draft = drafts.get_draft(
            session=session, canvas_token=ctx.token, owner_key=owner_key(), scope=f"{kind}:{sid}"
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
        return False
    if draft is not None:
        data, base = draft
        original = data.pop("__original__", None)
        if original is None:
            original = _row_values(spec, row) if row is not None else _defaults(spec, preset)
        values = {
            **(_row_values(spec, row) if row is not None else _defaults(spec, preset)),
            **{k: v for k, v in data.items() if k in names},
        }
        st.session_state[_k(kind, sid, "restored")] = True
    else:
        original = _row_values(spec, row) if row is not None else _defaults(spec, preset)
        values = dict(original)
        base = row.version if row is not None else None
    for name in names:
        st.session_state.setdefault(_k(kind, sid, name), values.get(name))
    st.session_state[_k(kind, sid, "original")] = original
    st.session_state[_k(kind, sid, "base")] = base
    return True


def _autosave(ctx: PageContext, spec: items.ItemType, sid: str) -> Callable[[], None]:
    def save() -> None:
        assert ctx.token is not None
        data = _current_values(spec, sid)
        data["__original__"] = st.session_state.get(_k(spec.key, sid, "original"), {})
        try:
            with ctx.write() as session:
                drafts.save_draft(
                    session=session,
                    canvas_token=ctx.token,
                    owner_key=owner_key(),
                    scope=f"{spec.key}:{sid}",
                    data=data,
                    base_version=st.session_state.get(_k(spec.key, sid, "base")),
                )
        except ServiceError as error:
            st.session_state[_k(spec.key, sid, "error")] = error

    return save


def _discard_draft(ctx: PageContext, kind: str, sid: str) -> None:
    assert ctx.token is not None
    with ctx.write() as session:
        drafts.discard_draft(
            session=session, canvas_token=ctx.token, owner_key=owner_key(), scope=f"{kind}:{sid}"
        )


# --------------------------------------------------------------------- actions


def _changes(spec: items.ItemType, sid: str) -> dict[str, Any]:
    original = st.session_state.get(_k(spec.key, sid, "original"), {})
    current = _current_values(spec, sid)
    return {k: v for k, v in current.items() if v != original.get(k)}


def _label_of(spec: items.ItemType, values: dict[str, Any]) -> str:
    text = str(values.get(spec.title_field) or spec.label)
    return text if len(text) <= 60 else text[:59] + "…"


def _save(
    ctx: PageContext, spec: items.ItemType, item_id: int | None, extra: dict[str, Any] | None = None
) -> None:
    assert ctx.token is not None
    kind, sid = spec.key, _sid(item_id)
    st.session_state.pop(_k(kind, sid, "error"), None)
    st.session_state.pop(_k(kind, sid, "conflict"), None)
    try:
        with ctx.write() as session:
            if item_id is None:
                data = {**_current_values(spec, sid), **(extra or {})}
                row = items.create_item(
                    session=session, canvas_token=ctx.token, kind=kind, data=data
                )
                notice = f"Added {spec.label.lower()} “{_label_of(spec, data)}”."
            else:
                changes = {**_changes(spec, sid), **(extra or {})}
                if not changes:
                    st.session_state[f"ed.{kind}.notice"] = "Nothing changed, nothing to save."
                    return
                row = items.update_item(
                    session=session,
                    canvas_token=ctx.token,
                    kind=kind,
                    item_id=item_id,
                    changes=changes,
                    expected_version=st.session_state[_k(kind, sid, "base")],
                )
                notice = f"Saved {spec.label.lower()} “{_label_of(spec, _row_values(spec, row))}”."
    except ConflictError as conflict:
        st.session_state[_k(kind, sid, "conflict")] = conflict
        return
    except ServiceError as error:
        st.session_state[_k(kind, sid, "error")] = error
        return
    _discard_draft(ctx, kind, sid)
    _clear_scope(kind, sid)
    if item_id is not None:  # keep the saved item open, now at its new version
        st.session_state[_k(kind, sid, "original")] = _row_values(spec, row)
        st.session_state[_k(kind, sid, "base")] = row.version
        for name, value in _row_values(spec, row).items():
            st.session_state[_k(kind, sid, name)] = value
    st.session_state[f"ed.{kind}.notice"] = notice


def _discard(ctx: PageContext, spec: items.ItemType, sid: str) -> None:
    _discard_draft(ctx, spec.key, sid)
    _clear_scope(spec.key, sid)
    st.session_state[f"ed.{spec.key}.notice"] = "Your unsaved changes were discarded."


def _delete(ctx: PageContext, spec: items.ItemType, item_id: int) -> None:
    assert ctx.token is not None
    sid = _sid(item_id)
    try:
        with ctx.write() as session:
            items.delete_item(
                session=session,
                canvas_token=ctx.token,
                kind=spec.key,
                item_id=item_id,
                expected_version=st.session_state[_k(spec.key, sid, "base")],
            )
    except ConflictError as conflict:
        st.session_state[_k(spec.key, sid, "conflict")] = conflict
        return
    except ServiceError as error:
        st.session_state[_k(spec.key, sid, "error")] = error
        return
    label = _label_of(spec, st.session_state.get(_k(spec.key, sid, "original"), {}))
    _discard_draft(ctx, spec.key, sid)
    _clear_scope(spec.key, sid)
    st.session_state[f"ed.{spec.key}.open"] = NEW
    st.session_state[f"ed.{spec.key}.notice"] = f"Deleted {spec.label.lower()} “{label}”."


def _move(ctx: PageContext, spec: items.ItemType, item_id: int, offset: int) -> None:
    assert ctx.token is not None
    try:
        with ctx.write() as session:
            items.move_item(
                session=session,
                canvas_token=ctx.token,
                kind=spec.key,
                item_id=item_id,
                offset=offset,
            )
    except ServiceError as error:
        st.session_state[_k(spec.key, _sid(item_id), "error")] = error


def _resolve(ctx: PageContext, spec: items.ItemType, item_id: int, choice: str) -> None:
    """The user's answer to a conflict."""
    sid = _sid(item_id)
    conflict: ConflictError = st.session_state.pop(_k(spec.key, sid, "conflict"))
    theirs = conflict.current
    if theirs is None:  # deleted meanwhile: offer to add it again as a new item
        values = _current_values(spec, sid)
        _discard_draft(ctx, spec.key, sid)
        _clear_scope(spec.key, sid)
        if choice == "mine":
            for name, value in values.items():
                st.session_state[_k(spec.key, NEW, name)] = value
            st.session_state[_k(spec.key, NEW, "original")] = _defaults(spec, None)
            st.session_state[_k(spec.key, NEW, "base")] = None
            st.session_state[f"ed.{spec.key}.open"] = NEW
        else:
            st.session_state[f"ed.{spec.key}.open"] = NEW
        return
    if choice == "theirs":
        _discard_draft(ctx, spec.key, sid)
        _clear_scope(spec.key, sid)
        st.session_state[f"ed.{spec.key}.notice"] = "You now see their version."
        return
    # "mine": keep my changes on top of their version, then save.
    mine = _changes(spec, sid)
    st.session_state[_k(spec.key, sid, "original")] = _row_values(spec, theirs)
    st.session_state[_k(spec.key, sid, "base")] = theirs.version
    if conflict.attempted.get("deleted"):
        _delete(ctx, spec, item_id)
        return
    for name, value in _row_values(spec, theirs).items():
        st.session_state[_k(spec.key, sid, name)] = mine.get(name, value)
    _save(ctx, spec, item_id)


# ------------------------------------------------------------------------- views


def _show_conflict(ctx: PageContext, spec: items.ItemType, item_id: int) -> None:
    sid = _sid(item_id)
    conflict: ConflictError = st.session_state[_k(spec.key, sid, "conflict")]
    with st.container(border=True):
        if conflict.current is None:
            st.warning(
                f"Someone deleted this {spec.label.lower()} while you were editing it. "
                "Nothing was saved.",
                icon=":material/sync_problem:",
            )
            mine_label, theirs_label = "Add mine back as a new item", "Let it go"
        else:
            st.warning(
                f"Someone else saved this {spec.label.lower()} after you opened it. "
                "Nothing was saved yet: compare and choose.",
                icon=":material/sync_problem:",
            )
            original = st.session_state.get(_k(spec.key, sid, "original"), {})
            mine = _current_values(spec, sid)
            rows = []
            for shape in fields.editable_fields(spec):
                theirs_value = getattr(conflict.current, shape.name)
                if theirs_value != mine.get(shape.name) or theirs_value != original.get(shape.name):
                    rows.append(
                        {
                            "Field": shape.label,
                            "When you opened it": _cell(original.get(shape.name)),
                            "Theirs (saved)": _cell(theirs_value),
                            "Yours (unsaved)": _cell(mine.get(shape.name)),
                        }
                    )
            if rows:
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            mine_label, theirs_label = "Keep my changes on top of theirs", "Take theirs"
        left, right = st.columns(2)
        left.button(
            mine_label,
            key=_k(spec.key, sid, "keep_mine"),
            type="primary",
            on_click=_resolve,
            args=(ctx, spec, item_id, "mine"),
        )
        right.button(
            theirs_label,
            key=_k(spec.key, sid, "take_theirs"),
            on_click=_resolve,
            args=(ctx, spec, item_id, "theirs"),
        )


def part_control(
    key: str,
    icons: dict[str, str],
    *,
    label: str,
    parts: dict[str, tuple[str, ...]],
    scope: tuple[str, int | None],
) -> str:
    """Which part of an item the editor shows (``icons``: part -> its icon), remembered
    under ``key`` for the session; the first part to begin with.

    ``parts`` names each part's fields and ``scope`` is the editor's (kind, item id): a
    save refused for a field of another part opens that part, so the field named in
    the message is on screen."""
    if st.session_state.get(key) not in icons:
        st.session_state[key] = next(iter(icons))
    error = st.session_state.get(field_key(scope[0], scope[1], "error"))
    if isinstance(error, ValidationFailed) and error.errors:
        first = error.errors[0].field
        where = next((p for p, names in parts.items() if first in names), None)
        if where is not None:
            st.session_state[key] = where
    return str(
        st.segmented_control(
            label,
            list(icons),
            key=key,
            required=True,
            format_func=lambda p: f"{icons[p]} {p}",
            label_visibility="collapsed",
            width="stretch",
        )
    )


def _keep_undrawn(kind: str, sid: str, names: list[str]) -> None:
    """Keep the values of fields this run did not draw (a layout shows one part of the
    item at a time): Streamlit drops the state of a widget that is not drawn at the end
    of the run; set through session state, the value stays until its widget is back."""
    for name in names:
        key = _k(kind, sid, name)
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@functools.lru_cache(maxsize=512)
def _titles(database_url: str, canvas_token: str, revision: int, kind: str) -> dict[int, str]:
    """id -> title of the items of ``kind`` at ``revision`` of the canvas (cached by it)."""
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return items.choices(session=session, canvas_token=canvas_token, kind=kind)


def titles(ctx: PageContext, kind: str) -> dict[int, str]:
    """The pickers' id -> title of ``kind``, as of this run's change counter."""
    assert ctx.token is not None
    return dict(_titles(ctx.settings.database_url, ctx.token, ctx.revision, kind))


def _link_choices(
    ctx: PageContext, spec: items.ItemType, item_id: int | None
) -> dict[str, dict[int, str]]:
    result = {}
    for name, target in spec.links.items():
        found = titles(ctx, target)
        if target == spec.key and item_id is not None:
            found.pop(item_id, None)
        result[name] = found
    return result


def editor(
    ctx: PageContext,
    kind: str,
    item_id: int | None,
    *,
    preset: dict[str, Any] | None = None,
    only: list[str] | None = None,
    extra: Callable[[], dict[str, Any] | None] | None = None,
    layout: Callable[[Callable[[str], Any]], None] | None = None,
    allow_delete: bool = True,
    link_subsets: dict[str, set[int]] | None = None,
) -> None:
    """The editor of one item (``item_id``) or of a new one (None).

    ``preset`` fills a new item's fields; ``only`` limits the fields shown; ``extra`` draws
    more widgets and returns more data for the save (the sketch upload); ``layout``, if
    given, arranges the fields itself: it is called with ``draw(field_name)``, and may
    draw only some of them (one part of the item at a time): the others keep their
    values, and Save sends them too. ``link_subsets`` narrows a link field's choices to
    some of the target kind's items (the item's current link always stays a choice).
    """
    spec = items.item_type(kind)
    sid = _sid(item_id)
    if not _load_scope(ctx, spec, item_id, preset):
        st.info(
            f"This {spec.label.lower()} no longer exists; someone deleted it.",
            icon=":material/search_off:",
        )
        return
    if st.session_state.pop(_k(kind, sid, "restored"), False):
        st.info("Your unsaved draft was restored.", icon=":material/restore:")
    if _k(kind, sid, "conflict") in st.session_state and item_id is not None:
        _show_conflict(ctx, spec, item_id)
    links = _link_choices(ctx, spec, item_id)
    for name, allowed in (link_subsets or {}).items():
        current = st.session_state.get(_k(kind, sid, name))
        links[name] = {i: t for i, t in links[name].items() if i in allowed or i == current}
    autosave = _autosave(ctx, spec, sid)
    shapes = {s.name: s for s in fields.editable_fields(spec) if only is None or s.name in only}

    drawn: set[str] = set()

    def draw(name: str) -> Any:
        drawn.add(name)
        return fields.draw(
            shapes[name],
            _k(kind, sid, name),
            link_choices=links.get(name, {}),
            on_change=autosave,
        )

    if layout is not None:
        layout(draw)
    else:
        for name in shapes:
            draw(name)
    _keep_undrawn(kind, sid, [n for n in _field_names(spec) if n not in drawn])
    more = extra() if extra is not None else None
    error = st.session_state.pop(_k(kind, sid, "error"), None)
    if error is not None:
        messages.show_error(error)
    dirty = item_id is None or bool(_changes(spec, sid))
    movable = item_id is not None and kind != "vision"
    buttons = st.container(horizontal=True, gap="small")  # one element, not a column each
    buttons.button(
        "Add" if item_id is None else "Save",
        key=_k(kind, sid, "save"),
        type="primary",
        icon=":material/save:",
        on_click=_save,
        args=(ctx, spec, item_id, more),
        width="stretch",
    )
    buttons.button(
        "Discard",
        key=_k(kind, sid, "discard"),
        help="Throw away your unsaved changes",
        disabled=not dirty,
        on_click=_discard,
        args=(ctx, spec, sid),
        width="stretch",
    )
    if movable:
        buttons.button(
            "",
            key=_k(kind, sid, "up"),
            icon=":material/arrow_upward:",
            help="Move up in the list",
            on_click=_move,
            args=(ctx, spec, item_id, -1),
        )
        buttons.button(
            "",
            key=_k(kind, sid, "down"),
            icon=":material/arrow_downward:",
            help="Move down in the list",
            on_click=_move,
            args=(ctx, spec, item_id, 1),
        )
    if item_id is not None and dirty:
        st.caption("Unsaved changes — kept as a draft until you save or discard them.")
    if item_id is not None and allow_delete:
        with st.popover("Delete…", icon=":material/delete:"):
            st.markdown(
                f"Delete {spec.label.lower()} "
                f"“{md(_label_of(spec, _current_values(spec, sid)))}”? "
                "This cannot be undone."
            )
            st.button(
                "Delete for good",
                key=_k(kind, sid, "delete"),
                type="primary",
                on_click=_delete,
                args=(ctx, spec, item_id),
            )


def field_key(kind: str, item_id: int | None, name: str) -> str:
    """The session-state key of a field's widget in the editor of ``item_id``."""
    return _k(kind, _sid(item_id), name)


def set_field(ctx: PageContext, kind: str, item_id: int | None, name: str, value: Any) -> None:
    """Put ``value`` into a field of the open editor and autosave the draft (callbacks only)."""
    st.session_state[field_key(kind, item_id, name)] = value
    _autosave(ctx, items.item_type(kind), _sid(item_id))()


def notice(kind: str) -> None:
    """Show (once) the confirmation of the last save, add or delete of ``kind``."""
    text = st.session_state.pop(f"ed.{kind}.notice", None)
    if text:
        st.success(md(text), icon=":material/check_circle:")


def picker(
    ctx: PageContext, kind: str, *, label: str | None = None, names: dict[int, str] | None = None
) -> int | str | None:
    """Choose the item of ``kind`` to edit, or a new one. Returns an id, None (new) or ""
    (nothing open). Reopens the item this person has a draft for after a reload.

    ``names`` (id -> name) replaces the items' titles in the list, for kinds whose title
    field does not name them (a dependency, a criterion score)."""
    assert ctx.token is not None
    spec = items.item_type(kind)
    shown = names if names is not None else titles(ctx, kind)
    if open_scope(kind) is None:
        with ctx.read() as session:
            scopes = drafts.list_drafts(
                session=session, canvas_token=ctx.token, owner_key=owner_key()
            )
        mine = [s.split(":", 1)[1] for s in scopes if s.startswith(f"{kind}:")]
        st.session_state[f"ed.{kind}.open"] = mine[-1] if mine else NEW
    options = [NEW, *[str(i) for i in shown]]
    if open_scope(kind) not in options:
        st.session_state[f"ed.{kind}.open"] = NEW
    st.selectbox(
        label or f"Edit a {spec.label.lower()}",
        options,
        key=f"ed.{kind}.open",
        format_func=lambda o: (
            f"➕ New {spec.label.lower()}" if o == NEW else shown.get(int(o), f"#{o}")
        ),
    )
    chosen = open_scope(kind)
    return None if chosen in (None, NEW) else int(chosen)


def edit_section(
    ctx: PageContext,
    kind: str,
    *,
    preset: dict[str, Any] | None = None,
    extra: Callable[[], dict[str, Any] | None] | None = None,
) -> None:
    """Picker plus editor for ``kind``: the usual way a step page edits its items."""
    notice(kind)
    item_id = picker(ctx, kind)
    editor(ctx, kind, item_id if isinstance(item_id, int) else None, preset=preset, extra=extra)
