"""A click that arrives with a pushed change (ui/push.py, ``clicked_outside``).

The browser sends every widget change of one moment as one rerun, scoped to the
fragment of the first: when a live board's listener asks for its fragment's rerun at the
moment the person clicks the editor's Add, the click rides in a fragment-only run. The
item was saved, but the page was not drawn again: no message, the fields still filled.
Here the listener's trigger and the click are made in one task, as that moment is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from strategy_canvas import db
from strategy_canvas.services import canvases, items

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

_TRIGGER_THEN_CLICK = """() => {
  const reg = window.__strategyCanvasLive;
  let asked = 0;
  for (const s of reg.streams.values()) {
    for (const l of s.listeners.values()) { l.trigger("rev", `test.${Date.now()}`); asked++; }
  }
  const add = document.querySelector('[class*="st-key-ed-"][class*="-save"] button');
  add.click();
  return asked;
}"""


def test_a_click_made_as_a_change_is_pushed_redraws_the_page(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    with db.session_scope(browser_db.engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Race"}).token
    page.goto(f"{app_server.url}/Problem_and_audience?canvas={token}")
    main = page.get_by_test_id("stMain")
    title = main.locator('[data-stale="false"]').get_by_label("Title *", exact=True)
    for text in ["Rotas are planned on paper", "Gaps are filled by phone"]:
        title.fill(text)
        title.press("Tab")  # Streamlit takes the value; the page reruns
        expect(page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "notRunning"
        )
        page.wait_for_function("() => window.__strategyCanvasLive?.streams.size > 0")
        assert page.evaluate(_TRIGGER_THEN_CLICK) >= 1
        expect(main.get_by_text(f"Added problem “{text}”").first).to_be_visible()
        expect(title).to_have_value("")
        with db.session_scope(browser_db.engine, readonly=True) as session:
            saved = items.list_items(session=session, canvas_token=token, kind="problem")
        assert [p.title for p in saved][-1] == text
    assert page.get_by_test_id("stException").count() == 0


_TRIGGER_THEN_BLUR = """() => {
  for (const s of window.__strategyCanvasLive.streams.values()) {
    for (const l of s.listeners.values()) l.trigger("rev", `test.${Date.now()}`);
  }
  document.activeElement.blur();  // Streamlit takes the name as the field loses focus
}"""


def test_a_name_given_as_a_change_is_pushed_closes_the_prompt(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    with db.session_scope(browser_db.engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Race"}).token
    page.goto(f"{app_server.url}/Problem_and_audience?canvas={token}")
    page.wait_for_function("() => window.__strategyCanvasLive?.streams.size > 0")
    name = page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)
    name.fill("Ann")
    page.evaluate(_TRIGGER_THEN_BLUR)
    expect(name).to_be_hidden()  # the sidebar was drawn again: the name is known
    assert page.get_by_test_id("stException").count() == 0
