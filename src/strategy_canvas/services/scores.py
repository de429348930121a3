"""Saving the features' scores from the scoring grid, row by row.

Each row is an :class:`~strategy_canvas.services.edits.ItemEdit` of one feature: the
version the grid showed and only the scores the user changed. Each is written on its
own, with its version check (docs/ARCHITECTURE.md, "The write path and its version
check"): a row someone else saved meanwhile is not written, a row with a refused value
is not written, and neither stops the other rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from strategy_canvas import scoring
from strategy_canvas.services import edits
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import FieldError, NotFound, ValidationFailed

#: what a feature's row in the scoring grid holds, in the grid's column order
SCORE_FIELDS: tuple[str, ...] = (*scoring.SCORE_INPUTS, *scoring.RANGE_INPUTS)


#: what else of a feature its row in the grid edits: whom it serves and what it reaches
LINK_FIELDS: tuple[str, ...] = ("persona_id", "goal_id")
#: every field of a feature the grid writes
GRID_FIELDS: tuple[str, ...] = (*LINK_FIELDS, *SCORE_FIELDS)


def scores_of(row: Any) -> dict[str, Any]:
    """The scoring fields of a stored feature."""
    return {name: getattr(row, name, None) for name in SCORE_FIELDS}


@dataclass
class ScoresSaved:
    """What came of saving the grid's rows, by feature id."""

    #: saved rows and the version each is at now
    saved: dict[int, int] = field(default_factory=dict)
    #: rows someone else saved after the grid showed them: nothing written
    conflicts: dict[int, edits.Conflict] = field(default_factory=dict)
    #: rows with a value the services refuse: nothing written
    refused: dict[int, edits.Refused] = field(default_factory=dict)
    #: rows whose feature someone else deleted
    gone: list[int] = field(default_factory=list)


def _not_scores(edit: edits.ItemEdit) -> edits.Refused | None:
    wrong = [name for name in edit.values if name not in GRID_FIELDS]
    if edit.kind == "feature" and edit.item_id is not None and not wrong:
        return None
    return edits.Refused(
        ValidationFailed(
            [FieldError(name, name, "is not a score of a feature") for name in wrong]
            or [FieldError("id", "Feature", "the grid scores existing features only")],
            what="Scores",
        )
    )


def save_scores(
    *,
    session: Session,
    canvas_token: str,
    rows: Mapping[int, edits.ItemEdit],
    actor: Actor | None = None,
) -> ScoresSaved:
    """Write each row (feature id -> its edit) on its own, in its own transaction; the
    history keeps the rows ``actor`` saved as one action, which one undo takes back."""
    result = ScoresSaved()
    one_action = actor.one_action() if actor is not None else None
    for feature_id, edit in rows.items():
        outcome = _not_scores(edit) or edits.save_edit(
            session=session, canvas_token=canvas_token, edit=edit, actor=one_action
        )
        if isinstance(outcome, edits.Saved):
            row = outcome.row
            result.saved[feature_id] = int(
                row.version if row is not None else edit.base_version or 0
            )
        elif isinstance(outcome, edits.Conflict) and not outcome.deleted:
            result.conflicts[feature_id] = outcome
        elif isinstance(outcome, edits.Conflict) or isinstance(outcome.error, NotFound):
            result.gone.append(feature_id)
        else:
            result.refused[feature_id] = outcome
    return result


@dataclass(frozen=True)
class CriterionCell:
    """One feature's score on one criterion as the grid showed it (``score_id`` and
    ``version`` of the stored score, None when there was none; ``shown``, its value) and
    as the user left it (``value``; None takes the score away)."""

    feature_id: int
    criterion_id: int
    score_id: int | None
    version: int | None
    shown: float | None
    value: Any


def save_criterion_scores(
    *, session: Session, canvas_token: str, cells: list[CriterionCell]
) -> dict[tuple[int, int], edits.Outcome]:
    """Write each cell on its own (a score added, changed or taken away), with its
    version check: (feature id, criterion id) -> what came of it. A score someone else
    changed or took away meanwhile is a conflict; one they added meanwhile is refused,
    saying so; a value out of range is refused naming the rule."""
    out: dict[tuple[int, int], edits.Outcome] = {}
    for cell in cells:
        where = (cell.feature_id, cell.criterion_id)
        if cell.score_id is None and cell.value is None:
            continue
        if cell.score_id is None:
            edit = edits.ItemEdit(
                "criterion_score",
                None,
                None,
                values={
                    "feature_id": cell.feature_id,
                    "criterion_id": cell.criterion_id,
                    "score": cell.value,
                },
            )
        else:
            edit = edits.ItemEdit(
                "criterion_score",
                cell.score_id,
                cell.version,
                original={"score": cell.shown},
                values={"score": cell.value},
            )
        if cell.score_id is not None and cell.value is None:
            out[where] = edits.delete_edit(session=session, canvas_token=canvas_token, edit=edit)
        else:
            out[where] = edits.save_edit(session=session, canvas_token=canvas_token, edit=edit)
    return out
