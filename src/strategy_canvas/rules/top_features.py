"""The features worth naming first: the highest RICE score among those still in play.

A dropped feature is not a top feature, and neither is one without a RICE score; the
rest come in RICE order (:func:`strategy_canvas.scoring.ranked_by`). The Overview names
the first five and the report's summary the first three: both the first of this list.
"""

from __future__ import annotations

import pandas as pd

from strategy_canvas import scoring

#: the statuses of features no longer in play
OUT_OF_PLAY = ("dropped",)


def top_features(features: pd.DataFrame, ranks: pd.DataFrame) -> pd.DataFrame:
    """``ranks`` (the :func:`scoring.rank_table` of ``features``) narrowed to the top
    features, best first, with the feature's ``status`` beside its ``rice_score`` and
    ``rice_rank``."""
    if features.empty or ranks.empty:
        return ranks.assign(status=pd.Series(dtype=object))
    status = dict(zip(features["id"], features["status"], strict=True))
    table = ranks.assign(status=ranks["id"].map(status))
    live = table[~table["status"].isin(OUT_OF_PLAY) & table["rice_score"].notna()]
    return scoring.ranked_by(live, "rice")


def left_out_note(top: pd.DataFrame, features: pd.DataFrame, ranks: pd.DataFrame) -> str:
    """Why the ranks of the top features shown (``top``, the first of
    :func:`top_features`) skip a number, when they do: the features out of play ranked
    among them. "" when nothing is skipped."""
    if top.empty:
        return ""
    last = top["rice_rank"].max()
    out = set(features.loc[features["status"].isin(OUT_OF_PLAY), "id"])
    skipped = int((ranks["rice_rank"].le(last) & ranks["id"].isin(out)).sum())
    if not skipped:
        return ""
    noun = (
        "dropped feature ranked among them is"
        if skipped == 1
        else "dropped features ranked among them are"
    )
    return f"Numbers are RICE ranks among all features; {skipped} {noun} left out."
