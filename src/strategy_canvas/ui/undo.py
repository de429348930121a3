"""Undo, in one click: the sidebar offers to take back this person's last change.

The facilitator's promote, a PM's delete, a whole grid of scores saved at once: each is
one change (:mod:`strategy_canvas.services.undo`). When someone else saved the item
after it, nothing is undone yet: a dialog shows theirs next to what the undo would
write, and the person chooses — keep theirs, or undo anyway over the version they see.

Session-state keys are ``undo.…``, owned by this module.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import db
from strategy_canvas.services import history, undo
from strategy_canvas.services.errors import ServiceError
from strategy_canvas.ui import editing, identity
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

_CLASH = "undo.clash"  # the UndoConflict waiting for the person's choice, and the change
_DONE = "undo.done"  # what the last undo did, to say once
LABEL_WIDTH = 34


@functools.lru_cache(maxsize=256)
def _last_change(
    database_url: str, token: str, revision: int, actor_key: str
) -> undo.Change | None:
    del revision  # part of the key
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return undo.last_change(session=session, canvas_token=token, actor_key=actor_key)


def last_change(ctx: PageContext) -> undo.Change | None:
    """This person's last change on the open canvas that undo would take back."""
    assert ctx.token is not None
    who = identity.actor(ctx)
    return _last_change(ctx.settings.database_url, ctx.token, ctx.revision, who.key)


def _undo(ctx: PageContext, change: undo.Change, overwrite: dict[int, int] | None) -> None:
    assert ctx.token is not None
    st.session_state.pop(_CLASH, None)
    try:
        with ctx.write() as session:
            said = undo.undo(
                session=session,
                canvas_token=ctx.token,
                actor=identity.actor(ctx),
                entry_ids=change.entry_ids,
                overwrite=overwrite,
            )
    except undo.UndoConflict as conflict:
        st.session_state[_CLASH] = (conflict, change)
        return
    except ServiceError as error:
        st.session_state[_DONE] = ("warning", str(error))
        return
    ctx.changed()
    for kind, item_id in change.items:  # an editor open on it, with nothing typed, reloads
        edit = editing.Edit.get(kind, item_id)
        if edit is not None and not edit.changes():
            edit.close(ctx)
    st.session_state[_DONE] = ("success", f"Undone: {said}.")


def _keep_theirs() -> None:
    st.session_state.pop(_CLASH, None)
    st.session_state[_DONE] = ("info", "Nothing was undone; their version stays.")


def _clash_rows(conflict: undo.UndoConflict) -> pd.DataFrame:
    rows = []
    for clash in conflict.clashes:
        if clash.current is None:
            rows.append(
                {
                    "Item": clash.title,
                    "Field": "Order",
                    "Your change": "your order",
                    "Theirs (saved since)": "their order",
                    "After the undo": "the order before your change",
                }
            )
            continue
        for name, (mine, earlier) in clash.fields.items():
            theirs: Any = clash.current.get(name)
            rows.append(
                {
                    "Item": clash.title,
                    "Field": history.field_label_of(clash.kind, name),
                    "Your change": history.show_value(clash.kind, name, mine, {}),
                    "Theirs (saved since)": history.show_value(clash.kind, name, theirs, {}),
                    "After the undo": history.show_value(clash.kind, name, earlier, {}),
                }
            )
        if not clash.fields:
            rows.append(
                {
                    "Item": clash.title,
                    "Field": "—",
                    "Your change": "added or restored it",
                    "Theirs (saved since)": f"edited it (version {clash.version})",
                    "After the undo": "it goes to the trash",
                }
            )
    return pd.DataFrame(rows)


@st.dialog("Someone changed it after you", width="large")
def _choose(ctx: PageContext) -> None:
    conflict, change = st.session_state[_CLASH]
    st.markdown(
        f"You are undoing: **{md(change.summary)}**. Since then someone else saved it, "
        "so nothing has been undone yet. Undoing now would overwrite their version."
    )
    st.dataframe(_clash_rows(conflict), hide_index=True, width="stretch")
    seen = {c.entry_id: c.version for c in conflict.clashes}
    left, right = st.columns(2)
    if left.button("Undo anyway, over theirs", type="primary", key="undo.anyway"):
        _undo(ctx, change, seen)
        st.rerun()
    if right.button("Keep theirs", key="undo.keep"):
        _keep_theirs()
        st.rerun()


def sidebar(ctx: PageContext) -> None:
    """The undo button (when this person has a change to take back) and what it did."""
    if ctx.canvas is None:
        return
    done = st.session_state.pop(_DONE, None)
    if done is not None:
        kind, text = done
        st.toast(md(text), icon=":material/undo:" if kind == "success" else ":material/info:")
    if _CLASH in st.session_state:
        _choose(ctx)
    change = last_change(ctx)
    if change is None:
        return
    label = f"Undo: {change.summary}"
    short = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
    st.sidebar.button(
        short,
        key="undo.button",
        icon=":material/undo:",
        help=f"{label} (your last change)",
        on_click=_undo,
        args=(ctx, change, None),
        width="stretch",
    )
