"""Page rerun times against a bare one-line Streamlit page measured in the same run.

A diagnostic of Streamlit's per-element cost (docs/ARCHITECTURE.md, "Budgets"): the
budget is click-to-settled in Chromium; this ratio was held within 5x the bare page.
"""

from __future__ import annotations

import statistics
import time

from bench.common import (
    app_at,
    bare_app,
    create_large_canvas,
    temp_database,
    timed_against_bare,
)
from strategy_canvas import db
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.services import canvases

BUDGET = 5.0
PAGES = [
    "app.py",
    "pages/1_Problem_and_audience.py",
    "pages/2_Vision.py",
    "pages/3_Designs.py",
    "pages/4_Implementation.py",
    "pages/5_Feedback.py",
    "pages/6_Overview.py",
]


def main() -> None:
    url = temp_database()
    with db.session_scope(db.get_engine(url)) as s:
        demo = create_demo_canvas(session=s).token
    began = time.perf_counter()
    large = create_large_canvas(url)
    print(
        f"large canvas (300 features, 1,000 feedback, 100 roadmap items) "
        f"written in {time.perf_counter() - began:.1f} s"
    )

    bare = bare_app().run
    print(
        "each figure: the median of 15 reruns after a warm-up, reached from the home page as "
        "a user does, against the bare one-line page timed the same way just before (the "
        "round with the median ratio of 3)"
    )
    print(
        "ms is wall time; cpu ms is the process's CPU time per rerun (every thread), which "
        "the load of other processes moves far less: on a shared machine compare runs by it"
    )
    print(
        f"{'page':34} {'demo ms':>8} {'x bare':>7} {'large ms':>9} {'x bare':>7}"
        f" {'demo cpu ms':>12} {'x bare':>7} {'large cpu ms':>13} {'x bare':>7}"
    )
    for page in PAGES:
        d = timed_against_bare(app_at(page, demo).run, bare)
        g = timed_against_bare(app_at(page, large).run, bare)
        over = "  over budget" if g.ratio > BUDGET else ""
        print(
            f"{page:34} {d.page * 1000:8.1f} {d.ratio:7.1f} {g.page * 1000:9.1f} {g.ratio:7.1f}"
            f" {d.page_cpu * 1000:12.1f} {d.cpu_ratio:7.1f} {g.page_cpu * 1000:13.1f}"
            f" {g.cpu_ratio:7.1f}{over}"
        )
    print(f"budget: {BUDGET:g}x the bare page on the large canvas")

    engine = db.get_engine(url)
    samples = []
    for _ in range(200):
        with db.session_scope(engine, readonly=True) as s:
            began = time.perf_counter()
            canvases.get_revision(session=s, canvas_token=large)
            samples.append(time.perf_counter() - began)
    print(
        f"live-sync change check (get_revision): median "
        f"{statistics.median(samples) * 1000:.2f} ms, p95 "
        f"{sorted(samples)[int(len(samples) * 0.95)] * 1000:.2f} ms (budget 5 ms)"
    )


if __name__ == "__main__":
    main()
