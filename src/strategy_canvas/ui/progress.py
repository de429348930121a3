"""Completeness of a canvas for the pages: each step's progress and what it misses,
read from the canvas's snapshot (:attr:`CanvasSnapshot.steps`), so the sidebar, the step
header, the home page and the Overview compute it once per change of the canvas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strategy_canvas.rules.percent import percent_text
from strategy_canvas.services import progress as progress_service
from strategy_canvas.services import snapshot

if TYPE_CHECKING:
    from sqlmodel import Session

    from strategy_canvas.ui.context import PageContext


def steps_for(ctx: PageContext) -> list[progress_service.StepProgress]:
    """The open canvas's five steps, as of this run's change counter (no query if cached)."""
    return list(ctx.snapshot().steps)


def canvas_progress(*, session: Session, canvas_token: str) -> float:
    """The whole canvas's completeness 0..1: the mean of its steps'."""
    return snapshot.snapshot(session=session, canvas_token=canvas_token).completeness


def percent(score: float) -> str:
    """A step's or the canvas's completeness as the pages print it."""
    return percent_text(max(0.0, min(1.0, score)))
