"""Page rerun times against a bare one-line Streamlit page measured in the same run.

Budget (DESIGN.md): a page rerun on a large canvas within 5x the bare page.
"""

from __future__ import annotations

import statistics
import time

from bench.common import (
    bare_page_seconds,
    create_large_canvas,
    page_seconds,
    temp_database,
)
from strategy_canvas import db
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.services import canvases

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

    bare = bare_page_seconds()
    print(f"bare one-line page: {bare * 1000:.1f} ms per rerun (median of 15)")
    print(f"{'page':38} {'demo ms':>9} {'x bare':>7} {'large ms':>9} {'x bare':>7}")
    for page in PAGES:
        d = page_seconds(page, token=demo)
        g = page_seconds(page, token=large)
        print(f"{page:38} {d * 1000:9.1f} {d / bare:7.1f} {g * 1000:9.1f} {g / bare:7.1f}")

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
