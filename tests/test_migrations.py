"""Migrations build exactly the models' schema, on SQLite and PostgreSQL, from anywhere.

A model changed without a migration fails `test_upgrade_from_empty_matches_models`:
Alembic's autogenerate comparison must find nothing to do after `upgrade head`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import strategy_canvas.models  # noqa: F401  (registers the tables)
from strategy_canvas import config, db

REPO_ROOT = Path(__file__).resolve().parents[1]


def schema_diffs(engine: Engine) -> list[Any]:
    """What `alembic revision --autogenerate` would write for this database (nothing, ideally)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()


def table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


MODEL_TABLES = {t.name for t in SQLModel.metadata.sorted_tables}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database
    created beside the suite's own (so the suite's database is left alone)."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    suite_engine: Engine = request.getfixturevalue("_pg_engine")  # skips without PostgreSQL
    name = f"sc_migrations_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(
        suite_engine.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(
        suite_engine.url.set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_upgrade_from_empty_matches_models(empty_engine: Engine) -> None:
    assert table_names(empty_engine) == set()
    db.migrate(empty_engine)
    assert table_names(empty_engine) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == head_revision(empty_engine)
    diffs = schema_diffs(empty_engine)
    assert diffs == [], (
        "the migrations do not build the models' schema; write a migration "
        f"(alembic revision --autogenerate) for: {diffs}"
    )


def test_suite_databases_match_models(engine: Engine) -> None:
    """The databases every other test uses are at head, with the models' schema."""
    assert current_revision(engine) == head_revision(engine)
    assert schema_diffs(engine) == []


def test_migrate_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrations are found wherever the app is started from, and the database's folder
    is created when it is missing (as db/ is on a fresh clone)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = tmp_path / "project" / "db" / "strategy_canvas.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.migrate(engine)
        assert path.is_file()
        assert current_revision(engine) == head_revision(engine)
        assert table_names(engine) == MODEL_TABLES | {"alembic_version"}
    finally:
        engine.dispose()
    assert list(elsewhere.iterdir()) == [], "migrating wrote into the working directory"


def test_migrate_without_arguments_uses_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db.migrate()` with no engine (as the CLI calls it) migrates the configured DATABASE_URL,
    from any working directory."""
    path = tmp_path / "configured" / "app.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    config.get_settings.cache_clear()
    try:
        db.migrate()
        engine = db.get_engine()
        assert engine.url.database == str(path)
        assert current_revision(engine) == head_revision(engine)
    finally:
        config.get_settings.cache_clear()
        with db._engines_lock:
            stale = db._engines.pop(url, None)
        if stale is not None:
            stale.dispose()


def test_migrate_twice_is_a_no_op(empty_engine: Engine) -> None:
    db.migrate(empty_engine)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(empty_engine, "before_cursor_execute", record)
    try:
        db.migrate(empty_engine)
    finally:
        sa.event.remove(empty_engine, "before_cursor_execute", record)
    ddl = [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper()
        in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    ]
    assert ddl == []
    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert schema_diffs(empty_engine) == []


def test_downgrade_to_base_and_upgrade_again_sqlite(sqlite_engine: Engine) -> None:
    config_ = db.alembic_config(sqlite_engine)
    command.downgrade(config_, "base")
    assert table_names(sqlite_engine) - {"alembic_version"} == set()
    assert current_revision(sqlite_engine) is None
    command.upgrade(config_, "head")
    assert current_revision(sqlite_engine) == head_revision(sqlite_engine)
    assert schema_diffs(sqlite_engine) == []


def test_every_revision_downgrades_and_upgrades_one_step_sqlite(tmp_path: Path) -> None:
    """Walk the chain one revision at a time, down and up, so each step is exercised."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'steps.db'}")
    try:
        config_ = db.alembic_config(engine)
        script = ScriptDirectory.from_config(config_)
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        for revision in revisions:
            command.upgrade(config_, revision)
            assert current_revision(engine) == revision
        for _ in revisions:
            command.downgrade(config_, "-1")
        assert current_revision(engine) is None
        command.upgrade(config_, "head")
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        # Two pooled connections at once (each ends its transaction before the next one
        # begins: write transactions begin IMMEDIATE and would wait for each other).
        with engine.connect() as first, engine.connect() as second:
            seen = set()
            for conn in (first, second):
                seen.add(id(conn.connection.dbapi_connection))
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                assert busy is not None and busy >= 1000
                conn.commit()
            assert len(seen) == 2
    finally:
        engine.dispose()


def test_sqlite_foreign_keys_are_enforced(sqlite_engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), sqlite_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO canvas_revision (canvas_id, revision, changed_at) "
                "VALUES (424242, 1, '2026-01-01 00:00:00')"
            )
        )


def test_default_database_url_is_under_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = config.Settings(_env_file=None)
    url = make_url(settings.database_url)
    assert url.get_backend_name() == "sqlite"
    assert url.database is not None
    path = Path(url.database)
    assert path.is_absolute()
    assert path == REPO_ROOT / "db" / "strategy_canvas.db"
    assert config.PROJECT_ROOT == REPO_ROOT
    assert (config.PROJECT_ROOT / "pyproject.toml").is_file()
    assert db.MIGRATIONS_DIR == REPO_ROOT / "db" / "migrations"
    assert (db.MIGRATIONS_DIR / "env.py").is_file()


def test_default_database_file_is_ignored_by_git() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "db/*.db" in ignored or "/db/*.db" in ignored
    assert os.path.basename(config.DEFAULT_SQLITE_PATH).endswith(".db")


def _insert_linked_canvas(engine: Engine) -> None:
    """A canvas with a persona that a goal links to, written with plain SQL (the
    models may be ahead of the schema being upgraded)."""
    now = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO canvas (id, name, product, description, authors, token, version, "
                "created_at, updated_at) VALUES (1, 'Old', '', '', '', 'old-token', 1, :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO canvas_revision (canvas_id, revision, changed_at) VALUES (1, 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO persona (id, canvas_id, position, version, name, kind, description, "
                "jobs, pains, gains, created_at, updated_at) "
                "VALUES (7, 1, 0, 1, 'Busy parent', 'persona', '', '', '', '', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO goal (id, canvas_id, position, version, title, description, "
                "persona_id, created_at, updated_at) VALUES (3, 1, 0, 1, 'Grow', '', 7, :t, :t)"
            ),
            {"t": now},
        )


def test_upgrading_keeps_canvases_and_their_links_and_starts_their_history(
    empty_engine: Engine,
) -> None:
    """From before the history (and before 0005, which copies the persona table on
    SQLite): the canvas, its items and the links between them come through whole, and
    its history starts with one entry saying so."""
    config_ = db.alembic_config(empty_engine)
    command.upgrade(config_, "0004")
    _insert_linked_canvas(empty_engine)
    command.upgrade(config_, "head")
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT persona_id FROM goal")).scalar() == 7
        assert conn.execute(sa.text("SELECT name FROM persona")).scalar() == "Busy parent"
        started = conn.execute(sa.text("SELECT canvas_id, action, actor_name FROM activity")).all()
    assert [tuple(r) for r in started] == [(1, "start", "Strategy Canvas")]
    assert schema_diffs(empty_engine) == []


def test_after_the_upgrade_a_deleted_items_id_is_never_given_again(empty_engine: Engine) -> None:
    """The history names items by id: on SQLite too, the newest item's id is not reused
    after it is deleted (AUTOINCREMENT), as PostgreSQL's sequences never reuse one."""
    from sqlmodel import Session

    from strategy_canvas.services import canvases, items

    db.migrate(empty_engine)
    with Session(empty_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Ids"}).token
        first = items.create_item(
            session=session, canvas_token=token, kind="persona", data={"name": "A"}
        )
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="persona",
            item_id=first.id,
            expected_version=first.version,
        )
        second = items.create_item(
            session=session, canvas_token=token, kind="persona", data={"name": "B"}
        )
    assert second.id != first.id
