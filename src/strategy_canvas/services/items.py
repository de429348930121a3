"""Create, read, update, delete and reorder the items of every step.

One generic path serves every item type, described in :data:`ITEM_TYPES`: a write is
validated through the type's Create schema, links to other items are checked to belong
to the same canvas, the canvas's change counter is bumped first (it takes the write lock
on SQLite, and on PostgreSQL it orders writers of one canvas, so they cannot deadlock),
and an update or delete names the version the user started from and checks it in the
write itself. Every write records who made it and what changed in the canvas's history,
in the same transaction (:mod:`strategy_canvas.services.activity`); a delete records the
item with everything that went with it, so the trash can bring it back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity
from strategy_canvas.services.activity import Actor
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

    @property
    def table_name(self) -> str:
        return str(self.table.__tablename__)

    @property
    def noun(self) -> str:
        """The label inside a sentence: "roadmap item", but "KPI reading"."""
        return " ".join(w if w.isupper() else w.lower() for w in self.label.split())

    @property
    def a_noun(self) -> str:
        """The noun with its article: "an alternative", "a piece of feedback"."""
        if self.key in _UNCOUNTABLE:
            return f"a piece of {self.noun}"
        return f"{'an' if self.noun[:1] in 'aeiou' else 'a'} {self.noun}"


#: item types named by an uncountable noun ("a piece of evidence")
_UNCOUNTABLE = {"evidence", "feedback"}


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


#: ``session.info`` key: {canvas id: change counter} of the canvases the session's
#: transaction wrote, announced to the open screens after the commit
#: (strategy_canvas.live.hub; docs/ARCHITECTURE.md, "Live sync")
CHANGED_CANVASES = "strategy_canvas.changed_canvases"
#: ``Connection.info`` key: {canvas id: (first change counter, last one, its changed_at)}
#: of the canvases the connection's transaction bumped, for the snapshot cache to know
#: what a commit made (strategy_canvas.services.snapshot)
BUMPED = "strategy_canvas.bumped"


def begin_write(session: Session, canvas_token: str) -> int:
    """Start a write on the canvas: bump its change counter, return its id.

    It is the first statement of every write transaction, for the reasons in the module
    docstring. Raises NotFound for a token that names no canvas. The new counter is
    noted in ``session.info[CHANGED_CANVASES]`` for the announcement after the commit.
    """
    row = session.exec(
        sa.update(m.CanvasRevision)
        .where(
            col(m.CanvasRevision.canvas_id)
            == sa.select(col(m.Canvas.id))
            .where(col(m.Canvas.token) == canvas_token)
            .scalar_subquery()
        )
        .values(revision=m.CanvasRevision.revision + 1, changed_at=m.utcnow())
        .returning(
            col(m.CanvasRevision.canvas_id),
            col(m.CanvasRevision.revision),
            col(m.CanvasRevision.changed_at),
        )
    ).one_or_none()
    if row is None:
        session.rollback()
        raise NotFound("No canvas has this link; check the link or ask for a new one.")
    canvas_id, revision = int(row[0]), int(row[1])
    session.info.setdefault(CHANGED_CANVASES, {})[canvas_id] = revision
    bumped = session.connection().info.setdefault(BUMPED, {})
    first = bumped.get(canvas_id, (revision,))[0]  # a transaction may bump it again
    bumped[canvas_id] = (first, revision, row[2])
    return canvas_id


def _linked_rows(
    session: Session, spec: ItemType, canvas_id: int, values: Mapping[str, Any]
) -> Iterator[tuple[str, str, Any, Any]]:
    """Per link that ``values`` sets: (its field, the kind it links to, the id it names,
    that item of this canvas or None when the canvas has no such item)."""
    for name, target_kind in spec.links.items():
        target_id = values.get(name)
        if target_id is None:
            continue
        table = ITEM_TYPES[target_kind].table
        row = session.exec(
            select(table).where(table.id == target_id, table.canvas_id == canvas_id)
        ).first()
        yield name, target_kind, target_id, row


def _check_links(
    session: Session,
    spec: ItemType,
    canvas_id: int,
    values: Mapping[str, Any],
    *,
    item_id: int | None = None,
) -> None:
    errors = []
    for field_name, target_kind, target_id, found in _linked_rows(session, spec, canvas_id, values):
        label = field_label(spec.create, field_name)
        if found is None:
            errors.append(FieldError(field_name, label, "must be an item of this canvas"))
        elif target_kind == spec.key and target_id == item_id:
            errors.append(FieldError(field_name, label, "cannot point to the item itself"))
    if spec.key == "dependency" and values.get("item_id") == values.get("depends_on_id"):
        errors.append(
            FieldError("depends_on_id", "Depends on", "a roadmap item cannot depend on itself")
        )
    elif spec.key == "dependency" and not errors:
        cycle = dependency_cycle(
            session,
            canvas_id,
            int(values["item_id"]),
            int(values["depends_on_id"]),
            replacing=item_id,
        )
        if cycle:
            errors.append(FieldError("depends_on_id", "Depends on", _cycle_text(session, cycle)))
    if errors:
        raise ValidationFailed(errors, what=spec.label)


def closing_cycle(
    edges: Mapping[int, Sequence[int]], item_id: int, depends_on_id: int
) -> list[int]:
    """The cycle that "``item_id`` depends on ``depends_on_id``" would close among the
    dependencies ``edges`` (item -> the items it depends on): the items from
    ``item_id`` round to it again, each depending on the next; [] when it closes none.
    The shortest way round is the one named."""
    came_from: dict[int, int] = {depends_on_id: item_id}
    frontier = [depends_on_id]
    while frontier:  # breadth first
        following = []
        for node in frontier:
            for nxt in edges.get(node, ()):
                if nxt in came_from:
                    continue
                came_from[nxt] = node
                if nxt == item_id:
                    path = [item_id, node]
                    while path[-1] != item_id:
                        path.append(came_from[path[-1]])
                    return list(reversed(path))
                following.append(nxt)
        frontier = following
    return []


def dependency_cycle(
    session: Session, canvas_id: int, item_id: int, depends_on_id: int, *, replacing: int | None
) -> list[int]:
    """The roadmap items of the cycle that "``item_id`` depends on ``depends_on_id``"
    would close among the canvas's dependencies (:func:`closing_cycle`).

    ``replacing`` is the dependency being edited, whose old link no longer counts. Run
    inside the write (after ``begin_write``), so no other writer can close the cycle
    meanwhile.
    """
    edges: dict[int, list[int]] = {}
    rows = session.exec(
        select(
            m.RoadmapDependency.id,
            m.RoadmapDependency.item_id,
            m.RoadmapDependency.depends_on_id,
        ).where(m.RoadmapDependency.canvas_id == canvas_id)
    )
    for dependency_id, source, target in rows:
        if dependency_id != replacing:
            edges.setdefault(int(source), []).append(int(target))
    return closing_cycle(edges, item_id, depends_on_id)


def cycle_text(names: Mapping[int, str], cycle: Sequence[int]) -> str:
    """The refusal of a dependency that closes ``cycle``, naming its items."""
    chain = " → ".join(f"“{names.get(i, f'#{i}')}”" for i in cycle)
    return f"would close a cycle, each depending on the next: {chain}"


def _cycle_text(session: Session, cycle: Sequence[int]) -> str:
    rows = session.exec(
        select(m.RoadmapItem.id, m.RoadmapItem.title).where(col(m.RoadmapItem.id).in_(set(cycle)))
    )
    return cycle_text({i: t for i, t in rows if i is not None}, cycle)


#: what a second item that a unique constraint refuses says, per item type:
#: (field, its label, the rule)
_UNIQUE_RULES: dict[str, tuple[str, str, str]] = {
    "decision": ("feature_id", "Feature", "already has a decision; edit that one instead"),
    "criterion_score": (
        "criterion_id",
        "Criterion",
        "this feature has a score for it already; edit that one",
    ),
    "dependency": ("depends_on_id", "Depends on", "this dependency exists already"),
    "vision": ("canvas_id", "Canvas", "has a vision already"),
}


def unique_violation(spec: ItemType) -> ValidationFailed:
    field, label, rule = _UNIQUE_RULES.get(
        spec.key, ("id", spec.label, "conflicts with an existing item")
    )
    return ValidationFailed.single(field, label, rule, what=spec.label)


def next_position(session: Session, table: type[m.CanvasItem], canvas_id: int) -> int:
    top = session.exec(
        select(sa.func.max(table.position)).where(table.canvas_id == canvas_id)
    ).one()
    return 0 if top is None else int(top) + 1


@contextmanager
def _transaction(
    session: Session, *, commit: bool, unique: ItemType | None = None
) -> Iterator[None]:
    """The body of a write: any error rolls the whole transaction back (a broken unique
    rule of ``unique`` is refused as such); without one, it commits if ``commit``."""
    try:
        yield
    except IntegrityError:
        if session.in_transaction():
            session.rollback()
        if unique is None:
            raise
        raise unique_violation(unique) from None
    except Exception:
        if session.in_transaction():
            session.rollback()
        raise
    if commit:
        session.commit()


def create_item(
    *,
    session: Session,
    canvas_token: str,
    kind: str,
    data: Mapping[str, Any],
    commit: bool = True,
    actor: Actor | None = None,
) -> m.CanvasItem:
    """Validate ``data`` and add it as a new item at the end of its list.

    ``commit=False`` flushes instead of committing, so a caller (import, demo) can make
    many writes in one transaction; any error still rolls the whole transaction back.
    ``actor`` is who adds it, for the canvas's history.
    """
    spec = item_type(kind)
    valid = validate(spec.create, data, what=spec.label)
    canvas_id = begin_write(session, canvas_token)
    with _transaction(session, commit=commit, unique=spec):
        values = valid.model_dump()
        _check_links(session, spec, canvas_id, values)
        row = spec.table(
            **values, canvas_id=canvas_id, position=next_position(session, spec.table, canvas_id)
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        _record(
            session,
            spec,
            canvas_id,
            actor,
            "create",
            item_id=row.id,
            title=entry_title(session, spec, canvas_id, values, row.id),
            data={"after": activity.json_fields(values)},
        )
    if commit:
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
    actor: Actor | None = None,
    undoes: int | None = None,
) -> m.CanvasItem:
    """Apply ``changes`` to the item if it is still at ``expected_version``.

    Raises ConflictError (carrying the stored row) if someone saved it since; the check
    is part of the UPDATE itself, so two sessions can never both win. ``commit=False``
    leaves the transaction open, as in :func:`create_item`. The history records the
    fields whose value changed, before and after, as made by ``actor``; ``undoes``
    names the history entry an undo takes back.
    """
    spec = item_type(kind)
    canvas_id = begin_write(session, canvas_token)
    with _transaction(session, commit=commit, unique=spec):
        current = session.exec(
            select(spec.table).where(spec.table.id == item_id, spec.table.canvas_id == canvas_id)
        ).first()
        if current is None:
            raise NotFound(
                f"This {spec.noun} no longer exists; it may have been deleted by someone else."
            )
        stored = {name: getattr(current, name) for name in spec.fields}
        merged = dict(stored)
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
        _record_update(
            session,
            spec,
            canvas_id,
            item_id,
            stored,
            values,
            changed,
            expected_version + 1,
            actor,
            undoes,
        )
    updated = _fetch(session, spec, canvas_id, item_id)
    assert updated is not None
    return updated


def _record(
    session: Session,
    spec: ItemType,
    canvas_id: int,
    actor: Actor | None,
    action: str,
    *,
    undoes: int | None = None,
    item_id: int | None = None,
    title: str,
    data: Mapping[str, Any],
) -> None:
    """Add the history entry of a write to items of ``spec``; a write with ``undoes``
    takes back that entry, and is itself marked as made by undo."""
    activity.record(
        session,
        canvas_id=canvas_id,
        actor=actor,
        action=action,
        kind=spec.key,
        item_id=item_id,
        step=spec.step,
        title=title,
        data=data,
        undoes=undoes,
        by_undo=undoes is not None,
    )


def _record_update(
    session: Session,
    spec: ItemType,
    canvas_id: int,
    item_id: int,
    stored: Mapping[str, Any],
    values: Mapping[str, Any],
    changed: Mapping[str, Any],
    version: int,
    actor: Actor | None,
    undoes: int | None,
) -> None:
    """Record an update: the fields whose value changed (``stored`` → ``changed``);
    ``values`` is the whole item after it."""
    differing = [k for k, v in changed.items() if stored[k] != v]
    before = {k: stored[k] for k in differing}
    after = {k: changed[k] for k in differing}
    _record(
        session,
        spec,
        canvas_id,
        actor,
        "update",
        undoes=undoes,
        item_id=item_id,
        title=entry_title(session, spec, canvas_id, values, item_id),
        data={
            "before": activity.json_fields(before),
            "after": activity.json_fields(after),
            "version": version,
        },
    )


#: item-type key of each item table's name
TABLE_KINDS = {t.table_name: t.key for t in ITEM_TYPES.values()}


@functools.cache
def _row_query(table_name: str) -> Any:
    """SELECT the item :id of the canvas :canvas_id (built once per table)."""
    table = SQLModel.metadata.tables[table_name]
    return sa.select(table).where(
        table.c.id == sa.bindparam("id"), table.c.canvas_id == sa.bindparam("canvas_id")
    )


@dataclass(frozen=True)
class _Dependent:
    """A foreign key pointing at a table, with the statements a delete runs on it
    (built once: they take the ids as an expanding parameter)."""

    table: sa.Table
    column: str
    ondelete: str
    pointing: Any  # SELECT id, column WHERE column IN :ids
    clear: Any  # UPDATE … SET column = NULL WHERE column IN :ids
    rows: Any  # SELECT * WHERE column IN :ids


@functools.cache
def _dependents(table_name: str) -> list[_Dependent]:
    """Every foreign key pointing at the table that its rows' delete acts on."""
    target = SQLModel.metadata.tables[table_name]
    found = []
    ids: Any = sa.bindparam("ids", expanding=True)
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is target and fk.ondelete in ("CASCADE", "SET NULL"):
                column = table.c[fk.parent.name]
                found.append(
                    _Dependent(
                        table,
                        fk.parent.name,
                        fk.ondelete,
                        sa.select(table.c.id, column).where(column.in_(ids)),
                        sa.update(table).where(column.in_(ids)).values({column.name: None}),
                        sa.select(table).where(column.in_(ids)).order_by(table.c.id),
                    )
                )
    return found


def take_out(
    session: Session, table_name: str, ids: Sequence[int]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Before rows of ``table_name`` are deleted: clear the links that point at them and
    read the rows their delete takes with it (recursively).

    Returns ``(links, rows)``: ``[kind, id, field, target id]`` of every link cleared, and
    ``[table, {column: value}]`` of every row that goes with them (parents before their
    own dependents), as the history's delete entry keeps them for the trash.
    """
    links: list[list[Any]] = []
    rows: list[list[Any]] = []
    connection = session.connection()
    given = {"ids": list(ids)}
    for dependent in _dependents(table_name):
        table, column = dependent.table, dependent.column
        name = TABLE_KINDS.get(table.name, table.name)
        if dependent.ondelete == "SET NULL":
            pointing = connection.execute(dependent.pointing, given).all()
            if pointing:
                connection.execute(dependent.clear, given)
            links.extend([name, int(row_id), column, int(target)] for row_id, target in pointing)
            continue
        found = connection.execute(dependent.rows, given).mappings().all()
        if not found:
            continue
        rows.extend([table.name, activity.row_json(table, row)] for row in found)
        more_links, more_rows = take_out(session, table.name, [row["id"] for row in found])
        links.extend(more_links)
        rows.extend(more_rows)
    return links, rows


def delete_item(
    *,
    session: Session,
    canvas_token: str,
    kind: str,
    item_id: int,
    expected_version: int,
    actor: Actor | None = None,
    commit: bool = True,
    undoes: int | None = None,
) -> None:
    """Delete the item if it is still at ``expected_version`` (else ConflictError).

    The item goes to the canvas's trash: the history keeps it with the links that
    pointed to it and the rows deleted with it (see :mod:`services.trash`).
    """
    spec = item_type(kind)
    if kind == "vision":
        raise ValidationFailed.single(
            "id", "Vision", "cannot be deleted; clear its fields instead", what="Vision"
        )
    canvas_id = begin_write(session, canvas_token)
    with _transaction(session, commit=commit):
        current = (
            session.connection()
            .execute(_row_query(spec.table_name), {"id": item_id, "canvas_id": canvas_id})
            .mappings()
            .first()
        )
        if current is None or current["version"] != expected_version:
            stored = _stored_snapshot(session, spec, canvas_id, item_id)
            if stored is None:
                raise NotFound(f"This {spec.noun} was already deleted.")
            raise ConflictError(
                kind,
                item_id,
                current=stored,
                attempted={"deleted": True},
                expected_version=expected_version,
            )
        fields = {name: current[name] for name in spec.fields}
        title = entry_title(session, spec, canvas_id, fields, item_id)
        links, rows = take_out(session, spec.table_name, [item_id])
        session.exec(
            sa.delete(spec.table).where(
                col(spec.table.id) == item_id,
                col(spec.table.canvas_id) == canvas_id,
                col(spec.table.version) == expected_version,
            )
        )
        _record(
            session,
            spec,
            canvas_id,
            actor,
            "delete",
            undoes=undoes,
            item_id=item_id,
            title=title,
            data={
                "item": activity.json_fields(fields),
                "version": expected_version,
                "position": current["position"],
                "links": links,
                "rows": rows,
            },
        )


def list_order(session: Session, spec: ItemType, canvas_id: int) -> list[int]:
    """The ids of the canvas's items of ``spec``, in list order."""
    return [
        int(i or 0)
        for i in session.exec(
            select(spec.table.id)
            .where(spec.table.canvas_id == canvas_id)
            .order_by(col(spec.table.position), col(spec.table.id))
        )
    ]


def reorder_items(
    *,
    session: Session,
    canvas_token: str,
    kind: str,
    ordered_ids: Sequence[int],
    actor: Actor | None = None,
    undoes: int | None = None,
    commit: bool = True,
) -> None:
    """Put the items of ``kind`` in the order given (every item, each once)."""
    spec = item_type(kind)
    canvas_id = begin_write(session, canvas_token)
    before = list_order(session, spec, canvas_id)
    existing = set(before)
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
    _record(
        session,
        spec,
        canvas_id,
        actor,
        "reorder",
        undoes=undoes,
        title=spec.plural,
        data={"before": before, "after": [int(i) for i in ordered_ids]},
    )
    if commit:
        session.commit()


def move_item(
    *,
    session: Session,
    canvas_token: str,
    kind: str,
    item_id: int,
    offset: int,
    actor: Actor | None = None,
) -> None:
    """Move one item up (negative offset) or down in its list."""
    with session.no_autoflush:
        ids = [row.id for row in list_items(session=session, canvas_token=canvas_token, kind=kind)]
    session.rollback()
    if item_id not in ids:
        raise NotFound(f"This {item_type(kind).noun} no longer exists.")
    old = ids.index(item_id)
    new = max(0, min(len(ids) - 1, old + offset))
    ids.insert(new, ids.pop(old))
    reorder_items(
        session=session,
        canvas_token=canvas_token,
        kind=kind,
        ordered_ids=[i for i in ids if i is not None],
        actor=actor,
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
        raise NotFound(f"This {spec.noun} no longer exists.")
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
    return titled(spec, getattr(row, spec.title_field), row.id)


def in_sentence(kind: str) -> str:
    """An item type's name inside a sentence: "persona", "KPI reading"."""
    label = ITEM_TYPES[kind].label
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def counted(kind: str, count: int) -> str:
    """So many items of a type: "1 goal", "3 features", "2 feedback"."""
    name = in_sentence(kind)
    if count != 1 and not name.endswith(("feedback", "evidence")):
        name += "s"
    return f"{count:,} {name}"


#: item types named by what they link to rather than by a title of their own
DESCRIBED = ("kpi_reading", "decision", "criterion_score", "dependency", "sketch")


def phrase(kind: str, title: str) -> str:
    """An item's name inside a sentence: “Busy parent”, or for the item types named by
    their links the phrase itself ("of “Weekly plans”: 120 on 2027-01-05")."""
    return title if kind in DESCRIBED else f"“{title}”"


def describe_item(
    kind: str, fields: Mapping[str, Any], ref: Any, titles: Mapping[str, Mapping[Any, str]]
) -> str:
    """How the history and a diff name an item: its title (:func:`titled`), or for the
    item types that have none of their own (:data:`DESCRIBED`), what they link to;
    ``titles`` names the linked items (kind -> id -> title)."""
    spec = ITEM_TYPES[kind]
    if kind not in DESCRIBED:
        return titled(spec, fields.get(spec.title_field), ref)

    def linked(name: str) -> str:
        target = fields.get(name)
        found = titles.get(spec.links[name], {}).get(target) if target is not None else None
        return f"“{found}”" if found else f"{in_sentence(spec.links[name])} #{target}"

    if kind == "kpi_reading":
        value, day = _plain(fields.get("value")), fields.get("measured_on")
        return f"of {linked('key_result_id')}: {value} on {day}"
    if kind == "decision":
        choice = m.DECISION_LABELS.get(str(fields.get("decision")), str(fields.get("decision")))
        return f"“{choice}” for {linked('feature_id')}"
    if kind == "criterion_score":
        return (
            f"of {linked('feature_id')} on {linked('criterion_id')}: {_plain(fields.get('score'))}"
        )
    if kind == "dependency":
        return f"of {linked('item_id')} on {linked('depends_on_id')}"
    caption = str(fields.get("caption") or "").strip()
    return f"“{caption}” of {linked('feature_id')}" if caption else f"of {linked('feature_id')}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _linked_titles(
    session: Session, spec: ItemType, canvas_id: int, values: Mapping[str, Any]
) -> dict[str, dict[Any, str]]:
    """The titles of the items ``values`` links to (for :func:`describe_item`)."""
    found: dict[str, dict[Any, str]] = {}
    for _, target_kind, target, row in _linked_rows(session, spec, canvas_id, values):
        if row is not None:
            found.setdefault(target_kind, {})[target] = item_title(row)
    return found


def entry_title(
    session: Session, spec: ItemType, canvas_id: int, values: Mapping[str, Any], item_id: Any
) -> str:
    """The title a history entry gives an item with ``values``."""
    titles = _linked_titles(session, spec, canvas_id, values) if spec.key in DESCRIBED else {}
    return describe_item(spec.key, values, item_id, titles)


def titled(spec: ItemType, value: Any, item_id: Any) -> str:
    """How an item is named in lists: its title field, cut at 80 characters, or
    "Persona #12" when that is empty."""
    text = str(value or "").strip()
    if not text:
        return f"{spec.label} #{item_id}"
    return text if len(text) <= 80 else text[:79] + "…"


def choices(*, session: Session, canvas_token: str, kind: str) -> dict[int, str]:
    """id -> title of the items of ``kind``, for the pickers that link items."""
    return {
        row.id: item_title(row)
        for row in list_items(session=session, canvas_token=canvas_token, kind=kind)
    }
