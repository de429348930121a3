"""The live part of the workshop screen: the step, the timer, who is here and the
step's board, as one block of HTML (:func:`compose`, user text escaped).

Where this process serves the event stream, the block is drawn by the listener element
itself (:mod:`strategy_canvas.ui.push`, :class:`push.Board`): on a pushed change it
fetches the board again from ``GET /api/live/board`` (:func:`board_payload`, the same
:func:`compose`) and redraws it in place, with no Streamlit run (when the countdown
reaches zero too); the fragment runs when a vote button is clicked, and what the
viewer's inputs depend on (:func:`controls`) changing runs those inputs alone (a
participant's fragment, ``follow``) or the facilitator's page. Where no stream is
served, the fragment draws the block with ``st.html`` every ``live_sync_seconds``
(sending a heartbeat every few seconds), the vote buttons as Streamlit buttons under
it. Each run reads :func:`workshops.sync_state` (one indexed query) and reads the board
again only when the canvas's change counter moved. The inputs outside are drawn again
only when what they read changes (:func:`workshop_state.page_key`), so a note being
typed next to the board is never lost to someone else's change; nothing here takes
typing.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import streamlit as st

from strategy_canvas import db
from strategy_canvas.lru import LRUCache
from strategy_canvas.services import workshops
from strategy_canvas.services.errors import PermissionDenied, ServiceError
from strategy_canvas.ui import messages, push, steps
from strategy_canvas.ui import workshop_board as cards
from strategy_canvas.ui import workshop_state as state
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

ERROR_KEY = "ws.live_error"  # a refused vote, shown on the next draw of the board


# --------------------------------------------------------------------- small pieces


def big(text: str, *, size: float = 3.0, colour: str = "#1F2937", weight: int = 700) -> None:
    """Large text for a projector (the text is escaped, never interpreted)."""
    st.markdown(
        f'<div style="font-size:{size}rem;font-weight:{weight};line-height:1.1;'
        f'color:{colour};font-variant-numeric:tabular-nums">{html.escape(text)}</div>',
        unsafe_allow_html=True,
    )


def _clock(sync: workshops.SyncState, *, projector: bool) -> str:
    """The shared countdown (seconds left come from the server's clock)."""
    if sync.timer_ends_at is None or sync.seconds_left is None:
        return cards.meta("No timer running.") if projector else ""
    left = sync.seconds_left
    box = cards.clock(
        ends_ms=int(sync.timer_ends_at.timestamp() * 1000),
        label=sync.timer_label.strip() or "Timer",
        text="Time is up" if sync.time_is_up else state.timer_text(left),
        state="up" if sync.time_is_up else ("soon" if left <= 30 else "running"),
        was_up=sync.time_is_up,
        big=projector,
    )
    if sync.time_is_up and sync.timer_read_only:
        box += cards.meta("The board is read-only until the facilitator restarts the timer.")
    return box


class Target(NamedTuple):
    """An item that takes votes on this screen now: for the buttons of a screen that
    draws the board without the live element (see :func:`fallback_votes`)."""

    kind: str
    target_id: int
    mine: int
    closed: str | None
    label: str


def _closed(note: dict[str, Any]) -> str | None:
    """Why a promoted note takes no more votes (None: it does)."""
    kind = note["promoted_kind"]
    if not isinstance(kind, str):
        return None
    if kind == "feature":
        return "It became a feature: vote for the feature."
    return "It is decided: it takes no more votes."


class _Cards:
    """Builds note and feature cards, with vote buttons in the HTML when the live
    element draws the board (``buttons``), and notes what takes votes."""

    def __init__(self, board: workshops.Board, *, voting: bool, buttons: bool) -> None:
        self.board = board
        self.voting = voting
        self.buttons = buttons
        self.targets: list[Target] = []

    def votes(self, kind: str, target_id: int, mine: int, closed: str | None, label: str) -> str:
        self.targets.append(Target(kind, target_id, mine, closed, label))
        if not self.buttons:
            return ""
        board = self.board
        return cards.vote_buttons(
            kind=kind,
            target_id=target_id,
            mine=mine,
            left=board.my_votes_left or 0,
            cap=board.vote_cap,
            budget=board.vote_budget,
            closed=closed,
        )

    def note(self, note: dict[str, Any]) -> str:
        body = cards.note_body(note, self.board)
        if not self.voting:
            return body
        return body + self.votes(
            "note", int(note["note_id"]), int(note["my_votes"]), _closed(note), str(note["text"])
        )

    def feature(self, row: dict[str, Any], voting: bool) -> str:
        body = cards.feature_body(row)
        if not voting:
            return body
        return body + self.votes(
            "feature", int(row["feature_id"]), int(row["my_votes"]), None, str(row["title"])
        )


def notes_board(made: _Cards, per_row: int) -> list[str]:
    """The step's notes, in their themes, then the ungrouped ones, then the
    placeholders of others' hidden notes."""
    board = made.board
    notes = state.rows(board.notes)
    count = f"<b>Notes</b> · {len(notes)}"
    if board.hidden_notes:
        count += f" · {board.hidden_notes} hidden until the facilitator reveals them"
    parts = [cards.head(count)]
    if not notes:
        return [
            *parts,
            cards.meta("No notes yet — the first idea is always the hardest; add yours."),
        ]
    if made.voting:
        parts.append(
            cards.meta(
                f"{cards.icon('how_to_vote')}You have <b>{board.my_votes_left}</b> of "
                f"{board.vote_budget} votes left in this step · at most {board.vote_cap} on "
                "one item."
            )
        )
    themed: dict[int, list[dict[str, Any]]] = {int(t): [] for t in board.themes["theme_id"]}
    loose: list[dict[str, Any]] = []
    hidden: list[dict[str, Any]] = []
    for note in notes:
        theme_id = note["theme_id"]
        if note["hidden"]:
            hidden.append(note)
        elif theme_id is not None and not pd.isna(theme_id):
            themed.setdefault(int(theme_id), []).append(note)
        else:
            loose.append(note)
    for theme in state.rows(board.themes):
        members = themed.get(int(theme["theme_id"]), [])
        parts.append(cards.theme_box(theme, [made.note(n) for n in members], per_row))
    if loose:
        if len(board.themes):
            parts.append(cards.head("<b>Not in a theme yet</b>"))
        parts.append(cards.grid([made.note(n) for n in loose], per_row))
    return [*parts, cards.hidden(hidden)]


def features_vote(made: _Cards, *, voting: bool) -> list[str]:
    """Step 3: the canvas's features, to vote on."""
    board = made.board
    if board.features.empty:
        return []
    features = state.rows(board.features)
    title = cards.head(f"<b>Features</b> · {len(features)}")
    return [title, cards.grid([made.feature(row, voting) for row in features], 3)]


def scores_view(scores: workshops.ScoreSummary | None) -> list[str]:
    """Step 3's blind scores: how many scored, then (once revealed) mean and spread."""
    if scores is None or scores.features.empty:
        return []
    parts = [cards.head("<b>Blind scores</b>")]
    if not scores.visible:
        return [
            *parts,
            cards.meta(
                f"{cards.icon('lock')}{scores.scorers} of {scores.participants} people have "
                "scored; the scores stay hidden until the facilitator reveals them."
            ),
        ]
    frame = scores.features
    scored = frame[frame["scores"] > 0]
    if scored.empty:
        return [*parts, cards.meta("Nobody has scored a feature yet.")]
    flagged = scored[scored["discuss"].fillna(False).astype(bool)]
    if not scores.revealed:
        parts.append(cards.meta("Only you see these until you reveal the scores."))
    if len(flagged):
        names = ", ".join(f"<b>{html.escape(str(t))}</b>" for t in flagged["title"])
        parts.append(
            cards.alert(
                "warning", "forum", f"Discuss first — the team's scores are far apart on: {names}"
            )
        )
    parts.append(cards.scores_table(scored))
    parts.append(
        cards.meta(
            "Value and effort: the mean of the scores (1–10); ±: their standard deviation. "
            f"A feature is flagged for discussion when ± is {workshops.DISCUSS_STD:g} or more, "
            f"or two scores are {workshops.DISCUSS_RANGE} or more apart."
        )
    )
    return parts


def _show_refused() -> None:
    error = st.session_state.pop(ERROR_KEY, None)
    if isinstance(error, ServiceError):
        messages.show_error(error)


def facilitator_hint(loaded: state.Loaded, sync: workshops.SyncState, step: int) -> str:
    """What to do next, for the facilitator."""
    board = loaded.board
    notes = len(board.notes)
    if sync.status != "active":
        return ""
    if sync.phase == "brainstorm" and not board.notes_revealed:
        return cards.alert(
            "info",
            "lightbulb",
            f"{notes} note{'' if notes == 1 else 's'} so far — only you see them all. "
            "Reveal them when everyone is ready (Reveal).",
        )
    if sync.phase == "vote" and not board.notes_revealed:
        return cards.alert(
            "info",
            "lightbulb",
            "Reveal the notes first: people can vote only on notes they can read.",
        )
    if sync.phase == "score" and step == 3 and loaded.scores is not None:
        return cards.alert(
            "info",
            "lightbulb",
            f"{loaded.scores.scorers} of {loaded.scores.participants} people have scored.",
        )
    return ""


# --------------------------------------------------------------------- the board


class Live(NamedTuple):
    """What the live board shows one viewer: its HTML (every piece of user text
    escaped), what the viewer can do (``controls``: when it changes, the page's inputs
    must follow, so the page is drawn again) and the items that take votes now."""

    html: str
    controls: str
    targets: list[Target]


def controls(sync: workshops.SyncState, loaded: state.Loaded, step: int) -> str:
    """The controls signature: what the inputs outside the board depend on (the role,
    the workshop, :func:`workshop_state.page_key`: step, phase, follow-me, being
    allowed to write, the end, the scores' reveal)."""
    return repr((loaded.view.role, sync.workshop_id, state.page_key(sync, loaded, step)))


def step_head(sync: workshops.SyncState, step: int) -> str:
    """The step this screen shows, its phase and the question of its notes."""
    info = steps.STEPS[step]
    name, hint = state.phase_text(sync.phase)
    active = sync.status == "active"
    lines = [state.PROMPTS[step]] if active and name else []
    if sync.step is not None and sync.step != step:
        lines.append(f"The facilitator is on step {sync.step}.")
    return cards.step_head(
        f"Step {step} of {len(steps.STEPS)} · {info.title}",
        name if active else "",
        hint if active else "",
        lines,
    )


def projector_status(sync: workshops.SyncState, loaded: state.Loaded, step: int) -> str:
    """The projector's top strip: the step and phase, the timer, who is here."""
    info = steps.STEPS[step]
    name, hint = state.phase_text(sync.phase)
    left = [
        cards.meta(f"Step {step} of {len(steps.STEPS)}"),
        f'<p class="sc-ws-title-big">{html.escape(info.title)}</p>',
    ]
    if name:
        left.append(f"<p><b>{html.escape(name)}</b> — {html.escape(hint)}</p>")
    if sync.status == "active" and step in state.PROMPTS:
        left.append(cards.meta(html.escape(state.PROMPTS[step])))
    right = [_clock(sync, projector=True), cards.presence(loaded.presence, projector=True)]
    return (
        f'<div class="sc-ws-projector"><div>{"".join(left)}</div><div>{"".join(right)}</div></div>'
    )


def compose(
    sync: workshops.SyncState,
    loaded: state.Loaded,
    step: int,
    *,
    projector: bool = False,
    buttons: bool = True,
) -> Live:
    """Everything live, as one block of HTML: the step, the status strip, then the
    board of ``step`` (with the vote buttons in it when ``buttons``)."""
    role = loaded.view.role
    parts: list[str] = []
    if projector:
        parts.append(projector_status(sync, loaded, step))
    else:
        parts.append(step_head(sync, step))
        clock = _clock(sync, projector=False)
        people = cards.presence(loaded.presence)
        if clock:
            parts.append(f'<div class="sc-ws-status"><div>{clock}</div><div>{people}</div></div>')
        else:
            parts.append(people)
    if sync.status != "active":
        parts.append(
            cards.alert("info", "flag", "This workshop has ended. Thank you for taking part!")
        )
    elif role != "audience" and role != "facilitator":
        if loaded.step_flag(step, "locked"):
            parts.append(
                cards.alert(
                    "warning",
                    "lock",
                    f"Step {step} is locked by the facilitator: you can read it, not change it.",
                )
            )
        elif sync.time_is_up and sync.timer_read_only:
            parts.append(
                cards.alert(
                    "warning",
                    "timer_off",
                    "Time is up: the board is read-only until the facilitator restarts the timer.",
                )
            )
    if role == "facilitator" and not projector:
        parts.append(facilitator_hint(loaded, sync, step))

    board = loaded.board
    voting = (
        sync.phase == "vote"
        and state.can_contribute(sync, loaded, step)
        and board.notes_revealed
        and not board.votes_revealed
        and board.my_votes_left is not None
    )
    made = _Cards(board, voting=voting, buttons=buttons)
    scores_first = step == 3 and sync.phase in ("score", "discuss")
    if scores_first:
        parts += scores_view(loaded.scores)
    parts += notes_board(made, 4 if projector else 3)
    if step == 3 and (sync.phase == "vote" or not board.features["my_votes"].eq(0).all()):
        made.voting = sync.phase == "vote" and _features_votable(sync, loaded, step)
        parts += features_vote(made, voting=made.voting)
    if not board.tally.empty:
        title = "Vote results" if board.votes_revealed else "Votes so far"
        parts.append(cards.tally(board.tally, title))
        if not board.votes_revealed:
            parts.append(cards.meta("Only you see these until you reveal the votes."))
    elif board.votes_revealed:
        parts.append(cards.meta("The votes are revealed: nobody voted in this step."))
    if step == 3 and not scores_first:
        parts += scores_view(loaded.scores)
    parts.append(
        '<div class="sc-ws-meta sc-ws-live" title="This board shows every change by itself; '
        f'your typing elsewhere is never touched.">Live · change {sync.revision}</div>'
    )
    return Live(cards.wrap([p for p in parts if p]), controls(sync, loaded, step), made.targets)


def _features_votable(sync: workshops.SyncState, loaded: state.Loaded, step: int) -> bool:
    """Features can be voted on before the notes are revealed (they are the canvas's)."""
    board = loaded.board
    return (
        state.can_contribute(sync, loaded, step)
        and not board.votes_revealed
        and board.my_votes_left is not None
    )


# ------------------------------------------------------------------------ votes


def fallback_votes(
    ctx: PageContext, token: str, board: workshops.Board, targets: list[Target]
) -> None:
    """Where the board is drawn without the live element (no event stream served: a
    page run on its own, AppTest), the vote buttons are Streamlit's, one row per item
    under the board."""
    if not targets:
        return
    with st.container(border=True):
        st.caption("Your votes")
        for target in targets:
            with st.container(horizontal=True, gap="small", vertical_alignment="center"):
                _vote_buttons(ctx, token, board, target)
                st.caption(md(target.label[:80]))


def _vote_buttons(ctx: PageContext, token: str, board: workshops.Board, target: Target) -> None:
    """+1 and −1 for one item; ``closed`` says why it takes no more votes (a promoted
    note), when it does not: a vote given may still be taken back."""
    left = board.my_votes_left or 0
    kind, target_id, mine, closed = target.kind, target.target_id, target.mine, target.closed
    st.button(
        "+1",
        key=f"ws.vote.{kind}.{target_id}",
        icon=":material/how_to_vote:",
        disabled=left <= 0 or mine >= board.vote_cap or closed is not None,
        on_click=_cast,
        args=(ctx, token, kind, target_id, True, mine),
        help=closed
        or f"Give it a vote: {left} of your {board.vote_budget} left; at most "
        f"{board.vote_cap} on one item.",
    )
    st.button(
        "−1",
        key=f"ws.unvote.{kind}.{target_id}",
        disabled=mine <= 0,
        on_click=_cast,
        args=(ctx, token, kind, target_id, False, mine),
        help="Take one of your votes back.",
        type="tertiary",
    )


def _cast(ctx: PageContext, token: str, kind: str, target_id: int, up: bool, seen: int) -> None:
    """A vote button's callback (runs before the fragment redraws). ``seen`` is the
    count the button was drawn with: Streamlit can deliver a click inside a polling
    fragment twice, and the services count it once."""
    note_id = target_id if kind == "note" else None
    feature_id = target_id if kind == "feature" else None
    act = workshops.vote if up else workshops.unvote
    try:
        with ctx.write() as session:
            act(
                session=session,
                participant_token=token,
                note_id=note_id,
                feature_id=feature_id,
                seen=seen,
            )
    except ServiceError as error:
        st.session_state[ERROR_KEY] = error
    state.drop_cache()


#: what a vote button of the live element sends: kind, item, +1 (1) or −1 (0), and the
#: viewer's votes on the item the button was drawn with
_VOTE_RE = re.compile(r"^(note|feature):([0-9]{1,18}):([01]):([0-9]{1,6})$")


def voted(ctx: PageContext, token: str, value: object) -> None:
    """A vote button of the live element was clicked (the listener's callback)."""
    found = _VOTE_RE.match(value) if isinstance(value, str) else None
    if found is None:
        st.session_state[ERROR_KEY] = ServiceError(
            "This vote could not be read; click the button again."
        )
        return
    kind, target_id, up, seen = found.groups()
    _cast(ctx, token, kind, int(target_id), up == "1", int(seen))


# --------------------------------------------------------------------- the fragment


def live(
    ctx: PageContext, token: str, *, projector: bool = False, follow: str | None = None
) -> None:
    """The live board as a fragment that follows the workshop. Where this process
    serves the event stream, the board is the listener element itself: it fetches the
    board again from :func:`board_payload` on each pushed change and redraws it without
    a Streamlit run, asking for one only when the controls signature changed (a run of
    the fragment keyed ``follow`` that holds the viewer's inputs, else of the page) or
    a vote is cast. Else the fragment polls every ``live_sync_seconds``."""

    def tick() -> push.Drawn:
        try:
            sync = state.read_sync(ctx, token)
            loaded = state.load(ctx, token, sync)
        except PermissionDenied:
            st.rerun(scope="app")  # the seat is gone: the page says so
        step = loaded.step
        if state.page_key(sync, loaded, step) != st.session_state.get(state.SEEN_KEY):
            st.rerun(scope="app")
        seated = loaded.view.role != "audience"
        pushed = push.available()
        if seated and not pushed:
            state.heartbeat(ctx, token)
        _show_refused()
        shown = compose(sync, loaded, step, projector=projector, buttons=pushed)
        if not pushed:
            st.html(shown.html)
            fallback_votes(ctx, token, loaded.board, shown.targets)
        return push.Drawn(
            token,
            loaded.view.workshop.canvas_id,
            sync.revision,
            token if seated else None,
            push.Board(
                shown.html, shown.controls, step, lambda value: voted(ctx, token, value), follow
            ),
        )

    cards.style()
    push.follow(tick, every_seconds=ctx.settings.live_sync_seconds, key="ws.live")


# ------------------------------------------------------------------- the route


#: (token, step, change counter, presence epoch, time is up) -> the board's payload
_PAYLOADS: LRUCache[dict[str, Any]] = LRUCache(512)
#: token -> (canvas id, role): a token's canvas and role never change
_WHO: LRUCache[tuple[int, str]] = LRUCache(1024)


def board_payload(token: str, chosen: int | None) -> dict[str, Any]:
    """The live board as the viewer holding ``token`` sees it now (``GET
    /api/live/board``): its HTML, built by :func:`compose` as a run of the page builds
    it, the controls signature, the change counter and presence epoch it shows, and the
    server's clock. ``chosen``: the step a participant chose while follow-me is off.

    The same token rules as the page: PermissionDenied for anything but a participant's
    token, a facilitator key or a workshop's public link (which sees the projector's
    board). Kept per (token, step, counter, presence): the sixteen screens of a room
    each ask once per change, and a screen asking twice costs one read."""
    now_ms = int(workshops.clock().timestamp() * 1000)
    with db.session_scope(db.get_engine(), readonly=True) as session:
        sync = workshops.sync_state(session=session, viewer_token=token)
        who = _WHO.get(token)
        if who is None:
            view = workshops.workshop_view(session=session, viewer_token=token)
            who = (view.workshop.canvas_id, view.role)
            _WHO.put(token, who)
        canvas_id, role = who
        step = state.step_for(sync, role, chosen)
        epoch = push.presence_epoch(canvas_id)
        key = (token, step, sync.revision, epoch, sync.time_is_up, sync.workshop_id)
        payload = _PAYLOADS.get(key)
        if payload is None:
            loaded = state.read(session, token, sync, step)
            shown = compose(sync, loaded, step, projector=role == "audience")
            payload = {
                "rev": sync.revision,
                "pres": loaded.presence_epoch,
                "step": step,
                "controls": shown.controls,
                "html": shown.html,
            }
            _PAYLOADS.put(key, payload)
    return {**payload, "nowMs": now_ms}
