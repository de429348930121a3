"""Canvases: create, list, rename, duplicate, archive, restore and delete.

A canvas is named by its unguessable token (``secrets.token_urlsafe``), never by its
sequential id alone: the token is what links, the CLI and these functions take.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity, items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ConflictError, NotFound, ValidationFailed
from strategy_canvas.services.validation import validate

TOKEN_BYTES = 18  # 24 URL-safe characters, 144 bits


def new_token() -> str:
    """A canvas's token. Never one starting with "-": on a command line it would read as
    an option (``strategy-canvas export -Xy…`` fails), one time in 64."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


@dataclass(frozen=True)
class CanvasSummary:
    """A row of the home page's list."""

    id: int
    token: str
    name: str
    product: str
    version: int
    revision: int
    changed_at: datetime
    archived: bool


def create_canvas(
    *,
    session: Session,
    canvas_in: m.CanvasCreate | Mapping[str, Any],
    commit: bool = True,
    actor: Actor | None = None,
    origin: str = "",
) -> m.Canvas:
    """A new, empty canvas (with its vision row and change counter).

    ``commit=False`` flushes instead of committing, so import and the demo can write the
    canvas and all its items in one transaction: its history starts with one entry
    ("created", by ``actor``, ``origin`` saying from what, e.g. "a copy of Tidewater")
    that stands for every item written into it in that transaction.
    """
    data = canvas_in.model_dump() if isinstance(canvas_in, m.CanvasCreate) else canvas_in
    valid = validate(m.CanvasCreate, data, what="Canvas")
    canvas = m.Canvas(**valid.model_dump(), token=new_token())
    session.add(canvas)
    session.flush()
    assert canvas.id is not None
    session.add(m.CanvasRevision(canvas_id=canvas.id, revision=1))
    session.add(m.Vision(canvas_id=canvas.id))
    activity.record(
        session,
        canvas_id=canvas.id,
        actor=actor,
        action="create",
        kind=activity.CANVAS_KIND,
        title=canvas.name,
        data={"origin": origin},
    )
    activity.mark_new_canvas(session, canvas.id)
    if not commit:
        session.flush()
        return canvas
    session.commit()
    session.refresh(canvas)
    return canvas


def get_canvas(*, session: Session, canvas_token: str) -> m.Canvas:
    canvas = session.exec(select(m.Canvas).where(m.Canvas.token == canvas_token)).first()
    if canvas is None:
        raise NotFound("No canvas has this link; check the link or ask for a new one.")
    return canvas


def get_revision(*, session: Session, canvas_token: str) -> int:
    """The canvas's change counter: one indexed query, for live sync."""
    revision = session.exec(
        select(m.CanvasRevision.revision)
        .join(m.Canvas, col(m.Canvas.id) == m.CanvasRevision.canvas_id)
        .where(m.Canvas.token == canvas_token)
    ).first()
    if revision is None:
        raise NotFound("No canvas has this link; check the link or ask for a new one.")
    return int(revision)


def list_canvases(*, session: Session, include_archived: bool = False) -> list[CanvasSummary]:
    """Every canvas, most recently changed first."""
    query = (
        select(m.Canvas, m.CanvasRevision)
        .join(m.CanvasRevision, col(m.CanvasRevision.canvas_id) == m.Canvas.id)
        .order_by(col(m.CanvasRevision.changed_at).desc(), col(m.Canvas.id).desc())
    )
    if not include_archived:
        query = query.where(col(m.Canvas.archived_at).is_(None))
    return [
        CanvasSummary(
            id=c.id or 0,
            token=c.token,
            name=c.name,
            product=c.product,
            version=c.version,
            revision=r.revision,
            changed_at=r.changed_at,
            archived=c.archived_at is not None,
        )
        for c, r in session.exec(query)
    ]


def update_canvas(
    *,
    session: Session,
    canvas_token: str,
    changes: Mapping[str, Any],
    expected_version: int,
    actor: Actor | None = None,
    undoes: int | None = None,
    commit: bool = True,
) -> m.Canvas:
    """Rename the canvas or change its product, description or authors (``commit=False``
    leaves the transaction open; ``undoes`` names the history entry an undo takes back)."""
    canvas_id = items.begin_write(session, canvas_token)
    current = session.get(m.Canvas, canvas_id)
    assert current is not None
    earlier = {name: getattr(current, name) for name in m.CanvasCreate.model_fields}
    merged = {**earlier, **changes}
    try:
        values = validate(m.CanvasCreate, merged, what="Canvas").model_dump()
    except ValidationFailed:
        session.rollback()
        raise
    changed = {k: values[k] for k in changes}
    result = session.exec(
        sa.update(m.Canvas)
        .where(col(m.Canvas.id) == canvas_id, col(m.Canvas.version) == expected_version)
        .values(**changed, version=m.Canvas.version + 1, updated_at=m.utcnow())
    )
    if result.rowcount == 0:
        session.rollback()
        stored = session.get(m.Canvas, canvas_id, populate_existing=True)
        if stored is not None:
            session.expunge(stored)
        session.rollback()
        raise ConflictError(
            "canvas",
            canvas_id,
            current=stored,
            attempted=dict(changes),
            expected_version=expected_version,
        )
    differing = [k for k in changed if earlier[k] != changed[k]]
    activity.record(
        session,
        canvas_id=canvas_id,
        actor=actor,
        action="update",
        kind=activity.CANVAS_KIND,
        title=values["name"],
        data={
            "before": {k: earlier[k] for k in differing},
            "after": {k: changed[k] for k in differing},
            "version": expected_version + 1,
        },
        undoes=undoes,
        by_undo=undoes is not None,
    )
    if commit:
        session.commit()
    session.expire_all()
    return get_canvas(session=session, canvas_token=canvas_token)


def rename_canvas(
    *,
    session: Session,
    canvas_token: str,
    name: str,
    expected_version: int,
    actor: Actor | None = None,
) -> m.Canvas:
    return update_canvas(
        session=session,
        canvas_token=canvas_token,
        changes={"name": name},
        expected_version=expected_version,
        actor=actor,
    )


def set_archived(
    *, session: Session, canvas_token: str, archived: bool, actor: Actor | None = None
) -> m.Canvas:
    """Archive (hide from the list, keep everything) or restore a canvas."""
    canvas_id = items.begin_write(session, canvas_token)
    session.exec(
        sa.update(m.Canvas)
        .where(col(m.Canvas.id) == canvas_id)
        .values(archived_at=m.utcnow() if archived else None, updated_at=m.utcnow())
    )
    name = session.exec(select(m.Canvas.name).where(m.Canvas.id == canvas_id)).one()
    activity.record(
        session,
        canvas_id=canvas_id,
        actor=actor,
        action="archive" if archived else "unarchive",
        kind=activity.CANVAS_KIND,
        title=name,
    )
    session.commit()
    session.expire_all()
    return get_canvas(session=session, canvas_token=canvas_token)


def delete_canvas(*, session: Session, canvas_token: str, confirm_name: str) -> None:
    """Delete a canvas and everything in it. ``confirm_name`` must repeat its name."""
    canvas = get_canvas(session=session, canvas_token=canvas_token)
    if confirm_name.strip() != canvas.name:
        raise ValidationFailed.single(
            "confirm_name",
            "Confirmation",
            f"type the canvas's name, {canvas.name!r}, to delete it",
            what="Delete canvas",
        )
    session.rollback()
    canvas_id = items.begin_write(session, canvas_token)
    # Children first, in reverse creation order, so this works with or without
    # ON DELETE CASCADE being honoured by the connection.
    for kind in reversed(items.CREATION_ORDER):
        table = items.ITEM_TYPES[kind].table
        session.exec(sa.delete(table).where(col(table.canvas_id) == canvas_id))
    # Its history goes with it (the activity log and the versions).
    session.exec(sa.delete(m.Activity).where(col(m.Activity.canvas_id) == canvas_id))
    session.exec(sa.delete(m.CanvasVersion).where(col(m.CanvasVersion.canvas_id) == canvas_id))
    session.exec(sa.delete(m.CanvasRevision).where(col(m.CanvasRevision.canvas_id) == canvas_id))
    session.exec(sa.delete(m.Canvas).where(col(m.Canvas.id) == canvas_id))
    session.commit()


def get_vision(*, session: Session, canvas_token: str) -> m.Vision:
    rows = items.list_items(session=session, canvas_token=canvas_token, kind="vision")
    if not rows:
        raise NotFound("This canvas has no vision row.")
    return rows[0]
