"""The facilitator's side of a workshop: the invitation, the controls, the summary.

Shown only to the holder of the facilitator key; the services check that key on every
action anyway, so hiding these controls from others is a convenience, not the guard.
Every control is a button or a form outside the live board: an action writes, then the
page is drawn again once.
"""

from __future__ import annotations

import io
import typing
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import qrcode
import streamlit as st

from strategy_canvas import models as m
from strategy_canvas.config import PROJECT_ROOT
from strategy_canvas.services import items, workshops
from strategy_canvas.services.errors import ServiceError
from strategy_canvas.services.validation import field_label
from strategy_canvas.ui import links, messages, steps
from strategy_canvas.ui import workshop_live as live
from strategy_canvas.ui import workshop_state as state
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from sqlmodel import Session

    from strategy_canvas.ui.context import PageContext

TABS_KEY = "ws.fac.tabs"  # the control panel's open tab
VOTE_WARNING_KEY = "ws.vote_warning"  # voting was asked for while the notes are hidden
PROMOTED_KEY = "ws.promoted"  # the last promotion, confirmed with a link to its step
APPLIED_KEY = "ws.applied"  # the blind scores just applied to the features
#: completing fields that are a choice among fixed values
_CHOICE_FIELDS: dict[str, tuple[str, ...]] = {"moscow": typing.get_args(m.MoSCoW)}


# ---------------------------------------------------------------------- invitation


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as PNG bytes (cached: the projector redraws often)."""
    code = qrcode.QRCode(border=2, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer)
    return buffer.getvalue()


def spaced_code(code: str) -> str:
    """A join code as people read it aloud: "K7M 2PQ"."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}" if len(code) > 4 else code


def join_panel(workshop: m.WorkshopPublic, *, projector: bool = False) -> None:
    """The join code (large), the QR code of the join link and the link itself: what
    goes on the projector. Holds no secret: the link token is the public one."""
    join_url = state.page_url(**{state.P_JOIN: workshop.link_token})
    if workshop.join_code is None:
        st.info("This workshop has ended: it can no longer be joined.", icon=":material/flag:")
        return
    st.caption("Join with the code")
    live.big(spaced_code(workshop.join_code), size=6.5 if projector else 3.4, colour="#4F46E5")
    st.image(qr_png(join_url), width=300 if projector else 200)
    if projector:
        st.markdown(f"or open **{md(join_url)}**")
    else:
        st.caption("Or share the link:")
        st.code(join_url, language=None)


def my_link(key: str) -> None:
    """The facilitator's own link, behind a "show" action (a popover): a shared or
    projected screen never shows it unless the facilitator opens it."""
    with st.popover("Your facilitator link", icon=":material/key:"):
        st.warning(
            "**Keep it private.** It is your way back to this seat (bookmark it, or keep "
            "this tab). Whoever holds it runs the workshop: never show it on the "
            "projector — project the projector view instead.",
            icon=":material/key:",
        )
        st.code(state.page_url(**{state.P_FACILITATOR: key}), language=None)


def invite(workshop: m.WorkshopPublic, participants: int) -> None:
    """The invitation, for the facilitator: code, QR, link and the projector view."""
    with st.expander("Invite people", expanded=participants <= 1, icon=":material/qr_code_2:"):
        join_panel(workshop)
        st.link_button(
            "Open the projector view",
            state.page_url(**{state.P_SCREEN: workshop.link_token}),
            icon=":material/connected_tv:",
            help="A separate page for the projector: the code, the QR, the step, the "
            "timer and what you have revealed. It holds no secret.",
        )


# ------------------------------------------------------------------------ controls


class Outcome(NamedTuple):
    ok: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.ok


def _act(ctx: PageContext, action: Callable[[Session], Any], done: str | None = None) -> Outcome:
    """Run a facilitator action. Done: ``done`` is queued for the next draw (the caller
    reruns). Refused: the reason is shown here and nothing was written."""
    try:
        with ctx.write() as session:
            result = action(session)
    except ServiceError as error:
        messages.show_error(error)
        return Outcome(False)
    if done:
        messages.flash("success", done)
    state.drop_cache()
    return Outcome(True, result)


def _note_label(note: dict[str, Any]) -> str:
    text = " ".join(str(note["text"]).split())
    return f"#{int(note['note_id'])} · {text[:70]}{'…' if len(text) > 70 else ''}"


def _visible_notes(board: workshops.Board) -> list[dict[str, Any]]:
    return [n for n in board.notes.to_dict("records") if not n["hidden"]]


def controls(ctx: PageContext, key: str, sync: workshops.SyncState, loaded: state.Loaded) -> None:
    """Every control of the facilitator, in tabs."""
    step = sync.step or 1
    messages.show_flashes()
    _promoted_confirmation(ctx)
    heading, link = st.columns([3, 2], vertical_alignment="bottom")
    heading.subheader("Facilitate")
    with link:
        my_link(key)
    active = sync.status == "active"
    # Five short tabs fit the side column at 1280 px; the timer sits with the pacing and
    # the blind scores with promoting. After the end there is nothing left to pace.
    names = ["Pace"] if active else []
    names += ["Reveal", "Themes", "Promote"]
    if active:
        names.append("End")
    # Only the open tab is built (its own run when another is opened, of the side's
    # fragment): a step or phase change redraws one tab's controls, not five tabs'
    # seven choice lists. The key keeps the tab you used open when the page is drawn
    # again, and names it (a test opens a tab through it).
    tabs = dict(zip(names, st.tabs(names, key=TABS_KEY, on_change="rerun"), strict=True))
    if active and tabs["Pace"].open:
        with tabs["Pace"]:
            _pace(ctx, key, sync, loaded, step)
            st.markdown("**Timer**")
            _timer(ctx, key, sync)
    if tabs["Reveal"].open:
        with tabs["Reveal"]:
            _reveal(ctx, key, loaded, step)
    if tabs["Themes"].open:
        with tabs["Themes"]:
            _themes(ctx, key, loaded, step)
    if tabs["Promote"].open:
        with tabs["Promote"]:
            _promote(ctx, key, loaded, step)
            if step == 3:
                st.markdown("**Blind scores**")
                _apply_scores(ctx, key)
    if active and tabs["End"].open:
        with tabs["End"]:
            _end(ctx, key)


def _pace(
    ctx: PageContext, key: str, sync: workshops.SyncState, loaded: state.Loaded, step: int
) -> None:
    phase = sync.phase or "brainstorm"
    upcoming = state.next_phase(step, phase)
    hidden = not loaded.step_flag(step, "notes_revealed") and len(loaded.board.notes) > 0
    if st.session_state.get(VOTE_WARNING_KEY) == step and hidden:
        _vote_warning(ctx, key, step)
    left, right = st.columns(2)
    if upcoming is not None and left.button(
        f"Next: {state.PHASES[upcoming][0]}",
        key="ws.next_phase",
        icon=":material/skip_next:",
        type="primary",
        width="stretch",
    ):
        if upcoming == "vote" and hidden:
            st.session_state[VOTE_WARNING_KEY] = step  # ask first
            st.rerun()
        if _act(
            ctx,
            lambda s: workshops.set_phase(session=s, facilitator_key=key, phase=upcoming),
            f"Phase: {state.PHASES[upcoming][0]}.",
        ):
            st.rerun()
    if (
        step < len(steps.STEPS)
        and right.button(
            f"Step {step + 1}: {steps.STEPS[step + 1].title}",
            key="ws.next_step",
            icon=":material/arrow_forward:",
            width="stretch",
        )
        and _act(
            ctx,
            lambda s: workshops.go_to_step(session=s, facilitator_key=key, step=step + 1),
            f"Moved to step {step + 1}.",
        )
    ):
        st.rerun()
    version = loaded.view.workshop.version
    with st.form("ws.f.go", border=True):
        chosen_step = st.selectbox(
            "Step",
            list(steps.STEPS),
            index=step - 1,
            format_func=lambda n: f"{n}. {steps.STEPS[n].title}",
            key=f"ws.go.step.{version}",
        )
        phases = list(state.PHASES)
        chosen_phase = st.selectbox(
            "Phase",
            phases,
            index=phases.index(phase) if phase in phases else 0,
            format_func=lambda p: state.PHASES[p][0],
            key=f"ws.go.phase.{version}",
        )
        if st.form_submit_button("Go there", icon=":material/near_me:") and _act(
            ctx,
            lambda s: workshops.go_to_step(
                session=s, facilitator_key=key, step=chosen_step, phase=chosen_phase
            ),
            f"Step {chosen_step}, {state.PHASES[chosen_phase][0].lower()}.",
        ):
            st.rerun()
    follow = st.toggle(
        "Follow me",
        value=sync.follow_me,
        key=f"ws.follow.{sync.follow_me}",
        help="On: every screen shows your step. Off: people may look at other steps.",
    )
    if follow != sync.follow_me and _act(
        ctx,
        lambda s: workshops.set_follow_me(session=s, facilitator_key=key, follow_me=follow),
        "Everyone follows you." if follow else "People may now move between steps.",
    ):
        st.rerun()
    locked = loaded.step_flag(step, "locked")
    if st.button(
        f"Unlock step {step}" if locked else f"Lock step {step}",
        key="ws.lock",
        icon=":material/lock_open:" if locked else ":material/lock:",
        help="A locked step can be read, not changed (no notes, votes or scores).",
    ):
        act = workshops.unlock_step if locked else workshops.lock_step
        if _act(
            ctx,
            lambda s: act(session=s, facilitator_key=key, step=step),
            f"Step {step} {'unlocked' if locked else 'locked'}.",
        ):
            st.rerun()


def _vote_warning(ctx: PageContext, key: str, step: int) -> None:
    """Voting was asked for while the step's notes are hidden: people could vote only on
    the features (step 3) and their own notes. Reveal first, or go on anyway."""
    st.warning(
        "The notes of this step are still hidden: people can vote only on notes they "
        "can read. Reveal them first?",
        icon=":material/visibility_off:",
    )
    reveal_first, anyway, cancel = st.columns(3)

    def to_vote(session: Session, *, reveal: bool) -> m.Workshop:
        if reveal:
            workshops.reveal(session=session, facilitator_key=key, step=step, what="notes")
        return workshops.set_phase(session=session, facilitator_key=key, phase="vote")

    if reveal_first.button("Reveal and vote", key="ws.vote.reveal", type="primary"):
        st.session_state.pop(VOTE_WARNING_KEY, None)
        if _act(ctx, partial(to_vote, reveal=True), "Notes revealed; voting is open."):
            st.rerun()
    if anyway.button("Vote anyway", key="ws.vote.anyway"):
        st.session_state.pop(VOTE_WARNING_KEY, None)
        if _act(ctx, partial(to_vote, reveal=False), "Voting is open; the notes stay hidden."):
            st.rerun()
    if cancel.button("Not yet", key="ws.vote.cancel", type="tertiary"):
        st.session_state.pop(VOTE_WARNING_KEY, None)
        st.rerun()


def _timer(ctx: PageContext, key: str, sync: workshops.SyncState) -> None:
    if sync.timer_ends_at is not None and sync.seconds_left is not None:
        left = "time is up" if sync.time_is_up else f"{state.timer_text(sync.seconds_left)} left"
        st.caption(f"Running: {left}" + (" · read-only when up" if sync.timer_read_only else ""))
        if st.button("Stop the timer", key="ws.timer_stop", icon=":material/timer_off:") and _act(
            ctx, lambda s: workshops.stop_timer(session=s, facilitator_key=key), "Timer stopped."
        ):
            st.rerun()
    with st.form("ws.f.timer", border=True):
        minutes = st.number_input(
            "Minutes",
            value=5.0,
            step=0.5,
            format="%g",
            key="ws.t.minutes",
            help="From a second to 4 hours (240 minutes).",
        )
        label = st.text_input(
            "Label", max_chars=80, placeholder="e.g. Silent brainstorm", key="ws.t.label"
        )
        read_only = st.checkbox(
            "Read-only when time is up",
            key="ws.t.read_only",
            help="Nobody but you can add, vote or score once the timer reaches zero.",
        )
        if st.form_submit_button("Start the timer", icon=":material/timer:") and _act(
            ctx,
            lambda s: workshops.start_timer(
                session=s,
                facilitator_key=key,
                seconds=None if minutes is None else minutes * 60,
                label=label,
                read_only_when_up=read_only,
            ),
            f"Timer started: {state.timer_text((minutes or 0) * 60)}.",
        ):
            st.rerun()


_REVEALS: list[tuple[workshops.Revealable, str, str, str]] = [
    ("notes", "notes_revealed", "Reveal the notes", "Everyone can read everyone's notes."),
    ("votes", "votes_revealed", "Reveal the votes", "Revealing the votes closes the voting."),
    ("scores", "scores_revealed", "Reveal the blind scores", "Revealing closes the scoring."),
]


def _reveal_one(
    session: Session, *, key: str, step: int, what: workshops.Revealable, revealed: bool
) -> m.WorkshopStep:
    return workshops.reveal(
        session=session, facilitator_key=key, step=step, what=what, revealed=revealed
    )


def _reveal(ctx: PageContext, key: str, loaded: state.Loaded, step: int) -> None:
    for what, flag, label, help_text in _REVEALS:
        if what == "scores" and step != 3:
            continue
        shown = loaded.step_flag(step, flag)
        if st.button(
            f"Hide the {what} again" if shown else label,
            key=f"ws.reveal.{what}",
            icon=":material/visibility_off:" if shown else ":material/visibility:",
            type="secondary" if shown else "primary",
            help=help_text,
            width="stretch",
        ) and _act(
            ctx,
            partial(_reveal_one, key=key, step=step, what=what, revealed=not shown),
            f"The {what} of step {step} are {'hidden again' if shown else 'revealed'}.",
        ):
            st.rerun()
    workshop = loaded.view.workshop
    if workshop.status != "active":
        return
    with st.form("ws.f.rules", border=True):
        st.caption("Vote rules")
        budget = st.number_input(
            "Votes per person and step",
            value=float(workshop.vote_budget),
            step=1.0,
            format="%g",
            key="ws.r.budget",
            help="A whole number from 1 to 50.",
        )
        cap = st.number_input(
            "Votes per person on one item",
            value=float(workshop.vote_cap),
            step=1.0,
            format="%g",
            key="ws.r.cap",
            help="A whole number from 1 to 50, at most the votes per person and step.",
        )
        if st.form_submit_button("Save the vote rules") and _act(
            ctx,
            lambda s: workshops.set_vote_rules(
                session=s,
                facilitator_key=key,
                budget=budget,
                cap=cap,
            ),
            f"Vote rules: {budget:g} votes per person, at most {cap:g} on one item.",
        ):
            st.rerun()


def _refresh_button(name: str) -> None:
    if st.button(
        "Refresh the list of notes",
        key=f"ws.refresh.{name}",
        icon=":material/refresh:",
        type="tertiary",
        help="Notes added since this panel was drawn appear after a refresh.",
    ):
        state.drop_cache()
        st.rerun()


def _themes(ctx: PageContext, key: str, loaded: state.Loaded, step: int) -> None:
    board = loaded.board
    with st.form("ws.f.theme", border=True, clear_on_submit=True):
        name = st.text_input("New theme", max_chars=80, key="ws.th.name")
        if st.form_submit_button("Create the theme", icon=":material/category:") and _act(
            ctx,
            lambda s: workshops.create_theme(session=s, facilitator_key=key, step=step, name=name),
            f"Theme “{md(name.strip())}” created.",
        ):
            st.rerun()
    notes = _visible_notes(board)
    if not notes:
        st.caption("No notes to group yet.")
        _refresh_button("themes")
        return
    by_id = {int(n["note_id"]): n for n in notes}
    themes = {int(t["theme_id"]): str(t["name"]) for t in board.themes.to_dict("records")}
    with st.form("ws.f.assign", border=True):
        note_id = st.selectbox(
            "Note", list(by_id), format_func=lambda i: _note_label(by_id[i]), key="ws.as.note"
        )
        theme_id = st.selectbox(
            "Theme",
            [None, *themes],
            format_func=lambda t: "(no theme)" if t is None else themes[t],
            key="ws.as.theme",
        )
        if st.form_submit_button("Put it in the theme", icon=":material/move_item:") and _act(
            ctx,
            lambda s: workshops.assign_note_to_theme(
                session=s, facilitator_key=key, note_id=note_id, theme_id=theme_id
            ),
            "Note moved.",
        ):
            st.rerun()
    with st.form("ws.f.remove", border=True):
        remove_id = st.selectbox(
            "Take a note off the board",
            list(by_id),
            format_func=lambda i: _note_label(by_id[i]),
            key="ws.rm.note",
        )
        sure = st.checkbox("Yes, remove it (its votes go with it)", key="ws.rm.sure")
        if st.form_submit_button("Remove the note", icon=":material/delete:"):
            if not sure:
                st.error("Tick the box to confirm: a removed note cannot be brought back.")
            elif _act(
                ctx,
                lambda s: workshops.remove_note(session=s, facilitator_key=key, note_id=remove_id),
                "Note removed.",
            ):
                st.rerun()
    _refresh_button("themes")


def _promote(ctx: PageContext, key: str, loaded: state.Loaded, step: int) -> None:
    board = loaded.board
    kinds = workshops.PROMOTION_KINDS[step]
    notes = [n for n in _visible_notes(board) if not isinstance(n["promoted_kind"], str)]
    st.caption(
        "Turn a note into a real item of this step, "
        + " or ".join(items.ITEM_TYPES[k].noun for k in kinds)
        + ": its text becomes the title."
    )
    if not notes:
        st.caption("No note left to promote in this step.")
        _refresh_button("promote")
        return
    by_id = {int(n["note_id"]): n for n in notes}
    kind = st.selectbox(
        "Becomes a",
        list(kinds),
        format_func=lambda k: items.ITEM_TYPES[k].label,
        key="ws.pr.kind",
    )
    with st.form("ws.f.promote", border=True):
        note_id = st.selectbox(
            "Note", list(by_id), format_func=lambda i: _note_label(by_id[i]), key="ws.pr.note"
        )
        fields = _completing_inputs(ctx, key, kind)
        if st.form_submit_button("Promote", icon=":material/upgrade:", type="primary"):
            outcome = _act(
                ctx,
                lambda s: workshops.promote_note(
                    session=s, facilitator_key=key, note_id=note_id, kind=kind, fields=fields
                ),
            )
            if outcome:
                row = outcome.result
                st.session_state[PROMOTED_KEY] = {
                    "step": step,
                    "label": items.ITEM_TYPES[kind].label,
                    "title": items.item_title(row),
                    "item_id": row.id,
                }
                st.rerun()
    _refresh_button("promote")


def _completing_inputs(ctx: PageContext, key: str, kind: str) -> dict[str, Any]:
    """What the step's completeness needs of the new item besides its title
    (:data:`workshops.COMPLETING_FIELDS`), asked here so that promoting a note does not
    leave the step less complete. Left blank, a field keeps its default."""
    wanted = workshops.COMPLETING_FIELDS.get(kind, ())
    if not wanted:
        return {}
    spec = items.ITEM_TYPES[kind]
    with ctx.read() as session:
        choices = workshops.promotion_choices(session=session, facilitator_key=key, kind=kind)
    st.caption("So that the step stays complete (each may be filled in later):")
    values: dict[str, Any] = {}
    for field in wanted:
        label = field_label(spec.create, field)
        widget_key = f"ws.pr.{kind}.{field}"
        if field in choices:
            titles: dict[int | None, str] = {None: "(none yet)", **dict(choices[field])}
            values[field] = st.selectbox(
                label, list(titles), format_func=titles.__getitem__, key=widget_key
            )
        elif field in _CHOICE_FIELDS:
            picks: list[str | None] = [None, *_CHOICE_FIELDS[field]]
            values[field] = st.selectbox(
                label,
                picks,
                format_func=lambda v: "(not yet)" if v is None else str(v).capitalize(),
                key=widget_key,
            )
        else:
            placeholder = "the note's text" if field in workshops.CARRIES_THE_NOTE.values() else ""
            values[field] = st.text_input(label, key=widget_key, placeholder=placeholder)
    return values


def _promoted_confirmation(ctx: PageContext) -> None:
    done = st.session_state.pop(PROMOTED_KEY, None)
    if not done:
        return
    st.success(
        f"Promoted: “{md(str(done['title']))}” is now {done['label'].lower()} "
        f"#{done['item_id']} on the canvas.",
        icon=":material/check_circle:",
    )
    info = steps.STEPS[done["step"]]
    if ctx.canvas is not None:
        links.page_link(
            info.page,
            label=f"See it in step {info.number}: {info.title}",
            icon=":material/open_in_new:",
            query_params=ctx.link_params,
        )


def _apply_scores(ctx: PageContext, key: str) -> None:
    st.caption(
        "Write the team's mean blind scores to the features: value (1–10) as scored, "
        "effort mapped to person-months (1 ≈ a week … 10 ≈ a year). The features' "
        "prioritisation in step 3 uses them."
    )
    if st.button("Apply the blind scores", key="ws.apply", icon=":material/publish:"):
        outcome = _act(ctx, lambda s: workshops.apply_blind_scores(session=s, facilitator_key=key))
        if outcome:
            st.session_state[APPLIED_KEY] = outcome.result
    applied = st.session_state.get(APPLIED_KEY)
    if isinstance(applied, pd.DataFrame):
        if applied.empty:
            st.info("Nobody has scored a feature yet: nothing was applied.")
        else:
            st.success(f"Applied to {len(applied)} features.", icon=":material/check_circle:")
            st.dataframe(
                applied[
                    ["title", "scores", "value", "effort", "previous_value", "previous_effort"]
                ],
                hide_index=True,
                width="stretch",
                column_config={
                    "title": "Feature",
                    "value": "Value",
                    "effort": "Effort (person-months)",
                    "previous_value": "Value before",
                    "previous_effort": "Effort before",
                },
                placeholder="—",
            )


def _end(ctx: PageContext, key: str) -> None:
    st.caption(
        "Ending closes the board for everyone and frees the join code. Notes, themes, "
        "votes and scores stay with the canvas; you can still group and promote."
    )
    sure = st.checkbox("Yes, end the workshop for everyone", key="ws.end.sure")
    if st.button(
        "End the workshop", key="ws.end", icon=":material/stop_circle:", disabled=not sure
    ) and _act(
        ctx, lambda s: workshops.end_workshop(session=s, facilitator_key=key), "Workshop ended."
    ):
        st.rerun()


# -------------------------------------------------------------------------- summary


def export_page() -> str | None:
    """The Export page's file, if the app has one."""
    found = sorted((PROJECT_ROOT / "pages").glob("*Export*.py"))
    return found[0].relative_to(PROJECT_ROOT).as_posix() if found else None


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary(ctx: PageContext, workshop_id: int) -> None:
    """What the workshop produced: decisions and actions (the promoted notes), and an
    appendix of the notes never promoted, the themes, the votes and the scores."""
    if ctx.token is None:
        st.info("Open the canvas's link to see the workshop's summary.", icon=":material/link:")
        return
    with ctx.read() as session:
        data = workshops.summary(session=session, canvas_token=ctx.token, workshop_id=workshop_id)
    counts = data["counts"]
    st.caption(
        f"{_count(counts['participants'], 'person', 'people')} · "
        f"{_count(counts['notes'], 'note')} · {counts['promoted']} promoted · "
        f"{_count(counts['votes'], 'vote')} · {counts['scorers']} gave blind scores"
    )
    tables = workshops.summary_tables(data)
    titles = dict(workshops.SUMMARY_TABLES)
    empty = {
        "decisions": "No note became a problem, persona, goal, feature or feedback item.",
        "actions": "No note became a roadmap item, risk or flaw.",
    }
    for name in ("decisions", "actions"):
        st.markdown(f"**{titles[name]}** · {len(tables[name])}")
        if tables[name].empty:
            st.caption(empty[name])
        else:
            st.dataframe(tables[name], hide_index=True, width="stretch", placeholder="—")
    unpromoted = _count(len(tables["notes"]), "note")
    with st.expander(f"Appendix: themes, votes, scores, {unpromoted} never promoted"):
        for name in ("themes", "votes", "scores", "notes"):
            if not tables[name].empty:
                st.markdown(f"**{titles[name]}**")
                st.dataframe(tables[name], hide_index=True, width="stretch", placeholder="—")
    page = export_page()
    if page is not None:
        links.page_link(
            page,
            label="Export the canvas with this summary (PDF, Markdown, JSON)",
            icon=":material/download:",
            query_params=ctx.link_params,
        )
