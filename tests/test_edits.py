"""services/edits.py: an edit saved with the version it started from, the conflict it
meets when someone saved first, and keeping one's changes on top of theirs."""

from __future__ import annotations

from sqlmodel import Session

from strategy_canvas.services import canvases, edits, items
from strategy_canvas.services.errors import NotFound, ValidationFailed

FIELDS = ["title", "description", "severity"]


def _token(session: Session) -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": "Edits"}).token


def _opened(row: items.m.CanvasItem) -> edits.ItemEdit:
    """An edit of ``row`` as the editor opens it: every field, nothing changed yet."""
    values = {name: getattr(row, name) for name in FIELDS}
    return edits.ItemEdit("flaw", row.id, row.version, dict(values), dict(values))


def test_a_new_item_is_created_from_its_values(session: Session) -> None:
    token = _token(session)
    edit = edits.ItemEdit("flaw", None, None, values={"title": "Crash", "severity": "high"})
    outcome = edits.save_edit(session=session, canvas_token=token, edit=edit)
    assert isinstance(outcome, edits.Saved) and outcome.created
    assert (outcome.row.title, outcome.row.severity) == ("Crash", "high")


def test_only_the_changed_fields_are_sent_with_the_version(session: Session) -> None:
    token = _token(session)
    row = items.create_item(
        session=session, canvas_token=token, kind="flaw", data={"title": "Crash"}
    )
    edit = _opened(row)
    assert edit.changes() == {}
    unchanged = edits.save_edit(session=session, canvas_token=token, edit=edit)
    assert unchanged == edits.Saved(None)  # nothing to write, nothing written
    changed = edits.ItemEdit(
        "flaw", edit.item_id, edit.base_version, edit.original, {**edit.values, "title": "Boom"}
    )
    assert changed.changes() == {"title": "Boom"}
    saved = edits.save_edit(session=session, canvas_token=token, edit=changed)
    assert isinstance(saved, edits.Saved) and saved.row.version == edit.base_version + 1


def test_someone_saving_first_is_a_conflict_and_keeping_mine_rebases(session: Session) -> None:
    token = _token(session)
    row = items.create_item(
        session=session, canvas_token=token, kind="flaw", data={"title": "Crash"}
    )
    mine = _opened(row)
    mine = edits.ItemEdit(
        "flaw", mine.item_id, mine.base_version, mine.original, {**mine.values, "title": "Mine"}
    )
    items.update_item(
        session=session,
        canvas_token=token,
        kind="flaw",
        item_id=row.id,
        changes={"description": "Theirs", "severity": "critical"},
        expected_version=mine.base_version,
    )
    conflict = edits.save_edit(session=session, canvas_token=token, edit=mine)
    assert isinstance(conflict, edits.Conflict) and not conflict.deleted
    assert conflict.current.description == "Theirs"
    stored = items.get_item(session=session, canvas_token=token, kind="flaw", item_id=row.id)
    assert stored.title == "Crash"  # nothing of mine written
    again = edits.rebased(mine, conflict.current, FIELDS)
    assert again.base_version == conflict.current.version
    assert again.values == {"title": "Mine", "description": "Theirs", "severity": "critical"}
    assert again.changes() == {"title": "Mine"}
    saved = edits.save_edit(session=session, canvas_token=token, edit=again)
    assert isinstance(saved, edits.Saved)
    assert (saved.row.title, saved.row.description) == ("Mine", "Theirs")


def test_a_refused_value_and_a_deleted_item_are_refusals(session: Session) -> None:
    token = _token(session)
    row = items.create_item(
        session=session, canvas_token=token, kind="flaw", data={"title": "Crash"}
    )
    edit = _opened(row)
    blank = edits.ItemEdit("flaw", row.id, edit.base_version, edit.original, {"title": " "})
    refused = edits.save_edit(session=session, canvas_token=token, edit=blank)
    assert isinstance(refused, edits.Refused) and isinstance(refused.error, ValidationFailed)
    assert refused.error.errors[0].field == "title"
    gone = edits.delete_edit(session=session, canvas_token=token, edit=edit)
    assert gone == edits.Saved(None, deleted=True)
    again = edits.save_edit(session=session, canvas_token=token, edit=blank)
    assert isinstance(again, edits.Refused) and isinstance(again.error, NotFound)


def test_deleting_what_someone_changed_is_a_conflict(session: Session) -> None:
    token = _token(session)
    row = items.create_item(
        session=session, canvas_token=token, kind="flaw", data={"title": "Crash"}
    )
    edit = _opened(row)
    items.update_item(
        session=session,
        canvas_token=token,
        kind="flaw",
        item_id=row.id,
        changes={"title": "Still here"},
        expected_version=edit.base_version,
    )
    conflict = edits.delete_edit(session=session, canvas_token=token, edit=edit)
    assert isinstance(conflict, edits.Conflict) and conflict.deleting
    assert conflict.current.title == "Still here"
