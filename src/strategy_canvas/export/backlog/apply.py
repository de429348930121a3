"""Writing an import's plan: one transaction, all or nothing, or the good rows with the
bad ones reported as skipped (see ``plan.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from strategy_canvas.export.backlog.plan import ImportPlan, PlannedRow, PlannedSchedule, rows_text
from strategy_canvas.export.backlog.reading import WHAT
from strategy_canvas.services import activity, items
from strategy_canvas.services.errors import FieldError, ValidationFailed

#: Bad rows listed in one error (the rest are counted).
MAX_ERRORS_LISTED = 50


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    #: rows not imported because of their problems (``skip_invalid``)
    skipped: tuple[int, ...]
    #: roadmap items created or moved for features' start and due dates
    scheduled: int
    #: rows whose epic was a skipped row, so they came in without one
    without_epic: tuple[int, ...] = ()

    def summary(self) -> str:
        text = f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.scheduled:
            text += f", {self.scheduled} placed on the roadmap"
        if self.skipped:
            verb = "have" if len(self.skipped) > 1 else "has"
            text += f"; skipped {rows_text(self.skipped)}, which {verb} problems"
        return text


def refusal(plan: ImportPlan) -> ValidationFailed:
    """The error that lists a plan's bad rows (up to :data:`MAX_ERRORS_LISTED`)."""
    listed = [
        FieldError(f"row {e.row}", f"Row {e.row}: {e.field}", e.message)
        for e in plan.errors[:MAX_ERRORS_LISTED]
    ]
    hidden = len(plan.errors) - len(listed)
    if hidden:
        listed.append(FieldError("rows", "…", f"and {hidden:,} more problems"))
    return ValidationFailed(listed, what=WHAT)


def apply_import(
    *,
    session: Session,
    canvas_token: str,
    plan: ImportPlan,
    skip_invalid: bool = False,
    actor: activity.Actor | None = None,
) -> ImportResult:
    """Write the plan in one transaction: every create and update, or nothing (one
    action of ``actor``'s in the canvas's history, default "import").

    A plan with bad rows raises ValidationFailed listing them (nothing is written),
    unless ``skip_invalid``: then the good rows are written and the bad ones reported
    as skipped. Raises ConflictError if someone changed an item since the plan was
    made (nothing is written; plan again). The canvas's history shows every write as
    ``actor``'s (by default "import: CSV backlog"), as one action.
    """
    if plan.errors and not skip_invalid:
        raise refusal(plan)
    who = (actor or activity.importer("CSV backlog")).one_action()
    planned_links: set[int] = set()  # rows created already in their epic
    created: dict[int, int] = {}
    scheduled = 0
    try:
        for planned in _epics_first(plan.creates):
            data = planned.data
            if planned.epic_row in created:  # its epic is in already: link it as it is made
                data = {**data, "epic_id": created[planned.epic_row]}
            row = items.create_item(
                session=session,
                canvas_token=canvas_token,
                kind="feature",
                data=data,
                commit=False,
                actor=who,
            )
            assert row.id is not None
            created[planned.row] = row.id
            if "epic_id" in data and planned.epic_row is not None:
                planned_links.add(planned.row)
            scheduled += _write_schedule(session, canvas_token, row.id, planned.schedule, who)
        for planned in plan.updates:
            assert planned.item_id is not None and planned.expected_version is not None
            if planned.data:
                items.update_item(
                    session=session,
                    canvas_token=canvas_token,
                    kind=planned.kind,
                    item_id=planned.item_id,
                    changes=planned.data,
                    expected_version=planned.expected_version,
                    commit=False,
                    actor=who,
                )
            scheduled += _write_schedule(
                session, canvas_token, planned.item_id, planned.schedule, who
            )
        without_epic = _link_epics(session, canvas_token, plan, created, planned_links, who)
        session.commit()
    except BaseException:
        if session.in_transaction():
            session.rollback()
        raise
    return ImportResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        unchanged=len(plan.unchanged),
        skipped=tuple(plan.bad_rows),
        scheduled=scheduled,
        without_epic=without_epic,
    )


def _write_schedule(
    session: Session,
    token: str,
    feature_id: int,
    schedule: PlannedSchedule | None,
    who: activity.Actor,
) -> int:
    if schedule is None:
        return 0
    if schedule.item_id is None:
        items.create_item(
            session=session,
            canvas_token=token,
            kind="roadmap_item",
            data={**schedule.data, "feature_id": feature_id},
            commit=False,
            actor=who,
        )
    else:
        assert schedule.expected_version is not None
        items.update_item(
            session=session,
            canvas_token=token,
            kind="roadmap_item",
            item_id=schedule.item_id,
            changes=schedule.data,
            expected_version=schedule.expected_version,
            commit=False,
            actor=who,
        )
    return 1


def _epics_first(creates: Sequence[PlannedRow]) -> list[PlannedRow]:
    """The new features in an order where an epic of the file comes before the features
    in it (so they are made in it, not moved into it afterwards); file order otherwise."""
    pending = list(creates)
    ordered: list[PlannedRow] = []
    placed: set[int] = set()
    rows = {p.row for p in creates}
    while pending:
        ready = [p for p in pending if p.epic_row not in rows or p.epic_row in placed]
        if not ready:  # epics in a circle: the rest in file order, linked afterwards
            ready = pending
        ordered += ready
        placed.update(p.row for p in ready)
        pending = [p for p in pending if p.row not in placed]
    return ordered


def _link_epics(
    session: Session,
    token: str,
    plan: ImportPlan,
    created: Mapping[int, int],
    done: set[int],
    who: activity.Actor,
) -> tuple[int, ...]:
    """Point features at epics that were rows of the same file, where that could not be
    done as they were made (updated features, epics later in a circle)."""
    without = []
    for planned in [*plan.creates, *plan.updates]:
        if planned.epic_row is None or planned.row in done:
            continue
        epic_id = created.get(planned.epic_row)
        feature_id = created.get(planned.row, planned.item_id)
        if epic_id is None or feature_id is None:
            without.append(planned.row)
            continue
        row = items.get_item(
            session=session, canvas_token=token, kind="feature", item_id=feature_id
        )
        items.update_item(
            session=session,
            canvas_token=token,
            kind="feature",
            item_id=feature_id,
            changes={"epic_id": epic_id},
            expected_version=row.version,
            commit=False,
            actor=who,
        )
    return tuple(sorted(without))
