"""One watcher per app process: what other processes write, and who is here.

- **Other processes' writes.** On PostgreSQL a trigger on ``canvas_revision`` (migration
  0008) sends ``NOTIFY sc_canvas_changed, 'canvas_id:revision'`` with every committed
  write, whoever made it (a page, the CLI, an import, another app process); one
  connection per process ``LISTEN``\\ s and hands each to the hub. On SQLite, which has
  no notifications, one thread asks ``PRAGMA data_version`` every
  :data:`SQLITE_CHECK_SECONDS` (it moves when another connection commits; a few
  microseconds) and only then reads the counters of the watched canvases. Either way,
  every :data:`CATCH_UP_SECONDS` the counters of the watched canvases are read again,
  so a notification lost with a dropped connection delays a screen, never freezes it.
- **Presence.** Screens that receive pushed changes beat every :data:`BEAT_SECONDS`
  (the event route notes it in memory, :meth:`Watcher.beat`); the watcher writes the
  beats of all its screens in one statement every :data:`FLUSH_SECONDS`, then compares
  who is here on each watched canvas with the last look and, when it changed, moves the
  canvas's presence epoch so its screens redraw their presence. A closed tab says so
  (:meth:`Watcher.leave`) and shows as away at once; a lost connection stops beating and
  shows as away within ``PRESENCE_SECONDS`` (a few seconds).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url

from strategy_canvas import db
from strategy_canvas import models as m
from strategy_canvas.live.hub import Hub
from strategy_canvas.services import workshops

LOG = logging.getLogger(__name__)

CHANNEL = "sc_canvas_changed"
SQLITE_CHECK_SECONDS = 0.02
CATCH_UP_SECONDS = 5.0
FLUSH_SECONDS = 0.5
#: how often a pushed screen says it is here (ui/push.py's listener)
BEAT_SECONDS = 1.0
#: the most screens one process remembers beats of (a bound on memory)
MAX_BEATS = 20_000


class Watcher:
    """The process's watcher threads (started and stopped by the app's lifespan)."""

    def __init__(self, hub: Hub, database_url: str) -> None:
        self.hub = hub
        self.database_url = database_url
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._beats: dict[str, datetime] = {}
        self._flushed: dict[str, datetime] = {}
        self._left: set[str] = set()
        self._beats_lock = threading.Lock()
        self._here: dict[int, frozenset[tuple[int, bool]]] = {}
        self.dialect = make_url(database_url).get_backend_name()

    # ----------------------------------------------------------------- life cycle

    def start(self) -> None:
        targets = [self._presence_loop]
        targets.append(self._listen_loop if self.dialect == "postgresql" else self._sqlite_loop)
        for target in targets:
            thread = threading.Thread(target=target, name=f"sc-live-{target.__name__}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    # -------------------------------------------------------------------- beats

    def beat(self, token: str) -> None:
        """A screen holding ``token`` is here now (called from the event route)."""
        with self._beats_lock:
            if len(self._beats) >= MAX_BEATS and token not in self._beats:
                return
            self._beats[token] = m.utcnow()
            self._left.discard(token)

    def leave(self, token: str) -> None:
        """The screen holding ``token`` closed."""
        with self._beats_lock:
            self._beats.pop(token, None)
            self._flushed.pop(token, None)
            self._left.add(token)

    def _take_beats(self) -> tuple[dict[str, datetime], set[str]]:
        with self._beats_lock:
            fresh = {t: at for t, at in self._beats.items() if self._flushed.get(t) != at}
            self._flushed.update(fresh)
            left, self._left = self._left, set()
            # forget screens not seen for a minute
            stale = [t for t, at in self._beats.items() if (_now() - at).total_seconds() > 60]
            for token in stale:
                self._beats.pop(token, None)
                self._flushed.pop(token, None)
        return fresh, left

    # ------------------------------------------------------------------- loops

    def _engine(self) -> Any:
        return db.get_engine(self.database_url)

    def _catch_up(self) -> None:
        watched = self.hub.watched()
        if not watched:
            return
        with db.session_scope(self._engine(), readonly=True) as session:
            found = workshops.revisions(session=session, canvas_ids=watched)
        for canvas_id, revision in found.items():
            self.hub.publish(canvas_id, revision, read=True)

    def _presence_loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self._presence_tick()
            except Exception:  # keep watching: a failed tick is retried on the next
                LOG.exception("presence tick failed")

    def _presence_tick(self) -> None:
        fresh, left = self._take_beats()
        if fresh or left:
            with db.session_scope(self._engine()) as session:
                workshops.record_beats(session=session, seen=fresh)
                for token in left:
                    workshops.mark_away(session=session, participant_token=token)
        watched = self.hub.watched()
        if not watched:
            self._here.clear()
            return
        with db.session_scope(self._engine(), readonly=True) as session:
            here = workshops.here_by_canvas(session=session, canvas_ids=watched)
        for canvas_id, people in here.items():
            # The first look counts as a change too: a screen drawn before its stream
            # connected (and before its own first beat was written) draws presence again.
            if self._here.get(canvas_id) != people:
                self.hub.bump_presence(canvas_id)
                self._here[canvas_id] = people
        for canvas_id in set(self._here) - set(here):
            del self._here[canvas_id]

    def _sqlite_loop(self) -> None:
        path = make_url(self.database_url).database
        if not path or path == ":memory:":
            return
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            last = None
            caught_up = time.monotonic()
            while not self._stop.wait(SQLITE_CHECK_SECONDS):
                try:
                    version = connection.execute("PRAGMA data_version").fetchone()[0]
                    due = time.monotonic() - caught_up > CATCH_UP_SECONDS
                    if version != last or due:
                        last = version
                        caught_up = time.monotonic()
                        self._catch_up()
                except Exception:
                    LOG.exception("SQLite watch failed")
                    self._stop.wait(1.0)
        finally:
            connection.close()

    def _listen_loop(self) -> None:
        import psycopg

        conninfo = (
            make_url(self.database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._catch_up()  # what was written while we were not listening
                    caught_up = time.monotonic()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            self._heard(note.payload)
                        if time.monotonic() - caught_up > CATCH_UP_SECONDS:
                            self._catch_up()
                            caught_up = time.monotonic()
            except Exception:
                LOG.exception("LISTEN %s failed; listening again in a second", CHANNEL)
                self._stop.wait(1.0)

    def _heard(self, payload: str) -> None:
        canvas_id, _, revision = payload.partition(":")
        with contextlib.suppress(ValueError):
            self.hub.publish(int(canvas_id), int(revision))


def _now() -> datetime:
    return m.utcnow()
