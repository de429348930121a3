"""Backlog CSVs from Jira, Linear, Asana and Productboard as they really are: mapped,
planned and imported on SQLite and PostgreSQL. Long text is kept or cut with a note,
never a reason to refuse the file; localized headers are known; unknown values are
reported with what they became and can be mapped; bad rows are refused or skipped with
a report; nothing is ever half-written."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas.export import backlog
from strategy_canvas.services import activity, canvases, items
from strategy_canvas.services.errors import ValidationFailed
from tests.backlog_files import (
    JIRA_LANGUAGES,
    MARKUP,
    JiraIssue,
    asana_csv,
    attachment,
    jira_csv,
    linear_csv,
)

DATA = Path(__file__).parent / "data"


def _canvas(session: Session, name: str = "Backlog") -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": name}).token


def _features(session: Session, token: str) -> dict[str, m.Feature]:
    rows = items.list_items(session=session, canvas_token=token, kind="feature")
    return {f.external_key or f.title: f for f in rows}


def _plan(session: Session, token: str, raw: bytes, **options: Any) -> backlog.ImportPlan:
    table = backlog.read_backlog(raw)
    mapping = options.pop("mapping", None) or backlog.suggest_mapping(table.columns)
    return backlog.plan_import(
        session=session, canvas_token=token, backlog=table, mapping=mapping, **options
    )


def _import(
    session: Session, token: str, raw: bytes, *, skip_invalid: bool = False, **options: Any
) -> tuple[backlog.ImportPlan, backlog.ImportResult]:
    plan = _plan(session, token, raw, **options)
    result = backlog.apply_import(
        session=session, canvas_token=token, plan=plan, skip_invalid=skip_invalid
    )
    return plan, result


def _counts(result: backlog.ImportResult) -> tuple[int, int, int]:
    return result.created, result.updated, result.unchanged


# ------------------------------------------------------------------ the tidy files


def test_jira_export_is_mapped_and_imported(session: Session) -> None:
    token = _canvas(session)
    plan, result = _import(session, token, (DATA / "jira_export.csv").read_bytes())
    assert _counts(result) == (4, 0, 0) and not plan.errors
    by_key = _features(session, token)
    assert set(by_key) == {"TW-101", "TW-102", "TW-103", "TW-104"}
    recipe = by_key["TW-101"]
    assert recipe.title == "Recipe import from URL"
    assert recipe.description.startswith("As a parent") and "\n" in recipe.description
    assert recipe.effort == pytest.approx(5 / backlog.POINTS_PER_PERSON_MONTH)
    assert (recipe.status, recipe.moscow, recipe.kind, recipe.labels) == (
        "idea",
        "should",
        "story",
        "import",
    )
    assert (by_key["TW-102"].status, by_key["TW-102"].moscow) == ("building", "must")
    assert (by_key["TW-103"].kind, by_key["TW-103"].status) == ("epic", "shipped")
    assert (by_key["TW-104"].status, by_key["TW-104"].effort) == ("dropped", None)
    assert '"use by"' in by_key["TW-102"].description


def test_linear_and_productboard_exports_are_mapped(session: Session) -> None:
    token = _canvas(session)
    _, result = _import(session, token, (DATA / "linear_export.csv").read_bytes())
    assert result.created == 3
    _, result = _import(session, token, (DATA / "productboard_export.csv").read_bytes())
    assert result.created == 2  # ";"-separated
    by_key = _features(session, token)
    offline = by_key["ENG-41"]
    assert offline.title == "Offline grocery list" and offline.moscow == "must"
    assert offline.status == "planned"  # Linear's Todo: chosen, not yet started
    assert offline.external_url.startswith("https://linear.app/")
    assert by_key["ENG-42"].title == "Barcode scan for pantry | quick add"
    assert by_key["ENG-43"].moscow is None and by_key["ENG-43"].effort is None
    taste = by_key["8f1c2d3e-0001"]
    assert taste.title == "Family taste profiles" and taste.kind == "feature"
    assert taste.effort == 2  # Productboard's "Effort" is person-months already
    assert taste.external_url.endswith("8f1c2d3e-0001")
    assert "€" in by_key["8f1c2d3e-0002"].description


def test_reimporting_an_updated_export_updates_by_external_key(session: Session) -> None:
    token = _canvas(session)
    _import(session, token, (DATA / "jira_export.csv").read_bytes())
    first = _features(session, token)
    # The team scores a feature in the canvas; a re-import must not wipe that.
    items.update_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=first["TW-103"].id,
        changes={"reach": 900, "value": 8},
        expected_version=first["TW-103"].version,
    )
    plan, result = _import(session, token, (DATA / "jira_export_updated.csv").read_bytes())
    assert _counts(result) == (1, 2, 2), plan.summary()
    after = _features(session, token)
    assert len(after) == 5  # no duplicates
    assert after["TW-101"].id == first["TW-101"].id
    assert after["TW-101"].status == "building"
    assert after["TW-101"].effort == pytest.approx(8 / backlog.POINTS_PER_PERSON_MONTH)
    assert after["TW-102"].title == "Pantry expiry dates and reminders"
    assert (after["TW-103"].reach, after["TW-103"].value) == (900, 8)
    _, again = _import(session, token, (DATA / "jira_export_updated.csv").read_bytes())
    assert _counts(again) == (0, 0, 5)


def test_the_history_shows_an_import_as_one_action_of_the_importer(session: Session) -> None:
    token = _canvas(session)
    canvas_id = canvases.get_canvas(session=session, canvas_token=token).id
    plan = _plan(session, token, (DATA / "jira_export.csv").read_bytes())
    backlog.apply_import(
        session=session,
        canvas_token=token,
        plan=plan,
        actor=activity.importer("jira_export.csv"),
    )
    entries = session.exec(
        select(m.Activity).where(m.Activity.canvas_id == canvas_id, m.Activity.kind == "feature")
    ).all()
    assert len(entries) == 4
    assert {(e.actor_name, e.via) for e in entries} == {("import: jira_export.csv", "import")}
    assert len({e.batch for e in entries}) == 1 and entries[0].batch  # undone together


# -------------------------------------------------------------- bad rows, skipping


def test_bad_rows_are_listed_and_by_default_nothing_is_imported(session: Session) -> None:
    token = _canvas(session)
    plan = _plan(session, token, (DATA / "jira_bad_rows.csv").read_bytes())
    problems = {(e.row, e.field.split(" (")[0]): e.message for e in plan.errors}
    assert "required" in problems[(3, "Title")]
    assert "must be a number, not 'lots'" in problems[(4, "Effort")]
    assert "also on row 2" in problems[(6, "Key")]
    assert plan.bad_rows == [3, 4, 6] and "3 rows with problems" in plan.summary()
    # Not problems: a title over 200 characters is cut with a note, and an unknown
    # priority is reported with what it became.
    (long_row,) = [p for p in plan.preview if p.row == 5]
    assert long_row.action == "new" and long_row.values["title"].endswith(
        "… (cut, 250 characters in the file)"
    )
    assert len(long_row.values["title"]) == m.SHORT
    assert long_row.values["description"].startswith("Full title: " + "X" * 250 + "\n\n")
    (unknown,) = plan.unknown
    assert (unknown.field, unknown.value, unknown.became, unknown.rows) == (
        "moscow",
        "Whenever",
        None,
        (6,),
    )
    revision = canvases.get_revision(session=session, canvas_token=token)
    with pytest.raises(ValidationFailed) as failed:
        backlog.apply_import(session=session, canvas_token=token, plan=plan)
    assert "Row 3" in str(failed.value) and "Row 4" in str(failed.value)
    assert _features(session, token) == {}
    assert canvases.get_revision(session=session, canvas_token=token) == revision


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(session: Session) -> None:
    token = _canvas(session)
    _, result = _import(
        session, token, (DATA / "jira_bad_rows.csv").read_bytes(), skip_invalid=True
    )
    assert result.skipped == (3, 4, 6) and result.created == 2
    assert "skipped rows 3, 4, 6" in result.summary()
    stored = _features(session, token)
    assert set(stored) == {"TW-201", "TW-204"}
    assert stored["TW-201"].title == "Good row" and stored["TW-201"].effort == 0.3
    assert stored["TW-204"].title.endswith("(cut, 250 characters in the file)")


def test_story_points_out_of_range_are_refused_in_the_files_own_unit(session: Session) -> None:
    """Effort is kept in person-months; a refusal of story points says so, rather than
    "Story Points must be at most 1000" of a column whose limit is 10,000 points."""
    raw = b"Summary,Issue key,Story Points\nA,TW-1,99999\nB,TW-2,-5\nC,TW-3,10000\n"
    plan = _plan(session, _canvas(session), raw)
    problems = {e.row: f"{e.field} {e.message}" for e in plan.errors}
    assert problems == {
        2: "Effort (column “Story Points”) 99999 points are 9,999.9 person-months at 10 "
        "points a person-month; effort must be at most 1,000 person-months (10,000 points)",
        3: "Effort (column “Story Points”) -5 points are -0.5 person-months at 10 "
        "points a person-month; effort must be greater than 0",
    }
    assert plan.creates[0].data["effort"] == 1000  # 10,000 points: the limit itself


def test_a_failing_write_rolls_back_the_whole_import(session: Session) -> None:
    token = _canvas(session)
    plan = _plan(session, token, (DATA / "jira_export.csv").read_bytes())
    # A row that only fails when written (it slipped past planning) stops everything.
    plan.creates.append(backlog.PlannedRow(99, "feature", "x", {"title": "x", "persona_id": 987}))
    with pytest.raises(ValidationFailed):
        backlog.apply_import(session=session, canvas_token=token, plan=plan, skip_invalid=True)
    assert _features(session, token) == {}


# ------------------------------------------------------------- files as they are


def _pantry_issues() -> list[JiraIssue]:
    huge_comment = "12/Aug/24 9:14 AM;557058:abc;" + ("Log line from the device. " * 5_700)
    return [
        JiraIssue(
            "TW-1",
            "Household pantry",
            issue_type="Epic",
            status="In Progress",
            priority="Highest",
            issue_id=10_001,
            labels=["pantry"],
        ),
        JiraIssue(
            "TW-2",
            "Expiry reminders",
            status="To Do",
            priority="High",
            points="5",
            description=MARKUP,
            labels=["pantry", "mobile", "q3", "reminders", "notifications", "beta"],
            sprints=[f"TW Sprint {n}" for n in range(1, 48)],
            attachments=[attachment(n) for n in range(51)],
            comments=[huge_comment],
            due="24/jun/24",
            parent="10001",
            issue_id=10_002,
        ),
        JiraIssue(
            "TW-3",
            "Device logs in the report",
            points="0.5",
            description="Paste the log:\r\n" + "0123456789" * 14_100,
            due="11/01/2025 15:22",
            created="11/01/2025 15:22",
            parent="10001",
            issue_id=10_003,
        ),
    ]


@pytest.mark.parametrize(
    ("encoding", "endings"),
    [("utf-8-sig", ("\r\n", "\n", "\r")), ("utf-8", ("\n",)), ("cp1252", ("\r\n",))],
    ids=["bom-mixed-endings", "plain-utf8", "excel-windows-1252"],
)
def test_a_jira_cloud_export_with_every_trait_imports_whole(
    session: Session, encoding: str, endings: tuple[str, ...]
) -> None:
    raw = jira_csv(_pantry_issues(), encoding=encoding, line_endings=endings)
    assert len(raw) > 280_000
    table = backlog.read_backlog(raw)
    assert table.repeats("Sprint") == 47 and table.repeats("Labels") == 6
    assert table.repeats("Attachment") == 51
    assert max(len(c) for row in table.rows for c in row) > 140_000  # the comment, whole
    token = _canvas(session)
    plan, result = _import(session, token, raw)
    assert not plan.errors and _counts(result) == (3, 0, 0)
    stored = _features(session, token)
    reminders, logs, epic = stored["TW-2"], stored["TW-3"], stored["TW-1"]
    # every label of the repeated columns, each once
    assert reminders.labels == "pantry, mobile, q3, reminders, notifications, beta"
    # Jira markup and mentions are the user's text: kept exactly, never interpreted
    assert reminders.description == MARKUP.replace("\r\n", "\n")
    # a description longer than Jira's own limit is cut, with a note saying so
    assert len(logs.description) == m.DESCRIPTION
    assert logs.description.endswith("… (cut, 141,015 characters in the file)")
    assert any("row 4: Description cut at 32,767" in w for w in plan.warnings)
    # parents are epics; due dates place features on the roadmap
    assert reminders.epic_id == epic.id and logs.epic_id == epic.id
    roadmap = {
        r.feature_id: r
        for r in items.list_items(session=session, canvas_token=token, kind="roadmap_item")
    }
    assert roadmap[reminders.id].end_date == date(2024, 6, 24)
    assert roadmap[logs.id].end_date == date(2025, 1, 11)  # day/month, Jira's order
    assert result.scheduled == 2
    assert any("could be day/month or month/day" in w for w in plan.warnings)
    # importing the same file again changes nothing
    _, again = _import(session, token, raw)
    assert _counts(again) == (0, 0, 3)


def test_numeric_dates_take_the_order_the_column_settles(session: Session) -> None:
    issues = [
        JiraIssue("TW-1", "A", due="11/01/2025"),
        JiraIssue("TW-2", "B", due="01/13/2025"),  # only month/day reads this one
    ]
    token = _canvas(session)
    plan = _plan(session, token, jira_csv(issues, sprints=1, labels=1, attachments=1))
    dues = {p.values["external_key"]: p.values["due_date"] for p in plan.preview}
    assert dues == {"TW-1": date(2025, 11, 1), "TW-2": date(2025, 1, 13)}
    assert not any("could be" in w for w in plan.warnings)
    chosen = _plan(session, token, jira_csv(issues[:1], sprints=1), date_order="mdy")
    assert chosen.preview[0].values["due_date"] == date(2025, 11, 1)
    chosen = _plan(session, token, jira_csv(issues[:1], sprints=1), date_order="dmy")
    assert chosen.preview[0].values["due_date"] == date(2025, 1, 11)


@pytest.mark.parametrize("language", [lang for lang in JIRA_LANGUAGES if lang != "en"])
def test_localized_jira_headers_and_values_are_known(session: Session, language: str) -> None:
    issues = [
        JiraIssue("TW-1", "Épica de la despensa", issue_type="Epic", status="In Progress"),
        JiraIssue(
            "TW-2",
            "Recordatorios",
            priority="High",
            points="2,5",
            labels=["despensa", "móvil"],
            description="Descripción con acentos: ñ, ü, é",
            due="24/jun/24",
        ),
        JiraIssue("TW-3", "Informe", status="Done", priority="Low", points="8"),
    ]
    raw = jira_csv(issues, language=language, sprints=2, labels=2, attachments=1)
    mapping = backlog.suggest_mapping(backlog.read_backlog(raw).columns)
    assert set(mapping) >= {
        "title",
        "external_key",
        "issue_id",
        "kind",
        "status",
        "moscow",
        "effort",
        "labels",
        "description",
        "due_date",
        "parent",
        "status_category",
    }
    token = _canvas(session)
    plan, result = _import(session, token, raw)
    assert not plan.errors and not plan.unknown and result.created == 3, plan.unknown
    stored = _features(session, token)
    assert (stored["TW-1"].kind, stored["TW-1"].status) == ("epic", "building")
    reminders = stored["TW-2"]
    assert (reminders.kind, reminders.status, reminders.moscow) == ("story", "idea", "should")
    assert reminders.effort == 0.25  # "2,5" points, with a decimal comma
    assert reminders.labels == "despensa, móvil"
    assert reminders.description == "Descripción con acentos: ñ, ü, é"
    assert (stored["TW-3"].status, stored["TW-3"].moscow) == ("shipped", "wont")


@pytest.mark.parametrize(
    "column",
    [
        "カスタムフィールド (ストーリーポイント)",  # Japanese Jira translates the field too
        "カスタムフィールド (ストーリーポイントの見積もり)",
        "Campo personalizado (Estimación de puntos de historia)",
        "Benutzerdefiniertes Feld (Story-Point-Schätzung)",
        "Campo personalizado (Estimativa de pontos de história)",
    ],
)
def test_story_points_are_known_by_their_translated_names(column: str) -> None:
    mapping = backlog.suggest_mapping(["要約", column])
    assert mapping == {"title": "要約", "effort": column}


def test_a_title_column_that_cannot_be_matched_names_the_columns_and_the_closest(
    session: Session,
) -> None:
    raw = b"Sommario;Chiave;Stato\nPantry;TW-1;Da fare\n"
    token = _canvas(session)
    with pytest.raises(ValidationFailed) as failed:
        _plan(session, token, raw)
    message = str(failed.value)
    assert "no column is mapped to the title" in message
    assert "The file's columns: Sommario, Chiave, Stato" in message
    assert "Closest to a title: “Sommario”" in message  # like Italian "Riepilogo"/"Summary"
    with pytest.raises(ValidationFailed, match="no column “Sumary”; closest: “Summary”"):
        backlog.parse_mapping(["title=Sumary"], ["Summary", "Status"])
    plan = _plan(session, token, raw, mapping={"title": "Sommario", "external_key": "Chiave"})
    assert plan.creates[0].data == {"title": "Pantry", "external_key": "TW-1"}


def test_unknown_statuses_are_reported_with_what_they_became_and_can_be_mapped(
    session: Session,
) -> None:
    issues = [
        JiraIssue("TW-1", "A", status="UAT"),
        JiraIssue("TW-2", "B", status="On Hold"),
        JiraIssue("TW-3", "C", status="Analyzing", status_category="In Progress"),
        JiraIssue("TW-4", "D", status="UAT"),
        JiraIssue("TW-5", "E", status="Tareas por hacer"),  # Spanish Jira's "To Do"
    ]
    raw = jira_csv(issues, sprints=1, labels=1, attachments=1)
    token = _canvas(session)
    plan = _plan(session, token, raw)
    unknown = {u.value: (u.became, u.rows) for u in plan.unknown}
    assert unknown == {
        "UAT": ("idea", (2, 5)),
        "On Hold": ("idea", (3,)),
        "Analyzing": ("building", (4,)),  # its Jira status category says so
    }
    assert "Status “UAT” is not one this knows (rows 2, 5); it became idea" in str(plan.unknown[0])
    _import(session, token, raw, value_map={"status": {"uat": "building", "On Hold": "planned"}})
    stored = _features(session, token)
    assert [stored[k].status for k in ("TW-1", "TW-2", "TW-3", "TW-4", "TW-5")] == [
        "building",
        "planned",
        "building",
        "building",
        "idea",
    ]
    with pytest.raises(ValidationFailed, match="'shipping' is not one of idea, planned"):
        backlog.parse_value_map("status", ["UAT=shipping"])


def test_an_unknown_status_that_became_different_things_says_what_each_row_became(
    session: Session,
) -> None:
    """A status of the team's own workflow takes its Jira status category's meaning row
    by row, so one status can become several: the report names every outcome with its
    rows, never one outcome for all."""
    issues = [
        JiraIssue("TW-1", "A", status="Im Test", status_category="To Do"),
        JiraIssue("TW-2", "B", status="Im Test", status_category="Done"),
        JiraIssue("TW-3", "C", status="Im Test", status_category="To Do"),
        JiraIssue("TW-4", "D", status="Im Test", status_category="In Progress"),
    ]
    raw = jira_csv(issues, sprints=1, labels=1, attachments=1)
    token = _canvas(session)
    plan = _plan(session, token, raw)
    (unknown,) = plan.unknown
    assert unknown.rows == (2, 3, 4, 5)
    assert unknown.outcomes == (("idea", (2, 4)), ("shipped", (3,)), ("building", (5,)))
    assert str(unknown) == (
        "Status “Im Test” is not one this knows (rows 2, 3, 4, 5); as its Jira status "
        "category says, it became idea (rows 2, 4), shipped (row 3) and building (row 5)"
    )
    statuses = {p.values["external_key"]: p.values["status"] for p in plan.preview}
    assert statuses == {"TW-1": "idea", "TW-2": "shipped", "TW-3": "idea", "TW-4": "building"}
    # mapped, it is one thing in every row
    plan = _plan(session, token, raw, value_map={"status": {"Im Test": "building"}})
    assert not plan.unknown
    assert {p.values["status"] for p in plan.preview} == {"building"}


def test_asana_long_names_custom_statuses_tags_and_parents(session: Session) -> None:
    def name(n: int, length: int) -> str:  # words, ending in a full stop
        text = (f"Task {n}: " + "rewrite the onboarding copy, " * 12)[: length - 1].rstrip()
        return text + "." * (length - len(text))

    names = {n: name(n, 201 + n * 13) for n in range(4)}  # 201 .. 240 characters
    rows = [
        {"Task ID": "1204", "Name": "Onboarding", "Section/Column": "Doing", "Status": "UAT"},
        *(
            {
                "Task ID": str(1300 + n),
                "Name": names[n],
                "Section/Column": "To do",
                "Status": ["On Hold", "Analyzing", "Tareas por hacer", "Done"][n],
                "Tags": "copy,onboarding, q3",
                "Notes": "Line one\nLine two",
                "Due Date": "2024-07-15",
                "Parent task": "Onboarding",
                "Priority": "High",
            }
            for n in range(4)
        ),
    ]
    token = _canvas(session)
    # The parent is an ordinary task in Asana: make it an epic here.
    plan, result = _import(
        session, token, asana_csv(rows), value_map={"status": {"UAT": "building"}}
    )
    assert not plan.errors and result.created == 5
    assert {u.value for u in plan.unknown} == {"On Hold", "Analyzing"}
    stored = _features(session, token)
    for n in range(4):
        task = stored[str(1300 + n)]
        assert len(task.title) <= m.SHORT
        assert task.title.endswith(f"(cut, {201 + n * 13} characters in the file)")
        assert task.description == f"Full title: {names[n]}\n\nLine one\nLine two"
        assert task.labels == "copy, onboarding, q3"
    assert stored["1302"].status == "idea" and stored["1303"].status == "shipped"
    assert any("a parent that is not an epic" in w for w in plan.warnings)


def test_linear_dates_comma_labels_and_parent_issues(session: Session) -> None:
    rows = [
        {"ID": "ENG-1", "Title": "Sync", "Status": "In Progress", "Labels": "Epic"},
        {
            "ID": "ENG-2",
            "Title": "Offline list",
            "Status": "Todo",
            "Estimate": "3",
            "Priority": "Urgent",
            "Labels": "mobile, offline, Feature request",
            "Created": "Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)",
            "Due Date": "Fri Mar 31 2023 00:00:00 GMT+0000 (GMT)",
            "Parent issue": "ENG-1",
        },
    ]
    token = _canvas(session)
    plan, result = _import(session, token, linear_csv(rows), value_map={})
    assert not plan.errors and result.created == 2
    stored = _features(session, token)
    offline = stored["ENG-2"]
    assert offline.labels == "mobile, offline, Feature request"
    assert (offline.status, offline.moscow, offline.effort) == ("planned", "must", 0.3)
    (placed,) = items.list_items(session=session, canvas_token=token, kind="roadmap_item")
    assert (placed.feature_id, placed.end_date) == (offline.id, date(2023, 3, 31))
    # ENG-1 is no epic here (Linear has none): the link is reported, not guessed
    assert offline.epic_id is None
    assert any("not an epic" in w for w in plan.warnings)


# --------------------------------------------------------------- what is refused


def test_files_that_cannot_be_read_get_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        backlog.read_backlog(b"  \n")
    with pytest.raises(ValidationFailed, match="at most 50 MB"):
        backlog.read_backlog(b"a" * (backlog.MAX_BYTES + 1))
    rows = "Summary\n" + "x\n" * (backlog.MAX_ROWS + 1)
    with pytest.raises(ValidationFailed, match="more than 20,000 rows"):
        backlog.read_backlog(rows.encode())
    with pytest.raises(ValidationFailed, match="no rows"):
        backlog.read_backlog(b"Summary,Issue key\n")
    with pytest.raises(ValidationFailed, match="mixes two encodings"):
        backlog.read_backlog("Summary\nCafé\n".encode() + b"Caf\xe9\n")
    with pytest.raises(ValidationFailed, match="not CSV this can read"):
        backlog.read_backlog(b'Summary,Key\n"open quote,TW-1\n')
    cp1252 = "Summary;Description\nCaf\xe9 menu;\u20ac price\n".encode("cp1252")
    table = backlog.read_backlog(cp1252)
    assert (table.encoding, table.delimiter) == ("Windows-1252", ";")
    assert table.frame().loc[0, "Summary"] == "Café menu"
    excel = b"sep=;\r\nSummary;Status\r\nA;Done\r\n"
    assert backlog.read_backlog(excel).columns == ["Summary", "Status"]
    with pytest.raises(ValidationFailed, match="FIELD=COLUMN"):
        backlog.parse_mapping(["title"])
    with pytest.raises(ValidationFailed, match="not a field"):
        backlog.parse_mapping(["owner=Assignee"])


def test_a_row_longer_than_the_header_is_a_problem_of_that_row(session: Session) -> None:
    raw = b"Summary,Issue key\nA,TW-1\nB,TW-2,stray cell\nC,TW-3,,\n"
    token = _canvas(session)
    plan = _plan(session, token, raw)
    assert [(e.row, e.field) for e in plan.errors] == [(3, "Row")]
    assert "1 cells more than the header" in plan.errors[0].message
    assert len(plan.creates) == 2  # empty extra cells are no problem


# ----------------------------------------------------------------- property test

_STATUSES = {"To Do": "idea", "In Progress": "building", "Done": "shipped", "UAT": "idea"}
_WORDS = st.sampled_from(["pantry", "Café", "naïve", "重要", "🧭", "a,b", '"quoted"', "x" * 40])


@st.composite
def _exported_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows of a Jira export with the traits of real ones, some of them broken."""
    rows = []
    for n in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["ok", "ok", "ok", "no title", "bad points", "bad date"]))
        length = draw(st.sampled_from([12, 200, 201, 240]))
        words = draw(st.lists(_WORDS, min_size=1, max_size=6))
        title = (" ".join(words) * 30)[:length].strip() or "t"
        rows.append(
            {
                "key": f"TW-{n + 1}",
                "kind": kind,
                "title": "" if kind == "no title" else title,
                "labels": draw(st.lists(st.sampled_from(["a", "b", "ü", "q3"]), max_size=6)),
                "points": "lots"
                if kind == "bad points"
                else draw(st.sampled_from(["", "3", "2,5", "0.5"])),
                "status": draw(st.sampled_from(list(_STATUSES))),
                "due": "next week"
                if kind == "bad date"
                else draw(
                    st.sampled_from(
                        ["", "24/jun/24", "2024-06-24", "Mon Jun 24 2024 00:00:00 GMT+0000"]
                    )
                ),
                "description": draw(st.sampled_from(["", MARKUP, "é\r\nline\rtwo", "y" * 33_000])),
            }
        )
    return rows


def _expected_points(text: str) -> float | None:
    return {"": None, "3": 0.3, "2,5": 0.25, "0.5": 0.05}[text]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=_exported_rows(),
    encoding=st.sampled_from(["utf-8-sig", "utf-8"]),
    endings=st.sampled_from([("\r\n",), ("\n",), ("\r\n", "\n", "\r")]),
)
def test_every_row_is_imported_with_its_values_or_reported(
    sqlite_engine: Engine, rows: list[dict[str, Any]], encoding: str, endings: tuple[str, ...]
) -> None:
    issues = [
        JiraIssue(
            r["key"],
            r["title"],
            status=r["status"],
            points=r["points"],
            labels=r["labels"],
            due=r["due"],
            description=r["description"],
        )
        for r in rows
    ]
    raw = jira_csv(
        issues, sprints=2, labels=1, attachments=1, encoding=encoding, line_endings=endings
    )
    with Session(sqlite_engine, expire_on_commit=False) as session:
        token = _canvas(session)
        plan = _plan(session, token, raw)
        # all or nothing: a file with a bad row writes nothing at all
        if plan.errors:
            with pytest.raises(ValidationFailed):
                backlog.apply_import(session=session, canvas_token=token, plan=plan)
            assert _features(session, token) == {}
            assert items.list_items(session=session, canvas_token=token, kind="roadmap_item") == []
        result = backlog.apply_import(
            session=session, canvas_token=token, plan=plan, skip_invalid=True
        )
        stored = _features(session, token)
        placed = {
            r.feature_id: r
            for r in items.list_items(session=session, canvas_token=token, kind="roadmap_item")
        }
    reported = set(result.skipped)
    for number, row in enumerate(rows, start=2):
        broken = row["kind"] != "ok"
        assert (number in reported) == broken, (number, row["kind"], plan.errors)
        if broken:
            assert row["key"] not in stored  # nothing of a skipped row is written
            continue
        feature = stored[row["key"]]
        if len(row["title"]) <= m.SHORT:
            assert feature.title == row["title"]
        else:
            assert feature.title.endswith(f"(cut, {len(row['title'])} characters in the file)")
            assert feature.description.startswith(f"Full title: {row['title']}")
        assert feature.labels == ", ".join(dict.fromkeys(row["labels"]))
        assert feature.effort == _expected_points(row["points"])
        assert feature.status == _STATUSES[row["status"]]
        described = row["description"].replace("\r\n", "\n").replace("\r", "\n")
        if len(row["title"]) <= m.SHORT and len(described) <= m.DESCRIPTION:
            assert feature.description == described
        assert len(feature.description) <= m.DESCRIPTION
        if row["due"]:
            assert placed[feature.id].end_date == date(2024, 6, 24)
        else:
            assert feature.id not in placed


def test_features_are_made_in_an_epic_that_comes_later_in_the_file(session: Session) -> None:
    issues = [
        JiraIssue("TW-2", "Child A", parent="30001", issue_id=30002),
        JiraIssue("TW-3", "Child B", parent="30001", issue_id=30003),
        JiraIssue("TW-1", "The epic", issue_type="Epic", issue_id=30001),
    ]
    token = _canvas(session)
    plan, result = _import(session, token, jira_csv(issues, sprints=1, labels=1, attachments=1))
    assert result.created == 3 and result.without_epic == ()
    # the preview names a new epic by its title and row
    assert [p.values.get("epic") for p in plan.preview] == [
        "The epic (row 4)",
        "The epic (row 4)",
        None,
    ]
    stored = _features(session, token)
    for key in ("TW-2", "TW-3"):
        # linked as it was made (version 1), not moved into the epic afterwards
        assert (stored[key].epic_id, stored[key].version) == (stored["TW-1"].id, 1)
