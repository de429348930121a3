"""The item editor: a picker, the fields of one item (or a new one), Save, Discard,
Delete and the conflict choice, drawn from the item's :class:`~strategy_canvas.ui.editing.Edit`.

What editing keeps and does (open, autosave, save, resolve a conflict) is
:mod:`strategy_canvas.ui.editing`; this module only draws it. The editor lives outside
the live board's fragment, so a refresh never touches it (docs/ARCHITECTURE.md, "Live
sync without losing anyone's typing").
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import streamlit as st

from strategy_canvas.services import drafts, edits, items
from strategy_canvas.services.errors import ValidationFailed
from strategy_canvas.ui import chart_view, editing, fields, item_history, messages
from strategy_canvas.ui.editing import NEW, Edit
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

__all__ = ["NEW", "Edit", "edit_section", "editor", "notice", "part_control", "picker", "titles"]


# ------------------------------------------------------------------------- views


def _show_conflict(ctx: PageContext, edit: Edit, conflict: edits.Conflict) -> None:
    label = edit.spec.noun
    with st.container(border=True):
        if conflict.deleted:
            st.warning(
                f"Someone deleted this {label} while you were editing it. Nothing was saved.",
                icon=":material/sync_problem:",
            )
            mine_label, theirs_label = "Add mine back as a new item", "Let it go"
        else:
            st.warning(
                f"Someone else saved this {label} after you opened it. "
                "Nothing was saved yet: compare and choose.",
                icon=":material/sync_problem:",
            )
            # Markdown, not a table: in the editor's column a table was a 312-pixel box
            # whose long values could not be read.
            lines = conflict_lines(edit, conflict)
            if lines:
                st.markdown("\n".join(lines))
            mine_label, theirs_label = "Keep my changes on top of theirs", "Take theirs"
        left, right = st.columns(2)
        left.button(
            mine_label,
            key=edit.key("keep_mine"),
            type="primary",
            on_click=edit.resolve,
            args=(ctx, "mine"),
        )
        right.button(
            theirs_label,
            key=edit.key("take_theirs"),
            on_click=edit.resolve,
            args=(ctx, "theirs"),
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
    edit = Edit.get(*scope)
    refused = edit.outcome if edit is not None else None
    if isinstance(refused, edits.Refused) and isinstance(refused.error, ValidationFailed):
        first = refused.error.errors[0].field if refused.error.errors else None
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


#: how much of a long value a conflict's comparison shows
_SHOWN_CHARS = 160


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    text = text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
    return f"“{md(text)}”"


def conflict_lines(edit: Edit, conflict: edits.Conflict) -> list[str]:
    """Per field that differs: theirs (saved), yours (unsaved) and the value when you
    opened it, as markdown list lines (user text escaped, long text cut)."""
    mine = edit.values()
    lines = []
    for shape in fields.editable_fields(edit.spec):
        theirs = fields.widget_value(shape, getattr(conflict.current, shape.name))
        before = fields.widget_value(shape, edit.original.get(shape.name))
        yours = mine.get(shape.name)
        if theirs != yours or theirs != before:
            lines.append(
                f"- **{md(shape.label)}** — theirs (saved): {_cell(theirs)} · yours "
                f"(unsaved): {_cell(yours)} · :gray[when you opened it: {_cell(before)}]"
            )
    return lines


def titles(ctx: PageContext, kind: str) -> dict[int, str]:
    """The pickers' id -> title of ``kind``, as of this run's change counter."""
    return dict(ctx.snapshot().titles(kind))


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
    extra: Callable[[Edit], dict[str, Any] | None] | None = None,
    layout: Callable[[Callable[[str], Any]], None] | None = None,
    allow_delete: bool = True,
    link_subsets: Mapping[str, AbstractSet[int]] | None = None,
    describe: Callable[[dict[str, Any]], str] | None = None,
    follow: dict[str, Callable[[Edit], None]] | None = None,
) -> Edit | None:
    """The editor of one item (``item_id``) or of a new one (None); returns its edit
    (None when the item no longer exists).

    ``preset`` fills a new item's fields; ``only`` limits the fields shown;
    ``extra(edit)`` draws more widgets and returns more data for the save (the sketch
    upload); ``layout``, if given, arranges the fields itself: it is called with
    ``draw(field_name)``, and may draw only some of them (one part of the item at a
    time): the others keep their values, and Save sends them too.
    ``link_subsets`` narrows a link field's choices to some of the target kind's items
    (the item's current link always stays a choice). ``describe(values)`` names an
    item whose title field does not (a dependency: "“A” depends on “B”"), as markdown.
    ``follow`` (field -> function of the edit) runs when that field changes, before
    the draft is kept: a roadmap item takes its feature's title while it has none.
    """
    spec = items.item_type(kind)
    edit = Edit.open(ctx, kind, item_id, preset)
    if edit is None:
        st.info(
            f"This {spec.noun} no longer exists; someone deleted it.",
            icon=":material/search_off:",
        )
        return None
    if edit.take_restored():
        st.info("Your unsaved draft was restored.", icon=":material/restore:")
    if edit.conflict is not None and item_id is not None:
        _show_conflict(ctx, edit, edit.conflict)
    links = _link_choices(ctx, spec, item_id)
    for name, allowed in (link_subsets or {}).items():
        current = edit.value(name)
        links[name] = {i: t for i, t in links[name].items() if i in allowed or i == current}
    shapes = {s.name: s for s in fields.editable_fields(spec) if only is None or s.name in only}

    drawn: set[str] = set()
    autosave = functools.partial(edit.autosave, ctx)

    def changed(name: str) -> Callable[[], None]:
        if follow is None or name not in follow:
            return autosave
        then = follow[name]

        def run() -> None:
            then(edit)
            autosave()

        return run

    def draw(name: str) -> Any:
        drawn.add(name)
        return fields.draw(
            shapes[name],
            edit.key(name),
            link_choices=links.get(name, {}),
            on_change=changed(name),
        )

    if layout is not None:
        layout(draw)
    else:
        for name in shapes:
            draw(name)
    edit.keep_undrawn(drawn)
    more = extra(edit) if extra is not None else None
    error = edit.pop_error()
    if error is not None:
        messages.show_error(error)
    dirty = item_id is None or bool(edit.changes())
    _buttons(ctx, edit, more, dirty=dirty, movable=item_id is not None and kind != "vision")
    if item_id is not None and dirty:
        st.caption("Unsaved changes — kept as a draft until you save or discard them.")
    if item_id is not None and allow_delete:
        with st.popover("Delete…", icon=":material/delete:"):
            values = edit.values()
            name = md(describe(values) if describe is not None else editing.label_of(spec, values))
            what = (
                f"{spec.noun} {name}"
                if describe is not None
                else (f"{spec.noun} “{name}”" if name else f"this {spec.noun}")
            )
            st.markdown(
                f"Delete {what}? It goes to the canvas's trash: undo it from the "
                "sidebar, or restore it with its links from History."
            )
            st.button(
                "Delete",
                key=edit.key("delete"),
                type="primary",
                on_click=edit.delete,
                args=(ctx,),
            )
    if item_id is not None:
        item_history.show(ctx, kind, item_id)
    return edit


def _buttons(
    ctx: PageContext, edit: Edit, more: dict[str, Any] | None, *, dirty: bool, movable: bool
) -> None:
    buttons = st.container(horizontal=True, gap="small")  # one element, not a column each
    buttons.button(
        "Add" if edit.is_new else "Save",
        key=edit.key("save"),
        type="primary",
        icon=":material/save:",
        on_click=edit.save,
        args=(ctx, more),
        width="stretch",
    )
    buttons.button(
        "Discard",
        key=edit.key("discard"),
        help="Throw away your unsaved changes",
        disabled=not dirty,
        on_click=edit.discard,
        args=(ctx,),
        width="stretch",
    )
    if movable:
        for offset, icon, help in (
            (-1, ":material/arrow_upward:", "Move up in the list"),
            (1, ":material/arrow_downward:", "Move down in the list"),
        ):
            buttons.button(
                "",
                key=edit.key("up" if offset < 0 else "down"),
                icon=icon,
                help=help,
                on_click=edit.move,
                args=(ctx, offset),
            )


def notice(kind: str, describe: Callable[[dict[str, Any]], str] | None = None) -> None:
    """Show (once) the confirmation of the last save, add or delete of ``kind``; for
    kinds whose title does not name them, ``describe(values)`` names the item."""
    shown = editing.pop_notice(kind)
    if shown is not None:
        st.success(md(shown.text(describe)), icon=":material/check_circle:")


def _choices(shown: Mapping[int, str]) -> tuple[tuple[str, ...], dict[int, str]]:
    """A picker's options (new, then each id) and each item's name in it: a selectbox
    tells its options apart by their names, so two items of one name get their number
    added."""
    counts = Counter(shown.values())
    unique = {i: f"{t} (#{i})" if counts[t] > 1 else t for i, t in shown.items()}
    return (NEW, *[str(i) for i in shown]), unique


#: a picker of more items than this opens from a button, as a long link field does
#: (:data:`fields.LONG_LIST`)
LONG_LIST = fields.LONG_LIST


def picker(
    ctx: PageContext, kind: str, *, label: str | None = None, names: dict[int, str] | None = None
) -> int | str | None:
    """Choose the item of ``kind`` to edit, or a new one. Returns an id, None (new) or ""
    (nothing open). Reopens the item this person has a draft for after a reload.

    A list of more than :data:`LONG_LIST` items is drawn in a popover whose button
    names the open item, only while it is open; picking closes it.

    ``names`` (id -> name) replaces the items' titles in the list, for kinds whose title
    field does not name them (a dependency, a criterion score)."""
    assert ctx.token is not None
    spec = items.item_type(kind)
    if names is None:  # the canvas's titles: the choices are the same until it changes
        options, unique = chart_view.cached(
            ctx.snapshot(), "picker", lambda: _choices(ctx.snapshot().titles(kind)), (kind,)
        )
    else:
        options, unique = _choices(names)
    if editing.opened(kind) is None:
        with ctx.read() as session:
            scopes = drafts.list_drafts(
                session=session, canvas_token=ctx.token, owner_key=editing.owner_key()
            )
        mine = [s.split(":", 1)[1] for s in scopes if s.startswith(f"{kind}:")]
        editing.open_item(kind, int(mine[-1]) if mine and mine[-1] != NEW else None)
    if editing.opened(kind) not in options:
        editing.open_item(kind, None)

    def name(option: str) -> str:
        if option == NEW:
            return f"➕ New {spec.noun}"
        return unique.get(int(option), f"#{option}") if option.isdigit() else option

    current = name(str(editing.opened(kind)))
    label = label or f"Edit {spec.a_noun}"
    key = editing.picker_key(kind)
    if len(options) - 1 > LONG_LIST:
        folded = st.popover(
            f"{md(label)}: {md(current)}",
            icon=":material/list:",
            help=f"Choose another of the {len(options) - 1:,} to edit, or a new one.",
            key=editing.long_picker_key(kind),
            on_change="rerun",
            width="stretch",
        )
        if not folded.open:  # the list is not drawn: the choice is kept for it
            st.session_state[key] = editing.opened(kind)
            chosen = editing.opened(kind)
            return None if chosen in (None, NEW) else int(chosen)
        editing.keep_choice(kind, current)
        folded.selectbox(
            label, options, key=key, format_func=name, on_change=editing.fold_picker, args=(kind,)
        )
    else:
        editing.keep_choice(kind, current)
        st.selectbox(label, options, key=key, format_func=name)
    chosen = editing.opened(kind)
    return None if chosen in (None, NEW) else int(chosen)


def edit_section(
    ctx: PageContext,
    kind: str,
    *,
    preset: dict[str, Any] | None = None,
    extra: Callable[[Edit], dict[str, Any] | None] | None = None,
) -> None:
    """Picker plus editor for ``kind``: the usual way a step page edits its items."""
    notice(kind)
    item_id = picker(ctx, kind)
    editor(ctx, kind, item_id if isinstance(item_id, int) else None, preset=preset, extra=extra)
