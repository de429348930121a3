"""Backups: every table to one file while writers write, restored into an empty
database of either kind (SQLite to PostgreSQL and back), refused whole when anything is
wrong."""

from __future__ import annotations

import gzip
import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session

from strategy_canvas import db, demo
from strategy_canvas.services import backup, canvases, drafts, items, workshops
from strategy_canvas.services.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def new_sqlite(tmp_path: Path) -> Iterator[Engine]:
    """An empty SQLite file, migrated (as `strategy-canvas` leaves it)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}")
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def new_postgres(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A new, empty PostgreSQL database beside the suite's own, migrated."""
    suite: Engine = request.getfixturevalue("_pg_engine")  # skips without PostgreSQL
    name = f"sc_backup_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(
        suite.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(suite.url.set(database=name).render_as_string(hide_password=False))
    db.migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _fill(engine: Engine) -> str:
    """The demo canvas, an uploaded sketch, a workshop with a participant, a draft."""
    with Session(engine, expire_on_commit=False) as session:
        token = demo.create_demo_canvas(session=session).token
        feature = items.list_items(session=session, canvas_token=token, kind="feature")[0]
        items.create_item(
            session=session,
            canvas_token=token,
            kind="sketch",
            data={"feature_id": feature.id, "image": PNG, "media_type": "image/png"},
        )
        started = workshops.start_workshop(session=session, canvas_token=token, title="Kick-off")
        workshops.join(session=session, display_name="Ana", join_code=started.join_code)
        drafts.save_draft(
            session=session,
            canvas_token=token,
            owner_key="me-123",
            scope="feature:new",
            data={"title": "Half-typed"},
            base_version=None,
        )
        canvases.create_canvas(session=session, canvas_in={"name": "Ünïcode ✓ 字"})
    return token


def _plain(value: Any) -> Any:
    """A value as both databases mean it: moments in UTC (SQLite keeps no offset)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
    return bytes(value) if isinstance(value, memoryview) else value


def _contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as plain values, in key order."""
    out = {}
    with engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(bind=conn)
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            out[table.name] = [tuple(_plain(v) for v in row) for row in rows]
    return out


def test_sqlite_to_postgresql_and_back_keeps_every_row(
    new_sqlite: Engine, new_postgres: Engine, tmp_path: Path
) -> None:
    token = _fill(new_sqlite)
    original = _contents(new_sqlite)
    assert original["sketch"] and original["participant"] and original["canvas_revision"]

    first = backup.write_backup(engine=new_sqlite, path=tmp_path / "a.jsonl.gz")
    assert first.canvases == 2 and first.rows["feature"] == len(original["feature"])
    assert set(first.rows) == set(original)  # every table, none named in the code
    assert first.rows["activity"] > 0  # the canvases' history comes along
    with gzip.open(tmp_path / "a.jsonl.gz", "rt") as handle:
        assert json.loads(handle.readline())["format"] == "strategy-canvas-backup"

    restored = backup.restore_backup(engine=new_postgres, path=tmp_path / "a.jsonl.gz")
    assert restored.rows == {n: c for n, c in first.rows.items() if c}
    assert _contents(new_postgres) == original

    # The app goes on in PostgreSQL: new rows get new ids, the canvas is reached by token.
    with Session(new_postgres, expire_on_commit=False) as session:
        ids = {f.id for f in items.list_items(session=session, canvas_token=token, kind="feature")}
        added = items.create_item(
            session=session, canvas_token=token, kind="feature", data={"title": "After restore"}
        )
        assert added.id > max(ids)

    back = tmp_path / "b.jsonl"
    backup.write_backup(engine=new_postgres, path=back)
    with Session(new_postgres) as session:  # take the new feature out again
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="feature",
            item_id=added.id,
            expected_version=added.version,
        )
    engine = db.make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        db.migrate(engine)
        backup.restore_backup(engine=engine, path=back)
        again = _contents(engine)
        assert len(again["feature"]) == len(original["feature"]) + 1
        # the new feature is in the canvas's history too
        assert len(again["activity"]) == len(original["activity"]) + 1
        grown = ("feature", "canvas_revision", "activity")
        assert {t: rows for t, rows in again.items() if t not in grown} == {
            t: rows for t, rows in original.items() if t not in grown
        }
    finally:
        engine.dispose()


def test_a_backup_is_one_moment_while_writers_go_on(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer adds a feature and its roadmap item in one transaction, again and again.
    The backup starts, and while it is half-way the writer commits more: the file holds
    every pair from before it started and none from after (no roadmap item without its
    feature), and the writer was never blocked."""
    with Session(engine, expire_on_commit=False) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Busy"}).token
    stop = threading.Event()
    committed = [0]
    errors: list[BaseException] = []

    def write_pairs() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                while not stop.is_set():
                    n = committed[0]
                    feature = items.create_item(
                        session=session,
                        canvas_token=token,
                        kind="feature",
                        data={"title": f"F{n}"},
                        commit=False,
                    )
                    items.create_item(
                        session=session,
                        canvas_token=token,
                        kind="roadmap_item",
                        data={"title": f"R{n}", "feature_id": feature.id},
                        commit=False,
                    )
                    session.commit()
                    committed[0] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    real_encode = backup._encode
    paused = threading.Event()

    def encode_after_more_writes(value: Any, kind: str) -> Any:
        if not paused.is_set():  # the snapshot is taken: let the writer commit more
            paused.set()
            before = committed[0]
            deadline = threading.Event()
            for _ in range(200):
                if committed[0] >= before + 3:
                    break
                deadline.wait(0.05)
            at_pause.append((before, committed[0]))
        return real_encode(value, kind)

    at_pause: list[tuple[int, int]] = []
    monkeypatch.setattr(backup, "_encode", encode_after_more_writes)
    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while committed[0] < 3:
            threading.Event().wait(0.02)
        started_with = committed[0]
        summary = backup.write_backup(engine=engine, path=tmp_path / "busy.jsonl")
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not errors, errors
    ((before, during),) = at_pause
    assert during >= before + 3, "the writer was blocked while the backup ran"
    lines = [json.loads(line) for line in (tmp_path / "busy.jsonl").read_text().splitlines()]
    header = lines[0]
    columns = {t["name"]: [c[0] for c in t["columns"]] for t in header["tables"]}
    rows: dict[str, list[dict[str, Any]]] = {}
    for line in lines[1:-1]:
        rows.setdefault(line["table"], []).extend(
            dict(zip(columns[line["table"]], row, strict=True)) for row in line["rows"]
        )
    features = {r["id"]: r["title"] for r in rows["feature"]}
    roadmap = rows.get("roadmap_item", [])
    assert all(r["feature_id"] in features for r in roadmap)  # no half of a transaction
    assert len(features) == len(roadmap) == summary.rows["feature"]
    # one moment: after the backup was asked for, before it paused (and so before the
    # pairs the writer committed while it paused)
    assert started_with <= len(features) <= before < during


@pytest.fixture(scope="module")
def good_backup(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the filled-in database, made once for the tests that spoil it."""
    folder = tmp_path_factory.mktemp("backup")
    shutil.copy(_sqlite_template, folder / "source.db")
    engine = db.make_engine(f"sqlite:///{folder / 'source.db'}")
    try:
        _fill(engine)
        backup.write_backup(engine=engine, path=folder / "good.jsonl")
    finally:
        engine.dispose()
    return folder / "good.jsonl"


def _broken(tmp_path: Path, source: Path, change: Any) -> Path:
    lines = source.read_text().splitlines()
    target = tmp_path / "broken.jsonl"
    target.write_text("\n".join(change(lines)) + "\n")
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines[:-1], "cut short"),
        (lambda lines: [*lines[:-2], lines[-1]], "other row counts"),
        (lambda lines: [lines[0].replace('"version": 1', '"version": 9'), *lines[1:]], "newer"),
        (
            lambda lines: [lines[0].replace('"revision": "', '"revision": "9'), *lines[1:]],
            "does not know",
        ),
        (
            lambda lines: ['{"format": "strategy-canvas", "version": 1}'],
            "not a Strategy Canvas backup",
        ),
        (lambda lines: [lines[0], lines[1][:40]], "not JSON"),
        (
            lambda lines: [lines[0].replace('"id_marks": {', '"id_marks": {"x": "9",'), *lines[1:]],
            "id marks",
        ),
    ],
    ids=[
        "truncated",
        "a-batch-missing",
        "newer-format",
        "unknown-migration",
        "a-canvas-export",
        "garbled",
        "garbled-id-marks",
    ],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_is_written(
    sqlite_engine: Engine, good_backup: Path, tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        backup.restore_backup(engine=sqlite_engine, path=_broken(tmp_path, good_backup, change))
    assert not any(_contents(sqlite_engine).values())
    with Session(sqlite_engine) as session:  # still at the newest schema, and usable
        canvases.create_canvas(session=session, canvas_in={"name": "Fresh"})


def test_a_database_that_holds_anything_is_not_restored_into(
    sqlite_engine: Engine, good_backup: Path
) -> None:
    backup.restore_backup(engine=sqlite_engine, path=good_backup)
    before = _contents(sqlite_engine)
    with pytest.raises(ValidationFailed, match=r"Database: holds rows already: .*canvas \(2\)"):
        backup.restore_backup(engine=sqlite_engine, path=good_backup)
    assert _contents(sqlite_engine) == before


def test_a_backup_from_an_older_schema_is_restored_and_upgraded(tmp_path: Path) -> None:
    """A backup taken before migration 0006 (a feature's labels) comes back into today's
    schema: the database is taken to the backup's migration, filled, then upgraded."""
    old = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(db.alembic_config(old), "0005")
    with old.begin() as conn:  # the tables as migration 0005 left them, through plain SQL
        when = "2026-01-01 00:00:00"
        conn.execute(
            sa.text(
                "INSERT INTO canvas (name, product, description, authors, token, version, "
                "created_at, updated_at) VALUES ('Old', '', '', '', 'tok-old', 1, :when, :when)"
            ),
            {"when": when},
        )
        conn.execute(
            sa.text(
                "INSERT INTO canvas_revision (canvas_id, revision, changed_at) VALUES (1, 3, :when)"
            ),
            {"when": when},
        )
        conn.execute(
            sa.text(
                "INSERT INTO feature (canvas_id, position, version, title, kind, description, "
                "status, external_key, external_url, created_at, updated_at) VALUES "
                "(1, 0, 1, 'Old feature', 'feature', '', 'idea', '', '', :when, :when)"
            ),
            {"when": when},
        )
    summary = backup.write_backup(engine=old, path=tmp_path / "old.jsonl")
    old.dispose()
    assert summary.revision == "0005"
    new = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        db.migrate(new)  # at the newest schema, as the CLI leaves it
        backup.restore_backup(engine=new, path=tmp_path / "old.jsonl")
        with Session(new) as session:
            (feature,) = items.list_items(session=session, canvas_token="tok-old", kind="feature")
            assert (feature.title, feature.labels) == ("Old feature", "")
    finally:
        new.dispose()


def _delete_newest_feature(engine: Engine, token: str) -> int:
    """Delete the canvas's newest feature (it goes to the trash); return its id."""
    with Session(engine, expire_on_commit=False) as session:
        newest = max(
            items.list_items(session=session, canvas_token=token, kind="feature"),
            key=lambda f: f.id or 0,
        )
        assert newest.id is not None
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="feature",
            item_id=newest.id,
            expected_version=newest.version,
        )
        return newest.id


def _new_feature_id(engine: Engine, token: str) -> int:
    with Session(engine, expire_on_commit=False) as session:
        added = items.create_item(
            session=session, canvas_token=token, kind="feature", data={"title": "Added later"}
        )
        assert added.id is not None
        return added.id


def test_a_restored_database_never_gives_a_deleted_items_id_again(
    new_sqlite: Engine, new_postgres: Engine, tmp_path: Path
) -> None:
    """The history names items by id, so ids are never reused (docs/ARCHITECTURE.md,
    "History"). A deleted item keeps its id in the trash; after a restore, in either
    direction, a new item must not get that id, as it would not in the database the
    backup came from."""
    with Session(new_sqlite, expire_on_commit=False) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Ids"}).token
        for title in ("Kept", "Deleted"):
            items.create_item(
                session=session, canvas_token=token, kind="feature", data={"title": title}
            )
    deleted = _delete_newest_feature(new_sqlite, token)
    backup.write_backup(engine=new_sqlite, path=tmp_path / "lite.jsonl")
    backup.restore_backup(engine=new_postgres, path=tmp_path / "lite.jsonl")
    assert _new_feature_id(new_postgres, token) > deleted

    deleted = _delete_newest_feature(new_postgres, token)
    backup.write_backup(engine=new_postgres, path=tmp_path / "pg.jsonl")
    engine = db.make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        db.migrate(engine)
        backup.restore_backup(engine=engine, path=tmp_path / "pg.jsonl")
        assert _new_feature_id(engine, token) > deleted
    finally:
        engine.dispose()
