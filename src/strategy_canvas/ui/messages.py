"""How service errors reach the user: the field and the rule, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from strategy_canvas.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator


def validation_text(error: ValidationFailed) -> str:
    """Markdown naming each field at fault and the rule it broke."""
    lines = [f"- **{e.label}** {e.message}" for e in error.errors]
    heading = "Nothing was saved. Please fix:" if len(lines) > 1 else "Nothing was saved:"
    return heading + "\n" + "\n".join(lines)


def conflict_text(error: ConflictError, *, shown_fields: dict[str, str] | None = None) -> str:
    """Markdown telling what changed underneath: the stored value next to the attempted one.

    ``shown_fields`` maps field -> label for the fields worth comparing (default: those
    the user tried to change).
    """
    parts = [str(error)]
    if error.current is not None:
        fields = shown_fields or {
            name: name.replace("_", " ").capitalize()
            for name in error.attempted
            if name != "deleted"
        }
        for name, label in fields.items():
            stored: Any = getattr(error.current, name, None)
            attempted = error.attempted.get(name, stored)
            if stored != attempted:
                parts.append(f"- **{label}** is now “{stored}”; you tried “{attempted}”.")
    return "\n".join(parts)


def show_error(
    error: ServiceError,
    *,
    where: DeltaGenerator | None = None,
    shown_fields: dict[str, str] | None = None,
) -> None:
    """Show any error a service raised on purpose, in the right tone."""
    target: Any = where if where is not None else st
    if isinstance(error, ValidationFailed):
        target.error(validation_text(error), icon=":material/error:")
    elif isinstance(error, ConflictError):
        target.warning(
            conflict_text(error, shown_fields=shown_fields), icon=":material/sync_problem:"
        )
    elif isinstance(error, NotFound):
        target.warning(str(error), icon=":material/search_off:")
    elif isinstance(error, PermissionDenied):
        target.error(str(error), icon=":material/lock:")
    else:
        target.error(str(error), icon=":material/error:")


FLASH_KEY = "_flash_messages"


def flash(kind: str, text: str) -> None:
    """Queue a message for the next run (to survive the ``st.rerun`` after a write)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flashes() -> None:
    """Show and forget the queued messages."""
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        if kind == "success":
            st.success(text, icon=":material/check_circle:")
        elif kind == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
