"""Driving Streamlit widgets in a real browser, robustly.

Streamlit keeps a stale copy of an element on screen until the rerun that replaces it
has finished, and a selectbox's menu closes if a rerun lands while it is open; these
helpers locate only current elements and retry a choice.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def live(page: Page, label: str) -> Locator:
    """The widget labelled ``label`` in the current run, not a stale copy."""
    return page.locator('[data-stale="false"]').get_by_label(label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox ``label`` (retrying while the page still reruns).
    A link among many items is a button naming its value ("Feature: Receipt scan")
    whose popover holds the selectbox: the button is clicked first."""
    for _ in range(10):
        # (a popover is a block, not an element: it carries no data-stale of its own)
        folded = page.get_by_role("button", name=re.compile("^" + re.escape(label) + ": "))
        box = live(page, label)
        for _ in range(100):  # the field, or the button naming its value, drawn
            if box.count() or folded.count():
                break
            page.wait_for_timeout(100)
        try:
            if not box.count():
                folded.first.click()
            box.click(timeout=5_000)
        except PlaywrightTimeout:
            continue
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=2_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def button(page: Page, name: str) -> Locator:
    return page.locator('[data-stale="false"]').get_by_role("button", name=name, exact=True)


def open_part(page: Page, part: str) -> None:
    """Open ``part`` of an editor that shows one part at a time (a segmented control)."""
    target = page.locator('[data-stale="false"]').get_by_role("radio", name=part, exact=True)
    target.click()
    expect(target).to_have_attribute("aria-checked", "true")


class ScriptRuns:
    """Counts the script runs the server finished for one tab (read from its websocket):
    what tells a page drawn by a run from one the browser patched by itself."""

    def __init__(self, page: Page) -> None:
        self.finished = 0
        #: of those, the runs that drew something: not cut short by the next run
        self.completed = 0
        #: of those, the runs of fragments alone (not the whole page)
        self.fragment_runs = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload: Any) -> None:
        status = script_finished(payload)
        if status is not None:
            self.finished += 1
            if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.completed += 1
            if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self.fragment_runs += 1


def script_finished(payload: Any) -> int | None:
    """How a script run ended (``ForwardMsg.script_finished``), if the websocket frame
    ``payload`` is the server's "script finished" message; else None."""
    if not isinstance(payload, bytes):
        return None
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:
        return None
    if message.WhichOneof("type") != "script_finished":
        return None
    return int(message.script_finished)
