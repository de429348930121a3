"""The database: one engine per process, SQLite pragmas, migrations, sessions.

SQLite is the default (a file under db/ in the project root, whatever the working
directory); PostgreSQL is reached by pointing ``DATABASE_URL`` at it. The same
Alembic migrations (under db/migrations) build both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from strategy_canvas.config import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and transactions we begin ourselves.

    pysqlite's own transaction handling begins lazily and cannot take the write
    lock up front. We switch it off and emit BEGIN ourselves: ``BEGIN IMMEDIATE``
    for sessions that may write (so a writer waits its turn under the busy
    timeout instead of failing with "database is locked" when it upgrades a read
    lock), plain ``BEGIN`` for read-only sessions, which never block in WAL mode.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get("readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url`` with the project's settings (pragmas on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _install_sqlite_pragmas(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default: the configured DATABASE_URL)."""
    url = url or get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine | None = None) -> None:
    """Upgrade the database to the newest migration (a no-op when it is there)."""
    from alembic import command

    engine = engine or get_engine()
    command.upgrade(alembic_config(engine), "head")


@contextmanager
def session_scope(engine: Engine | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """A session for one unit of work; ``readonly`` sessions never wait for writers."""
    engine = engine or get_engine()
    bind = engine.execution_options(readonly=True) if readonly else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session
