"""The Workshop page: start a workshop on the open canvas, join one, take part in it,
facilitate it, or put it on the projector — one page, chosen by the link.

Who sees what (the services filter; this page only draws):

- ``/Workshop?canvas=TOKEN`` (the canvas's owner): start a workshop, take over the one
  running, read the summaries of past ones;
- ``/Workshop?facilitator=KEY``: the live screen with every note, the controls, the
  invitation and (once, right after the start) the facilitator link itself;
- ``/Workshop?join=LINK`` or ``/Workshop`` and the join code: a name, then a seat;
- ``/Workshop?p=TOKEN``: a participant's live screen — their own notes, and what has
  been revealed;
- ``/Workshop?screen=LINK``: the projector — code, QR, step, timer and what has been
  revealed; no key, no personal link, no canvas token.

Layout: the live board (timer, presence, notes, votes, scores) is a fragment that
refreshes itself (:mod:`workshop_live`); everything that takes typing — the note, the
scores, the facilitator's forms — sits beside it and is never redrawn from outside.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import models as m
from strategy_canvas.services import workshops
from strategy_canvas.services.errors import PermissionDenied, ServiceError
from strategy_canvas.ui import context, identity, messages, steps, undo
from strategy_canvas.ui import workshop_facilitator as facilitate
from strategy_canvas.ui import workshop_live as live
from strategy_canvas.ui import workshop_state as state
from strategy_canvas.ui.text import md
from strategy_canvas.ui.timefmt import relative_time

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

TITLE = "Workshop"
NOTE_KEY = "ws.note_text"
NOTE_RESULT_KEY = "ws.note_result"  # "added", or the error that refused the note
JOINED_KEY = "ws.just_joined"
INPUTS_FRAGMENT = "ws.inputs"  # the key of a participant's inputs' fragment
FACILITATE_FRAGMENT = "ws.facilitate"  # the key of the facilitator's side column
PAST_SHOWN = 5  # the most recent past workshops, each with its summary
SCORE_OPTIONS: list[str | int] = ["–", *range(1, 11)]

#: readable from the back of the room
PROJECTOR_STYLE = """<style>
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
[data-testid="stMainBlockContainer"] .sc-ws { font-size: 1.3rem; }
</style>"""

NOT_A_SEAT = (
    "This personal link does not belong to anyone in a workshop. Join with the code "
    "the facilitator shows, or ask them for the link."
)
NOT_A_SCREEN = "This projector link does not belong to a workshop. Ask the facilitator for it."
NOT_A_JOIN_LINK = "This join link is not valid; ask the facilitator for the code."


def before_setup() -> None:
    """The projector's tab holds no secret: before the page and its sidebar are drawn,
    forget any open canvas and seat (their tokens would sit in the links)."""
    if not (st.query_params.get(state.P_SCREEN) or "").strip():
        return
    for param in ("canvas", *state.SEAT_PARAMS, state.P_JOIN):
        if param in st.query_params:
            del st.query_params[param]
    context.forget_canvas()
    st.session_state.pop(state.SEAT_KEY, None)


def show(ctx: PageContext) -> None:
    """Draw the page for whoever holds the link."""
    screen = (st.query_params.get(state.P_SCREEN) or "").strip()
    if screen:
        projector(ctx, screen)
        return
    problem = None
    seat = state.current_seat()
    if seat is not None:
        problem = seated(ctx, seat)
        if problem is None:
            return
    join_link = (st.query_params.get(state.P_JOIN) or "").strip()
    if join_link and not problem:
        join_by_link(ctx, join_link)
        return
    st.title(TITLE)
    if problem and problem != "elsewhere":
        st.error(problem, icon=":material/link_off:")
    if ctx.canvas is not None:
        canvas_home(ctx)
        return
    if not ctx.problem:
        st.info(
            "No canvas is open. To run a workshop, open your canvas first and come back "
            "here; to join one, type the code the facilitator shows.",
            icon=":material/info:",
        )
    join_by_code(ctx)


# --------------------------------------------------------------------- getting in


def _join(ctx: PageContext, name: str, *, code: str | None = None, link: str | None = None) -> None:
    try:
        with ctx.write() as session:
            person = workshops.join(
                session=session, display_name=name, join_code=code, link_token=link
            )
    except ServiceError as error:
        messages.show_error(error)
        return
    state.take_seat(state.P_PARTICIPANT, person.token)
    st.session_state[JOINED_KEY] = True
    st.rerun()


def join_by_code(ctx: PageContext) -> None:
    """The join box: the code from the projector and a name."""
    st.subheader("Join a workshop")
    with st.form("ws.f.join_code", border=True):
        code = st.text_input("Join code", max_chars=16, placeholder="e.g. K7M 2PQ", key="ws.j.code")
        name = st.text_input(
            "Your name", max_chars=40, key="ws.j.name", help="Shown to the others in the room."
        )
        if st.form_submit_button("Join", icon=":material/login:", type="primary"):
            if not workshops.normalise_join_code(code):
                st.error("**Join code** is required: type the code the facilitator shows.")
            else:
                _join(ctx, name, code=code)


def join_by_link(ctx: PageContext, link: str) -> None:
    """Someone opened the public join link: their name, then a seat."""
    view = None
    if state.TOKEN_RE.match(link):
        try:
            with ctx.read() as session:
                view = workshops.workshop_view(session=session, viewer_token=link)
        except PermissionDenied:
            view = None
    st.title("Join the workshop")
    if view is None or view.role != "audience":
        st.error(NOT_A_JOIN_LINK, icon=":material/link_off:")
        join_by_code(ctx)
        return
    if view.workshop.status != "active":
        st.info("This workshop has ended: it can no longer be joined.", icon=":material/flag:")
        return
    st.markdown(f"### {md(view.workshop.title)}")
    with st.form("ws.f.join_link", border=True):
        name = st.text_input(
            "Your name", max_chars=40, key="ws.jl.name", help="Shown to the others in the room."
        )
        if st.form_submit_button("Join", icon=":material/login:", type="primary"):
            _join(ctx, name, link=link)


def canvas_home(ctx: PageContext) -> None:
    """The canvas's owner: start a workshop, or take over the running one; past ones."""
    assert ctx.canvas is not None
    st.markdown(
        "Run the five steps live with your team: everyone joins from their own laptop, "
        "adds notes, votes and scores; you pace the steps, reveal, group and turn the best "
        "notes into the canvas's items."
    )
    with ctx.read() as session:
        past = workshops.list_workshops(session=session, canvas_token=ctx.canvas.token)
    running = next((w for w in past if w.status == "active"), None)
    if running is not None:
        with st.container(border=True):
            st.markdown(
                f"**A workshop is running:** {md(running.title)} — started "
                f"{relative_time(running.started_at)}."
            )
            st.caption(
                "You hold the canvas's link, so you may run its workshop. Taking over gives "
                "the facilitator a new link: whoever holds the old one is told that you "
                "took over, and can no longer pace the workshop."
            )
            if st.button(
                "Take over as facilitator",
                key="ws.take_over",
                icon=":material/co_present:",
                type="primary",
            ):
                try:
                    with ctx.write() as session:
                        key = workshops.take_over(
                            session=session, canvas_token=ctx.canvas.token, workshop_id=running.id
                        )
                except ServiceError as error:
                    messages.show_error(error)
                    return
                state.take_seat(state.P_FACILITATOR, key)
                st.rerun()
    else:
        start_form(ctx)
    ended = [w for w in past if w.status != "active"]
    if ended:
        st.subheader("Past workshops")
        for workshop in ended[:PAST_SHOWN]:
            when = relative_time(workshop.ended_at or workshop.started_at)
            with st.expander(f"{md(workshop.title)} · ended {when}"):
                facilitate.summary(ctx, workshop.id)
        if len(ended) > PAST_SHOWN:
            st.caption(f"… and {len(ended) - PAST_SHOWN} older ones.")


def start_form(ctx: PageContext) -> None:
    assert ctx.canvas is not None
    st.subheader("Start a workshop")
    default_title = f"{ctx.canvas.name} — strategy workshop"[:120]
    with st.form("ws.f.start", border=True):
        title = st.text_input("Title", value=default_title, max_chars=120, key="ws.s.title")
        name = st.text_input("Your name", value="Facilitator", max_chars=40, key="ws.s.name")
        left, right = st.columns(2)
        # No min/max (an out-of-range value would be left unsent, the form submitted
        # with the last valid one) and float inputs (an int input cuts 2.5 to 2): the
        # service judges the value as typed.
        budget = left.number_input(
            "Votes per person and step",
            value=5.0,
            step=1.0,
            format="%g",
            key="ws.s.budget",
            help="A whole number from 1 to 50.",
        )
        cap = right.number_input(
            "Votes per person on one item",
            value=3.0,
            step=1.0,
            format="%g",
            key="ws.s.cap",
            help="A whole number from 1 to 50, at most the votes per person and step.",
        )
        anonymous = st.checkbox(
            "Anonymous notes",
            value=True,
            key="ws.s.anonymous",
            help="Nobody sees who wrote a note (you neither). Recommended: ideas are judged "
            "on their own.",
        )
        if st.form_submit_button(
            "Start the workshop", icon=":material/play_arrow:", type="primary"
        ):
            try:
                with ctx.write() as session:
                    started = workshops.start_workshop(
                        session=session,
                        canvas_token=ctx.canvas.token,
                        title=title,
                        facilitator_name=name,
                        vote_budget=budget,
                        vote_cap=cap,
                        anonymous_notes=anonymous,
                    )
            except ServiceError as error:
                messages.show_error(error)
                return
            state.take_seat(state.P_FACILITATOR, started.facilitator_key)
            st.rerun()


# ------------------------------------------------------------------ the live screen


def seated(ctx: PageContext, seat: state.Seat) -> str | None:
    """The live screen of a facilitator or participant. Returns None when drawn, else
    why not ("elsewhere": the remembered seat is of another canvas's workshop)."""
    token = seat.token
    if not state.TOKEN_RE.match(token):
        state.leave_seat()
        return NOT_A_SEAT
    try:
        sync = state.read_sync(ctx, token)
        loaded = state.load(ctx, token, sync)
    except PermissionDenied:
        state.leave_seat()
        return _taken_over(ctx, token) if seat.param == state.P_FACILITATOR else NOT_A_SEAT
    view = loaded.view
    if view.role == "audience":  # the public token is not a seat
        state.leave_seat()
        return NOT_A_SEAT
    if not seat.from_link and ctx.canvas is not None and view.workshop.canvas_id != ctx.canvas.id:
        state.leave_seat()
        return "elsewhere"
    st.session_state[state.SEAT_KEY] = (seat.param, token)
    identity.sit(token)  # this tab's changes to the canvas are this participant's
    if view.role == "facilitator" and ctx.canvas is None:
        _facilitator_undo(ctx, token)
    state.mark_drawn(sync, loaded)
    _header(loaded)
    facilitator = view.role == "facilitator"
    if sync.status != "active" and facilitator:
        with st.container(border=True):
            st.subheader("Summary")
            facilitate.summary(ctx, view.workshop.id)
    board, side = st.columns([3, 2], gap="large")
    # The side first: a facilitator's action writes before the board is drawn (and
    # the page redrawn), so the change reaches the others a little sooner.
    with side:
        if facilitator:
            status = sync.status
            st.fragment(lambda: facilitator_side(ctx, token, status), key=FACILITATE_FRAGMENT)()
            if status == "active":  # the same at every step: outside the fragment
                facilitate.invite(view.workshop, loaded.presence.total)
        else:
            st.fragment(lambda: participant_inputs(ctx, token), key=INPUTS_FRAGMENT)()
            personal_link(token)
    with board:
        live.live(ctx, token, follow=FACILITATE_FRAGMENT if facilitator else INPUTS_FRAGMENT)
    return None


def facilitator_side(ctx: PageContext, token: str, drawn: str | None) -> None:
    """The facilitator's controls, the invitation and their note form: a fragment of its
    own, which the live board reruns alone when what they depend on changes (the step,
    the phase, follow-me: :func:`workshop_state.page_key`), as a participant's inputs.
    The page's header, the board and the sidebar stay as drawn. The end of the workshop
    (``drawn``: the status the page was drawn with) puts the summary above: the page."""
    try:
        sync = state.read_sync(ctx, token)
        loaded = state.load(ctx, token, sync)
    except PermissionDenied:
        st.rerun(scope="app")  # the seat was taken over: the page says so
    if sync.status != drawn:
        st.rerun(scope="app")
    step = state.mark_drawn(sync, loaded)
    facilitate.controls(ctx, token, sync, loaded)
    note_form(ctx, token, sync, loaded, step)


def participant_inputs(ctx: PageContext, token: str) -> None:
    """A participant's inputs that follow the workshop (the note, ready, the step
    chooser, the blind scores): a fragment of their own, which the live board reruns
    alone when what they depend on changes (:func:`workshop_state.page_key`: follow-me,
    the step, the end, ...). So the room's sixteen screens each redraw a handful of
    inputs, not their whole page; typing in the note box is kept as in a page run."""
    try:
        sync = state.read_sync(ctx, token)
        loaded = state.read_inputs(ctx, token, sync)
    except PermissionDenied:
        st.rerun()  # the seat is gone: the page says so
    step = state.mark_drawn(sync, loaded)
    _joined_message()
    note_form(ctx, token, sync, loaded, step)
    ready_toggle(ctx, token, sync, loaded)
    step_chooser(sync, step)
    score_form(ctx, token, sync, loaded, step)


def _facilitator_undo(ctx: PageContext, key: str) -> None:
    """The sidebar's Undo for a facilitator who came by their link (no canvas open, so
    page_setup drew none): their last change, a promote say, on the workshop's canvas."""
    with ctx.read() as session:
        canvas = workshops.canvas_for_facilitator(session=session, facilitator_key=key)
    undo.sidebar(dataclasses.replace(ctx, canvas=canvas, _revision=None))


def _taken_over(ctx: PageContext, key: str) -> str:
    """Why a facilitator key stopped working: the seat was taken over from the canvas."""
    with ctx.read() as session:
        at = workshops.seat_taken_over(session=session, facilitator_key=key)
    if at is None:
        return NOT_A_SEAT
    return (
        f"The facilitator's seat was taken over {relative_time(at)} from the canvas's own "
        "page, so this facilitator link no longer works. Whoever holds the canvas's link "
        "runs the workshop now; ask them, or take the seat back from the canvas's "
        "Workshop page if the canvas is yours."
    )


def _header(loaded: state.Loaded) -> None:
    view = loaded.view
    who = md(view.me.display_name) if view.me is not None else ""
    role = "facilitator" if view.role == "facilitator" else "participant"
    st.caption(f"Workshop · you are **{who}** ({role})")
    st.title(md(view.workshop.title))
    # The step, its phase and its question head the live board (workshop_live.step_head):
    # follow-me is seen there at once, before the page's inputs follow.


def _add_note(ctx: PageContext, token: str, step: int) -> None:
    """The note form's callback: on success the box is emptied for the next idea; on a
    refusal what was typed stays."""
    text = st.session_state.get(NOTE_KEY) or ""
    try:
        with ctx.write() as session:
            workshops.add_note(session=session, participant_token=token, step=step, text=text)
    except ServiceError as error:
        st.session_state[NOTE_RESULT_KEY] = error
        return
    st.session_state[NOTE_KEY] = ""
    st.session_state[NOTE_RESULT_KEY] = "added"
    state.drop_cache()


def note_form(
    ctx: PageContext,
    token: str,
    sync: workshops.SyncState,
    loaded: state.Loaded | state.Inputs,
    step: int,
) -> None:
    """Add a note: outside the live board, so a refresh never touches the typing."""
    if sync.status != "active":
        return
    writable = state.can_contribute(sync, loaded, step)
    with st.form("ws.f.note", border=True):
        st.text_area(
            f"Add a note to step {step}",
            key=NOTE_KEY,
            max_chars=m.NOTE_MAX,
            height=110,
            placeholder=state.PROMPTS[step],
            disabled=not writable,
            help="One idea per note. Only you see it until the facilitator reveals the notes.",
        )
        st.form_submit_button(
            "Add note",
            icon=":material/sticky_note_2:",
            type="primary",
            disabled=not writable,
            on_click=_add_note,
            args=(ctx, token, step),
        )
    result = st.session_state.pop(NOTE_RESULT_KEY, None)
    if result == "added":
        st.success(
            "Added. Only you see it until the facilitator reveals the notes.",
            icon=":material/check_circle:",
        )
    elif isinstance(result, ServiceError):
        messages.show_error(result)
    if not writable and loaded.view.role != "facilitator":
        st.caption(":material/lock: The board is read-only just now.")


def ready_toggle(
    ctx: PageContext, token: str, sync: workshops.SyncState, loaded: state.Loaded | state.Inputs
) -> None:
    me = loaded.view.me
    if me is None or sync.status != "active":
        return
    ready = st.toggle(
        "I'm ready",
        value=me.ready,
        key=f"ws.ready.{me.ready}",
        help="Tell the facilitator you are done with this step.",
    )
    if ready != me.ready:
        try:
            with ctx.write() as session:
                workshops.set_ready(session=session, participant_token=token, ready=ready)
        except ServiceError as error:
            messages.show_error(error)
            return
        state.drop_cache()
        st.rerun()


def step_chooser(sync: workshops.SyncState, step: int) -> None:
    """With follow-me off, a participant may look at another step."""
    if sync.follow_me or sync.status != "active":
        return
    chosen = st.segmented_control(
        "Look at step",
        list(steps.STEPS),
        default=step,
        key=f"ws.choose.{step}",
        help="The facilitator lets everyone move freely just now.",
    )
    if chosen is not None and chosen != step:
        st.session_state[state.VIEW_STEP_KEY] = chosen
        state.drop_cache()
        st.rerun()


def score_form(
    ctx: PageContext,
    token: str,
    sync: workshops.SyncState,
    loaded: state.Loaded | state.Inputs,
    step: int,
) -> None:
    """Step 3, score phase: value and effort per feature, privately."""
    scores = loaded.scores
    if step != 3 or sync.phase != "score" or scores is None or sync.status != "active":
        return
    if scores.revealed:
        st.caption("The scores are revealed: scoring is closed.")
        return
    if scores.features.empty:
        st.caption("The canvas has no features to score yet.")
        return
    writable = state.can_contribute(sync, loaded, step)
    rows = scores.features.to_dict("records")
    with st.form("ws.f.scores", border=True):
        st.markdown("**Your blind scores**")
        st.caption(
            "Value to users and effort to build, 1 (little) to 10 (a lot). Skip (–) "
            "what you cannot judge. Nobody sees them until the reveal."
        )
        for row in rows:
            fid = int(row["feature_id"])
            st.markdown(f"**{md(str(row['title']))}**")
            left, right = st.columns(2)
            for column, name, mine in (
                (left, "Value", row["my_value"]),
                (right, "Effort", row["my_effort"]),
            ):
                column.select_slider(
                    name,
                    options=SCORE_OPTIONS,
                    value=int(mine) if mine is not None and mine == mine else "–",
                    key=f"ws.sc.{fid}.{name.lower()}",
                    disabled=not writable,
                )
        submitted = st.form_submit_button(
            "Save my scores", icon=":material/done_all:", disabled=not writable
        )
    if submitted:
        _save_scores(ctx, token, rows)


def _save_scores(ctx: PageContext, token: str, rows: list[dict[str, object]]) -> None:
    chosen = []
    for row in rows:
        fid = int(str(row["feature_id"]))
        value = st.session_state.get(f"ws.sc.{fid}.value")
        effort = st.session_state.get(f"ws.sc.{fid}.effort")
        if value == "–" and effort == "–":
            continue
        if value == "–" or effort == "–":
            st.error(f"**{md(str(row['title']))}** needs both a value and an effort (or neither).")
            return
        if (value, effort) != (row["my_value"], row["my_effort"]):
            chosen.append((fid, int(str(value)), int(str(effort))))
    try:
        with ctx.write() as session:
            for fid, value, effort in chosen:
                workshops.blind_score(
                    session=session,
                    participant_token=token,
                    feature_id=fid,
                    value=value,
                    effort=effort,
                )
    except ServiceError as error:
        messages.show_error(error)
        return
    state.drop_cache()
    messages.flash("success", f"Saved your scores of {len(chosen)} features.")
    st.rerun()


def _joined_message() -> None:
    if st.session_state.pop(JOINED_KEY, None):
        st.success(
            "You are in. Bookmark this page: its link brings you back as yourself.",
            icon=":material/waving_hand:",
        )
    messages.show_flashes()


def personal_link(token: str) -> None:
    with st.expander("Your personal link", icon=":material/bookmark:"):
        st.caption(
            "Bookmark it: it brings you back as yourself, with your notes and votes, "
            "even after closing the tab. Keep it to yourself."
        )
        st.code(state.page_url(**{state.P_PARTICIPANT: token}), language=None)
        if st.button("Leave on this tab", key="ws.leave", icon=":material/logout:"):
            state.leave_seat()
            st.rerun()


# ---------------------------------------------------------------------- the projector


def projector(ctx: PageContext, link: str) -> None:
    """The room's screen: join code and QR, step, timer, and only what is revealed."""
    st.set_page_config(initial_sidebar_state="collapsed")
    loaded = sync = None
    if state.TOKEN_RE.match(link):
        try:
            sync = state.read_sync(ctx, link)
            loaded = state.load(ctx, link, sync)
        except PermissionDenied:
            loaded = None
    # Only the public token opens the projector: a personal link would show that
    # person's private view (and put their secret on the wall).
    if loaded is None or sync is None or loaded.view.role != "audience":
        st.title("Projector view")
        st.error(NOT_A_SCREEN, icon=":material/link_off:")
        return
    st.session_state[state.SEEN_KEY] = state.page_key(sync, loaded, loaded.step)
    st.html(PROJECTOR_STYLE)
    workshop = loaded.view.workshop
    side, board = st.columns([1, 2], gap="large")
    with side:
        st.caption("Strategy workshop")
        st.title(md(workshop.title))
        facilitate.join_panel(workshop, projector=True)
    with board:
        live.live(ctx, link, projector=True)
