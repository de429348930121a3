"""rules/top_features.py: the features worth naming first, by RICE, never a dropped one."""

from __future__ import annotations

import pandas as pd

from strategy_canvas import scoring
from strategy_canvas.rules.top_features import left_out_note, top_features


def test_dropped_and_unscored_features_are_not_top_features() -> None:
    features = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "title": ["Best but dropped", "Second", "Unscored", "Third", "Tied second"],
            "status": ["dropped", "planned", "idea", "shipped", "building"],
            "reach": [9000, 800, None, 100, 800],
            "impact": [3.0, 2.0, 1.0, 1.0, 2.0],
            "confidence": [100, 80, 80, 50, 80],
            "effort": [1.0, 2.0, 1.0, 5.0, 2.0],
        }
    )
    ranks = scoring.rank_table(features)
    top = top_features(features, ranks)
    assert list(top["title"]) == ["Second", "Tied second", "Third"]
    # the ranks are the framework's own: the dropped feature keeps rank 1, ties share one
    assert list(top["rice_rank"]) == [2, 2, 4]
    assert list(top["status"]) == ["planned", "building", "shipped"]
    # the best-ranked feature is dropped: the list starts at rank 2, and says why
    assert left_out_note(top.head(2), features, ranks) == (
        "Numbers are RICE ranks among all features; "
        "1 dropped feature ranked among them is left out."
    )
    assert left_out_note(top.head(0), features, ranks) == ""
    kept = features.assign(status="planned")
    assert left_out_note(top_features(kept, ranks).head(3), kept, ranks) == ""


def test_no_features_no_top_features() -> None:
    empty = pd.DataFrame(columns=["id", "title", "status"])
    assert top_features(empty, scoring.rank_table(empty)).empty
