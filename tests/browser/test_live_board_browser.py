"""The live board redraws itself, in Chromium (ui/push.py, ui/workshop_live.py).

A change written by another process (a participant's note, the facilitator's reveal)
reaches Ada's open screen through the event stream and the board's route, and is drawn
in place with no Streamlit run: the websocket carries no "script finished" for it; so
is the vote phase (her inputs read no phase: the vote buttons are the board's). A
change of what her inputs show (follow-me to the next step, step 3's score phase)
brings them with ONE run, of their fragment alone, and keeps what she typed; her vote,
cast with the board's own button, is counted once; user text stays text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playwright.sync_api import Locator, Page, expect

from strategy_canvas import db
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws
from tests.browser.ui_helpers import ScriptRuns, button

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase

HOSTILE = "<script>alert(1)</script> **bold** # head $x$ [x](y)"


def _room(browser_db: BrowserDatabase, name: str) -> tuple[str, str]:
    """A canvas ``name`` with a workshop and Ada in it: (facilitator key, Ada's token)."""
    with db.session_scope(browser_db.engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": name})
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Room")
        ada = ws.join(session=session, display_name="Ada", link_token=started.link_token).token
    return started.facilitator_key, ada


def _live(page: Page, url: str) -> Locator:
    """Open ``url`` (a workshop screen), wait for its stream and its first runs; the
    board."""
    page.goto(url)
    board = page.locator(".sc-live-board")
    expect(board.get_by_text("Step 1 of 5")).to_be_visible()
    page.wait_for_function("() => window.__strategyCanvasLive?.streams.size > 0")
    _settled(page)
    return board


def _settled(page: Page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    page.wait_for_timeout(500)  # a run asked by the stream's first event, if any
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def test_a_pushed_change_is_drawn_in_place_and_a_phase_change_costs_one_run_at_most(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    with db.session_scope(browser_db.engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Patched"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="feature",
            data={"title": "Offline mode"},
        )
        started = ws.start_workshop(
            session=session, canvas_token=canvas.token, title="Room", anonymous_notes=False
        )
        ada, ben = (
            ws.join(session=session, display_name=name, link_token=started.link_token).token
            for name in ("Ada", "Ben")
        )
    key = started.facilitator_key

    def write(action: Any, **kwargs: Any) -> Any:
        with db.session_scope(browser_db.engine) as session:
            return action(session=session, **kwargs)

    runs = ScriptRuns(page)
    page.goto(f"{app_server.url}/Workshop?p={ada}")
    board = page.locator(".sc-live-board")
    expect(board.get_by_text("Step 1 of 5 · Problem & audience")).to_be_visible()
    page.wait_for_function("() => window.__strategyCanvasLive?.streams.size > 0")
    expect(page.locator('.sc-live-status[data-mode="live"]')).to_have_count(1)
    _settled(page)

    # a note by Ben, then the reveal: drawn in place, no run
    before = runs.finished
    note = write(ws.add_note, participant_token=ben, step=1, text=HOSTILE)
    expect(board.get_by_text("1 note by others, hidden until the reveal")).to_be_visible()
    write(ws.reveal, facilitator_key=key, step=1, what="notes")
    expect(board.locator(".sc-ws-text")).to_have_text(HOSTILE)  # the text, not markup
    assert board.locator("script, strong, h1, a[href='y']").count() == 0
    page.wait_for_timeout(300)
    assert runs.finished == before, "a pushed note and reveal ran the page"

    # the vote phase: the board brings its vote buttons itself; none of Ada's inputs
    # reads the phase, so her screen makes no run at all
    write(ws.set_phase, phase="vote", facilitator_key=key)
    expect(board.get_by_text("You have 5 of 5 votes left")).to_be_visible()
    page.wait_for_timeout(500)
    assert runs.finished == before, "the vote phase ran a participant's page"

    # her vote, with the board's own button, counted once
    plus = board.locator(f'button[data-vote^="note:{note.id}:1:"]')
    plus.click()
    expect(board.get_by_text("you gave 1")).to_be_visible()
    expect(board.get_by_text("You have 4 of 5 votes left")).to_be_visible()
    _settled(page)
    with db.session_scope(browser_db.engine, readonly=True) as session:
        mine = ws.board(session=session, viewer_token=ada, step=1).notes
    assert int(mine.loc[mine["note_id"] == note.id, "my_votes"].iloc[0]) == 1

    # a new note in the vote phase arrives with its button, without a run, and only
    # what changed is touched: the parts of the board that are the same stay the same
    # nodes (the board's HTML replaced whole made the browser style and lay out all of
    # it again on every screen)
    before = runs.finished
    kept = (board.locator(".sc-ws-step").first, board.locator(".sc-ws-card").first)
    for part in kept:
        part.evaluate("(el) => { el.__kept = true; }")
    write(ws.add_note, participant_token=ben, step=1, text="Second idea")
    expect(board.get_by_text("Second idea")).to_be_visible()
    expect(board.locator("button[data-vote]")).to_have_count(4)  # +1 and −1 on two notes
    expect(board.locator(".sc-ws-text")).to_have_text([HOSTILE, "Second idea"])
    assert board.locator("script, strong, h1, a[href='y']").count() == 0
    for part in kept:
        assert part.evaluate("(el) => el.__kept === true")
    page.wait_for_timeout(300)
    assert runs.finished == before, "a pushed note in the vote phase ran the page"

    # follow-me: the header at once, the note form with ONE run, of her inputs alone
    # (what she typed in the note box stays)
    page.get_by_label("Add a note to step 1", exact=True).fill("Half a thought")
    page.wait_for_timeout(300)  # the box commits nothing until Add note
    before, fragments = runs.completed, runs.fragment_runs
    write(ws.go_to_step, facilitator_key=key, step=2)
    expect(board.get_by_text("Step 2 of 5 · Vision")).to_be_visible()
    expect(page.get_by_label("Add a note to step 2", exact=True)).to_be_visible()
    _settled(page)
    # (the board's own run, asked by its element, is cut short before its body runs)
    assert runs.completed == before + 1, f"follow-me cost {runs.completed - before} runs"
    assert runs.fragment_runs == fragments + 1, "follow-me ran the whole page"
    expect(page.get_by_label("Add a note to step 2", exact=True)).to_have_value("Half a thought")

    # step 3's score phase brings her blind-score inputs, again with one fragment run
    write(ws.go_to_step, facilitator_key=key, step=3)
    expect(page.get_by_label("Add a note to step 3", exact=True)).to_be_visible()
    _settled(page)
    before, fragments = runs.completed, runs.fragment_runs
    write(ws.set_phase, phase="score", facilitator_key=key)
    expect(page.get_by_text("Your blind scores")).to_be_visible()
    expect(page.get_by_text("Offline mode", exact=True).first).to_be_visible()
    _settled(page)
    assert (runs.completed, runs.fragment_runs) == (before + 1, fragments + 1)
    assert page.get_by_test_id("stException").count() == 0


def test_the_countdown_reaching_zero_costs_a_participant_one_run_of_her_inputs_at_most(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    key, ada = _room(browser_db, "Timed")

    def timer(seconds: int, read_only: bool) -> None:
        with db.session_scope(browser_db.engine) as session:
            ws.start_timer(
                session=session,
                facilitator_key=key,
                seconds=seconds,
                label="Timebox",
                read_only_when_up=read_only,
            )

    runs = ScriptRuns(page)
    board = _live(page, f"{app_server.url}/Workshop?p={ada}")
    note = page.get_by_label("Add a note to step 1", exact=True)
    expect(note).to_be_enabled()

    # a plain timebox: zero shows on the board, nothing else changes, no run
    before = runs.finished
    timer(2, read_only=False)
    expect(board.get_by_text("Time is up")).to_be_visible(timeout=6_000)
    expect(board.locator('.sc-ws-clockbox[data-was-up="1"]')).to_have_count(1)
    page.wait_for_timeout(500)
    assert runs.finished == before, "a timer reaching zero ran the page"

    # a read-only one: the board says so and the note box closes, with one run of her
    # inputs (the board's own run is not asked)
    before, fragments = runs.completed, runs.fragment_runs
    timer(2, read_only=True)
    expect(board.get_by_text("Time is up: the board is read-only")).to_be_visible(timeout=6_000)
    expect(note).to_be_disabled()
    _settled(page)
    assert (runs.completed, runs.fragment_runs) == (before + 1, fragments + 1)
    assert page.get_by_test_id("stException").count() == 0


def test_follow_me_turned_off_keeps_a_participant_on_the_step_her_screen_followed_to(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    key, ada = _room(browser_db, "Free")

    def write(action: Any, **kwargs: Any) -> None:
        with db.session_scope(browser_db.engine) as session:
            action(session=session, facilitator_key=key, **kwargs)

    runs = ScriptRuns(page)
    board = _live(page, f"{app_server.url}/Workshop?p={ada}")
    # her board and inputs follow to step 2 without the page being drawn again ...
    write(ws.go_to_step, step=2)
    expect(page.get_by_label("Add a note to step 2", exact=True)).to_be_visible()
    _settled(page)
    # ... and when the facilitator lets everyone move freely, she stays there: the
    # board asks for the step it drew, not the one the page was first drawn with
    before = runs.completed
    write(ws.set_follow_me, follow_me=False)
    chooser = page.get_by_text("Look at step")
    expect(chooser).to_be_visible()
    _settled(page)
    assert runs.completed == before + 1
    write(ws.go_to_step, step=4)
    expect(board.get_by_text("The facilitator is on step 4.")).to_be_visible()
    expect(board.get_by_text("Step 2 of 5 · Vision")).to_be_visible()
    expect(page.get_by_label("Add a note to step 2", exact=True)).to_be_visible()
    # follow-me back on: she joins the facilitator's step, the chooser goes
    write(ws.set_follow_me, follow_me=True)
    expect(board.get_by_text("Step 4 of 5 · Implementation")).to_be_visible()
    expect(page.get_by_label("Add a note to step 4", exact=True)).to_be_visible()
    expect(chooser).to_have_count(0)
    assert page.get_by_test_id("stException").count() == 0


def test_a_phase_change_made_elsewhere_runs_the_facilitators_controls_alone(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    key, _ = _room(browser_db, "Desk")
    runs = ScriptRuns(page)
    _live(page, f"{app_server.url}/Workshop?facilitator={key}")
    expect(button(page, "Next: Group")).to_be_visible()
    before, fragments = runs.completed, runs.fragment_runs
    with db.session_scope(browser_db.engine) as session:  # another tab of hers, the CLI
        ws.set_phase(session=session, facilitator_key=key, phase="vote")
    expect(page.get_by_text("Reveal the notes first")).to_be_visible()  # the board
    expect(button(page, "Next: Discuss")).to_be_visible()  # her controls
    _settled(page)
    # her controls follow the phase: one run of their fragment alone, not of the page
    # (her board's own run, asked by its element, is cut short before its body runs)
    assert (runs.completed, runs.fragment_runs) == (before + 1, fragments + 1)
    assert page.get_by_test_id("stException").count() == 0

    # the tab she uses stays open when the step moves; only its controls are drawn
    page.get_by_role("tab", name="Themes", exact=True).click()
    expect(button(page, "Create the theme")).to_be_visible()
    expect(button(page, "Go there")).to_have_count(0)
    _settled(page)
    with db.session_scope(browser_db.engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=2)
    expect(page.locator(".sc-live-board").get_by_text("Step 2 of 5")).to_be_visible()
    _settled(page)
    expect(page.get_by_role("tab", name="Themes", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    expect(button(page, "Create the theme")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
