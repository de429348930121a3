"""What every page and view shares, and nothing else: the :class:`PageContext` that
:func:`strategy_canvas.ui.setup.page_setup` hands each page, the :data:`Frames` a
board is drawn from (the canvas's snapshot), the app's name and icon, and which canvas
this session has open.

A leaf of the UI: it imports no other module of ``strategy_canvas.ui``, so every view can
import it without pulling in the composition root (``setup.py``), which only app.py and
the pages call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas import db
from strategy_canvas.config import Settings
from strategy_canvas.services import canvases, snapshot
from strategy_canvas.services.snapshot import CanvasSnapshot

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from strategy_canvas import models as m

APP_NAME = "Strategy Canvas"
APP_ICON = "🧭"
#: the session-state key of the canvas this session has open (owned here)
_OPEN_CANVAS_KEY = "canvas_token"


def remembered_canvas() -> str | None:
    """The token of the canvas this session had open, if any."""
    return st.session_state.get(_OPEN_CANVAS_KEY)


def remember_canvas(token: str) -> None:
    st.session_state[_OPEN_CANVAS_KEY] = token


def forget_canvas(token: str | None = None) -> None:
    """Forget the open canvas (only if it is ``token``, when given)."""
    if token is None or st.session_state.get(_OPEN_CANVAS_KEY) == token:
        st.session_state.pop(_OPEN_CANVAS_KEY, None)


#: What a board and its charts are drawn from: the canvas's read model at one change
#: counter (kind -> items, and everything derived from them), shared by every session.
Frames = CanvasSnapshot


@dataclass
class PageContext:
    """What :func:`page_setup` hands each page.

    ``canvas`` is the open canvas (None when none is open); ``problem`` says why a link
    did not open one (page_setup has shown it already); :attr:`can_list` says whether
    this visitor may see the list of every canvas, asked of ``may_list`` the first time
    a view wants to know (only the home page and a page without a canvas do).
    """

    title: str
    step: int | None
    settings: Settings
    engine: Engine
    canvas: m.Canvas | None = None
    problem: str | None = None
    is_home: bool = False
    may_list: Callable[[], bool] | None = field(default=None, repr=False)
    _revision: int | None = None
    _can_list: bool | None = None

    @property
    def can_list(self) -> bool:
        """Whether this visitor may see the list of every canvas (always in local mode
        from this machine; in shared mode only after the admin passcode or a login)."""
        if self._can_list is None:
            self._can_list = self.may_list is not None and self.may_list()
        return self._can_list

    @property
    def token(self) -> str | None:
        return self.canvas.token if self.canvas is not None else None

    @property
    def link_params(self) -> dict[str, str]:
        """Query params that keep the open canvas when following a link."""
        return {"canvas": self.canvas.token} if self.canvas is not None else {}

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (never waits for writers)."""
        with db.session_scope(self.engine, readonly=True) as session:
            yield session

    @property
    def revision(self) -> int:
        """The canvas's change counter, read once per run (for caches keyed by it)."""
        if self._revision is None:
            assert self.canvas is not None
            with self.read() as session:
                self._revision = canvases.get_revision(
                    session=session, canvas_token=self.canvas.token
                )
        return self._revision

    def changed(self) -> None:
        """Forget the change counter read in this run (after this run wrote something)."""
        self._revision = None

    def snapshot(self, revision: int | None = None) -> CanvasSnapshot:
        """The open canvas's read model at ``revision`` (default: this run's change
        counter), from the process's cache: no session and no query when it is there."""
        assert self.canvas is not None
        wanted = self.revision if revision is None else revision
        found = snapshot.cached(snapshot.database_key(self.engine), self.canvas.token, wanted)
        if found is not None:
            return found
        with self.read() as session:
            return snapshot.snapshot(
                session=session, canvas_token=self.canvas.token, revision=wanted
            )

    @contextmanager
    def write(self) -> Iterator[Session]:
        with db.session_scope(self.engine) as session:
            yield session
