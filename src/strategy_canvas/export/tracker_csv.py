"""Features and roadmap items as a CSV that Jira's or Linear's own importer accepts, so a
team can push its decisions into the tracker it works in.

One row per item: every feature (epics first, as Jira's importer needs parents before
their children), then every roadmap item. Column names are the trackers' own:

- **Jira** (Cloud's CSV importer): ``Issue ID`` numbers the rows of the file; ``Parent``
  holds the Issue ID of an epic (for a feature in it) or of the feature a roadmap item
  schedules (a ``Sub-task`` of a story or task, a ``Task`` of an epic);
  ``Outward issue link (Blocks)`` (repeated) lists the rows a roadmap item blocks, from
  the roadmap's dependencies. Features are ``Epic``, ``Story`` or ``Task``; priorities,
  statuses and ``Story Points`` are Jira's defaults; dates use the importer's default
  format (``dd/MMM/yy h:mm a``); labels go one per repeated ``Labels`` column. ``Issue
  key`` is filled only for features that came from Jira (their link is a Jira
  ``/browse/`` link), so an administrator's import can update those issues.
- **Linear**: the columns of Linear's own export, which its importer reads (``Title``,
  ``Description``, ``Status``, ``Estimate`` in whole points, ``Priority``, ``Labels``
  joined with ", "); ``Parent issue`` and ``Due Date`` as Linear writes them.

Every row also carries its ``Strategy Canvas ID`` (``SC-1a2b3c4d-F12``), which the
trackers leave alone (or keep in a custom field): importing the file back into the
canvas, or a later export of the tracker that kept it, updates these very items, and
re-importing the file unchanged changes nothing. RICE and ICE inputs (``Reach``,
``Impact``, ``Confidence``, ``Ease``, ``Value``, ``Kano``) ride along for the same
reason. Text cells that a spreadsheet would run as formulas get a leading ``'``, as in
``csv_io`` (Linear's importer takes it off again).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlmodel import Session

from strategy_canvas.export.backlog import item_ref
from strategy_canvas.export.backlog.plan import POINTS_PER_PERSON_MONTH
from strategy_canvas.export.backlog.reading import FORMULA_START
from strategy_canvas.export.backlog.values import round_half_up
from strategy_canvas.services import items

Tracker = Literal["jira", "linear"]
TRACKERS: dict[str, str] = {"jira": "Jira", "linear": "Linear"}
SCORE_COLUMNS = {
    "Reach": "reach",
    "Impact": "impact",
    "Confidence": "confidence",
    "Ease": "ease",
    "Value": "value",
    "Kano": "kano",
}
REF_COLUMN = "Strategy Canvas ID"

JIRA_TYPE = {"epic": "Epic", "story": "Story", "feature": "Task"}
JIRA_STATUS = {
    "idea": "To Do",
    "planned": "Selected for Development",
    "building": "In Progress",
    "shipped": "Done",
    "dropped": "Won't Do",
}
JIRA_PRIORITY = {"must": "Highest", "should": "High", "could": "Medium", "wont": "Low"}
LINEAR_STATUS = {
    "idea": "Backlog",
    "planned": "Todo",
    "building": "In Progress",
    "shipped": "Done",
    "dropped": "Canceled",
}
LINEAR_PRIORITY = {"must": "Urgent", "should": "High", "could": "Medium", "wont": "Low"}
ROADMAP_STATUS = {
    "jira": {
        "planned": "To Do",
        "in_progress": "In Progress",
        "done": "Done",
        "blocked": "Blocked",
    },
    "linear": {
        "planned": "Todo",
        "in_progress": "In Progress",
        "done": "Done",
        "blocked": "Blocked",
    },
}
#: the columns Linear's importer reads from its own export (all present, even empty)
LINEAR_COLUMNS = [
    "ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project",
    "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start",
    "Cycle End", "Created", "Updated", "Started", "Completed", "Canceled", "Archived",
    "Due Date", "Start Date", "Parent issue",
]  # fmt: skip


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _guard(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: float | None, decimals: int) -> str:
    """A number as a tracker reads it: no trailing zeros, no exponent."""
    if value is None:
        return ""
    rounded = round_half_up(float(value), decimals)
    if decimals == 0 or rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")


def _exact(value: float | None) -> str:
    """A score written so that it reads back as the very same number."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _scores(feature: Any) -> dict[str, str]:
    return {
        column: (feature.kano or "") if name == "kano" else _exact(getattr(feature, name))
        for column, name in SCORE_COLUMNS.items()
    }


def _jira_date(value: date | None) -> str:
    # the importer's default date format, dd/MMM/yy h:mm a, with English month names
    if value is None:
        return ""
    month = _MONTHS[value.month - 1]
    return f"{value.day:02d}/{month}/{value:%y} 12:00 AM"


def _labels(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _jira_key(feature: Any) -> str:
    """The feature's Jira issue key, when it came from Jira (its link says so)."""
    key = feature.external_key
    return key if key and f"/browse/{key}" in (feature.external_url or "") else ""


def _ordered_features(features: Sequence[Any]) -> list[Any]:
    """Epics first (parents before children), then the rest, each in list order."""
    return [f for f in features if f.kind == "epic"] + [f for f in features if f.kind != "epic"]


def _in_epic(feature: Any, epic: Any) -> bool:
    return epic is not None and epic.kind == "epic" and feature.kind != "epic"


def _rows(session: Session, canvas_token: str) -> tuple[list[Any], list[Any], dict[int, list[int]]]:
    features = _ordered_features(
        items.list_items(session=session, canvas_token=canvas_token, kind="feature")
    )
    roadmap = items.list_items(session=session, canvas_token=canvas_token, kind="roadmap_item")
    blocks: dict[int, list[int]] = {}  # item -> the items that depend on it
    for dep in items.list_items(session=session, canvas_token=canvas_token, kind="dependency"):
        blocks.setdefault(dep.depends_on_id, []).append(dep.item_id)
    return features, roadmap, blocks


def jira_rows(
    session: Session, canvas_token: str, points_per_person_month: float
) -> list[dict[str, Any]]:
    """The rows of the Jira file, as column -> value (repeated columns as lists)."""
    features, roadmap, blocks = _rows(session, canvas_token)
    by_id = {f.id: f for f in features}
    issue_id = {("feature", f.id): n for n, f in enumerate(features, start=1)}
    # roadmap items: tasks (of an epic, or of nothing) before sub-tasks
    subtask = {
        r.id: r.feature_id is not None and by_id[r.feature_id].kind != "epic" for r in roadmap
    }
    ordered = [r for r in roadmap if not subtask[r.id]] + [r for r in roadmap if subtask[r.id]]
    for n, item in enumerate(ordered, start=len(features) + 1):
        issue_id[("roadmap_item", item.id)] = n
    rows = []
    for f in features:
        epic = by_id.get(f.epic_id) if f.epic_id is not None else None
        parent = issue_id[("feature", f.epic_id)] if _in_epic(f, epic) else ""
        effort = None if f.effort is None else f.effort * points_per_person_month
        rows.append(
            {
                "Issue ID": issue_id[("feature", f.id)],
                "Issue key": _jira_key(f),
                "Issue Type": JIRA_TYPE[f.kind],
                "Summary": f.title,
                "Description": f.description,
                "Status": JIRA_STATUS[f.status],
                "Priority": JIRA_PRIORITY.get(f.moscow or "", ""),
                "Story Points": _number(effort, 2),
                "Labels": _labels(f.labels),
                "Parent": parent,
                "Start date": "",
                "Due date": "",
                "Outward issue link (Blocks)": [],
                **_scores(f),
                REF_COLUMN: item_ref(canvas_token, "feature", f.id),
            }
        )
    for r in ordered:
        rows.append(
            {
                "Issue ID": issue_id[("roadmap_item", r.id)],
                "Issue key": "",
                "Issue Type": "Sub-task" if subtask[r.id] else "Task",
                "Summary": r.title,
                "Description": r.notes,
                "Status": ROADMAP_STATUS["jira"][r.status],
                "Priority": "",
                "Story Points": "",
                "Labels": [],
                "Parent": issue_id[("feature", r.feature_id)] if r.feature_id is not None else "",
                "Start date": _jira_date(r.start_date),
                "Due date": _jira_date(r.end_date),
                "Outward issue link (Blocks)": [
                    issue_id[("roadmap_item", i)] for i in blocks.get(r.id, [])
                ],
                **dict.fromkeys(SCORE_COLUMNS, ""),
                REF_COLUMN: item_ref(canvas_token, "roadmap_item", r.id),
            }
        )
    return rows


def linear_rows(
    session: Session, canvas_token: str, points_per_person_month: float
) -> list[dict[str, Any]]:
    """The rows of the Linear file, as column -> value."""
    features, roadmap, _ = _rows(session, canvas_token)
    by_id = {f.id: f for f in features}

    def ident(kind: str, row: Any) -> str:
        key = row.external_key if kind == "feature" else ""
        return key or item_ref(canvas_token, kind, row.id)

    rows = []
    for f in features:
        epic = by_id.get(f.epic_id) if f.epic_id is not None else None
        effort = None if f.effort is None else f.effort * points_per_person_month
        rows.append(
            {
                "ID": f.external_key,
                "Title": f.title,
                "Description": f.description,
                "Status": LINEAR_STATUS[f.status],
                "Estimate": _number(effort, 0),
                "Priority": LINEAR_PRIORITY.get(f.moscow or "", "No priority"),
                "Labels": ", ".join(_labels(f.labels)),
                "Parent issue": ident("feature", epic) if _in_epic(f, epic) else "",
                **_scores(f),
                REF_COLUMN: item_ref(canvas_token, "feature", f.id),
            }
        )
    for r in roadmap:
        feature = by_id.get(r.feature_id) if r.feature_id is not None else None
        rows.append(
            {
                "Title": r.title,
                "Description": r.notes,
                "Status": ROADMAP_STATUS["linear"][r.status],
                "Priority": "No priority",
                "Due Date": r.end_date.isoformat() if r.end_date else "",
                "Start Date": r.start_date.isoformat() if r.start_date else "",
                "Parent issue": ident("feature", feature) if feature is not None else "",
                REF_COLUMN: item_ref(canvas_token, "roadmap_item", r.id),
            }
        )
    return rows


def _write(header: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV text; a list value fills that column's repeats."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        cells: list[str] = []
        seen: dict[str, int] = {}
        for column in header:
            value = row.get(column, "")
            if isinstance(value, list):
                n = seen[column] = seen.get(column, -1) + 1
                value = value[n] if n < len(value) else ""
            cells.append(_guard(value))
        writer.writerow(cells)
    return buffer.getvalue()


def tracker_csv(
    *,
    session: Session,
    canvas_token: str,
    tracker: Tracker,
    points_per_person_month: float = POINTS_PER_PERSON_MONTH,
) -> str:
    """The canvas's features and roadmap items as CSV for ``tracker``'s importer.

    Effort (person-months) becomes story points at ``points_per_person_month``: with
    two decimals for Jira, whole points for Linear (its estimates are whole numbers).
    """
    if tracker == "linear":
        rows = linear_rows(session, canvas_token, points_per_person_month)
        return _write([*LINEAR_COLUMNS, *SCORE_COLUMNS, REF_COLUMN], rows)
    rows = jira_rows(session, canvas_token, points_per_person_month)
    labels = max([1, *(len(r["Labels"]) for r in rows)])
    links = max([1, *(len(r["Outward issue link (Blocks)"]) for r in rows)])
    header = [
        "Issue ID", "Issue key", "Issue Type", "Summary", "Description", "Status",
        "Priority", "Story Points", *["Labels"] * labels, "Parent", "Start date",
        "Due date", *["Outward issue link (Blocks)"] * links, *SCORE_COLUMNS, REF_COLUMN,
    ]  # fmt: skip
    return _write(header, rows)
