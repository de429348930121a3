"""Scoring in place in a real browser: a cell of the Prioritise grid typed into in
headless Chromium is saved to the database and the ranking follows; a change someone
else saves meanwhile (which refreshes the live ranking) does not throw away the cell
being typed.

AppTest hands the page the grid's edit state directly (tests/test_page_prioritisation.py);
this is the one test that types into the grid the way a person does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Locator, Page, expect

from strategy_canvas import db, models
from strategy_canvas.services import items

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

ROW_PX = 35  # the height of a grid row and of its header, in pixels
REACH_COLUMN = 3  # the grid's columns: Feature, Persona, Goal, Reach, Impact, ...


def _feature(browser_db: BrowserDatabase, token: str, title: str) -> Any:
    with db.session_scope(browser_db.engine, readonly=True) as session:
        rows = items.list_items(session=session, canvas_token=token, kind="feature")
    [row] = [r for r in rows if r.title == title]
    return row


def _cell(table: Locator, column: int, row: int) -> str:
    """The text of a cell, from the grid's accessible table (the grid itself is a canvas)."""
    return table.locator(f'[data-testid="glide-cell-{column}-{row}"]').first.inner_text()


def _column(table: Locator, column: int, rows: int) -> list[str]:
    return [_cell(table, column, row) for row in range(rows)]


def _wait_for(condition: Any, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _settle(page: Page) -> None:
    """Wait until the app has run and nothing on the page is stale."""
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')
            .getAttribute('data-test-script-state') === 'notRunning'
            && !document.querySelector('[data-stale="true"]')""",
        polling="raf",
    )


def _type_into(page: Page, grid: Locator, *, row: int, column: int, text: str) -> None:
    """Select the grid's first cell, move to (column, row) with the keyboard, open the
    cell's editor and type ``text`` (not committed yet).

    The grid is a canvas: its first cell is clicked by position. A run that redraws
    the page between measuring and clicking can move it, and the click land on the
    tab bar above (seen: it opened "Features & sketches"): the position is measured on
    a settled page, and the click made again if the Prioritise tab did not stay open."""
    prioritise = page.get_by_role("tab", name="Prioritise")
    for _ in range(3):
        _settle(page)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 60, box["y"] + ROW_PX + ROW_PX / 2)  # Feature, first row
        if prioritise.get_attribute("aria-selected") == "true":
            break
        prioritise.click()
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # opens the cell's editor
    editor = page.locator("#portal input, #portal textarea").first
    expect(editor).to_be_focused()
    editor.fill(text)


def test_a_cell_typed_in_the_grid_is_saved_and_the_ranking_follows(
    demo_canvas: models.Canvas,
    app_server: AppServer,
    browser_db: BrowserDatabase,
    page: Page,
) -> None:
    token = demo_canvas.token
    page.goto(f"{app_server.url}/Designs?canvas={token}")
    expect(page.get_by_role("heading", name="Designs", level=1)).to_be_visible()
    # The page has finished its first run before the tab is clicked, and the tables are
    # looked for in the Prioritise tab's panel (the other tab has two tables too).
    _settle(page)
    prioritise = page.get_by_role("tab", name="Prioritise")
    prioritise.click()
    expect(prioritise).to_have_attribute("aria-selected", "true")
    _settle(page)
    tables = page.get_by_role("tabpanel", name="Prioritise").locator('[data-testid="stDataFrame"]')
    expect(tables).to_have_count(2)  # the grid, then the ranking
    grid, ranking = tables.nth(0), tables.nth(1)

    deals = _feature(browser_db, token, "Deals-aware plans")  # RICE 675: ranked last
    with db.session_scope(browser_db.engine, readonly=True) as session:
        count = len(items.list_items(session=session, canvas_token=token, kind="feature"))
    titles = _column(grid, 0, count)
    assert _column(ranking, 1, count)[-1] == "Deals-aware plans"

    # Type a new reach, and before pressing Enter someone else saves another feature:
    # the live ranking refreshes, the cell being typed stays.
    _type_into(page, grid, row=titles.index("Deals-aware plans"), column=REACH_COLUMN, text="15000")
    plan = _feature(browser_db, token, "One-tap weekly plan")
    with db.session_scope(browser_db.engine) as session:
        items.update_item(
            session=session,
            canvas_token=token,
            kind="feature",
            item_id=plan.id,
            changes={"ease": 7},
            expected_version=plan.version,
        )
    time.sleep(3)  # a few ticks of the live view (STRATEGY_CANVAS_SYNC_SECONDS, 0.75 s)
    page.keyboard.press("Enter")

    _wait_for(
        lambda: _feature(browser_db, token, "Deals-aware plans").reach == 15_000,
        "the typed reach in the database",
    )
    stored = _feature(browser_db, token, "Deals-aware plans")
    assert stored.version == deals.version + 1
    assert (stored.impact, stored.confidence, stored.effort) == (
        deals.impact,
        deals.confidence,
        deals.effort,
    )  # only the edited cell was written
    assert _feature(browser_db, token, "One-tap weekly plan").ease == 7  # theirs kept

    # RICE 15,000 × 1 × 30% ÷ 4 = 1,125: now 10th, above the three under 1,000
    _wait_for(
        lambda: _column(tables.nth(1), 1, count)[9] == "Deals-aware plans",
        "the ranking to follow",
    )
    assert _cell(tables.nth(0), REACH_COLUMN, titles.index("Deals-aware plans")) == "15000"
    expect(page.get_by_text("Saved the scores of 1 feature.")).to_be_visible()
