"""What changed since a version: the diff, cached for every session, and the one line
the Overview shows ("Since “Sent to the board” · 3 added, 1 removed… · See what changed").

A diff is cached by the newest history entry, not by the change counter: workshop
notes and votes move the counter but change no item, and a diff of the large canvas
takes a few tenths of a second.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import db
from strategy_canvas.services import changes, history, versions
from strategy_canvas.ui import links, steps
from strategy_canvas.ui.text import md
from strategy_canvas.ui.timefmt import relative_time

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext


@functools.lru_cache(maxsize=32)
def diff_between(
    database_url: str, token: str, since: str, until: str | None, position: int
) -> changes.Diff:
    """The changes since version ``since`` until ``until`` (None: now), as of the
    newest history entry ``position`` (part of the cache key)."""
    del position
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return changes.since_version(session=session, canvas_token=token, since=since, until=until)


@functools.lru_cache(maxsize=64)
def _latest(
    database_url: str, token: str, position: int
) -> tuple[versions.VersionInfo | None, int]:
    del position
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return (
            versions.latest_version(session=session, canvas_token=token),
            history.last_entry_id(session=session, canvas_token=token),
        )


def position(ctx: PageContext) -> int:
    """The newest history entry of the open canvas (0 for none)."""
    assert ctx.token is not None
    with ctx.read() as session:
        return history.last_entry_id(session=session, canvas_token=ctx.token)


def overview_line(ctx: PageContext) -> None:
    """One line: what changed since the newest version, with a link to the whole diff."""
    assert ctx.token is not None
    url = ctx.settings.database_url
    at = position(ctx)
    latest, _ = _latest(url, ctx.token, at)
    params = {**ctx.link_params, "view": "versions"}
    if latest is None:
        text = (
            ":material/history: No version saved yet — save one (or download the PDF) "
            "to see later what changed since."
        )
        label = "Save a version"
    else:
        diff = diff_between(url, ctx.token, latest.name, None, at)
        when = relative_time(latest.created_at)
        text = (
            f":material/history: **Since “{md(latest.name)}”** :gray[({when})]: "
            f"{md(diff.headline())}."
        )
        params = {**ctx.link_params, "view": "changes", "since": latest.name}
        label = "See what changed"
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(text)
    links.page_link(
        steps.HISTORY_PAGE,
        label=label,
        icon=":material/difference:",
        query_params=params,
        where=right,
    )
