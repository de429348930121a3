"""Drafts that survive anything: the person's own key (``?me=``) is in the address of
every page (home, Overview, Export, the steps, the Workshop) and in every link between
them, so a reload wherever the person is finds their unsaved edit again."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import canvases
from strategy_canvas.ui import steps
from tests.pagekit import APP, TIMEOUT, choose_kind, fill, open_page, rows, texts

PROBLEM = steps.STEPS[1].page
ELSEWHERE = ["app.py", steps.OVERVIEW.page, steps.EXPORT_PAGE, steps.WORKSHOP_PAGE]


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        return canvases.create_canvas(session=session, canvas_in={"name": "Drafts"})


def _param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return str(value[0] if isinstance(value, list) else value)


def _reload(page: str, params: dict[str, str]) -> AppTest:
    """A new browser session on the same address."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page != "app.py":
        at.switch_page(page)
    at.query_params.update(params)
    return at.run()


def _links(at: AppTest) -> list[dict[str, str]]:
    """The query parameters of every link to another page of the app on the screen."""
    found = [*at.sidebar.get("page_link"), *at.main.get("page_link")]
    return [
        {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
        for link in found
        if not link.proto.disabled
    ]


@pytest.mark.parametrize("page", ELSEWHERE)
def test_an_unsaved_edit_comes_back_after_a_reload_on_another_page(
    app_engine: Engine, canvas: models.Canvas, page: str
) -> None:
    at = choose_kind(open_page(PROBLEM, canvas=canvas.token), 1, "problem")
    fill(at, "problem", "new", {"title": "Half-written problem"})
    me = _param(at, "me")
    assert all(link.get("me") == me for link in _links(at))

    # Off to another page by its link, then a reload there: the address still holds
    # the key, and so do that page's links ...
    away = _reload(page, {"canvas": canvas.token, "me": me})
    assert not away.exception, [e.message for e in away.exception]
    assert _param(away, "me") == me
    links = _links(away)
    assert links and all(link.get("me") == me for link in links)

    # ... so the step, opened from there, finds the draft.
    back = _reload(PROBLEM, {"canvas": canvas.token, "me": me})
    choose_kind(back, 1, "problem")
    assert back.text_input(key="ed.problem.new.title").value == "Half-written problem"
    assert any("draft was restored" in i for i in texts(back, "info"))
    assert rows(app_engine, canvas.token, "problem") == []  # still only a draft


@pytest.mark.parametrize("page", ["app.py", steps.OVERVIEW.page, steps.EXPORT_PAGE])
def test_a_page_opened_without_the_key_gets_one_and_keeps_it(
    app_engine: Engine, canvas: models.Canvas, page: str
) -> None:
    at = open_page(page, canvas=canvas.token)
    me = _param(at, "me")
    assert len(me) >= 8
    at.run()
    assert _param(at, "me") == me  # the same key on every rerun of the session
