"""A save's own change, pushed back to the screen that made it (ui/push.py).

The save reruns the page, which draws the live board at the new change counter; the
event stream tells the same screen about that change while the run is being drawn,
before the board's listener has been given the counter it drew. It used to ask for the
board's rerun then, and the board was drawn twice for one save (on the large canvas
the features' table, 84 kB, sent and drawn again). The listener now waits for the
run to end, and then knows the board is current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from strategy_canvas import db
from strategy_canvas.services import canvases, items
from tests.browser.ui_helpers import ScriptRuns

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase


def test_a_save_draws_the_board_once(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    with db.session_scope(browser_db.engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Once"}).token
    runs = ScriptRuns(page)
    page.goto(f"{app_server.url}/Problem_and_audience?canvas={token}")
    main = page.get_by_test_id("stMain")
    app = page.get_by_test_id("stApp")
    page.wait_for_function("() => window.__strategyCanvasLive?.streams.size > 0")
    title = main.locator('[data-stale="false"]').get_by_label("Title *", exact=True)
    for text in ["Rotas are planned on paper", "Gaps are filled by phone"]:
        title.fill(text)
        title.press("Tab")  # Streamlit takes the value; the page reruns
        for _ in range(20):  # quiet: the person's arrival (presence) has been drawn too
            expect(app).to_have_attribute("data-test-script-state", "notRunning")
            before = runs.finished
            page.wait_for_timeout(1000)
            if runs.finished == before:
                break
        saved_from = runs.finished
        main.locator('[class*="st-key-ed-"][class*="-save"] button').click()
        expect(main.get_by_text(f"Added problem “{text}”").first).to_be_visible()
        expect(title).to_have_value("")
        expect(main.get_by_text(text).first).to_be_visible()  # on the board
        page.wait_for_timeout(1500)  # time for a pushed rerun to come
        expect(app).to_have_attribute("data-test-script-state", "notRunning")
        assert runs.finished == saved_from + 1, "one run for one save"
        with db.session_scope(browser_db.engine, readonly=True) as session:
            saved = items.list_items(session=session, canvas_token=token, kind="problem")
        assert [p.title for p in saved][-1] == text
    assert page.get_by_test_id("stException").count() == 0
