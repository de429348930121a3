"""The handbook-sized canvas (tests/browser/journey_data.py) built through the browser
alone in at most 300 actions: every click, fill and key press is counted by the test
itself, then the database is checked item by item.

Items are pasted from the team's spreadsheet into each type's "Add many" box, roadmap
items are made from the features in one click, and the vision statement is typed and
saved with Enter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from strategy_canvas import db
from strategy_canvas.services import canvases, items
from tests.browser.journey_data import COUNTS, CRITERIA, FEATURES, PASTES
from tests.browser.ui_helpers import live

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

BUDGET = 300
#: the run is over and nothing on screen is left from before it
_SETTLED = """() => document.querySelector('[data-testid="stApp"]')
    .getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')"""


class Journey:
    """The browser tab, with a count of the person's actions."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.actions = 0

    def act(
        self, target: Locator, how: str = "click", value: str = "", timeout: float | None = None
    ) -> None:
        self.actions += 1
        if how == "fill":
            target.fill(value, timeout=timeout)
        else:
            target.click(timeout=timeout)

    def press(self, key: str) -> None:
        self.actions += 1
        self.page.keyboard.press(key)

    def settle(self) -> None:
        self.page.wait_for_timeout(100)  # the click's rerun has begun
        self.page.wait_for_function(_SETTLED)

    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain").locator('[data-stale="false"]')

    def step(self, link: str, heading: str) -> None:
        sidebar = self.page.get_by_test_id("stSidebar")
        self.act(sidebar.get_by_role("link", name=re.compile(re.escape(link))))
        expect(self.page.get_by_role("heading", name=heading, exact=True, level=1)).to_be_visible()

    def kind(self, plural: str) -> None:
        """Choose what to edit (two actions: open the list, pick)."""
        for _ in range(5):  # a menu closes if a rerun lands while it is open: pick again
            self.act(live(self.page, "What to edit"))
            option = self.page.get_by_role("option", name=plural, exact=True)
            try:
                self.act(option, timeout=2_000)
                self.settle()
                return
            except PlaywrightTimeout:  # the retry is counted too
                self.page.keyboard.press("Escape")
        raise AssertionError(f"could not choose {plural!r}")

    def paste(self, kind: str, plural: str) -> None:
        """Add many (the way last chosen on the step is already chosen: no click then):
        paste the block, add; the page confirms."""
        many = self.main().get_by_role("radio", name=re.compile("Add many"))
        if many.get_attribute("aria-checked") != "true":
            self.act(many)
            self.settle()
        box = live(self.page, f"{plural}: paste a list or a block from a spreadsheet")
        self.act(box, "fill", PASTES[kind])
        self.act(self.main().get_by_role("button", name=re.compile(f"Add these {plural.lower()}")))
        expect(
            self.page.get_by_test_id("stMain").get_by_text(re.compile(rf"^Added {COUNTS[kind]} "))
        ).to_be_visible(timeout=30_000)


def test_a_handbook_sized_canvas_in_at_most_300_actions(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    me = Journey(page)
    me.actions += 1
    page.goto(app_server.url)
    me.act(page.get_by_label("Name", exact=True), "fill", "Plan stage strategy FY27")
    me.act(page.get_by_label("Product", exact=True), "fill", "Plan stage")
    me.act(page.get_by_role("button", name="Create canvas"))
    expect(page.get_by_text("Created “Plan stage strategy FY27”")).to_be_visible()
    expect(page.get_by_role("heading", name="Problem & audience", level=1)).to_be_visible()
    with db.session_scope(browser_db.engine, readonly=True) as session:
        [canvas] = canvases.list_canvases(session=session)

    me.paste("problem", "Problems")  # on step 1 already: creating the canvas opened it
    me.kind("Personas & segments")
    me.paste("persona", "Personas & segments")
    me.kind("Alternatives & competitors")
    me.paste("alternative", "Alternatives & competitors")

    me.step("2. Vision", "Vision")
    vision = "Every stage plans in one place and ships on the date it promised."
    me.act(live(page, "Vision statement"), "fill", vision)
    me.act(me.main().get_by_role("button", name="Save", exact=True))
    expect(page.get_by_text("Saved vision").first).to_be_visible()
    me.kind("Goals")
    me.paste("goal", "Goals")
    me.kind("Key results & KPIs")
    me.paste("key_result", "Key results & KPIs")

    me.step("3. Designs", "Designs")
    me.paste("feature", "Features, stories & epics")
    me.kind("Scoring criteria")
    me.paste("criterion", "Scoring criteria")
    me.kind("Criterion scores")
    me.paste("criterion_score", "Criterion scores")

    me.step("4. Implementation", "Implementation")
    me.act(me.main().get_by_role("radio", name=re.compile("From features")))
    me.act(me.main().get_by_role("button", name=re.compile("Put 9 features on the roadmap")))
    expect(page.get_by_test_id("stMain").get_by_text(re.compile("^Added 9 "))).to_be_visible()

    me.step("5. Feedback, flaws & fixes", "Feedback, flaws & fixes")
    me.paste("feedback", "Feedback")
    me.kind("Flaws & fixes")
    me.paste("flaw", "Flaws & fixes")
    me.kind("KPI readings")
    me.paste("kpi_reading", "KPI readings")
    me.kind("Decisions")
    me.paste("decision", "Decisions")
    assert page.get_by_test_id("stException").count() == 0

    print(f"the canvas took {me.actions} actions")  # shown with -s
    assert me.actions <= BUDGET, f"{me.actions} actions for the canvas (budget {BUDGET})"

    token = canvas.token
    with db.session_scope(browser_db.engine, readonly=True) as session:

        def listed(kind: str) -> list:
            return items.list_items(session=session, canvas_token=token, kind=kind)

        counts = {kind: len(listed(kind)) for kind in COUNTS}
        assert counts == COUNTS
        personas = {p.id: p.name for p in listed("persona")}
        goals = {g.id: g.title for g in listed("goal")}
        features = {f.title: f for f in listed("feature")}
        for title, persona, goal, reach, impact, confidence, effort, _ in FEATURES:
            feature = features[title]
            assert (personas[feature.persona_id], goals[feature.goal_id]) == (persona, goal)
            assert (feature.reach, feature.impact, feature.confidence, feature.effort) == (
                reach,
                impact,
                confidence,
                effort,
            )
        assert {(c.name, c.weight) for c in listed("criterion")} == set(CRITERIA)
        assert len({(s.feature_id, s.criterion_id) for s in listed("criterion_score")}) == 30
        roadmap = listed("roadmap_item")
        by_id = {f.id: f.title for f in features.values()}
        assert sorted(r.title for r in roadmap) == sorted(by_id[r.feature_id] for r in roadmap)
        assert "Gantt export to slides" not in {r.title for r in roadmap}  # a won't-have
        assert len(roadmap) == 9
        [statement] = [v.statement for v in listed("vision")]
        assert statement == vision
