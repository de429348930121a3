"""Live sync: the cost of one change check, and how soon a change reaches everyone.

Targets of this benchmark (the budgets are in docs/ARCHITECTURE.md): the change check
is one indexed query under 5 ms; a change reaches the other participants' screens in
under 1.5 s. Measured on the large canvas with a big
workshop (30 participants, their notes, votes and blind scores). The propagation figure
is the time from the start of a write until each polling participant's check first
returns the new revision; drawing the fragment comes on top of it.

The last figures are the server's side of a tick: a participant's whole Workshop page
(an upper bound on the live fragment alone) under AppTest, and the full garbage
collection Streamlit would run after every tick unless ``runner.postScriptGC`` is off
(.streamlit/config.toml), with what 30 viewers polling at the sync interval cost.

Run: ``.venv/bin/python -m bench.bench_live``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import gc
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.common import ROOT, against_bare, bare_app, create_large_canvas, temp_database
from strategy_canvas import config, db
from strategy_canvas.services import canvases, items
from strategy_canvas.services import workshops as ws

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

PARTICIPANTS = 30
NOTES_EACH = 20
SCORED_EACH = 20
CALLS = 500
ROUNDS = 10


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


def _big_workshop(url: str, canvas_token: str) -> tuple[ws.StartedWorkshop, list[str]]:
    """A workshop of 30 people with 600 notes, their votes and 600 blind scores."""
    rnd = random.Random(11)
    with db.session_scope(db.get_engine(url)) as s:
        features = [
            row.id for row in items.list_items(session=s, canvas_token=canvas_token, kind="feature")
        ]
        started = ws.start_workshop(session=s, canvas_token=canvas_token, title="Big workshop")
        tokens = [
            ws.join(session=s, display_name=f"Person {i}", link_token=started.link_token).token
            for i in range(PARTICIPANTS)
        ]
        for i, token in enumerate(tokens):
            for n in range(NOTES_EACH):
                ws.add_note(
                    session=s,
                    participant_token=token,
                    step=1 + n % 5,
                    text=f"Person {i}, note {n}: " + "words " * rnd.randint(2, 20),
                )
            for feature_id in rnd.sample(features, SCORED_EACH):
                ws.blind_score(
                    session=s,
                    participant_token=token,
                    feature_id=feature_id,
                    value=rnd.randint(1, 10),
                    effort=rnd.randint(1, 10),
                )
            for feature_id in rnd.sample(features, 5):
                ws.vote(session=s, participant_token=token, feature_id=feature_id)
    return started, tokens


def _time_check(engine: Any, check: Callable[[Any], object]) -> tuple[list[float], list[float]]:
    """(the query alone, in an open read-only session; a whole tick: open, query,
    close) over CALLS calls each, after a warm-up."""
    query, tick = [], []
    with db.session_scope(engine, readonly=True) as s:
        for _ in range(20):
            check(s)
        for _ in range(CALLS):
            began = time.perf_counter()
            check(s)
            query.append(time.perf_counter() - began)
            s.rollback()
    for _ in range(CALLS):
        began = time.perf_counter()
        with db.session_scope(engine, readonly=True) as s:
            check(s)
        tick.append(time.perf_counter() - began)
    return query, tick


def _propagation(
    engine: Any, writer: str, pollers: list[str], interval: float, rounds: int = ROUNDS
) -> list[float]:
    """Delays (s) from the start of a write to each poller's first sight of it."""
    stop = threading.Event()
    seen: list[list[tuple[int, float]]] = [[] for _ in pollers]

    def poll(index: int, token: str, offset: float) -> None:
        last = None
        if stop.wait(offset):  # browsers are not in step: spread the first ticks
            return
        while not stop.is_set():
            began = time.perf_counter()
            with db.session_scope(engine, readonly=True) as s:
                revision = ws.sync_state(session=s, viewer_token=token).revision
            if revision != last:
                seen[index].append((revision, time.perf_counter()))
                last = revision
            stop.wait(max(0.0, interval - (time.perf_counter() - began)))

    threads = [
        threading.Thread(target=poll, args=(i, t, random.uniform(0, interval)), daemon=True)
        for i, t in enumerate(pollers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(interval * 1.5)
    delays = []
    try:
        for r in range(rounds):
            time.sleep(random.uniform(0.2, 0.7) * interval)
            began = time.perf_counter()
            with db.session_scope(engine) as s:
                ws.add_note(session=s, participant_token=writer, step=1, text=f"Round {r}")
            with db.session_scope(engine, readonly=True) as s:
                target = ws.sync_state(session=s, viewer_token=writer).revision
            deadline = time.perf_counter() + 5 * interval
            while time.perf_counter() < deadline:
                if all(any(rev >= target for rev, _ in log) for log in seen):
                    break
                time.sleep(0.01)
            for log in seen:
                first = next((at for rev, at in log if rev >= target), None)
                delays.append(first - began if first is not None else float("inf"))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return delays


def main() -> None:
    url = temp_database()
    engine = db.get_engine(url)
    interval = config.get_settings().live_sync_seconds
    began = time.perf_counter()
    token = create_large_canvas(url)
    started, tokens = _big_workshop(url, token)
    print(
        f"large canvas + workshop ({PARTICIPANTS} people, {PARTICIPANTS * NOTES_EACH} notes, "
        f"{PARTICIPANTS * SCORED_EACH} blind scores) written in {time.perf_counter() - began:.1f} s"
    )

    print(f"\nchange check, {CALLS} calls each (budget 5 ms):")
    print(f"{'':38} {'query in an open session':>32}   {'whole tick (open, query, close)':>34}")
    checks: dict[str, Callable[[Any], object]] = {
        "canvases.get_revision(canvas)": lambda s: canvases.get_revision(
            session=s, canvas_token=token
        ),
        "workshops.sync_state(canvas)": lambda s: ws.sync_state(session=s, canvas_token=token),
        "workshops.sync_state(participant)": lambda s: ws.sync_state(
            session=s, viewer_token=tokens[0]
        ),
        "workshops.sync_state(public link)": lambda s: ws.sync_state(
            session=s, viewer_token=started.link_token
        ),
    }
    for name, check in checks.items():
        query, tick = _time_check(engine, check)
        print(f"{name:38} {_ms(query):>32}   {_ms(tick):>34}")

    print(
        f"\npropagation: the facilitator adds a note, N participants poll sync_state every "
        f"{interval:g} s (STRATEGY_CANVAS_SYNC_SECONDS), {ROUNDS} rounds (budget 1.5 s):"
    )
    for n in (10, 30):
        delays = _propagation(engine, started.facilitator_key, tokens[-n:], interval)
        missed = sum(d == float("inf") for d in delays)
        found = [d for d in delays if d != float("inf")]
        print(
            f"  {n:2} participants: median {statistics.median(found):.2f} s, "
            f"max {max(found):.2f} s over {len(found)} sightings"
            + (f", {missed} never seen within {5 * interval:g} s" if missed else "")
        )

    print(f"\nthe server's side of a tick ({PARTICIPANTS} viewers polling every {interval:g} s):")
    page, bare = against_bare(_workshop_page(tokens[0]).run, bare_app().run)
    collect = []
    for _ in range(5):
        began = time.perf_counter()
        gc.collect(2)
        collect.append(time.perf_counter() - began)
    full_gc = statistics.median(collect)
    load = PARTICIPANTS / interval
    print(f"  bare one-line page:                 {bare * 1000:7.1f} ms")
    print(
        f"  a participant's Workshop page:      {page * 1000:7.1f} ms ({page / bare:.1f}x bare; "
        f"{PARTICIPANTS * NOTES_EACH // 5} notes on the step)"
    )
    print(f"  gc.collect(2) in this process:      {full_gc * 1000:7.1f} ms")
    print(
        f"  CPU for {PARTICIPANTS} viewers: {page * load:.2f} cores with postScriptGC off, "
        f"{(page + full_gc) * load:.2f} cores with it on"
    )


def _workshop_page(participant_token: str) -> AppTest:
    """A participant's Workshop page, run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages/7_Workshop.py"), default_timeout=120)
    at.query_params["p"] = participant_token
    at.run()
    if at.exception:
        raise RuntimeError(f"the Workshop page raised: {at.exception[0].message}")
    return at


if __name__ == "__main__":
    main()
