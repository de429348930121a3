"""The whole database to one file while the app runs, and back into an empty database.

A backup is a consistent snapshot of **every table** the database holds (canvases, their
items, drafts, workshops, and whatever tables later migrations add, such as a canvas's
history), taken in one read transaction: SQLite's WAL and PostgreSQL's ``REPEATABLE
READ`` give that transaction one moment's view of all tables while writers carry on.
Nothing names a table here, so a new table is backed up without a code change.

The file is JSON Lines, gzip-compressed when its name ends in ``.gz``::

    {"format": "strategy-canvas-backup", "version": 1, "revision": "0006", ...,
     "tables": [{"name": "canvas", "columns": [["id", "int"], ["name", "text"], ...]}, ...],
     "id_marks": {"feature": 131, ...}}
    {"table": "canvas", "rows": [[1, "Tidewater", ...], ...]}    # up to 500 rows a line
    ...
    {"end": true, "rows": {"canvas": 3, "feature": 120, ...}}

Values are JSON: dates as ISO text, moments as ISO text in UTC (the app stores only
UTC; SQLite keeps it without an offset, PostgreSQL with one), binary (sketch images) as
base64, each decoded by the column's type named in the header. So a backup of SQLite restores into
PostgreSQL and back.

:func:`restore_backup` loads a file into an **empty** database: it brings the schema to
the migration the backup was taken at, inserts every row in one transaction (links
that point forwards are set once their target exists), moves PostgreSQL's id sequences
past the restored ids and past every id ever given (``id_marks``: the history names
items by id, so the id of a deleted item is never given again, restored or not), and
upgrades to the newest migration. Anything wrong (a foreign
or newer file, a truncated one, a database that is not empty) is refused with nothing
written.

See docs/ARCHITECTURE.md, "Backups".
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from strategy_canvas import db
from strategy_canvas.services.errors import ValidationFailed

FORMAT = "strategy-canvas-backup"
VERSION = 1
BATCH = 500
_WHAT = "Backup"
_SKIPPED_TABLES = {"alembic_version"}


def _error(
    message: str, *, field_name: str = "file", label: str = "Backup file"
) -> ValidationFailed:
    return ValidationFailed.single(field_name, label, message, what=_WHAT)


# ------------------------------------------------------------------------- types


def _kind(column_type: sa.types.TypeEngine[Any]) -> str:
    """The JSON form a column's values take in the file."""
    if isinstance(column_type, sa.Boolean):
        return "bool"
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.Integer):
        return "int"
    if isinstance(column_type, sa.Float):
        return "float"
    if isinstance(column_type, sa.Numeric):
        return "decimal"
    if isinstance(column_type, sa.LargeBinary):
        return "bytes"
    if isinstance(column_type, sa.JSON):
        return "json"
    return "text"


def _utc(value: datetime) -> datetime:
    """The app stores every moment in UTC; SQLite keeps it without an offset."""
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return _utc(value).isoformat()
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if isinstance(value, datetime | date):  # a column reflected as text that holds dates
        return value.isoformat()
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return _utc(datetime.fromisoformat(value))
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bool":
        return bool(value)
    return value


# ----------------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupSummary:
    path: str
    revision: str | None
    #: table -> rows written
    rows: dict[str, int]
    size: int

    @property
    def canvases(self) -> int:
        return self.rows.get("canvas", 0)

    def describe(self) -> str:
        total = sum(self.rows.values())
        return (
            f"{self.canvases:,} canvas{'es' if self.canvases != 1 else ''} "
            f"({total:,} rows in {len(self.rows)} tables, migration {self.revision})"
        )


def _tables(conn: sa.Connection) -> list[sa.Table]:
    """Every table of the database, parents before the tables that point to them."""
    metadata = sa.MetaData()
    metadata.reflect(bind=conn)
    return [t for t in metadata.sorted_tables if t.name not in _SKIPPED_TABLES]


def _integer_key(table: sa.Table) -> sa.Column[Any] | None:
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 and isinstance(keys[0].type, sa.Integer) else None


def _sequence(conn: sa.Connection, table: sa.Table) -> str | None:
    """PostgreSQL: the name of the sequence that numbers ``table``'s rows, if any."""
    key = _integer_key(table)
    if key is None:
        return None
    return conn.execute(
        sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": f'"{table.name}"', "column": key.name},
    ).scalar_one_or_none()


def _id_marks(conn: sa.Connection, tables: list[sa.Table]) -> dict[str, int]:
    """table -> the highest id it ever gave, deleted rows' included, where the database
    keeps that apart from the rows (SQLite's ``AUTOINCREMENT``, PostgreSQL's sequences).

    The history names items by id and a deleted item keeps its id in the trash, so a
    restored database must not give those ids again (docs/ARCHITECTURE.md, "History").
    """
    if conn.dialect.name == "sqlite":
        if (
            conn.execute(
                sa.text(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
                )
            ).first()
            is None
        ):
            return {}
        found = conn.execute(sa.text("SELECT name, seq FROM sqlite_sequence")).all()
        return {str(name): int(seq) for name, seq in found if seq is not None}
    marks = {}
    for table in tables:
        sequence = _sequence(conn, table)
        if sequence is None:
            continue
        last = conn.execute(
            sa.text("SELECT pg_sequence_last_value(CAST(:sequence AS regclass))"),
            {"sequence": sequence},
        ).scalar_one_or_none()
        if last is not None:
            marks[table.name] = int(last)
    return marks


def _snapshot_connection(engine: Engine) -> sa.Connection:
    """A connection whose transaction sees one moment of every table, blocking no one."""
    if db.is_sqlite(engine):
        # BEGIN (deferred, as read-only sessions do): in WAL mode the first read fixes
        # the snapshot, and writers go on writing to the log meanwhile.
        return engine.execution_options(readonly=True).connect()
    return engine.connect().execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    )


def _open_for_writing(path: Path) -> tuple[IO[bytes], str]:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    return os.fdopen(fd, "wb"), tmp


def write_backup(*, engine: Engine, path: str | Path) -> BackupSummary:
    """Write every table of the database to ``path`` (see the module docstring).

    The file appears whole or not at all: it is written beside ``path`` and renamed.
    """
    path = Path(path)
    handle, tmp = _open_for_writing(path)
    rows: dict[str, int] = {}
    try:
        raw: Any = gzip.GzipFile(fileobj=handle, mode="wb") if path.suffix == ".gz" else handle
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        with _snapshot_connection(engine) as conn, conn.begin():
            revision = MigrationContext.configure(conn).get_current_revision()
            tables = _tables(conn)
            kinds = {t.name: [(c.name, _kind(c.type)) for c in t.columns] for t in tables}
            header = {
                "format": FORMAT,
                "version": VERSION,
                "revision": revision,
                "created_at": datetime.now().astimezone().isoformat(),
                "source": engine.dialect.name,
                "tables": [{"name": t.name, "columns": kinds[t.name]} for t in tables],
                "id_marks": _id_marks(conn, tables),
            }
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for table in tables:
                rows[table.name] = 0
                order = list(table.primary_key.columns) or list(table.columns)
                result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                    sa.select(table).order_by(*order)
                )
                columns = kinds[table.name]
                for part in result.partitions(BATCH):
                    batch = [
                        [
                            _encode(value, kind)
                            for value, (_, kind) in zip(row, columns, strict=True)
                        ]
                        for row in part
                    ]
                    out.write(
                        json.dumps({"table": table.name, "rows": batch}, ensure_ascii=False) + "\n"
                    )
                    rows[table.name] += len(batch)
        out.write(json.dumps({"end": True, "rows": rows}) + "\n")
        out.flush()
        out.detach()
        if raw is not handle:
            raw.close()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(tmp, path)
    except BaseException:
        handle.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    return BackupSummary(str(path), revision, rows, path.stat().st_size)


# ---------------------------------------------------------------------- restore


@dataclass
class _Reader:
    lines: Iterator[str]
    number: int = 0

    def next(self) -> dict[str, Any] | None:
        try:
            line = next(self.lines)
        except StopIteration:
            return None
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise _error(f"cannot be read past line {self.number:,}: {exc}") from None
        self.number += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise _error(f"line {self.number:,} is not JSON; the file is damaged or cut") from None
        if not isinstance(record, dict):
            raise _error(f"line {self.number:,} is not a JSON object")
        return record


def _open_for_reading(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:  # alembic's ResolutionError and friends
        return False


def _check_header(header: dict[str, Any] | None, engine: Engine) -> dict[str, Any]:
    if header is None or header.get("format") != FORMAT:
        raise _error("is not a Strategy Canvas backup (see `strategy-canvas backup`)")
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise _error(
            f"is a backup of format {version!r}, written by a newer Strategy Canvas; "
            f"this one reads format {VERSION}: update Strategy Canvas to restore it"
        )
    revision = header.get("revision")
    scripts = ScriptDirectory.from_config(db.alembic_config(engine))
    if revision is not None and not _known(scripts, revision):
        raise _error(
            f"was taken at migration {revision}, which this Strategy Canvas does not know; "
            "restore it with the version that wrote it, or a newer one"
        )
    return header


def _rows_in(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = [n for n in sa.inspect(conn).get_table_names() if n not in _SKIPPED_TABLES]
        counts = {
            n: conn.execute(sa.select(sa.func.count()).select_from(sa.table(n))).scalar_one()
            for n in names
        }
    return {n: c for n, c in counts.items() if c}


def _to_revision(engine: Engine, revision: str | None) -> None:
    """The empty database's schema at ``revision`` (None: no tables at all)."""
    config = db.alembic_config(engine)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == revision:
        return
    scripts = ScriptDirectory.from_config(config)
    target = revision or "base"
    if current is None or (
        revision is not None
        and current in {r.revision for r in scripts.iterate_revisions(revision, "base")}
    ):
        command.upgrade(config, target)
    else:
        command.downgrade(config, target)


@dataclass
class _Loader:
    """Inserts one table's rows, leaving links to rows not yet loaded for later."""

    conn: sa.Connection
    tables: dict[str, sa.Table]
    loaded: set[str] = field(default_factory=set)
    #: (table, primary key values, column, value) to set once every table is in
    later: list[tuple[sa.Table, dict[str, Any], str, Any]] = field(default_factory=list)

    def forward_links(self, table: sa.Table) -> set[str]:
        """Nullable columns that point to this table or one not loaded yet."""
        return {
            fk.parent.name
            for fk in table.foreign_keys
            if fk.parent.nullable
            and (fk.column.table.name == table.name or fk.column.table.name not in self.loaded)
        }

    def insert(
        self, table: sa.Table, columns: list[tuple[str, str]], batch: list[list[Any]]
    ) -> None:
        forward = self.forward_links(table)
        keys = [c.name for c in table.primary_key.columns]
        records = []
        for raw in batch:
            if len(raw) != len(columns):
                raise _error(
                    f"a row of table {table.name} has {len(raw)} values for {len(columns)} columns"
                )
            record = {
                name: _decode(value, kind) for value, (name, kind) in zip(raw, columns, strict=True)
            }
            for name in forward:
                if record.get(name) is not None:
                    self.later.append((table, {k: record[k] for k in keys}, name, record[name]))
                    record[name] = None
            records.append(record)
        if records:
            self.conn.execute(table.insert(), records)

    def finish(self) -> None:
        for table, key, name, value in self.later:
            where = [table.c[k] == v for k, v in key.items()]
            self.conn.execute(sa.update(table).where(*where).values({name: value}))


def _advance_sequences(conn: sa.Connection, tables: list[sa.Table], marks: dict[str, int]) -> None:
    """Each table's ids continue after the highest restored id and after the highest id
    the backed-up database ever gave (its ``id_marks``), so no id is given twice."""
    if conn.dialect.name == "sqlite":
        _advance_sqlite_sequences(conn, tables, marks)
        return
    for table in tables:
        sequence = _sequence(conn, table)
        key = _integer_key(table)
        if sequence is None or key is None:
            continue
        top = max(
            conn.execute(sa.select(sa.func.max(key))).scalar_one() or 0,
            marks.get(table.name, 0),
        )
        if top:
            conn.execute(
                sa.text("SELECT setval(:sequence, :top)"), {"sequence": sequence, "top": top}
            )


def _advance_sqlite_sequences(
    conn: sa.Connection, tables: list[sa.Table], marks: dict[str, int]
) -> None:
    """SQLite: an ``AUTOINCREMENT`` table never gives an id up to its ``sqlite_sequence``
    entry, which inserting the rows has set to their highest id; raise it to the mark."""
    counting = {
        str(name)
        for (name,) in conn.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND upper(sql) LIKE '%AUTOINCREMENT%'"
            )
        )
    }
    for table in tables:
        mark = marks.get(table.name)
        if table.name not in counting or not mark:
            continue
        raised = conn.execute(
            sa.text("UPDATE sqlite_sequence SET seq = max(seq, :mark) WHERE name = :name"),
            {"mark": mark, "name": table.name},
        )
        if not raised.rowcount:
            conn.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :mark)"),
                {"mark": mark, "name": table.name},
            )


@dataclass(frozen=True)
class RestoreSummary:
    revision: str | None
    rows: dict[str, int]

    @property
    def canvases(self) -> int:
        return self.rows.get("canvas", 0)


def restore_backup(*, engine: Engine, path: str | Path) -> RestoreSummary:
    """Load the backup at ``path`` into the empty database behind ``engine``, then
    upgrade it to the newest migration. Raises ValidationFailed, with nothing written,
    for a file that is not a whole backup or a database that holds anything."""
    path = Path(path)
    with _open_for_reading(path) as stream:
        reader = _Reader(iter(stream))
        header = _check_header(reader.next(), engine)
        present = _rows_in(engine)
        if present:
            listed = ", ".join(f"{n} ({c:,})" for n, c in sorted(present.items())[:5])
            raise _error(
                f"holds rows already: {listed}. A backup is restored into an empty "
                "database; point DATABASE_URL at a new one",
                field_name="database",
                label="Database",
            )
        revision = header.get("revision")
        _to_revision(engine, revision)
        counts: dict[str, int] = {}
        try:
            with engine.begin() as conn:
                metadata = sa.MetaData()
                metadata.reflect(bind=conn)
                columns = {t["name"]: [tuple(c) for c in t["columns"]] for t in header["tables"]}
                missing = [name for name in columns if name not in metadata.tables]
                if missing:
                    raise _error(f"has tables this database's schema lacks: {', '.join(missing)}")
                loader = _Loader(conn, dict(metadata.tables))
                current = ""
                while (record := reader.next()) is not None:
                    if record.get("end"):
                        break
                    name = str(record.get("table"))
                    if name not in columns or not isinstance(record.get("rows"), list):
                        raise _error(f"line {reader.number:,} names no table of the backup")
                    if name != current:
                        if current:
                            loader.loaded.add(current)
                        current = name
                    loader.insert(metadata.tables[name], columns[name], record["rows"])
                    counts[name] = counts.get(name, 0) + len(record["rows"])
                else:
                    raise _error("ends before its last line: the backup was cut short")
                expected = {n: c for n, c in record.get("rows", {}).items() if c}
                if {n: c for n, c in counts.items() if c} != expected:
                    raise _error("holds other row counts than its last line says; it is damaged")
                loader.finish()
                marks = header.get("id_marks") or {}
                if not isinstance(marks, dict) or not all(
                    isinstance(v, int) for v in marks.values()
                ):
                    raise _error("has id marks that are not whole numbers; it is damaged")
                _advance_sequences(conn, list(metadata.tables.values()), marks)
        except BaseException:
            db.migrate(engine)  # leave the empty database at the newest schema
            raise
    db.migrate(engine)
    return RestoreSummary(revision, counts)
