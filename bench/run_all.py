"""Every benchmark, one after the other; each prints its own figures.

The page reruns (home page first, against a bare one-line page measured in the same
run) come first, then scoring, exports, live sync, the Designs page, and data in and
out (a tracker's import, the tracker exports, backups).
"""

from __future__ import annotations

import importlib
import time

ORDER = [
    "bench_pages",
    "bench_scoring",
    "bench_export",
    "bench_live",
    "bench_push",
    "bench_room",
    "bench_designs",
    "bench_data",
    "bench_history",
]


def main() -> None:
    for name in ORDER:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        print(f"\n=== {name} " + "=" * (60 - len(name)), flush=True)
        began = time.perf_counter()
        module.main()
        print(f"({name} took {time.perf_counter() - began:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
