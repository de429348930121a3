"""A product manager alone, in a real browser: creates a canvas, fills every step through
the UI, reloads, and finds everything still there; the Overview shows it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from strategy_canvas import db
from strategy_canvas.services import canvases, items
from tests.browser.ui_helpers import button, choose, live, open_part

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase


def _go(page: Page, step_link: str, heading: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role(
        "link", name=re.compile(re.escape(step_link))
    ).click()
    expect(page.get_by_role("heading", name=heading, exact=True, level=1)).to_be_visible()


def _fill(page: Page, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        box = live(page, label)
        box.fill(value)
        box.press("Tab")  # sends the value, as leaving the field does


def _add(
    page: Page,
    what: str,
    fields: dict[str, str],
    picks: dict[str, str] | None = None,
    confirm: str = "",
    then: dict[str, dict[str, str]] | None = None,
) -> None:
    """Choose the item type, fill its new-item editor, press Add, wait for the confirmation.
    ``then`` fills more fields in other parts of an editor shown a part at a time."""
    choose(page, "What to edit", what)
    _fill(page, fields)
    for label, option in (picks or {}).items():
        choose(page, label, option)
    for part, more in (then or {}).items():
        open_part(page, part)
        _fill(page, more)
    button(page, "Add").click()
    # in the page, not the sidebar, whose undo button says "Undo: added …"
    confirmed = page.get_by_test_id("stMain").get_by_text(confirm or "Added", exact=False)
    expect(confirmed.first).to_be_visible()


def test_a_pm_fills_every_step_and_finds_it_after_a_reload(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    page.goto(app_server.url)
    page.get_by_label("Name", exact=True).fill("Lighthouse strategy")
    page.get_by_label("Product", exact=True).fill("Lighthouse")
    page.get_by_role("button", name="Create canvas").click()
    expect(page.get_by_text("Created “Lighthouse strategy”")).to_be_visible()
    with db.session_scope(browser_db.engine, readonly=True) as session:
        [canvas] = canvases.list_canvases(session=session)
    page.goto(f"{app_server.url}/Overview?canvas={canvas.token}")
    expect(page.get_by_role("heading", name="Lighthouse strategy", level=1)).to_be_visible()

    _go(page, "1. Problem & audience", "Problem & audience")
    _add(
        page,
        "Problems",
        {
            "Title *": "Night shifts are planned on paper",
            "Problem statement": "Ward managers spend 6 hours a week on rotas.",
        },
    )
    _add(page, "Personas & segments", {"Name *": "Ward manager", "Pains": "Last-minute gaps"})

    _go(page, "2. Vision", "Vision")
    live(page, "Vision statement").fill("Every ward fully staffed without a single phone call.")
    live(page, "Vision statement").press("Tab")
    button(page, "Save").click()
    expect(page.get_by_text("Saved vision").first).to_be_visible()
    _add(
        page,
        "Goals",
        {"Goal *": "Fill every gap within an hour"},
        picks={"Persona": "Ward manager"},
    )

    _go(page, "3. Designs", "Designs")
    _add(
        page,
        "Features, stories & epics",
        {"Title *": "Shift swap marketplace"},
        picks={"Persona": "Ward manager", "Goal": "Fill every gap within an hour"},
        then={"Scores": {"Reach": "400", "Impact": "2", "Confidence": "80", "Effort": "3"}},
    )

    _go(page, "4. Implementation", "Implementation")
    _add(
        page,
        "Roadmap",
        {"Title *": "Swap marketplace beta", "Owner": "Ana"},
        picks={"Feature": "Shift swap marketplace"},
    )

    _go(page, "5. Feedback, flaws & fixes", "Feedback, flaws & fixes")
    _add(
        page,
        "Feedback",
        {"Feedback *": "Swapping took two taps, loved it"},
        picks={"Feature": "Shift swap marketplace"},
    )

    # Everything is in the database ...
    with db.session_scope(browser_db.engine, readonly=True) as session:

        def titles(kind: str) -> list[str]:
            return [
                items.item_title(r)
                for r in items.list_items(session=session, canvas_token=canvas.token, kind=kind)
            ]

        assert titles("problem") == ["Night shifts are planned on paper"]
        assert titles("persona") == ["Ward manager"]
        assert titles("goal") == ["Fill every gap within an hour"]
        assert titles("feature") == ["Shift swap marketplace"]
        assert titles("roadmap_item") == ["Swap marketplace beta"]
        assert titles("feedback") == ["Swapping took two taps, loved it"]
        feature = items.list_items(session=session, canvas_token=canvas.token, kind="feature")[0]
        assert (feature.reach, feature.impact, feature.confidence, feature.effort) == (
            400,
            2.0,
            80,
            3.0,
        )

    # ... and after a reload of the browser, on the page and on the Overview.
    page.reload()
    expect(page.get_by_role("heading", name="Feedback, flaws & fixes", level=1)).to_be_visible()
    # Tables are drawn on a canvas; their cells are mirrored in an accessible grid.
    expect(page.get_by_text("Swapping took two taps, loved it").first).to_be_attached()
    _go(page, "Overview", "Lighthouse strategy")
    main = page.get_by_test_id("stMain")
    for text in [
        "Night shifts are planned on paper",
        "Ward manager",
        "Every ward fully staffed without a single phone call.",
        "Shift swap marketplace",
        "Swap marketplace beta",
    ]:
        expect(main.get_by_text(text).first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
