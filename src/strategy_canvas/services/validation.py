"""Validation through the Create schemas, with messages that name the field and the rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from sqlmodel import SQLModel

from strategy_canvas.services.errors import FieldError, ValidationFailed

SchemaT = TypeVar("SchemaT", bound=SQLModel)


def field_label(schema: type[SQLModel], field: str) -> str:
    info = schema.model_fields.get(field)
    if info is not None and info.title:
        return info.title
    return field.replace("_", " ").capitalize()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def _bound(value: Any) -> str:
    """A limit as a person reads it: 1,000,000,000, 0.25, 3."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,g}"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is required and cannot be empty"
    if value is None and kind.endswith("_type"):  # a required choice or number left unset
        return "is required"
    if kind == "string_too_long":
        got = f" (this one has {len(value):,})" if isinstance(value, str) else ""
        return f"must be at most {ctx['max_length']:,} characters{got}"
    if kind == "bytes_too_long":
        got = f" (this one is {_megabytes(len(value))})" if isinstance(value, bytes) else ""
        return f"must be at most {_megabytes(ctx['max_length'])}{got}"
    if kind == "greater_than_equal":
        return f"must be at least {_bound(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be greater than {_bound(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be at most {_bound(ctx['le'])}"
    if kind == "less_than":
        return f"must be less than {_bound(ctx['lt'])}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "must be a number"
    if kind.startswith(("date_", "datetime_")):
        return "must be a date written as YYYY-MM-DD"
    if kind in ("string_type", "bytes_type"):
        return "must be text"
    message = str(error.get("msg", "is not valid"))
    if message.startswith("Input "):
        return message.removeprefix("Input ").lower()
    return message  # our own rules (PydanticCustomError) are written as they should read


def validate(schema: type[SchemaT], data: Mapping[str, Any], *, what: str = "") -> SchemaT:
    """``schema`` validated from ``data``; unknown fields and broken rules raise
    :class:`ValidationFailed` naming every field at fault."""
    unknown = [key for key in data if key not in schema.model_fields]
    if unknown:
        raise ValidationFailed(
            [FieldError(k, k, "is not a field of this item") for k in unknown], what=what
        )
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    unprintable = [k for k, v in cleaned.items() if isinstance(v, str) and "\x00" in v]
    if unprintable:  # PostgreSQL cannot store NUL in text, and no person types one
        raise ValidationFailed(
            [
                FieldError(k, field_label(schema, k), "must not contain NUL characters")
                for k in unprintable
            ],
            what=what,
        )
    try:
        return schema.model_validate(cleaned)
    except pydantic.ValidationError as exc:
        errors = []
        for error in exc.errors():
            ctx = error.get("ctx") or {}
            field = str(error["loc"][0]) if error["loc"] else str(ctx.get("field", "__root__"))
            errors.append(FieldError(field, field_label(schema, field), _message(error)))
        raise ValidationFailed(errors, what=what) from None
