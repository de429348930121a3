"""Completeness of a canvas for the pages, cached by the canvas's change counter.

The sidebar, the step header, the home page and the Overview all show progress; each
would otherwise load every item of the canvas on every rerun. The rules' result only
changes when the canvas does, so it is cached per (database, canvas, change counter)
for all sessions at once.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from strategy_canvas import db
from strategy_canvas.services import canvases
from strategy_canvas.services import progress as progress_service

if TYPE_CHECKING:
    from sqlmodel import Session

    from strategy_canvas.ui.board import Frames
    from strategy_canvas.ui.context import PageContext


@functools.lru_cache(maxsize=256)
def _steps(
    database_url: str, canvas_token: str, revision: int
) -> list[progress_service.StepProgress]:
    del revision  # part of the cache key only
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return progress_service.step_progress(session=session, canvas_token=canvas_token)


def _cached(session: Session, canvas_token: str) -> list[progress_service.StepProgress]:
    revision = canvases.get_revision(session=session, canvas_token=canvas_token)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    return _steps(url, canvas_token, revision)


def steps_at(frames: Frames) -> list[progress_service.StepProgress]:
    """The five steps at the state of the canvas that a live board's ``frames`` show."""
    return list(_steps(frames.database_url, frames.canvas_token, frames.revision))


def steps_for(ctx: PageContext) -> list[progress_service.StepProgress]:
    """The open canvas's five steps, as of this run's change counter (no query if cached)."""
    assert ctx.token is not None
    return list(_steps(ctx.settings.database_url, ctx.token, ctx.revision))


def canvas_progress(*, session: Session, canvas_token: str) -> float:
    """The whole canvas's completeness 0..1: the mean of its steps'."""
    steps = _cached(session, canvas_token)
    return sum(s.score for s in steps) / len(steps)


def percent(score: float) -> str:
    return f"{round(max(0.0, min(1.0, score)) * 100)}%"
