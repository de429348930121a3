"""The app in a real browser: a cold deep link, and a canvas created through the UI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from tests.reportkit import pdf_text, squash

if TYPE_CHECKING:  # fixtures' types; tests/ is not a package
    from conftest import AppServer, BrowserDatabase


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def test_a_deep_link_is_the_first_request(
    demo_canvas: models.Canvas, app_server: AppServer, page: Page
) -> None:
    page.goto(f"{app_server.url}/Vision?canvas={demo_canvas.token}")

    expect(page.get_by_role("heading", name="Vision", exact=True, level=1)).to_be_visible()
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    nav = sidebar(page)
    expect(nav.get_by_text(demo_canvas.name)).to_be_visible()
    expect(nav.get_by_text(demo_canvas.product, exact=True)).to_be_visible()
    for label in [
        "Overview",
        "1. Problem & audience",
        "2. Vision",
        "3. Designs",
        "4. Implementation",
        "5. Feedback, flaws & fixes",
        "All canvases",
    ]:
        expect(nav.get_by_role("link", name=re.compile(re.escape(label)))).to_be_visible()
    expect(page.get_by_text("Goals", exact=False).first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0

    # Following a sidebar link keeps the canvas open and in the address bar.
    nav.get_by_role("link", name=re.compile("3. Designs")).click()
    expect(page.get_by_role("heading", name="Designs", exact=True, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/Designs\?canvas={re.escape(demo_canvas.token)}"))
    expect(nav.get_by_text(demo_canvas.name)).to_be_visible()


def test_a_bad_deep_link_says_so(app_server: AppServer, page: Page) -> None:
    page.goto(f"{app_server.url}/Designs?canvas=not-a-real-canvas-token")
    expect(page.get_by_text("No canvas has this link")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0


def test_create_a_canvas_then_open_it(
    app_server: AppServer, browser_db: BrowserDatabase, page: Page
) -> None:
    page.goto(app_server.url)
    expect(page.get_by_text("No canvases yet — create the first one.")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Browser-made strategy")
    page.get_by_label("Product", exact=True).fill("Lighthouse")
    page.get_by_role("button", name="Create canvas").click()
    # the new canvas opens where its work starts, and says it was created
    expect(page.get_by_role("heading", name="Problem & audience", level=1)).to_be_visible()
    expect(page.get_by_text("Created “Browser-made strategy”")).to_be_visible()
    expect(sidebar(page).get_by_text("Browser-made strategy")).to_be_visible()

    with db.session_scope(browser_db.engine, readonly=True) as session:
        [row] = canvases.list_canvases(session=session)
    assert (row.name, row.product) == ("Browser-made strategy", "Lighthouse")
    assert parse_qs(urlparse(page.url).query)["canvas"] == [row.token]

    page.reload()  # the address holds the canvas: a reload stays on it
    expect(page.get_by_role("heading", name="Problem & audience", level=1)).to_be_visible()
    expect(page.get_by_text("Created “Browser-made strategy”")).to_have_count(0)

    sidebar(page).get_by_role("link", name="All canvases").click()
    card = page.locator(f".st-key-canvas_{row.id}")  # the card's container key
    expect(card).to_be_visible()
    expect(card.get_by_text("Lighthouse")).to_be_visible()

    card.get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", name="Browser-made strategy", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/Overview\?canvas="))
    token = parse_qs(urlparse(page.url).query)["canvas"][0]
    assert token == row.token

    # The canvas's own link, opened in a new tab, reaches it directly.
    other = page.context.new_page()
    other.goto(f"{app_server.url}/Problem_and_audience?canvas={token}")
    expect(other.get_by_role("heading", name="Problem & audience", level=1)).to_be_visible()
    expect(sidebar(other).get_by_text("Browser-made strategy")).to_be_visible()


def test_prepare_the_pdf_then_download_it(
    demo_canvas: models.Canvas, app_server: AppServer, page: Page
) -> None:
    """The report a stakeholder gets: prepared from the Export page, offered for
    download (a real PDF of this canvas), its cover previewed beside it."""
    page.goto(f"{app_server.url}/Export?canvas={demo_canvas.token}")
    expect(page.get_by_role("heading", name="Share the strategy", level=1)).to_be_visible()
    page.get_by_role("button", name="Prepare the export").click()
    download_button = page.get_by_role("button", name=re.compile(r"^Download .*\.pdf$"))
    expect(download_button).to_be_visible(timeout=90_000)  # a cold vl-convert and Typst
    expect(page.get_by_text(re.compile(r"^Ready: [\d,]+ bytes, in"))).to_be_visible()
    expect(page.get_by_text("The first page of the report")).to_be_visible(timeout=30_000)
    cover = page.get_by_test_id("stImage").locator("img")
    expect(cover).to_be_visible()
    assert cover.evaluate("img => img.complete && img.naturalWidth") > 200
    with page.expect_download() as info:
        download_button.click()
    path = info.value.path()
    assert path is not None
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    assert info.value.suggested_filename.endswith(".pdf")
    assert page.get_by_test_id("stException").count() == 0


@pytest.fixture
def export_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server prepares exports ahead of the click, as in production (the suite turns
    it off); requested before ``app_server``, which reads the environment as it starts."""
    monkeypatch.setenv("STRATEGY_CANVAS_EXPORT_AHEAD", "true")


def _download_pdf(page: Page, tmp_path: Path) -> str:
    """Click "Prepare the export", download the PDF offered and return its text."""
    page.get_by_role("button", name="Prepare the export").click()
    button = page.get_by_role("button", name=re.compile(r"^Download .*\.pdf$"))
    expect(button).to_be_visible(timeout=90_000)
    with page.expect_download() as info:
        button.click()
    path = info.value.path()
    assert path is not None
    return squash(pdf_text(Path(path).read_bytes(), tmp_path))


def test_a_pdf_made_ahead_is_never_older_than_the_canvas(
    export_ahead: None,
    demo_canvas: models.Canvas,
    app_server: AppServer,
    browser_db: BrowserDatabase,
    page: Page,
    tmp_path: Path,
) -> None:
    """ "Prepare the export" runs only its own part of the page (a fragment), which reads
    the canvas's change counter again: an edit made after the page was drawn, and after
    a PDF was prepared from it, is in the next PDF, not the one made before it."""
    page.goto(f"{app_server.url}/Export?canvas={demo_canvas.token}")
    expect(page.get_by_role("heading", name="Share the strategy", level=1)).to_be_visible()
    with db.session_scope(browser_db.engine, readonly=True) as session:
        feature = items.list_items(session=session, canvas_token=demo_canvas.token, kind="feature")[
            0
        ]
    first = _download_pdf(page, tmp_path)
    assert squash(feature.title) in first
    # The download saved a version, said in the part of the page that ran.
    expect(page.get_by_text(re.compile("^Saved as version"))).to_be_visible()

    # Someone else renames the feature; this page is not run again by it.
    renamed = "Quokka-safe onboarding checklist"
    with db.session_scope(browser_db.engine) as session:
        items.update_item(
            session=session,
            canvas_token=demo_canvas.token,
            kind="feature",
            item_id=feature.id,
            changes={"title": renamed},
            expected_version=feature.version,
        )
    second = _download_pdf(page, tmp_path)
    assert squash(renamed) in second and squash(renamed) not in first
    assert page.get_by_test_id("stException").count() == 0
