"""Turning what a workshop produced into the canvas's real items: notes promoted to
items, blind scores applied to features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from strategy_canvas import models as m
from strategy_canvas.services import items
from strategy_canvas.services.errors import (
    ValidationFailed,
)
from strategy_canvas.services.workshops.boards import score_rows
from strategy_canvas.services.workshops.common import (
    begin_facilitator_write,
    commit_detached,
    facilitator_actor,
    facilitator_ids,
    feature_of,
    note_of,
    rollback_on_error,
    shorten,
)

#: what a note of each step can become
PROMOTION_KINDS: dict[int, tuple[str, ...]] = {
    1: ("problem", "persona", "assumption"),
    2: ("goal",),
    3: ("feature",),
    4: ("roadmap_item", "risk"),
    5: ("feedback", "flaw"),
}
#: promoted items that are actions (someone does something); the rest are decisions
ACTION_KINDS = frozenset({"roadmap_item", "risk", "flaw"})
#: where the whole note goes when it is too long for the item's title
DETAIL_FIELDS = {
    "problem": "statement",
    "persona": "description",
    "goal": "description",
    "feature": "description",
    "roadmap_item": "notes",
    "flaw": "description",
}

#: what the step's completeness rules (services/progress.py) need of a promoted item
#: besides its title: the promote form asks for them, so a promoted note does not leave
#: its step less complete than before. The note's own text fills the first text field.
COMPLETING_FIELDS: dict[str, tuple[str, ...]] = {
    "problem": ("statement",),
    "persona": ("jobs", "pains"),
    "feature": ("persona_id", "goal_id", "moscow"),
    "roadmap_item": ("feature_id", "owner"),
    "risk": ("mitigation",),
    "feedback": ("feature_id",),
    "flaw": ("fix", "fix_owner"),
}
#: the field that carries the note's whole text when the item has one
CARRIES_THE_NOTE = {"problem": "statement"}

#: Blind effort (1 = tiny .. 10 = huge, the scale participants score on) mapped to the
#: feature's ``effort`` in person-months (RICE's unit): 1 ≈ a week, 3 ≈ a month,
#: 6 ≈ a quarter, 10 ≈ a year. A mean between two points is interpolated linearly.
EFFORT_PERSON_MONTHS: dict[int, float] = {
    1: 0.25,
    2: 0.5,
    3: 1.0,
    4: 1.5,
    5: 2.0,
    6: 3.0,
    7: 4.0,
    8: 6.0,
    9: 9.0,
    10: 12.0,
}


def _max_length(schema: type[Any], field: str) -> int | None:
    for rule in schema.model_fields[field].metadata:
        if getattr(rule, "max_length", None) is not None:
            return int(rule.max_length)
    return None


def _promotion_data(kind: str, text: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    spec = items.item_type(kind)
    data: dict[str, Any] = {}
    limit = _max_length(spec.create, spec.title_field) or len(text)
    if len(text) <= limit:
        data[spec.title_field] = text
    else:
        data[spec.title_field] = shorten(text, limit)
        detail = DETAIL_FIELDS.get(kind)
        if detail is not None:
            data[detail] = text
    carrier = CARRIES_THE_NOTE.get(kind)
    if carrier is not None:
        data.setdefault(carrier, text)
    # a field left blank in the form is not given (the item's default stands)
    data.update({k: v for k, v in fields.items() if v not in (None, "")})
    return data


def promote_note(
    *,
    session: Session,
    facilitator_key: str,
    note_id: int,
    kind: str,
    fields: Mapping[str, Any] | None = None,
) -> Any:
    """Turn a note into a real item of its step, in one transaction, and remember it.

    ``kind`` must suit the note's step (:data:`PROMOTION_KINDS`); the note's text
    becomes the item's title (``fields`` may set or override any field). The item is
    written through :func:`items.create_item`, so it is validated like any other.
    """
    workshop, canvas_token = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        note = note_of(session, workshop.id or 0, note_id)
        if note.promoted_kind is not None:
            raise ValidationFailed.single(
                "note_id",
                "Note",
                f"is already {items.item_type(note.promoted_kind).a_noun} "
                f"(#{note.promoted_item_id})",
                what="Promote",
            )
        allowed = PROMOTION_KINDS[note.step]
        if kind not in allowed:
            raise ValidationFailed.single(
                "kind",
                "Item type",
                f"a note of step {note.step} can become: {', '.join(allowed)}",
                what="Promote",
            )
        data = _promotion_data(kind, note.text, fields or {})
        row = items.create_item(
            session=session,
            canvas_token=canvas_token,
            kind=kind,
            data=data,
            commit=False,
            actor=facilitator_actor(session, facilitator_key),
        )
        session.exec(
            sa.update(m.Note)
            .where(col(m.Note.id) == note_id)
            .values(promoted_kind=kind, promoted_item_id=row.id, version=m.Note.version + 1)
        )
        commit_detached(session, row, reload=False)
    return row


def effort_person_months(effort: float) -> float:
    """A blind effort (1..10, possibly a mean) on the feature's scale, person-months
    (see :data:`EFFORT_PERSON_MONTHS`), rounded to 2 decimals."""
    effort = min(10.0, max(1.0, float(effort)))
    low = math.floor(effort)
    high = min(10, low + 1)
    share = effort - low
    months = EFFORT_PERSON_MONTHS[low] + share * (
        EFFORT_PERSON_MONTHS[high] - EFFORT_PERSON_MONTHS[low]
    )
    return round(months, 2)


def blind_value(value: float) -> int:
    """A mean blind value as the feature's value: rounded half up, within 1..10."""
    return int(min(10, max(1, math.floor(float(value) + 0.5))))


def apply_blind_scores(*, session: Session, facilitator_key: str) -> pd.DataFrame:
    """Write the mean blind scores to the features, feeding step 3's prioritisation.

    Per scored feature: ``value`` = the mean value rounded (:func:`blind_value`),
    ``effort`` = the mean effort in person-months (:func:`effort_person_months`); where
    the feature has an effort range that would not hold the new estimate, the range is
    widened to hold it. All through :func:`items.update_item` at each feature's current
    version, in one transaction. Returns feature_id, title, scores, mean_value,
    mean_effort, value, effort, previous_value, previous_effort.
    """
    workshop, canvas_token = begin_facilitator_write(session, facilitator_key, active=False)
    columns = [
        "feature_id",
        "title",
        "scores",
        "mean_value",
        "mean_effort",
        "value",
        "effort",
        "previous_value",
        "previous_effort",
    ]
    actor = facilitator_actor(session, facilitator_key)
    with rollback_on_error(session):
        rows, _ = score_rows(session, workshop, me=None, visible=True)
        scored = [r for r in rows if r["scores"]]
        applied = []
        for r in scored:
            feature = feature_of(session, workshop.canvas_id, r["feature_id"])
            value = blind_value(r["mean_value"])
            effort = effort_person_months(r["mean_effort"])
            changes: dict[str, Any] = {"value": value, "effort": effort}
            if feature.effort_low is not None and feature.effort_low > effort:
                changes["effort_low"] = effort
            if feature.effort_high is not None and feature.effort_high < effort:
                changes["effort_high"] = effort
            previous = (feature.value, feature.effort)
            items.update_item(
                session=session,
                canvas_token=canvas_token,
                kind="feature",
                item_id=r["feature_id"],
                changes=changes,
                expected_version=feature.version,
                commit=False,
                actor=actor,
            )
            applied.append(
                {
                    "feature_id": r["feature_id"],
                    "title": r["title"],
                    "scores": r["scores"],
                    "mean_value": r["mean_value"],
                    "mean_effort": r["mean_effort"],
                    "value": value,
                    "effort": effort,
                    "previous_value": previous[0],
                    "previous_effort": previous[1],
                }
            )
        session.commit()
    return pd.DataFrame(applied, columns=columns)


def promotion_choices(
    *, session: Session, facilitator_key: str, kind: str
) -> dict[str, list[tuple[int, str]]]:
    """For the promote form, per linking field of ``kind``'s :data:`COMPLETING_FIELDS`
    (e.g. a feature's persona and goal): the canvas's items it may link to, as (id,
    title). Needs the facilitator key (the facilitator may hold no canvas token)."""
    _, canvas_token = facilitator_ids(session, facilitator_key)
    spec = items.item_type(kind)
    choices: dict[str, list[tuple[int, str]]] = {}
    for field in COMPLETING_FIELDS.get(kind, ()):
        target = spec.links.get(field)
        if target is None:
            continue
        rows = items.list_items(session=session, canvas_token=canvas_token, kind=target)
        choices[field] = [(int(r.id or 0), items.item_title(r)) for r in rows]
    session.rollback()
    return choices
