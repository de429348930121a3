"""The composition root of the UI: :func:`page_setup`, the one call at the top of app.py
and of every page (and only there; views take the :class:`~.context.PageContext` it
returns).

With the classic ``pages/`` folder, a deep link (``/Vision?canvas=…``) runs only that
page's file, never app.py; so everything a page needs before it draws — the page
config, the database, the open canvas, the access gate and the sidebar — happens here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import db
from strategy_canvas.config import get_settings
from strategy_canvas.export import ready
from strategy_canvas.services import snapshot
from strategy_canvas.services.errors import NotFound
from strategy_canvas.ui import access, context, editing, layout, links, sidebar, steps
from strategy_canvas.ui.context import APP_ICON, APP_NAME, PageContext

if TYPE_CHECKING:
    from sqlalchemy import Engine


#: what a canvas token can look like (secrets.token_urlsafe); anything else is not looked up
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

BAD_LINK = "No canvas has this link. Check the link, or ask whoever shared it for a new one."
GONE = "The canvas you had open no longer exists; it may have been deleted."


@st.cache_resource(show_spinner=False)
def _migrated_engine(url: str) -> Engine:
    """One engine per database URL and process, migrated once (keyed by URL for tests)."""
    engine = db.get_engine(url)
    db.migrate(engine)
    return engine


def _open_canvas(ctx: PageContext) -> None:
    """Open the canvas named by ``?canvas=`` or, failing that, the one this session had."""
    from_link = (st.query_params.get("canvas") or "").strip()
    token = from_link or context.remembered_canvas() or ""
    if not token:
        return
    canvas = None
    if _TOKEN_RE.match(token):
        try:
            with ctx.read() as session:  # the read model every part of the page reads
                opened = snapshot.snapshot(session=session, canvas_token=token)
            ctx._revision, canvas = opened.revision, opened.canvas
        except NotFound:
            canvas = None
    if canvas is None:
        context.forget_canvas(token)
        ctx.problem = BAD_LINK if from_link else GONE
        return
    ctx.canvas = canvas
    context.remember_canvas(token)
    # Keep the canvas in the address bar, so a reload or a copied link opens it again
    # (the home page lists canvases and does not claim one in its URL).
    if not from_link and not ctx.is_home:
        st.query_params["canvas"] = token


def page_setup(title: str, *, step: int | None = None, home: bool = False) -> PageContext:
    """Set up a page: config, database, open canvas, access gate and sidebar.

    ``step`` is 1..5 for the step pages and 0 for the Overview; ``home`` marks app.py.
    Returns the :class:`PageContext`. A bad link is shown as a message with a way home,
    never a traceback.
    """
    st.set_page_config(
        page_title=f"{title} · {APP_NAME}",
        page_icon=APP_ICON,
        layout="wide",
        initial_sidebar_state="expanded",
        menu_items={"About": f"**{APP_NAME}** — form a product strategy in five guided steps."},
    )
    settings = get_settings()
    try:
        engine = _migrated_engine(settings.database_url)
    except Exception as exc:  # the app cannot do anything without its database
        st.error(
            f"The database could not be opened ({type(exc).__name__}). Check "
            "DATABASE_URL and that the database server is running.",
            icon=":material/error:",
        )
        st.stop()
    ctx = PageContext(
        title=title,
        step=step,
        settings=settings,
        engine=engine,
        is_home=home,
        may_list=lambda: access.can_list(settings),
    )
    # Every page keeps the person's key for their drafts in its address (and its links
    # pass it on), so a reload anywhere finds their unsaved edits again.
    me = editing.owner_key()
    layout.responsive()
    _open_canvas(ctx)
    if ctx.canvas is not None:  # the export someone prepares stays ready after changes
        ready.changed(ctx.settings.database_url, ctx.canvas.token, ctx.revision, by=me)
    sidebar.draw(ctx)
    if ctx.problem:
        st.warning(ctx.problem, icon=":material/link_off:")
        if not home:
            links.page_link(steps.HOME_PAGE, label="Go to the home page", icon=":material/home:")
    return ctx


#: how many of the most recently changed canvases the start-up reads ahead
WARM_CANVASES = 3


def warm_up(database_url: str) -> None:
    """Before the server answers its first request (strategy_canvas.server's lifespan):
    what the first page would otherwise pay for on its first use — the pages' migrated
    engine, Altair's schema and the Arrow conversion, Streamlit's emoji table (read by
    ``set_page_config``, ~0.5 s) and its one-off check for a REPL (an ``inspect.stack``,
    ~0.3 s), and the SQL of a page's reads compiled once by reading the snapshots of
    the canvases changed last (they stay in the snapshot cache for their first page)."""
    engine = _migrated_engine(database_url)
    import pandas as pd
    from streamlit import dataframe_util, string_util
    from streamlit import delta_generator as st_delta_generator

    from strategy_canvas import charts
    from strategy_canvas.services import canvases, drafts, undo

    tally = pd.DataFrame(
        {"target_kind": ["note"], "target_id": [1], "label": ["warm-up"], "votes": [1]}
    )
    charts.vote_chart(tally, title="warm-up").to_dict()
    dataframe_util.convert_anything_to_arrow_bytes(tally)
    string_util.is_emoji(APP_ICON)
    use_warning = getattr(st_delta_generator, "_maybe_print_use_warning", None)
    if use_warning is not None:  # a private helper: gone in a later Streamlit, nothing to warm
        use_warning()
    with db.session_scope(engine, readonly=True) as session:
        for canvas in canvases.list_canvases(session=session)[:WARM_CANVASES]:
            token = canvas.token
            snapshot.snapshot(session=session, canvas_token=token)
            drafts.get_draft(session=session, canvas_token=token, owner_key="warm-up", scope="-")
            undo.last_change(session=session, canvas_token=token, actor_key="warm-up")
