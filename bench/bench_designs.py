"""The Designs page's rerun time with 10, 100 and 300 features, against a bare one-line
Streamlit page timed the same way in the same run.

Both tabs are timed, since only the open one runs: *Features & sketches* (the board and
the editor, open by default) and *Prioritise* (the scoring grid, the ranking side by
side, the value-vs-effort matrix, the score bars and the robustness panel).

Held within 5x the bare page at 300 features (a diagnostic; docs/ARCHITECTURE.md,
"Budgets"). Run it with
``.venv/bin/python -m bench.bench_designs``.
"""

from __future__ import annotations

import time

from bench.common import app_at, bare_app, create_large_canvas, temp_database, timed_against_bare
from strategy_canvas.ui import designs

PAGE = "pages/3_Designs.py"
SIZES = (10, 100, 300)
BUDGET = 5.0
TABS = {"Features & sketches": designs.TABS[0], "Prioritise": designs.TABS[1]}


def main() -> None:
    url = temp_database()
    tokens = {}
    began = time.perf_counter()
    for size in SIZES:
        tokens[size] = create_large_canvas(url, features=size, feedback=0, roadmap=0)
    print(
        f"canvases of {', '.join(map(str, SIZES))} features written in "
        f"{time.perf_counter() - began:.1f} s"
    )

    bare = bare_app().run
    print(
        "each figure: the median of 15 reruns after a warm-up, against the bare one-line page "
        "timed the same way just before (the median of 3 such pairs)"
    )
    print(
        f"{'features':>8}  {'tab':22} {'ms':>8} {'bare ms':>8} {'x bare':>7}"
        f" {'cpu ms':>7} {'x bare':>7}"
    )
    for size in SIZES:
        for name, tab in TABS.items():
            f = timed_against_bare(app_at(PAGE, tokens[size], {designs.TAB_KEY: tab}).run, bare)
            over = "  over budget" if size == max(SIZES) and f.ratio > BUDGET else ""
            print(
                f"{size:>8}  {name:22} {f.page * 1000:8.1f} {f.bare * 1000:8.1f} {f.ratio:7.1f}"
                f" {f.page_cpu * 1000:7.1f} {f.cpu_ratio:7.1f}{over}"
            )
    print("cpu ms: the process's CPU time per rerun, which other processes' load moves far less")
    print(f"budget: {BUDGET:g}x the bare page at {max(SIZES)} features")


if __name__ == "__main__":
    main()
