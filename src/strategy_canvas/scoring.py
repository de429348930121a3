"""Prioritisation: the scoring frameworks, a side-by-side ranking, and its robustness.

Every function here is pure and vectorised: it takes the features as a DataFrame with
the columns of ``items_frame(kind="feature")`` (``id``, ``title``, ``reach``, ``impact``,
``confidence``, ``effort``, ``ease``, ``value``, ``moscow``, ``kano``, ``reach_low`` …)
and returns a Series or DataFrame on the same index. A missing column or a missing
value never raises: the score is NaN and the feature ranks last (NaN rank).

The frameworks (see :data:`FRAMEWORKS`):

- **RICE** = reach × impact × confidence/100 ÷ effort (reach per quarter, impact on
  Intercom's 0.25/0.5/1/2/3 scale, effort in person-months).
- **ICE** = impact(1–10) × confidence/10 × ease(1–10). The feature stores only RICE's
  impact, so it is mapped linearly onto 1–10: 0.25 → 1, 1 → 3.45, 2 → 6.73, 3 → 10
  (:func:`impact_on_ten`). ICE therefore runs 0–1,000.
- **Value/Effort** = value (1–10) ÷ effort (person-months).
- **MoSCoW** = the rank of the category: must 1, should 2, could 3, won't 4 (lower is
  better).
- **Weighted** = the team's own criteria: Σ weightᵢ × scoreᵢ with the weights
  normalised to sum to 1, so the result stays on the 0–10 scale of the scores.

:func:`rank_table` puts the rankings side by side and flags the features whose rank
differs most between frameworks; :func:`monte_carlo` says how much a ranking would
move if the estimates behind it are off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from strategy_canvas.rules.percent import percent

IMPACT_SCALE: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0)
MOSCOW_ORDER: tuple[str, ...] = ("must", "should", "could", "wont")
MOSCOW_LABELS = {"must": "Must", "should": "Should", "could": "Could", "wont": "Won't"}
#: Kano categories in the order to build them: the basics a product must have first,
#: then performance, then delighters; indifferent and reverse features last.
KANO_ORDER: tuple[str, ...] = ("basic", "performance", "delighter", "indifferent", "reverse")

QUADRANTS: tuple[str, ...] = ("Quick win", "Big bet", "Fill-in", "Money pit")
#: A value of 5.5 or more on the 1–10 scale counts as high value.
VALUE_THRESHOLD = 5.5

#: Monte Carlo noise: an estimate given without a low/high range is multiplied by
#: exp(N(0, σ)) with σ = (1 − confidence/100) × this constant: at confidence 50 % the
#: middle 80 % of draws lie within ×0.53…×1.9 of the estimate, at 80 % within
#: ×0.77…×1.29, and at 100 % the estimate is taken as exact.
SIGMA_AT_ZERO_CONFIDENCE = 1.0
#: The chance that impact moves one step on its scale (half up, half down) is
#: (1 − confidence/100) × this constant.
IMPACT_STEP_AT_ZERO_CONFIDENCE = 0.5
#: The confidence assumed where a feature gives none (Value/Effort does not need it).
DEFAULT_CONFIDENCE = 50.0
#: The robustness check as every reader runs it (the page, the PDF, the Markdown): its
#: runs, its seed (fixed, so everyone sees the same result for the same canvas) and the
#: cut it starts from, so their numbers agree.
ROBUSTNESS_DRAWS = 2000
ROBUSTNESS_SEED = 20260901
DEFAULT_TOP_K = 5
#: What a feature's estimates are, as the frameworks read them: one field each
SCORE_INPUTS: tuple[str, ...] = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "ease",
    "value",
    "moscow",
    "kano",
)
#: The ranges a feature may give its reach and effort in (the robustness check draws
#: within them)
RANGE_INPUTS: tuple[str, ...] = ("reach_low", "reach_high", "effort_low", "effort_high")

# ------------------------------------------------------------------------ helpers


def _num(df: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats on df's index; NaN where missing or not a number."""
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[column], errors="coerce").astype(float)


def _category(df: pd.DataFrame, column: str) -> pd.Series:
    """The column as lower-case, stripped strings ("won't" → "wont"); NaN where empty."""
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=object)
    text = df[column].astype(object).where(df[column].notna())
    cleaned = text.map(
        lambda v: str(v).strip().lower().replace("'", "") if isinstance(v, str) else v
    )
    return cleaned.astype(object)


def _ids(df: pd.DataFrame) -> pd.Series:
    return df["id"] if "id" in df.columns else pd.Series(df.index, index=df.index)


def _titles(df: pd.DataFrame) -> pd.Series:
    if "title" in df.columns:
        return df["title"].astype(object).fillna("").astype(str)
    return pd.Series([f"Feature {i}" for i in _ids(df)], index=df.index, dtype=object)


def ordinal(n: int) -> str:
    """1 → "1st", 2 → "2nd", 11 → "11th", 22 → "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --------------------------------------------------------------------- frameworks


def impact_on_ten(impact: pd.Series | np.ndarray) -> Any:
    """RICE impact (0.25 … 3) mapped linearly onto ICE's 1 … 10: 1 + (impact − 0.25) × 9/2.75."""
    clipped = np.clip(impact, IMPACT_SCALE[0], IMPACT_SCALE[-1])
    return 1 + (clipped - IMPACT_SCALE[0]) * 9 / (IMPACT_SCALE[-1] - IMPACT_SCALE[0])


def rice_score(df: pd.DataFrame) -> pd.Series:
    """Reach × impact × confidence/100 ÷ effort; NaN where an input is missing."""
    effort = _num(df, "effort")
    score = (
        _num(df, "reach")
        * _num(df, "impact")
        * _num(df, "confidence")
        / 100
        / effort.where(effort > 0)
    )
    return score.rename("rice")


def ice_score(df: pd.DataFrame) -> pd.Series:
    """Impact (mapped to 1–10) × confidence/10 × ease; 0 … 1,000, NaN where missing."""
    score = impact_on_ten(_num(df, "impact")) * _num(df, "confidence") / 10 * _num(df, "ease")
    return score.rename("ice")


def value_effort_ratio(df: pd.DataFrame) -> pd.Series:
    """Value (1–10) per person-month of effort; NaN where missing."""
    effort = _num(df, "effort")
    return (_num(df, "value") / effort.where(effort > 0)).rename("value_effort")


def moscow_rank(df: pd.DataFrame) -> pd.Series:
    """Must 1, should 2, could 3, won't 4 (lower is better); NaN where not set."""
    order = {name: i + 1 for i, name in enumerate(MOSCOW_ORDER)}
    return _category(df, "moscow").map(order).astype(float).rename("moscow")


def kano_rank(df: pd.DataFrame) -> pd.Series:
    """The Kano category's place in :data:`KANO_ORDER` (basic 1 … reverse 5); NaN if unset."""
    order = {name: i + 1 for i, name in enumerate(KANO_ORDER)}
    return _category(df, "kano").map(order).astype(float).rename("kano")


def effort_split(df: pd.DataFrame) -> float:
    """The median effort of the features that have both a value and an effort (NaN if none)."""
    value, effort = _num(df, "value"), _num(df, "effort")
    scored = effort[value.notna() & (effort > 0)]
    return float(scored.median()) if len(scored) else math.nan


def value_effort(
    df: pd.DataFrame,
    *,
    effort_threshold: float | None = None,
    value_threshold: float = VALUE_THRESHOLD,
) -> pd.DataFrame:
    """Value, effort, their ratio and the quadrant of each feature.

    High value is ``value >= value_threshold``; low effort is ``effort <=
    effort_threshold``, which defaults to the median effort of the scored features.
    Quick win = high value, low effort; Big bet = high, high; Fill-in = low, low;
    Money pit = low value, high effort. Unscored features get no quadrant (NaN).
    The thresholds used are in ``result.attrs``.
    """
    value, effort = _num(df, "value"), _num(df, "effort")
    effort = effort.where(effort > 0)
    split = effort_split(df) if effort_threshold is None else float(effort_threshold)
    high_value = value >= value_threshold
    low_effort = effort <= split
    quadrant = np.select(
        [high_value & low_effort, high_value & ~low_effort, ~high_value & low_effort],
        QUADRANTS[:3],
        default=QUADRANTS[3],
    )
    scored = value.notna() & effort.notna()
    out = pd.DataFrame(
        {
            "value": value,
            "effort": effort,
            "ratio": value / effort,
            "quadrant": pd.Series(quadrant, index=df.index, dtype=object).where(scored),
        },
        index=df.index,
    )
    out.attrs = {"value_threshold": float(value_threshold), "effort_threshold": split}
    return out


def _weighted_parts(
    df: pd.DataFrame, criteria_df: pd.DataFrame | None, scores_df: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """(features × criteria score matrix with NaN holes, normalised weights, criteria)."""
    ids = _num(df, "id").to_numpy() if "id" in df.columns else df.index.to_numpy(dtype=float)
    if criteria_df is None or criteria_df.empty:
        return np.empty((len(df), 0)), np.empty(0), pd.DataFrame(columns=["id", "name"])
    criteria = criteria_df.assign(weight=_num(criteria_df, "weight"))
    criteria = criteria[criteria["weight"] > 0]
    if criteria.empty:
        return np.empty((len(df), 0)), np.empty(0), criteria
    weights = (criteria["weight"] / criteria["weight"].sum()).to_numpy(float)
    crit_ids = _num(criteria, "id").to_numpy()
    if scores_df is None or scores_df.empty:
        return np.full((len(df), len(criteria)), np.nan), weights, criteria
    scores = pd.DataFrame(
        {
            "feature_id": _num(scores_df, "feature_id"),
            "criterion_id": _num(scores_df, "criterion_id"),
            "score": _num(scores_df, "score"),
        }
    ).dropna()
    table = scores.groupby(["feature_id", "criterion_id"])["score"].mean().unstack()
    matrix = table.reindex(index=ids, columns=crit_ids).to_numpy(float)
    return matrix, weights, criteria


def weighted_score(
    df: pd.DataFrame, criteria_df: pd.DataFrame | None, scores_df: pd.DataFrame | None
) -> pd.Series:
    """The team's weighted score (0–10): Σ normalised weight × score over the criteria.

    ``criteria_df`` has ``id``, ``name``, ``weight``; ``scores_df`` has ``feature_id``,
    ``criterion_id``, ``score`` (0–10). Criteria of weight 0 are ignored. A feature
    missing a score for any weighted criterion gets NaN: :func:`missing_scores` lists
    what is missing, so the page can say which scores to fill in.
    """
    matrix, weights, _ = _weighted_parts(df, criteria_df, scores_df)
    if not len(weights):
        return pd.Series(np.nan, index=df.index, dtype=float, name="weighted")
    return pd.Series(matrix @ weights, index=df.index, dtype=float, name="weighted")


def missing_scores(
    df: pd.DataFrame, criteria_df: pd.DataFrame | None, scores_df: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per (feature, weighted criterion) without a score: feature_id, feature,
    criterion_id, criterion."""
    columns = ["feature_id", "feature", "criterion_id", "criterion"]
    matrix, weights, criteria = _weighted_parts(df, criteria_df, scores_df)
    if not len(weights) or not len(df):
        return pd.DataFrame(columns=columns)
    rows, cols = np.nonzero(np.isnan(matrix))
    names = criteria["name"].astype(str).to_numpy() if "name" in criteria else cols.astype(str)
    return pd.DataFrame(
        {
            "feature_id": _ids(df).to_numpy()[rows],
            "feature": _titles(df).to_numpy()[rows],
            "criterion_id": _num(criteria, "id").to_numpy()[cols],
            "criterion": names[cols],
        },
        columns=columns,
    )


@dataclass(frozen=True)
class Framework:
    """A prioritisation framework: how to score a feature and which way is better."""

    key: str
    label: str
    function: Callable[..., pd.Series]  # (features, **context) -> Series on features' index
    higher_is_better: bool
    #: the feature fields the score needs (to say what an unscored feature lacks)
    inputs: tuple[str, ...]
    #: what the score means, for axis titles
    unit: str = ""
    #: for charts drawn as bars, a value where longer is better
    bar_value: Callable[[pd.Series], pd.Series] = field(default=lambda s: s)

    def score(self, df: pd.DataFrame, **context: Any) -> pd.Series:
        return self.function(df, **context).rename(self.key)

    def rank(self, scores: pd.Series) -> pd.Series:
        """1 = best; ties share the best rank (method="min"); unscored → NaN."""
        return scores.rank(ascending=not self.higher_is_better, method="min", na_option="keep")


def _weighted_from_context(
    df: pd.DataFrame,
    *,
    criteria_df: pd.DataFrame | None = None,
    scores_df: pd.DataFrame | None = None,
    **_: Any,
) -> pd.Series:
    return weighted_score(df, criteria_df, scores_df)


FRAMEWORKS: dict[str, Framework] = {
    f.key: f
    for f in [
        Framework(
            "rice",
            "RICE",
            lambda df, **_: rice_score(df),
            True,
            ("reach", "impact", "confidence", "effort"),
            "RICE score",
        ),
        Framework(
            "ice",
            "ICE",
            lambda df, **_: ice_score(df),
            True,
            ("impact", "confidence", "ease"),
            "ICE score (0–1,000)",
        ),
        Framework(
            "value_effort",
            "Value/Effort",
            lambda df, **_: value_effort_ratio(df),
            True,
            ("value", "effort"),
            "Value per person-month",
        ),
        Framework(
            "moscow",
            "MoSCoW",
            lambda df, **_: moscow_rank(df),
            False,
            ("moscow",),
            "MoSCoW (must = 4 … won't = 1)",
            lambda s: len(MOSCOW_ORDER) + 1 - s,
        ),
        Framework(
            "weighted",
            "Weighted score",
            _weighted_from_context,
            True,
            ("criterion scores",),
            "Weighted score (0–10)",
        ),
    ]
}


def framework(key: str) -> Framework:
    try:
        return FRAMEWORKS[key]
    except KeyError:
        known = ", ".join(FRAMEWORKS)
        raise ValueError(f"unknown framework {key!r}; choose one of {known}") from None


def missing_inputs(df: pd.DataFrame, key: str) -> pd.Series:
    """Per feature, the inputs framework ``key`` lacks, e.g. "reach, effort" ("" if none)."""
    gaps: dict[str, np.ndarray] = {}
    for column in framework(key).inputs:
        if column in ("moscow", "kano"):
            gaps[column] = _category(df, column).isna().to_numpy()
        elif column != "criterion scores":
            values = _num(df, column)
            if column == "effort":
                values = values.where(values > 0)
            gaps[column] = values.isna().to_numpy()
    text = [", ".join(c for c, gap in gaps.items() if gap[i]) for i in range(len(df))]
    return pd.Series(text, index=df.index, dtype=object)


# --------------------------------------------------------------------- rank table


def rank_table(
    df: pd.DataFrame,
    *,
    criteria_df: pd.DataFrame | None = None,
    scores_df: pd.DataFrame | None = None,
    frameworks: Sequence[str] | None = None,
    max_flagged: int = 5,
) -> pd.DataFrame:
    """The features ranked side by side under each framework.

    Columns: ``id``, ``title``, then per framework ``<key>_score`` and ``<key>_rank``
    (1 = best, ties share the best rank, unscored → NaN), ``median_rank`` across the
    frameworks, ``rank_spread`` (max − min rank over the frameworks that rank the
    feature; NaN when fewer than two do), ``discuss`` (flagged for discussion: spread
    ≥ max(3, 25 % of the features), at most ``max_flagged`` with the widest spread) and
    ``note`` ("1st under RICE but 8th under MoSCoW" for the flagged ones).

    Rows keep df's index and are sorted by median rank, unranked features last.
    """
    keys = list(frameworks) if frameworks is not None else list(FRAMEWORKS)
    context = {"criteria_df": criteria_df, "scores_df": scores_df}
    out = pd.DataFrame({"id": _ids(df), "title": _titles(df)}, index=df.index)
    rank_columns = []
    for key in keys:
        fw = framework(key)
        scores = fw.score(df, **context)
        out[f"{key}_score"] = scores
        out[f"{key}_rank"] = fw.rank(scores)
        rank_columns.append(f"{key}_rank")

    ranks = out[rank_columns].to_numpy(float) if rank_columns else np.empty((len(df), 0))
    ranked = ~np.isnan(ranks)
    counts = ranked.sum(axis=1)
    best = np.where(ranked, ranks, np.inf).min(axis=1, initial=np.inf)
    worst = np.where(ranked, ranks, -np.inf).max(axis=1, initial=-np.inf)
    spread = np.where(counts >= 2, worst - best, np.nan)
    out["median_rank"] = _row_nanmedian(ranks, counts)
    out["rank_spread"] = spread

    # Flag the widest spreads (positions, not labels: df's index need not be unique).
    threshold = max(3, math.ceil(0.25 * len(df)))
    wide = np.nonzero(np.nan_to_num(spread, nan=-1.0) >= threshold)[0]
    flagged = wide[np.argsort(-spread[wide], kind="stable")][:max_flagged]
    discuss = np.zeros(len(df), dtype=bool)
    discuss[flagged] = True
    notes = np.full(len(df), "", dtype=object)
    labels = [framework(k).label for k in keys]
    for at in flagged:
        row = ranks[at]
        hi, lo = int(np.nanargmin(row)), int(np.nanargmax(row))
        notes[at] = (
            f"{ordinal(int(row[hi]))} under {labels[hi]} but {ordinal(int(row[lo]))} "
            f"under {labels[lo]}"
        )
    out["discuss"] = discuss
    out["note"] = notes
    order = np.argsort(np.nan_to_num(out["median_rank"].to_numpy(), nan=np.inf), kind="stable")
    return out.iloc[order]


def ranked_by(table: pd.DataFrame, framework: str) -> pd.DataFrame:
    """The :func:`rank_table` in ``framework``'s order: best first, ties by their median
    rank over the frameworks, then in the table's own order; unranked features last.
    The order the Designs page, the PDF and the Markdown list the features in."""
    rank = table[f"{framework}_rank"].fillna(math.inf)
    median = table["median_rank"].fillna(math.inf)
    order = np.lexsort((np.arange(len(table)), median.to_numpy(), rank.to_numpy()))
    return table.iloc[order]


def _row_nanmedian(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """np.nanmedian per row without the all-NaN warning."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    filled = np.where(np.isnan(values), np.inf, values)
    filled.sort(axis=1)
    result = np.full(values.shape[0], np.nan)
    has = counts > 0
    lo = (counts[has] - 1) // 2
    hi = counts[has] // 2
    rows = np.nonzero(has)[0]
    result[has] = (filled[rows, lo] + filled[rows, hi]) / 2
    return result


# -------------------------------------------------------------------- robustness

#: The frameworks whose inputs are estimates that the Monte Carlo can vary, and
#: the uncertain inputs of each, in the order their random draws are taken.
MONTE_CARLO_INPUTS: dict[str, tuple[str, ...]] = {
    "rice": ("reach", "impact", "effort"),
    "ice": ("impact", "ease"),
    "value_effort": ("value", "effort"),
}
#: Inputs bounded to a 1–10 scale: their draws are clipped to it.
_BOUNDED = {"ease": (1.0, 10.0), "value": (1.0, 10.0)}

MONTE_CARLO_COLUMNS = [
    "id",
    "title",
    "score",
    "p_top_k",
    "rank_p10",
    "median_rank",
    "rank_p90",
    "driver",
    "verdict",
    "sentence",
]


@dataclass
class _Input:
    """The draws of one uncertain input and what to say about its spread."""

    name: str
    draws: np.ndarray  # (draws × features)
    relative_range: np.ndarray  # the standard deviation of log(input), per feature
    phrase: list[str]  # "reach estimate (confidence 40%)" or "reach range (50–400)"


def _triangular_ppf(q: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> Any:
    """The inverse CDF of triangular(low, mode, high) at q (vectorised; degenerate → low)."""
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    cut = np.where(width > 0, (mode - low) / safe, 0.5)
    left = low + np.sqrt(np.clip(q * safe * (mode - low), 0, None))
    right = high - np.sqrt(np.clip((1 - q) * safe * (high - mode), 0, None))
    return np.where(width > 0, np.where(q < cut, left, right), low)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:g}"


def _confidence_phrase(name: str, confidence: np.ndarray, given: np.ndarray) -> list[str]:
    return [
        f"{name} estimate (confidence {c:.0f}%)"
        if ok
        else f"{name} estimate (no confidence given; {DEFAULT_CONFIDENCE:.0f}% assumed)"
        for c, ok in zip(confidence, given, strict=True)
    ]


def _draw_continuous(
    rng: np.random.Generator,
    name: str,
    estimate: np.ndarray,
    low: np.ndarray | None,
    high: np.ndarray | None,
    sigma: np.ndarray,
    confidence: np.ndarray,
    given: np.ndarray,
    draws: int,
) -> _Input:
    """Triangular(low, estimate, high) where a range is given, else lognormal noise."""
    n = len(estimate)
    uniform = rng.random((draws, n))
    normal = rng.standard_normal((draws, n))
    noisy = estimate * np.exp(normal * sigma)
    phrase = _confidence_phrase(name, confidence, given)
    if low is not None and high is not None:
        has_low, has_high = ~np.isnan(low), ~np.isnan(high)
        ranged = has_low | has_high
        positive = estimate > 0
        # Only one bound given: mirror it geometrically around the estimate.
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.where(has_low, low, np.where(positive, estimate**2 / high, estimate))
            hi = np.where(
                has_high, high, np.where(positive & (low > 0), estimate**2 / low, estimate)
            )
        lo = np.where(ranged, np.minimum(lo, estimate), estimate)
        hi = np.where(ranged, np.maximum(hi, estimate), estimate)
        if ranged.any():
            noisy[:, ranged] = _triangular_ppf(
                uniform[:, ranged], lo[ranged], estimate[ranged], hi[ranged]
            )
        phrase = [
            f"{name} range ({_fmt(a)}–{_fmt(b)})" if r else p
            for a, b, r, p in zip(lo, hi, ranged, phrase, strict=True)
        ]
    # The spread that counts is relative: the standard deviation of log(input), i.e.
    # its typical factor of error, so a step on impact's scale and a continuous range
    # compare fairly. Lognormal noise has exactly σ; ranges and clipped inputs are
    # measured on their draws.
    relative = sigma.copy()
    measured = ranged if low is not None and high is not None else np.zeros(n, dtype=bool)
    if name in _BOUNDED:
        floor, ceiling = _BOUNDED[name]
        noisy = np.clip(noisy, floor, ceiling)
        measured = np.ones(n, dtype=bool)
    if measured.any():
        logs = np.log(np.maximum(noisy[:, measured], 1e-12))
        relative[measured] = logs.std(axis=0)
    relative = np.where(estimate > 0, relative, 0.0)
    return _Input(name, noisy, relative, phrase)


def _draw_impact(
    rng: np.random.Generator,
    impact: np.ndarray,
    confidence: np.ndarray,
    given: np.ndarray,
    draws: int,
) -> _Input:
    """Impact moves one step on its scale with probability (1 − confidence) × constant."""
    n = len(impact)
    scale = np.asarray(IMPACT_SCALE)
    where = np.abs(impact[:, None] - scale[None, :]).argmin(axis=1)
    p_step = (1 - confidence / 100) * IMPACT_STEP_AT_ZERO_CONFIDENCE
    moves = rng.random((draws, n)) < p_step
    up = rng.random((draws, n)) < 0.5
    step = np.where(moves, np.where(up, 1, -1), 0)
    shifted = np.clip(where + step, 0, len(scale) - 1)
    values = np.where(shifted == where, impact, scale[shifted])
    # The standard deviation of log(impact): a step down or up, each with p_step / 2
    # (no step beyond either end of the scale).
    down = np.where(where > 0, np.log(scale[np.maximum(where - 1, 0)] / scale[where]), 0.0)
    up = np.where(
        where < len(scale) - 1, np.log(scale[np.minimum(where + 1, 4)] / scale[where]), 0.0
    )
    mean = p_step / 2 * (down + up)
    relative = np.sqrt(np.maximum(p_step / 2 * (down**2 + up**2) - mean**2, 0.0))
    return _Input("impact", values, relative, _confidence_phrase("impact", confidence, given))


def _scores(key: str, inputs: dict[str, np.ndarray], confidence: np.ndarray) -> Any:
    if key == "rice":
        return inputs["reach"] * inputs["impact"] * confidence / 100 / inputs["effort"]
    if key == "ice":
        return impact_on_ten(inputs["impact"]) * confidence / 10 * inputs["ease"]
    return inputs["value"] / inputs["effort"]


def share_text(p: float) -> str:
    """A share of the runs as a whole percent that never rounds to a misleading 0 % or
    100 % ("under 1%", "99%"); halves round up (:func:`strategy_canvas.rules.percent.percent`).
    The one wording of the robustness check's shares, on the page and in the reports."""
    if 0 < p < 0.005:
        return "under 1%"
    shown = percent(p) or 0
    if p < 1 and shown == 100:
        shown = 99
    return f"{shown}%"


def _sentence(
    p: float, p10: int, p90: int, k: int, solid: bool, driver: str, relative: float
) -> str:
    if p10 == p90:
        spread = f"ranks {ordinal(p10)} in at least 80% of them"
    else:
        spread = f"ranks {ordinal(p10)}–{ordinal(p90)} in 80% of them"
    settled = p >= 0.9 or p <= 0.1
    if p >= 0.5:
        lead = f"In the top {k} in {share_text(p)} of runs"
    elif not settled:
        lead = f"In the top {k} in only {share_text(p)} of runs"
    else:
        lead = f"Outside the top {k} in {share_text(1 - p)} of runs"
    if solid or settled:
        return f"{lead}; {spread}. Solid."
    reason = f"it hinges on its {driver}" if relative > 0 else "it ties with other features"
    return f"{lead}; {spread} — {reason}. Fragile."


def rank_draws(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ranks (1 = highest score) per row of a draws × features matrix: one argsort per
    row; exact ties (no noise, or zero scores) are broken at random, not by position."""
    draws, n = scores.shape
    order = np.argsort(-scores, axis=1)
    ordered = np.take_along_axis(scores, order, axis=1)
    tied = (np.diff(ordered, axis=1) == 0).any(axis=1)
    if tied.any():
        tie_break = rng.random((int(tied.sum()), n))
        order[tied] = np.lexsort((tie_break, -scores[tied]), axis=1)
    ranks = np.empty((draws, n), dtype=np.int32)
    np.put_along_axis(ranks, order, np.arange(1, n + 1, dtype=np.int32)[None, :], axis=1)
    return ranks


def monte_carlo(
    df: pd.DataFrame,
    *,
    framework: str = "rice",
    k: int = 5,
    draws: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """How robust the ranking under ``framework`` is to the uncertainty of its inputs.

    The model: each estimate is uncertain. Reach and effort are drawn from
    triangular(low, estimate, high) where the team gave a range (one bound given:
    the other mirrors it geometrically), else the estimate is multiplied by lognormal
    noise exp(N(0, σ)) with σ = (1 − confidence/100) × :data:`SIGMA_AT_ZERO_CONFIDENCE`
    (ease and value too, clipped to 1–10); impact moves one step on its 0.25/0.5/1/2/3
    scale with probability (1 − confidence/100) × :data:`IMPACT_STEP_AT_ZERO_CONFIDENCE`.
    Confidence itself is not varied: it is how sure the team is. Every draw scores
    all features at once (a draws × features matrix); ranks come from one argsort per
    draw, exact ties broken at random.

    Returns one row per feature on df's index with ``id``, ``title``, ``score`` (the
    point estimate), ``p_top_k`` (share of draws in the top ``k``), ``rank_p10``,
    ``median_rank``, ``rank_p90`` (the 80 % rank interval), ``driver`` (the input with
    the widest relative range, measured as the standard deviation of its logarithm so
    that a step of impact and a range of reach compare fairly), ``verdict`` ("solid"
    when p_top_k ≥ 0.9 or ≤ 0.1 — in or out of the top k holds whatever the guesses;
    "fragile" otherwise; "unscored" when the framework lacks an
    input) and ``sentence``, which says all that in a PM's words.
    ``attrs`` holds framework, k, draws and seed. Same seed → same result.
    """
    if framework not in MONTE_CARLO_INPUTS:
        known = ", ".join(MONTE_CARLO_INPUTS)
        raise ValueError(f"the robustness check works on {known}, not {framework!r}")
    if k < 1 or draws < 1:
        raise ValueError("k and draws must be at least 1")
    fw = FRAMEWORKS[framework]
    point = fw.score(df)
    scored = point.notna().to_numpy()
    n = int(scored.sum())

    size = len(df)
    columns: dict[str, Any] = {
        "id": _ids(df).to_numpy(),
        "title": _titles(df).to_numpy(),
        "score": point.to_numpy(float),
        **{c: np.full(size, np.nan) for c in ("p_top_k", "rank_p10", "median_rank", "rank_p90")},
        "driver": np.full(size, "", dtype=object),
        "verdict": np.full(size, "unscored", dtype=object),
        "sentence": np.array(
            [f"Not ranked by {fw.label}: {gap} missing." for gap in missing_inputs(df, framework)],
            dtype=object,
        ).reshape(size),
    }

    def result() -> pd.DataFrame:
        out = pd.DataFrame(columns, index=df.index, columns=MONTE_CARLO_COLUMNS)
        out.attrs = {"framework": framework, "k": k, "draws": draws, "seed": seed}
        return out

    if n == 0:
        return result()

    rows = df[scored]
    raw_confidence = _num(rows, "confidence").to_numpy()
    given = ~np.isnan(raw_confidence)
    confidence = np.clip(np.where(given, raw_confidence, DEFAULT_CONFIDENCE), 0, 100)
    sigma = (1 - confidence / 100) * SIGMA_AT_ZERO_CONFIDENCE
    rng = np.random.default_rng(seed)

    drawn: list[_Input] = []
    for name in MONTE_CARLO_INPUTS[framework]:
        estimate = _num(rows, name).to_numpy()
        if name == "impact":
            drawn.append(_draw_impact(rng, estimate, confidence, given, draws))
            continue
        low = _num(rows, f"{name}_low").to_numpy() if name in ("reach", "effort") else None
        high = _num(rows, f"{name}_high").to_numpy() if name in ("reach", "effort") else None
        drawn.append(
            _draw_continuous(rng, name, estimate, low, high, sigma, confidence, given, draws)
        )
    scores = _scores(framework, {i.name: i.draws for i in drawn}, confidence)
    for item in drawn:  # free the input matrices before ranking (1,000 features: 16 MB each)
        item.draws = np.empty(0)
    ranks = rank_draws(scores, rng)

    p_top = (ranks <= k).mean(axis=0)
    p10, median, p90 = np.quantile(ranks, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf")
    relative = np.stack([i.relative_range for i in drawn], axis=1)
    driver_at = relative.argmax(axis=1)
    # The question a team decides on is "in the top k or not": a ranking is solid when
    # that answer holds in at least 90% of runs, whatever its exact place does.
    solid = (p_top >= 0.9) | (p_top <= 0.1)

    columns["p_top_k"][scored] = p_top
    columns["rank_p10"][scored] = p10
    columns["median_rank"][scored] = median
    columns["rank_p90"][scored] = p90
    columns["driver"][scored] = [drawn[j].name for j in driver_at]
    columns["verdict"][scored] = np.where(solid, "solid", "fragile")
    columns["sentence"][scored] = [
        _sentence(
            float(p_top[i]),
            int(p10[i]),
            int(p90[i]),
            k,
            bool(solid[i]),
            drawn[driver_at[i]].phrase[i],
            float(relative[i, driver_at[i]]),
        )
        for i in range(n)
    ]
    return result()
