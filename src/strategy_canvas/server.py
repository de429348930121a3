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
- ``GET /api/live/board?token=…[&view=N]`` — the live board of a workshop as the holder
  of the token (a participant's token, a facilitator key, a workshop's public link: the
  projector's board) sees it now, as JSON: its HTML, built as the page builds it (user
  text escaped), the controls signature, the change counter and presence epoch it
  shows, and the server's clock; ``view``: the step a participant chose while follow-me
  is off. Anything else is refused with 403. The live element fetches it on each pushed
  change (:mod:`strategy_canvas.ui.push`).
- ``POST /api/live/here`` and ``POST /api/live/leave`` — a participant's screen beats
  while it is open and says when it closes (body: the participant's token).

The lifespan starts the process's hub and watcher and, before the server answers its
first request, imports the pages' modules and opens (and migrates) the database, so the
first page after a start is drawn as fast as any other. :class:`LoadingScreen` puts a
loading state into the page Streamlit serves, shown from the first byte until the page
draws its first words (its scripts take a second or two to load and connect, during
which the page was blank and white).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from strategy_canvas import db
from strategy_canvas.config import get_settings
from strategy_canvas.export import ready
from strategy_canvas.live import BOARD_PATH, EVENTS_PATH, HERE_PATH, LEAVE_PATH
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
            while not HUB.closing:
                try:
                    await asyncio.wait_for(waiter.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                waiter.clear()
                if HUB.closing:  # the server stops: end the response, so it can
                    return
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


def _board(secret: str, chosen: int | None) -> dict[str, Any]:
    from strategy_canvas.ui import workshop_live  # the page's own builder of the board

    return workshop_live.board_payload(secret, chosen)


async def board(request: Request) -> Response:
    """The live board of a workshop as the holder of the token sees it now (JSON)."""
    secret = request.query_params.get("token", "")
    if not _TOKEN_RE.match(secret):
        return PlainTextResponse("This link does not open a workshop.", 403)
    view = request.query_params.get("view", "")
    if view not in ("", "1", "2", "3", "4", "5"):
        return PlainTextResponse("view: the step to show, a whole number from 1 to 5.", 400)
    try:
        payload = await run_in_threadpool(_board, secret, int(view) if view else None)
    except PermissionDenied as refused:
        return PlainTextResponse(str(refused), 403)
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


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


#: shown until the main area holds its first words (pure CSS: ``:has`` hides it, so it
#: needs no script of ours and cannot hide a page that drew something); no user text
LOADING_HTML = b"""<style>
#sc-loading { position: fixed; inset: 0; z-index: 999990; display: flex;
  flex-direction: column; align-items: center; justify-content: center; gap: 1rem;
  background: #fff; color: #374151; pointer-events: none;
  font: 1.05rem "Source Sans", "Source Sans Pro", system-ui, sans-serif; }
#sc-loading .sc-spin { width: 2.2rem; height: 2.2rem; border-radius: 50%;
  border: 0.25rem solid #E5E7EB; border-top-color: #FF4B4B;
  animation: sc-spin 0.8s linear infinite; }
@keyframes sc-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { #sc-loading .sc-spin { animation: none; } }
body:has([data-testid="stMainBlockContainer"] :is(h1, h2, h3,
  [data-testid="stMarkdownContainer"], [data-testid="stAlert"])) #sc-loading {
  display: none; }
</style>
<div id="sc-loading" role="status" aria-live="polite"><div class="sc-spin"></div>
<div>Loading Strategy Canvas&#8230;</div></div>
"""
_ROOT_DIV = b'<div id="root"></div>'


class LoadingScreen:
    """ASGI middleware: the HTML page Streamlit serves (the same for every path of the
    app) gets :data:`LOADING_HTML` before its root element. Everything else — the
    stream, the websocket, scripts, other routes — passes through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        if any(k == b"accept" and b"text/html" in v for k, v in headers):
            # a page being opened: ask for it uncompressed (8 kB), so it can be read here
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"accept-encoding"]}
        start: dict[str, Any] | None = None
        body: list[bytes] = []

        async def rewrite(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                named = dict(message.get("headers") or [])
                html = named.get(b"content-type", b"").startswith(b"text/html")
                if html and message.get("status") == 200 and b"content-encoding" not in named:
                    start = message  # hold it until the body is known
                    return
                await send(message)
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = b"".join(body).replace(_ROOT_DIV, LOADING_HTML + _ROOT_DIV, 1)
                kept = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
                kept.append((b"content-length", str(len(page)).encode()))
                await send({**start, "headers": kept})
                await send({"type": "http.response.body", "body": page})
            else:
                await send(message)

        await self.app(scope, receive, rewrite)


def routes() -> list[Route]:
    return [
        Route(EVENTS_PATH, events, methods=["GET"]),
        Route(BOARD_PATH, board, methods=["GET"]),
        Route(HERE_PATH, here, methods=["POST"]),
        Route(LEAVE_PATH, leave, methods=["POST"]),
    ]


def middleware() -> list[Middleware]:
    return [Middleware(LoadingScreen)]


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


def _end_streams_when_stopping() -> None:
    """Have the web server (uvicorn, under Streamlit) end the event streams as it begins to
    stop. It waits for every response under way to end before it stops, and for the app's
    lifespan to end only after that: with one page open, its stream kept a stopped server
    (Ctrl+C, SIGTERM from a service manager) running until it was killed. The streams end,
    the server stops at once, and the pages say they are reconnecting."""
    import uvicorn

    shutdown = uvicorn.Server.shutdown
    if getattr(shutdown, "ends_streams", False):
        return

    @functools.wraps(shutdown)
    async def ending_streams(self: Any, sockets: Any = None) -> None:
        HUB.close_streams()
        await shutdown(self, sockets=sockets)

    setattr(ending_streams, "ends_streams", True)  # noqa: B010
    uvicorn.Server.shutdown = ending_streams  # type: ignore[method-assign]


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the hub and the watcher, warm the process; stop them at the end."""
    global _watcher
    del app
    HUB.start(asyncio.get_running_loop())
    _end_streams_when_stopping()
    try:
        await run_in_threadpool(warm_up)
    except Exception:  # the pages say what is wrong with the database
        LOG.exception("warming up failed")
    _watcher = Watcher(HUB, get_settings().database_url)
    _watcher.start()
    if get_settings().export_ahead:  # its imports now, not when the Export page asks
        ready.start()
    try:
        yield
    finally:
        _watcher.stop()
        _watcher = None
        HUB.stop()
        ready.stop()
