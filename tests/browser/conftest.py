"""A real `streamlit run app.py` on a free port and a headless Chromium to drive it.

The server gets its own temporary SQLite database through DATABASE_URL. A test that
asks for ``demo_canvas`` has it written *before* the server starts, so the test's
first request can be a deep link: a server that has already served ``/`` can hide a
page that breaks when it is the first one opened.

Chromium is Debian's (Playwright cannot download its own here): CHROMIUM_PATH, by
default /usr/bin/chromium. Without it these tests skip, except under CI (CI set),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine

from strategy_canvas import db, models
from tests.serving import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 60
# A cold server imports pandas, altair and the rest on its first page: give it time.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass
class BrowserDatabase:
    url: str
    engine: Engine


@pytest.fixture
def browser_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[BrowserDatabase]:
    """A fresh migrated SQLite file for the server under test."""
    path = tmp_path / "browser.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    yield BrowserDatabase(url, engine)
    engine.dispose()


@pytest.fixture
def demo_canvas(browser_db: BrowserDatabase) -> models.Canvas:
    """The demo canvas, written before the server starts."""
    from strategy_canvas.demo import create_demo_canvas

    with db.session_scope(browser_db.engine) as session:
        return create_demo_canvas(session=session)


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(server: AppServer) -> None:
    try:
        wait_healthy(server.url, server.process, SERVER_START_SECONDS)
    except RuntimeError as failed:
        pytest.fail(f"streamlit: {failed}:\n{server.log_tail()}")


@pytest.fixture
def app_server(
    request: pytest.FixtureRequest, browser_db: BrowserDatabase, tmp_path: Path
) -> Iterator[AppServer]:
    """`streamlit run app.py` on a free port, on the test's database."""
    if "demo_canvas" in request.fixturenames:
        request.getfixturevalue("demo_canvas")  # seed first: the server must not be warm
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": browser_db.url,
        "STRATEGY_CANVAS_MODE": "local",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("STRATEGY_CANVAS_ADMIN_PASSCODE", None)
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = AppServer(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if "Traceback" in log.read_text(errors="replace"):
        pytest.fail(f"the server logged a traceback:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium through Playwright (skipped if absent, unless CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
        pytest.skip(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab (own cookies and storage) with a generous default timeout."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()
