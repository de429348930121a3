"""The team deployment (`make team`, scripts/team.sh): PostgreSQL, two app processes and
nginx in front, with sticky sessions and the event stream passed through. Two people
pinned to different processes each see the other's changes, pushed across processes
by PostgreSQL's LISTEN/NOTIFY.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from strategy_canvas import db
from strategy_canvas.services import canvases
from strategy_canvas.services import workshops as ws
from tests.serving import free_ports

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "scripts" / "team.sh"
#: generous: two app processes and nginx start on a small shared machine
SEEN_MS = 8_000


@pytest.fixture
def team_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL, migrated."""
    suite = request.getfixturevalue("_pg_engine")  # skips (or fails under CI) without it
    name = f"sc_team_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(
        suite.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = suite.url.set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        db._engines.pop(url, None)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def team(team_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """scripts/team.sh start on free ports; (the proxy's address, the database URL)."""
    proxy, app_a, app_b = free_ports(3)
    env = {
        **os.environ,
        "SC_TEAM_DIR": str(tmp_path / "team"),
        "SC_TEAM_PORT": str(proxy),
        "SC_TEAM_APP_PORTS": f"{app_a} {app_b}",
        "SC_TEAM_DATABASE_URL": team_database,
        "STRATEGY_CANVAS_MODE": "shared",
    }
    started = subprocess.run(
        ["bash", str(TEAM), "start"], env=env, capture_output=True, text=True, timeout=240
    )
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        assert started.stdout.strip() == f"http://127.0.0.1:{proxy}"
        yield started.stdout.strip(), team_database
    finally:
        subprocess.run(["bash", str(TEAM), "stop"], env=env, timeout=120)
        logs = tmp_path / "team" / "log"
        for log in logs.glob("app-*.log"):
            assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]


def _pinned(chromium: Browser, url: str, backend: str, address: str) -> Page:
    """A browser whose cookie pins it to app process ``backend`` (a or b)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30_000)
    context.add_cookies([{"name": "sc_backend", "value": backend, "url": url}])
    page = context.new_page()
    reply = page.goto(address)
    assert reply is not None and reply.headers.get("x-strategy-canvas-backend") == backend
    return page


def test_two_people_on_two_processes_see_each_other(
    team: tuple[str, str], chromium: Browser
) -> None:
    url, database = team
    engine = db.make_engine(database)
    with db.session_scope(engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Team canvas"}).token
        started = ws.start_workshop(session=session, canvas_token=token, title="Two rooms")
        ann = ws.join(session=session, display_name="Ann", link_token=started.link_token).token
    engine.dispose()
    fac = _pinned(chromium, url, "a", f"{url}/Workshop?facilitator={started.facilitator_key}")
    guest = _pinned(chromium, url, "b", f"{url}/Workshop?p={ann}")
    expect(fac.get_by_role("heading", name="Facilitate")).to_be_visible()
    expect(guest.get_by_text("you are Ann (participant)")).to_be_visible()
    # The event stream answers through the proxy, pinned like the page.
    stream = guest.request.get(f"{url}/api/live/events?token=not-a-token")
    assert stream.status == 403 and stream.headers["x-strategy-canvas-backend"] == "b"

    # A write in process a (the facilitator moves on) reaches the screen served by b.
    fac.locator('[data-stale="false"]').get_by_role("button", name="Step 2: Vision").click()
    clicked = time.monotonic()
    expect(guest.get_by_role("heading", name="Step 2 of 5 · Vision")).to_be_visible(timeout=SEEN_MS)
    across_a_to_b = time.monotonic() - clicked

    # A write in process b (Ann's note) reaches the facilitator's screen served by a.
    box = guest.locator('[data-stale="false"]').get_by_label("Add a note to step 2", exact=True)
    box.fill("Cook once, eat twice")
    guest.locator('[data-stale="false"]').get_by_role("button", name="Add note").click()
    added = time.monotonic()
    expect(fac.get_by_text("Cook once, eat twice")).to_be_visible(timeout=SEEN_MS)
    across_b_to_a = time.monotonic() - added
    print(f"process a -> b: {across_a_to_b:.2f} s; process b -> a: {across_b_to_a:.2f} s")
    for page in (fac, guest):
        page.context.close()
