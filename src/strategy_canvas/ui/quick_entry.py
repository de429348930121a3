"""Entering many items at once, beside the one-at-a-time editor of a step page.

- **Add many**: paste a list, one per line, or a block copied from a spreadsheet; every
  row is checked and all are added, or none (:func:`strategy_canvas.services.bulk.add_many`).
  What is pasted is kept as the person's draft until it is added, so it survives
  leaving the page and reloading.
- **From features** (roadmap items): the features not on the roadmap yet, ticked, become
  roadmap items named after them and linked to them, in one click.

Pages hold no logic: the services read the paste, find the links by name and validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from strategy_canvas.services import bulk, drafts, items
from strategy_canvas.services.errors import ServiceError
from strategy_canvas.ui import editing, identity, messages
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

#: how an item type is entered: one at a time, many at once, or (roadmap) from features
MODES = {
    "one": ":material/edit: One at a time",
    "many": ":material/playlist_add: Add many",
    "features": ":material/add_road: From features",
}
#: session-state keys owned by this module
_TEXT = "bulk.{kind}.text"
_RESULT = "bulk.{kind}.result"
_LOADED = "bulk.{kind}.loaded"
_PICKED = "bulk.roadmap.features"
_LANE = "bulk.roadmap.lane"
_OWNER = "bulk.roadmap.owner"
#: how many added items a confirmation names before it counts the rest
NAMED = 3


def modes(kind: str) -> list[str]:
    """The ways items of ``kind`` can be entered."""
    if kind == "vision":
        return ["one"]
    if kind == "roadmap_item":
        return ["one", "features", "many"]
    return ["one", "many"]


def _scope(kind: str) -> str:
    return f"bulk:{kind}"


def _restore(ctx: PageContext, kind: str) -> None:
    """Put the person's drafted paste back into the text area, once per session."""
    loaded = _LOADED.format(kind=kind)
    if st.session_state.get(loaded):
        return
    st.session_state[loaded] = True
    assert ctx.token is not None
    with ctx.read() as session:
        draft = drafts.get_draft(
            session=session,
            canvas_token=ctx.token,
            owner_key=editing.owner_key(),
            scope=_scope(kind),
        )
    if draft is not None and str(draft[0].get("text") or "").strip():
        st.session_state[_TEXT.format(kind=kind)] = str(draft[0]["text"])


def _keep_draft(ctx: PageContext, kind: str) -> None:
    """The paste changed: keep it as the person's draft (never an item yet)."""
    assert ctx.token is not None
    text = str(st.session_state.get(_TEXT.format(kind=kind)) or "")
    with ctx.write() as session:
        if text.strip():
            drafts.save_draft(
                session=session,
                canvas_token=ctx.token,
                owner_key=editing.owner_key(),
                scope=_scope(kind),
                data={"text": text},
                base_version=None,
            )
        else:
            drafts.discard_draft(
                session=session,
                canvas_token=ctx.token,
                owner_key=editing.owner_key(),
                scope=_scope(kind),
            )


def _added_text(spec: items.ItemType, rows: list[Any]) -> str:
    names = [items.item_title(r) for r in rows[:NAMED]]
    more = f" and {len(rows) - NAMED:,} more" if len(rows) > NAMED else ""
    noun = spec.noun if len(rows) == 1 else spec.plural.lower()
    return f"Added {len(rows):,} {noun}: " + ", ".join(f"“{n}”" for n in names) + more + "."


def _add(ctx: PageContext, kind: str) -> None:
    """Add what was pasted, all or nothing; on success the paste and its draft go."""
    assert ctx.token is not None
    key = _TEXT.format(kind=kind)
    spec = items.item_type(kind)
    try:
        with ctx.write() as session:
            added = bulk.add_many(
                session=session,
                canvas_token=ctx.token,
                kind=kind,
                text=str(st.session_state.get(key) or ""),
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        st.session_state[_RESULT.format(kind=kind)] = error
        return
    st.session_state[key] = ""
    _keep_draft(ctx, kind)  # an empty paste: the draft goes
    st.session_state[_RESULT.format(kind=kind)] = _added_text(spec, added)
    ctx.changed()


def _columns_text(kind: str) -> str:
    spec = items.item_type(kind)
    names = [bulk.column_label(kind, f) for f in bulk.columns(kind)]
    links = [bulk.column_label(kind, f) for f in bulk.columns(kind) if f in spec.links]
    text = "Columns, in this order (or name them in a first row): " + " · ".join(names) + "."
    if links:
        text += f" {', '.join(links)}: by name, as on the board."
    return text


def _example(kind: str) -> str:
    spec = items.item_type(kind)
    first = bulk.column_label(kind, bulk.columns(kind)[0])
    return f"One {spec.noun} per line, e.g.\n{first} of the first\n{first} of the second"


def add_many(ctx: PageContext, kind: str) -> None:
    """The paste box of ``kind``: a list or a spreadsheet block, added all at once."""
    spec = items.item_type(kind)
    _restore(ctx, kind)
    result = st.session_state.pop(_RESULT.format(kind=kind), None)
    if isinstance(result, str):
        st.success(md(result), icon=":material/check_circle:")
    st.caption(md(_columns_text(kind)))
    st.text_area(
        f"{spec.plural}: paste a list or a block from a spreadsheet",
        key=_TEXT.format(kind=kind),
        height=180,
        placeholder=_example(kind),
        on_change=_keep_draft,
        args=(ctx, kind),
    )
    if isinstance(result, ServiceError):
        messages.show_error(result)
    st.button(
        f"Add these {spec.plural.lower()}",
        key=f"bulk.{kind}.add",
        type="primary",
        icon=":material/playlist_add:",
        on_click=_add,
        args=(ctx, kind),
        width="stretch",
    )


# -------------------------------------------------------------- roadmap from features


def _put_on_roadmap(ctx: PageContext, names: dict[int, str]) -> None:
    assert ctx.token is not None
    picked = [i for i in st.session_state.get(_PICKED) or [] if i in names]
    try:
        with ctx.write() as session:
            added = bulk.roadmap_from_features(
                session=session,
                canvas_token=ctx.token,
                feature_ids=picked,
                lane=str(st.session_state.get(_LANE) or "next"),
                owner=str(st.session_state.get(_OWNER) or ""),
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        st.session_state[_RESULT.format(kind="roadmap_item")] = error
        return
    st.session_state.pop(_PICKED, None)
    st.session_state[_RESULT.format(kind="roadmap_item")] = _added_text(
        items.item_type("roadmap_item"), added
    )
    ctx.changed()


#: the roadmap's lanes as the editor names them
LANES = {"now": "Now", "next": "Next", "later": "Later"}


def from_features(ctx: PageContext) -> None:
    """Roadmap items made from the features on no roadmap item yet (best first by
    RICE), named after them and linked to them."""
    assert ctx.token is not None
    with ctx.read() as session:
        unplanned = bulk.unplanned_features(session=session, canvas_token=ctx.token)
    lanes = LANES
    result = st.session_state.pop(_RESULT.format(kind="roadmap_item"), None)
    if isinstance(result, str):
        st.success(md(result), icon=":material/check_circle:")
    if not unplanned:
        st.info(
            "Every feature is on the roadmap already (dropped and won't-have ones are left "
            "out). Add features in step 3, or add a roadmap item one at a time.",
            icon=":material/task_alt:",
        )
        return
    if st.session_state.get(_PICKED) is None or not set(st.session_state[_PICKED]) <= set(
        unplanned
    ):
        st.session_state[_PICKED] = list(unplanned)
    st.multiselect(
        "Features not on the roadmap yet",
        list(unplanned),
        key=_PICKED,
        format_func=lambda i: unplanned.get(i, f"#{i}"),
        help="Each becomes a roadmap item named after the feature and linked to it.",
    )
    left, right = st.columns(2)
    with left:
        st.segmented_control(
            "Lane",
            list(lanes),
            key=_LANE,
            default="next",
            required=True,
            format_func=lanes.__getitem__,
        )
    with right:
        st.text_input("Owner", key=_OWNER, max_chars=120, placeholder="Optional")
    if isinstance(result, ServiceError):
        messages.show_error(result)
    count = len(st.session_state.get(_PICKED) or [])
    st.button(
        f"Put {count} feature{'s' if count != 1 else ''} on the roadmap",
        key="bulk.roadmap.add",
        type="primary",
        icon=":material/add_road:",
        disabled=count == 0,
        on_click=_put_on_roadmap,
        args=(ctx, unplanned),
        width="stretch",
    )
