"""Alembic environment: the engine comes from strategy_canvas.db (see db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import strategy_canvas.models  # noqa: F401  (registers the tables)
from strategy_canvas.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or get_engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one; with foreign keys on,
            # that DROP is a DELETE that empties every link pointing at the table (ON
            # DELETE SET NULL) or deletes the rows (CASCADE). Off for the migration
            # (set outside any transaction, on the raw connection), checked after.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things in place: batch mode copies the table,
                # and the naming convention in models.py lets it find constraints by name.
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                connection.rollback()
                if broken:
                    raise RuntimeError(f"the migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
