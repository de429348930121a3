"""Features and the roadmap as CSV.

:func:`features_csv` (every feature with every score and the titles it links to) and
:func:`roadmap_csv`. Both write UTF-8 with a header row. A text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a
spreadsheet shows it instead of running it as a formula (OWASP's advice for CSV
injection); the backlog reader (``export/backlog``) takes that ``'`` off again, so our
own exports re-import unchanged. Importing a backlog CSV is ``export/backlog``'s work.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlmodel import Session

from strategy_canvas.export.backlog.reading import FORMULA_START
from strategy_canvas.services import snapshot

# ----------------------------------------------------------------------- export

FEATURE_COLUMNS = [
    "id",
    "title",
    "kind",
    "status",
    "description",
    "persona",
    "goal",
    "epic",
    "reach",
    "reach_low",
    "reach_high",
    "impact",
    "confidence",
    "effort",
    "effort_low",
    "effort_high",
    "ease",
    "value",
    "moscow",
    "kano",
    "rice",
    "ice",
    "value_effort",
    "weighted",
    "rice_rank",
    "median_rank",
    "external_key",
    "external_url",
    "labels",
]
ROADMAP_COLUMNS = [
    "id",
    "title",
    "feature",
    "lane",
    "status",
    "start_date",
    "end_date",
    "owner",
    "team",
    "milestone",
    "depends_on",
    "notes",
]


def _guard(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _to_csv(frame: pd.DataFrame) -> str:
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    guarded = frame.copy()
    for column in text_columns:
        guarded[column] = guarded[column].map(_guard)
    return guarded.to_csv(index=False, lineterminator="\n")


def features_frame(*, session: Session, canvas_token: str) -> pd.DataFrame:
    """Every feature with its fields, the titles it links to and every score, from the
    canvas's snapshot (the ranks the pages show)."""
    snap = snapshot.snapshot(session=session, canvas_token=canvas_token)
    features = snap["feature"]
    if features.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    ranks = snap.ranks
    titles = dict(zip(features["id"], features["title"], strict=True))
    out = features.assign(
        persona=features["persona_id"].map(snap.titles("persona")),
        goal=features["goal_id"].map(snap.titles("goal")),
        epic=features["epic_id"].map(titles),
        rice=ranks["rice_score"].round(2),
        ice=ranks["ice_score"].round(2),
        value_effort=ranks["value_effort_score"].round(3),
        weighted=ranks["weighted_score"].round(3),
        rice_rank=ranks["rice_rank"].astype("Int64"),
        median_rank=ranks["median_rank"],
    )
    return out[FEATURE_COLUMNS]


def features_csv(*, session: Session, canvas_token: str) -> str:
    """Every feature as CSV: fields, persona, goal and epic titles, RICE, ICE,
    value/effort and weighted scores, ranks, external key and link."""
    return _to_csv(features_frame(session=session, canvas_token=canvas_token))


def roadmap_csv(*, session: Session, canvas_token: str) -> str:
    """Every roadmap item as CSV, with the feature's title and what it depends on."""
    snap = snapshot.snapshot(session=session, canvas_token=canvas_token)
    roadmap = snap["roadmap_item"]
    if roadmap.empty:
        return _to_csv(pd.DataFrame(columns=ROADMAP_COLUMNS))
    titles = dict(zip(roadmap["id"], roadmap["title"], strict=True))
    depends: dict[int, list[str]] = {}
    for dep in snap.rows["dependency"]:
        depends.setdefault(dep.item_id, []).append(titles.get(dep.depends_on_id, ""))
    out = roadmap.assign(
        feature=roadmap["feature_id"].map(snap.titles("feature")),
        depends_on=roadmap["id"].map(lambda i: "; ".join(depends.get(i, []))),
    )
    return _to_csv(out[ROADMAP_COLUMNS])
