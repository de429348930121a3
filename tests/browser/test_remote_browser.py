"""Local mode seen from another machine: a participant who opens the app's bare address
from their laptop gets no canvas list, so no canvas token and no way to the facilitator's
seat (ui/access.py; docs/ARCHITECTURE.md, "The facilitator's seat").

The other machine is a network namespace of the test's own: the server runs inside it
on a veth address, and Chromium, outside, reaches it from the other end of the pair, so
the server sees a non-loopback client address. Needs root and iproute2 (CI has both);
skipped where namespaces cannot be made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from strategy_canvas import db, models
from strategy_canvas.services import workshops as ws
from tests.serving import wait_healthy

ROOT = Path(__file__).resolve().parents[2]
PORT = 8599


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[tuple[str, str]]:
    """(the namespace's name, the server's address inside it)."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2 to make a network namespace")
    tag = f"{os.getpid() % 100000}"
    name, host_end, ns_end = f"scr{tag}", f"scv{tag}h", f"scv{tag}n"
    subnet = 16 + os.getpid() % 200
    host_ip, ns_ip = f"10.231.{subnet}.1", f"10.231.{subnet}.2"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    try:
        for args in (
            ("link", "add", host_end, "type", "veth", "peer", "name", ns_end),
            ("link", "set", ns_end, "netns", name),
            ("addr", "add", f"{host_ip}/30", "dev", host_end),
            ("link", "set", host_end, "up"),
            ("netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_end),
            ("netns", "exec", name, "ip", "link", "set", ns_end, "up"),
            ("netns", "exec", name, "ip", "link", "set", "lo", "up"),
        ):
            done = _ip(*args)
            assert done.returncode == 0, (args, done.stderr)
        yield name, ns_ip
    finally:
        _ip("link", "del", host_end)
        _ip("netns", "del", name)


@pytest.fixture
def remote_server(
    namespace: tuple[str, str], browser_db: object, demo_canvas: models.Canvas, tmp_path: Path
) -> Iterator[str]:
    name, address = namespace
    env = {
        **os.environ,
        "DATABASE_URL": browser_db.url,  # type: ignore[attr-defined]
        "STRATEGY_CANVAS_MODE": "local",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("STRATEGY_CANVAS_ADMIN_PASSCODE", None)
    log = tmp_path / "remote.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["ip", "netns", "exec", name, sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(PORT), "--server.address", "0.0.0.0",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://{address}:{PORT}"
    try:
        try:
            wait_healthy(url, process)
        except RuntimeError as failed:
            output = log.read_text(errors="replace")[-2000:]
            pytest.fail(f"the server in the namespace: {failed}\n{output}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    assert "Traceback" not in log.read_text(errors="replace")


def test_from_another_machine_no_list_no_token_no_seat(
    remote_server: str,
    demo_canvas: models.Canvas,
    browser_db: object,
    chromium: Browser,
    tmp_path: Path,
) -> None:
    with db.session_scope(browser_db.engine) as session:  # type: ignore[attr-defined]
        started = ws.start_workshop(
            session=session, canvas_token=demo_canvas.token, title="Friday workshop"
        )
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(remote_server)
    main = page.get_by_test_id("stMainBlockContainer")
    expect(main.get_by_text("listed only on the computer this app runs on")).to_be_visible()
    html = page.content()
    assert demo_canvas.token not in html and demo_canvas.name not in main.inner_text()
    assert started.facilitator_key not in html
    # What a participant holds (the join link) opens the join form, nothing more.
    page.goto(f"{remote_server}/Workshop?join={started.link_token}")
    expect(page.get_by_role("heading", name="Join the workshop")).to_be_visible()
    assert page.get_by_role("button", name="Take over as facilitator").count() == 0
    assert demo_canvas.token not in page.content()
    page.screenshot(path=str(tmp_path / "remote-join.png"))
    context.close()
