"""Facilitated workshops: a whole team on one canvas, live.

Rights come only from the secret the caller holds, checked here (never from a role flag):

- the **canvas token** (full rights on the canvas): start a workshop, list the canvas's
  workshops, read a workshop's summary, poll :func:`sync_state`, and take over the
  facilitator's seat (:func:`take_over`, which replaces the key, so the facilitator
  is told and never silently shares the seat);
- the **facilitator key** (``secrets.token_urlsafe(24)``, returned once by
  :func:`start_workshop`, never part of a URL shown to others): pace the workshop, lock
  steps, run the timer, reveal, group, promote notes to items, apply blind scores, end
  it. The facilitator is a participant too: their key works as their participant token;
- a **participant token** (the personal rejoin link): notes, votes, blind scores, ready,
  heartbeat; reads show the participant their own notes and what has been revealed;
- the **public join link** (``link_token``, on the projector with the join code): join;
  as a viewer token it reads the projector's view (only what has been revealed);
- the **join code** (6 characters, unambiguous alphabet): join, limited against guessing.

Writes start with :func:`strategy_canvas.services.items.begin_write` (after resolving the
caller's secret to its canvas): it bumps the canvas change counter that every screen
polls and serialises the canvas's writers (the SQLite write lock; a row lock on
PostgreSQL), so budgets and caps are counted inside the same transaction and hold under
any number of simultaneous voters. The one exception is :func:`heartbeat`: presence is
read by time, and bumping the counter every second for every participant would make
every screen reload constantly.

The package is split by role; callers use the package (``workshops.vote(...)``):

- :mod:`.access` — starting a workshop, joining (and the limits on guessing codes),
  rejoining, the facilitator's key, reading a workshop as a viewer;
- :mod:`.sync` — what live screens poll; :mod:`.presence` — who is here and ready;
- :mod:`.facilitation` — pacing, locks, reveals, the timer, ending;
- :mod:`.contributions` — notes, votes and blind scores;
- :mod:`.boards` — a step's board and the blind scores as one viewer may see them;
  :mod:`.live` — all of a live screen's reads, shared by the screens of one change;
- :mod:`.grouping` — themes and moderation; :mod:`.promotion` — notes into items,
  blind scores into features; :mod:`.summary` — what a workshop produced;
- :mod:`.common` — the seat, view, write and checks the others share.

Time: every function that depends on the time takes ``now`` (default :func:`clock`,
which tests may also monkeypatch).
"""

from __future__ import annotations

from datetime import datetime

from strategy_canvas import models as m
from strategy_canvas.services.workshops.access import (
    ATTEMPT_WINDOW,
    ATTEMPTS_KEPT,
    CODE_PREFIX_LENGTH,
    FACILITATOR_KEY_BYTES,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    JOIN_LOCK_KEY,
    MAX_FAILED_JOINS_GLOBAL,
    MAX_FAILED_JOINS_PER_CODE,
    TOKEN_BYTES,
    StartedWorkshop,
    WorkshopView,
    canvas_for_facilitator,
    get_workshop_for_facilitator,
    join,
    key_hash,
    list_workshops,
    normalise_join_code,
    rejoin,
    seat_taken_over,
    start_workshop,
    take_over,
    workshop_view,
)
from strategy_canvas.services.workshops.boards import (
    DISCUSS_RANGE,
    DISCUSS_STD,
    NOTE_COLUMNS,
    SCORE_COLUMNS,
    Board,
    ScoreSummary,
    board,
    score_summary,
)
from strategy_canvas.services.workshops.contributions import (
    add_note,
    blind_score,
    delete_own_note,
    edit_own_note,
    unvote,
    vote,
)
from strategy_canvas.services.workshops.facilitation import (
    REVEALABLE,
    TIMER_MAX_SECONDS,
    Revealable,
    end_workshop,
    go_to_step,
    lock_step,
    reveal,
    set_follow_me,
    set_phase,
    set_vote_rules,
    start_timer,
    stop_timer,
    unlock_step,
    update_workshop,
)
from strategy_canvas.services.workshops.grouping import (
    assign_note_to_theme,
    create_theme,
    delete_theme,
    remove_note,
    rename_theme,
)
from strategy_canvas.services.workshops.live import LiveRead, live_read
from strategy_canvas.services.workshops.presence import (
    HEARTBEAT_MIN_SECONDS,
    PRESENCE_SECONDS,
    Presence,
    heartbeat,
    here_by_canvas,
    mark_away,
    presence,
    record_beats,
    set_ready,
)
from strategy_canvas.services.workshops.promotion import (
    ACTION_KINDS,
    CARRIES_THE_NOTE,
    COMPLETING_FIELDS,
    DETAIL_FIELDS,
    EFFORT_PERSON_MONTHS,
    PROMOTION_KINDS,
    apply_blind_scores,
    blind_value,
    effort_person_months,
    promote_note,
    promotion_choices,
)
from strategy_canvas.services.workshops.summary import (
    SUMMARY_TABLES,
    every_summary,
    keep_imported_summaries,
    summary,
    summary_by_key,
    summary_choices,
    summary_problems,
    summary_tables,
)
from strategy_canvas.services.workshops.sync import (
    SyncState,
    revisions,
    stream_target,
    sync_state,
)


def clock() -> datetime:
    """Now, in UTC; tests monkeypatch it (``workshops.clock``) or pass ``now``."""
    return m.utcnow()


__all__ = [
    "ACTION_KINDS",
    "ATTEMPTS_KEPT",
    "ATTEMPT_WINDOW",
    "CARRIES_THE_NOTE",
    "CODE_PREFIX_LENGTH",
    "COMPLETING_FIELDS",
    "DETAIL_FIELDS",
    "DISCUSS_RANGE",
    "DISCUSS_STD",
    "EFFORT_PERSON_MONTHS",
    "FACILITATOR_KEY_BYTES",
    "HEARTBEAT_MIN_SECONDS",
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "JOIN_LOCK_KEY",
    "MAX_FAILED_JOINS_GLOBAL",
    "MAX_FAILED_JOINS_PER_CODE",
    "NOTE_COLUMNS",
    "PRESENCE_SECONDS",
    "PROMOTION_KINDS",
    "REVEALABLE",
    "SCORE_COLUMNS",
    "SUMMARY_TABLES",
    "TIMER_MAX_SECONDS",
    "TOKEN_BYTES",
    "Board",
    "LiveRead",
    "Presence",
    "Revealable",
    "ScoreSummary",
    "StartedWorkshop",
    "SyncState",
    "WorkshopView",
    "add_note",
    "apply_blind_scores",
    "assign_note_to_theme",
    "blind_score",
    "blind_value",
    "board",
    "canvas_for_facilitator",
    "clock",
    "create_theme",
    "delete_own_note",
    "delete_theme",
    "edit_own_note",
    "effort_person_months",
    "end_workshop",
    "every_summary",
    "get_workshop_for_facilitator",
    "go_to_step",
    "heartbeat",
    "here_by_canvas",
    "join",
    "keep_imported_summaries",
    "key_hash",
    "list_workshops",
    "live_read",
    "lock_step",
    "mark_away",
    "normalise_join_code",
    "presence",
    "promote_note",
    "promotion_choices",
    "record_beats",
    "rejoin",
    "remove_note",
    "rename_theme",
    "reveal",
    "revisions",
    "score_summary",
    "seat_taken_over",
    "set_follow_me",
    "set_phase",
    "set_ready",
    "set_vote_rules",
    "start_timer",
    "start_workshop",
    "stop_timer",
    "stream_target",
    "summary",
    "summary_by_key",
    "summary_choices",
    "summary_problems",
    "summary_tables",
    "sync_state",
    "take_over",
    "unlock_step",
    "unvote",
    "update_workshop",
    "vote",
    "workshop_view",
]
