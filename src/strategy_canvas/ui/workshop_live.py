"""The live part of the workshop screen: timer, presence and the step's board.

It is drawn inside a fragment that reruns when the canvas changes or who is here
changes, pushed by the server (:mod:`strategy_canvas.ui.push`; where no stream is
served, every ``live_sync_seconds``, sending a heartbeat every few seconds): each run
reads :func:`workshops.sync_state` (one indexed query) and draws the board again,
reading it only when the canvas's change counter moved. The
whole page is rerun only when what the inputs outside depend on changes (the step, the
phase, follow-me, being allowed to write, the end: :func:`workshop_state.page_key`), so
a note being typed next to the board is never lost to someone else's change. The vote
buttons live here (a click reruns only the fragment); nothing here takes typing.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

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


def timer(sync: workshops.SyncState, *, projector: bool = False) -> None:
    """The shared countdown (seconds left come from the server's clock)."""
    if sync.timer_ends_at is None or sync.seconds_left is None:
        if projector:
            st.caption("No timer running.")
        return
    label = sync.timer_label.strip()
    if push.available():  # the countdown ticks in the browser, on the server's clock
        with st.container(border=True):
            push.countdown(
                ends_at=sync.timer_ends_at,
                now=workshops.clock(),
                label=label or "Timer",
                was_up=sync.time_is_up,
                projector=projector,
                key="ws.countdown",
            )
            if sync.time_is_up and sync.timer_read_only:
                st.caption("The board is read-only until the facilitator restarts the timer.")
        return
    if sync.time_is_up:
        text = "Time is up"
        colour = "#B91C1C"
    else:
        text = state.timer_text(sync.seconds_left)
        colour = "#B45309" if sync.seconds_left <= 30 else "#1F2937"
    with st.container(border=True):
        st.caption(f":material/timer: {md(label) if label else 'Timer'}")
        big(text, size=4.5 if projector else 2.4, colour=colour)
        if sync.time_is_up and sync.timer_read_only:
            st.caption("The board is read-only until the facilitator restarts the timer.")


def presence(people: workshops.Presence, *, projector: bool = False) -> None:
    """Who is here and who is ready: a count, then a badge per person."""
    cards.show([cards.presence(people, projector=projector)])


def _note_card(ctx: PageContext, token: str, note: dict[str, Any], board: workshops.Board) -> None:
    """A note with its vote buttons (while voting: the rest of the board is HTML)."""
    with st.container(border=True):
        cards.show([cards.note_body(note, board)])
        kind = note["promoted_kind"]
        closed = None
        if isinstance(kind, str):
            closed = (
                "It became a feature: vote for the feature."
                if kind == "feature"
                else "It is decided: it takes no more votes."
            )
        _vote_buttons(
            ctx, token, board, "note", int(note["note_id"]), int(note["my_votes"]), closed
        )


def _vote_buttons(
    ctx: PageContext,
    token: str,
    board: workshops.Board,
    kind: str,
    target_id: int,
    mine: int,
    closed: str | None = None,
) -> None:
    """+1 and −1 for one item; ``closed`` says why it takes no more votes (a promoted
    note), when it does not: a vote given may still be taken back."""
    left = board.my_votes_left or 0
    with st.container(horizontal=True, gap="small"):
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


def _vote_grid(
    ctx: PageContext,
    token: str,
    notes: list[dict[str, Any]],
    board: workshops.Board,
    per_row: int,
) -> None:
    for start in range(0, len(notes), per_row):
        columns = st.columns(per_row)
        for column, note in zip(columns, notes[start : start + per_row], strict=False):
            with column:
                _note_card(ctx, token, note, board)


def notes_board(
    ctx: PageContext,
    token: str,
    board: workshops.Board,
    *,
    voting: bool,
    per_row: int = 3,
) -> None:
    """The step's notes, in their themes, then the ungrouped ones: one HTML block
    (:mod:`workshop_board`), but while voting, when each note has its buttons."""
    notes = board.notes.to_dict("records")
    count = f"<b>Notes</b> · {len(notes)}"
    if board.hidden_notes:
        count += f" · {board.hidden_notes} hidden until the facilitator reveals them"
    parts = [cards.head(count)]
    if not notes:
        cards.show(
            [*parts, cards.meta("No notes yet — the first idea is always the hardest; add yours.")]
        )
        return
    if voting:
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
    loose_head = cards.head("<b>Not in a theme yet</b>") if len(board.themes) and loose else ""
    if not voting:
        for theme in board.themes.to_dict("records"):
            members = themed.get(int(theme["theme_id"]), [])
            parts.append(
                cards.theme_box(theme, [cards.note_body(n, board) for n in members], per_row)
            )
        if loose:
            parts += [loose_head, cards.grid([cards.note_body(n, board) for n in loose], per_row)]
        cards.show([*parts, cards.hidden(hidden)])
        return
    cards.show(parts)
    for theme in board.themes.to_dict("records"):
        members = themed.get(int(theme["theme_id"]), [])
        with st.container(border=True):
            cards.show([cards.theme_head(theme, len(members))])
            if members:
                _vote_grid(ctx, token, members, board, per_row)
    if loose:
        cards.show([loose_head])
        _vote_grid(ctx, token, loose, board, per_row)
    cards.show([cards.hidden(hidden)])


def features_vote(ctx: PageContext, token: str, board: workshops.Board, *, voting: bool) -> None:
    """Step 3: the canvas's features, to vote on."""
    if board.features.empty:
        return
    rows = board.features.to_dict("records")
    title = cards.head(f"<b>Features</b> · {len(rows)}")
    if not voting:
        cards.show([title, cards.grid([cards.feature_body(row) for row in rows], 3)])
        return
    cards.show([title])
    for start in range(0, len(rows), 3):
        for column, row in zip(st.columns(3), rows[start : start + 3], strict=False):
            with column, st.container(border=True):
                cards.show([cards.feature_body(row)])
                _vote_buttons(
                    ctx, token, board, "feature", int(row["feature_id"]), int(row["my_votes"])
                )


def scores_view(scores: workshops.ScoreSummary | None) -> None:
    """Step 3's blind scores: how many scored, then (once revealed) mean and spread."""
    if scores is None or scores.features.empty:
        return
    st.markdown("**Blind scores**")
    if not scores.visible:
        st.caption(
            f":material/lock: {scores.scorers} of {scores.participants} people have scored; "
            "the scores stay hidden until the facilitator reveals them."
        )
        return
    frame = scores.features
    scored = frame[frame["scores"] > 0]
    if scored.empty:
        st.caption("Nobody has scored a feature yet.")
        return
    flagged = scored[scored["discuss"].fillna(False).astype(bool)]
    if not scores.revealed:
        st.caption("Only you see these until you reveal the scores.")
    if len(flagged):
        names = ", ".join(f"**{md(str(t))}**" for t in flagged["title"])
        st.warning(
            f"Discuss first — the team's scores are far apart on: {names}",
            icon=":material/forum:",
        )
    table = pd.DataFrame(
        {
            "Feature": scored["title"],
            "Scores": scored["scores"],
            "Value": scored["mean_value"].astype(float),
            "Value ±": scored["value_std"].astype(float),
            "Effort": scored["mean_effort"].astype(float),
            "Effort ±": scored["effort_std"].astype(float),
            "Discuss": scored["discuss"].fillna(False).astype(bool),
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Value": st.column_config.ProgressColumn(min_value=1, max_value=10, format="%.1f"),
            "Effort": st.column_config.ProgressColumn(min_value=1, max_value=10, format="%.1f"),
            "Value ±": st.column_config.NumberColumn(format="%.1f"),
            "Effort ±": st.column_config.NumberColumn(format="%.1f"),
        },
        placeholder="—",
    )
    st.caption(
        "Value and effort: the mean of the scores (1–10); ±: their standard deviation. "
        f"A feature is flagged for discussion when ± is {workshops.DISCUSS_STD:g} or more, "
        f"or two scores are {workshops.DISCUSS_RANGE} or more apart."
    )


def _show_refused() -> None:
    error = st.session_state.pop(ERROR_KEY, None)
    if isinstance(error, ServiceError):
        messages.show_error(error)


def facilitator_hint(loaded: state.Loaded, sync: workshops.SyncState, step: int) -> None:
    """What to do next, for the facilitator."""
    board = loaded.board
    notes = len(board.notes)
    if sync.status != "active":
        return
    if sync.phase == "brainstorm" and not board.notes_revealed:
        st.info(
            f"{notes} note{'' if notes == 1 else 's'} so far — only you see them all. "
            "Reveal them when everyone is ready (Reveal).",
            icon=":material/lightbulb:",
        )
    elif sync.phase == "vote" and not board.notes_revealed:
        st.info(
            "Reveal the notes first: people can vote only on notes they can read.",
            icon=":material/lightbulb:",
        )
    elif sync.phase == "score" and step == 3 and loaded.scores is not None:
        st.info(
            f"{loaded.scores.scorers} of {loaded.scores.participants} people have scored.",
            icon=":material/lightbulb:",
        )


# --------------------------------------------------------------------- the fragment


def draw(
    ctx: PageContext,
    token: str,
    sync: workshops.SyncState,
    loaded: state.Loaded,
    step: int,
    *,
    projector: bool = False,
) -> None:
    """Everything live: the status strip, then the board of ``step``."""
    role = loaded.view.role
    if not projector:
        if sync.timer_ends_at is not None:
            left, right = st.columns([2, 3])
            with left:
                timer(sync)
            with right:
                presence(loaded.presence)
        else:
            presence(loaded.presence)
    if sync.status != "active":
        st.info("This workshop has ended. Thank you for taking part!", icon=":material/flag:")
    elif role != "audience" and role != "facilitator":
        if loaded.step_flag(step, "locked"):
            st.warning(
                f"Step {step} is locked by the facilitator: you can read it, not change it.",
                icon=":material/lock:",
            )
        elif sync.time_is_up and sync.timer_read_only:
            st.warning(
                "Time is up: the board is read-only until the facilitator restarts the timer.",
                icon=":material/timer_off:",
            )
    if role == "facilitator" and not projector:
        facilitator_hint(loaded, sync, step)
    _show_refused()

    board = loaded.board
    voting = (
        sync.phase == "vote"
        and state.can_contribute(sync, loaded, step)
        and board.notes_revealed
        and not board.votes_revealed
        and board.my_votes_left is not None
    )
    scores_first = step == 3 and sync.phase in ("score", "discuss")
    if scores_first:
        scores_view(loaded.scores)
    notes_board(ctx, token, board, voting=voting, per_row=4 if projector else 3)
    if step == 3 and (sync.phase == "vote" or not board.features["my_votes"].eq(0).all()):
        features_vote(
            ctx, token, board, voting=sync.phase == "vote" and _features_votable(sync, loaded, step)
        )
    if not board.tally.empty:
        title = "Vote results" if board.votes_revealed else "Votes so far"
        cards.show(
            [cards.tally(board.tally, title)]
            + (
                []
                if board.votes_revealed
                else [cards.meta("Only you see these until you reveal the votes.")]
            )
        )
    elif board.votes_revealed:
        st.caption("The votes are revealed: nobody voted in this step.")
    if step == 3 and not scores_first:
        scores_view(loaded.scores)


def _features_votable(sync: workshops.SyncState, loaded: state.Loaded, step: int) -> bool:
    """Features can be voted on before the notes are revealed (they are the canvas's)."""
    board = loaded.board
    return (
        state.can_contribute(sync, loaded, step)
        and not board.votes_revealed
        and board.my_votes_left is not None
    )


def live(ctx: PageContext, token: str, *, projector: bool = False) -> None:
    """The live board as a fragment that follows the workshop: rerun by pushed changes
    (:mod:`strategy_canvas.ui.push`), or every ``live_sync_seconds`` where no stream is
    served."""

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
        if seated and not push.available():
            state.heartbeat(ctx, token)
        if projector:
            projector_status(sync, loaded, step)
        draw(ctx, token, sync, loaded, step, projector=projector)
        st.caption(
            f"Live · change {sync.revision}",
            help="This board shows every change by itself; your typing elsewhere is never touched.",
        )
        return push.Drawn(
            token, loaded.view.workshop.canvas_id, sync.revision, token if seated else None
        )

    cards.style()
    push.follow(tick, every_seconds=ctx.settings.live_sync_seconds, key="ws.live")


def projector_status(sync: workshops.SyncState, loaded: state.Loaded, step: int) -> None:
    """The projector's top strip: the step and phase, the timer, who is here."""
    info = steps.STEPS[step]
    name, hint = state.phase_text(sync.phase)
    left, right = st.columns([3, 2])
    with left:
        st.caption(f"Step {step} of {len(steps.STEPS)}")
        big(info.title, size=2.6)
        if name:
            st.markdown(f"**{name}** — {hint}")
        if sync.status == "active" and step in state.PROMPTS:
            st.caption(state.PROMPTS[step])
    with right:
        timer(sync, projector=True)
        presence(loaded.presence, projector=True)
