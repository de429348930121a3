"""Backlogs exported by Jira, Linear, Asana and Productboard, imported as they really are.

``reading`` turns the file into a table (encodings, line endings, repeated columns,
huge cells), ``vocabulary`` holds the trackers' words in Jira's languages, ``values``
reads numbers, dates and long text, ``mapping`` matches columns to fields, ``plan``
decides what each row does and ``apply`` writes it. See
docs/ARCHITECTURE.md, "Backlogs in, decisions out".
"""

from __future__ import annotations

from strategy_canvas.export.backlog.apply import ImportResult, apply_import, refusal
from strategy_canvas.export.backlog.mapping import (
    CHOICE_FIELDS,
    FIELD_LABELS,
    IMPORT_FIELDS,
    canvas_tag,
    closest_columns,
    item_ref,
    parse_mapping,
    parse_value_map,
    suggest_mapping,
)
from strategy_canvas.export.backlog.plan import (
    POINTS_PER_PERSON_MONTH,
    ImportPlan,
    PlannedRow,
    RowError,
    RowPreview,
    UnknownValue,
    plan_import,
)
from strategy_canvas.export.backlog.reading import MAX_BYTES, MAX_ROWS, Backlog, read_backlog
from strategy_canvas.export.backlog.values import DateOrder

__all__ = [
    "CHOICE_FIELDS",
    "FIELD_LABELS",
    "IMPORT_FIELDS",
    "MAX_BYTES",
    "MAX_ROWS",
    "POINTS_PER_PERSON_MONTH",
    "Backlog",
    "DateOrder",
    "ImportPlan",
    "ImportResult",
    "PlannedRow",
    "RowError",
    "RowPreview",
    "UnknownValue",
    "apply_import",
    "canvas_tag",
    "closest_columns",
    "item_ref",
    "parse_mapping",
    "parse_value_map",
    "plan_import",
    "read_backlog",
    "refusal",
    "suggest_mapping",
]
