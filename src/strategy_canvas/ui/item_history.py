"""An item's own history, under its editor: who changed what in it, and when.

Read once per change of the canvas for every session (cached by its change counter),
the newest :data:`LIMIT` entries, with a link to the whole feed filtered to the item.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import db
from strategy_canvas.services import history
from strategy_canvas.ui import layout
from strategy_canvas.ui.text import md
from strategy_canvas.ui.timefmt import relative_time

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

LIMIT = 8
#: session-state keys owned by this module: whether an item's history is unfolded
OPEN_KEY = "item_history.open"


@functools.lru_cache(maxsize=256)
def _entries(
    database_url: str, token: str, revision: int, kind: str, item_id: int
) -> list[history.Entry]:
    del revision  # part of the key
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return history.item_history(
            session=session, canvas_token=token, kind=kind, item_id=item_id, limit=LIMIT
        )


def lines(entries: list[history.Entry]) -> str:
    """The entries as one markdown list (user text escaped)."""
    out = []
    for entry in entries:
        out.append(
            f"- **{md(entry.actor_name)}** {md(entry.sentence)} :gray[{relative_time(entry.at)}]"
        )
        out += [f"    - {md(c.label)}: {md(c.before)} → {md(c.after)}" for c in entry.changes]
    return "\n".join(out)


def show(ctx: PageContext, kind: str, item_id: int) -> None:
    """The item's history, folded under its editor: read and drawn only when unfolded
    (after every save, it would otherwise be read again and sent for nobody)."""
    assert ctx.token is not None
    panel = layout.fold(
        "History of this item", key=f"{OPEN_KEY}.{kind}.{item_id}", icon=":material/history:"
    )
    if panel is None:
        return
    entries = _entries(ctx.settings.database_url, ctx.token, ctx.revision, kind, item_id)
    with panel:
        if not entries:
            st.caption("No changes recorded yet (the history starts when it was added).")
            return
        st.markdown(lines(entries))
        if len(entries) == LIMIT:
            st.caption("The newest changes; the History screen has them all.")
