"""Unsaved edits, kept in the database so that neither leaving a page nor reloading the
browser loses them. A draft never changes the item: only an explicit save does, through
:func:`strategy_canvas.services.items.update_item` with the draft's base version.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services.errors import ValidationFailed
from strategy_canvas.services.items import canvas_id_for

MAX_DRAFT_BYTES = 256 * 1024


def _encode(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return {"__date__": value.isoformat()}
    if isinstance(value, bytes):
        return None  # uploaded images are not drafted; they are saved on upload
    if isinstance(value, dict):  # the editor's "__original__" values hold dates too
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__date__"}:
        return date.fromisoformat(value["__date__"][:10])
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def save_draft(
    *,
    session: Session,
    canvas_token: str,
    owner_key: str,
    scope: str,
    data: dict[str, Any],
    base_version: int | None,
) -> None:
    """Store (or replace) this person's draft for this editor."""
    text = json.dumps({k: _encode(v) for k, v in data.items()}, ensure_ascii=False)
    if len(text.encode()) > MAX_DRAFT_BYTES:
        raise ValidationFailed.single(
            "draft", "Draft", f"is larger than {MAX_DRAFT_BYTES:,} bytes; save or shorten it"
        )
    canvas_id = canvas_id_for(session, canvas_token)
    existing = session.exec(
        select(m.Draft).where(
            m.Draft.canvas_id == canvas_id, m.Draft.owner_key == owner_key, m.Draft.scope == scope
        )
    ).first()
    if existing is None:
        session.add(
            m.Draft(
                canvas_id=canvas_id,
                owner_key=owner_key,
                scope=scope,
                base_version=base_version,
                data=text,
            )
        )
    else:
        existing.data = text
        existing.base_version = base_version
        existing.updated_at = m.utcnow()
        session.add(existing)
    session.commit()


def get_draft(
    *, session: Session, canvas_token: str, owner_key: str, scope: str
) -> tuple[dict[str, Any], int | None] | None:
    """(data, base_version) of this person's draft for this editor, or None."""
    canvas_id = canvas_id_for(session, canvas_token)
    row = session.exec(
        select(m.Draft).where(
            m.Draft.canvas_id == canvas_id, m.Draft.owner_key == owner_key, m.Draft.scope == scope
        )
    ).first()
    if row is None:
        return None
    return {k: _decode(v) for k, v in json.loads(row.data).items()}, row.base_version


def list_drafts(*, session: Session, canvas_token: str, owner_key: str) -> list[str]:
    """The scopes of this person's open drafts on the canvas."""
    canvas_id = canvas_id_for(session, canvas_token)
    return list(
        session.exec(
            select(m.Draft.scope)
            .where(m.Draft.canvas_id == canvas_id, m.Draft.owner_key == owner_key)
            .order_by(col(m.Draft.updated_at))
        )
    )


def discard_draft(*, session: Session, canvas_token: str, owner_key: str, scope: str) -> None:
    canvas_id = canvas_id_for(session, canvas_token)
    session.exec(
        sa.delete(m.Draft).where(
            col(m.Draft.canvas_id) == canvas_id,
            col(m.Draft.owner_key) == owner_key,
            col(m.Draft.scope) == scope,
        )
    )
    session.commit()
