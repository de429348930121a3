"""What the canvas's history costs: a write with its entry against the same write with
the history switched off, in the same run; the History screen of a canvas with 20,000
entries; a diff of the large canvas against a version 100 changes ago.

Budgets (docs/ARCHITECTURE.md, "History"): a write with its entry at most 1.3x the write
without it; the History screen opens, and the diff is computed, each in under 1 s.
Run it with ``.venv/bin/python -m bench.bench_history``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bench.common import ROOT, create_large_canvas, median_seconds, temp_database
from strategy_canvas import db
from strategy_canvas import models as m
from strategy_canvas.services import activity, canvases, changes, history, items, versions
from strategy_canvas.services.activity import Actor

WRITE_BUDGET = 1.3
SECONDS_BUDGET = 1.0
ENTRIES = 20_000
CHANGES = 100
#: how long the Overview is open before "History" is clicked, in Chromium
DWELL_MS = 1500
ANA = Actor.person("Ana", "bench-key")


def _delete_as_before(
    *, session: Any, canvas_token: str, kind: str, item_id: int, expected_version: int, **_: Any
) -> None:
    """The delete as it was before the history (one guarded DELETE; the database's own
    ON DELETE clears the links and takes the rows), for the baseline."""
    spec = items.item_type(kind)
    canvas_id = items.begin_write(session, canvas_token)
    result = session.exec(
        sa.delete(spec.table).where(
            spec.table.id == item_id,  # type: ignore[arg-type]
            spec.table.canvas_id == canvas_id,  # type: ignore[arg-type]
            spec.table.version == expected_version,  # type: ignore[arg-type]
        )
    )
    assert result.rowcount == 1
    session.commit()


@contextlib.contextmanager
def history_off() -> Iterator[None]:
    """The write path as it was before the history: no entry, no title worked out for
    it, and the delete as it was (:func:`_delete_as_before`)."""
    saved = (activity.record, items.entry_title, items.delete_item)
    activity.record = lambda *a, **k: None  # type: ignore[assignment]
    items.entry_title = lambda *a, **k: ""  # type: ignore[assignment]
    items.delete_item = _delete_as_before  # type: ignore[assignment]
    try:
        yield
    finally:
        activity.record, items.entry_title, items.delete_item = saved  # type: ignore[assignment]


def _writes(engine: Any, token: str) -> dict[str, Callable[[], object]]:
    with db.session_scope(engine, readonly=True) as s:
        feature = items.list_items(session=s, canvas_token=token, kind="feature")[7]
        persona = items.list_items(session=s, canvas_token=token, kind="persona")[0]
    counter = [0]

    def update() -> None:
        counter[0] += 1
        with db.session_scope(engine) as s:
            row = items.get_item(session=s, canvas_token=token, kind="feature", item_id=feature.id)
            s.rollback()
            items.update_item(
                session=s,
                canvas_token=token,
                kind="feature",
                item_id=feature.id,
                changes={"title": f"Feature {counter[0]}", "reach": counter[0]},
                expected_version=row.version,
                actor=ANA,
            )

    def create_and_delete() -> None:
        with db.session_scope(engine) as s:
            row = items.create_item(
                session=s,
                canvas_token=token,
                kind="goal",
                data={"title": "Short-lived goal", "persona_id": persona.id},
                actor=ANA,
            )
            items.delete_item(
                session=s,
                canvas_token=token,
                kind="goal",
                item_id=row.id,
                expected_version=row.version,
                actor=ANA,
            )

    return {"update a feature": update, "add and delete a goal": create_and_delete}


def _timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def bench_writes(engine: Any, token: str, *, pairs: int = 400, warmup: int = 20) -> None:
    print("\n-- a write with its history entry, against the same write without (same run)")
    print(
        f"each: {pairs} writes without and {pairs} with, alternating write by write (so "
        "both see the same load on a shared machine), after a warm-up; the medians, "
        "their ratio, and the ratio in each quarter of the run"
    )
    print(f"{'write':24} {'off ms':>8} {'on ms':>8} {'ratio':>6}  quarters")
    for name, run in _writes(engine, token).items():
        for _ in range(warmup):
            with history_off():
                run()
            run()
        offs, ons = [], []
        for _ in range(pairs):
            with history_off():
                offs.append(_timed(run))
            ons.append(_timed(run))
        off, on = statistics.median(offs), statistics.median(ons)
        ratio = on / off
        q = pairs // 4
        quarters = " ".join(
            f"{statistics.median(ons[i : i + q]) / statistics.median(offs[i : i + q]):.2f}"
            for i in range(0, q * 4, q)
        )
        over = "  over budget" if ratio > WRITE_BUDGET else ""
        print(f"{name:24} {off * 1000:8.2f} {on * 1000:8.2f} {ratio:6.2f}  {quarters}{over}")
    print(f"budget: {WRITE_BUDGET:g}x the write without its entry")


def fill_history(engine: Any, token: str, total: int) -> int:
    """Entries shaped like real ones (saves with a few fields, adds, deletes with links)
    until the canvas's history holds ``total``; returns how many it holds."""
    rnd = random.Random(3)
    with db.session_scope(engine) as s:
        canvas_id = items.canvas_id_for(s, token)
        features = [
            (f.id, f.title, f.version)
            for f in items.list_items(session=s, canvas_token=token, kind="feature")
        ]
        have = activity.last_entry_id(s, canvas_id)
        people = [Actor.person(n, f"{n}-key") for n in ("Ana", "Ben", "Cleo", "Dev", "Eli")]
        start = m.utcnow() - timedelta(days=90)
        rows = []
        for i in range(total - have):
            who = rnd.choice(people)
            fid, title, _ = rnd.choice(features)
            kind = rnd.random()
            if kind < 0.8:
                action = "update"
                data = {
                    "before": {"reach": rnd.randint(0, 9999), "status": "idea"},
                    "after": {"reach": rnd.randint(0, 9999), "status": "planned"},
                    "version": rnd.randint(2, 40),
                }
            elif kind < 0.93:
                action = "create"
                data = {"after": {"title": title, "reach": 10, "status": "idea"}}
            else:
                action = "delete"
                data = {"item": {"title": title}, "version": 3, "links": [], "rows": []}
            rows.append(
                {
                    "canvas_id": canvas_id,
                    "at": start + timedelta(seconds=i * 300),
                    "actor_name": who.name,
                    "actor_key": who.key,
                    "via": "page",
                    "batch": f"b{i}",
                    "action": action,
                    "kind": "feature",
                    "item_id": fid,
                    "step": 3,
                    "title": title,
                    "data": json.dumps(data),
                    "undoes": None,
                }
            )
        for at in range(0, len(rows), 2000):
            s.connection().execute(sa.insert(m.Activity), rows[at : at + 2000])
        s.commit()
        count = sa.select(sa.func.count()).where(m.Activity.canvas_id == canvas_id)
        return int(s.connection().execute(count).scalar_one())


def bench_history_page(url: str, token: str) -> None:
    from streamlit.testing.v1 import AppTest

    from strategy_canvas.ui import history_page

    print("\n-- the History screen of a canvas with 20,000 entries")
    samples = []
    for _ in range(5):
        history_page.forget_cached()
        at = AppTest.from_file(str(ROOT / "pages/9_History.py"), default_timeout=120)
        at.query_params["canvas"] = token
        began = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - began)
        if at.exception:
            raise RuntimeError(at.exception[0].message)
    print(
        f"server side, the page's whole run with nothing cached (AppTest, median of 5): "
        f"{statistics.median(samples) * 1000:.0f} ms"
    )
    with db.session_scope(db.get_engine(url), readonly=True) as s:
        reads = [
            median_seconds(lambda: history.feed(session=s, canvas_token=token), repeat=15),
            median_seconds(lambda: history.people(session=s, canvas_token=token), repeat=15),
            median_seconds(
                lambda: history.items_in_history(session=s, canvas_token=token), repeat=15
            ),
        ]
    print(
        "its reads: a page of the feed {:.0f} ms, the people {:.0f} ms, the items {:.0f} ms".format(
            *(r * 1000 for r in reads)
        )
    )
    browser = _in_chromium(url, token)
    if browser is not None:
        print(f"in Chromium, clicking History in the sidebar until the feed shows: {browser}")
    print(f"budget: opens in under {SECONDS_BUDGET:g} s")


def _small_canvas(url: str) -> str:
    """A canvas with a short history (created, a persona added and changed), for the
    baseline."""
    with db.session_scope(db.get_engine(url)) as s:
        token = canvases.create_canvas(
            session=s, canvas_in={"name": "Small canvas"}, actor=ANA
        ).token
        row = items.create_item(
            session=s, canvas_token=token, kind="persona", data={"name": "Ana"}, actor=ANA
        )
        items.update_item(
            session=s,
            canvas_token=token,
            kind="persona",
            item_id=row.id,
            changes={"name": "Ana, the planner"},
            expected_version=row.version,
            actor=ANA,
        )
    return token


def _in_chromium(url: str, token: str) -> str | None:
    """Click-to-settled in Debian's Chromium, against a real `streamlit run` on a free
    port (bench/bench_browser.py's server): the time runs from the click on "History" in
    the sidebar, from the Overview open for 1.5 s, until the feed's count is on screen
    and nothing is stale or running; the median of 5 clicks after a warm-up one.
    Baselines in the same run, clicks interleaved with the large canvas's: the same
    click on a canvas whose history holds 3 entries, and opening a bare one-line page
    from a link."""
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        print("(Chromium not found: CHROMIUM_PATH)")
        return None
    from playwright.sync_api import expect, sync_playwright

    from bench.bench_browser import SETTLED, Clicker, app_server, bare_clicks, sidebar_link

    small = _small_canvas(url)
    with app_server(url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(60_000)
        clicker = Clicker(context.new_page())
        bare, _ = bare_clicks(clicker, base)
        page = clicker.page

        def open_history(canvas: str, shown: str) -> float:
            page.goto(f"{base}/Overview?canvas={canvas}")
            clicker.settle()
            # as a person reads the page before clicking on: within its first second
            # the stream's first look at who is here reruns the Overview's live part
            page.wait_for_timeout(DWELL_MS)
            began = time.perf_counter()
            sidebar_link(page, "History").click()
            # a page's first message can come before it has drawn anything: wait for
            # the feed, then for calm
            expect(page.get_by_text(shown)).to_be_visible()
            page.wait_for_function(SETTLED, polling="raf")
            return time.perf_counter() - began

        large_ms, small_ms = [], []
        for _ in range(6):
            large_ms.append(open_history(token, "Entries 1–50 of") * 1000)
            small_ms.append(open_history(small, "Entries 1–3 of 3") * 1000)
        browser.close()
    warm, warm_small = large_ms[1:], small_ms[1:]  # the first opens a cold Python module
    return (
        f"median {statistics.median(warm):.0f} ms, slowest {max(warm):.0f} ms (first, cold: "
        f"{large_ms[0]:.0f} ms); the same click on a canvas with 3 entries: "
        f"{statistics.median(warm_small):.0f} ms; a bare page from a link: {bare:.0f} ms"
    )


def _change(engine: Any, token: str, rnd: random.Random, i: int) -> None:
    """One change of the kinds a team makes: a feature's score or status, a new piece of
    feedback, a deleted one, a KPI reading, a decision."""
    with db.session_scope(engine) as s:
        what = i % 5
        if what in (0, 1):
            rows = items.list_items(session=s, canvas_token=token, kind="feature")
            row = rnd.choice(rows)
            s.rollback()
            items.update_item(
                session=s,
                canvas_token=token,
                kind="feature",
                item_id=row.id,
                changes={"reach": rnd.randint(10, 60_000), "status": "planned"},
                expected_version=row.version,
                actor=ANA,
            )
        elif what == 2:
            items.create_item(
                session=s,
                canvas_token=token,
                kind="feedback",
                data={"text": f"New feedback {i}", "sentiment": "negative"},
                actor=ANA,
            )
        elif what == 3:
            row = rnd.choice(items.list_items(session=s, canvas_token=token, kind="feedback"))
            s.rollback()
            items.delete_item(
                session=s,
                canvas_token=token,
                kind="feedback",
                item_id=row.id,
                expected_version=row.version,
                actor=ANA,
            )
        else:
            row = rnd.choice(items.list_items(session=s, canvas_token=token, kind="roadmap_item"))
            s.rollback()
            items.update_item(
                session=s,
                canvas_token=token,
                kind="roadmap_item",
                item_id=row.id,
                changes={"lane": rnd.choice(["now", "next", "later"])},
                expected_version=row.version,
                actor=ANA,
            )


def bench_diff(engine: Any, token: str) -> None:
    print("\n-- a diff of the large canvas against a version 100 changes ago")
    with db.session_scope(engine) as s:
        versions.save_version(session=s, canvas_token=token, name="Before", actor=ANA)
    rnd = random.Random(11)
    for i in range(CHANGES):
        _change(engine, token, rnd, i)
    with db.session_scope(engine, readonly=True) as s:
        diff = changes.since_version(session=s, canvas_token=token, since="Before")
        seconds = median_seconds(
            lambda: changes.since_version(session=s, canvas_token=token, since="Before"),
            repeat=7,
        )
    print(f"{diff.headline()}")
    over = "  over budget" if seconds > SECONDS_BUDGET else ""
    print(f"computed in {seconds * 1000:.0f} ms (median of 7){over}")
    print(f"budget: under {SECONDS_BUDGET:g} s")


def main() -> None:
    url = temp_database()
    began = time.perf_counter()
    token = create_large_canvas(url)
    engine = db.get_engine(url)
    print(f"large canvas written in {time.perf_counter() - began:.1f} s")
    bench_writes(engine, token)
    bench_diff(engine, token)
    held = fill_history(engine, token, ENTRIES)
    print(f"\nthe canvas's history now holds {held:,} entries")
    bench_history_page(url, token)


if __name__ == "__main__":
    main()
