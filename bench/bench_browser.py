"""What a user waits for, in Chromium: click-to-settled medians on the large canvas.

Budget (docs/ARCHITECTURE.md, "Budgets"): on a canvas of 300 features, 1,000 feedback
items and 100 roadmap items, opening a page from the sidebar, saving an item and
switching the ranking framework each take at most 2x the same click on a bare one-line
page served by the same server. The PDF, prepared from the Export page right after an
edit, is ready in under 1 s on the demo canvas and under 2 s on the large one.

How it is measured: one ``streamlit run`` of the app, from a copy of app.py and pages/
with two bare pages added (``Bare`` and ``Bare_too``: a line of text, a link to the
other, a button), on a fresh SQLite database holding the demo canvas and the large one.
A headless Chromium clicks; the time runs from the click until the app has run
(``data-test-script-state`` went to running and back) and no element is stale any more,
checked on every animation frame. The live boards' refresh is set to 60 s so that no
tick lands inside a measurement. Each figure is the median of ``ROUNDS`` clicks after
a warm-up click. Beside each wall time: the CPU the server process spent on the click
(from /proc) and the time Chromium's page spent on its main thread (the DevTools
``TaskDuration`` metric), which tell whether the server or the drawing is slow.

Run: ``.venv/bin/python -m bench.bench_browser`` (CHROMIUM_PATH, default
/usr/bin/chromium). Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.common import (
    ROOT,
    create_large_canvas,
    free_port,
    process_cpu_seconds,
    temp_database,
    wait_healthy,
)
from strategy_canvas import db
from strategy_canvas.demo import create_demo_canvas
from tests.browser.ui_helpers import script_finished

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROUNDS = 5
BUDGET = 2.0
PDF_BUDGETS = {"demo": 1.0, "large": 2.0}
BARE = 'import streamlit as st\n\nst.write("hello")\nst.page_link("pages/{other}.py", label="{other}")\nst.button("Click")\n'  # noqa: E501
#: the sidebar's links, in the order the benchmark opens them (label start -> heading)
PAGES = {
    "Overview": None,
    "1. Problem & audience": "Problem & audience",
    "2. Vision": "Vision",
    "3. Designs": "Designs",
    "4. Implementation": "Implementation",
    "5. Feedback, flaws & fixes": "Feedback, flaws & fixes",
    "Workshop": None,
    "Export & import": "Share the strategy",
}

#: no element left from before the run, and the app not running
SETTLED = """() => document.querySelector('[data-testid="stApp"]')
    .getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')"""


def _app_copy() -> Path:
    """app.py, pages/ and .streamlit/ copied to a temporary folder, with the bare pages."""
    folder = Path(tempfile.mkdtemp(prefix="sc-bench-app-"))
    shutil.copy(ROOT / "app.py", folder / "app.py")
    shutil.copytree(ROOT / "pages", folder / "pages")
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    (folder / "pages" / "90_Bare.py").write_text(BARE.format(other="91_Bare_too"))
    (folder / "pages" / "91_Bare_too.py").write_text(BARE.format(other="90_Bare"))
    return folder


#: the server process behind each base URL :func:`app_server` yields
SERVER_PIDS: dict[str, int] = {}


@contextmanager
def app_server(database_url: str) -> Iterator[str]:
    folder = _app_copy()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STRATEGY_CANVAS_MODE": "local",
        "STRATEGY_CANVAS_SYNC_SECONDS": "60",
    }
    log = folder / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = process.pid
    try:
        wait_healthy(url, process, timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            print("the server logged a traceback:\n" + text[-3000:])
        shutil.rmtree(folder, ignore_errors=True)


#: how a run the click started can end well: the page's run, or a fragment's alone
RUN_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class Clicker:
    """Clicks in one browser tab and times each click until the app has settled.

    A run is known to be over when the server's "script finished" message has arrived
    (read from the websocket: a quick run can start and end within one frame, leaving
    no trace in the page), and then the page has drawn it: nothing stale, nothing
    running, checked on every animation frame.
    """

    def __init__(self, page: Any, server_pid: int | None = None) -> None:
        self.page = page
        self.finished = 0
        page.on("websocket", self._listen)
        self.server_pid = server_pid
        #: (server CPU, Chromium main thread) of the last timed click, in seconds
        self.cost = (0.0, 0.0)
        self._devtools = page.context.new_cdp_session(page)
        self._devtools.send("Performance.enable")

    def _busy(self) -> tuple[float, float]:
        server = process_cpu_seconds(self.server_pid) if self.server_pid else 0.0
        metrics = self._devtools.send("Performance.getMetrics")["metrics"]
        return server, next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    def _listen(self, socket: Any) -> None:
        socket.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        # a click on a widget inside a fragment (the Prioritise tab's framework) runs
        # that fragment alone: its run is the click's run
        if script_finished(payload) in RUN_DONE:
            self.finished += 1

    def settle(self) -> None:
        """Wait until nothing is running (after a goto or a typed value)."""
        self.page.wait_for_timeout(50)
        self.page.wait_for_function(SETTLED, polling="raf", timeout=120_000)

    def time(self, click: Callable[[], object]) -> float:
        """Seconds from ``click()`` until the app has settled; its CPU in ``cost``."""
        before = self.finished
        busy = self._busy()
        began = time.perf_counter()
        click()
        deadline = began + 120
        while self.finished <= before:
            if time.perf_counter() > deadline:
                raise TimeoutError("the click started no run")
            self.page.wait_for_timeout(2)
        self.page.wait_for_function(SETTLED, polling="raf", timeout=120_000)
        seconds = time.perf_counter() - began
        after = self._busy()
        self.cost = (after[0] - busy[0], after[1] - busy[1])
        return seconds


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Samples:
    """The clicks of one action: wall time, server CPU and Chromium's main thread."""

    def __init__(self) -> None:
        self.walls: list[float] = []
        self.costs: list[tuple[float, float]] = []

    def add(self, seconds: float, clicker: Clicker) -> None:
        self.walls.append(seconds)
        self.costs.append(clicker.cost)

    @property
    def ms(self) -> float:
        return _median_ms(self.walls)

    @property
    def server_ms(self) -> float:
        return _median_ms([c[0] for c in self.costs])

    @property
    def browser_ms(self) -> float:
        return _median_ms([c[1] for c in self.costs])


def sidebar_link(page: Any, label: str) -> Any:
    sidebar = page.get_by_test_id("stSidebar")
    return sidebar.get_by_role("link", name=re.compile("^" + re.escape(label))).first


def open_pages(clicker: Clicker, base: str, token: str) -> dict[str, Samples]:
    """Click-to-settled of opening each page from the sidebar."""
    page = clicker.page
    page.goto(f"{base}/Overview?canvas={token}")
    clicker.settle()
    samples = {name: Samples() for name in PAGES}
    names = list(PAGES)
    for round_ in range(ROUNDS + 1):
        for index, name in enumerate(names):
            # from the page before it in the list (Export before Overview)
            seconds = clicker.time(lambda n=name: sidebar_link(page, n).click())
            if round_ > 0:  # the first round warms the server's caches
                samples[name].add(seconds, clicker)
            del index
    return samples


def bare_clicks(clicker: Clicker, base: str) -> tuple[float, float]:
    """(opening a bare page from a link, clicking a button on it), median ms."""
    page = clicker.page
    page.goto(f"{base}/Bare")
    clicker.settle()
    opens, buttons = [], []
    for round_ in range(ROUNDS + 1):
        for other in ("Bare_too", "Bare"):
            link = page.get_by_role("link", name=re.compile(f"91_{other}$|90_{other}$"))
            seconds = clicker.time(lambda link=link: link.first.click())
            click = clicker.time(lambda: page.get_by_role("button", name="Click").click())
            if round_ > 0:
                opens.append(seconds)
                buttons.append(click)
    return _median_ms(opens), _median_ms(buttons)


def _live(page: Any) -> Any:
    return page.locator('[data-stale="false"]')


def _choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox ``label``, retrying while a rerun closes the menu;
    a long list's picker is in a popover, opened first (its button: "label: open item")."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(10):
        folded = page.get_by_role("button", name=re.compile(re.escape(label) + ": "))
        if folded.count() and not _live(page).get_by_label(label, exact=True).count():
            folded.first.click()
        _live(page).get_by_label(label, exact=True).click()
        page.keyboard.type(option)  # long lists show only their first options
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=3_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _retitle(clicker: Clicker, title: str) -> None:
    """Type a new title into the open feature and wait until its draft is kept."""
    box = _live(clicker.page).get_by_label("Title *", exact=True)
    box.fill(title)
    box.press("Tab")
    clicker.settle()
    _live(clicker.page).get_by_role("button", name="Save", exact=True).wait_for()


def save_item(clicker: Clicker, base: str, token: str) -> Samples:
    """Click-to-settled of saving a changed feature title on the Designs page
    (a different feature each time: Feature 0, Feature 1, …), the Export page seen
    first, so that each save also asks for the PDF again (export/ready.py), as it does
    for a team that keeps editing after preparing the report."""
    page = clicker.page
    page.goto(f"{base}/Export?canvas={token}")
    clicker.settle()
    page.goto(f"{base}/Designs?canvas={token}")
    clicker.settle()
    _choose(page, "What to edit", "Features, stories & epics")
    clicker.settle()
    samples = Samples()
    for round_ in range(ROUNDS + 1):
        _choose(page, "Edit a feature", f"Feature {round_}")
        clicker.settle()
        _retitle(clicker, f"Feature {round_} (renamed)")
        seconds = clicker.time(
            lambda: _live(page).get_by_role("button", name="Save", exact=True).click()
        )
        if round_ > 0:
            samples.add(seconds, clicker)
    return samples


def switch_framework(clicker: Clicker, base: str, token: str) -> Samples:
    """Click-to-settled of switching the ranking framework on the Prioritise tab."""
    page = clicker.page
    page.goto(f"{base}/Designs?canvas={token}")
    clicker.settle()
    clicker.time(lambda: page.get_by_role("tab", name=re.compile("Prioritise")).click())
    samples = Samples()
    for round_ in range(ROUNDS + 1):
        for name in ("ICE", "RICE"):
            seconds = clicker.time(
                lambda n=name: _live(page).get_by_role("radio", name=n, exact=True).click()
            )
            if round_ > 0:
                samples.add(seconds, clicker)
    return samples


#: the personal key (``?me=``) of the person who edits and then exports
PDF_PERSON = "bench-pdf-person"


def prepare_pdf(clicker: Clicker, base: str, token: str, feature: str) -> list[float]:
    """Seconds from clicking "Prepare the export" (PDF) until the download is offered,
    each right after saving a feature on the Designs page and opening Export, as one
    person: their personal key stays in the address, as the app's links and a reload
    keep it (without it, each round was a new person, whose own edit the export they
    watch does not know as theirs)."""
    page = clicker.page
    samples = []
    title = feature
    for round_ in range(ROUNDS):
        page.goto(f"{base}/Designs?canvas={token}&me={PDF_PERSON}")
        clicker.settle()
        _choose(page, "What to edit", "Features, stories & epics")
        clicker.settle()
        _choose(page, "Edit a feature", title)
        clicker.settle()
        title = f"{feature} (take {round_})"
        _retitle(clicker, title)
        clicker.time(lambda: _live(page).get_by_role("button", name="Save", exact=True).click())
        clicker.time(lambda: sidebar_link(page, "Export & import").click())
        began = time.perf_counter()
        _live(page).get_by_role("button", name="Prepare the export").click()
        page.get_by_role("button", name=re.compile("^Download")).wait_for(timeout=120_000)
        samples.append(time.perf_counter() - began)
        clicker.settle()
    return samples


SECTIONS = ("pages", "save", "framework", "pdf")


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.bench_browser [pages] [save] [framework] [pdf]``: the sections
    to run (default: all)."""
    from playwright.sync_api import sync_playwright

    wanted = set(argv if argv is not None else sys.argv[1:]) or set(SECTIONS)

    url = temp_database()
    with db.session_scope(db.get_engine(url)) as s:
        demo = create_demo_canvas(session=s)
        demo_token, demo_feature = demo.token, None
    began = time.perf_counter()
    large = create_large_canvas(url)
    print(f"large canvas written in {time.perf_counter() - began:.1f} s")
    from strategy_canvas.services import items

    with db.session_scope(db.get_engine(url), readonly=True) as s:
        demo_feature = items.list_items(session=s, canvas_token=demo_token, kind="feature")[0]
        demo_feature_title = demo_feature.title

    with (
        app_server(url) as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(60_000)
        clicker = Clicker(context.new_page(), SERVER_PIDS[base])

        open_bare, click_bare = bare_clicks(clicker, base)
        print(
            f"\nbare one-line page: opening it from a link {open_bare:6.0f} ms, "
            f"a button click {click_bare:6.0f} ms (medians of {ROUNDS * 2})"
        )
        print(f"\nlarge canvas, median of {ROUNDS} clicks each:")
        print(f"{'':48} {'ms':>7} {'x bare':>7} {'server cpu':>11} {'chromium':>9}")

        def line(what: str, samples: Samples, bare: float) -> None:
            ms = samples.ms
            over = "  OVER budget" if ms / bare > BUDGET else ""
            print(
                f"{what:48} {ms:7.0f} {ms / bare:7.1f} {samples.server_ms:11.0f}"
                f" {samples.browser_ms:9.0f}{over}"
            )

        if "pages" in wanted:
            for name, opening in open_pages(clicker, base, large).items():
                line(f"open {name} from the sidebar", opening, open_bare)
        if "save" in wanted:
            line("save a feature (Designs)", save_item(clicker, base, large), click_bare)
        if "framework" in wanted:
            switching = switch_framework(clicker, base, large)
            line("switch framework (Prioritise)", switching, click_bare)
        print("server cpu: ms of the server process's CPU per click; chromium: ms of the")
        print("page's main thread (DevTools TaskDuration); medians")
        print(f"budget: {BUDGET:g}x the bare page")
        if "pdf" not in wanted:
            browser.close()
            return

        print("\nPDF from the Export page right after an edit (click to download offered):")
        for name, token, feature in (
            ("demo", demo_token, demo_feature_title),
            ("large", large, "Feature 20"),
        ):
            samples = prepare_pdf(clicker, base, token, feature)
            median = statistics.median(samples)
            verdict = "within" if median < PDF_BUDGETS[name] else "OVER"
            print(
                f"  {name:5} median {median:5.2f} s, max {max(samples):5.2f} s over "
                f"{len(samples)} (budget {PDF_BUDGETS[name]:g} s: {verdict})"
            )
        browser.close()


if __name__ == "__main__":
    main()
