"""The History screen: who changed what (the feed, live), what changed between versions
(in the product's words), the named versions, and the trash.

Four views, one drawn per run (``?view=`` opens one: ``feed``, ``changes``,
``versions``, ``trash``; ``?since=NAME`` opens the changes since that version):

- **Feed**: the canvas's history, newest first, filtered by step, person and item,
  fifty entries a page; it follows every change by itself (a fragment, like the
  boards). A deleted item's entry offers to restore it.
- **What changed**: between two versions, or a version and now (services/changes.py).
- **Versions**: save one by name; see what changed since one; restore one as a new
  canvas (never over this one).
- **Trash**: every deleted item, to restore with its links.

Everything that is read is cached by what it depends on: the feed by the canvas's
change counter, a diff by the newest history entry (so a workshop's notes, which bump
the counter but change no item, do not compute it again).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import streamlit as st

from strategy_canvas import db
from strategy_canvas.export import json_io
from strategy_canvas.services import canvases, changes, history, trash, versions
from strategy_canvas.services.errors import ServiceError
from strategy_canvas.services.progress import STEP_TITLES
from strategy_canvas.ui import board, identity, links, messages, push, steps
from strategy_canvas.ui import since as since_cache
from strategy_canvas.ui.text import md
from strategy_canvas.ui.timefmt import relative_time

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

TITLE = "History"
PAGE = steps.HISTORY_PAGE
VIEWS = {
    "feed": ":material/history: Feed",
    "changes": ":material/difference: What changed",
    "versions": ":material/bookmarks: Versions",
    "trash": ":material/delete: Trash",
}
VIEW_KEY = "hist.view"
STEP_KEY = "hist.step"
PERSON_KEY = "hist.person"
ITEM_KEY = "hist.item"
PAGE_KEY = "hist.page"
SINCE_KEY = "hist.since"
UNTIL_KEY = "hist.until"
NOTICE_KEY = "hist.notice"
NOW = "now"
ALL = ""


def link(ctx: PageContext, *, view: str = "feed", since: str | None = None) -> dict[str, str]:
    """Query params that open the History screen at ``view`` (and ``since`` a version)."""
    params = {**ctx.link_params, "view": view}
    if since:
        params["since"] = since
    return params


# ------------------------------------------------------------------------ cached reads


def _engine(database_url: str) -> Any:
    return db.get_engine(database_url)


@functools.lru_cache(maxsize=64)
def _feed(
    database_url: str,
    token: str,
    revision: int,
    step: int | None,
    person: str,
    item: tuple[str, int] | None,
    page: int,
) -> history.ActionPage:
    del revision  # part of the key
    with db.session_scope(_engine(database_url), readonly=True) as session:
        return history.action_feed(
            session=session,
            canvas_token=token,
            step=step,
            person=person or None,
            item=item,
            page=page,
        )


@functools.lru_cache(maxsize=32)
def _filters(
    database_url: str, token: str, revision: int, step: int | None
) -> tuple[list[str], list[history.HistoryItem]]:
    del revision
    with db.session_scope(_engine(database_url), readonly=True) as session:
        return (
            history.people(session=session, canvas_token=token),
            history.items_in_history(session=session, canvas_token=token, step=step),
        )


@functools.lru_cache(maxsize=16)
def _versions(database_url: str, token: str, revision: int) -> list[versions.VersionInfo]:
    del revision
    with db.session_scope(_engine(database_url), readonly=True) as session:
        return versions.list_versions(session=session, canvas_token=token)


def forget_cached() -> None:
    """Drop what was read (after this session wrote)."""
    _feed.cache_clear()
    _filters.cache_clear()
    _versions.cache_clear()


# ------------------------------------------------------------------------------ screen


def _from_link() -> None:
    """Open the view (and version) the address names, once per address."""
    view = st.query_params.get("view")
    if view in VIEWS:
        st.session_state[VIEW_KEY] = view
        del st.query_params["view"]
    since = st.query_params.get("since")
    if since:
        st.session_state[SINCE_KEY] = since
        del st.query_params["since"]


def _notice() -> None:
    """What the last action here did, until the person does something else (a restore
    from the live feed reruns only the feed, so the feed shows it too). A rerun asked by
    a pushed change keeps it: the restore's own change comes back pushed, and its rerun
    can follow the one that showed the message at once."""
    notice = st.session_state.get(NOTICE_KEY)
    if not notice:
        return
    kind, text, shown = notice
    if shown and not push.pushed():
        del st.session_state[NOTICE_KEY]
        return
    st.session_state[NOTICE_KEY] = (kind, text, True)
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    else:
        st.warning(text, icon=":material/warning:")


def show(ctx: PageContext) -> None:
    """The History screen of the open canvas."""
    assert ctx.canvas is not None
    _from_link()
    st.caption("History · who changed what, what changed since a version, the trash")
    st.title(md(ctx.canvas.name))
    _notice()
    if st.session_state.get(VIEW_KEY) not in VIEWS:
        st.session_state[VIEW_KEY] = "feed"
    view = st.segmented_control(
        "View",
        list(VIEWS),
        key=VIEW_KEY,
        required=True,
        format_func=VIEWS.__getitem__,
        label_visibility="collapsed",
    )
    if view == "changes":
        changes_view(ctx)
    elif view == "versions":
        versions_view(ctx)
    elif view == "trash":
        trash_view(ctx)
    else:
        feed_view(ctx)


# -------------------------------------------------------------------------------- feed


#: the Step filter's "Every step" (not None: a selectbox shows None as "Choose an option")
EVERY_STEP = 0
STEPS = [EVERY_STEP, *STEP_TITLES]


def _step_label(step: int) -> str:
    return "Every step" if step == EVERY_STEP else f"{step}. {STEP_TITLES[step]}"


def feed_view(ctx: PageContext) -> None:
    assert ctx.token is not None
    url = ctx.settings.database_url
    left, middle, right = st.columns(3)
    if st.session_state.get(STEP_KEY) not in STEPS:
        st.session_state[STEP_KEY] = EVERY_STEP
    with left:
        chosen_step = st.selectbox("Step", STEPS, key=STEP_KEY, format_func=_step_label)
    step = None if chosen_step == EVERY_STEP else chosen_step
    people, found = _filters(url, ctx.token, ctx.revision, step)
    with middle:
        person = st.selectbox(
            "Person",
            [ALL, *people],
            key=PERSON_KEY,
            format_func=lambda p: p or "Everyone",
        )
    choices = {f"{h.kind}:{h.item_id}": h for h in found}
    if st.session_state.get(ITEM_KEY) not in (ALL, *choices):
        st.session_state[ITEM_KEY] = ALL
    with right:
        chosen = st.selectbox(
            "Item",
            [ALL, *choices],
            key=ITEM_KEY,
            format_func=lambda k: choices[k].label if k else "Any item",
        )
    item = (choices[chosen].kind, choices[chosen].item_id) if chosen else None
    filters = (step, person, item)
    if st.session_state.get(f"{PAGE_KEY}.filters") != filters:
        st.session_state[f"{PAGE_KEY}.filters"] = filters
        st.session_state[PAGE_KEY] = 0
    first = [True]

    def feed() -> push.Drawn:
        whole_page = first[0]  # else a rerun of the feed alone
        revision = ctx.revision if whole_page else _revision(ctx)
        first[0] = False
        if not whole_page:
            _notice()  # a run of the whole page showed it at the top
        page = _feed(
            url, ctx.token or "", revision, step, person, item, st.session_state.get(PAGE_KEY, 0)
        )
        _entries(ctx, page)
        return board.drawn(ctx, revision)

    # like the boards: rerun when a change is pushed, not on a timer
    push.follow(feed, every_seconds=ctx.settings.live_sync_seconds, key="hist.live.feed")


def _revision(ctx: PageContext) -> int:
    assert ctx.token is not None
    with ctx.read() as session:
        return canvases.get_revision(session=session, canvas_token=ctx.token)


def _head(entry: history.Entry, sentence: str, *, undone: bool) -> str:
    head = f"**{md(entry.actor_name)}** {md(sentence)}"
    if entry.by_undo:
        head += " :gray[(undo)]"
    if undone:
        head += " :gray[· taken back since]"
    return head


def entry_markdown(entry: history.Entry) -> str:
    """One entry as a person reads it; user text escaped."""
    when = relative_time(entry.at)
    head = _head(entry, entry.sentence, undone=entry.undone)
    lines = [head, f":gray[{when}{' · ' + md(entry.detail) if entry.detail else ''}]"]
    lines += [f"- {md(c.label)}: {md(c.before)} → {md(c.after)}" for c in entry.changes]
    return "  \n".join(lines[:2]) + ("\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")


def _entries(ctx: PageContext, page: history.ActionPage) -> None:
    if not page.actions:
        st.caption("Nothing here yet — every change of the canvas will show up here.")
        return
    start = page.page * history.PER_PAGE + 1
    st.caption(
        f"Changes {start:,}–{start + len(page.actions) - 1:,} of {page.total:,} · live",
        help="The feed follows every change by itself. A paste of many items, a grid "
        "save or an import is one change: open it to see each item.",
    )
    for action in page.actions:
        if action.size == 1:
            _entry(ctx, action.first)
            continue
        first = action.first
        undone = all(e.undone for e in action.entries)
        st.markdown(
            f"{_head(first, action.sentence, undone=undone)}  \n:gray[{relative_time(first.at)}]"
        )
        with st.expander(f"The {action.size:,} changes one by one"):
            if action.size > len(action.entries):
                st.caption(
                    f"The newest {len(action.entries):,} of {action.size:,}. The filters "
                    "above (step, item) narrow the list."
                )
            for entry in action.entries:
                _entry(ctx, entry)
    if page.pages > 1:
        newer, older = st.columns(2)
        newer.button(
            "Newer",
            key="hist.newer",
            icon=":material/chevron_left:",
            disabled=page.page == 0,
            on_click=_turn,
            args=(-1,),
        )
        older.button(
            "Older",
            key="hist.older",
            icon=":material/chevron_right:",
            disabled=page.page >= page.pages - 1,
            on_click=_turn,
            args=(1,),
        )


def _entry(ctx: PageContext, entry: history.Entry) -> None:
    if not entry.restorable:
        st.markdown(entry_markdown(entry))
        return
    text, action = st.columns([5, 1], vertical_alignment="center")
    text.markdown(entry_markdown(entry))
    action.button(
        "Restore",
        key=f"hist.restore.{entry.id}",
        icon=":material/restore_from_trash:",
        help="Bring it back, with its links, where those items still exist.",
        on_click=restore,
        args=(ctx, entry.id),
    )


def _turn(offset: int) -> None:
    st.session_state[PAGE_KEY] = max(0, st.session_state.get(PAGE_KEY, 0) + offset)


def restore(ctx: PageContext, entry_id: int) -> None:
    """Bring back the item a delete entry names (a button's callback)."""
    assert ctx.token is not None
    try:
        with ctx.write() as session:
            done = trash.restore(
                session=session,
                canvas_token=ctx.token,
                entry_id=entry_id,
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        st.session_state[NOTICE_KEY] = ("warning", str(error), False)
        return
    ctx.changed()
    forget_cached()
    parts = [f"Restored {history.item_label(done.kind)} “{done.title}”"]
    if done.links:
        parts.append(f"with {done.links} link{'s' * (done.links != 1)}")
    if done.rows:
        parts.append(f"and {done.rows} item{'s' * (done.rows != 1)} that went with it")
    text = " ".join(parts) + "."
    if done.skipped:
        text += " Could not come back: " + "; ".join(done.skipped) + "."
    st.session_state[NOTICE_KEY] = ("success", md(text), False)


# ------------------------------------------------------------------------------ trash


def trash_view(ctx: PageContext) -> None:
    assert ctx.token is not None
    with ctx.read() as session:
        deleted = trash.list_trash(session=session, canvas_token=ctx.token)
    if not deleted:
        st.caption("The trash is empty — deleted items wait here, to be restored.")
        return
    st.caption(
        f"{len(deleted):,} deleted item{'s' * (len(deleted) != 1)}, most recent first. "
        "Restoring one brings back its links where those items still exist."
    )
    for item in deleted:
        with st.container(border=True):
            text, action = st.columns([5, 1], vertical_alignment="center")
            extra = [f"with {item.links} link{'s' * (item.links != 1)}"] if item.links else []
            extra += [f"{n} {label}{'s' * (n != 1)}" for label, n in item.with_it.items()]
            text.markdown(
                f"**{md(item.title)}** :gray[· {md(item.label.lower())}]  \n"
                f":gray[deleted by {md(item.deleted_by)} {relative_time(item.deleted_at)}"
                f"{' · ' + md(', '.join(extra)) if extra else ''}]"
            )
            action.button(
                "Restore",
                key=f"hist.trash.{item.entry_id}",
                icon=":material/restore_from_trash:",
                on_click=restore,
                args=(ctx, item.entry_id),
            )


# --------------------------------------------------------------------------- versions


def _save_version(ctx: PageContext) -> None:
    assert ctx.token is not None
    name = str(st.session_state.get("hist.version_name") or "")
    try:
        with ctx.write() as session:
            saved = versions.save_version(
                session=session, canvas_token=ctx.token, name=name, actor=identity.actor(ctx)
            )
    except ServiceError as error:
        st.session_state["hist.version_error"] = error
        return
    ctx.changed()
    forget_cached()
    st.session_state["hist.version_name"] = ""
    st.session_state[NOTICE_KEY] = ("success", f"Saved version “{md(saved.name)}”.", False)


def _restore_version(ctx: PageContext, version: versions.VersionInfo) -> None:
    assert ctx.token is not None
    try:
        with ctx.write() as session:
            canvas = json_io.restore_version(
                session=session,
                canvas_token=ctx.token,
                name=version.name,
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        st.session_state[NOTICE_KEY] = ("warning", str(error), False)
        return
    st.session_state["hist.restored"] = (canvas.token, canvas.name)


def _compare(since: str) -> None:
    st.session_state[SINCE_KEY] = since
    st.session_state[UNTIL_KEY] = NOW
    st.session_state[VIEW_KEY] = "changes"


def versions_view(ctx: PageContext) -> None:
    assert ctx.token is not None
    with st.form("hist.save_version", border=True, enter_to_submit=True):
        st.text_input(
            "Save this canvas as a version",
            key="hist.version_name",
            max_chars=120,
            placeholder="e.g. Sent to the board, 12 Dec",
            help="A version keeps the canvas as it is now; later you can see what "
            "changed since, or restore it as a new canvas.",
        )
        st.form_submit_button(
            "Save version",
            icon=":material/bookmark_add:",
            on_click=_save_version,
            args=(ctx,),
            key="hist.save_version_submit",
        )
    error = st.session_state.pop("hist.version_error", None)
    if error is not None:
        messages.show_error(error)
    restored = st.session_state.pop("hist.restored", None)
    if restored is not None:
        token, name = restored
        st.success(
            f"Restored as a new canvas, “{md(name)}”. This canvas is unchanged.",
            icon=":material/check_circle:",
        )
        links.page_link(
            steps.OVERVIEW.page,
            label=f"Open “{name}”",
            icon=":material/open_in_new:",
            query_params={"canvas": token},
        )
    found = _versions(ctx.settings.database_url, ctx.token, ctx.revision)
    if not found:
        st.caption(
            "No versions yet. A version is saved when you name one here, when a "
            "workshop ends and whenever the PDF is downloaded."
        )
        return
    for version in found:
        with st.container(border=True):
            text, compare, restore_button = st.columns([4, 1, 1], vertical_alignment="center")
            how = versions.KIND_LABELS.get(version.kind, version.kind)
            text.markdown(
                f"**{md(version.name)}**  \n:gray[{how} by {md(version.actor_name)} "
                f"{relative_time(version.created_at)}]"
            )
            compare.button(
                "What changed",
                key=f"hist.compare.{version.id}",
                icon=":material/difference:",
                help="What changed since this version",
                on_click=_compare,
                args=(version.name,),
            )
            restore_button.button(
                "Restore…",
                key=f"hist.restore_version.{version.id}",
                icon=":material/content_copy:",
                help="Make a new canvas from this version (this canvas stays as it is)",
                on_click=_restore_version,
                args=(ctx, version),
            )


# ---------------------------------------------------------------------------- changes


def changes_view(ctx: PageContext) -> None:
    assert ctx.token is not None
    found = _versions(ctx.settings.database_url, ctx.token, ctx.revision)
    if not found:
        st.caption(
            "No versions yet — save one under Versions; then this shows what changed "
            "since, in the strategy's own words."
        )
        return
    names = [v.name for v in found]
    if st.session_state.get(SINCE_KEY) not in names:
        st.session_state[SINCE_KEY] = names[0]
    if st.session_state.get(UNTIL_KEY) not in (NOW, *names):
        st.session_state[UNTIL_KEY] = NOW
    left, right = st.columns(2)
    since = left.selectbox("Since the version", names, key=SINCE_KEY)
    until = right.selectbox(
        "Until", [NOW, *names], key=UNTIL_KEY, format_func=lambda n: "Now" if n == NOW else n
    )
    try:
        diff = since_cache.diff_between(
            ctx.settings.database_url,
            ctx.token,
            since,
            None if until == NOW else until,
            since_cache.position(ctx),
        )
    except ServiceError as error:
        messages.show_error(error)
        return
    show_diff(diff)


def diff_markdown(diff: changes.Diff) -> list[tuple[str, str]]:
    """(heading, markdown) of each section of a diff, user text escaped."""
    out = []
    for section in diff.sections():
        lines = []
        for line in section.lines:
            lines.append(f"- {md(line.text)}")
            lines += [f"    - {md(detail)}" for detail in line.details]
        if section.more:
            lines.append(f"- :gray[{md(section.more)}]")
        out.append((section.heading, "\n".join(lines)))
    return out


def show_diff(diff: changes.Diff) -> None:
    st.markdown(f"**{md(diff.title)}:** {md(diff.headline())}.")
    if diff.empty:
        st.caption("Nothing in the strategy changed.")
        return
    for heading, body in diff_markdown(diff):
        st.markdown(f"##### {md(heading)}\n{body}")
