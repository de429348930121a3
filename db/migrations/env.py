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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place: batch mode copies the table,
            # and the naming convention in models.py lets it find constraints by name.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
