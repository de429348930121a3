"""Shared fixtures: real databases (SQLite files and, under `make test`, PostgreSQL), and
the database an app run under AppTest uses (``app_engine``), with or without the demo
canvas (``seeded``).

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

from strategy_canvas import db, models
from strategy_canvas.config import get_settings
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.services import canvases
from tests.dbkit import use_database_file

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# No export is prepared in the background while the suite runs (a PDF render would
# compete with the tests for the CPU and hold a database a test is about to drop);
# tests/test_export_ready.py turns it on for itself. The app servers that browser tests
# start inherit it.
os.environ["STRATEGY_CANVAS_EXPORT_AHEAD"] = "false"


@pytest.fixture(autouse=True)
def _chart_pictures_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page under test waits for its charts' pictures (drawn in a process of their
    own; the app shows the Vega chart until they are), so what it shows does not depend
    on the machine's speed. tests/test_page_implementation.py checks the Vega chart
    standing in until the picture is drawn."""
    from strategy_canvas.ui import chart_view

    monkeypatch.setattr(chart_view, "PICTURE_WAIT", 120.0)


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
    url = sa.engine.make_url(TEST_DATABASE_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker:  # each pytest-xdist worker truncates tables of a database of its own
        url = url.set(database=f"{url.database}_{worker}")
        _create_database_if_missing(url)
    engine = db.make_engine(url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    db.migrate(engine)
    yield engine
    engine.dispose()


def _create_database_if_missing(url: sa.URL) -> None:
    admin = db.make_engine(
        url.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database},
            ).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    finally:
        admin.dispose()


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


# ------------------------------------------------------------ the app under AppTest


@pytest.fixture
def app_engine(
    _sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """A fresh migrated SQLite file that the app under test uses (via DATABASE_URL).

    The URL is new for each test, so neither ``db._engines`` nor the app's
    ``st.cache_resource`` engine (keyed by URL) is shared between tests.
    """
    path = tmp_path / "app.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("STRATEGY_CANVAS_MODE", raising=False)
    monkeypatch.delenv("STRATEGY_CANVAS_ADMIN_PASSCODE", raising=False)
    get_settings.cache_clear()
    engine = db.get_engine(url)
    yield engine
    get_settings.cache_clear()
    db._engines.pop(url, None)
    engine.dispose()


@pytest.fixture(scope="session")
def _demo_template(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """A SQLite file holding the demo canvas, written once for the run, and its token."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with db.session_scope(engine) as session:
        token = create_demo_canvas(session=session).token
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path, token


@pytest.fixture
def seeded(app_engine: Engine, _demo_template: tuple[Path, str]) -> models.Canvas:
    """The demo canvas (every item type, linked) in the app's database: a copy of one
    written once for the run (writing it takes most of a second)."""
    path, token = _demo_template
    use_database_file(app_engine, path)
    with db.session_scope(app_engine, readonly=True) as session:
        return canvases.get_canvas(session=session, canvas_token=token)


@pytest.fixture
def poppler() -> None:
    """The checks read the PDF with poppler-utils; under CI its absence is a failure."""
    if all(shutil.which(tool) for tool in ("pdftotext", "pdfimages", "pdftoppm")):
        return
    if os.environ.get("CI"):
        pytest.fail("poppler-utils (pdftotext, pdfimages, pdftoppm) is not installed")
    pytest.skip("poppler-utils (pdftotext, pdfimages, pdftoppm) is not installed")
