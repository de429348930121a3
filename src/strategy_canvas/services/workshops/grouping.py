"""The facilitator's grouping of notes into themes, and moderation."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services.errors import (
    NotFound,
    ValidationFailed,
)
from strategy_canvas.services.validation import validate
from strategy_canvas.services.workshops.common import (
    begin_facilitator_write,
    commit_detached,
    note_of,
    rollback_on_error,
)


def remove_note(*, session: Session, facilitator_key: str, note_id: int) -> None:
    """Take a note off the board (moderation); its votes go with it."""
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        note_of(session, workshop.id or 0, note_id)
        session.exec(sa.delete(m.Note).where(col(m.Note.id) == note_id))
        session.commit()


def create_theme(*, session: Session, facilitator_key: str, step: int, name: str) -> m.Theme:
    """A group for the notes of ``step``."""
    valid = validate(m.ThemeCreate, {"step": step, "name": name}, what="Theme")
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        theme = m.Theme(
            **valid.model_dump(), canvas_id=workshop.canvas_id, workshop_id=workshop.id or 0
        )
        session.add(theme)
        commit_detached(session, theme, reload=False)
    return theme


def rename_theme(*, session: Session, facilitator_key: str, theme_id: int, name: str) -> m.Theme:
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        theme = _theme_of(session, workshop.id or 0, theme_id)
        valid = validate(m.ThemeCreate, {"step": theme.step, "name": name}, what="Theme")
        theme.name = valid.name
        session.add(theme)
        commit_detached(session, theme, reload=False)
    return theme


def delete_theme(*, session: Session, facilitator_key: str, theme_id: int) -> None:
    """Delete a theme; its notes stay, ungrouped."""
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        _theme_of(session, workshop.id or 0, theme_id)
        session.exec(
            sa.update(m.Note).where(col(m.Note.theme_id) == theme_id).values(theme_id=None)
        )
        session.exec(sa.delete(m.Theme).where(col(m.Theme.id) == theme_id))
        session.commit()


def _theme_of(session: Session, workshop_id: int, theme_id: int) -> m.Theme:
    theme = session.exec(
        select(m.Theme).where(m.Theme.id == theme_id, m.Theme.workshop_id == workshop_id)
    ).first()
    if theme is None:
        raise NotFound("This theme is not part of this workshop; it may have been deleted.")
    return theme


def assign_note_to_theme(
    *, session: Session, facilitator_key: str, note_id: int, theme_id: int | None
) -> m.Note:
    """Put a note in a theme of its step (``None`` takes it out of any)."""
    workshop, _ = begin_facilitator_write(session, facilitator_key, active=False)
    with rollback_on_error(session):
        note = note_of(session, workshop.id or 0, note_id)
        if theme_id is not None:
            theme = _theme_of(session, workshop.id or 0, theme_id)
            if theme.step != note.step:
                raise ValidationFailed.single(
                    "theme_id",
                    "Theme",
                    f"belongs to step {theme.step}, the note to step {note.step}",
                    what="Note",
                )
        note.theme_id = theme_id
        note.version += 1
        session.add(note)
        commit_detached(session, note, reload=False)
    return note
