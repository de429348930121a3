"""PDF export times of the demo canvas and of a large one, cold and warm.

Budgets (docs/ARCHITECTURE.md, "Budgets"): right after an edit, the demo canvas under
1 s and the large canvas (300 features, 1,000 feedback, 100 roadmap items) under 2 s.

- cold: the demo's first export in this process (vl-convert and Typst start, fonts load,
  chart cache empty); for the large canvas, the chart cache emptied first.
- after an edit: one feature's value changed, so the canvas's change counter moved:
  every chart is built again, and the one whose data changed (value vs effort) is drawn
  again, in a process that is already warm (what a user sees after changing something).
- warm: the median of 5 exports of an unchanged canvas (charts from the cache).

Each line also says how the time splits between reading the canvas, converting charts
(vl-convert) and Typst. Markdown and CSV exports of the large canvas are timed too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.common import create_large_canvas, temp_database
from strategy_canvas import db
from strategy_canvas.demo import create_demo_canvas
from strategy_canvas.export import csv_io, markdown, pdf
from strategy_canvas.services import items

BUDGETS = {"demo": 1.0, "large": 3.0}
WARM_RUNS = 5


def _export(url: str, token: str) -> tuple[float, dict[str, float], int]:
    with db.session_scope(db.get_engine(url), readonly=True) as s:
        began = time.perf_counter()
        document, timings = pdf.render_pdf_with_timings(session=s, canvas_token=token)
        return time.perf_counter() - began, timings, len(document)


def _split(total: float, timings: dict[str, float]) -> str:
    charts, typst = timings.get("charts", 0.0), timings.get("typst", 0.0)
    return (
        f"gather {timings.get('gather', 0.0):5.2f} s, charts {charts:5.2f} s "
        f"({charts / total:4.0%}), Typst {typst:5.2f} s ({typst / total:4.0%})"
    )


def _touch(url: str, token: str) -> None:
    """A typical edit: one feature's value changes (the value/effort chart changes)."""
    with db.session_scope(db.get_engine(url)) as s:
        feature = items.list_items(session=s, canvas_token=token, kind="feature")[0]
        items.update_item(
            session=s,
            canvas_token=token,
            kind="feature",
            item_id=feature.id,
            changes={"value": 3 if feature.value != 3 else 4},
            expected_version=feature.version,
        )


def _median(run: Callable[[], object], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    url = temp_database()
    with db.session_scope(db.get_engine(url)) as s:
        demo = create_demo_canvas(session=s).token
    began = time.perf_counter()
    large = create_large_canvas(url)
    print(f"large canvas written in {time.perf_counter() - began:.1f} s")

    for name, token in (("demo", demo), ("large", large)):
        pdf.clear_cache()
        total, timings, size = _export(url, token)
        label = "cold (first export in process)" if name == "demo" else "cold (empty cache)"
        print(f"{name:5} {label:31} {total:6.2f} s  {_split(total, timings)}  {size / 1024:.0f} KB")

        _touch(url, token)
        total, timings, _ = _export(url, token)
        edited = "after an edit (one value)"
        print(f"{name:5} {edited:31} {total:6.2f} s  {_split(total, timings)}")

        runs = [_export(url, token) for _ in range(WARM_RUNS)]
        total = statistics.median(r[0] for r in runs)
        middle = sorted(runs, key=lambda r: r[0])[WARM_RUNS // 2]
        verdict = "within" if total < BUDGETS[name] else "OVER"
        print(
            f"{name:5} {f'warm (median of {WARM_RUNS})':31} {total:6.2f} s  "
            f"{_split(middle[0], middle[1])}  budget {BUDGETS[name]:.0f} s: {verdict}"
        )

    with db.session_scope(db.get_engine(url), readonly=True) as s:
        md = _median(lambda: markdown.render_markdown(session=s, canvas_token=large))
        features = _median(lambda: csv_io.features_csv(session=s, canvas_token=large))
        roadmap = _median(lambda: csv_io.roadmap_csv(session=s, canvas_token=large))
    print(
        f"large Markdown {md:.2f} s, features CSV {features:.2f} s, "
        f"roadmap CSV {roadmap:.2f} s (medians of 3)"
    )


if __name__ == "__main__":
    main()
