"""One widget per field of an item, chosen from the field's type and limits.

The widgets read their value from session state under the key they are given (never
``value=``), so a rerun — ours or a live-sync one — never resets what the user typed.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import annotated_types as at
import streamlit as st

from strategy_canvas.services.items import ITEM_TYPES, ItemType
from strategy_canvas.services.validation import field_label
from strategy_canvas.ui.text import md

#: Fields the editor never shows (uploads are handled by the sketch editor itself).
HIDDEN_FIELDS = {"image", "media_type"}

#: What each field is for, shown as the widget's help.
HELP: dict[str, str] = {
    "reach": "How many people or events this touches per quarter (RICE).",
    "impact": "Per person reached: 0.25 minimal, 0.5 low, 1 medium, 2 high, 3 massive (RICE).",
    "confidence": "How sure you are of reach and impact, in percent (RICE).",
    "effort": "Person-months to build it (RICE, value vs effort).",
    "ease": "1 (very hard) to 10 (trivial) — the E of ICE.",
    "value": "1 (little) to 10 (huge) value to users and the business.",
    "moscow": "Must, should, could or won't have (this time).",
    "kano": "Basic (expected), performance (more is better), delighter (unexpected joy).",
    "importance": "1 (nice to know) to 5 (the strategy fails if this is wrong).",
    "evidence": "1 (a hunch) to 5 (proven with data).",
    "lane": "Now: being built. Next: up after that. Later: on the horizon.",
    "likelihood": "1 (rare) to 5 (almost certain).",
}

CHOICE_LABELS: dict[str, str] = {
    "wont": "won't",
    "in_progress": "in progress",
    "wont_fix": "won't fix",
    "usability_test": "usability test",
    "rollback": "roll back",
    "victory": "declare victory",
}


@dataclass(frozen=True)
class FieldShape:
    name: str
    label: str
    kind: Literal["text", "long_text", "choice", "int", "float", "date", "link", "bytes"]
    required: bool
    nullable: bool
    choices: tuple[Any, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    #: the minimum itself is not allowed (effort must be above 0)
    exclusive_min: bool = False


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def shape_of(spec: ItemType, name: str) -> FieldShape:
    info = spec.create.model_fields[name]
    annotation, nullable = _strip_optional(info.annotation)
    lo: float | None = None
    hi: float | None = None
    max_length: int | None = None
    exclusive = False
    for meta in info.metadata:
        if isinstance(meta, at.Ge):
            lo = float(meta.ge)  # type: ignore[arg-type]
        elif isinstance(meta, at.Gt):
            lo, exclusive = float(meta.gt), True  # type: ignore[arg-type]
        elif isinstance(meta, at.Le):
            hi = float(meta.le)  # type: ignore[arg-type]
        elif isinstance(meta, at.MaxLen):
            max_length = meta.max_length
    label = field_label(spec.create, name)
    required = info.is_required()
    if name in spec.links:
        return FieldShape(name, label, "link", required, nullable)
    if typing.get_origin(annotation) is Literal:
        return FieldShape(name, label, "choice", required, nullable, typing.get_args(annotation))
    if annotation is bool:
        return FieldShape(name, label, "choice", required, nullable, (True, False))
    if annotation is int:
        return FieldShape(name, label, "int", required, nullable, (), lo, hi, None, exclusive)
    if annotation is float:
        return FieldShape(name, label, "float", required, nullable, (), lo, hi, None, exclusive)
    if annotation is date:
        return FieldShape(name, label, "date", required, nullable)
    if annotation is bytes:
        return FieldShape(name, label, "bytes", required, nullable)
    is_link = name == "url" or name.endswith("_url")
    long = max_length is not None and max_length > 300 and not is_link
    return FieldShape(
        name, label, "long_text" if long else "text", required, nullable, max_length=max_length
    )


def editable_fields(spec: ItemType) -> list[FieldShape]:
    """The fields a person edits, with the widget each takes (worked out once per kind)."""
    return list(_editable_fields(spec.key))


@functools.cache
def _editable_fields(kind: str) -> tuple[FieldShape, ...]:
    spec = ITEM_TYPES[kind]
    return tuple(shape_of(spec, n) for n in spec.fields if n not in HIDDEN_FIELDS)


def empty_value(shape: FieldShape, default: Any) -> Any:
    if default is not None and not callable(default):
        return default
    return "" if shape.kind in ("text", "long_text") else None


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def number_help(shape: FieldShape, help_text: str | None) -> str:
    """The field's help, then the rule its value must keep ("A whole number from 1 to
    10."), which the save checks."""
    whole = "A whole number" if shape.kind == "int" else "A number"
    lo, hi = shape.min_value, shape.max_value
    if lo is not None and hi is not None:
        rule = f"{whole} from {_number(lo)} to {_number(hi)}."
        if shape.kind == "float" and shape.exclusive_min:
            rule = f"{whole} above {_number(lo)}, up to {_number(hi)}."
    elif lo is not None:
        rule = f"{whole}, at least {_number(lo)}."
    elif hi is not None:
        rule = f"{whole}, at most {_number(hi)}."
    else:
        rule = f"{whole}."
    return f"{help_text} {rule}" if help_text else rule


def widget_value(shape: FieldShape, value: Any) -> Any:
    """A stored value as the field's widget holds it (numbers as floats: the widget is
    a float input for every number, see :func:`draw`)."""
    if shape.kind in ("int", "float") and isinstance(value, int | float):
        return float(value)
    return value


#: a link among more items than this (one of 300 features) is a selectbox in a popover
#: (:func:`_long_link`), not a selectbox of its own: see below
LONG_LIST = 50


def _long_link(
    label: str, options: list[Any], name: Callable[[Any], str], common: dict[str, Any]
) -> Any:
    """A link among many items: a popover whose button names the linked item ("Feature:
    Receipt scan"), holding the selectbox only while it is open; choosing closes it.

    Only for a link among more than :data:`LONG_LIST` items: a selectbox of 300 options
    costs Chromium tens of ms to draw on every page open (docs/ARCHITECTURE.md,
    "Budgets"), and a long list is not the quick choice a selectbox is for anyway. A
    short choice or a date stays a widget of its own: folding it costs the person a
    click and a run for every value they set, which is most of what fast entry is."""
    key = common["key"]
    folded = f"{key}.pick"
    then = common["on_change"]

    def chosen() -> None:
        st.session_state[folded] = False
        if then is not None:
            then()

    current = st.session_state.get(key)
    panel = st.popover(
        f"{md(label)}: {md(name(current))}",  # the item's name is user text: escaped
        help=common["help"] or f"Choose one of the {len(options):,}.",
        disabled=common["disabled"],
        key=folded,
        on_change="rerun",
        width="stretch",
    )
    if not panel.open:  # not drawn: its value is kept until it is
        if key in st.session_state:
            st.session_state[key] = current
        return current
    return panel.selectbox(  # its value outlives the widget, as while it is folded
        label,
        options,
        format_func=name,
        placeholder="— none —",
        **{**common, "on_change": chosen},
        persist_state="session",
    )


def _choice_name(value: Any) -> str:
    if value is None:
        return "— not set —"
    return CHOICE_LABELS.get(str(value), str(value).replace("_", " "))


def draw(
    shape: FieldShape,
    key: str,
    *,
    link_choices: dict[int, str],
    on_change: Any = None,
    disabled: bool = False,
) -> Any:
    """Draw the widget for ``shape`` bound to ``st.session_state[key]``; return its value."""
    label = shape.label + (" *" if shape.required else "")
    help_text = HELP.get(shape.name)
    common: dict[str, Any] = {
        "key": key,
        "on_change": on_change,
        "help": help_text,
        "disabled": disabled,
    }
    if shape.kind == "text":
        return st.text_input(label, **common)
    if shape.kind == "long_text":
        return st.text_area(label, height=100, **common)
    if shape.kind == "choice":
        options = list(shape.choices)
        if shape.nullable:
            options = [None, *options]
        return st.selectbox(
            label,
            options,
            format_func=_choice_name,
            placeholder="— not set —",  # Streamlit shows a None value as the placeholder
            **common,
        )
    if shape.kind == "link":
        ids: list[int | None] = list(link_choices)
        if st.session_state.get(key) not in ids and st.session_state.get(key) is not None:
            st.session_state[key] = None  # the linked item was deleted meanwhile
        options = [None, *ids] if shape.nullable or not ids else ids

        def name(v: int | None) -> str:
            return "— none —" if v is None else link_choices.get(v, f"#{v}")

        if len(ids) <= LONG_LIST:
            return st.selectbox(label, options, format_func=name, placeholder="— none —", **common)
        return _long_link(label, options, name, common)
    if shape.kind in ("int", "float"):
        # No min/max and a float widget whatever the field: Streamlit's number input
        # leaves a value outside min/max unsent (the field turns red, the save goes on
        # without it) and an int input cuts 2.5 to 2. The service judges the raw
        # value and names the field and the rule; the typed value stays on screen.
        return st.number_input(
            label,
            value=None,
            step=1.0 if shape.kind == "int" else None,
            format="%g",
            placeholder="not set",
            **{**common, "help": number_help(shape, help_text)},
        )
    if shape.kind == "date":
        return st.date_input(label, value=None, format="YYYY-MM-DD", **common)
    raise ValueError(f"no widget for field {shape.name} ({shape.kind})")
