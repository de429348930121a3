"""The process's hub: the latest change counter of each watched canvas, and the event
streams waiting for it to move.

Every write begins with :func:`strategy_canvas.services.items.begin_write`, which notes
the canvas and its new counter in the session (``session.info``); after the commit,
:func:`announce_commits` hands them to the hub, which wakes the streams of that canvas
at once. Writes of other processes reach the hub through the watcher
(:mod:`strategy_canvas.live.watch`). A counter never goes back: an announcement of a
counter the hub has seen already changes nothing, so the same write heard twice (from
this process and from the database) wakes nobody twice; a counter read from the
database is taken as it is.

The streams run on the server's event loop; announcements come from any thread (a
page's script run, the watcher), so waking goes through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from strategy_canvas.services.items import CHANGED_CANVASES


class Hub:
    """Per canvas: its change counter, a presence epoch (moved when who is here changes,
    which goes by time, not by a write), and the events of the streams that watch it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._revision: dict[int, int] = {}
        self._presence: dict[int, int] = {}
        self._waiters: dict[int, set[asyncio.Event]] = {}
        #: set when the server stops: every stream ends (see :meth:`close_streams`)
        self._closing = False

    # ------------------------------------------------------------------ life cycle

    @property
    def running(self) -> bool:
        """Whether this process serves event streams (the app's lifespan started it)."""
        return self._loop is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._closing = False
        install_commit_hook()

    @property
    def closing(self) -> bool:
        """Whether the server is stopping: a stream that wakes up ends."""
        return self._closing

    def close_streams(self) -> None:
        """End every event stream (on the loop, as the server begins to stop): the server
        waits for every response under way to end before it stops, and a stream left
        open never would. The browsers reconnect by themselves to whatever serves next."""
        with self._lock:
            self._closing = True
            waiters = [w for group in self._waiters.values() for w in group]
        _set_all(waiters)

    def stop(self) -> None:
        self._loop = None
        with self._lock:
            self._waiters.clear()

    # --------------------------------------------------------------- announcements

    def publish(self, canvas_id: int, revision: int, *, read: bool = False) -> bool:
        """The canvas's counter is now ``revision``; wake its streams if it moved on.
        Returns whether it did. Safe from any thread.

        Announcements may come late or twice, so only a higher counter counts; ``read``
        marks a counter just read from the database, which is the truth even when lower
        (SQLite may give a deleted canvas's id to a new one)."""
        with self._lock:
            known = self._revision.get(canvas_id, -1)
            if revision == known or (revision < known and not read):
                return False
            self._revision[canvas_id] = revision
            waiters = list(self._waiters.get(canvas_id, ()))
        self._wake(waiters)
        return True

    def bump_presence(self, canvas_id: int) -> None:
        """Who is here on the canvas's workshop changed: wake its streams."""
        with self._lock:
            self._presence[canvas_id] = self._presence.get(canvas_id, 0) + 1
            waiters = list(self._waiters.get(canvas_id, ()))
        self._wake(waiters)

    def _wake(self, waiters: list[asyncio.Event]) -> None:
        loop = self._loop
        if not waiters or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed as the server stopped
            loop.call_soon_threadsafe(_set_all, waiters)

    # --------------------------------------------------------------------- streams

    def subscribe(self, canvas_id: int) -> asyncio.Event:
        """An event set whenever the canvas's counter or presence moves (on the loop)."""
        waiter = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(canvas_id, set()).add(waiter)
        return waiter

    def unsubscribe(self, canvas_id: int, waiter: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(canvas_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[canvas_id]

    def watched(self) -> list[int]:
        """The canvases at least one stream of this process watches."""
        with self._lock:
            return list(self._waiters)

    def streams(self) -> int:
        with self._lock:
            return sum(len(w) for w in self._waiters.values())

    def state(self, canvas_id: int) -> tuple[int, int]:
        """(change counter, presence epoch) as this process knows them (-1: unknown)."""
        with self._lock:
            return self._revision.get(canvas_id, -1), self._presence.get(canvas_id, 0)

    def presence_epoch(self, canvas_id: int) -> int:
        with self._lock:
            return self._presence.get(canvas_id, 0)


def _set_all(waiters: list[asyncio.Event]) -> None:
    for waiter in waiters:
        waiter.set()


#: the process's hub
HUB = Hub()

_hook_lock = threading.Lock()
_hook_installed = False


def announce_commits(session: Session) -> None:
    """After a commit: hand the canvases the transaction changed to the hub."""
    changed: dict[int, int] | None = session.info.pop(CHANGED_CANVASES, None)
    if changed:
        for canvas_id, revision in changed.items():
            HUB.publish(canvas_id, revision)


def _forget_changes(session: Session, *_: Any) -> None:
    """After a rollback nothing was written: nothing to announce."""
    session.info.pop(CHANGED_CANVASES, None)


def install_commit_hook() -> None:
    """Announce every commit of every session of this process (once per process)."""
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return
        event.listen(Session, "after_commit", announce_commits)
        event.listen(Session, "after_rollback", _forget_changes)
        _hook_installed = True
