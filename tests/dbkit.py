"""Helpers for tests that prepare a database once and copy it (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine


def use_database_file(engine: Engine, source: Path) -> None:
    """Make ``engine``'s SQLite file a copy of ``source`` (a prepared database)."""
    engine.dispose()
    target = Path(engine.url.database or "")
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    shutil.copy(source, target)
