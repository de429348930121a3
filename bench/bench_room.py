"""A workshop room in Chromium: how soon a change reaches every other screen, what idle
screens cost the server, whether a burst of notes freezes a screen, and how soon the
first page after a start is drawn.

The budgets (docs/ARCHITECTURE.md, "Budgets"): a change seen on every other screen
within 300 ms (p95) with 3 participants and 600 ms with 15 (follow-me, a note, a
reveal, a vote, the timer); an idle viewer costs the server at most 0.002 cores; twelve
people adding notes at once for ten rounds, every screen reaches the final state; the
first page after the server starts is drawn within 2 s.

How it measures: one `streamlit run app.py` on a fresh SQLite file (as `make run`),
N headless Chromium tabs, each a participant's /Workshop?p=… page (the vote is read on
the facilitator's page, the only one that sees totals before the reveal). Changes are
written through the services from this process — another process, as the CLI or a
second app process would be — and each tab records, in the page, the wall-clock time
at which the expected text first appears (a MutationObserver), so the tabs are timed
at once, not one after another. Idle CPU comes from /proc/PID/stat of the server
(utime + stime) while the tabs only watch, less the same server with no tab open.
Where the time of a change goes, in CPU (which a loaded machine stretches less than
wall time): the server's and the Chromium tabs' per change and screen, less what they
use doing nothing in as long (measured first; a countdown started by a round ticks on
afterwards and is counted as the browsers' work).

Run: ``.venv/bin/python -m bench.bench_room [--quick] [--notes 24]`` (``--notes``: the
changes on boards that already hold that many notes a step). Prints figures; asserts
nothing. Chromium: CHROMIUM_PATH (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, free_port, process_cpu_seconds, wait_healthy
from strategy_canvas import db
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # every tab is on someone's screen in a real room: no background throttling
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

#: in the page: note when ``text`` first shows in the main block (wall clock, ms)
WATCH_JS = """(text) => {
  window.__seen = null;
  const main = () => document.querySelector('[data-testid="stMainBlockContainer"]');
  const check = () => {
    const el = main();
    if (window.__seen === null && el && el.innerText.includes(text)) {
      window.__seen = Date.now();
    }
  };
  if (window.__observer) window.__observer.disconnect();
  window.__observer = new MutationObserver(check);
  window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  check();
}"""


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    started: float

    def cpu_seconds(self) -> float:
        """utime + stime of the server process and its threads, in seconds."""
        return process_cpu_seconds(self.process.pid)


@contextmanager
def server(database_url: str, log: Path) -> Iterator[Server]:
    """`streamlit run app.py` on a free port and ``database_url``, until the block ends."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Server(url, process, started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Room:
    canvas_token: str
    started: ws.StartedWorkshop
    tokens: list[str]
    feature_id: int


def make_room(url: str, participants: int) -> Room:
    engine = db.get_engine(url)
    with db.session_scope(engine) as s:
        token = canvases.create_canvas(
            session=s, canvas_in={"name": "Room", "product": "Benchmark"}
        ).token
        feature = items.create_item(
            session=s, canvas_token=token, kind="feature", data={"title": "Offline mode"}
        )
        started = ws.start_workshop(session=s, canvas_token=token, title="Bench room")
        tokens = [
            ws.join(session=s, display_name=f"Person {i}", link_token=started.link_token).token
            for i in range(participants)
        ]
    return Room(token, started, tokens, int(feature.id or 0))


#: words for the notes a full board starts with (``--notes``)
_WORDS = (
    "parents", "decide", "dinner", "at", "five", "nobody", "knows", "what", "is", "in", "the",
    "fridge", "recipes", "ignore", "leftovers", "shopping", "list", "budget", "kids",
    "allergies", "quick", "healthy", "cheap", "week", "plan", "share", "sync", "family",
    "calendar", "late", "trains", "weekend", "batch", "cooking",
)  # fmt: skip


def fill_board(url: str, room: Room, notes: int) -> None:
    """``notes`` notes on every step, by the participants in turn, of 4 to 30 words, half
    of them in one of three themes, not revealed: a room some way into its workshop."""
    rnd = random.Random(1)
    key = room.started.facilitator_key
    with db.session_scope(db.get_engine(url)) as s:
        for step in range(1, 6):
            themes = [
                ws.create_theme(session=s, facilitator_key=key, step=step, name=f"Theme {t + 1}")
                for t in range(3)
            ]
            for i in range(notes):
                text = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(4, 30)))
                token = room.tokens[i % len(room.tokens)]
                note = ws.add_note(session=s, participant_token=token, step=step, text=text)
                if i % 2:
                    ws.assign_note_to_theme(
                        session=s, facilitator_key=key, note_id=int(note.id or 0),
                        theme_id=int(themes[i % 3].id or 0),
                    )  # fmt: skip


def _write(url: str, action: Callable[[Any], object]) -> float:
    """Run ``action(session)`` in its own transaction; the wall time of its commit."""
    with db.session_scope(db.get_engine(url)) as s:
        action(s)
    return time.time()


def _watch(pages: list[Any], text: str) -> None:
    for page in pages:
        page.evaluate(WATCH_JS, text)


def _collect(pages: list[Any], since: float, timeout: float = 15.0) -> list[float]:
    """Seconds from ``since`` to each page's sighting (inf: not within ``timeout``)."""
    deadline = time.monotonic() + timeout
    seen: list[float | None] = [None] * len(pages)
    while time.monotonic() < deadline and any(s is None for s in seen):
        for i, page in enumerate(pages):
            if seen[i] is None:
                at = page.evaluate("window.__seen")
                if at is not None:
                    seen[i] = max(0.0, at / 1000 - since)
        time.sleep(0.02)
    return [s if s is not None else float("inf") for s in seen]


def _browser_cpu_seconds() -> float:
    """utime + stime of the Chromium processes this benchmark started (the descendants
    of this process whose command line names Chromium)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0.0, [os.getpid()]
    while stack:
        for pid in children.get(stack.pop(), []):
            stack.append(pid)
            try:
                if b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    total += process_cpu_seconds(pid)
            except OSError:
                continue
    return total


@dataclass
class CpuMeter:
    """CPU of the server and of the browsers over a stretch of time, less what they
    use in the same time doing nothing (measured first, with the same screens open)."""

    srv: Server
    idle_server: float = 0.0  # cores
    idle_browsers: float = 0.0
    started: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def idle(self, seconds: float) -> None:
        at, server, browsers = time.monotonic(), self.srv.cpu_seconds(), _browser_cpu_seconds()
        time.sleep(seconds)
        took = time.monotonic() - at
        self.idle_server = (self.srv.cpu_seconds() - server) / took
        self.idle_browsers = (_browser_cpu_seconds() - browsers) / took

    def start(self) -> None:
        self.started = (time.monotonic(), self.srv.cpu_seconds(), _browser_cpu_seconds())

    def per_change(self, changes: int, screens: int) -> str:
        at, server, browsers = self.started
        took = time.monotonic() - at
        spent_server = self.srv.cpu_seconds() - server - self.idle_server * took
        spent_browsers = _browser_cpu_seconds() - browsers - self.idle_browsers * took
        per = changes * screens
        return (
            f"CPU per change per screen: server {spent_server / per * 1000:5.1f} ms,"
            f" Chromium {spent_browsers / per * 1000:5.1f} ms"
            f" ({changes} changes x {screens} screens)"
        )


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _fmt(samples: list[float]) -> str:
    lost = sum(s == float("inf") for s in samples)
    found = [s for s in samples if s != float("inf")] or [float("nan")]
    text = (
        f"median {statistics.median(found) * 1000:6.0f} ms, p95 {_pct(found, 0.95) * 1000:6.0f} ms,"
        f" max {max(found) * 1000:6.0f} ms ({len(samples)} sightings)"
    )
    return text + (f", {lost} NOT SEEN within 15 s" if lost else "")


def _open(context_factory: Callable[[], Any], url: str, expect_text: str) -> Any:
    page = context_factory().new_page()
    page.goto(url)
    page.get_by_text(expect_text).first.wait_for(timeout=60_000)
    return page


def propagation(
    browser: Any, database_url: str, participants: int, rounds: int, notes: int = 0
) -> None:
    """Changes written from outside, seen on every participant's screen (and the vote
    on the facilitator's); with ``notes``, on boards that hold that many notes a step."""
    room = make_room(database_url, participants)
    if notes:
        fill_board(database_url, room, notes)
    key = room.started.facilitator_key
    with tempfile.TemporaryDirectory() as tmp, server(database_url, Path(tmp) / "log") as srv:

        def context() -> Any:
            return browser.new_context(viewport={"width": 1280, "height": 900})

        pages = [_open(context, f"{srv.url}/Workshop?p={t}", "(participant)") for t in room.tokens]
        fac = _open(context, f"{srv.url}/Workshop?facilitator={key}", "(facilitator)")
        time.sleep(2)
        meter = CpuMeter(srv)
        meter.idle(3.0)
        meter.start()
        changes = 0
        results: dict[str, list[float]] = {}

        def timed(name: str, watched: list[Any], expect: str, action: Callable[..., object],
                  **kwargs: Any) -> None:  # fmt: skip
            nonlocal changes
            changes += 1
            _watch(watched, expect)
            at = _write(database_url, lambda s: action(session=s, **kwargs))
            results.setdefault(name, []).extend(_collect(watched, at))

        writer, voter = room.tokens[0], room.tokens[1]
        for r in range(rounds):
            step = 1 + (r + 1) % 5
            timed("follow-me", pages, f"Step {step} of 5", ws.go_to_step,
                  facilitator_key=key, step=step)  # fmt: skip
            _write(database_url, lambda s, n=step, r=r: ws.add_note(
                session=s, participant_token=writer, step=n, text=f"Reveal note {r}"))  # fmt: skip
            time.sleep(0.8)
            timed("a reveal", pages[1:], f"Reveal note {r}", ws.reveal,
                  facilitator_key=key, step=step, what="notes")  # fmt: skip
            text = f"Plain note {r}"
            timed("a note", pages[1:], text, ws.add_note,
                  participant_token=writer, step=step, text=text)  # fmt: skip
            _write(
                database_url, lambda s: ws.set_phase(session=s, facilitator_key=key, phase="vote")
            )
            time.sleep(0.8)
            with db.session_scope(db.get_engine(database_url), readonly=True) as s:
                note_id = _note_id(s, voter, step, text)
            timed("a vote (facilitator)", [fac], "1 vote", ws.vote,
                  participant_token=voter, note_id=note_id)  # fmt: skip
            timed("the timer", pages, f"Timebox {r}", ws.start_timer,
                  facilitator_key=key, seconds=300, label=f"Timebox {r}")  # fmt: skip
        everything: list[float] = []
        print(f"  {participants} participants, {rounds} rounds, {notes} notes a step before:")
        for name, samples in results.items():
            everything += samples
            print(f"    {name:22} {_fmt(samples)}")
        print(f"    {'all changes':22} {_fmt(everything)}")
        # every write, the untimed ones too (the note before a reveal, the vote phase)
        print(f"    {meter.per_change(changes + 2 * rounds, len(pages) + 1)}")
        for page in [*pages, fac]:
            page.context.close()


def _note_id(session: Any, token: str, step: int, text: str) -> int:
    board = ws.board(session=session, viewer_token=token, step=step)
    rows = board.notes[board.notes["text"] == text]
    return int(rows["note_id"].iloc[0])


def idle_cpu(browser: Any, database_url: str, viewers: int, seconds: float) -> None:
    """CPU of the server per idle viewer, against the same server with no viewer."""
    room = make_room(database_url, viewers)
    with tempfile.TemporaryDirectory() as tmp, server(database_url, Path(tmp) / "log") as srv:
        # warm the server with one page, then close it
        warm = browser.new_context()
        _open(lambda: warm, f"{srv.url}/Workshop?p={room.tokens[0]}", "(participant)")
        warm.close()
        time.sleep(3)
        before = srv.cpu_seconds()
        time.sleep(seconds)
        baseline = (srv.cpu_seconds() - before) / seconds
        contexts = [browser.new_context() for _ in range(viewers)]
        for ctx, token in zip(contexts, room.tokens, strict=True):
            _open(lambda c=ctx: c, f"{srv.url}/Workshop?p={token}", "(participant)")
        time.sleep(5)
        before = srv.cpu_seconds()
        time.sleep(seconds)
        busy = (srv.cpu_seconds() - before) / seconds
        per = (busy - baseline) / viewers
        print(
            f"  {viewers} idle viewers over {seconds:.0f} s: server {busy:.4f} cores "
            f"(no viewer: {baseline:.4f}), {per:.4f} cores per viewer"
        )
        for ctx in contexts:
            ctx.close()


def burst(browser: Any, database_url: str, participants: int, rounds: int) -> None:
    """Everyone adds a note at once, ``rounds`` times; then every screen must show all."""
    room = make_room(database_url, participants)
    with tempfile.TemporaryDirectory() as tmp, server(database_url, Path(tmp) / "log") as srv:
        pages = []
        for token in room.tokens:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            pages.append(_open(lambda c=ctx: c, f"{srv.url}/Workshop?p={token}", "(participant)"))
        live = '[data-stale="false"]'
        for r in range(rounds):
            for i, page in enumerate(pages):
                page.locator(live).get_by_label("Add a note to step 1", exact=True).fill(
                    f"Idea {r}-{i}"
                )
            for page in pages:
                page.locator(live).get_by_role("button", name="Add note").click(no_wait_after=True)
        expected = f"Notes · {participants * rounds}"
        _watch(pages, expected)
        waited = _collect(pages, time.time(), timeout=30)
        stuck = sum(w == float("inf") for w in waited)
        with db.session_scope(db.get_engine(database_url), readonly=True) as s:
            stored = len(ws.board(session=s, viewer_token=room.started.facilitator_key,
                                  step=1).notes)  # fmt: skip
        print(
            f"  {participants} people x {rounds} rounds: {stored} notes stored of "
            f"{participants * rounds}; screens at the final count: "
            f"{participants - stuck} of {participants}" + (f" ({stuck} STUCK)" if stuck else "")
        )
        for page in pages:
            page.context.close()


def first_page(browser: Any, database_url: str) -> None:
    """From a server's start to its first page drawn (a deep link, the first request)."""
    token = make_room(database_url, 1).canvas_token
    with tempfile.TemporaryDirectory() as tmp, server(database_url, Path(tmp) / "log") as srv:
        healthy = time.monotonic() - srv.started
        ctx = browser.new_context()
        page = ctx.new_page()
        began = time.monotonic()
        page.goto(f"{srv.url}/Vision?canvas={token}")
        blank = None
        try:
            page.wait_for_function(
                "document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                " && document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                ".innerText.trim().length > 0",
                timeout=60_000,
            )
            blank = time.monotonic() - began
        except Exception:
            pass
        page.get_by_role("heading", name="Vision").first.wait_for(timeout=60_000)
        drawn = time.monotonic() - began
        again = ctx.new_page()
        began = time.monotonic()
        again.goto(f"{srv.url}/Vision?canvas={token}")
        again.get_by_role("heading", name="Vision").first.wait_for(timeout=60_000)
        second = time.monotonic() - began
        print(
            f"  health answered {healthy:.1f} s after start; first page (/Vision deep link): "
            f"something in the main area after {blank or float('nan'):.2f} s, "
            f"drawn after {drawn:.2f} s (the same page again, warm: {second:.2f} s)"
        )
        ctx.close()


def _fresh_db(folder: str, name: str) -> str:
    url = f"sqlite:///{folder}/{name}.db"
    db.migrate(db.get_engine(url))
    return url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and viewers")
    parser.add_argument(
        "--only", choices=["propagation", "idle", "burst", "first"], action="append"
    )
    parser.add_argument(
        "--notes", type=int, default=0,
        help="propagation on boards of this many notes a step (3 themes; 0: empty boards)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}: set CHROMIUM_PATH")
        return
    from playwright.sync_api import sync_playwright

    only = set(args.only or ["propagation", "idle", "burst", "first"])
    folder = tempfile.mkdtemp(prefix="sc-room-")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if "first" in only:
                print("first page after the server starts (budget 2 s, with a loading state):")
                first_page(browser, _fresh_db(folder, "first"))
            if "propagation" in only:
                print("a change seen on every other screen (budget p95 300 ms / 3, 600 ms / 15):")
                for n in (3,) if args.quick else (3, 15):
                    propagation(
                        browser, _fresh_db(folder, f"prop{n}"), n, 3 if args.quick else 5,
                        args.notes,
                    )  # fmt: skip
            if "idle" in only:
                print("idle server CPU per connected viewer (budget 0.002 cores):")
                idle_cpu(browser, _fresh_db(folder, "idle"), 5 if args.quick else 15,
                         10 if args.quick else 20)  # fmt: skip
            if "burst" in only:
                print("12 participants adding notes at once, 10 rounds (no frozen screen):")
                burst(browser, _fresh_db(folder, "burst"), 12, 3 if args.quick else 10)
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
