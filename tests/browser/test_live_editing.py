"""Two people on one canvas in two browsers: the editing pattern of docs/ARCHITECTURE.md.

While B has an unsaved edit open, A saves a change. B keeps what it typed, sees A's
change on its live board within the sync interval, and — when both touched the same
item — gets a choice instead of a silent overwrite.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from tests.browser.ui_helpers import choose, live

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase


@pytest.fixture
def shared_canvas(browser_db: BrowserDatabase) -> models.Canvas:
    """Written before the server starts (the app_server fixture asks for it first)."""
    with db.session_scope(browser_db.engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Shared strategy"})
        for title in ("Cut food waste", "Save parents time"):
            items.create_item(
                session=session, canvas_token=canvas.token, kind="goal", data={"title": title}
            )
        return canvas


def _tab(chromium: Browser) -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    return context.new_page()


def _open_goal(page: Page, url: str, title: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Vision", level=1)).to_be_visible()
    choose(page, "What to edit", "Goals")
    choose(page, "Edit a goal", title)
    expect(live(page, "Goal *")).to_have_value(title)


def _goal_titles(browser_db: BrowserDatabase, token: str) -> list[str]:
    with db.session_scope(browser_db.engine, readonly=True) as session:
        return [g.title for g in items.list_items(session=session, canvas_token=token, kind="goal")]


def test_b_keeps_its_typing_sees_a_and_chooses_on_conflict(
    shared_canvas: models.Canvas,
    app_server: AppServer,
    browser_db: BrowserDatabase,
    chromium: Browser,
) -> None:
    url = f"{app_server.url}/Vision?canvas={shared_canvas.token}"
    a, b = _tab(chromium), _tab(chromium)
    _open_goal(b, url, "Cut food waste")
    # B is mid-typing: the text is in the box, not yet sent (no blur, no Enter).
    b_title = live(b, "Goal *")
    b_title.click()
    b_title.press_sequentially(" by 30%", delay=10)

    # A saves a change to the same goal, and a new goal.
    _open_goal(a, url, "Cut food waste")
    live(a, "Goal *").fill("Halve food waste")
    a.get_by_role("button", name="Save").click()
    expect(a.get_by_text("Saved goal “Halve food waste”")).to_be_visible()
    saved_at = time.monotonic()

    # B sees A's change on its live board without doing anything, and keeps its typing.
    board = b.get_by_test_id("stMainBlockContainer")
    expect(board.get_by_text("Halve food waste").first).to_be_visible(timeout=5_000)
    seen_after = time.monotonic() - saved_at
    expect(b.get_by_text(re.compile("Someone else just saved the goal"))).to_be_visible()
    expect(b_title).to_have_value("Cut food waste by 30%")
    assert b_title.evaluate("el => el === document.activeElement"), "B lost its focus"
    print(f"A's save reached B's screen after {seen_after:.2f} s")

    # B saves: nothing is overwritten silently; B sees theirs and yours and chooses.
    b.get_by_role("button", name="Save").click()
    expect(b.get_by_text(re.compile("compare and choose"))).to_be_visible()
    assert _goal_titles(browser_db, shared_canvas.token)[0] == "Halve food waste"
    b.get_by_role("button", name="Keep my changes on top of theirs").click()
    expect(b.get_by_text("Saved goal “Cut food waste by 30%”")).to_be_visible()
    assert _goal_titles(browser_db, shared_canvas.token)[0] == "Cut food waste by 30%"
    # ... and A's board follows by itself.
    expect(
        a.get_by_test_id("stMainBlockContainer").get_by_text("Cut food waste by 30%").first
    ).to_be_visible(timeout=5_000)


def test_a_change_to_another_item_never_disturbs_b(
    shared_canvas: models.Canvas,
    app_server: AppServer,
    browser_db: BrowserDatabase,
    chromium: Browser,
) -> None:
    url = f"{app_server.url}/Vision?canvas={shared_canvas.token}"
    a, b = _tab(chromium), _tab(chromium)
    _open_goal(b, url, "Cut food waste")
    live(b, "Description").fill("Use what is bought before it spoils")
    live(b, "Goal *").click()  # the description was sent; B keeps editing

    _open_goal(a, url, "Save parents time")
    live(a, "Goal *").fill("Save parents an hour a week")
    a.get_by_role("button", name="Save").click()
    expect(a.get_by_text("Saved goal “Save parents an hour a week”")).to_be_visible()

    expect(b.get_by_text("Save parents an hour a week").first).to_be_visible(timeout=5_000)
    expect(live(b, "Description")).to_have_value("Use what is bought before it spoils")
    assert b.get_by_text(re.compile("Someone else just saved")).count() == 0
    b.get_by_role("button", name="Save").click()
    expect(b.get_by_text("Saved goal “Cut food waste”")).to_be_visible()
    assert _goal_titles(browser_db, shared_canvas.token) == [
        "Cut food waste",
        "Save parents an hour a week",
    ]
