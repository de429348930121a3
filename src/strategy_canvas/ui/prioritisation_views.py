"""Below the scoring grid on the Designs page's *Prioritise* tab, one of three views:
the ranking side by side with the ranked score bars, the value-vs-effort matrix, or the
robustness check (top k, a seeded Monte Carlo of 2,000 draws, its chart and a sentence
per feature). Each is drawn inside a live fragment by :mod:`.prioritisation`; its
tables, charts and the Monte Carlo run are cached by the canvas's change counter
(:mod:`strategy_canvas.ui.chart_view`), so an unchanged canvas never recomputes them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from strategy_canvas import charts, scoring
from strategy_canvas.ui import board, chart_view, layout
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    pass

DEFAULT_K = scoring.DEFAULT_TOP_K
DRAWS = scoring.ROBUSTNESS_DRAWS
#: the width of the tab's charts on the page (they fit the tab at 1024 px; the tab
#: spans the page, where a board column's chart width left half of it empty at 1440 px)
MATRIX_WIDTH = 600
#: how many features the robustness check describes in words before the full table
SENTENCES_SHOWN = 15
#: session-state key owned by this module: whether every feature's verdict is unfolded
EVERY_FEATURE_KEY = "prio.every_feature.open"


def ranking_view(
    features: pd.DataFrame,
    criteria: pd.DataFrame | None,
    scores: pd.DataFrame | None,
    framework: str,
) -> pd.DataFrame:
    """The ranking side by side, for reading: best first under ``framework`` (then by
    the median rank), its rank under every framework, the spread and the flag."""
    table = scoring.rank_table(features, criteria_df=criteria, scores_df=scores)
    chosen = f"{framework}_rank"
    table = table.assign(_at=table[chosen].fillna(math.inf), _median=table["median_rank"])
    table = table.sort_values(["_at", "_median"], kind="stable", na_position="last")
    score = table[f"{framework}_score"]
    if framework == "moscow":
        shown: Any = score.map(
            lambda r: "" if pd.isna(r) else scoring.MOSCOW_LABELS[scoring.MOSCOW_ORDER[int(r) - 1]]
        )
    else:
        shown = score.round(2)
    view = pd.DataFrame(
        {
            "Rank": table[chosen].astype("Int64"),
            "Feature": table["title"],
            "Score": shown,
        }
    )
    for key, fw in scoring.FRAMEWORKS.items():
        view[_rank_label(fw.label)] = table[f"{key}_rank"].astype("Int64")
    view["Spread"] = table["rank_spread"].astype("Int64")
    view["Discuss"] = table["discuss"].map({True: "⚑ discuss", False: ""})
    view["Why"] = table["note"]
    return view.reset_index(drop=True)


def _rank_label(label: str) -> str:
    return label.replace(" score", "")


@functools.cache
def _ranking_columns(framework: str) -> dict[str, Any]:
    cc = st.column_config
    fw = scoring.FRAMEWORKS[framework]
    name = _rank_label(fw.label)
    config: dict[str, Any] = {
        "Rank": cc.NumberColumn("#", help=f"Its place under {fw.label}.", width=40, pinned=True),
        "Feature": cc.TextColumn(width="medium", pinned=True),
        # a score reads as on the board (10,125), a MoSCoW bucket as its word
        "Score": cc.Column(name, help=fw.unit)
        if framework == "moscow"
        else cc.NumberColumn(f"{name} score", help=fw.unit, format="localized"),
        "Spread": cc.NumberColumn(
            help="How far apart its best and worst rank are across the frameworks.", width=70
        ),
        "Discuss": cc.TextColumn(
            help="Flagged for discussion: its rank differs most between frameworks "
            "(the reason is listed under the table).",
            width=100,
        ),
    }
    for other in scoring.FRAMEWORKS.values():
        label = _rank_label(other.label)
        config[label] = cc.NumberColumn(
            f"{label} #", help=f"Its rank under {other.label}.", width=90
        )
    return config


#: the ranking table's columns as drawn (the reasons are listed under it)
_RANKING_ORDER = [
    "Rank",
    "Feature",
    "Score",
    *(_rank_label(fw.label) for fw in scoring.FRAMEWORKS.values()),
    "Spread",
    "Discuss",
]


@dataclass(frozen=True)
class Shown:
    """A table ready to draw (Arrow: Streamlit sends it without converting it again)
    and what the page says about it, cached by the canvas's state."""

    table: pa.Table
    rows: int
    flagged: list[tuple[str, str]] = field(default_factory=list)
    unranked: str = ""


def ranking_shown(
    features: pd.DataFrame, criteria: pd.DataFrame, scores: pd.DataFrame, framework: str
) -> Shown:
    view = ranking_view(features, criteria, scores, framework)
    flagged = view[view["Discuss"] != ""]
    unranked = int(view["Rank"].isna().sum())
    note = ""
    if unranked and not (framework == "weighted" and _no_criteria(criteria)):
        note = _unranked_text(features, criteria, scores, framework, unranked)
    return Shown(
        pa.Table.from_pandas(view, preserve_index=False),
        len(view),
        [(str(t), str(n)) for t, n in zip(flagged["Feature"], flagged["Why"], strict=True)],
        note,
    )


def _no_criteria(criteria: pd.DataFrame) -> bool:
    return criteria.empty or not (pd.to_numeric(criteria["weight"]) > 0).any()


def ranking_panel(frames: Frames, framework: str) -> None:
    """The ranking side by side, what to discuss, and the ranked bars (live)."""
    features = frames["feature"]
    if features.empty:
        st.caption(
            "No features yet — once there are features with scores, they are ranked here "
            "side by side under every framework."
        )
        return
    criteria, scores = frames["criterion"], frames["criterion_score"]
    fw = scoring.FRAMEWORKS[framework]
    if framework == "weighted" and _no_criteria(criteria):
        st.info(
            "Weighted scoring ranks the features by your team's own criteria. Add them "
            "under **Features & sketches**: *What to edit → Scoring criteria* (e.g. "
            "“Strategic fit”, weight 40), then score each feature on each one under "
            "*What to edit → Criterion scores* (0–10).",
            icon=":material/tune:",
        )
    ranking: Shown = chart_view.cached(
        frames,
        "prio.ranking",
        lambda: ranking_shown(features, criteria, scores, framework),
        (framework,),
    )
    st.markdown(f"**Ranked by {fw.label}**, side by side with the other frameworks")
    st.dataframe(
        ranking.table,
        hide_index=True,
        width="stretch",
        height=board.table_height(ranking.rows),
        column_config=_ranking_columns(framework),
        column_order=_RANKING_ORDER,
        placeholder="—",
    )
    if ranking.flagged:
        lines = [f"- **{md(title)}** — {md(note)}" for title, note in ranking.flagged]
        st.markdown(
            f":orange[:material/forum:] **{len(lines)} flagged for discussion** — their "
            "rank depends most on the framework:\n" + "\n".join(lines)
        )
    if ranking.unranked:
        st.caption(ranking.unranked)
    chart_view.show(
        frames,
        "score_bars",
        lambda width: charts.score_bars(
            features, framework, criteria_df=criteria, scores_df=scores, width=width
        ),
        (framework,),
        width=MATRIX_WIDTH,
        folded="The ranking as a chart",  # under the table it draws: sent only when asked
    )


def quadrant_lines(features: pd.DataFrame, limit: int = 5) -> list[str]:
    """Per quadrant of the value-vs-effort matrix, its features, best ratio first."""
    table = scoring.value_effort(features).assign(title=features["title"].astype(str))
    lines = []
    for quadrant in scoring.QUADRANTS:
        inside = table[table["quadrant"] == quadrant].sort_values(
            "ratio", ascending=False, kind="stable"
        )
        if inside.empty:
            continue
        names = ", ".join(md(t) for t in inside["title"].head(limit))
        more = f" and {len(inside) - limit} more" if len(inside) > limit else ""
        lines.append(f"- **{quadrant}s** ({len(inside)}): {names}{more}")
    return lines


def matrix_panel(frames: Frames) -> None:
    """The value-vs-effort matrix, and which features sit in each corner (live)."""
    features = frames["feature"]
    if features.empty:
        st.caption("No features yet — give features a value and an effort to place them here.")
        return
    # Drawn at the width it was built for: its labels are placed beside their own dots
    # by where the dots fall at that width (stretched, they could sit by another dot).
    chart_view.show(
        frames,
        "value_effort",
        lambda width: charts.value_effort_chart(features, width=width),
        width=MATRIX_WIDTH,
    )
    lines = chart_view.cached(frames, "prio.quadrants", lambda: quadrant_lines(features))
    if lines:
        st.markdown("\n".join(lines))


def _unranked_text(
    features: pd.DataFrame,
    criteria: pd.DataFrame,
    scores: pd.DataFrame,
    framework: str,
    count: int,
) -> str:
    fw = scoring.FRAMEWORKS[framework]
    noun = "feature is" if count == 1 else "features are"
    if framework == "weighted":
        gaps = scoring.missing_scores(features, criteria, scores)
        named = ", ".join(sorted({md(str(c)) for c in gaps["criterion"]}))
        return (
            f"{count} {noun} not ranked by {fw.label}: each needs a score on every "
            f"weighted criterion ({named}) — add them under Criterion scores."
        )
    needs = ", ".join(fw.inputs)
    return f"{count} {noun} not ranked by {fw.label} yet: it needs {needs} (ranked last)."


def robustness_panel(frames: Frames, framework: str, k: int) -> None:
    """How often each feature makes the top k when the estimates are off (live)."""
    if framework not in scoring.MONTE_CARLO_INPUTS:
        names = ", ".join(scoring.FRAMEWORKS[key].label for key in scoring.MONTE_CARLO_INPUTS)
        st.caption(
            f"{scoring.FRAMEWORKS[framework].label} is the team's judgement, not an estimate "
            f"with a margin of error: the robustness check works on {names}. Switch the "
            "framework above to see it."
        )
        return
    features = frames["feature"]
    if features.empty:
        st.caption("No features yet — the check needs scored features to vary.")
        return

    def result() -> pd.DataFrame:  # the snapshot's run: the same the PDF and Markdown read
        return frames.robustness(framework, k)

    st.caption(
        f"{DRAWS:,} runs, each with every estimate varied within its range (or by its "
        "confidence). **Solid**: in or out of the top "
        f"{k} almost every time, and at about the same rank. **Fragile**: it depends on "
        "estimates the team is unsure of — worth checking before committing."
    )
    chart_view.show(
        frames,
        "robustness",
        lambda width: charts.robustness_chart(result(), k=k, width=width),
        (framework, k),
        width=MATRIX_WIDTH,
    )
    sentences: Sentences = chart_view.cached(
        frames, "prio.sentences", lambda: robustness_sentences(result()), (framework, k)
    )
    st.markdown("\n".join(sentences.lines))
    every = None
    if sentences.table is not None:
        every = layout.fold(
            f"Every feature ({sentences.rows:,})", key=EVERY_FEATURE_KEY, icon=":material/list:"
        )
    if every is not None:
        with every:
            st.dataframe(
                sentences.table,
                hide_index=True,
                width="stretch",
                height=board.table_height(sentences.rows),
                column_config={
                    "Feature": st.column_config.TextColumn(width="medium", pinned=True),
                    "Verdict": st.column_config.TextColumn(width=90),
                    f"Top {k}": st.column_config.TextColumn(
                        help=f"Share of the runs in which it lands in the top {k}.",
                        width=90,
                    ),
                    "In short": st.column_config.TextColumn(width="large"),
                },
                placeholder="—",
            )


@dataclass(frozen=True)
class Sentences:
    """The robustness in words: a line per feature for the first ones (best first), and
    every feature as a table when there are more."""

    lines: list[str]
    rows: int
    table: pa.Table | None = None


_VERDICT_MARKS = {
    "solid": ":green[**✓ solid**]",
    "fragile": ":orange[**⚠ fragile**]",
    "unscored": ":gray[— not ranked]",
}


def robustness_sentences(result: pd.DataFrame, limit: int = SENTENCES_SHOWN) -> Sentences:
    table = robustness_table(result)
    ordered = result.assign(_median=result["median_rank"].fillna(math.inf)).sort_values(
        ["_median", "rank_p10"], kind="stable"
    )
    lines = [
        f"- {_VERDICT_MARKS.get(str(v), md(str(v)))} **{md(str(t))}** — {md(str(sentence))}"
        for t, v, sentence in zip(
            ordered["title"].head(limit),
            ordered["verdict"].head(limit),
            ordered["sentence"].head(limit),
            strict=True,
        )
    ]
    if len(table) > limit:
        lines.append(f"- :gray[… and {len(table) - limit:,} more in the table below.]")
        return Sentences(lines, len(table), pa.Table.from_pandas(table, preserve_index=False))
    return Sentences(lines, len(table))


def robustness_table(result: pd.DataFrame) -> pd.DataFrame:
    """One sentence per feature, solid and fragile ones named as such, best first."""
    k = int(result.attrs.get("k", DEFAULT_K))
    ordered = result.assign(_median=result["median_rank"].fillna(math.inf)).sort_values(
        ["_median", "rank_p10"], kind="stable"
    )
    verdicts = {"solid": "✓ solid", "fragile": "⚠ fragile", "unscored": "— not ranked"}
    return pd.DataFrame(
        {
            "Feature": ordered["title"].astype(str),
            "Verdict": ordered["verdict"].map(lambda v: verdicts.get(str(v), str(v))),
            f"Top {k}": ordered["p_top_k"].map(
                lambda p: None if pd.isna(p) else scoring.share_text(float(p))
            ),
            "In short": ordered["sentence"].astype(str),
        }
    ).reset_index(drop=True)
