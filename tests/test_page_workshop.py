"""The Workshop page through AppTest: every way in (canvas, facilitator link, join link,
join code, personal link, projector), bad links, and the workshop driven through its
widgets — start, join, add a note, reveal, vote, pace, timer, scores, promote, end —
each write checked in the database through the services. Each AppTest is its own
browser session, so two of them are two people.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.services import items, workshops
from strategy_canvas.ui import setup, steps
from strategy_canvas.ui import workshop as workshop_ui
from strategy_canvas.ui import workshop_facilitator as facilitate
from strategy_canvas.ui import workshop_state as state
from tests.pagekit import APP, TIMEOUT, html_text, rendered, texts

WORKSHOP = steps.WORKSHOP_PAGE


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        return create_demo_canvas(session=session)


@pytest.fixture
def started(app_engine: Engine, canvas: models.Canvas) -> workshops.StartedWorkshop:
    with db.session_scope(app_engine) as session:
        return workshops.start_workshop(
            session=session, canvas_token=canvas.token, title="Spring strategy day"
        )


def open_workshop(**params: str) -> AppTest:
    """A fresh browser session on /Workshop?params (a deep link: only the page runs)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(WORKSHOP)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, label: str) -> Any:
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, (label, [b.label for b in at.button])
    return found[0]


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click().run()
    return ok(at)


def open_tab(at: AppTest, name: str) -> AppTest:
    """Open a tab of the facilitator's control panel, as a click on it does: only the
    open tab's controls are drawn."""
    assert name in [t.label for t in at.tabs], name
    at.session_state[facilitate.TABS_KEY] = name
    return ok(at.run())


def words(at: AppTest) -> str:
    kinds = ["title", "subheader", "markdown", "caption", "info", "warning", "error", "success"]
    return "\n".join(t for kind in kinds for t in texts(at, kind))


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def join(engine: Engine, started: workshops.StartedWorkshop, name: str) -> str:
    with db.session_scope(engine) as session:
        return workshops.join(session=session, display_name=name, join_code=started.join_code).token


def as_participant(token: str) -> AppTest:
    return ok(open_workshop(p=token))


def as_facilitator(started: workshops.StartedWorkshop) -> AppTest:
    return ok(open_workshop(facilitator=started.facilitator_key))


def notes(engine: Engine) -> list[models.Note]:
    with db.session_scope(engine, readonly=True) as session:
        return list(session.exec(select(models.Note).order_by(models.Note.id)))


def workshop_row(engine: Engine, started: workshops.StartedWorkshop) -> models.Workshop:
    with db.session_scope(engine, readonly=True) as session:
        return workshops.get_workshop_for_facilitator(
            session=session, facilitator_key=started.facilitator_key
        )


def step_state(engine: Engine, workshop_id: int, step: int) -> models.WorkshopStep:
    with db.session_scope(engine, readonly=True) as session:
        row = session.get(models.WorkshopStep, (workshop_id, step))
        assert row is not None
        return row


def facilitate_with(engine: Engine, started: workshops.StartedWorkshop, action: Any, **kw: Any):
    with db.session_scope(engine) as session:
        return action(session=session, facilitator_key=started.facilitator_key, **kw)


# --------------------------------------------------------------- every way in runs


def test_without_a_canvas_offers_the_join_box(app_engine: Engine) -> None:
    at = ok(open_workshop())
    assert texts(at, "title") == ["Workshop"]
    assert any("No canvas is open" in t for t in texts(at, "info"))
    assert at.text_input(key="ws.j.code") and at.text_input(key="ws.j.name")
    assert any(p.proto.label == "Workshop" for p in at.sidebar.get("page_link"))


def test_the_canvas_owner_gets_the_start_form(canvas: models.Canvas) -> None:
    at = ok(open_workshop(canvas=canvas.token))
    assert "Start a workshop" in texts(at, "subheader")
    assert at.text_input(key="ws.s.title").value.startswith(canvas.name[:40])
    assert not at.warning


def test_start_a_workshop(canvas: models.Canvas, app_engine: Engine) -> None:
    at = ok(open_workshop(canvas=canvas.token))
    at.text_input(key="ws.s.title").set_value("Q3 strategy workshop")
    at.text_input(key="ws.s.name").set_value("Maya")
    at.number_input(key="ws.s.budget").set_value(6)
    at.number_input(key="ws.s.cap").set_value(2)
    at.checkbox(key="ws.s.anonymous").uncheck()
    click(at, "Start the workshop")

    with db.session_scope(app_engine, readonly=True) as session:
        [row] = workshops.list_workshops(session=session, canvas_token=canvas.token)
    assert (row.title, row.vote_budget, row.vote_cap) == ("Q3 strategy workshop", 6, 2)
    assert row.anonymous_notes is False and row.status == "active"
    key = param(at, "facilitator")
    assert key and workshop_row_by_key(app_engine, key).id == row.id
    # The key is never drawn in the open: only behind "Your facilitator link" (a
    # popover, which a shared screen does not show until it is opened).
    [popover] = [b for b in at.get("popover") if "Your facilitator link" in str(b.proto)]
    hidden = [c.value for c in popover.get("code")]
    assert any(f"facilitator={key}" in v for v in hidden)
    assert any("never show it on the projector" in w.value for w in popover.get("warning"))
    in_the_open = [c.value for c in at.code if c.value not in hidden]
    assert not any(key in v for v in in_the_open)
    # The code is shown large, with the QR code of the join link and the link itself.
    assert any(row.join_code[:3] in t and "font-size" in t for t in texts(at, "markdown"))
    assert at.get("image")
    assert any(f"join={row.link_token}" in c.value for c in at.code)
    assert "Q3 strategy workshop" in texts(at, "title")
    assert "Facilitate" in texts(at, "subheader")
    assert param(at, "facilitator") == key  # the facilitator's own address


def workshop_row_by_key(engine: Engine, key: str) -> models.Workshop:
    with db.session_scope(engine, readonly=True) as session:
        return workshops.get_workshop_for_facilitator(session=session, facilitator_key=key)


def test_a_bad_start_names_the_field(canvas: models.Canvas, app_engine: Engine) -> None:
    at = ok(open_workshop(canvas=canvas.token))
    at.number_input(key="ws.s.budget").set_value(2)
    at.number_input(key="ws.s.cap").set_value(3)
    click(at, "Start the workshop")
    [error] = texts(at, "error")
    assert "Votes per person on one item" in error
    # Out of range or a fraction: refused with the rule, never clamped or cut to a whole
    # number; the typed value stays.
    for budget, rule in ((80, "must be at most 50"), (2.5, "must be a whole number")):
        at.number_input(key="ws.s.budget").set_value(budget)
        at.number_input(key="ws.s.cap").set_value(1)
        click(at, "Start the workshop")
        [error] = texts(at, "error")
        assert f"**Votes per person and step** {rule}" in error
        assert at.number_input(key="ws.s.budget").value == budget
    with db.session_scope(app_engine, readonly=True) as session:
        assert workshops.list_workshops(session=session, canvas_token=canvas.token) == []


def test_the_owner_can_take_over_the_running_workshop(
    canvas: models.Canvas, started: workshops.StartedWorkshop
) -> None:
    at = ok(open_workshop(canvas=canvas.token))
    assert any("A workshop is running" in t for t in texts(at, "markdown"))
    click(at, "Take over as facilitator")
    key = param(at, "facilitator")
    assert key and key != started.facilitator_key  # a new key: the old one stops working
    assert "Facilitate" in texts(at, "subheader")
    # The facilitator who held the old key is told, not silently sharing the seat.
    old = ok(open_workshop(facilitator=started.facilitator_key))
    [told] = [e for e in texts(old, "error") if "taken over" in e]
    assert "no longer works" in told and not old.tabs


def test_the_facilitator_link_opens_the_controls(started: workshops.StartedWorkshop) -> None:
    at = as_facilitator(started)
    assert "Spring strategy day" in texts(at, "title")
    assert "Step 1 of 5 · Problem & audience" in html_text(at, "sc-ws-step")
    assert [t.label for t in at.tabs][:5] == ["Pace", "Reveal", "Themes", "Promote", "End"]


def test_join_with_the_code(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    at = ok(open_workshop())
    at.text_input(key="ws.j.code").set_value(
        f" {started.join_code[:3].lower()}-{started.join_code[3:]} "
    )
    at.text_input(key="ws.j.name").set_value("Ann")
    click(at, "Join")
    token = param(at, "p")
    assert token and param(at, "canvas") is None  # the participant's link has no canvas
    with db.session_scope(app_engine, readonly=True) as session:
        view = workshops.workshop_view(session=session, viewer_token=token)
    assert view.role == "participant" and view.me is not None and view.me.display_name == "Ann"
    assert any("Bookmark" in t for t in texts(at, "success"))
    assert any(f"p={token}" in c.value for c in at.code)
    assert "Workshop · you are **Ann** (participant)" in texts(at, "caption")
    assert canvas.token not in rendered(at)

    again = as_participant(token)  # closing the tab and coming back: the same person
    assert "Workshop · you are **Ann** (participant)" in texts(again, "caption")


def test_join_with_the_link(started: workshops.StartedWorkshop, app_engine: Engine) -> None:
    at = ok(open_workshop(join=started.link_token))
    assert "Spring strategy day" in "\n".join(texts(at, "markdown"))
    at.text_input(key="ws.jl.name").set_value("Bo")
    click(at, "Join")
    assert param(at, "join") is None and param(at, "p")
    assert "Workshop · you are **Bo** (participant)" in texts(at, "caption")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"p": "no-such-participant-token"}, workshop_ui.NOT_A_SEAT),
        ({"facilitator": "no-such-facilitator-key-0000"}, workshop_ui.NOT_A_SEAT),
        ({"p": "<script>alert(1)</script>"}, workshop_ui.NOT_A_SEAT),
        ({"join": "no-such-join-link-token"}, workshop_ui.NOT_A_JOIN_LINK),
        ({"screen": "no-such-screen-token"}, workshop_ui.NOT_A_SCREEN),
    ],
    ids=["participant", "facilitator", "markup", "join", "screen"],
)
def test_a_bad_link_says_so(app_engine: Engine, params: dict[str, str], message: str) -> None:
    at = ok(open_workshop(**params))
    assert message in texts(at, "error")
    if "screen" not in params:
        assert at.text_input(key="ws.j.code")  # and offers the way in


def test_a_wrong_code_says_so_and_joins_no_one(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    at = ok(open_workshop())
    at.text_input(key="ws.j.code").set_value("ZZZZZZ")
    at.text_input(key="ws.j.name").set_value("Eve")
    click(at, "Join")
    assert any("No workshop is running with this code" in t for t in texts(at, "warning"))
    assert param(at, "p") is None
    with db.session_scope(app_engine, readonly=True) as session:
        people = workshops.presence(session=session, viewer_token=started.facilitator_key)
    assert people.total == 1


def test_a_blank_name_is_refused_naming_the_field(started: workshops.StartedWorkshop) -> None:
    at = ok(open_workshop())
    at.text_input(key="ws.j.code").set_value(started.join_code)
    click(at, "Join")
    assert any("**Your name**" in t for t in texts(at, "error"))
    assert param(at, "p") is None


def test_an_ended_workshops_join_link_says_it_ended(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    facilitate_with(app_engine, started, workshops.end_workshop)
    at = ok(open_workshop(join=started.link_token))
    assert any("has ended" in t for t in texts(at, "info"))
    assert not at.text_input


# ------------------------------------------------------------------------ projector


def test_the_projector_shows_code_step_and_no_secret(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        workshops.add_note(session=session, participant_token=ann, step=1, text="Secret idea")
    at = ok(open_workshop(screen=started.link_token))
    page = rendered(at)
    assert started.facilitator_key not in page
    assert ann not in page and canvas.token not in page
    assert "Secret idea" not in page  # not revealed yet
    assert any("hidden until the facilitator reveals" in t for t in html_text(at))
    assert any(started.join_code[:3] in t and "6.5rem" in t for t in texts(at, "markdown"))
    assert at.get("image")
    assert html_text(at, "sc-ws-title-big") == ["Problem & audience"]
    assert at.text_area.len == 0 and not [b for b in at.button if b.label == "+1"]

    facilitate_with(app_engine, started, workshops.reveal, step=1, what="notes")
    at.run()
    assert "Secret idea" in html_text(ok(at), "sc-ws-text")


def test_the_projector_in_the_facilitators_tab_drops_every_secret(
    canvas: models.Canvas, app_engine: Engine
) -> None:
    at = ok(open_workshop(canvas=canvas.token))
    click(at, "Start the workshop")
    key = param(at, "facilitator")
    assert key and key in rendered(at)  # shown to the facilitator, once
    link = workshop_row_by_key(app_engine, key).link_token
    at.query_params["screen"] = link
    ok(at.run())
    assert key not in rendered(at) and canvas.token not in rendered(at)
    assert param(at, "facilitator") is None and param(at, "canvas") is None
    assert param(at, "screen") == link


def test_a_personal_link_does_not_open_the_projector(
    started: workshops.StartedWorkshop,
) -> None:
    at = ok(open_workshop(screen=started.facilitator_key))
    assert workshop_ui.NOT_A_SCREEN in texts(at, "error")
    assert "Facilitate" not in texts(at, "subheader")


# ------------------------------------------------------------------ notes and votes


def test_notes_stay_hidden_until_the_facilitator_reveals_them(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann, bo = join(app_engine, started, "Ann"), join(app_engine, started, "Bo")
    a = as_participant(ann)
    a.text_area(key=workshop_ui.NOTE_KEY).set_value("Parents decide dinner at 5 pm")
    click(a, "Add note")
    [note] = notes(app_engine)
    assert (note.text, note.step) == ("Parents decide dinner at 5 pm", 1)
    assert "Parents decide dinner at 5 pm" in html_text(a, "sc-ws-text")  # own notes are visible
    assert a.text_area(key=workshop_ui.NOTE_KEY).value == ""  # ready for the next idea

    b = as_participant(bo)
    assert "Parents decide dinner at 5 pm" not in rendered(b)
    assert any("1 note by others, hidden until the reveal" in t for t in html_text(b))

    f = as_facilitator(started)
    assert "Parents decide dinner at 5 pm" in html_text(f, "sc-ws-text")  # the facilitator sees all
    open_tab(f, "Reveal")
    click(f, "Reveal the notes")
    assert step_state(app_engine, started.workshop.id or 0, 1).notes_revealed
    b.run()
    assert "Parents decide dinner at 5 pm" in html_text(ok(b), "sc-ws-text")


def test_a_refused_note_keeps_what_was_typed(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    a = as_participant(ann)
    facilitate_with(app_engine, started, workshops.lock_step, step=1)  # meanwhile
    a.text_area(key=workshop_ui.NOTE_KEY).set_value("An idea worth keeping")
    click(a, "Add note")
    assert any("locked" in t for t in texts(a, "error"))
    assert notes(app_engine) == []


HOSTILE = (
    "[click](javascript:alert(1)) <b>bold</b> # not a heading\n"
    "<script>alert(2)</script> **$5** & <img src=x onerror=alert(3)> `code` :red[x]"
)


def test_markup_in_notes_and_names_is_shown_as_typed(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    with db.session_scope(app_engine) as session:
        token = workshops.join(
            session=session, display_name="**Eve** :red[x] <i>$y$</i>", join_code=started.join_code
        ).token
        workshops.add_note(
            session=session,
            participant_token=token,
            step=1,
            text=HOSTILE,
        )
    a = as_participant(token)
    # the board is HTML: shown exactly as typed, every character of it text, not markup
    assert html_text(a, "sc-ws-text") == [HOSTILE]
    assert any("**Eve** :red[x] <i>$y$</i> (you)" in t for t in html_text(a, "sc-ws-badge"))
    sent = "\n".join(str(h.value) for h in a.get("html"))
    for markup in ("<script>", "<b>bold</b>", "<i>$y$</i>", "<img"):
        assert markup not in sent
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in sent
    # nothing of it reaches Markdown (which would read ** and [x](y) as formatting)
    assert not any("Eve" in t or "bold" in t for t in texts(a, "markdown"))


def test_vote_with_budget_and_cap(started: workshops.StartedWorkshop, app_engine: Engine) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        note = workshops.add_note(session=session, participant_token=ann, step=1, text="Idea")
    facilitate_with(app_engine, started, workshops.reveal, step=1, what="notes")
    f = as_facilitator(started)
    click(f, "Next: Group")
    click(f, "Next: Vote")
    assert workshop_row(app_engine, started).phase == "vote"

    a = as_participant(ann)
    assert any("You have 5 of 5 votes left" in t for t in html_text(a, "sc-ws-meta"))
    vote = f"ws.vote.note.{note.id}"
    for _ in range(3):
        a.button(key=vote).click().run()
    ok(a)
    with db.session_scope(app_engine, readonly=True) as session:
        board = workshops.board(session=session, viewer_token=ann, step=1)
    assert board.my_votes_used == 3
    assert a.button(key=vote).disabled  # the cap of 3 on one item
    assert any("You have 2 of 5 votes left" in t for t in html_text(a, "sc-ws-meta"))
    a.button(key=f"ws.unvote.note.{note.id}").click().run()
    with db.session_scope(app_engine, readonly=True) as session:
        assert workshops.board(session=session, viewer_token=ann, step=1).my_votes_used == 2
    assert not html_text(a, "sc-ws-tally")  # hidden until the reveal

    open_tab(f, "Reveal")
    click(f, "Reveal the votes")
    a.run()
    [chart] = html_text(ok(a), "sc-ws-tally")
    # one bar: 3 votes, one taken back
    assert chart.startswith("Vote results") and chart.endswith("Idea2")
    assert not [b for b in a.button if b.label == "+1"]  # revealing closed the vote


# -------------------------------------------------------------- pacing and timer


def test_follow_me_moves_the_participants_screen(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    a = as_participant(ann)
    f = as_facilitator(started)
    click(f, "Step 2: Vision")
    assert workshop_row(app_engine, started).current_step == 2
    a.run()
    assert "Step 2 of 5 · Vision" in html_text(ok(a), "sc-ws-step")

    f.toggle(key="ws.follow.True").set_value(False).run()
    assert workshop_row(app_engine, started).follow_me is False
    click(ok(f), "Step 3: Designs")
    a.run()
    assert "Step 2 of 5 · Vision" in html_text(ok(a), "sc-ws-step")  # free to stay
    assert "The facilitator is on step 3." in html_text(a, "sc-ws-meta")


def test_go_to_a_step_and_phase(started: workshops.StartedWorkshop, app_engine: Engine) -> None:
    f = as_facilitator(started)
    f.selectbox(key="ws.go.step.1").set_value(4)
    f.selectbox(key="ws.go.phase.1").set_value("discuss")
    click(f, "Go there")
    row = workshop_row(app_engine, started)
    assert (row.current_step, row.phase) == (4, "discuss")
    assert "Step 4 of 5 · Implementation" in html_text(f, "sc-ws-step")


def test_the_timer_counts_down_on_every_screen(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    f = as_facilitator(started)
    f.number_input(key="ws.t.minutes").set_value(2.0)
    f.text_input(key="ws.t.label").set_value("Silent brainstorm")
    click(f, "Start the timer")
    assert workshop_row(app_engine, started).timer_ends_at is not None
    for at in (as_participant(ann), ok(open_workshop(screen=started.link_token))):
        [shown] = html_text(at, "sc-ws-clock")
        assert re.fullmatch(r"2:00|1:5\d", shown), shown
        assert any("Silent brainstorm" in t for t in html_text(at, "sc-ws-label"))
    click(f, "Stop the timer")
    assert workshop_row(app_engine, started).timer_ends_at is None
    # Five hours is refused with the rule, not cut to four.
    f.number_input(key="ws.t.minutes").set_value(300.0)
    click(f, "Start the timer")
    assert any("must be between 1 second and 4 hours" in e for e in texts(f, "error"))
    assert workshop_row(app_engine, started).timer_ends_at is None


def test_time_up_with_read_only_disables_the_inputs(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    facilitate_with(
        app_engine,
        started,
        workshops.start_timer,
        seconds=60,
        read_only_when_up=True,
        now=models.utcnow() - timedelta(minutes=5),
    )
    a = as_participant(ann)
    assert a.text_area(key=workshop_ui.NOTE_KEY).disabled
    assert any("Time is up" in t for t in html_text(a, "sc-ws-warning"))
    assert html_text(a, "sc-ws-clock") == ["Time is up"]


def test_a_locked_step_is_read_only(started: workshops.StartedWorkshop, app_engine: Engine) -> None:
    ann = join(app_engine, started, "Ann")
    f = as_facilitator(started)
    click(f, "Lock step 1")
    assert step_state(app_engine, started.workshop.id or 0, 1).locked
    a = as_participant(ann)
    assert a.text_area(key=workshop_ui.NOTE_KEY).disabled
    assert any("locked by the facilitator" in t for t in html_text(a, "sc-ws-warning"))


def test_ready_shows_in_presence(started: workshops.StartedWorkshop, app_engine: Engine) -> None:
    ann = join(app_engine, started, "Ann")
    a = as_participant(ann)
    a.toggle(key="ws.ready.False").set_value(True).run()
    with db.session_scope(app_engine, readonly=True) as session:
        people = workshops.presence(session=session, viewer_token=ann)
    assert people.ready == 1
    [shown] = html_text(ok(a), "sc-ws-presence")
    assert shown.startswith("2 here · 1 ready · 2 joined")
    assert html_text(a, "sc-ws-green") == ["Ann (you)"]  # the badge of someone ready


# -------------------------------------------------------- themes, promotion, scores


def test_group_and_promote_a_note(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        note = workshops.add_note(
            session=session, participant_token=ann, step=1, text="Dinner decisions take 40 min"
        )
    f = ok(open_workshop(facilitator=started.facilitator_key, canvas=canvas.token))
    open_tab(f, "Themes")
    f.text_input(key="ws.th.name").set_value("Time pressure")
    click(f, "Create the theme")
    with db.session_scope(app_engine, readonly=True) as session:
        board = workshops.board(session=session, viewer_token=started.facilitator_key, step=1)
    [theme_id] = list(board.themes["theme_id"])
    f.selectbox(key="ws.as.theme").set_value(theme_id)
    click(f, "Put it in the theme")
    assert notes(app_engine)[0].theme_id == theme_id
    assert "Time pressure" in html_text(f, "sc-ws-theme")

    open_tab(f, "Promote")
    f.selectbox(key="ws.pr.kind").set_value("problem")
    click(f, "Promote")
    [stored] = notes(app_engine)
    assert (stored.id, stored.promoted_kind) == (note.id, "problem")
    with db.session_scope(app_engine, readonly=True) as session:
        problem = items.get_item(
            session=session,
            canvas_token=canvas.token,
            kind="problem",
            item_id=stored.promoted_item_id or 0,
        )
    assert problem.title == "Dinner decisions take 40 min"
    assert any("Promoted" in t and "problem" in t for t in texts(f, "success"))
    [link] = [p for p in f.main.get("page_link") if "Problem & audience" in p.proto.label]
    assert f"canvas={canvas.token}" in link.proto.query_string


def test_only_the_open_tab_of_the_control_panel_is_drawn_and_it_stays_open(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    """A step or phase change redraws the facilitator's controls: one tab's, not the
    five tabs' seven choice lists (Streamlit built every tab's content on each run)."""
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        workshops.add_note(session=session, participant_token=ann, step=1, text="Off topic")
    f = as_facilitator(started)
    keys = {s.key for s in f.selectbox}
    assert "ws.go.step.1" in keys  # Pace, open first
    assert not keys & {"ws.as.note", "ws.rm.note", "ws.pr.kind", "ws.pr.note"}
    assert not [b for b in f.button if b.label in ("Reveal the notes", "End the workshop")]
    open_tab(f, "Themes")
    keys = {s.key for s in f.selectbox}
    assert {"ws.as.note", "ws.rm.note"} <= keys and "ws.go.step.1" not in keys
    f.text_input(key="ws.th.name").set_value("Kept open")
    click(f, "Create the theme")  # an action: the page is drawn again
    assert f.session_state[facilitate.TABS_KEY] == "Themes"
    assert {"ws.as.note", "ws.rm.note"} <= {s.key for s in f.selectbox}
    assert any("Kept open" in t for t in texts(f, "success"))


def test_remove_a_note_needs_a_confirmation(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        workshops.add_note(session=session, participant_token=ann, step=1, text="Off topic")
    f = open_tab(as_facilitator(started), "Themes")
    click(f, "Remove the note")
    assert len(notes(app_engine)) == 1 and texts(f, "error")
    f.checkbox(key="ws.rm.sure").check()
    click(f, "Remove the note")
    assert notes(app_engine) == []


def test_blind_scores_then_reveal_and_apply(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    ann = join(app_engine, started, "Ann")
    facilitate_with(app_engine, started, workshops.go_to_step, step=3, phase="score")
    with db.session_scope(app_engine, readonly=True) as session:
        [first, second, *_] = items.list_items(
            session=session, canvas_token=canvas.token, kind="feature"
        )
    a = as_participant(ann)
    assert "Step 3 of 5 · Designs" in html_text(a, "sc-ws-step")
    a.select_slider(key=f"ws.sc.{first.id}.value").set_value(9)
    a.select_slider(key=f"ws.sc.{first.id}.effort").set_value(2)
    a.select_slider(key=f"ws.sc.{second.id}.value").set_value(4)  # no effort: refused
    click(a, "Save my scores")
    assert any("needs both a value and an effort" in t for t in texts(a, "error"))
    a.select_slider(key=f"ws.sc.{second.id}.effort").set_value(6)
    click(a, "Save my scores")
    with db.session_scope(app_engine, readonly=True) as session:
        summary = workshops.score_summary(session=session, viewer_token=ann)
    mine = summary.features.set_index("feature_id")
    assert (mine.loc[first.id, "my_value"], mine.loc[first.id, "my_effort"]) == (9, 2)
    assert (mine.loc[second.id, "my_value"], mine.loc[second.id, "my_effort"]) == (4, 6)
    assert any("1 of 2 people have scored" in t for t in html_text(a, "sc-ws-meta"))

    f = open_tab(as_facilitator(started), "Reveal")
    click(f, "Reveal the blind scores")
    assert step_state(app_engine, started.workshop.id or 0, 3).scores_revealed
    a.run()
    ok(a)
    assert any("Blind scores" in t for t in html_text(a, "sc-ws-head"))
    [table] = html_text(a, "sc-ws-scores")
    assert "Value ±" in table and first.title in table and "9.0" in table  # Ann's, alone
    assert any("scoring is closed" in t for t in texts(a, "caption"))

    open_tab(f, "Promote")
    click(f, "Apply the blind scores")
    with db.session_scope(app_engine, readonly=True) as session:
        feature = items.get_item(
            session=session, canvas_token=canvas.token, kind="feature", item_id=first.id
        )
    assert feature.value == 9 and feature.effort == workshops.effort_person_months(2)


def test_end_the_workshop_shows_the_summary(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        note = workshops.add_note(session=session, participant_token=ann, step=1, text="Keep it")
        workshops.add_note(session=session, participant_token=ann, step=1, text="Appendix note")
    facilitate_with(app_engine, started, workshops.promote_note, note_id=note.id, kind="problem")
    f = ok(open_workshop(facilitator=started.facilitator_key, canvas=canvas.token))
    open_tab(f, "End")
    assert button(f, "End the workshop").disabled  # until confirmed
    f.checkbox(key="ws.end.sure").check().run()
    click(f, "End the workshop")
    assert workshop_row(app_engine, started).status == "ended"
    assert "Summary" in texts(f, "subheader")
    assert [t.label for t in f.tabs] == ["Reveal", "Themes", "Promote"]  # nothing to pace
    assert any("**Decisions** · 1" in t for t in texts(f, "markdown"))
    tables = [d.value for d in f.dataframe]
    assert any("Keep it" in set(t.get("From the note", [])) for t in tables)
    assert any("Appendix note" in set(t.get("Note", [])) for t in tables)
    # The summary's tables speak the product's words, never column names.
    for table in tables:
        for column in table.columns:
            assert "_" not in str(column) and str(column)[:1].isupper(), column
    assert not [t for t in f.text_area if t.key == workshop_ui.NOTE_KEY]

    a = as_participant(ann)
    assert any("has ended" in t for t in html_text(a, "sc-ws-info"))
    assert not a.text_area

    owner = ok(open_workshop(canvas=canvas.token))
    assert "Start a workshop" in texts(owner, "subheader")  # the next one may start
    assert "Past workshops" in texts(owner, "subheader")


# -------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (0.2, "0:01"), (59.5, "1:00"), (125, "2:05"), (3725, "1:02:05")],
)
def test_timer_text(seconds: float, text: str) -> None:
    assert state.timer_text(seconds) == text


def test_phases_go_in_order_with_scoring_in_step_three() -> None:
    assert state.next_phase(1, "brainstorm") == "group"
    assert state.next_phase(1, "vote") == "discuss"
    assert state.next_phase(3, "vote") == "score"
    assert state.next_phase(3, "discuss") is None
    assert facilitate.spaced_code("K7M2PQ") == "K7M 2PQ"


def test_the_workshop_page_is_in_the_sidebar_of_every_page(canvas: models.Canvas) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["canvas"] = canvas.token
    ok(at.run())
    [link] = [p for p in at.sidebar.get("page_link") if p.proto.label == "Workshop"]
    assert f"canvas={canvas.token}" in link.proto.query_string
    assert setup.BAD_LINK not in texts(at, "warning")


# ------------------------------------------------------------- facilitation flow


def test_voting_with_the_notes_hidden_asks_the_facilitator_first(
    started: workshops.StartedWorkshop, app_engine: Engine
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        workshops.add_note(session=session, participant_token=ann, step=1, text="Hidden idea")
    facilitate_with(app_engine, started, workshops.set_phase, phase="group")
    f = as_facilitator(started)
    click(f, "Next: Vote")
    assert workshop_row(app_engine, started).phase == "group"  # nothing changed yet
    [warning] = [w for w in texts(f, "warning") if "still hidden" in w]
    assert "vote only on notes they can read" in warning
    click(f, "Reveal and vote")
    row = workshop_row(app_engine, started)
    assert row.phase == "vote" and step_state(app_engine, row.id or 0, 1).notes_revealed
    assert not any("still hidden" in w for w in texts(f, "warning"))


def test_promoting_a_note_asks_what_the_step_needs(
    started: workshops.StartedWorkshop, app_engine: Engine, canvas: models.Canvas
) -> None:
    ann = join(app_engine, started, "Ann")
    with db.session_scope(app_engine) as session:
        persona = items.create_item(
            session=session, canvas_token=canvas.token, kind="persona", data={"name": "Dana"}
        ).id
        goal = items.create_item(
            session=session, canvas_token=canvas.token, kind="goal", data={"title": "Retain"}
        ).id
        note = workshops.add_note(session=session, participant_token=ann, step=3, text="Offline").id
    facilitate_with(app_engine, started, workshops.go_to_step, step=3)
    f = open_tab(as_facilitator(started), "Promote")
    f.selectbox(key="ws.pr.kind").set_value("feature").run()
    f.selectbox(key="ws.pr.note").set_value(note)
    f.selectbox(key="ws.pr.feature.persona_id").set_value(persona)
    f.selectbox(key="ws.pr.feature.goal_id").set_value(goal)
    f.selectbox(key="ws.pr.feature.moscow").set_value("must")
    click(f, "Promote")
    with db.session_scope(app_engine, readonly=True) as session:
        every = items.list_items(session=session, canvas_token=canvas.token, kind="feature")
    [feature] = [f for f in every if f.title == "Offline"]
    assert (feature.title, feature.persona_id, feature.goal_id, feature.moscow) == (
        "Offline",
        persona,
        goal,
        "must",
    )
    assert any("is now feature" in t for t in texts(f, "success"))


def test_the_facilitator_by_their_link_undoes_a_promote_in_one_click(
    app_engine: Engine, canvas: models.Canvas, started: workshops.StartedWorkshop
) -> None:
    """Come by the facilitator link (no canvas open, so page_setup drew no Undo), the
    facilitator still gets Undo for their last change: the promote goes back."""
    alice = join(app_engine, started, "Alice")
    with db.session_scope(app_engine) as session:
        note = workshops.add_note(
            session=session, participant_token=alice, step=1, text="Night-shift nurse"
        )
        persona = workshops.promote_note(
            session=session,
            facilitator_key=started.facilitator_key,
            note_id=note.id or 0,
            kind="persona",
        )
    at = as_facilitator(started)
    [undo_button] = [b for b in at.sidebar.button if b.key == "undo.button"]
    assert undo_button.label.startswith("Undo: added persona")
    undo_button.click().run()
    ok(at)
    with db.session_scope(app_engine, readonly=True) as session:
        names = [
            p.name
            for p in items.list_items(session=session, canvas_token=canvas.token, kind="persona")
        ]
        again = session.get(models.Note, note.id)
    assert persona.name not in names
    assert again is not None and again.promoted_item_id is None
    assert not [b for b in at.sidebar.button if b.key == "undo.button"]  # nothing left of hers
