"""Helpers for driving a step page's editor through its widgets in AppTest.

The fixtures (a temporary database per test, the demo canvas) come from tests.test_pages;
these are the few steps every editor test takes: choose what to edit, fill fields, click,
and read back what the services stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db
from strategy_canvas.services import items
from strategy_canvas.ui import designs, vision
from strategy_canvas.ui.text import md
from tests.test_pages import texts

_FIELD_WIDGETS = ("text_input", "text_area", "selectbox", "number_input", "date_input")


def rows(engine: Engine, token: str, kind: str) -> list[Any]:
    """The items of ``kind`` as the services list them."""
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


def choose_kind(at: AppTest, step: int, kind: str) -> AppTest:
    """Pick ``kind`` in the page's "What to edit" box."""
    box = at.selectbox(key=f"step{step}.edit_kind")
    if box.value != kind:
        box.set_value(kind).run()
    return at


def widget(at: AppTest, key: str) -> Any:
    for kind in _FIELD_WIDGETS:
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise KeyError(key)


#: the editors shown a part at a time: kind -> (its parts and their fields, the part's key)
PARTS: dict[str, tuple[dict[str, tuple[str, ...]], str]] = {
    "feature": (designs.FEATURE_PARTS, designs.PART_KEY),
    "vision": (vision.PARTS, vision.PART_KEY),
}


def show_part(at: AppTest, part: str, kind: str = "feature") -> AppTest:
    """Open ``part`` of the editor of ``kind`` (it shows one part of an item at a time)."""
    control = at.segmented_control(key=PARTS[kind][1])
    if control.value != part:
        control.set_value(part).run()
    return at


def fill(at: AppTest, kind: str, sid: str | int, values: dict[str, Any]) -> AppTest:
    """Set the editor's fields of ``kind`` (item ``sid`` or "new"), then run once. An
    editor shown a part at a time is filled part by part, opening each as a user does."""
    groups: list[tuple[str | None, dict[str, Any]]] = [(None, values)]
    if kind in PARTS:
        groups = [
            (part, {n: v for n, v in values.items() if n in names})
            for part, names in PARTS[kind][0].items()
        ]
    for part, group in groups:
        if not group:
            continue
        if part is not None:
            show_part(at, part, kind)
        for name, value in group.items():
            widget(at, f"ed.{kind}.{sid}.{name}").set_value(value)
        at.run()
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def one_success(at: AppTest) -> str:
    """The confirmation shown after a save, add or delete (as markdown: user text escaped)."""
    [text] = texts(at, "success")[-1:] or [""]
    return text


def assert_fields(row: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        assert getattr(row, name) == value, (name, getattr(row, name), value)


def add_edit_delete(
    at: AppTest,
    engine: Engine,
    token: str,
    *,
    step: int,
    kind: str,
    create: dict[str, Any],
    edit: dict[str, Any],
    added: str,
    saved: str | None = None,
) -> Any:
    """Add an item of ``kind`` through the widgets, edit it, delete it; check the database
    and the confirmation after each. Returns the item as it was after the edit."""
    before = [r.id for r in rows(engine, token, kind)]
    choose_kind(at, step, kind)
    fill(at, kind, "new", create)
    click(at, f"ed.{kind}.new.save")
    stored = [r for r in rows(engine, token, kind) if r.id not in before]
    assert len(stored) == 1, texts(at, "error")
    [row] = stored
    assert_fields(row, create)
    assert one_success(at).startswith("Added"), texts(at, "success")
    assert md(added) in one_success(at), one_success(at)

    at.selectbox(key=f"ed.{kind}.open").set_value(str(row.id)).run()
    fill(at, kind, row.id, edit)
    click(at, f"ed.{kind}.{row.id}.save")
    [edited] = [r for r in rows(engine, token, kind) if r.id == row.id]
    assert edited.version == row.version + 1
    assert_fields(edited, edit)
    assert one_success(at).startswith("Saved"), texts(at, "success")
    if saved is not None:
        assert md(saved) in one_success(at), one_success(at)

    click(at, f"ed.{kind}.{row.id}.delete")
    assert [r.id for r in rows(engine, token, kind)] == before
    assert one_success(at).startswith("Deleted"), texts(at, "success")
    assert at.selectbox(key=f"ed.{kind}.open").value == "new"  # ready for the next one
    return edited
