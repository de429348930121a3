"""A live workshop in three browsers: a facilitator and two participants.

The facilitator starts the workshop from the canvas; one participant joins with the
code, the other with the link. Follow-me moves both screens to the facilitator's step;
each adds a note, which the other cannot read until the facilitator reveals the notes;
votes are cast and revealed; a timer counts down on every screen. Every change is
asserted on the *other* screens, and the time it took to get there is printed (the
budget of this test: a change reaches the others in under 1.5 s, on the default sync
interval of 0.75 s). A participant's half-typed note survives the page being redrawn for
a new phase.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from strategy_canvas import db, models
from strategy_canvas.services import canvases, workshops

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

#: how long another screen may take to show a change: the sync interval (0.75 s), a rerun,
#: and three browsers and a server sharing a small machine (the budget of 1.5 s is
#: measured, and printed here, not enforced by a timed test)
PROPAGATION_MS = 8_000
#: the reveal, the moment the room waits for, is held to a tighter bound
REVEAL_MS = 3_000
NOTE_A = "Parents decide dinner at 5 pm"
NOTE_B = "Recipes ignore what is in the fridge"


@pytest.fixture
def workshop_canvas(browser_db: BrowserDatabase) -> models.Canvas:
    """Written before the server starts (the test asks for it before app_server)."""
    with db.session_scope(browser_db.engine) as session:
        return canvases.create_canvas(session=session, canvas_in={"name": "Dinner planner"})


def _tab(chromium: Browser) -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(20_000)
    return context.new_page()


def live(page: Page) -> Locator:
    """What the current run drew (Streamlit keeps a stale copy until a rerun ends)."""
    return page.locator('[data-stale="false"]')


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMainBlockContainer")


def note_card(page: Page, text: str) -> Locator:
    """The note's card on the live board, holding its text and its vote buttons."""
    return (
        main(page)
        .locator(".sc-ws-card")
        .filter(has_text=text)
        .filter(has=page.get_by_role("button", name="+1"))
    )


def seen_within(
    label: str,
    started: float,
    checks: list[Locator],
    timings: dict[str, float],
    within_ms: int = PROPAGATION_MS,
) -> None:
    """Wait until every check is visible; record how long after ``started`` it took."""
    for check in checks:
        expect(check).to_be_visible(timeout=within_ms)
    timings[label] = time.monotonic() - started


def _join_with(page: Page, name: str) -> None:
    live(page).get_by_label("Your name", exact=True).fill(name)
    live(page).get_by_role("button", name="Join").click()
    expect(main(page).get_by_text(f"you are {name} (participant)")).to_be_visible()


def _add_note(page: Page, step: int, text: str) -> None:
    box = live(page).get_by_label(f"Add a note to step {step}", exact=True)
    box.fill(text)
    live(page).get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Added. Only you see it")).to_be_visible()
    expect(box).to_have_value("")


def _open_tab(page: Page, tab: str, button: str) -> Locator:
    """Open the facilitator's ``tab`` and return its ``button``. While the page reruns,
    Streamlit may show a stale copy of the tabs next to the new one: open the tab in
    each until the button is there."""
    target = live(page).get_by_role("button", name=button, exact=True)
    for _ in range(10):
        tabs = page.get_by_role("tab", name=tab, exact=True)
        for index in range(tabs.count()):
            try:
                tabs.nth(index).click(timeout=1_000)
            except PlaywrightTimeout:
                continue
        try:
            expect(target).to_be_enabled(timeout=1_000)
            return target
        except AssertionError:
            continue
    raise AssertionError(f"no {button!r} in the {tab!r} tab")


def _control(page: Page, tab: str, button: str) -> float:
    """Click a facilitator control; returns when the click was made."""
    target = _open_tab(page, tab, button)
    clicked = time.monotonic()
    target.click()
    return clicked


def _vote(page: Page, text: str, times: int) -> None:
    """Give the note ``times`` votes, each confirmed on screen before the next."""
    card = note_card(page, text)
    for given in range(1, times + 1):
        card.get_by_role("button", name="+1").click()
        expect(card.get_by_text(re.compile(rf"you gave {given}$"))).to_be_visible()


def test_a_facilitated_workshop_in_three_browsers(
    workshop_canvas: models.Canvas,
    app_server: AppServer,
    browser_db: BrowserDatabase,
    chromium: Browser,
) -> None:
    timings: dict[str, float] = {}
    fac, ann, bo = _tab(chromium), _tab(chromium), _tab(chromium)

    # The facilitator starts the workshop from the canvas.
    fac.goto(f"{app_server.url}/Workshop?canvas={workshop_canvas.token}")
    live(fac).get_by_role("button", name="Start the workshop").click()
    expect(fac.get_by_role("heading", name="Facilitate")).to_be_visible()
    with db.session_scope(browser_db.engine, readonly=True) as session:
        [workshop] = workshops.list_workshops(session=session, canvas_token=workshop_canvas.token)
    assert workshop.join_code is not None
    # The facilitator's own link is never drawn in the open: only behind a click.
    assert "facilitator=" in fac.url
    key = fac.url.split("facilitator=")[1].split("&")[0]
    expect(fac.get_by_text("Keep it private.")).to_be_hidden()
    assert key not in (main(fac).inner_text())
    fac.get_by_role("button", name=re.compile("Your facilitator link")).first.click()
    expect(fac.get_by_text("Keep it private.")).to_be_visible()
    fac.keyboard.press("Escape")

    # Ann joins with the code (typed as people do), Bo with the link.
    ann.goto(f"{app_server.url}/Workshop")
    live(ann).get_by_label("Join code", exact=True).fill(
        f"{workshop.join_code[:3].lower()} {workshop.join_code[3:]}"
    )
    _join_with(ann, "Ann")
    assert re.search(r"[?&]p=[\w-]+", ann.url) and "canvas=" not in ann.url
    bo.goto(f"{app_server.url}/Workshop?join={workshop.link_token}")
    _join_with(bo, "Bo")
    assert "join=" not in bo.url and "p=" in bo.url
    joined = time.monotonic()
    fac_main = main(fac)
    seen_within(
        "presence: both joined, on the facilitator's screen",
        joined,
        [fac_main.get_by_text("Bo", exact=True), fac_main.get_by_text("3 joined")],
        timings,
    )

    # Follow me: the facilitator moves to step 2, and so does every screen.
    clicked = _control(fac, "Pace", "Step 2: Vision")
    seen_within(
        "follow-me: step 2 on both participants' screens",
        clicked,
        [
            ann.get_by_role("heading", name="Step 2 of 5 · Vision"),
            bo.get_by_role("heading", name="Step 2 of 5 · Vision"),
        ],
        timings,
    )

    # Each adds a note; the other sees a hidden placeholder, never the text.
    _add_note(ann, 2, NOTE_A)
    added = time.monotonic()
    seen_within(
        "a hidden note's placeholder on the other participant's screen",
        added,
        [main(bo).get_by_text("1 note by others, hidden until the reveal")],
        timings,
    )
    _add_note(bo, 2, NOTE_B)
    expect(main(ann).get_by_text("1 note by others, hidden until the reveal")).to_be_visible(
        timeout=PROPAGATION_MS
    )
    expect(fac_main.get_by_text(NOTE_B)).to_be_visible(timeout=PROPAGATION_MS)  # sees all
    assert main(bo).get_by_text(NOTE_A).count() == 0
    assert main(ann).get_by_text(NOTE_B).count() == 0

    # Ann starts typing a note and does not send it; the facilitator reveals the notes.
    draft = live(ann).get_by_label("Add a note to step 2", exact=True)
    draft.fill("Half a thought")
    clicked = _control(fac, "Reveal", "Reveal the notes")
    seen_within(
        "reveal: every note's text on both participants' screens",
        clicked,
        [main(bo).get_by_text(NOTE_A), main(ann).get_by_text(NOTE_B)],
        timings,
        within_ms=REVEAL_MS,
    )

    # The vote: the phase changes (the page is redrawn; Ann's typing stays).
    _control(fac, "Pace", "Next: Group")
    expect(fac.get_by_role("button", name="Next: Vote")).to_be_visible()
    clicked = _control(fac, "Pace", "Next: Vote")
    seen_within(
        "phase: voting opens on both participants' screens",
        clicked,
        [note_card(ann, NOTE_B), note_card(bo, NOTE_A)],
        timings,
    )
    expect(live(ann).get_by_label("Add a note to step 2", exact=True)).to_have_value(
        "Half a thought"
    )
    voted = time.monotonic()
    note_card(ann, NOTE_B).get_by_role("button", name="+1").click()
    seen_within(
        "a vote on the facilitator's screen",
        voted,
        [note_card(fac, NOTE_B).get_by_text("1 vote", exact=True)],
        timings,
    )
    expect(main(ann).get_by_text(re.compile(r"You have 4 of 5 votes left"))).to_be_visible()
    _vote(bo, NOTE_A, 2)
    expect(note_card(fac, NOTE_A).get_by_text("2 votes", exact=True)).to_be_visible(
        timeout=PROPAGATION_MS
    )
    assert main(ann).get_by_text("2 votes", exact=True).count() == 0  # hidden until reveal
    with db.session_scope(browser_db.engine, readonly=True) as session:
        board = workshops.board(session=session, viewer_token=workshop.link_token, step=2)
        assert not board.votes_revealed
    clicked = _control(fac, "Reveal", "Reveal the votes")
    seen_within(
        "vote results: the counts on both participants' screens",
        clicked,
        [
            main(ann).get_by_text(re.compile(r"yours · 2 votes")),
            main(bo).get_by_text(re.compile(r"yours · 1 vote$")),
        ],
        timings,
    )
    seen_within(  # the bars: Bo's note first (2 votes), then Ann's (1)
        "vote results: the bars on both participants' screens",
        clicked,
        [
            main(page)
            .get_by_role("figure", name="Vote results")
            .filter(
                has_text=re.compile(
                    rf"^Vote results{re.escape(NOTE_A)}\s*2\s*{re.escape(NOTE_B)}\s*1"
                )
            )
            for page in (ann, bo)
        ],
        timings,
    )

    # The timer counts down on every screen.
    start = _open_tab(fac, "Pace", "Start the timer")
    live(fac).get_by_label("Minutes", exact=True).fill("1")
    live(fac).get_by_label("Label", exact=True).fill("Last call")
    clicked = time.monotonic()
    start.click()
    clocks = [main(page).get_by_text(re.compile(r"^[01]:\d\d$")) for page in (fac, ann, bo)]
    seen_within("timer: on all three screens", clicked, clocks, timings)
    first = [clock.inner_text() for clock in clocks]
    time.sleep(2.2)
    later = [clock.inner_text() for clock in clocks]
    for before, after in zip(first, later, strict=True):
        assert _seconds(after) < _seconds(before) <= 60, (before, after)

    # Bo closes the tab: the others see Bo away within 5 s (presence goes by the beats).
    expect(fac_main.get_by_text("3 here", exact=False)).to_be_visible()
    bo.context.close()
    closed = time.monotonic()
    seen_within(
        "presence: a closed tab away on the facilitator's screen",
        closed,
        [fac_main.get_by_text("Bo · away")],
        timings,
        within_ms=5_000,
    )

    for label, seconds in timings.items():
        print(f"{label}: {seconds:.2f} s")
    assert "Traceback" not in app_server.log.read_text(errors="replace")


def _seconds(clock: str) -> int:
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)
