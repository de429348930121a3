"""What the services raise. Each carries what the UI needs to tell the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    field: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


class ValidationFailed(ServiceError):
    """Input broke a rule; nothing was written. ``errors`` names each field and rule."""

    def __init__(self, errors: list[FieldError], *, what: str = "") -> None:
        self.errors = errors
        self.what = what
        prefix = f"{what} — " if what else ""
        super().__init__(prefix + "; ".join(str(e) for e in errors))

    @classmethod
    def single(cls, field: str, label: str, message: str, *, what: str = "") -> ValidationFailed:
        return cls([FieldError(field, label, message)], what=what)


class NotFound(ServiceError):
    """The canvas or item does not exist (or is not reachable with the token given)."""


class PermissionDenied(ServiceError):
    """The caller's token or key does not allow this action."""


class ConflictError(ServiceError):
    """Someone saved the item after the caller opened it; nothing was written.

    ``current`` is the stored row as it is now (None if it was deleted), ``attempted``
    the changes the caller tried to save, so the UI can show both and let them choose.
    """

    def __init__(
        self,
        kind: str,
        item_id: int,
        *,
        current: Any,
        attempted: dict[str, Any],
        expected_version: int,
    ) -> None:
        self.kind = kind
        self.item_id = item_id
        self.current = current
        self.attempted = attempted
        self.expected_version = expected_version
        if current is None:
            message = "was deleted by someone else after you opened it"
        else:
            message = (
                f"was changed by someone else (version {current.version}) after you "
                f"opened version {expected_version}"
            )
        super().__init__(f"This {kind.replace('_', ' ')} {message}; nothing was saved.")
