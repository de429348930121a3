"""Push, not poll: every committed write announces the canvas's change counter, in this
process at once and from other processes through the watcher (PostgreSQL's
LISTEN/NOTIFY, SQLite's data_version); the event route sends nothing but the counter to
the holder of a token that opens the canvas; presence goes by the screens' beats.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from strategy_canvas import db, live
from strategy_canvas import models as m
from strategy_canvas.live import watch
from strategy_canvas.live.hub import HUB, Hub, announce_commits, install_commit_hook
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws
from strategy_canvas.services.errors import PermissionDenied, ValidationFailed
from tests import asgikit


@pytest.fixture
def canvas(engine: Engine) -> m.Canvas:
    with db.session_scope(engine) as session:
        return canvases.create_canvas(session=session, canvas_in={"name": "Live canvas"})


def _revision(engine: Engine, token: str) -> int:
    with db.session_scope(engine, readonly=True) as session:
        return canvases.get_revision(session=session, canvas_token=token)


def _wait(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def loop_hub() -> Iterator[tuple[Hub, asyncio.AbstractEventLoop]]:
    """A hub of its own on an event loop running in a thread (as the server's)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    hub = Hub()
    hub.start(loop)
    yield hub, loop
    hub.stop()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def _subscribe(hub: Hub, loop: asyncio.AbstractEventLoop, canvas_id: int) -> asyncio.Event:
    return asyncio.run_coroutine_threadsafe(_async(hub.subscribe, canvas_id), loop).result(5)


async def _async(function: object, *args: object) -> object:
    return function(*args)  # type: ignore[operator]


# ------------------------------------------------------------------------- the hub


def test_a_newer_counter_wakes_the_streams_of_its_canvas_only(
    loop_hub: tuple[Hub, asyncio.AbstractEventLoop],
) -> None:
    hub, loop = loop_hub
    mine, other = _subscribe(hub, loop, 1), _subscribe(hub, loop, 2)
    assert hub.watched() == [1, 2] and hub.streams() == 2
    assert hub.publish(1, 5)
    assert _wait(mine.is_set) and not other.is_set()
    mine.clear()
    assert not hub.publish(1, 5) and not hub.publish(1, 4)  # heard twice, or late: nothing
    time.sleep(0.05)
    assert not mine.is_set() and hub.state(1) == (5, 0)
    hub.bump_presence(1)
    assert _wait(mine.is_set) and hub.state(1) == (5, 1) and hub.presence_epoch(2) == 0
    hub.unsubscribe(1, mine)
    hub.unsubscribe(2, other)
    assert hub.watched() == [] and hub.streams() == 0


def test_every_committed_write_is_announced_after_its_commit_and_a_refused_one_never(
    engine: Engine, canvas: m.Canvas
) -> None:
    install_commit_hook()
    assert canvas.id is not None
    with Session(engine, expire_on_commit=False) as session:
        items.create_item(
            session=session, canvas_token=canvas.token, kind="problem", data={"title": "A"}
        )
        # the commit announced it: nothing is left waiting in the session
        assert items.CHANGED_CANVASES not in session.info
    assert HUB.state(canvas.id)[0] == _revision(engine, canvas.token)
    before = HUB.state(canvas.id)[0]
    with Session(engine, expire_on_commit=False) as session, pytest.raises(ValidationFailed):
        items.create_item(
            session=session, canvas_token=canvas.token, kind="problem", data={"title": ""}
        )
    assert HUB.state(canvas.id)[0] == before == _revision(engine, canvas.token)
    with Session(engine) as session:
        items.begin_write(session, canvas.token)
        assert session.info[items.CHANGED_CANVASES] == {canvas.id: before + 1}
        session.rollback()
        assert items.CHANGED_CANVASES not in session.info
        announce_commits(session)  # nothing to announce
    assert HUB.state(canvas.id)[0] == before


def test_another_process_s_write_reaches_the_hub_through_the_watcher(
    engine: Engine, canvas: m.Canvas, loop_hub: tuple[Hub, asyncio.AbstractEventLoop]
) -> None:
    """PostgreSQL: the trigger's NOTIFY and one LISTEN per process; SQLite: data_version.
    The other process is a second engine (its own connections), as the CLI would be."""
    hub, loop = loop_hub
    assert canvas.id is not None
    url = engine.url.render_as_string(hide_password=False)
    watcher = watch.Watcher(hub, url)
    waiter = _subscribe(hub, loop, canvas.id)
    hub.publish(canvas.id, _revision(engine, canvas.token))
    watcher.start()
    other = db.make_engine(url)
    try:
        time.sleep(0.3)  # listening
        began = time.monotonic()
        with db.session_scope(other) as session:
            items.create_item(
                session=session, canvas_token=canvas.token, kind="problem", data={"title": "B"}
            )
        target = _revision(engine, canvas.token)
        assert _wait(lambda: hub.state(canvas.id)[0] == target, 3.0)
        assert waiter.is_set()
        assert time.monotonic() - began < 1.0
    finally:
        watcher.stop()
        other.dispose()


# ------------------------------------------------------------- who may follow what


def test_a_stream_opens_only_for_a_token_of_the_canvas(engine: Engine, canvas: m.Canvas) -> None:
    with db.session_scope(engine) as session:
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Live")
        ann = ws.join(session=session, display_name="Ann", link_token=started.link_token)
    revision = _revision(engine, canvas.token)
    with db.session_scope(engine, readonly=True) as session:
        for secret in (canvas.token, started.facilitator_key, ann.token, started.link_token):
            assert ws.stream_target(session=session, secret=secret) == (canvas.id, revision)
        # one character off (a token ends in "_" one time in 64: then "-")
        near = canvas.token[:-1] + ("-" if canvas.token.endswith("_") else "_")
        for wrong in ("", "x" * 24, started.join_code, near):
            with pytest.raises(PermissionDenied):
                ws.stream_target(session=session, secret=wrong)


def test_the_event_route_sends_the_counter_and_refuses_other_tokens(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.applications import Starlette

    from strategy_canvas import config, server

    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    config.get_settings.cache_clear()
    with db.session_scope(sqlite_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Routed"})
    try:
        app = Starlette(routes=server.routes())
        for wrong in ("not-a-canvas-token", "%3Cscript%3E"):
            status, _, body = asgikit.run_apart(_request(app, wrong))
            assert status == 403 and "does not open" in body
        status, headers, first = asgikit.run_apart(_request(app, canvas.token))
        assert status == 200
        assert (b"content-type", b"text/event-stream; charset=utf-8") in headers
        assert (b"x-accel-buffering", b"no") in headers  # nginx passes it through at once
        assert first.startswith("retry: ")
        # two numbers: the change counter, and a presence epoch (this process's own)
        counter, epoch = first.splitlines()[1].removeprefix("data: ").split()
        assert int(counter) == _revision(sqlite_engine, canvas.token) and epoch.isdigit()
        assert canvas.token not in first and canvas.name not in first
    finally:
        config.get_settings.cache_clear()


async def _request(app: object, token: str) -> tuple[int, list[tuple[bytes, bytes]], str]:
    """Drive the ASGI app by hand: (status, headers, first chunk of the body), then the
    client leaves."""

    sent: list[dict[str, object]] = []
    got = asyncio.Event()
    leave = asyncio.Event()

    async def receive() -> dict[str, object]:
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            got.set()

    request = asgikit.scope(live.EVENTS_PATH, query=f"token={token}")
    task = asyncio.create_task(app(request, receive, send))  # type: ignore[operator]
    await asyncio.wait_for(got.wait(), 10)
    leave.set()
    await asyncio.wait_for(task, 10)
    start = next(s for s in sent if s["type"] == "http.response.start")
    body = next(s for s in sent if s["type"] == "http.response.body" and s.get("body"))
    headers: list[tuple[bytes, bytes]] = list(start["headers"])  # type: ignore[call-overload]
    return int(start["status"]), headers, bytes(body["body"]).decode()  # type: ignore[call-overload]


# ---------------------------------------------------------------- the loading screen

PAGE = b'<!DOCTYPE html><html><head></head><body><div id="root"></div></body></html>' + b" " * 600


def _shell_app() -> object:
    """Streamlit's way of serving its page, in small: the same HTML for every path,
    gzipped when the client accepts it, and a script beside it."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.responses import Response
    from starlette.routing import Route

    from strategy_canvas import server

    async def page(request: object) -> Response:
        return Response(PAGE, media_type="text/html")

    async def script(request: object) -> Response:
        return Response(
            b"const root = '<div id=\"root\"></div>';" * 40, media_type="text/javascript"
        )

    return Starlette(
        routes=[Route("/static/app.js", script), Route("/{path:path}", page)],
        middleware=[*server.middleware(), Middleware(GZipMiddleware, minimum_size=100)],
    )


def test_every_page_opened_shows_a_loading_state_until_it_draws() -> None:
    from strategy_canvas import server

    app = _shell_app()
    browser = [(b"accept", b"text/html,application/xhtml+xml,*/*;q=0.8"),
               (b"accept-encoding", b"gzip, deflate, br")]  # fmt: skip
    for path in ("/", "/Vision"):  # a deep link is the same page
        status, headers, body = asgikit.run_apart(asgikit.get(app, path, headers=browser))
        assert status == 200 and b"content-encoding" not in headers
        assert body.count(b'id="sc-loading"') == 1
        # before the root the app draws into, and the length says so
        assert body.index(b'id="sc-loading"') < body.index(b'<div id="root"></div>')
        assert int(headers[b"content-length"]) == len(body) == len(PAGE) + len(server.LOADING_HTML)
    # what is not a page opened in a browser passes through as it was
    script = [(b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate, br")]
    status, headers, body = asgikit.run_apart(asgikit.get(app, "/static/app.js", headers=script))
    assert headers[b"content-encoding"] == b"gzip" and b"sc-loading" not in body
    status, headers, body = asgikit.run_apart(
        asgikit.get(app, "/", headers=[(b"accept-encoding", b"gzip")])
    )
    assert headers[b"content-encoding"] == b"gzip"
    status, headers, body = asgikit.run_apart(asgikit.get(app, "/", headers=browser, method="HEAD"))
    assert b"sc-loading" not in body


# ------------------------------------------------------------------------ presence


def test_beats_make_people_here_and_a_closed_tab_away_at_once(
    engine: Engine, canvas: m.Canvas, loop_hub: tuple[Hub, asyncio.AbstractEventLoop]
) -> None:
    hub, loop = loop_hub
    assert canvas.id is not None
    with db.session_scope(engine) as session:
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Here")
        ann = ws.join(session=session, display_name="Ann", link_token=started.link_token)
    url = engine.url.render_as_string(hide_password=False)
    watcher = watch.Watcher(hub, url)
    waiter = _subscribe(hub, loop, canvas.id)
    watcher._presence_tick()  # the first look tells the screens drawn before it
    assert hub.presence_epoch(canvas.id) == 1 and _wait(waiter.is_set)

    def here() -> int:
        with db.session_scope(engine, readonly=True) as session:
            return ws.presence(session=session, viewer_token=ann.token).here

    with db.session_scope(engine) as session:  # joined long ago, not seen since
        session.exec(  # type: ignore[call-overload]
            m.Participant.__table__.update().values(  # type: ignore[attr-defined]
                last_seen_at=m.utcnow() - timedelta(minutes=5)
            )
        )
        session.commit()
    watcher._presence_tick()
    assert here() == 0
    watcher.beat(ann.token)
    watcher.beat("nobody-holds-this-token")  # ignored by the write
    waiter.clear()
    watcher._presence_tick()
    assert here() == 1
    assert hub.presence_epoch(canvas.id) >= 2 and _wait(waiter.is_set)
    watcher.leave(ann.token)
    watcher._presence_tick()
    assert here() == 0  # at once, not after PRESENCE_SECONDS
    epoch = hub.presence_epoch(canvas.id)
    watcher._presence_tick()
    assert hub.presence_epoch(canvas.id) == epoch  # nothing changed: nobody woken


def test_a_screen_that_stops_beating_is_away_within_the_window(
    engine: Engine, canvas: m.Canvas
) -> None:
    with db.session_scope(engine) as session:
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Gone")
        bo = ws.join(session=session, display_name="Bo", link_token=started.link_token)
        t0 = m.utcnow() + timedelta(
            minutes=1
        )  # the facilitator, seen at the start, is not here then
        ws.record_beats(session=session, seen={bo.token: t0})
        assert ws.set_ready(session=session, participant_token=bo.token).ready
    window = ws.PRESENCE_SECONDS
    assert window <= 4  # a lost connection shows as away within 5 s
    with db.session_scope(engine, readonly=True) as session:
        now = ws.presence(session=session, viewer_token=bo.token, now=t0 + timedelta(seconds=1))
        later = ws.presence(
            session=session, viewer_token=bo.token, now=t0 + timedelta(seconds=window + 0.5)
        )
        here = ws.here_by_canvas(
            session=session, canvas_ids=[canvas.id or 0], now=t0 + timedelta(seconds=1)
        )
    assert (now.here, now.ready) == (1, 1)
    assert (later.here, later.ready) == (0, 0)  # gone: their ready flag no longer counts
    assert here == {canvas.id: frozenset({(bo.id, True)})}


def test_the_start_up_reads_ahead_what_the_first_page_needs(sqlite_engine: Engine) -> None:
    """The lifespan's warm-up leaves the canvases changed last in the snapshot cache (the
    first page after a start reads none of them again) and Streamlit's one-off costs paid."""
    from streamlit import delta_generator

    from strategy_canvas.services import snapshot
    from strategy_canvas.ui import setup

    url = sqlite_engine.url.render_as_string(hide_password=False)
    with db.session_scope(sqlite_engine) as session:
        made = [
            canvases.create_canvas(session=session, canvas_in={"name": f"Canvas {i}"})
            for i in range(setup.WARM_CANVASES + 1)
        ]
    snapshot.clear_cache()
    setup.warm_up(url)
    key = snapshot.database_key(sqlite_engine)
    warm = [snapshot.cached(key, c.token, _revision(sqlite_engine, c.token)) for c in made]
    assert [s is not None for s in warm] == [False] + [True] * setup.WARM_CANVASES
    assert delta_generator._use_warning_has_been_displayed  # its inspect.stack is done
    assert "streamlit.emojis" in sys.modules
