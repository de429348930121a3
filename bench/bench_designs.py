"""The Designs page's rerun time with 10, 100 and 300 features, against a bare one-line
Streamlit page timed the same way in the same run.

Both tabs are timed, since only the open one runs: *Features & sketches* (the board and
the editor, open by default) and *Prioritise* (the scoring grid, the ranking side by
side, the value-vs-effort matrix, the score bars and the robustness panel).

Budget (DESIGN.md): within 5x the bare page at 300 features. Run it with
``.venv/bin/python -m bench.bench_designs``.
"""

from __future__ import annotations

import time

from bench.common import (
    ROOT,
    bare_page_seconds,
    create_large_canvas,
    median_seconds,
    temp_database,
)
from strategy_canvas.ui import designs

PAGE = "pages/3_Designs.py"
SIZES = (10, 100, 300)
BUDGET = 5.0
TABS = {"Features & sketches": designs.TABS[0], "Prioritise": designs.TABS[1]}


def designs_seconds(token: str, tab: str, repeat: int = 15) -> float:
    """The median rerun of the Designs page with ``tab`` open, after a warm-up."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    at.query_params["canvas"] = token
    at.session_state[designs.TAB_KEY] = tab
    at.run()
    if at.exception:
        raise RuntimeError(f"{PAGE} raised: {at.exception[0].message}")
    return median_seconds(at.run, repeat=repeat)


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

    before = bare_page_seconds()
    rows = []
    for size in SIZES:
        for name, tab in TABS.items():
            seconds = designs_seconds(tokens[size], tab)
            rows.append((size, name, seconds))
    after = bare_page_seconds()  # the machine's load can drift during the run
    bare = (before + after) / 2
    print(
        f"bare one-line page: {bare * 1000:.1f} ms per rerun (median of 15, the mean of "
        f"{before * 1000:.1f} before and {after * 1000:.1f} after)"
    )
    print(f"{'features':>8}  {'tab':22} {'ms':>8} {'x bare':>7}")
    for size, name, seconds in rows:
        ratio = seconds / bare
        over = "  over budget" if size == max(SIZES) and ratio > BUDGET else ""
        print(f"{size:>8}  {name:22} {seconds * 1000:8.1f} {ratio:7.1f}{over}")
    print(f"budget: {BUDGET:g}x the bare page at {max(SIZES)} features")


if __name__ == "__main__":
    main()
