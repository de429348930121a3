"""Shared helpers for the benchmarks: temp databases, a large canvas, AppTest timing.

Benchmarks print figures (and ratios against a baseline measured in the same run);
they never assert on time.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strategy_canvas import config, db
from strategy_canvas.services import canvases, items
from tests.serving import free_port as free_port  # the benchmarks start servers too
from tests.serving import wait_healthy as wait_healthy

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
#: clock ticks per second of /proc/PID/stat's times
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def temp_database() -> str:
    """Point the app at a fresh SQLite file (DATABASE_URL) and return its URL."""
    folder = tempfile.mkdtemp(prefix="sc-bench-")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db.migrate(db.get_engine(url))
    return url


def create_large_canvas(
    url: str, *, features: int = 300, feedback: int = 1000, roadmap: int = 100, seed: int = 7
) -> str:
    """A canvas of the size in the budgets (docs/ARCHITECTURE.md), written through the services."""
    rnd = random.Random(seed)
    engine = db.get_engine(url)
    with db.session_scope(engine) as s:
        token = canvases.create_canvas(
            session=s, canvas_in={"name": "Large canvas", "product": "Benchmark"}
        ).token
        personas = [
            items.create_item(
                session=s,
                canvas_token=token,
                kind="persona",
                data={"name": f"Persona {i}", "jobs": "j", "pains": "p"},
            ).id
            for i in range(6)
        ]
        goals = [
            items.create_item(
                session=s, canvas_token=token, kind="goal", data={"title": f"Goal {i}"}
            ).id
            for i in range(5)
        ]
        feature_ids = []
        for i in range(features):
            feature_ids.append(
                items.create_item(
                    session=s,
                    canvas_token=token,
                    kind="feature",
                    data={
                        "title": f"Feature {i}",
                        "persona_id": rnd.choice(personas),
                        "goal_id": rnd.choice(goals),
                        "reach": rnd.randint(10, 50_000),
                        "impact": rnd.choice([0.25, 0.5, 1, 2, 3]),
                        "confidence": rnd.randint(20, 100),
                        "effort": round(rnd.uniform(0.25, 12), 2),
                        "ease": rnd.randint(1, 10),
                        "value": rnd.randint(1, 10),
                        "moscow": rnd.choice(["must", "should", "could"]),
                        "kano": rnd.choice(["basic", "performance", "delighter"]),
                        "status": rnd.choice(["idea", "planned", "building", "shipped"]),
                    },
                ).id
            )
        start = date(2026, 1, 1)
        for i in range(roadmap):
            begin = start + timedelta(days=rnd.randint(0, 300))
            items.create_item(
                session=s,
                canvas_token=token,
                kind="roadmap_item",
                data={
                    "title": f"Roadmap item {i}",
                    "feature_id": rnd.choice(feature_ids),
                    "lane": rnd.choice(["now", "next", "later"]),
                    "owner": f"Owner {i % 9}",
                    "team": f"Team {i % 4}",
                    "start_date": begin,
                    "end_date": begin + timedelta(days=rnd.randint(7, 90)),
                },
            )
        for i in range(feedback):
            items.create_item(
                session=s,
                canvas_token=token,
                kind="feedback",
                data={
                    "text": f"Feedback {i}: " + "words " * rnd.randint(3, 30),
                    "feature_id": rnd.choice(feature_ids),
                    "sentiment": rnd.choice(["positive", "neutral", "negative"]),
                    "kind": rnd.choice(["praise", "problem", "request", "bug"]),
                    "received_on": start + timedelta(days=rnd.randint(0, 300)),
                },
            )
    return token


def median_times(
    run: Callable[[], object], *, repeat: int = 15, warmup: int = 1
) -> tuple[float, float]:
    """(median wall time, median CPU time of the process) of ``run()``, in seconds, after
    ``warmup`` calls. The CPU time counts every thread of the process (an AppTest run's
    script runs in a thread of its own); other processes loading the machine move it far
    less than the wall time."""
    for _ in range(warmup):
        run()
    walls, cpus = [], []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def median_seconds(run: Callable[[], object], *, repeat: int = 15, warmup: int = 1) -> float:
    return median_times(run, repeat=repeat, warmup=warmup)[0]


def bare_app() -> AppTest:
    """A one-line Streamlit page under AppTest, run once: the baseline of the budgets."""
    from streamlit.testing.v1 import AppTest

    bare = Path(tempfile.mkdtemp(prefix="sc-bare-")) / "bare.py"
    bare.write_text('import streamlit as st\nst.write("hello")\n')
    at = AppTest.from_file(str(bare), default_timeout=60)
    at.run()
    return at


@dataclass(frozen=True)
class AgainstBare:
    """A page's median rerun and the bare page's, in seconds: wall and CPU time."""

    page: float
    bare: float
    page_cpu: float
    bare_cpu: float

    @property
    def ratio(self) -> float:
        return self.page / self.bare

    @property
    def cpu_ratio(self) -> float:
        return self.page_cpu / self.bare_cpu


def timed_against_bare(
    run: Callable[[], object], bare: Callable[[], object], *, rounds: int = 3, repeat: int = 15
) -> AgainstBare:
    """``run``'s reruns against ``bare``'s, timed this way: the median of ``repeat``
    reruns after a warm-up, the bare page timed the same way right before. Done
    ``rounds`` times; the round with the median wall-time ratio is kept, so a burst of
    load on the machine during one block does not decide the figure.
    """
    found = []
    for _ in range(rounds):
        base, base_cpu = median_times(bare, repeat=repeat)
        page, page_cpu = median_times(run, repeat=repeat)
        found.append(AgainstBare(page, base, page_cpu, base_cpu))
    found.sort(key=lambda f: f.ratio)
    return found[len(found) // 2]


def against_bare(
    run: Callable[[], object], bare: Callable[[], object], *, rounds: int = 3, repeat: int = 15
) -> tuple[float, float]:
    """(median rerun of ``run``, median rerun of ``bare``), wall time in seconds, as
    :func:`timed_against_bare` measures them."""
    found = timed_against_bare(run, bare, rounds=rounds, repeat=repeat)
    return found.page, found.bare


def app_at(page: str, token: str, state: dict[str, Any] | None = None) -> AppTest:
    """One of the app's pages (``app.py`` or ``pages/…``) on the canvas ``token``, reached
    from the home page as a user does (so links between pages resolve), run once;
    ``state`` is put in session state first (a tab chosen, say)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["canvas"] = token
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    if at.exception:
        raise RuntimeError(f"{page} raised: {at.exception[0].message}")
    return at
