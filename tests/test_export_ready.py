"""The export is ready when asked (export/ready.py): the Export page prepares it in the
background, again after every change of the canvas, and "Prepare the export" hands over
what was made for the canvas as it is now, never an older state."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.config import get_settings
from strategy_canvas.export import markdown, ready
from strategy_canvas.services import items
from tests.pagekit import APP, TIMEOUT, open_page

PAGE = "pages/8_Export.py"


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch, app_engine: Engine) -> Iterator[Callable[[], int]]:
    """Background preparation on (the suite runs with it off), and a count of the
    Markdown renders made, wherever they run: in this process, or as the exports the
    worker process made."""
    monkeypatch.setenv("STRATEGY_CANVAS_EXPORT_AHEAD", "true")
    get_settings.cache_clear()
    ready.forget()
    made: list[int] = []
    lock = threading.Lock()
    real = markdown.render_markdown

    def counted(**kwargs: Any) -> str:
        with lock:
            made.append(1)
        return real(**kwargs)

    monkeypatch.setattr(markdown, "render_markdown", counted)
    yield lambda: len(made) + ready.made()
    ready.settle()
    ready.forget()
    get_settings.cache_clear()


def _open_markdown(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(PAGE)
    at.query_params["canvas"] = token
    at.session_state["export.format"] = "md"
    return at.run()


def test_the_export_is_made_before_the_click_and_again_after_a_change(
    seeded: models.Canvas, app_engine: Engine, ahead: Callable[[], int]
) -> None:
    at = _open_markdown(seeded.token)
    assert not at.exception
    ready.settle()
    assert ahead() == 1, "drawing the page did not prepare the export in the background"
    at.button(key="export.prepare").click().run(timeout=60)
    assert not at.exception
    assert ahead() == 1, "the click made the export again instead of taking the one made"
    assert at.get("download_button")

    with db.session_scope(app_engine) as session:
        feature = items.list_items(session=session, canvas_token=seeded.token, kind="feature")[0]
        items.update_item(
            session=session,
            canvas_token=seeded.token,
            kind="feature",
            item_id=feature.id,
            changes={"title": "Renamed while the export page was open"},
            expected_version=feature.version,
        )
    # Any page run by anyone sees the new change counter and prepares the watched export.
    other = open_page("pages/2_Vision.py", canvas=seeded.token)
    assert not other.exception
    ready.settle()
    assert ahead() == 2, "the change did not prepare the export again"

    at.run()  # back on the Export page: the export made before the change is not offered
    assert not at.get("download_button")
    at.button(key="export.prepare").click().run(timeout=60)
    assert ahead() == 2
    prepared = at.session_state["export.result"][1].decode("utf-8")
    assert "Renamed while the export page was open" in prepared


def _wait_for(gate: Path) -> bool:
    """A busy export: done once ``gate`` exists (run in the worker process)."""
    deadline = time.monotonic() + 60
    while not gate.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _say(text: str) -> str:
    return text


def test_a_newer_state_withdraws_the_older_request_and_a_withdrawn_one_is_made_again(
    tmp_path: Path,
) -> None:
    ready.forget()
    gate = tmp_path / "gate"
    canvas = ("sqlite://", "token")
    try:
        busy = ready.prepare("busy", partial(_wait_for, gate))  # the one worker is busy
        older = ready.prepare(("token", 1), partial(_say, "state 1"), canvas=canvas)
        ready.prepare(("token", 2), partial(_say, "state 2"), canvas=canvas)
        assert older.cancelled(), "a request for an older state kept its place"
        again = ready.prepare(("token", 1), partial(_say, "state 1"), canvas=canvas)
        assert again is not older and not again.cancelled()
    finally:
        gate.touch()
        ready.settle()
    assert busy.result() is True
    assert again.result() == "state 1"
    assert ready.made() == 2, "a withdrawn request was made all the same"


def _logged(log: Path, text: str) -> str:
    """An export that notes when it is made, in ``log`` (run in the worker process)."""
    with log.open("a") as out:
        out.write(text + "\n")
    return text


def test_the_parts_of_an_export_are_made_in_order_and_withdrawn_together(
    tmp_path: Path,
) -> None:
    """A PDF's cover is a second job, made after the PDF (so the download is offered
    without waiting for the preview); a newer state withdraws both parts at once."""
    ready.forget()
    gate, log = tmp_path / "gate", tmp_path / "made"
    canvas = ("sqlite://", "token")

    def parts(revision: int) -> list[ready.Job]:
        return [
            (("token", revision), partial(_logged, log, f"report {revision}")),
            (("token", revision, "cover"), partial(_logged, log, f"cover {revision}")),
        ]

    try:
        ready.prepare("busy", partial(_wait_for, gate))  # the one worker is busy
        older = ready.prepare_all(parts(1), canvas=canvas)
        newer = ready.prepare_all(parts(2), canvas=canvas)
        assert all(future.cancelled() for future in older), "an older state kept a part"
        assert not any(future.cancelled() for future in newer)
    finally:
        gate.touch()
        ready.settle()
    assert [future.result() for future in newer] == ["report 2", "cover 2"]
    assert log.read_text().splitlines() == ["report 2", "cover 2"]
    assert ready.made() == 3


def _flaky(tries: Path) -> str:
    """Fails the first time it runs, then makes its export (counting runs in ``tries``)."""
    count = int(tries.read_text()) + 1 if tries.exists() else 1
    tries.write_text(str(count))
    if count == 1:
        raise ValueError("the first try fails")
    return "made"


def test_a_failed_export_is_made_again_when_asked(tmp_path: Path) -> None:
    ready.forget()
    tries = tmp_path / "tries"
    flaky = partial(_flaky, tries)

    first = ready.prepare("key", flaky)
    with pytest.raises(ValueError, match="first try"):
        first.result(timeout=30)
    assert ready.prepare("key", flaky).result(timeout=30) == "made"
    assert ready.prepare("key", flaky).result(timeout=30) == "made"
    assert tries.read_text() == "2"
    ready.forget()


def _where() -> tuple[int, int]:
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)


def test_the_work_runs_in_a_process_of_its_own_at_a_lower_priority() -> None:
    """An export holds neither this process's interpreter nor a core at its priority,
    and a worker process that died is replaced by the next request."""
    ready.forget()
    pid, nice = ready.prepare("where", _where).result(timeout=60)
    assert pid != os.getpid(), "the export ran in the server's own process"
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + ready.NICE)
    os.kill(pid, signal.SIGKILL)
    again, _ = ready.prepare("where again", _where).result(timeout=60)
    assert again not in (pid, os.getpid())
    ready.forget()


def _helper_nice() -> tuple[int, int]:
    """In the worker: its chart-drawing helper's pid and priority."""
    from strategy_canvas.charts import svg

    helper = svg._helper_pool()
    assert helper is not None, "the worker started no drawing helper"
    pid = helper.submit(os.getpid).result(timeout=120)
    return pid, os.getpriority(os.PRIO_PROCESS, pid)


def test_the_workers_drawing_helper_runs_and_is_hurried_at_the_workers_priority() -> None:
    """The worker draws a report's charts two at a time, in a helper process of its own:
    low like the worker, raised with it by "Prepare the export", low again after."""
    ready.forget()
    server = os.getpriority(os.PRIO_PROCESS, 0)
    low = min(19, server + ready.NICE)
    helper, nice = ready.prepare("helper", _helper_nice).result(timeout=120)
    assert helper != os.getpid() and nice == low
    ready.hurry()
    assert os.getpriority(os.PRIO_PROCESS, helper) == (server if os.geteuid() == 0 else low)
    again, nice = ready.prepare("helper again", _helper_nice).result(timeout=120)
    assert again == helper and nice == low, "the next export kept the raised priority"
    ready.forget()


def test_an_export_someone_waits_for_is_hurried_until_the_next_one() -> None:
    """ "Prepare the export" raises the worker to the server's priority (where the
    system allows it: root or CAP_SYS_NICE), and the next export runs low again."""
    ready.forget()
    server = os.getpriority(os.PRIO_PROCESS, 0)
    low = min(19, server + ready.NICE)
    pid, nice = ready.prepare("first", _where).result(timeout=60)
    assert nice == low
    ready.hurry()
    allowed = os.geteuid() == 0
    assert os.getpriority(os.PRIO_PROCESS, pid) == (server if allowed else low)
    again, nice = ready.prepare("second", _where).result(timeout=60)
    assert again == pid and nice == low, "the next export kept the raised priority"
    ready.forget()


def _slow_where(seconds: float) -> tuple[int, int]:
    time.sleep(seconds)
    return _where()


def test_an_export_waited_for_before_it_starts_starts_hurried() -> None:
    """The Export page hurries the export it shows as soon as it is drawn, which may be
    before the worker has started it (another export is under way): it then starts at
    the server's priority, where a raise before its start would have been undone."""
    ready.forget()
    server = os.getpriority(os.PRIO_PROCESS, 0)
    low = min(19, server + ready.NICE)
    ahead = ready.prepare("ahead", partial(_slow_where, 2.0))
    waited = ready.prepare("waited", _where)
    unwaited = ready.prepare("unwaited", _where)
    ready.hurry(waited)
    assert ahead.result(timeout=120)[1] in (low, server)
    assert waited.result(timeout=120)[1] == (server if os.geteuid() == 0 else low)
    assert unwaited.result(timeout=120)[1] == low, "an export nobody waits for ran hurried"
    ready.forget()


def test_a_change_by_the_person_who_watches_the_export_is_prepared_hurried() -> None:
    """The run after a person's own save prepares the export they watch at the server's
    priority (they are the one likely to ask for it next); a change anyone else made
    (a workshop's notes) is prepared at the worker's low priority."""
    ready.forget()
    server = os.getpriority(os.PRIO_PROCESS, 0)
    low = min(19, server + ready.NICE)

    def jobs_at(revision: int) -> list[ready.Job]:
        return [(("where", revision), _where)]

    ready.watch("db", "canvas", jobs_at, by="watcher's key")
    others = ready.changed("db", "canvas", 1, by="a participant's key")
    assert others is not None
    assert others[0].result(timeout=60)[1] == low, "someone else's change ran hurried"
    nobody = ready.changed("db", "canvas", 2)
    assert nobody is not None and nobody[0].result(timeout=60)[1] == low
    theirs = ready.changed("db", "canvas", 3, by="watcher's key")
    assert theirs is not None
    assert theirs[0].result(timeout=60)[1] == (server if os.geteuid() == 0 else low)
    assert ready.changed("db", "canvas", 3, by="watcher's key") is None, "made twice"
    # What the Export page asks for as it is drawn starts hurried, never at the low
    # priority first (the worker reads the mark as it starts the work); its cover after
    # it is not hurried.
    page, cover = ready.prepare_all(
        [("drawn page", _where), ("its cover", _where)], canvas=("db", "other"), hurried=True
    )
    assert page.result(timeout=60)[1] == (server if os.geteuid() == 0 else low)
    assert cover.result(timeout=60)[1] == low
    ready.forget()
