"""Shared fixtures: real databases (SQLite files and, under `make test`, PostgreSQL).

The PostgreSQL server is started by `make test` (scripts/ensure-postgres.sh), which
exports TEST_DATABASE_URL. Without it the PostgreSQL half of each parametrised test is
skipped locally; under CI (CI=true) its absence is a failure, so it cannot pass unseen.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from strategy_canvas import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once through the real Alembic migrations."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_engine(_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated SQLite file with the production pragmas (WAL, busy timeout)."""
    path = tmp_path / "test.db"
    shutil.copy(_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine]:
    if not TEST_DATABASE_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL is not set: `make test` starts PostgreSQL and sets it")
        pytest.skip("PostgreSQL: TEST_DATABASE_URL not set (run `make test`)")
    engine = db.make_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(_pg_engine: Engine) -> Iterator[Engine]:
    """The test PostgreSQL database, emptied before each test."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with _pg_engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield _pg_engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test that takes it runs on SQLite and on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
