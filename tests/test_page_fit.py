"""Pages that fit: beside the editor the board's tables show the columns that fit, and
every column when the board is widened; long text folds under "Show more"; the sidebar's
links carry no tooltip to linger over the next link; a conflict is compared in words,
not in a narrow table. (The screenshots at 1024, 1280 and 1440 px are looked at by hand;
these tests hold what the code decides.)"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import board, designs, feedback, implementation, steps
from tests.pagekit import open_page, texts

LONG = " ".join(f"Word{i:04d}" for i in range(560))  # 5,039 characters


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Fit"})
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="problem",
            data={"title": "A long problem", "statement": LONG, "impact": "Costly"},
        )
        return canvas


def test_a_long_text_folds_under_show_more(app_engine: Engine, canvas: models.Canvas) -> None:
    at = open_page(steps.STEPS[1].page, canvas=canvas.token)
    # the board's cards (the step's checks name the problem too, in a card of their own)
    [cards] = [t for t in texts(at, "html") if "A long problem" in t and "sc-missing" not in t]
    shown, folded = cards.split('<details class="sc-more">')
    shown_text = html.unescape(re.sub(r"<[^>]+>", "", shown))
    assert shown_text.startswith("A long problem")
    assert len(shown_text) < board.FOLD_CHARS + 200 and shown_text.endswith(" …")
    assert '<details class="sc-more" open' not in cards, "folded until the person opens it"
    summary, rest = folded.split("</summary>")
    assert summary == "<summary>Show more"
    rest_text = html.unescape(re.sub(r"<[^>]+>", " ", rest))
    assert "Word0559" in rest_text and "Costly" in rest_text  # nothing lost
    assert "Word0559" not in shown_text


def test_beside_the_editor_the_tables_show_what_fits_and_wide_shows_all(
    seeded: models.Canvas,
) -> None:
    at = open_page(steps.STEPS[3].page, canvas=seeded.token)
    [features] = [d for d in at.dataframe if "RICE" in d.value.columns]
    assert list(features.proto.column_order) == designs._FEATURES_COMPACT
    assert {"Persona", "Goal"} <= set(features.proto.column_order)

    at.toggle(key="layout.wide_board").set_value(True).run()
    [features] = [d for d in at.dataframe if "RICE" in d.value.columns]
    assert list(features.proto.column_order) == designs._FEATURES_FULL


@pytest.mark.parametrize(
    ("step", "section", "marker", "compact"),
    [
        (4, None, "Mitigation", implementation._RISKS_COMPACT),
        (5, "feedback", "Mood", feedback.FEEDBACK_COMPACT),
        (5, "flaw", "Fix owner", feedback.FLAWS_COMPACT),
        (5, "kpi_reading", "Progress", feedback.KPIS_COMPACT),
    ],
)
def test_the_board_tables_beside_the_editor(
    seeded: models.Canvas, step: int, section: str | None, marker: str, compact: list[str]
) -> None:
    at = open_page(steps.STEPS[step].page, canvas=seeded.token)
    if section is not None:  # step 5's board shows one section at a time
        at.session_state[feedback.BOARD_VIEW_KEY] = section
        at.run()
    [table] = [d for d in at.dataframe if marker in d.proto.column_order]
    assert list(table.proto.column_order) == compact


def test_the_sidebar_links_carry_no_lingering_tooltip(seeded: models.Canvas) -> None:
    at = open_page(steps.OVERVIEW.page, canvas=seeded.token)
    links = at.sidebar.get("page_link")
    assert links and all(not link.proto.help for link in links)


def test_the_board_heading_stays_with_its_board_when_the_columns_stack(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    """On a narrow screen the editor goes first and the board under it: the board's
    heading (and its Wide board toggle) must go with the board, not stay above the editor."""
    at = open_page(steps.STEPS[1].page, canvas=canvas.token)
    holders = [c for c in at.columns if "The board" in texts(c, "subheader")]
    assert holders, "no column holds the board's heading"
    board_column = holders[0]
    assert any("A long problem" in t for t in texts(board_column, "html"))  # its cards
    assert "Edit" not in texts(board_column, "subheader")
    assert board_column.toggle, "the Wide board toggle is not beside the board's heading"


HOSTILE = "<script>alert(1)</script> **bold** # $x$ [x](y) & :red[no]"


def test_cards_show_hostile_text_as_typed(app_engine: Engine, canvas: models.Canvas) -> None:
    """A card is HTML: user text in it is escaped, shown as typed, never markup."""
    with db.session_scope(app_engine) as session:
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="persona",
            data={"name": HOSTILE, "jobs": f"{HOSTILE}\nsecond line", "pains": "<b>p</b>"},
        )
    at = open_page(steps.STEPS[1].page, canvas=canvas.token)
    [cards] = [t for t in texts(at, "html") if html.escape(HOSTILE) in t]
    assert "<script>" not in cards and "<b>p</b>" not in cards
    assert cards.count(html.escape(HOSTILE)) == 2  # the name and the jobs
    assert "&lt;b&gt;p&lt;/b&gt;" in cards and "second line" in cards
    shown = html.unescape(re.sub(r"<[^>]+>", "", cards))
    assert HOSTILE in shown
