"""Completeness of a canvas, when the progress service is installed.

The service (``strategy_canvas.services.progress``) is written separately; until it
lands, every function here answers ``None`` and the pages show no completeness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from strategy_canvas.services import progress as progress_service
except ImportError:  # the service has not landed yet
    progress_service = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from sqlmodel import Session


def available() -> bool:
    return progress_service is not None


def step_progress(*, session: Session, canvas_token: str) -> dict[int, Any] | None:
    """step number -> StepProgress (``score`` 0..1, ``missing``), or None without the service."""
    if progress_service is None:
        return None
    rows = progress_service.step_progress(session=session, canvas_token=canvas_token)
    return {row.step: row for row in rows}


def canvas_progress(*, session: Session, canvas_token: str) -> float | None:
    """The whole canvas's completeness 0..1, or None without the service."""
    if progress_service is None:
        return None
    overall = getattr(progress_service, "canvas_progress", None)
    if overall is not None:
        return float(overall(session=session, canvas_token=canvas_token))
    steps = step_progress(session=session, canvas_token=canvas_token) or {}
    return sum(s.score for s in steps.values()) / len(steps) if steps else 0.0


def percent(score: float) -> str:
    return f"{round(max(0.0, min(1.0, score)) * 100)}%"
