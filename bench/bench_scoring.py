"""Prioritisation and chart times for 10, 100 and 1,000 synthetic features.

Prints, per size: scoring (every framework and the side-by-side rank table), the Monte
Carlo robustness check (2,000 draws), and building every chart and turning it into a
Vega-Lite spec (``to_dict()``, which Altair validates). Medians of a few runs after a
warm-up, as wall-clock time and as this process's CPU time (which other work on a busy
machine does not inflate); no assertions. Run with ``python -m bench.bench_scoring``
from the project root.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from strategy_canvas import charts, scoring

SIZES = (10, 100, 1_000)
DRAWS = 2_000


def synthetic_canvas(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """n features and as many assumptions, roadmap items, feedback items and flaws."""
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 1)
    starts = [start + timedelta(days=int(d)) for d in rng.integers(0, 300, n)]
    features = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "title": [f"Feature {i}" for i in range(n)],
            "reach": rng.integers(10, 50_000, n),
            "impact": rng.choice(scoring.IMPACT_SCALE, n),
            "confidence": rng.integers(20, 101, n),
            "effort": rng.uniform(0.25, 12, n).round(2),
            "ease": rng.integers(1, 11, n),
            "value": rng.integers(1, 11, n),
            "moscow": rng.choice(list(scoring.MOSCOW_ORDER), n),
            "kano": rng.choice(list(scoring.KANO_ORDER), n),
        }
    )
    ranged = rng.random(n) < 0.3  # a third of the features carry low/high ranges
    features["reach_low"] = np.where(ranged, features["reach"] * 0.5, np.nan)
    features["reach_high"] = np.where(ranged, features["reach"] * 2.0, np.nan)
    criteria = pd.DataFrame(
        {"id": [1, 2, 3], "name": ["Fit", "Revenue", "Risk"], "weight": [3, 2, 1]}
    )
    scores = pd.DataFrame(
        {
            "feature_id": np.repeat(features["id"], 3),
            "criterion_id": np.tile([1, 2, 3], n),
            "score": rng.integers(0, 11, 3 * n),
        }
    )
    return {
        "features": features,
        "criteria": criteria,
        "scores": scores,
        "assumptions": pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "statement": [f"Assumption {i}" for i in range(n)],
                "importance": rng.integers(1, 6, n),
                "evidence": rng.integers(1, 6, n),
                "status": rng.choice(list(charts.ASSUMPTION_STATUS), n),
            }
        ),
        "roadmap": pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "title": [f"Item {i}" for i in range(n)],
                "lane": rng.choice(list(charts.LANES), n),
                "status": rng.choice(list(charts.ROADMAP_STATUS), n),
                "owner": [f"Owner {i % 6}" for i in range(n)],
                "start_date": starts,
                "end_date": [
                    s + timedelta(days=int(d))
                    for s, d in zip(starts, rng.integers(7, 90, n), strict=True)
                ],
                "milestone": ["M" if i % 10 == 0 else "" for i in range(n)],
            }
        ),
        "feedback": pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "kind": rng.choice(list(charts.FEEDBACK_KINDS), n),
                "sentiment": rng.choice(list(charts.SENTIMENT_COLOURS), n),
                "received_on": [start + timedelta(days=int(d)) for d in rng.integers(0, 300, n)],
            }
        ),
        "flaws": pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "severity": rng.choice(list(charts.SEVERITY_ORDER), n),
                "fix_status": rng.choice(list(charts.FIX_STATUS), n),
            }
        ),
        "key_results": pd.DataFrame(
            {
                "id": [1, 2, 3, 4],
                "metric": ["Active teams", "Activation", "Churn", "NPS"],
                "unit": ["teams", "%", "%", ""],
                "baseline": [100.0, 20.0, 6.0, 10.0],
                "target": [400.0, 40.0, 3.0, 40.0],
                "target_date": [date(2026, 12, 31)] * 4,
            }
        ),
        "readings": pd.DataFrame(
            {
                "key_result_id": [1 + i % 4 for i in range(min(n, 200))],
                "measured_on": [start + timedelta(days=3 * i) for i in range(min(n, 200))],
                "value": rng.uniform(0, 400, min(n, 200)),
            }
        ),
        "progress": pd.DataFrame(
            {"step": [1, 2, 3, 4, 5], "title": list("ABCDE"), "score": [1, 0.8, 0.5, 0.2, 0]}
        ),
    }


def score_everything(canvas: dict[str, pd.DataFrame]) -> Any:
    features = canvas["features"]
    for fw in scoring.FRAMEWORKS.values():
        fw.score(features, criteria_df=canvas["criteria"], scores_df=canvas["scores"])
    scoring.value_effort(features)
    return scoring.rank_table(features, criteria_df=canvas["criteria"], scores_df=canvas["scores"])


def build_all_charts(canvas: dict[str, pd.DataFrame], mc: pd.DataFrame) -> list[dict[str, Any]]:
    width = 700  # as the PDF does
    built = [
        charts.value_effort_chart(canvas["features"], width=width),
        charts.score_bars(canvas["features"], "rice", width=width),
        charts.robustness_chart(mc, width=width),
        charts.assumption_map(canvas["assumptions"], width=width),
        charts.roadmap_lanes(canvas["roadmap"], width=width),
        charts.roadmap_timeline(canvas["roadmap"], today=date(2026, 6, 1), width=width),
        charts.feedback_chart(canvas["feedback"], width=width),
        charts.flaws_chart(canvas["flaws"], width=width),
        charts.kpi_chart(canvas["readings"], canvas["key_results"], width=width),
        charts.progress_chart(canvas["progress"], width=width),
    ]
    return [chart.to_dict() for chart in built]


def timed(run: Callable[[], object], *, repeat: int) -> str:
    """'wall (cpu)' in ms: the medians of ``repeat`` runs after one warm-up."""
    run()
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return f"{statistics.median(wall) * 1000:8.1f} ({statistics.median(cpu) * 1000:7.1f})"


def main() -> None:
    print("median ms, wall-clock (CPU)")
    print(
        f"{'features':>8}  {'scoring + rank table':>20}  {f'Monte Carlo, {DRAWS:,} draws':>26}  "
        f"{'10 charts to_dict':>18}"
    )
    for n in SIZES:
        canvas = synthetic_canvas(n)
        mc = scoring.monte_carlo(canvas["features"], draws=DRAWS)
        scored = timed(lambda c=canvas: score_everything(c), repeat=5)
        robust = timed(lambda c=canvas: scoring.monte_carlo(c["features"], draws=DRAWS), repeat=5)
        drawn = timed(lambda c=canvas, m=mc: build_all_charts(c, m), repeat=3)
        print(f"{n:>8,}  {scored:>20}  {robust:>26}  {drawn:>18}")


if __name__ == "__main__":
    main()
