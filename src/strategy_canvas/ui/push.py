"""Live parts of a page that rerun when the canvas changes, pushed by the server
(docs/ARCHITECTURE.md, "Live sync").

:func:`live_fragment` draws a body inside a fragment. Where this process serves the
event stream (``app.py``'s ASGI app, :mod:`strategy_canvas.server`), the body mounts
:func:`listen`: a tiny components-v2 element whose JavaScript holds one EventSource per
canvas and page, and calls ``setTriggerValue`` — which reruns only the fragment that
holds it — when the stream's change counter passes the one the fragment drew (or who is
here changed). Nothing reruns while nothing changes. A change heard while the page runs
a script (the person's own save, told back to the screen that made it) makes a run only
once that run has been drawn: the run draws the board at the new counter, and asking at
once drew it twice. A dropped stream reconnects by
itself (the browser's EventSource), and the first event after a reconnect carries the
current counter, so the screen catches up; while it is down for more than two seconds
the element says so ("Reconnecting…"). Once the person clicks a link to another page
of the app (or goes back or forward), the listeners of the page being left ask for no
rerun: one sent while Streamlit switches pages left the new page blank. Where the
route answers with an error (a proxy that does not pass it through), the element falls
back to rerunning the fragment every ``STRATEGY_CANVAS_SYNC_SECONDS``; where this
process serves no stream at all (AppTest, a page file run on its own) the fragment
polls with ``run_every`` as before.

A participant's screen also beats (``POST /api/live/here``) while it is open and says
when its tab closes (``navigator.sendBeacon``), which is what presence goes by.

A live body may hand the listener a board (:class:`Board`, the workshop's live board):
the element then draws the board's HTML itself and, on a pushed change, fetches it
again from ``GET /api/live/board`` and replaces its content, with no Streamlit run
(also when its countdown reaches zero: the server's board then says the time is up).
It asks for a run only when the board's controls signature changed (what the viewer
can do: the inputs that depend on it follow in one run, of the fragment
``Board.follow`` names or of the page, asked from the trigger's callback in place of
the board fragment's own), or when one of the board's vote buttons is clicked
(``setTriggerValue("vote", …)``: the fragment's run).

The JavaScript is trusted code of ours; the data it gets are URLs, numbers and the
board's HTML, built on the server with every piece of user text escaped (the script
writes nothing else as markup).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple
from urllib.parse import quote

import streamlit as st
from streamlit import config as st_config
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from strategy_canvas.config import get_settings
from strategy_canvas.live import BOARD_PATH, EVENTS_PATH, HERE_PATH, LEAVE_PATH
from strategy_canvas.live.hub import HUB
from strategy_canvas.live.watch import BEAT_SECONDS
from strategy_canvas.ui import state

LISTENER_JS = """
const REG = "__strategyCanvasLive";
const QUIET_MS = 2000;   // a drop shorter than this is not worth a word

function registry() {
  if (!window[REG]) window[REG] = { streams: new Map() };
  return window[REG];
}

function paint(s) {
  let text = "";
  if (s.mode === "reconnecting" && Date.now() - s.downSince > QUIET_MS) {
    text = "Reconnecting… this board may be out of date until the connection is back.";
  } else if (s.mode === "polling") {
    text = `Live updates are unavailable: checking for changes every ${s.pollSeconds} s.`;
  }
  for (const l of s.listeners.values()) {
    let box = l.root.querySelector(".sc-live-status");
    if (!box) {
      box = document.createElement("div");
      box.className = "sc-live-status";
      box.setAttribute("role", "status");
      l.root.appendChild(box);
    }
    box.textContent = text;
    box.dataset.mode = s.mode;
  }
}

// A listener whose page the person is leaving never asks for a rerun again: its
// fragment's rerun, sent while Streamlit switches pages, can leave the new page blank
// (a run that finds no such fragment ends it). So clicks on links to another page of
// the app, and the browser's back and forward, note the moment; a listener mounted
// before it stays quiet (the page it is on is about to go; the next one mounts anew).
function watchLeaving() {
  const reg = registry();
  if (reg.leftAt !== undefined) return;
  reg.leftAt = -1;
  document.addEventListener("click", (event) => {
    const a = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!a || a.origin !== location.origin || a.hasAttribute("download")) return;
    if ((a.target && a.target !== "_self") || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;  // a new tab
    if (a.pathname !== location.pathname || a.search !== location.search) {
      reg.leftAt = performance.now();
    }
  }, true);
  window.addEventListener("popstate", () => { reg.leftAt = performance.now(); });
}

function leaving(l) {
  return registry().leftAt >= l.mountedAt;
}

function ask(s, l) {
  if (leaving(l)) return;
  if (l.board && s.mode === "live") {
    // the board fetches what it has not drawn (one fetch at a time; see refresh)
    if (s.rev > l.drawnRev || (s.pres !== null && s.pres !== l.drawnPres)) refresh(s, l);
    return;
  }
  const newer = s.rev > l.drawnRev && s.rev > l.askedRev;
  const moved = s.pres !== null && s.pres !== l.drawnPres && s.pres !== l.askedPres;
  if (newer || moved) {
    l.askedRev = Math.max(l.askedRev, s.rev);
    l.askedPres = s.pres;
    l.trigger("rev", `${s.rev}.${s.pres}`);
  }
}

// ---- the live board: drawn by this element, patched without a Streamlit run

// The HTML is the server's own (ui/workshop_live.compose): every piece of user text in
// it was escaped there; nothing else is ever written as markup.
function draw(l, html, nowMs) {
  let box = l.root.querySelector(":scope > .sc-live-board");
  if (!box) {
    box = document.createElement("div");
    box.className = "sc-live-board";
    l.root.prepend(box);
  }
  const next = document.createElement("template");
  next.innerHTML = html;   // parsed apart, not yet in the page
  patch(box, next.content);
  l.skew = nowMs - Date.now();   // the server's clock decides the countdown
  tickClock(l);
}

// Make ``cur``'s children what ``next``'s are, touching only what differs: a change
// (a note, a vote, the timer) alters a few nodes of a board of hundreds, and replacing
// all of them made the browser style and lay out the whole board again on every
// screen of the room. Nodes equal to the new ones are kept as they are.
function patch(cur, next) {
  const olds = Array.from(cur.childNodes), news = Array.from(next.childNodes);
  const n = Math.min(olds.length, news.length);
  for (let i = 0; i < n; i++) {
    const o = olds[i], w = news[i];
    if (o.isEqualNode(w)) continue;
    if (o.nodeType === Node.ELEMENT_NODE && w.nodeType === Node.ELEMENT_NODE &&
        o.tagName === w.tagName) {
      for (const a of Array.from(o.attributes)) {
        if (!w.hasAttribute(a.name)) o.removeAttribute(a.name);
      }
      for (const a of Array.from(w.attributes)) {
        if (o.getAttribute(a.name) !== a.value) o.setAttribute(a.name, a.value);
      }
      patch(o, w);
    } else if (o.nodeType === Node.TEXT_NODE && w.nodeType === Node.TEXT_NODE) {
      o.data = w.data;
    } else {
      cur.replaceChild(w, o);
    }
  }
  for (let i = olds.length - 1; i >= n; i--) cur.removeChild(olds[i]);
  for (let i = n; i < news.length; i++) cur.appendChild(news[i]);
}

function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

function tickClock(l) {
  const box = l.root.querySelector(".sc-ws-clockbox[data-ends]");
  if (!box) return;
  const clock = box.querySelector(".sc-ws-clock");
  const ends = Number(box.dataset.ends);
  const left = ends - (Date.now() + l.skew);
  const up = left <= 0;
  // ticked four times a second: the page is touched only when what it shows moves
  const text = up ? "Time is up" : clockText(left);
  const state = up ? "up" : (left <= 30000 ? "soon" : "running");
  if (clock.textContent !== text) clock.textContent = text;
  if (clock.dataset.state !== state) clock.dataset.state = state;
  if (up && box.dataset.wasUp !== "1" && l.toldUp !== ends && !leaving(l)) {
    l.toldUp = ends;
    timeUp(l, ends);
  }
}

// Reaching zero: read-only and the hints follow. A live board fetches itself as the
// server draws it now (refresh: a run only if what the viewer can do changed, of the
// inputs that depend on it); the server's clock may be a moment behind, so it asks
// again until the board it gets knows the time is up. Elsewhere (polling), or if the
// server never agrees, one run of the fragment draws it.
const UP_RETRY_MS = 400, UP_TRIES = 5;

function timeUp(l, ends) {
  const s = l.stream;
  if (!s || s.mode !== "live") { l.trigger("up", ends); return; }
  let tries = 0;
  const check = () => {
    if (s.listeners.get(l.key) !== l || leaving(l)) return;
    const box = l.root.querySelector(".sc-ws-clockbox[data-ends]");
    if (!box || box.dataset.ends !== String(ends) || box.dataset.wasUp === "1") return;
    if (++tries > UP_TRIES) { l.trigger("up", ends); return; }
    refresh(s, l);
    setTimeout(check, UP_RETRY_MS);
  };
  setTimeout(check, 100);
}

function refresh(s, l) {
  if (l.fetching) { l.again = true; return; }
  l.fetching = true;
  const wanted = s.rev;
  const url = `${l.board.url}&view=${l.board.step}`;
  fetch(url, {cache: "no-store"})
    .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then((d) => {
      if (s.listeners.get(l.key) !== l || leaving(l)) return;
      draw(l, d.html, d.nowMs);
      l.drawnRev = Math.max(l.drawnRev, d.rev);
      l.drawnPres = d.pres;
      l.board.step = d.step;   // the step drawn is the one to stay on if follow-me ends
      if (d.controls !== l.board.controls) {
        // what the viewer can do changed: the inputs that depend on it follow in one run
        // (of their fragment, or of the page: the callback decides)
        l.board.controls = d.controls;
        l.trigger("controls", `${d.rev}.${d.pres}`);
      } else if (d.rev < wanted) {
        // read before the write was visible to the server's read: again, a little later
        l.retries = (l.retries || 0) + 1;
        if (l.retries > 5) { l.retries = 0; l.trigger("rev", `${wanted}.${d.pres}.late`); }
        else l.retryTimer = setTimeout(() => ask(s, l), 100);
        return;
      } else {
        l.retries = 0;
      }
    })
    .catch(() => {
      // the route failed (a proxy, the server going away): a run draws the board
      if (s.listeners.get(l.key) === l && !leaving(l)) l.trigger("rev", `${wanted}.fetch`);
    })
    .finally(() => {
      l.fetching = false;
      if (l.again) { l.again = false; ask(s, l); }   // what came while this one was out
    });
}

function mountBoard(l, data) {
  const root = l.root;
  root.__scListener = l;
  if (!root.__scVotes) {
    root.__scVotes = true;
    root.addEventListener("click", (event) => {
      const b = event.target instanceof Element ? event.target.closest("button[data-vote]") : null;
      if (!b || b.disabled || !root.contains(b)) return;
      b.disabled = true;   // one click, one vote (the services count it once anyway)
      root.__scListener.trigger("vote", b.dataset.vote);
    });
  }
  draw(l, data.board.html, data.nowMs);
  clearInterval(root.__scClock);
  root.__scClock = setInterval(() => tickClock(root.__scListener), 250);
}

// A change heard while this page runs a script, has asked for one or is about to (the
// person clicked, or pressed Enter or Tab, which commit a field, a moment ago) makes a
// run only once that run has been drawn. The person's own save, most often: its run
// draws the board at the new counter, but the stream tells of the change while the
// run is under way, before the board's listener has been given the counter it drew,
// and asking then drew the board a second time. A listener the run draws again is
// mounted anew and asks for itself what is newer than what it drew; one the run
// leaves as it was (another fragment's run, or no run at all) is asked REDRAW_MS after
// the page is idle. The workshop's live board fetches its HTML without a run: it is
// asked at once.
const INPUT_MS = 500;    // a click or a key this recent may be a run on its way
const REDRAW_MS = 300;   // time for the run's elements to be mounted once it has ended

function watchInput() {
  const reg = registry();
  if (reg.inputAt !== undefined) return;
  reg.inputAt = -Infinity;
  const note = () => { reg.inputAt = performance.now(); };
  document.addEventListener("pointerdown", note, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === "Tab") note();  // not typing
  }, true);
}

function busy() {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app === null ? null : app.getAttribute("data-test-script-state");
  return state === "running" || state === "rerunRequested" ||
    performance.now() - registry().inputAt < INPUT_MS;
}

function askAll(s) {
  const later = busy();
  for (const l of s.listeners.values()) if (!later || l.board) ask(s, l);
  if (!later) return;
  const heardAt = performance.now();
  const idle = () => {
    if (busy()) { setTimeout(idle, 50); return; }
    setTimeout(() => {
      for (const l of s.listeners.values()) if (!l.board && l.mountedAt < heardAt) ask(s, l);
    }, REDRAW_MS);
  };
  setTimeout(idle, 50);
}

function poll(s) {
  if (s.pollTimer) return;
  s.mode = "polling";
  paint(s);
  s.pollTimer = setInterval(() => {
    for (const l of s.listeners.values()) {
      if (!leaving(l)) l.trigger("rev", `poll.${Date.now()}`);
    }
  }, s.pollSeconds * 1000);
  // try the stream again now and then
  s.retryTimer = setTimeout(() => { stopPolling(s); connect(s); }, 30000);
}

function stopPolling(s) {
  clearInterval(s.pollTimer); s.pollTimer = null;
  clearTimeout(s.retryTimer); s.retryTimer = null;
}

function connect(s) {
  const es = new EventSource(s.url);
  s.es = es;
  es.onopen = () => { s.mode = "live"; stopPolling(s); paint(s); };
  es.onmessage = (event) => {
    const [rev, pres] = event.data.split(" ").map(Number);
    s.rev = Math.max(s.rev, rev);
    s.pres = pres;
    s.mode = "live";
    paint(s);
    askAll(s);
  };
  es.onerror = () => {
    if (s.mode !== "reconnecting") { s.mode = "reconnecting"; s.downSince = Date.now(); }
    setTimeout(() => paint(s), QUIET_MS + 50);
    if (es.readyState === EventSource.CLOSED) { es.close(); poll(s); }
  };
}

function beat(s) {
  if (!s.beatToken || s.beatTimer) return;
  const send = () => fetch(s.hereUrl, {method: "POST", body: s.beatToken, keepalive: true})
    .catch(() => {});
  send();
  s.beatTimer = setInterval(send, s.beatSeconds * 1000);
  s.onHide = () => navigator.sendBeacon(s.leaveUrl, s.beatToken);
  window.addEventListener("pagehide", s.onHide);
}

function close(s) {
  if (s.es) s.es.close();
  stopPolling(s);
  clearInterval(s.beatTimer);
  if (s.onHide) { window.removeEventListener("pagehide", s.onHide); s.onHide(); }
  registry().streams.delete(s.url);
}

export default function (component) {
  const { data, setTriggerValue, parentElement, key } = component;
  const streams = registry().streams;
  let s = streams.get(data.url);
  if (!s) {
    s = { url: data.url, listeners: new Map(), rev: -1, pres: null, mode: "connecting",
          downSince: Date.now(), pollSeconds: data.pollSeconds, pollTimer: null,
          retryTimer: null, closeTimer: null, beatToken: data.beat, beatTimer: null,
          beatSeconds: data.beatSeconds, hereUrl: data.hereUrl, leaveUrl: data.leaveUrl };
    streams.set(data.url, s);
    connect(s);
  }
  clearTimeout(s.closeTimer);
  const old = s.listeners.get(key);
  watchLeaving();
  watchInput();
  const l = { root: parentElement, trigger: setTriggerValue, mountedAt: performance.now(),
              key, stream: s, drawnRev: data.rev,
              drawnPres: data.pres, askedRev: old ? old.askedRev : -1,
              askedPres: old ? old.askedPres : null,
              board: data.board ? { ...data.board } : null, skew: 0 };
  s.listeners.set(key, l);
  if (l.board) mountBoard(l, data);
  beat(s);
  paint(s);
  ask(s, l);  // what the stream heard while the fragment was being drawn
  return () => {
    if (s.listeners.get(key) === l) s.listeners.delete(key);
    if (l.board && l.root.__scListener === l) clearInterval(l.root.__scClock);
    if (s.listeners.size === 0) s.closeTimer = setTimeout(() => close(s), 5000);
  };
}
"""

#: the status is pinned to the bottom of the window: a stale board is told wherever the
#: viewer has scrolled (the listener sits at the end of a long board)
LISTENER_CSS = """
.sc-live-status:empty { display: none; }
.sc-live-status {
  position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); z-index: 999;
  max-width: min(40rem, calc(100vw - 2rem));
  font-size: 0.9rem; padding: 0.5rem 0.9rem; border-radius: 0.5rem;
  background: #FEF3C7; color: #92400E; border: 1px solid #FCD34D;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.12);
}
"""

_listener = st.components.v2.component(
    "strategy_canvas.live_listener", js=LISTENER_JS, css=LISTENER_CSS, isolate_styles=False
)


def available() -> bool:
    """Whether this process serves the event stream (else the fragments poll)."""
    return HUB.running


def presence_epoch(canvas_id: int) -> int:
    """The canvas's presence epoch in this process: it moves when who is here changes."""
    return HUB.presence_epoch(canvas_id)


def _url(path: str) -> str:
    base = (st_config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{path}" if base else path


def _rerun() -> None:
    """A trigger's callback: nothing to do, the fragment's rerun is the point."""


#: set by the listener's trigger for the run it asks: a pushed change, not the person
_PUSHED_KEY = "push.pushed"


def _pushed() -> None:
    """The listener's callback: the run that follows was asked by a pushed change."""
    st.session_state[_PUSHED_KEY] = True


def _controls(follow: str | None) -> None:
    """A board's listener saw the controls signature change: the inputs that depend on
    it are drawn again in ONE run, in place of the board fragment's own (the board has
    drawn itself already): the fragment keyed ``follow`` (a participant's inputs), or
    the whole page (None, or that fragment is not on the page)."""
    st.session_state.pop(_PUSHED_KEY, None)  # the run that follows is not the board's
    if follow is not None:
        with contextlib.suppress(StreamlitAPIException):  # no such fragment: the page
            st.rerun(follow)
    st.rerun()


def pushed() -> bool:
    """Whether the current run was asked by a pushed change, not by the person.

    A message that says what the person's last action did must outlive such a run: the
    action's own change is pushed back to the screen that made it, and its rerun can
    land just after the run that showed the message (the browser asks for it while that
    run is drawn, and Streamlit queues it), which would wipe the message unseen."""
    return bool(st.session_state.get(_PUSHED_KEY))


class Board(NamedTuple):
    """A live board the listener draws itself: its HTML (ours, user text escaped), the
    controls signature it was drawn with, the step it shows, and what a click on one of
    its vote buttons does (given the button's value)."""

    html: str
    controls: str
    step: int
    on_vote: Callable[[object], None]
    #: the fragment (its key) holding the inputs that follow the controls signature;
    #: None: the whole page
    follow: str | None = None


def listen(
    *,
    secret: str,
    canvas_id: int,
    revision: int,
    beat_token: str | None = None,
    key: str,
    board: Board | None = None,
) -> None:
    """Mount the listener in the current fragment: it reruns the fragment when the
    canvas's change counter passes ``revision`` (what the fragment just drew).

    ``secret`` opens the canvas (canvas token or a workshop token); ``beat_token`` is a
    participant's token, whose screen then beats for presence. With ``board``, the
    listener is the board: it draws ``board.html`` and, on a pushed change, fetches the
    board again from ``GET /api/live/board`` and redraws it in place, asking for the
    fragment's run only when the controls signature changed."""
    data: dict[str, Any] = {
        "url": f"{_url(EVENTS_PATH)}?token={quote(secret)}",
        "rev": revision,
        "pres": HUB.presence_epoch(canvas_id),
        "pollSeconds": _poll_seconds(),
        "beat": beat_token,
        "beatSeconds": BEAT_SECONDS,
        "hereUrl": _url(HERE_PATH),
        "leaveUrl": _url(LEAVE_PATH),
    }
    if board is None:
        _listener(key=key, data=data, on_rev_change=_pushed)
        return
    data["nowMs"] = int(time.time() * 1000)
    data["board"] = {
        "html": board.html,
        "controls": board.controls,
        "step": board.step,
        "url": f"{_url(BOARD_PATH)}?token={quote(secret)}",
    }

    def vote() -> None:
        result = st.session_state.get(key)
        board.on_vote(result.get("vote") if isinstance(result, dict) else None)

    _listener(
        key=key,
        data=data,
        on_rev_change=_pushed,
        on_vote_change=vote,
        on_up_change=_rerun,
        on_controls_change=lambda: _controls(board.follow),
    )


def _poll_seconds() -> float:
    return get_settings().live_sync_seconds


class Drawn(NamedTuple):
    """What a live body drew: the canvas (and the secret that opens its stream) at
    which change counter; ``beat``: a participant's token, for presence."""

    secret: str
    canvas_id: int
    revision: int
    beat: str | None = None
    board: Board | None = None


#: what an action leaves in the session for the page to say once (ui/editing.py,
#: ui/quick_entry.py, ui/undo.py, ui/messages.py, ui/workshop.py): a key that ends so
_TOLD_ENDINGS = (".notice", ".result", ".done", ".note_result", "_flash_messages", ".redraw")
#: set by :func:`redraw_page`
_REDRAW_KEY = "push.redraw"
#: the messages waiting when a fragment of this page last ran, by their identity
_TOLD_KEY = "push.told"


def _told() -> dict[str, int]:
    told = (k for k in state.session_keys() if isinstance(k, str) and k.endswith(_TOLD_ENDINGS))
    return {key: id(value) for key in told if (value := st.session_state.get(key))}


def redraw_page() -> None:
    """For a callback whose outcome shows outside the live fragments and leaves no
    message (the sidebar's name prompt): the run it lands in draws the whole page."""
    st.session_state[_REDRAW_KEY] = time.monotonic_ns()


def person_acted() -> bool:
    """Whether this run reruns only fragments yet carries the person's action (the
    editor's Add, say), which left a message for the page to say.

    The browser sends every widget change of one moment as one rerun, scoped to the
    fragment of the first change that had one: a listener asking for its fragment's
    rerun at the moment of a click takes the click into a fragment-only run. The
    button's callback runs (the item is saved), but only the fragment is drawn again:
    the person would see no message and the fields would keep what was saved. Such a
    run must become a run of the whole page. The callbacks' messages tell it: one that
    is new since a fragment last ran was left by this run's callbacks."""
    ctx = get_script_run_ctx()
    told = _told()
    before = st.session_state.get(_TOLD_KEY, {})
    st.session_state[_TOLD_KEY] = told
    if ctx is None or not ctx.fragment_ids_this_run:
        return False
    return any(before.get(key) != ident for key, ident in told.items())


def follow(body: Callable[[], Drawn | None], *, every_seconds: float, key: str) -> None:
    """Run ``body`` as a fragment that follows the canvas: rerun by pushed changes
    where this process serves the stream (the listener goes in after the body), else
    every ``every_seconds``. ``key`` names the listener (unique on the page)."""

    def run() -> None:
        if person_acted():  # the person's click came in a pushed change's run
            st.session_state.pop(_PUSHED_KEY, None)
            st.rerun(scope="app")
        try:
            drawn = body()
        finally:
            st.session_state.pop(_PUSHED_KEY, None)  # the next run is the person's again
        if drawn is not None and available():
            listen(
                secret=drawn.secret,
                canvas_id=drawn.canvas_id,
                revision=drawn.revision,
                beat_token=drawn.beat,
                key=key,
                board=drawn.board,
            )

    if available():
        st.fragment(run)()
    else:
        st.fragment(run, run_every=timedelta(seconds=every_seconds))()
