"""Create, read, update, delete and reorder the items of every step.

One generic path serves every item type, described in :data:`ITEM_TYPES`: a write is
validated through the type's Create schema, links to other items are checked to belong
to the same canvas, the canvas's change counter is bumped first (it takes the write lock
on SQLite, and on PostgreSQL it orders writers of one canvas, so they cannot deadlock),
and an update or delete names the version the user started from and checks it in the
write itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from strategy_canvas import models as m
from strategy_canvas.services.errors import (
    ConflictError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from strategy_canvas.services.validation import field_label, validate


@dataclass(frozen=True)
class ItemType:
    """How the services, exports and pages handle one kind of item."""

    key: str
    table: type[m.CanvasItem]
    create: type[SQLModel]
    label: str
    plural: str
    step: int
    #: field -> item-type key of the item it links to
    links: Mapping[str, str] = field(default_factory=dict)
    #: the field that names the item in lists and pickers
    title_field: str = "title"

    @property
    def fields(self) -> list[str]:
        return list(self.create.model_fields)


ITEM_TYPES: dict[str, ItemType] = {
    t.key: t
    for t in [
        ItemType("problem", m.Problem, m.ProblemCreate, "Problem", "Problems", 1),
        ItemType(
            "persona",
            m.Persona,
            m.PersonaCreate,
            "Persona",
            "Personas & segments",
            1,
            {"problem_id": "problem"},
            "name",
        ),
        ItemType(
            "alternative",
            m.Alternative,
            m.AlternativeCreate,
            "Alternative",
            "Alternatives & competitors",
            1,
            {},
            "name",
        ),
        ItemType(
            "evidence",
            m.Evidence,
            m.EvidenceCreate,
            "Evidence",
            "Market evidence",
            1,
            {"problem_id": "problem"},
        ),
        ItemType(
            "assumption",
            m.Assumption,
            m.AssumptionCreate,
            "Assumption",
            "Riskiest assumptions",
            1,
            {"persona_id": "persona"},
            "statement",
        ),
        ItemType("vision", m.Vision, m.VisionCreate, "Vision", "Vision", 2, {}, "statement"),
        ItemType("goal", m.Goal, m.GoalCreate, "Goal", "Goals", 2, {"persona_id": "persona"}),
        ItemType(
            "key_result",
            m.KeyResult,
            m.KeyResultCreate,
            "Key result",
            "Key results & KPIs",
            2,
            {"goal_id": "goal", "roadmap_item_id": "roadmap_item"},
            "metric",
        ),
        ItemType(
            "feature",
            m.Feature,
            m.FeatureCreate,
            "Feature",
            "Features, stories & epics",
            3,
            {"persona_id": "persona", "goal_id": "goal", "epic_id": "feature"},
        ),
        ItemType(
            "criterion",
            m.Criterion,
            m.CriterionCreate,
            "Criterion",
            "Scoring criteria",
            3,
            {},
            "name",
        ),
        ItemType(
            "criterion_score",
            m.CriterionScore,
            m.CriterionScoreCreate,
            "Criterion score",
            "Criterion scores",
            3,
            {"feature_id": "feature", "criterion_id": "criterion"},
            "score",
        ),
        ItemType(
            "sketch",
            m.Sketch,
            m.SketchCreate,
            "Sketch",
            "Sketches",
            3,
            {"feature_id": "feature"},
            "caption",
        ),
        ItemType(
            "roadmap_item",
            m.RoadmapItem,
            m.RoadmapItemCreate,
            "Roadmap item",
            "Roadmap",
            4,
            {"feature_id": "feature"},
        ),
        ItemType(
            "dependency",
            m.RoadmapDependency,
            m.RoadmapDependencyCreate,
            "Dependency",
            "Dependencies",
            4,
            {"item_id": "roadmap_item", "depends_on_id": "roadmap_item"},
            "item_id",
        ),
        ItemType(
            "risk", m.Risk, m.RiskCreate, "Risk", "Risks", 4, {"roadmap_item_id": "roadmap_item"}
        ),
        ItemType(
            "feedback",
            m.Feedback,
            m.FeedbackCreate,
            "Feedback",
            "Feedback",
            5,
            {"feature_id": "feature", "key_result_id": "key_result", "persona_id": "persona"},
            "text",
        ),
        ItemType(
            "flaw",
            m.Flaw,
            m.FlawCreate,
            "Flaw",
            "Flaws & fixes",
            5,
            {"feature_id": "feature", "feedback_id": "feedback"},
        ),
        ItemType(
            "kpi_reading",
            m.KpiReading,
            m.KpiReadingCreate,
            "KPI reading",
            "KPI readings",
            5,
            {"key_result_id": "key_result"},
            "note",
        ),
        ItemType(
            "decision",
            m.Decision,
            m.DecisionCreate,
            "Decision",
            "Decisions",
            5,
            {"feature_id": "feature"},
            "decision",
        ),
    ]
}

#: Item types in an order in which every link points backwards (for import and copy).
CREATION_ORDER = [
    "problem",
    "persona",
    "alternative",
    "evidence",
    "assumption",
    "vision",
    "goal",
    "feature",
    "criterion",
    "criterion_score",
    "sketch",
    "roadmap_item",
    "dependency",
    "key_result",
    "risk",
    "feedback",
    "flaw",
    "kpi_reading",
    "decision",
]


def item_type(kind: str) -> ItemType:
    try:
        return ITEM_TYPES[kind]
    except KeyError:
        raise NotFound(f"There is no item type {kind!r}.") from None


# ------------------------------------------------------------------------- writes


def begin_write(session: Session, canvas_token: str) -> int:
    """Start a write on the canvas: bump its change counter, return its id.

    It is the first statement of every write transaction, for the reasons in the module
    docstring. Raises NotFound for a token that names no canvas.
    """
    canvas_id = session.exec(
        sa.update(m.CanvasRevision)
        .where(
            col(m.CanvasRevision.canvas_id)
            == sa.select(col(m.Canvas.id))
            .where(col(m.Canvas.token) == canvas_token)
            .scalar_subquery()
        )
        .values(revision=m.CanvasRevision.revision + 1, changed_at=m.utcnow())
        .returning(col(m.CanvasRevision.canvas_id))
    ).scalar_one_or_none()
    if canvas_id is None:
        session.rollback()
        raise NotFound("No canvas has this link; check the link or ask for a new one.")
    return int(canvas_id)


def _check_links(
    session: Session,
    spec: ItemType,
    canvas_id: int,
    values: Mapping[str, Any],
    *,
    item_id: int | None = None,
) -> None:
    errors = []
    for field_name, target_kind in spec.links.items():
        target_id = values.get(field_name)
        if target_id is None:
            continue
        target = ITEM_TYPES[target_kind].table
        found = session.exec(
            select(target.id).where(target.id == target_id, target.canvas_id == canvas_id)
        ).first()
        label = field_label(spec.create, field_name)
        if found is None:
            errors.append(FieldError(field_name, label, "must be an item of this canvas"))
        elif target_kind == spec.key and target_id == item_id:
            errors.append(FieldError(field_name, label, "cannot point to the item itself"))
    if spec.key == "dependency" and values.get("item_id") == values.get("depends_on_id"):
        errors.append(
            FieldError("depends_on_id", "Depends on", "a roadmap item cannot depend on itself")
        )
    if errors:
        raise ValidationFailed(errors, what=spec.label)


def _unique_violation(spec: ItemType) -> ValidationFailed:
    if spec.key == "decision":
        return ValidationFailed.single(
            "feature_id",
            "Feature",
            "already has a decision; edit that one instead",
            what=spec.label,
        )
    if spec.key == "criterion_score":
        return ValidationFailed.single(
            "criterion_id",
            "Criterion",
            "this feature has a score for it already; edit that one",
            what=spec.label,
        )
    if spec.key == "dependency":
        return ValidationFailed.single(
            "depends_on_id", "Depends on", "this dependency exists already", what=spec.label
        )
    if spec.key == "vision":
        return ValidationFailed.single(
            "canvas_id", "Canvas", "has a vision already", what=spec.label
        )
    return ValidationFailed.single(
        "id", spec.label, "conflicts with an existing item", what=spec.label
    )


def _next_position(session: Session, table: type[m.CanvasItem], canvas_id: int) -> int:
    top = session.exec(
        select(sa.func.max(table.position)).where(table.canvas_id == canvas_id)
    ).one()
    return 0 if top is None else int(top) + 1


def create_item(
    *, session: Session, canvas_token: str, kind: str, data: Mapping[str, Any], commit: bool = True
) -> m.CanvasItem:
    """Validate ``data`` and add it as a new item at the end of its list.

    ``commit=False`` flushes instead of committing, so a caller (import, demo) can make
    many writes in one transaction; any error still rolls the whole transaction back.
    """
    spec = item_type(kind)
    valid = validate(spec.create, data, what=spec.label)
    canvas_id = begin_write(session, canvas_token)
    try:
        values = valid.model_dump()
        _check_links(session, spec, canvas_id, values)
        row = spec.table(
            **values, canvas_id=canvas_id, position=_next_position(session, spec.table, canvas_id)
        )
        session.add(row)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise _unique_violation(spec) from None
    except Exception:
        session.rollback()
        raise
    if commit:
        session.commit()
        session.refresh(row)
    return row


def update_item(
    *,
    session: Session,
    canvas_token: str,
    kind: str,
    item_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    commit: bool = True,
) -> m.CanvasItem:
    """Apply ``changes`` to the item if it is still at ``expected_version``.

    Raises ConflictError (carrying the stored row) if someone saved it since; the check
    is part of the UPDATE itself, so two sessions can never both win. ``commit=False``
    leaves the transaction open, as in :func:`create_item`.
    """
    spec = item_type(kind)
    canvas_id = begin_write(session, canvas_token)
    try:
        current = session.exec(
            select(spec.table).where(spec.table.id == item_id, spec.table.canvas_id == canvas_id)
        ).first()
        if current is None:
            raise NotFound(
                f"This {spec.label.lower()} no longer exists; it may have been "
                "deleted by someone else."
            )
        merged = {name: getattr(current, name) for name in spec.fields}
        unknown = [k for k in changes if k not in spec.create.model_fields]
        if unknown:
            raise ValidationFailed(
                [FieldError(k, k, "is not a field of this item") for k in unknown], what=spec.label
            )
        merged.update(changes)
        values = validate(spec.create, merged, what=spec.label).model_dump()
        _check_links(session, spec, canvas_id, values, item_id=item_id)
        changed = {k: values[k] for k in changes}
        result = session.exec(
            sa.update(spec.table)
            .where(
                col(spec.table.id) == item_id,
                col(spec.table.canvas_id) == canvas_id,
                col(spec.table.version) == expected_version,
            )
            .values(**changed, version=spec.table.version + 1, updated_at=m.utcnow())
        )
        if result.rowcount == 0:
            stored = _stored_snapshot(session, spec, canvas_id, item_id)
            raise ConflictError(
                kind,
                item_id,
                current=stored,
                attempted=dict(changes),
                expected_version=expected_version,
            )
    except IntegrityError:
        session.rollback()
        raise _unique_violation(spec) from None
    except Exception:
        if session.in_transaction():
            session.rollback()
        raise
    if commit:
        session.commit()
    updated = _fetch(session, spec, canvas_id, item_id)
    assert updated is not None
    return updated


def delete_item(
    *, session: Session, canvas_token: str, kind: str, item_id: int, expected_version: int
) -> None:
    """Delete the item if it is still at ``expected_version`` (else ConflictError)."""
    spec = item_type(kind)
    if kind == "vision":
        raise ValidationFailed.single(
            "id", "Vision", "cannot be deleted; clear its fields instead", what="Vision"
        )
    canvas_id = begin_write(session, canvas_token)
    result = session.exec(
        sa.delete(spec.table).where(
            col(spec.table.id) == item_id,
            col(spec.table.canvas_id) == canvas_id,
            col(spec.table.version) == expected_version,
        )
    )
    if result.rowcount == 0:
        stored = _stored_snapshot(session, spec, canvas_id, item_id)
        if stored is None:
            raise NotFound(f"This {spec.label.lower()} was already deleted.")
        raise ConflictError(
            kind,
            item_id,
            current=stored,
            attempted={"deleted": True},
            expected_version=expected_version,
        )
    session.commit()


def reorder_items(
    *, session: Session, canvas_token: str, kind: str, ordered_ids: Sequence[int]
) -> None:
    """Put the items of ``kind`` in the order given (every item, each once)."""
    spec = item_type(kind)
    canvas_id = begin_write(session, canvas_token)
    existing = set(session.exec(select(spec.table.id).where(spec.table.canvas_id == canvas_id)))
    if set(ordered_ids) != existing or len(ordered_ids) != len(existing):
        session.rollback()
        raise ValidationFailed.single(
            "order",
            "Order",
            "must list every item of the list exactly once; the list "
            "changed meanwhile, so reload and try again",
            what=spec.plural,
        )
    for position, item_id in enumerate(ordered_ids):
        session.exec(
            sa.update(spec.table).where(col(spec.table.id) == item_id).values(position=position)
        )
    session.commit()


def move_item(*, session: Session, canvas_token: str, kind: str, item_id: int, offset: int) -> None:
    """Move one item up (negative offset) or down in its list."""
    with session.no_autoflush:
        ids = [row.id for row in list_items(session=session, canvas_token=canvas_token, kind=kind)]
    session.rollback()
    if item_id not in ids:
        raise NotFound(f"This {item_type(kind).label.lower()} no longer exists.")
    old = ids.index(item_id)
    new = max(0, min(len(ids) - 1, old + offset))
    ids.insert(new, ids.pop(old))
    reorder_items(
        session=session,
        canvas_token=canvas_token,
        kind=kind,
        ordered_ids=[i for i in ids if i is not None],
    )


# -------------------------------------------------------------------------- reads


def canvas_id_for(session: Session, canvas_token: str) -> int:
    """The id of the canvas the token names (NotFound if none): the services' one way
    from a link's token to the canvas, for reads that need not bump the change counter."""
    canvas_id = session.exec(select(m.Canvas.id).where(m.Canvas.token == canvas_token)).first()
    if canvas_id is None:
        raise NotFound("No canvas has this link; check the link or ask for a new one.")
    return canvas_id


def _fetch(session: Session, spec: ItemType, canvas_id: int, item_id: int) -> Any:
    session.expire_all()
    return session.exec(
        select(spec.table).where(spec.table.id == item_id, spec.table.canvas_id == canvas_id)
    ).first()


def _stored_snapshot(session: Session, spec: ItemType, canvas_id: int, item_id: int) -> Any:
    """After a failed write: end the transaction and return the stored row, detached so
    it stays readable after the session closes (None if it is gone)."""
    session.rollback()
    stored = _fetch(session, spec, canvas_id, item_id)
    if stored is not None:
        session.expunge(stored)
    session.rollback()
    return stored


def list_items(*, session: Session, canvas_token: str, kind: str) -> list[Any]:
    """The items of ``kind`` on the canvas, in their list order."""
    spec = item_type(kind)
    canvas_id = canvas_id_for(session, canvas_token)
    return list(
        session.exec(
            select(spec.table)
            .where(spec.table.canvas_id == canvas_id)
            .order_by(col(spec.table.position), col(spec.table.id))
        )
    )


def get_item(*, session: Session, canvas_token: str, kind: str, item_id: int) -> Any:
    spec = item_type(kind)
    row = _fetch(session, spec, canvas_id_for(session, canvas_token), item_id)
    if row is None:
        raise NotFound(f"This {spec.label.lower()} no longer exists.")
    return row


def items_frame(*, session: Session, canvas_token: str, kind: str) -> pd.DataFrame:
    """The items of ``kind`` as a DataFrame with id, version and every field."""
    spec = item_type(kind)
    columns = ["id", "version", *spec.fields]
    rows = [
        {c: getattr(r, c) for c in columns}
        for r in list_items(session=session, canvas_token=canvas_token, kind=kind)
    ]
    return pd.DataFrame(rows, columns=columns)


def item_title(row: Any) -> str:
    spec = ITEM_TYPES[row.kind_key]
    text = str(getattr(row, spec.title_field) or "").strip()
    if not text:
        return f"{spec.label} #{row.id}"
    return text if len(text) <= 80 else text[:79] + "…"


def choices(*, session: Session, canvas_token: str, kind: str) -> dict[int, str]:
    """id -> title of the items of ``kind``, for the pickers that link items."""
    return {
        row.id: item_title(row)
        for row in list_items(session=session, canvas_token=canvas_token, kind=kind)
    }
