"""The app as an ASGI server: Streamlit's own routes, the live event stream, and a
start-up that warms the process (docs/ARCHITECTURE.md, "Live sync").

``app.py`` holds ``app = st.App("app.py", routes=server.routes(), lifespan=server.lifespan)``;
``streamlit run app.py`` finds it and serves it with uvicorn.

Routes (under Streamlit's ``server.baseUrlPath``):

- ``GET /api/live/events?token=…`` — Server-Sent Events for the canvas that the token
  opens (a canvas token, a participant's token, a facilitator key or a workshop's public
  link; anything else is refused with 403). Each event is two numbers, ``data: R P``:
  the canvas's change counter and a presence epoch; nothing else goes down the stream.
  The first event is sent at once, so a screen that reconnects catches up.
- ``POST /api/live/here`` and ``POST /api/live/leave`` — a participant's screen beats
  while it is open and says when it closes (body: the participant's token).

The lifespan starts the process's hub and watcher and, before the server answers its
first request, imports the pages' modules and opens (and migrates) the database, so the
first page after a start is drawn as fast as any other.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from strategy_canvas import db
from strategy_canvas.config import get_settings
from strategy_canvas.live import EVENTS_PATH, HERE_PATH, LEAVE_PATH
from strategy_canvas.live.hub import HUB
from strategy_canvas.live.watch import Watcher
from strategy_canvas.services import workshops
from strategy_canvas.services.errors import PermissionDenied

LOG = logging.getLogger(__name__)

#: a comment line this often keeps proxies from closing a quiet stream
KEEPALIVE_SECONDS = 15.0
#: what the browser waits before reconnecting a dropped stream (EventSource's retry)
RETRY_MS = 1000
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_watcher: Watcher | None = None


def watcher() -> Watcher | None:
    """The process's watcher, while the server runs."""
    return _watcher


def _target(secret: str) -> tuple[int, int]:
    with db.session_scope(db.get_engine(), readonly=True) as session:
        return workshops.stream_target(session=session, secret=secret)


def _event(revision: int, presence: int) -> str:
    return f"data: {revision} {presence}\n\n"


async def events(request: Request) -> Response:
    """The event stream of one canvas, for the holder of a token that opens it."""
    secret = request.query_params.get("token", "")
    if not _TOKEN_RE.match(secret):
        return PlainTextResponse("This link does not open a canvas or a workshop.", 403)
    try:
        canvas_id, revision = await run_in_threadpool(_target, secret)
    except PermissionDenied as refused:
        return PlainTextResponse(str(refused), 403)
    HUB.publish(canvas_id, revision, read=True)

    async def stream() -> AsyncIterator[str]:
        waiter = HUB.subscribe(canvas_id)
        try:
            sent = HUB.state(canvas_id)
            yield f"retry: {RETRY_MS}\n" + _event(*sent)
            while True:
                try:
                    await asyncio.wait_for(waiter.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                waiter.clear()
                now = HUB.state(canvas_id)
                if now != sent:
                    sent = now
                    yield _event(*now)
        finally:
            HUB.unsubscribe(canvas_id, waiter)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


async def _token_of(request: Request) -> str | None:
    body = (await request.body())[:128].decode("ascii", "replace").strip()
    return body if _TOKEN_RE.match(body) else None


async def here(request: Request) -> Response:
    """A participant's screen is open (in memory; the watcher writes it)."""
    token = await _token_of(request)
    if token is None or _watcher is None:
        return Response(status_code=204 if _watcher is None else 400)
    _watcher.beat(token)
    return Response(status_code=204)


async def leave(request: Request) -> Response:
    token = await _token_of(request)
    if token is not None and _watcher is not None:
        _watcher.leave(token)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(EVENTS_PATH, events, methods=["GET"]),
        Route(HERE_PATH, here, methods=["POST"]),
        Route(LEAVE_PATH, leave, methods=["POST"]),
    ]


def warm_up() -> None:
    """What the first page would otherwise pay for: the imports of every UI module (and
    with them pandas, Altair, the charts and the exports), the pages' migrated engine,
    Altair's schema and the Arrow conversion, before the server answers its first
    request."""
    import importlib
    import pkgutil

    import strategy_canvas.ui as ui_package

    for module in pkgutil.iter_modules(ui_package.__path__):
        importlib.import_module(f"{ui_package.__name__}.{module.name}")
    importlib.import_module("strategy_canvas.export.pdf")
    ui_package.warm_up(get_settings().database_url)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the hub and the watcher, warm the process; stop them at the end."""
    global _watcher
    del app
    HUB.start(asyncio.get_running_loop())
    try:
        await run_in_threadpool(warm_up)
    except Exception:  # the pages say what is wrong with the database
        LOG.exception("warming up failed")
    _watcher = Watcher(HUB, get_settings().database_url)
    _watcher.start()
    try:
        yield
    finally:
        _watcher.stop()
        _watcher = None
        HUB.stop()
