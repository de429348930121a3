"""What the workshop screen knows: who is looking (their link), what they see, and when
the whole page must be drawn again.

The links (docs/ARCHITECTURE.md, "Access and deep links"); every one of them is a secret
checked by the services:

- ``?facilitator=KEY`` — the facilitator's personal link (shown to them once, and in
  their own address bar; never on the projector);
- ``?p=TOKEN`` — a participant's personal rejoin link (``p``, not ``me``: the editor
  already keeps the drafts' owner in ``?me=``);
- ``?join=LINK`` — the public join link (on the projector, with the code and the QR);
- ``?screen=LINK`` — the projector view: the same public token, read-only, showing only
  what the facilitator has revealed.

Streamlit cannot write cookies, so a seat lives in the address bar (it survives a
reload and a bookmark) and in session state (it survives moving between pages).
Session-state keys are all ``ws.…``, owned by the workshop modules.
"""

from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from strategy_canvas.services import workshops
from strategy_canvas.ui import identity, links, push, steps

if TYPE_CHECKING:
    from sqlmodel import Session

    from strategy_canvas import models as m
    from strategy_canvas.ui.context import PageContext

WORKSHOP_PAGE = steps.WORKSHOP_PAGE

P_FACILITATOR = "facilitator"
P_PARTICIPANT = "p"
P_JOIN = "join"
P_SCREEN = "screen"
SEAT_PARAMS = (P_FACILITATOR, P_PARTICIPANT)

#: what a key or token can look like (secrets.token_urlsafe); anything else is not looked up
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

SEAT_KEY = "ws.seat"  # (param, token) of this tab's seat
SEEN_KEY = "ws.seen"  # the page key the last full run was drawn for
CACHE_KEY = "ws.cache"  # what was loaded at the last revision (see load)
BEAT_KEY = "ws.beat"  # monotonic time of the last heartbeat sent
VIEW_STEP_KEY = "ws.view_step"  # the step a participant chose while follow-me is off

#: presence is read again at least this often (it goes by time, not by the counter)
PRESENCE_EVERY_SECONDS = 5.0

PHASES: dict[m.WorkshopPhase, tuple[str, str]] = {
    "brainstorm": (
        "Brainstorm",
        "Write your ideas as notes, one idea per note. The others see them only when "
        "the facilitator reveals them.",
    ),
    "group": (
        "Group",
        "Read everyone's notes; the facilitator groups them into themes.",
    ),
    "vote": (
        "Vote",
        "Give your dots to the notes (and in step 3 the features) that matter most.",
    ),
    "score": (
        "Score",
        "Score each feature's value and effort on your own; nobody sees the scores "
        "until the facilitator reveals them.",
    ),
    "discuss": (
        "Discuss",
        "Talk through the top-voted notes and the features the scores disagree on, then decide.",
    ),
}

#: the question each step's notes answer
PROMPTS: dict[int, str] = {
    1: "Which problem do we solve, and for whom? What do people use today? "
    "Which of our assumptions is the riskiest?",
    2: "Where are we going? What would success look like, in numbers? What will we not do?",
    3: "Which concepts and features reach the goals? What would you build first?",
    4: "What comes now, next and later? Who owns it? What could go wrong?",
    5: "What did users and the numbers tell us? Which flaws need a fix, and what do we "
    "decide per feature?",
}


def phase_text(phase: str | None) -> tuple[str, str]:
    """The phase's name and what people do in it ("", "" for none)."""
    for key, text in PHASES.items():
        if key == phase:
            return text
    return "", ""


def phase_order(step: int) -> list[m.WorkshopPhase]:
    """The phases a step goes through (scoring only in step 3, where the features are)."""
    order: list[m.WorkshopPhase] = ["brainstorm", "group", "vote", "discuss"]
    if step == 3:
        order.insert(3, "score")
    return order


def next_phase(step: int, phase: str) -> m.WorkshopPhase | None:
    order = phase_order(step)
    if phase not in order:
        return order[0]
    at = order.index(phase)
    return order[at + 1] if at + 1 < len(order) else None


def timer_text(seconds_left: float) -> str:
    """A countdown as people read it: "4:05", "1:02:00" (whole seconds, rounded up)."""
    total = max(0, math.ceil(seconds_left))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


# --------------------------------------------------------------------------- links


def page_url(**params: str) -> str:
    """This page's address with ``params``: absolute when the browser told us where
    the app is (for a QR code or a link to copy), else relative."""
    path = links.url_path(WORKSHOP_PAGE)
    base = ""
    try:
        base = (st.context.url or "").rstrip("/")
    except Exception:  # no browser behind this run (a test or a benchmark)
        base = ""
    if base and not base.endswith("/" + path):
        base = f"{base}/{path}"
    query = f"?{urlencode(params)}" if params else ""
    return f"{base or path}{query}"


class Seat(NamedTuple):
    param: str  # P_FACILITATOR or P_PARTICIPANT
    token: str
    from_link: bool  # named in the address bar (else remembered by this tab)


def current_seat() -> Seat | None:
    """The seat this tab holds: from the address bar, else from session state (then put
    back into the address bar, so a reload or a bookmark keeps it)."""
    for param in SEAT_PARAMS:
        value = (st.query_params.get(param) or "").strip()
        if value:
            return Seat(param, value, True)
    remembered = st.session_state.get(SEAT_KEY)
    if remembered:
        param, token = remembered
        st.query_params[param] = token
        return Seat(param, token, False)
    return None


def take_seat(param: str, token: str) -> None:
    """Hold this seat in this tab and in its address bar (one seat at a time)."""
    st.session_state[SEAT_KEY] = (param, token)
    for other in (*SEAT_PARAMS, P_JOIN, P_SCREEN):
        if other != param and other in st.query_params:
            del st.query_params[other]
    st.query_params[param] = token
    forget_screen()


def leave_seat() -> None:
    """Forget the seat in this tab (the personal link still works)."""
    st.session_state.pop(SEAT_KEY, None)
    identity.stand()
    for param in SEAT_PARAMS:
        if param in st.query_params:
            del st.query_params[param]
    forget_screen()


def forget_screen() -> None:
    """Drop what was loaded for the last screen (another seat or workshop comes next)."""
    for key in (SEEN_KEY, CACHE_KEY, BEAT_KEY, VIEW_STEP_KEY):
        st.session_state.pop(key, None)


# ----------------------------------------------------------------------- the screen


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` (a missing value as None, as pandas gives it), built
    column by column: pandas' own took a third of a board's HTML, and every screen of a
    room builds its board on each change."""
    names = list(frame.columns)
    return [
        {name: None if value is pd.NA else value for name, value in zip(names, row, strict=True)}
        for row in zip(*(frame[name].tolist() for name in names), strict=True)
    ]


class _StepFlags:
    """The steps' locks and reveals of a viewer's reads (``view.steps``)."""

    view: workshops.WorkshopView

    @functools.cached_property
    def _flags(self) -> dict[tuple[int, str], bool]:
        """(step, flag) -> its lock or reveal, read once (every draw asks several times)."""
        return {
            (int(row["step"]), str(column)): bool(value) if value is not None else False
            for row in rows(self.view.steps)
            for column, value in row.items()
            if column != "step"
        }

    def step_flag(self, step: int, flag: str) -> bool:
        return self._flags.get((step, flag), False)


@dataclass(frozen=True)
class Loaded(_StepFlags):
    """One viewer's reads of the workshop at one revision of the canvas."""

    token: str
    revision: int
    view: workshops.WorkshopView
    board: workshops.Board
    scores: workshops.ScoreSummary | None  # step 3 only
    presence: workshops.Presence
    presence_at: float
    #: the hub's presence epoch of the canvas when presence was read (pushed screens)
    presence_epoch: int = -1

    @property
    def step(self) -> int:
        """The step this screen shows."""
        return self.board.step

    @property
    def steps(self) -> pd.DataFrame:
        return self.view.steps


@dataclass(frozen=True)
class Inputs(_StepFlags):
    """What a participant's inputs read (their seat, the steps' locks and reveals, step
    3's scores): no board and no presence, which only the live board shows."""

    view: workshops.WorkshopView
    scores: workshops.ScoreSummary | None
    step: int


def read_inputs(ctx: PageContext, token: str, sync: workshops.SyncState) -> Inputs:
    """What a participant's inputs read at ``sync``: from what the page's run loaded
    when it is of this revision and step, else read afresh without the board (the
    inputs' own run, when the step or phase moved: the board draws itself)."""
    cached: Loaded | None = st.session_state.get(CACHE_KEY)
    if (
        cached is not None
        and cached.token == token
        and cached.revision == sync.revision
        and cached.view.workshop.id == sync.workshop_id
        and cached.step == shown_step(sync, cached.view.role)
    ):
        return Inputs(cached.view, cached.scores, cached.step)
    with ctx.read() as session:
        view = workshops.workshop_view(session=session, viewer_token=token)
        step = shown_step(sync, view.role)
        scoring = step == 3 and sync.phase == "score"
        scores = workshops.score_summary(session=session, viewer_token=token) if scoring else None
    return Inputs(view, scores, step)


def shown_step(sync: workshops.SyncState, role: str) -> int:
    """The step this screen shows: the workshop's own for the facilitator, the projector
    and everyone while follow-me is on; with it off, the step this participant last
    saw or chose (they stay put when the facilitator moves on)."""
    return step_for(sync, role, st.session_state.get(VIEW_STEP_KEY))


def step_for(sync: workshops.SyncState, role: str, chosen: object) -> int:
    """:func:`shown_step` for a viewer who ``chose`` that step (None: none chosen)."""
    current = sync.step or 1
    if role != "participant" or sync.follow_me or sync.status != "active":
        return current
    return chosen if isinstance(chosen, int) and chosen in (1, 2, 3, 4, 5) else current


def read_sync(ctx: PageContext, token: str) -> workshops.SyncState:
    """The cheap poll: one indexed query (two for the projector's public token)."""
    with ctx.read() as session:
        return workshops.sync_state(session=session, viewer_token=token)


def load(ctx: PageContext, token: str, sync: workshops.SyncState) -> Loaded:
    """The viewer's workshop, board, scores and presence for the step they see, read
    again only when the canvas's change counter moved (presence: when who is here
    changed, or every few seconds where nothing is pushed): a tick of the live board
    usually costs only the sync query."""
    cached: Loaded | None = st.session_state.get(CACHE_KEY)
    if cached is not None and cached.token != token:
        cached = None
    now = time.monotonic()
    with ctx.read() as session:
        fresh_view = None
        if cached is not None:
            role = cached.view.role
        else:
            fresh_view = workshops.workshop_view(session=session, viewer_token=token)
            role = fresh_view.role
        step = shown_step(sync, role)
        if (
            cached is not None
            and cached.revision == sync.revision
            and cached.step == step
            and cached.view.workshop.id == sync.workshop_id
        ):
            # Presence goes by time: a pushed screen reads it again when the process's
            # watcher saw who is here change (the presence epoch moved); a polling one
            # every few seconds.
            canvas_id = cached.view.workshop.canvas_id
            if push.available():
                if push.presence_epoch(canvas_id) == cached.presence_epoch:
                    return cached
            elif now - cached.presence_at < PRESENCE_EVERY_SECONDS:
                return cached
            epoch = push.presence_epoch(canvas_id)
            people = workshops.presence(session=session, viewer_token=token)
            loaded = Loaded(
                token,
                cached.revision,
                cached.view,
                cached.board,
                cached.scores,
                people,
                now,
                epoch,
            )
        else:
            loaded = read(session, token, sync, step)
    st.session_state[CACHE_KEY] = loaded
    return loaded


def read(session: Session, token: str, sync: workshops.SyncState, step: int) -> Loaded:
    """Everything one viewer's live board shows of ``step``, read afresh (no session
    state: the live board's route reads through it too). What every screen of the room
    sees is read once per change for all of them (:func:`workshops.live_read`); who is
    here too where the screens are pushed (the presence epoch says when it moved)."""
    got = workshops.live_read(
        session=session,
        viewer_token=token,
        step=step,
        presence_epoch=push.presence_epoch if push.available() else None,
    )
    return Loaded(
        token,
        sync.revision,
        got.view,
        got.board,
        got.scores,
        got.presence,
        time.monotonic(),
        got.presence_epoch,
    )


def drop_cache() -> None:
    """Read everything again on the next draw (after this viewer wrote something)."""
    st.session_state.pop(CACHE_KEY, None)


def can_contribute(sync: workshops.SyncState, loaded: Loaded | Inputs, step: int) -> bool:
    """Whether this viewer may add, vote and score in ``step`` now (the services
    decide; this only keeps the inputs from inviting what would be refused)."""
    role = loaded.view.role
    if sync.status != "active" or role == "audience":
        return False
    if role == "facilitator":
        return True
    if loaded.step_flag(step, "locked"):
        return False
    return not (sync.time_is_up and sync.timer_read_only)


def mark_drawn(sync: workshops.SyncState, loaded: Loaded | Inputs) -> int:
    """This screen's inputs are drawn for ``loaded``'s step as of ``sync``: the step it
    shows, and the :func:`page_key` the live board compares each change with. Returns
    the step."""
    step = loaded.step
    st.session_state[VIEW_STEP_KEY] = step
    st.session_state[SEEN_KEY] = page_key(sync, loaded, step)
    return step


def page_key(sync: workshops.SyncState, loaded: Loaded | Inputs, step: int) -> tuple[Any, ...]:
    """What the inputs outside the live board depend on, for this viewer's role. When
    it changes those inputs are drawn again; any other change reaches the screen through
    the live board alone, so nobody's typing is thrown away by someone else's change.

    Only what the role's inputs read counts, so that a change a screen need not follow
    costs it no run: the facilitator's controls follow the phase; a participant's inputs
    (the note, ready, the step chooser, the blind scores) read the phase only for step
    3's scores (the vote buttons are the board's own); the projector has none."""
    role = loaded.view.role
    if role == "audience":
        return (sync.status,)
    scoring = step == 3 and sync.phase == "score"
    return (
        sync.status,
        step,
        sync.phase if role == "facilitator" else scoring,
        sync.follow_me,
        can_contribute(sync, loaded, step),
        loaded.step_flag(3, "scores_revealed") if step == 3 else None,
    )


def heartbeat(ctx: PageContext, token: str) -> None:
    """Say "still here" at most every few seconds (presence goes by time)."""
    now = time.monotonic()
    if now - st.session_state.get(BEAT_KEY, -1e9) < workshops.HEARTBEAT_MIN_SECONDS:
        return
    st.session_state[BEAT_KEY] = now
    with ctx.write() as session:
        workshops.heartbeat(session=session, participant_token=token)
