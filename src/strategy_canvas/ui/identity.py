"""Who is using the app in this browser tab, for the canvas's history.

The history records who made each change (:mod:`strategy_canvas.services.people`):

- a user logged in through the app's login (shared mode), by their name or address;
- a workshop participant (the facilitator too), by the display name they joined with,
  while this tab holds their seat in a workshop of the open canvas;
- anyone else by the name they gave once for their personal key (``?me=``, which also
  names their drafts), asked in the sidebar; until they give it, their changes are
  "Someone"'s (still theirs to undo).

Session-state keys are ``id.…``, owned by this module.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.services import people
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ValidationFailed
from strategy_canvas.ui import access, messages, push

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

_KEY = "id.me"  # this person's personal key (also in the address bar, as ?me=)
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_NAMES = "id.names"  # personal key -> the name given for it (None: none yet)
_SEAT = "id.seat"  # the participant token of this tab's workshop seat
_PARTICIPANTS = "id.participants"  # (token, canvas token) -> Actor | None
NAME_INPUT = "id.name_input"


def owner_key() -> str:
    """This person's personal key, kept in the link (``?me=``) to survive reloads: it
    names their drafts, and the name they give for it names them in the history.

    Streamlit cannot write cookies, so the address bar is the only place that outlives
    the browser session; the key grants no rights.
    """
    key = st.session_state.get(_KEY) or st.query_params.get("me") or ""
    if not _KEY_RE.match(key):
        key = secrets.token_urlsafe(12)
    st.session_state[_KEY] = key
    if st.query_params.get("me") != key:
        st.query_params["me"] = key
    return key


def sit(participant_token: str) -> None:
    """This tab holds a seat in a workshop (called by the workshop screen)."""
    st.session_state[_SEAT] = participant_token


def stand() -> None:
    """This tab left its workshop seat."""
    st.session_state.pop(_SEAT, None)


def _participant(ctx: PageContext) -> Actor | None:
    token = st.session_state.get(_SEAT)
    if not token or ctx.token is None:
        return None
    known: dict[tuple[str, str], Actor | None] = st.session_state.setdefault(_PARTICIPANTS, {})
    key = (token, ctx.token)
    if key not in known:
        with ctx.read() as session:
            known[key] = people.participant_actor(
                session=session, participant_token=token, canvas_token=ctx.token
            )
    return known[key]


def given_name(ctx: PageContext) -> str | None:
    """The name this person gave for their personal key (None if not yet)."""
    key = owner_key()
    names: dict[str, str | None] = st.session_state.setdefault(_NAMES, {})
    if key not in names:
        with ctx.read() as session:
            names[key] = people.name_for(session=session, owner_key=key)
    return names[key]


def actor(ctx: PageContext) -> Actor:
    """Who makes the writes of this tab, as the history will name them."""
    if access.is_logged_in():
        login = str(st.user.get("email") or st.user.get("sub") or "")
        return people.login_actor(str(st.user.get("name") or ""), login)
    seated = _participant(ctx)
    if seated is not None:
        return seated
    return people.pm_actor(given_name(ctx), owner_key())


def needs_name(ctx: PageContext) -> bool:
    """Whether to ask this person's name: nothing else names them."""
    if access.is_logged_in() or _participant(ctx) is not None:
        return False
    return given_name(ctx) is None


def _save_name(ctx: PageContext) -> None:
    push.redraw_page()  # the prompt goes, or says why not, even in a listener's run
    text = str(st.session_state.get(NAME_INPUT) or "")
    if not text.strip():
        return
    key = owner_key()
    try:
        with ctx.write() as session:
            name = people.set_name(session=session, owner_key=key, display_name=text)
    except ValidationFailed as error:
        st.session_state[f"{NAME_INPUT}.error"] = error
        return
    st.session_state.setdefault(_NAMES, {})[key] = name
    st.session_state.pop(NAME_INPUT, None)


def name_prompt(ctx: PageContext) -> None:
    """Ask, once, the name the history shows for this person's changes (sidebar)."""
    bar = st.sidebar
    if not needs_name(ctx):
        return
    bar.text_input(
        "Your name",
        key=NAME_INPUT,
        max_chars=40,
        placeholder="e.g. Ana",
        help="Shown in the canvas's history next to what you change. Asked once; "
        "it stays with your personal link.",
        on_change=_save_name,
        args=(ctx,),
    )
    error = st.session_state.pop(f"{NAME_INPUT}.error", None)
    if error is not None:
        with bar:
            messages.show_error(error)
