"""Back to the tracker: features and roadmap items as CSV for Jira's and Linear's own
importers (their columns, one row per item, parents before children, links by row), and
re-importing that file into the canvas changes nothing."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from strategy_canvas import db, demo
from strategy_canvas.export import backlog, json_io, tracker_csv
from strategy_canvas.services import canvases, items

JIRA_TYPES = {"Epic": 1, "Story": 0, "Task": 0, "Sub-task": -1}  # Jira's hierarchy levels


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    records = list(csv.reader(io.StringIO(text)))
    return records[0], records[1:]


def _column(header: list[str], rows: list[list[str]], name: str) -> list[list[str]]:
    """Every row's cells of ``name`` (all its repeats)."""
    positions = [i for i, h in enumerate(header) if h == name]
    return [[row[i] for i in positions] for row in rows]


def _snapshot(session: Session, token: str) -> dict[str, Any]:
    """The canvas as data (its JSON export without the moment it was taken), and its
    change counter."""
    document = json_io.export_canvas(session=session, canvas_token=token)
    document.pop("exported_at")
    return {
        "document": json.loads(json.dumps(document)),
        "revision": canvases.get_revision(session=session, canvas_token=token),
    }


def _hostile_canvas(session: Session) -> str:
    """The demo canvas plus features that test the file's edges: formula starts, quotes,
    commas, line breaks, labels with spaces, effort that is no whole number of points,
    an epic that comes after its feature in the list, a roadmap item of no feature."""
    token = demo.create_demo_canvas(session=session).token

    def add(item_kind: str, /, **data: Any) -> Any:
        return items.create_item(session=session, canvas_token=token, kind=item_kind, data=data)

    story = add(
        "feature",
        title='=HYPERLINK("http://x"), "quoted", and more',
        kind="story",
        description="Line one\nLine two, with a comma\n-starts like a formula",
        labels="needs design, q3,mobile",
        effort=0.125,
        impact=0.25,
        reach=1,
        moscow="could",
        status="dropped",
    )
    epic = add("feature", title="Later epic", kind="epic", status="planned", effort=1 / 3)
    items.update_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=story.id,
        changes={"epic_id": epic.id},
        expected_version=story.version,
    )
    first = add("roadmap_item", title="Spike, unplanned", status="blocked", notes="+1 idea")
    second = add("roadmap_item", title="Story work", feature_id=story.id, lane="later")
    add("dependency", item_id=second.id, depends_on_id=first.id)
    return token


@pytest.fixture
def hostile(session: Session) -> str:
    return _hostile_canvas(session)


@pytest.fixture(scope="module")
def on_sqlite(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Session, str]]:
    """The file's form does not depend on the database: one is enough, made once for the
    tests that only read it."""
    path = tmp_path_factory.mktemp("tracker") / "tracker.db"
    shutil.copy(_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as session:
        yield session, _hostile_canvas(session)
    engine.dispose()


def test_jira_file_has_its_columns_one_row_per_item_and_parents_first(
    on_sqlite: tuple[Session, str],
) -> None:
    session, hostile = on_sqlite
    header, rows = _rows(
        tracker_csv.tracker_csv(session=session, canvas_token=hostile, tracker="jira")
    )
    for name in ("Issue ID", "Issue Type", "Summary", "Description", "Status", "Priority",
                 "Story Points", "Labels", "Parent", "Start date", "Due date",
                 "Outward issue link (Blocks)", "Strategy Canvas ID"):  # fmt: skip
        assert name in header, name
    features = items.list_items(session=session, canvas_token=hostile, kind="feature")
    roadmap = items.list_items(session=session, canvas_token=hostile, kind="roadmap_item")
    assert len(rows) == len(features) + len(roadmap)
    record = [dict(zip(header, row, strict=True)) for row in rows]
    ids = [r["Issue ID"] for r in record]
    assert len(set(ids)) == len(ids) and all(i.isdigit() for i in ids)
    levels = [JIRA_TYPES[r["Issue Type"]] for r in record]
    assert levels == sorted(levels, reverse=True)  # epics, standard issues, sub-tasks
    position = {r["Issue ID"]: n for n, r in enumerate(record)}
    kind = {r["Issue ID"]: r["Issue Type"] for r in record}
    for n, r in enumerate(record):
        if r["Parent"]:
            assert position[r["Parent"]] < n  # parents come before their children
            expected = ("Epic",) if r["Issue Type"] in ("Story", "Task") else ("Story", "Task")
            assert kind[r["Parent"]] in expected
    for blocked in _column(header, rows, "Outward issue link (Blocks)"):
        assert all(b in position for b in blocked if b)
    # the dependency: "Story work" depends on "Spike", so the spike blocks it
    spike = next(r for r in record if r["Summary"] == "Spike, unplanned")
    work = next(r for r in record if r["Summary"] == "Story work")
    blocks = _column(header, [rows[position[spike["Issue ID"]]]], "Outward issue link (Blocks)")
    assert work["Issue ID"] in blocks[0]
    assert (work["Issue Type"], spike["Issue Type"], spike["Status"]) == (
        "Sub-task",
        "Task",
        "Blocked",
    )
    assert spike["Description"] == "'+1 idea"  # guarded, as a spreadsheet would run it
    story = next(r for r in record if r["Summary"].startswith("'=HYPERLINK"))
    assert story["Parent"] == next(r for r in record if r["Summary"] == "Later epic")["Issue ID"]
    assert (story["Priority"], story["Status"], story["Story Points"]) == (
        "Medium",
        "Won't Do",
        "1.25",
    )
    labels = _column(header, [rows[position[story["Issue ID"]]]], "Labels")[0]
    assert [x for x in labels if x] == ["needs design", "q3", "mobile"]
    dated = next(r for r in record if r["Summary"] == "Receipt scan v2: line-item OCR")
    assert (dated["Start date"], dated["Due date"]) == ("03/Aug/26 12:00 AM", "25/Sep/26 12:00 AM")


def test_linear_file_is_what_linears_importer_reads(on_sqlite: tuple[Session, str]) -> None:
    session, hostile = on_sqlite
    header, rows = _rows(
        tracker_csv.tracker_csv(session=session, canvas_token=hostile, tracker="linear")
    )
    # Linear's importer reads these by name (it splits Labels, so the column must be there)
    for name in ("Title", "Description", "Status", "Estimate", "Priority", "Labels",
                 "Assignee", "Created", "Started", "Completed", "Archived"):  # fmt: skip
        assert name in header, name
    record = [dict(zip(header, row, strict=True)) for row in rows]
    assert all(r["Title"] for r in record)
    assert all(r["Estimate"] == "" or r["Estimate"].isdigit() for r in record)  # whole points
    assert {r["Priority"] for r in record} <= {"No priority", "Urgent", "High", "Medium", "Low"}
    story = next(r for r in record if "HYPERLINK" in r["Title"])
    assert story["Title"].startswith("'=") and story["Labels"] == "needs design, q3, mobile"
    assert (story["Estimate"], story["Status"]) == ("1", "Canceled")
    epic = next(r for r in record if r["Title"] == "Later epic")
    assert story["Parent issue"] == epic["Strategy Canvas ID"]  # no key: its canvas ID
    dated = next(r for r in record if r["Title"] == "Receipt scan v2: line-item OCR")
    assert (dated["Start Date"], dated["Due Date"]) == ("2026-08-03", "2026-09-25")


@pytest.mark.parametrize("tracker", ["jira", "linear"])
def test_reimporting_the_tracker_file_changes_nothing(
    session: Session, hostile: str, tracker: str
) -> None:
    text = tracker_csv.tracker_csv(session=session, canvas_token=hostile, tracker=tracker)
    before = _snapshot(session, hostile)
    table = backlog.read_backlog(text.encode())
    plan = backlog.plan_import(
        session=session,
        canvas_token=hostile,
        backlog=table,
        mapping=backlog.suggest_mapping(table.columns),
    )
    assert not plan.errors and not plan.unknown, (plan.errors, plan.unknown)
    assert (len(plan.creates), len(plan.updates)) == (0, 0), [p.data for p in plan.updates]
    assert len(plan.unchanged) == len(table)
    result = backlog.apply_import(session=session, canvas_token=hostile, plan=plan)
    assert (result.created, result.updated, result.scheduled) == (0, 0, 0)
    assert _snapshot(session, hostile) == before  # not a value, not the change counter


def test_a_change_made_in_the_tracker_comes_back_to_the_same_item(
    on_sqlite: tuple[Session, str],
) -> None:
    """The tracker keeps the Strategy Canvas ID in a custom field; its export names it
    "Custom field (Strategy Canvas ID)" and brings the changes back to the same item."""
    session, hostile = on_sqlite
    text = tracker_csv.tracker_csv(session=session, canvas_token=hostile, tracker="jira")
    header, rows = _rows(text)
    header = [f"Custom field ({h})" if h == "Strategy Canvas ID" else h for h in header]
    header = ["Issue key" if h == "Issue key" else h for h in header]
    record = [dict(zip(header, row, strict=True)) for row in rows]
    first = record[0]
    rows[0][header.index("Summary")] = first["Summary"] + " (renamed in Jira)"
    rows[0][header.index("Issue key")] = "TW-900"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    table = backlog.read_backlog(buffer.getvalue().encode())
    plan = backlog.plan_import(
        session=session,
        canvas_token=hostile,
        backlog=table,
        mapping=backlog.suggest_mapping(table.columns),
    )
    (update,) = plan.updates
    assert update.data == {
        "title": first["Summary"] + " (renamed in Jira)",
        "external_key": "TW-900",
    }
    assert len(plan.unchanged) == len(rows) - 1 and not plan.creates
