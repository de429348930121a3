"""Helpers for tests: a database prepared once and copied (tests/conftest.py), and a
canvas document compared without its database ids."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from strategy_canvas.services import items


def use_database_file(engine: Engine, source: Path) -> None:
    """Make ``engine``'s SQLite file a copy of ``source`` (a prepared database)."""
    engine.dispose()
    target = Path(engine.url.database or "")
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    shutil.copy(source, target)


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """The document with refs replaced by list positions and the timestamp dropped."""
    doc = copy.deepcopy(document)
    doc.pop("exported_at", None)
    position = {
        kind: {entry["ref"]: i for i, entry in enumerate(entries)}
        for kind, entries in doc["items"].items()
    }
    for kind, entries in doc["items"].items():
        spec = items.ITEM_TYPES[kind]
        for entry in entries:
            entry["ref"] = position[kind][entry["ref"]]
            for link, target in spec.links.items():
                if entry.get(link) is not None:
                    entry[link] = position[target][entry[link]]
    for kind in items.ITEM_TYPES:  # a missing list is an empty one
        doc["items"].setdefault(kind, [])
    return doc
