"""Driving Streamlit widgets in a real browser, robustly.

Streamlit keeps a stale copy of an element on screen until the rerun that replaces it
has finished, and a selectbox's menu closes if a rerun lands while it is open; these
helpers locate only current elements and retry a choice.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def live(page: Page, label: str) -> Locator:
    """The widget labelled ``label`` in the current run, not a stale copy."""
    return page.locator('[data-stale="false"]').get_by_label(label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox ``label`` (retrying while the page still reruns)."""
    for _ in range(10):
        live(page, label).click()
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
