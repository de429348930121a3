"""A whole canvas as a JSON-ready document: what the JSON export writes, what a version
keeps, and what the history replays its entries on.

The document (format version 1; :mod:`strategy_canvas.export.json_io` describes it for
users and reads it back)::

    {"format": "strategy-canvas", "version": 1, "exported_at": "…",
     "canvas": {"name": …, "product": …, "description": …, "authors": …},
     "items": {"problem": [{"ref": 1, "title": …}, …], "persona": […], …}}

Each item carries its database id as ``ref`` and the fields of its Create schema, in
list order; links hold the ``ref`` of the item they point to. Values are written by
:func:`strategy_canvas.services.activity.json_fields`, as the history writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import activity, items
from strategy_canvas.services.items import canvas_id_for

FORMAT = "strategy-canvas"
VERSION = 1


def item_json(spec: items.ItemType, row: Any) -> dict[str, Any]:
    """One item as the document holds it: ``ref`` (its id) and its fields."""
    return {"ref": row.id, **activity.json_fields({n: getattr(row, n) for n in spec.fields})}


def document_of(canvas: m.Canvas, rows: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """The document of ``canvas`` and its items by kind, in list order (a canvas
    snapshot's rows, or rows read in a session)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": m.utcnow().isoformat(),
        "canvas": {name: getattr(canvas, name) for name in m.CanvasCreate.model_fields},
        "items": {
            kind: [item_json(spec, row) for row in rows[kind]]
            for kind, spec in items.ITEM_TYPES.items()
        },
    }


def canvas_document(*, session: Session, canvas_token: str) -> dict[str, Any]:
    """The canvas and every item as ``session`` sees them now (inside its transaction,
    writes not yet committed included), as a JSON-ready dict (see the module docstring)."""
    canvas_id = canvas_id_for(session, canvas_token)
    canvas = session.get(m.Canvas, canvas_id)
    assert canvas is not None
    rows = {
        kind: items.list_items(session=session, canvas_token=canvas_token, kind=kind)
        for kind in items.ITEM_TYPES
    }
    return document_of(canvas, rows)
