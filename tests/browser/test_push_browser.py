"""When the event stream is missing or drops, in Chromium.

- Where the event route cannot be reached (a proxy that answers 404 for it), the page
  says so and checks for changes every ``STRATEGY_CANVAS_SYNC_SECONDS`` instead: a change
  still reaches it.
- A stream that drops (its connection cut, and new ones refused for a while) makes the
  page tell its viewer it may be out of date ("Reconnecting…"); when the connection is
  back, the browser reconnects by itself, the first event carries the current counter,
  and the page catches up with what changed meanwhile.

The stream of the second tab goes through a TCP proxy of the test's own (Playwright
sends that one request there), so the test can cut it like a lost network: the page,
its websocket and the server go on as they were.

A server told to stop (Ctrl+C, a service manager's SIGTERM) stops at once although
pages are listening: it used to wait for their event streams to end, which they never
did, and ran on until it was killed.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import urllib.request
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from strategy_canvas import db, live, models
from strategy_canvas.services import canvases
from strategy_canvas.services import workshops as ws

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

RECONNECTING = "Reconnecting… this board may be out of date"
POLLING = "Live updates are unavailable: checking for changes every"


class CuttableProxy:
    """A TCP proxy to ``port`` on 127.0.0.1 whose connections can be cut, and new ones
    refused, like a network that went away."""

    def __init__(self, port: int) -> None:
        self.port_to = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.port_to))
            with self._lock:
                self._open |= {client, upstream}
                self.connections += 1
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until :meth:`restore`."""
        self.down.set()
        with self._lock:
            ends, self._open = self._open, set()
        for end in ends:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def room(browser_db: BrowserDatabase) -> tuple[models.Canvas, ws.StartedWorkshop, list[str]]:
    """A running workshop with two participants, written before the server starts."""
    with db.session_scope(browser_db.engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Dropped lines"})
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Room")
        people = [
            ws.join(session=session, display_name=name, link_token=started.link_token).token
            for name in ("Ada", "Ben")
        ]
    return canvas, started, people


def _participant(chromium: Browser, server: AppServer, token: str) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    return page


def _go_to_step(browser_db: BrowserDatabase, key: str, step: int) -> None:
    """The facilitator moves the room on, from another process's point of view."""
    with db.session_scope(browser_db.engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=step)


def _status(page: Page) -> str | None:
    return page.locator(".sc-live-status").first.get_attribute("data-mode")


def test_no_stream_means_polling_and_a_dropped_stream_catches_up(
    room: tuple[models.Canvas, ws.StartedWorkshop, list[str]],
    app_server: AppServer,
    browser_db: BrowserDatabase,
    chromium: Browser,
) -> None:
    _, started, (ada, ben) = room
    key = started.facilitator_key

    # Ada's browser cannot reach the event route (a proxy answers 404 for it)
    polling = _participant(chromium, app_server, ada)
    polling.route(
        f"**{live.EVENTS_PATH}*", lambda route: route.fulfill(status=404, body="Not Found")
    )
    # Ben's stream goes through a proxy the test can cut
    proxy = CuttableProxy(int(app_server.url.rsplit(":", 1)[1]))
    streaming = _participant(chromium, app_server, ben)

    def through_proxy(route: Route) -> None:
        route.continue_(
            url=route.request.url.replace(app_server.url, f"http://127.0.0.1:{proxy.port}")
        )

    streaming.route(f"**{live.EVENTS_PATH}*", through_proxy)
    try:
        for page, token in ((polling, ada), (streaming, ben)):
            page.goto(f"{app_server.url}/Workshop?p={token}")
            expect(page.get_by_text("Step 1 of 5").first).to_be_visible()

        # no stream: the page says so, and a change still reaches it by polling
        expect(polling.get_by_text(POLLING)).to_be_visible()
        expect(streaming.locator('.sc-live-status[data-mode="live"]')).to_have_count(1)
        assert proxy.connections >= 1  # Ben's stream really goes through the proxy
        _go_to_step(browser_db, key, 2)
        expect(polling.get_by_text("Step 2 of 5").first).to_be_visible(timeout=10_000)
        expect(streaming.get_by_text("Step 2 of 5").first).to_be_visible(timeout=10_000)

        # the stream drops: the page tells its viewer it may be stale...
        proxy.cut()
        expect(streaming.get_by_text(RECONNECTING)).to_be_visible(timeout=10_000)
        streaming.mouse.wheel(0, 2_000)  # told wherever the viewer has scrolled
        expect(streaming.get_by_text(RECONNECTING)).to_be_in_viewport()
        _go_to_step(browser_db, key, 3)
        expect(polling.get_by_text("Step 3 of 5").first).to_be_visible(timeout=10_000)
        # ...and it is: nothing reaches it while the line is down
        expect(streaming.get_by_text("Step 2 of 5").first).to_be_visible()
        assert _status(streaming) == "reconnecting"

        # the line is back: it reconnects by itself and catches up from the counter
        before = proxy.connections
        proxy.restore()
        expect(streaming.get_by_text("Step 3 of 5").first).to_be_visible(timeout=10_000)
        expect(streaming.get_by_text(RECONNECTING)).to_have_count(0)
        assert proxy.connections > before
        expect(streaming.locator('.sc-live-status[data-mode="live"]')).to_have_count(1)
        # and it is live again: the next change arrives by push
        _go_to_step(browser_db, key, 4)
        expect(streaming.get_by_text("Step 4 of 5").first).to_be_visible(timeout=10_000)
    finally:
        proxy.close()
        for page in (polling, streaming):
            page.context.close()


def test_a_server_told_to_stop_stops_although_a_page_listens(
    demo_canvas: models.Canvas, app_server: AppServer
) -> None:
    url = f"{app_server.url}{live.EVENTS_PATH}?token={demo_canvas.token}"
    with urllib.request.urlopen(url, timeout=30) as stream:
        assert stream.readline().startswith(b"retry:")  # the stream is open
        app_server.process.terminate()
        try:
            app_server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not stop within 10 s of SIGTERM with a stream open")
        stream.read()  # it ended properly (a stream cut mid-way raises IncompleteRead)
