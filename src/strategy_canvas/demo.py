"""A complete demo strategy: Tidewater, a meal-planning app for busy families.

Every item type is filled and linked along the spine (problem → persona → goal → feature
→ roadmap item → key result → feedback), the way a product manager would write it a
few months into the work, as of the strategy review on :data:`ANCHOR`.

The demo is data, not code: ``demo_canvas.json`` beside this module is a canvas in the
JSON export format (:mod:`strategy_canvas.export.json_io`), and :func:`create_demo_canvas`
loads it through the same import a user's file goes through — validated whole, then
written in one transaction, so either the whole demo exists or none of it. To change the
demo, edit the file (or change a demo canvas in the app and export it as JSON); its
dates are written out, so the demo is the same every time it is created.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.export import json_io
from strategy_canvas.services import activity

#: "Today" in the demo: the strategy review at the start of September 2026.
ANCHOR = date(2026, 9, 1)
#: the demo canvas, in the JSON export format
DEMO_FILE = Path(__file__).with_name("demo_canvas.json")


def demo_document() -> dict[str, Any]:
    """The demo canvas as a JSON document, read and checked like an uploaded file."""
    return json_io.load_document(DEMO_FILE.read_bytes())


def create_demo_canvas(*, session: Session) -> m.Canvas:
    """Create the Tidewater demo canvas and return it (committed). Its history starts
    with one entry: created by the app, from the demo."""
    return json_io.import_canvas(
        session=session, document=demo_document(), actor=activity.SYSTEM, origin="the demo"
    )
