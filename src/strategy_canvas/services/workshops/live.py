"""What one live screen of a workshop reads at a change, sharing with every other screen
of the same change what they all see (docs/ARCHITECTURE.md, "Live sync").

The room's screens each ask for their board within a few milliseconds of a change
(``GET /api/live/board``). What is the same for all of them is read once per change of
the canvas: the workshop, its steps' locks and reveals, the step's rows (notes, themes,
votes, features) and who is here (once per presence epoch too: presence goes by time).
What differs is filtered per viewer from those rows by the same code as :func:`board`
(:func:`~strategy_canvas.services.workshops.boards.board_for`): their seat, their own
notes while the others' are hidden, their votes and what they have left, their blind
scores, and which badge is theirs. The shared reads hold nothing a viewer may not get:
hidden notes are dropped for each viewer as they always were.

The viewer's own token is looked up on every read (the access check, and their seat
read afresh): a token that no longer opens the workshop is refused, whatever is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.lru import LRUCache
from strategy_canvas.services.workshops.access import (
    WorkshopView,
    _public,
    _steps_frame,
    view_for,
)
from strategy_canvas.services.workshops.boards import (
    Board,
    ScoreSummary,
    board_for,
    change_counter,
    score_summary,
    shared_rows,
)
from strategy_canvas.services.workshops.common import check_step, viewer_of
from strategy_canvas.services.workshops.presence import Presence, as_seen_by, presence_in


@dataclass(frozen=True)
class LiveRead:
    """One viewer's workshop, board, blind scores (step 3) and presence."""

    view: WorkshopView
    board: Board
    scores: ScoreSummary | None
    presence: Presence
    #: the presence epoch given for the read (-1: presence was read for this viewer alone)
    presence_epoch: int


@dataclass(frozen=True)
class _Flags:
    locked: bool
    notes_revealed: bool
    votes_revealed: bool


@dataclass(frozen=True)
class _Room:
    """The workshop at one change, the same for every viewer."""

    workshop: m.WorkshopPublic
    steps: pd.DataFrame
    flags: dict[int, _Flags]


#: (database, change counter, its changed_at, workshop) -> the room at that change
_ROOMS: LRUCache[_Room] = LRUCache(64)
#: (database, change counter, its changed_at, workshop, presence epoch) -> who is here
_PRESENCE: LRUCache[Presence] = LRUCache(64)


def _read_room(session: Session, workshop: m.Workshop) -> _Room:
    steps = _steps_frame(session, workshop.id or 0)
    flags = {
        int(row.step): _Flags(bool(row.locked), bool(row.notes_revealed), bool(row.votes_revealed))
        for row in steps.itertuples(index=False)
    }
    return _Room(_public(workshop), steps, flags)


def live_read(
    *,
    session: Session,
    viewer_token: str,
    step: int,
    presence_epoch: Callable[[int], int] | None = None,
) -> LiveRead:
    """What the holder of ``viewer_token`` sees of ``step`` now, as :func:`workshop_view`,
    :func:`board`, :func:`score_summary` and :func:`presence` give it, with the reads
    every viewer shares done once per change (see the module's docstring).

    ``presence_epoch`` (canvas id -> the epoch that moves whenever who is here changes,
    the live hub's) lets presence be shared too; without it, presence is read for this
    viewer (a screen that polls has no epoch to trust). PermissionDenied for a token
    that opens no workshop."""
    check_step(step)
    viewer = viewer_of(session, viewer_token)
    workshop = viewer.workshop
    counter = change_counter(session, workshop.canvas_id)
    room = _ROOMS.get_or_compute_once(
        (*counter, workshop.id), lambda: _read_room(session, workshop)
    )
    view = view_for(viewer, room.workshop, room.steps)
    board = board_for(viewer, room.flags[step], shared_rows(session, workshop, step, counter), step)
    scores = score_summary(session=session, viewer_token=viewer_token) if step == 3 else None
    me_id = view.me.id if view.me is not None else None
    epoch = -1
    if presence_epoch is None:
        people = presence_in(session, workshop.id or 0, me_id)
    else:
        epoch = presence_epoch(workshop.canvas_id)  # before presence is read
        key: Hashable = (*counter, workshop.id, epoch)
        everyone = _PRESENCE.get_or_compute_once(
            key, lambda: presence_in(session, workshop.id or 0, None)
        )
        people = as_seen_by(everyone, me_id)
    return LiveRead(view, board, scores, people, epoch)
