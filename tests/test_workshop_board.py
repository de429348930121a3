"""The workshop's live board as HTML (ui/workshop_board.py): the vote results' bars
rank and label as the reports' chart does, every piece of user text is escaped, and
presence and hidden notes say what the markdown said."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd

from strategy_canvas import charts
from strategy_canvas.charts.workshop import vote_rows
from strategy_canvas.services import workshops
from strategy_canvas.ui import workshop_board as cards
from tests.pagekit import _Text

HOSTILE = "<script>alert(1)</script> **$5** # [x](y) & :red[z]"


def shown(body: str, cls: str | None = None) -> list[str]:
    parser = _Text()
    parser.feed(body)
    parser.close()
    return parser.by_class.get(cls, []) if cls else ["".join(parser.shown)]


def test_the_bars_rank_like_the_chart_and_tell_same_labels_apart() -> None:
    tally = pd.DataFrame(
        {
            "target_kind": ["note", "feature", "note"],
            "target_id": [1, 7, 2],
            "label": ["Same", "Plan", "Same"],
            "votes": [2, 5, 1],
        }
    )
    body = cards.tally(tally, "Vote results")
    assert shown(body, "sc-ws-label") == ["Plan", "Same", "Same (#2)"]
    assert shown(body, "sc-ws-n") == ["5", "2", "1"]
    # as long as their count, the longest the whole track
    widths = [float(w) for w in re.findall(r"width:([\d.]+)%", body)]
    assert widths == [100.0, 40.0, 20.0]
    # notes and features in the chart's colours, with a key as there are both
    colours = re.findall(r"background:(#[0-9A-F]{6})\"></div><span", body)
    assert colours == [
        charts.VOTE_KIND_COLOURS["Feature"],
        charts.VOTE_KIND_COLOURS["Note"],
        charts.VOTE_KIND_COLOURS["Note"],
    ]
    assert shown(body, "sc-ws-key") == ["FeatureNote"]
    assert list(vote_rows(tally)["item"]) == ["Plan", "Same", "Same (#2)"]  # the chart's rows


def test_the_bars_show_at_most_the_charts_limit_and_no_key_for_one_kind() -> None:
    count = charts.VOTE_CHART_LIMIT + 5
    tally = pd.DataFrame(
        {
            "target_kind": ["note"] * count,
            "target_id": list(range(count)),
            "label": [f"Idea {i}" for i in range(count)],
            "votes": list(range(count)),
        }
    )
    body = cards.tally(tally, "Votes so far")
    assert len(shown(body, "sc-ws-label")) == charts.VOTE_CHART_LIMIT
    assert shown(body, "sc-ws-label")[0] == f"Idea {count - 1}"
    assert shown(body, "sc-ws-tally-title") == ["Votes so far"]
    assert not shown(body, "sc-ws-key")


def test_user_text_is_escaped_everywhere() -> None:
    tally = pd.DataFrame(
        {"target_kind": ["note"], "target_id": [1], "label": [HOSTILE], "votes": [1]}
    )
    note = {
        "text": HOSTILE,
        "mine": False,
        "author": HOSTILE,
        "votes": 3,
        "my_votes": 1,
        "promoted_kind": None,
        "promoted_item_id": None,
    }
    board = SimpleNamespace(votes_revealed=True)
    theme = {"name": HOSTILE, "votes": 3}
    people = workshops.Presence(
        people=pd.DataFrame(
            {
                "display_name": [HOSTILE],
                "me": [False],
                "is_facilitator": [False],
                "ready": [False],
                "here": [False],
            }
        ),
        total=1,
        here=0,
        ready=0,
    )
    parts = {
        "tally": cards.tally(tally, HOSTILE),
        "note": cards.note_body(note, board),  # type: ignore[arg-type]
        "theme": cards.theme_head(theme, 1),
        "hidden": cards.hidden([{"author": HOSTILE}]),
        "feature": cards.feature_body({"title": HOSTILE, "votes": 2, "my_votes": 0}),
        "presence": cards.presence(people),
    }
    for name, body in parts.items():
        assert "<script>" not in body and "alert(1)</script>" not in body, name
        assert HOSTILE in "".join(shown(body)), name  # read back exactly as typed
    assert shown(parts["note"], "sc-ws-text") == [HOSTILE]
    assert shown(parts["note"], "sc-ws-meta") == [f"{HOSTILE} · 3 votes · you gave 1"]
    assert shown(parts["presence"], "sc-ws-gray") == [f"{HOSTILE} · away"]


def test_presence_and_hidden_notes_say_what_they_said() -> None:
    people = workshops.Presence(
        people=pd.DataFrame(
            {
                "display_name": ["Fay", "Ann", "Bo", "Cy"],
                "me": [False, True, False, False],
                "is_facilitator": [True, False, False, False],
                "ready": [False, True, False, True],
                "here": [True, True, True, False],
            }
        ),
        total=4,
        here=3,
        ready=1,
    )
    body = cards.presence(people)
    assert shown(body)[0].startswith("3 here · 1 ready · 4 joined")
    assert shown(body, "sc-ws-violet") == ["Fay"]
    assert shown(body, "sc-ws-green") == ["Ann (you)"]
    assert shown(body, "sc-ws-blue") == ["Bo"]
    assert shown(body, "sc-ws-gray") == ["Cy · away"]  # a ready flag of someone away: not ready
    assert shown(cards.presence(people, projector=True)) == ["3 here · 1 ready · 4 joined"]
    two = cards.hidden([{"author": None}, {"author": "Bo"}])
    assert shown(two, "sc-ws-meta") == ["2 notes by others, hidden until the reveal"]
    assert shown(two, "sc-ws-gray") == ["", "Bo"]
    assert cards.hidden([]) == ""
