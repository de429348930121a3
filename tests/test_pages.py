"""Every page through Streamlit's AppTest, on a temporary SQLite database per test.

A page is run the way a deep link runs it on a server: the app's entry (app.py) is the
main script and only the page's own file runs (``switch_page`` before the first run).
Pages are also run as the main script themselves, as the benchmarks do. The home page's
forms are driven like a user would, and every write is checked in the database through
the services.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.config import get_settings
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import setup, steps
from strategy_canvas.ui.text import md
from tests.pagekit import (
    APP,
    ROOT,
    TIMEOUT,
    _Text,
    all_text,
    html_text,
    no_exception,
    open_page,
    rendered,
    texts,
)

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
ALL_PAGES = ["app.py", *PAGES]


def list_all(engine: Engine) -> list[canvases.CanvasSummary]:
    with db.session_scope(engine, readonly=True) as session:
        return canvases.list_canvases(session=session, include_archived=True)


def get(engine: Engine, token: str) -> models.Canvas:
    with db.session_scope(engine, readonly=True) as session:
        return canvases.get_canvas(session=session, canvas_token=token)


# ------------------------------------------------------------------- every page runs


@pytest.mark.parametrize("as_main", [False, True], ids=["deep-link", "as-main"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_without_a_canvas(app_engine: Engine, page: str, as_main: bool) -> None:
    at = open_page(page, as_main=as_main)
    no_exception(at)
    assert texts(at, "title"), "every page has a heading"
    if page == "app.py":
        assert "No canvases yet — create the first one." in texts(at, "info")
    else:
        assert any("No canvas is open" in t for t in texts(at, "info"))
    assert html_text(at.sidebar, "sc-side-app") == ["🧭 Strategy Canvas"]
    assert "No canvas is open." in html_text(at.sidebar)[0]


@pytest.mark.parametrize("as_main", [False, True], ids=["deep-link", "as-main"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_with_a_canvas(seeded: models.Canvas, page: str, as_main: bool) -> None:
    at = open_page(page, canvas=seeded.token, as_main=as_main)
    no_exception(at)
    assert not at.warning, texts(at, "warning")
    assert html_text(at.sidebar, "sc-side-canvas") == [seeded.name]
    assert at.query_params.get("canvas") == seeded.token
    if page == "app.py":
        assert md(seeded.name) in "\n".join(texts(at, "markdown"))
        return
    if not as_main:  # the sidebar links pass the canvas on
        links = at.sidebar.get("page_link")
        assert len(links) == 10
        assert all(f"canvas={seeded.token}" in link.proto.query_string for link in links[:9])
    step = next((s for s in [steps.OVERVIEW, *steps.STEPS.values()] if s.page == page), None)
    if step is not None and step.number:  # a step's header is one st.html, its h1 in it
        assert html_text(at, "sc-step-of") == [f"Step {step.number} of {len(steps.STEPS)}"]
        assert html_text(at, "sc-step-title") == [step.title]
        assert html_text(at, "sc-step-purpose") == [step.purpose]
        assert not texts(at, "title")  # the page's one heading of the first level
        return
    title = texts(at, "title")[0]
    if page == steps.WORKSHOP_PAGE:
        assert title == "Workshop"
        return
    if page == steps.EXPORT_PAGE:
        assert title == "Share the strategy"
        return
    if page == steps.HISTORY_PAGE:
        assert title == md(seeded.name)
        return
    assert step is steps.OVERVIEW
    assert title == md(seeded.name)


def test_a_step_header_shows_its_text_as_typed() -> None:
    from strategy_canvas.ui.step_views import header_html

    hostile = "<script>alert(1)</script> **bold** # $x$ [x](y)"
    body = header_html(1, 5, hostile, hostile)
    assert "<script>" not in body
    parser = _Text()
    parser.feed(body)
    assert parser.by_class["sc-step-title"] == [hostile]
    assert parser.by_class["sc-step-purpose"] == [hostile]


@pytest.mark.parametrize("step", list(steps.STEPS))
def test_step_page_lists_each_item_type(seeded: models.Canvas, step: int) -> None:
    at = open_page(steps.STEPS[step].page, canvas=seeded.token)
    no_exception(at)
    # Every item type of the step can be edited on its page ...
    editable = at.selectbox(key=f"step{step}.edit_kind").options
    for spec in items.ITEM_TYPES.values():
        if spec.step == step:
            assert spec.plural in editable
    # ... and the live board shows the step's items.
    # (the step's purpose, once a markdown element, is in the header's html)
    assert at.dataframe or len(texts(at, "markdown")) + len(html_text(at, "sc-step-purpose")) > 5


def test_step_page_shows_an_empty_state_per_type(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    at = open_page(steps.STEPS[1].page, canvas=token)
    no_exception(at)
    captions = " ".join(texts(at, "caption"))
    assert "No problem yet — start by writing the problem in the editor." in captions
    for spec in items.ITEM_TYPES.values():
        if spec.step == 1 and spec.key != "problem":
            assert f"No {spec.plural.lower()} yet" in captions
    assert not at.dataframe


@pytest.mark.parametrize("as_main", [False, True], ids=["deep-link", "as-main"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_with_a_bad_link(app_engine: Engine, page: str, as_main: bool) -> None:
    at = open_page(page, canvas="no-such-canvas-token", as_main=as_main)
    no_exception(at)
    assert setup.BAD_LINK in texts(at, "warning")


def test_markup_in_a_link_is_not_looked_up(app_engine: Engine) -> None:
    at = open_page(steps.STEPS[2].page, canvas="<script>alert(1)</script>' OR 1=1")
    no_exception(at)
    assert setup.BAD_LINK in texts(at, "warning")


def test_the_open_canvas_follows_to_the_next_page(seeded: models.Canvas) -> None:
    at = open_page(steps.STEPS[2].page, canvas=seeded.token)
    at.query_params.clear()  # a link without ?canvas=
    at.switch_page(steps.STEPS[3].page).run()
    no_exception(at)
    assert html_text(at, "sc-step-title") == [steps.STEPS[3].title]
    assert at.query_params.get("canvas") == seeded.token  # put back in the address


def test_a_deleted_canvas_leaves_a_clear_message(seeded: models.Canvas, app_engine: Engine) -> None:
    at = open_page(steps.STEPS[1].page, canvas=seeded.token)
    with db.session_scope(app_engine) as session:
        canvases.delete_canvas(session=session, canvas_token=seeded.token, confirm_name=seeded.name)
    at.query_params.clear()
    at.switch_page(steps.STEPS[2].page).run()
    no_exception(at)
    assert setup.GONE in texts(at, "warning")


# ------------------------------------------------------------------------ the home page


def home(canvas: str | None = None) -> AppTest:
    at = open_page("app.py", canvas=canvas)
    no_exception(at)
    return at


def test_home_says_what_the_product_is_for(app_engine: Engine) -> None:
    at = home()
    assert any("five guided steps" in t for t in texts(at, "markdown"))


def test_create_a_canvas(app_engine: Engine) -> None:
    at = home()
    at.text_input(key="create_name").set_value("Checkout redesign")
    at.text_input(key="create_product").set_value("Shop")
    at.text_area(key="create_description").set_value("Fewer abandoned carts.")
    at.button(key="create_submit").click().run()
    no_exception(at)
    [row] = list_all(app_engine)
    assert (row.name, row.product) == ("Checkout redesign", "Shop")
    assert get(app_engine, row.token).description == "Fewer abandoned carts."
    # the new canvas opens at its step 1, which says it was created
    assert at.query_params["canvas"] == row.token
    assert any("Step 1 of 5" in t and "Problem & audience" in t for t in html_text(at))
    assert any("Created “Checkout redesign”" in t for t in texts(at, "success"))
    at = home()  # back home: listed, and the form is ready for the next
    assert "**Checkout redesign**" in texts(at, "markdown")
    assert at.text_input(key="create_name").value == ""


def test_a_canvas_name_is_shown_as_typed_in_the_messages(app_engine: Engine) -> None:
    name = "Q3 **launch** [plan](https://evil.example) <b>x</b>"
    at = home()
    at.text_input(key="create_name").set_value(name)
    at.button(key="create_submit").click().run()
    no_exception(at)
    [created] = texts(at, "success")
    assert created.startswith(f"Created “{md(name)}”")  # Markdown-escaped: shown, not run
    [row] = list_all(app_engine)
    at = home()
    at.button(key=f"duplicate_{row.id}").click().run()
    no_exception(at)
    assert any(f"Duplicated “{md(name)}”" in t for t in texts(at, "success"))


@pytest.mark.parametrize(
    ("name", "message"),
    [("x" * 121, "must be at most 120 characters"), ("   ", "is required")],
    ids=["too-long", "blank"],
)
def test_create_rejects_a_bad_name_naming_the_field(
    app_engine: Engine, name: str, message: str
) -> None:
    at = home()
    at.text_input(key="create_name").set_value(name)
    at.button(key="create_submit").click().run()
    no_exception(at)
    [error] = texts(at, "error")
    assert "**Name**" in error and message in error
    assert list_all(app_engine) == []
    assert at.text_input(key="create_name").value == name  # what was typed is kept


def test_rename_a_canvas(seeded: models.Canvas, app_engine: Engine) -> None:
    at = home()
    at.text_input(key=f"rename_name_{seeded.id}").set_value("Renamed strategy")
    at.button(key=f"rename_submit_{seeded.id}").click().run()
    no_exception(at)
    canvas = get(app_engine, seeded.token)
    assert (canvas.name, canvas.version) == ("Renamed strategy", seeded.version + 1)
    assert any("Renamed" in t for t in texts(at, "success"))


def test_rename_after_someone_else_renamed_is_a_conflict(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = home()
    at.text_input(key=f"rename_name_{seeded.id}").set_value("My name")
    with db.session_scope(app_engine) as session:  # someone else, meanwhile
        canvases.rename_canvas(
            session=session,
            canvas_token=seeded.token,
            name="Their name",
            expected_version=seeded.version,
        )
    at.button(key=f"rename_submit_{seeded.id}").click().run()
    no_exception(at)
    [warning] = texts(at, "warning")
    assert "changed by someone else" in warning and "Their name" in warning
    assert get(app_engine, seeded.token).name == "Their name"  # nothing overwritten
    # A second save is a deliberate choice: it replaces their name.
    at.button(key=f"rename_submit_{seeded.id}").click().run()
    no_exception(at)
    assert get(app_engine, seeded.token).name == "My name"


def test_rename_follows_a_change_when_nothing_was_typed(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = home()
    with db.session_scope(app_engine) as session:
        canvases.rename_canvas(
            session=session,
            canvas_token=seeded.token,
            name="Their name",
            expected_version=seeded.version,
        )
    at.run()
    assert at.text_input(key=f"rename_name_{seeded.id}").value == "Their name"
    at.text_input(key=f"rename_name_{seeded.id}").set_value("Mine")
    at.button(key=f"rename_submit_{seeded.id}").click().run()
    assert not at.warning
    assert get(app_engine, seeded.token).name == "Mine"


def test_duplicate_a_canvas(seeded: models.Canvas, app_engine: Engine) -> None:
    at = home()
    at.button(key=f"duplicate_{seeded.id}").click().run()
    no_exception(at)
    names = sorted(row.name for row in list_all(app_engine))
    assert names == sorted([seeded.name, f"{seeded.name} (copy)"[:120]])
    assert any("Duplicated" in t for t in texts(at, "success"))


def test_archive_and_restore_a_canvas(seeded: models.Canvas, app_engine: Engine) -> None:
    at = home()
    at.button(key=f"archive_{seeded.id}").click().run()
    no_exception(at)
    assert get(app_engine, seeded.token).archived_at is not None
    assert [e.label for e in at.expander][-1] == "Archived canvases (1)"
    assert "No canvases yet — create the first one." in texts(at, "info")
    at.button(key=f"restore_{seeded.id}").click().run()
    no_exception(at)
    assert get(app_engine, seeded.token).archived_at is None
    assert not any(e.label.startswith("Archived") for e in at.expander)


def test_delete_needs_the_name_typed(seeded: models.Canvas, app_engine: Engine) -> None:
    at = home()
    at.text_input(key=f"delete_confirm_{seeded.id}").set_value("not the name")
    at.button(key=f"delete_submit_{seeded.id}").click().run()
    no_exception(at)
    [error] = texts(at, "error")
    assert "**Confirmation**" in error
    assert len(list_all(app_engine)) == 1

    at.text_input(key=f"delete_confirm_{seeded.id}").set_value(seeded.name)
    at.button(key=f"delete_submit_{seeded.id}").click().run()
    no_exception(at)
    assert list_all(app_engine) == []
    assert any("Deleted" in t for t in texts(at, "success"))
    assert "No canvases yet — create the first one." in texts(at, "info")


# ------------------------------------------------------------------------------ access


@pytest.mark.parametrize(
    ("address", "listed"),
    [(None, True), ("127.0.0.1", True), ("::1", True), ("192.0.2.7", False), ("fe80::1", False)],
)
def test_local_mode_lists_the_canvases_only_on_this_machine(
    seeded: models.Canvas, monkeypatch: pytest.MonkeyPatch, address: str | None, listed: bool
) -> None:
    """A participant who opens the app's bare address from their laptop must not get every
    canvas's token, and with it the facilitator's seat (ui/access.py)."""
    from strategy_canvas.ui import access

    monkeypatch.setattr(access, "client_address", lambda: address)
    at = home()
    no_exception(at)
    shown = all_text(at)
    assert (md(seeded.name) in shown) is listed
    assert (seeded.token in rendered(at)) is listed
    if not listed:
        assert any("listed only on the computer this app runs on" in t for t in texts(at, "info"))
        # the canvas's own link still opens it (its token is the owner's secret)
        again = open_page(steps.STEPS[2].page, canvas=seeded.token)
        no_exception(again)
        assert html_text(again, "sc-step-title") == [steps.STEPS[2].title]


def test_only_a_page_that_needs_it_asks_where_the_visitor_is(
    seeded: models.Canvas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the visitor may list every canvas is asked when a view shows it (the home
    page, a page with no canvas open), not on every rerun of every page."""
    from strategy_canvas.ui import access

    asked: list[str] = []

    def remote() -> str:
        asked.append("asked")
        return "192.0.2.7"

    monkeypatch.setattr(access, "client_address", remote)
    at = open_page(steps.STEPS[3].page, canvas=seeded.token)
    at.run()
    no_exception(at)
    assert asked == []

    without = open_page(steps.STEPS[3].page)
    no_exception(without)
    assert asked == ["asked"]
    assert "Open the link to your canvas that you were given." in " ".join(texts(without, "info"))


@pytest.fixture
def shared_mode(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATEGY_CANVAS_MODE", "shared")
    monkeypatch.setenv("STRATEGY_CANVAS_ADMIN_PASSCODE", "open sesame")
    get_settings.cache_clear()


def test_shared_mode_hides_the_list_until_the_passcode(
    shared_mode: None, seeded: models.Canvas
) -> None:
    at = home()
    assert md(seeded.name) not in all_text(at)
    at.text_input(key="admin_passcode").set_value("guess")
    at.button(key="unlock_submit").click().run()
    assert "That passcode is not right." in texts(at, "error")
    assert md(seeded.name) not in all_text(at)

    at.text_input(key="admin_passcode").set_value("open sesame")
    at.button(key="unlock_submit").click().run()
    no_exception(at)
    assert f"**{md(seeded.name)}**" in texts(at, "markdown")


def test_shared_mode_opens_a_canvas_by_its_link(shared_mode: None, seeded: models.Canvas) -> None:
    at = open_page(steps.STEPS[2].page, canvas=seeded.token)
    no_exception(at)
    assert html_text(at, "sc-step-title") == [steps.STEPS[2].title]
    assert html_text(at.sidebar, "sc-side-canvas") == [seeded.name]


def test_shared_mode_with_login_configured(shared_mode: None, seeded: models.Canvas) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://example.invalid/.well-known",
    }
    at.user = {"is_logged_in": False}
    at.run()
    no_exception(at)
    assert at.button(key="login")
    assert md(seeded.name) not in all_text(at)

    at.user = {"is_logged_in": True, "email": "admin@example.com"}
    at.run()
    no_exception(at)
    assert f"**{md(seeded.name)}**" in texts(at, "markdown")


# ---------------------------------------------------------------------------- helpers


def test_relative_time_reads_like_speech() -> None:
    from datetime import UTC, datetime, timedelta

    from strategy_canvas.ui.timefmt import relative_time

    now = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
    assert relative_time(now - timedelta(seconds=10), now) == "just now"
    assert relative_time(now - timedelta(minutes=1), now) == "1 minute ago"
    assert relative_time(now - timedelta(minutes=5), now) == "5 minutes ago"
    assert relative_time(now - timedelta(hours=3), now) == "3 hours ago"
    assert relative_time(now - timedelta(days=1, hours=1), now) == "yesterday"
    assert relative_time(now - timedelta(days=4), now) == "4 days ago"
    assert relative_time(datetime(2026, 7, 3, 9, 0), now) == "on 3 Jul"  # naive = UTC
    assert relative_time(datetime(2025, 7, 3, 9, 0, tzinfo=UTC), now) == "on 3 Jul 2025"


def test_user_text_is_shown_as_typed() -> None:
    assert md("**Q3** [x](javascript:alert(1)) :red[hi] $1") == (
        r"\*\*Q3\*\* \[x\]\(javascript\:alert\(1\)\) \:red\[hi\] \$1"
    )


def test_links_fall_back_to_the_url_path() -> None:
    from strategy_canvas.ui.links import url_path

    assert [url_path(s.page) for s in steps.STEPS.values()] == [
        "Problem_and_audience",
        "Vision",
        "Designs",
        "Implementation",
        "Feedback",
    ]
    assert url_path(steps.OVERVIEW.page) == "Overview"
    assert url_path("app.py") == ""


def test_the_sidebar_shows_a_hostile_canvas_name_as_typed(app_engine: Engine) -> None:
    """The sidebar's header is HTML: the canvas's name and product show as typed."""
    hostile = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no] <b>b</b>"
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(
            session=session, canvas_in={"name": f"N {hostile}", "product": f"P {hostile}"}
        )
    at = open_page(steps.STEPS[1].page, canvas=canvas.token)
    no_exception(at)
    [header] = [t for t in texts(at.sidebar, "html") if "sc-side" in t]
    assert "<script>" not in header and "<b>b</b>" not in header
    assert html_text(at.sidebar, "sc-side-canvas") == [f"N {hostile}"]
    assert f"P {hostile}" in html_text(at.sidebar)[0]
    assert "Complete: 0%" in html_text(at.sidebar)[0]
