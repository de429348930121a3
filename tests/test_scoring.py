"""The scoring frameworks, the side-by-side ranking and the Monte Carlo robustness check."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategy_canvas import scoring

FEATURE_COLUMNS = [
    "id",
    "title",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ease",
    "value",
    "moscow",
    "kano",
    "reach_low",
    "reach_high",
    "effort_low",
    "effort_high",
]


def features(*rows: dict[str, Any]) -> pd.DataFrame:
    """A features frame shaped like items_frame(kind="feature"), ids and titles filled in."""
    filled = [{"id": i + 1, "title": f"Feature {i + 1}", **row} for i, row in enumerate(rows)]
    return pd.DataFrame(filled, columns=FEATURE_COLUMNS)


def synthetic(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "title": [f"Feature {i}" for i in range(n)],
            "reach": rng.integers(10, 50_000, n),
            "impact": rng.choice(scoring.IMPACT_SCALE, n),
            "confidence": rng.integers(20, 101, n),
            "effort": rng.uniform(0.25, 12, n).round(2),
            "ease": rng.integers(1, 11, n),
            "value": rng.integers(1, 11, n),
            "moscow": rng.choice(list(scoring.MOSCOW_ORDER), n),
            "kano": rng.choice(list(scoring.KANO_ORDER), n),
        }
    )


# ------------------------------------------------------------------ frameworks


def test_rice_on_hand_computed_examples() -> None:
    df = features(
        {"reach": 1000, "impact": 2, "confidence": 80, "effort": 4},  # 1000·2·0.8/4
        {"reach": 500, "impact": 0.5, "confidence": 50, "effort": 0.5},  # 500·0.5·0.5/0.5
        {"reach": 0, "impact": 3, "confidence": 100, "effort": 1},
    )
    assert scoring.rice_score(df).tolist() == pytest.approx([400.0, 250.0, 0.0])


def test_ice_maps_impact_linearly_onto_one_to_ten() -> None:
    assert scoring.impact_on_ten(np.array([0.25, 1.0, 3.0])) == pytest.approx([1, 38 / 11, 10])
    df = features(
        {"impact": 3, "confidence": 80, "ease": 5},  # 10 · 8 · 5
        {"impact": 0.25, "confidence": 50, "ease": 2},  # 1 · 5 · 2
        {"impact": 1, "confidence": 100, "ease": 10},  # 38/11 · 10 · 10
    )
    assert scoring.ice_score(df).tolist() == pytest.approx([400.0, 10.0, 3800 / 11])


def test_missing_inputs_give_nan_and_say_what_is_missing() -> None:
    df = features(
        {"reach": 100, "impact": 1, "confidence": 50, "effort": 1},
        {"reach": None, "impact": 1, "confidence": 50, "effort": None},
        {"impact": 2, "confidence": 90},
    )
    rice = scoring.rice_score(df)
    assert rice.iloc[0] == 50
    assert rice.iloc[1:].isna().all()
    assert scoring.ice_score(df).isna().all()  # no ease anywhere
    assert scoring.missing_inputs(df, "rice").tolist() == ["", "reach, effort", "reach, effort"]
    # A frame without the scoring columns at all still scores (to NaN), never raises.
    bare = pd.DataFrame({"id": [1], "title": ["Only a title"]})
    for key in scoring.FRAMEWORKS:
        assert scoring.FRAMEWORKS[key].score(bare).isna().all()


def test_moscow_and_kano_orderings() -> None:
    df = features(
        {"moscow": "could", "kano": "delighter"},
        {"moscow": "must", "kano": "basic"},
        {"moscow": "Won't", "kano": "reverse"},
        {"moscow": None, "kano": None},
    )
    assert scoring.moscow_rank(df).tolist()[:3] == [3, 1, 4]
    assert math.isnan(scoring.moscow_rank(df).iloc[3])
    assert scoring.kano_rank(df).tolist()[:3] == [3, 1, 5]
    assert scoring.FRAMEWORKS["moscow"].higher_is_better is False
    ranks = scoring.FRAMEWORKS["moscow"].rank(scoring.moscow_rank(df))
    assert ranks.tolist()[:3] == [2, 1, 3]


def test_value_effort_quadrants_split_at_the_median_effort() -> None:
    df = features(
        {"value": 9, "effort": 1},  # high value, low effort
        {"value": 8, "effort": 8},  # high, high
        {"value": 2, "effort": 2},  # low, low
        {"value": 3, "effort": 9},  # low, high
        {"value": None, "effort": 3},  # unscored: not counted in the median
    )
    result = scoring.value_effort(df)
    assert result.attrs["effort_threshold"] == pytest.approx(5.0)  # median of 1, 8, 2, 9
    assert result["quadrant"].tolist()[:4] == ["Quick win", "Big bet", "Fill-in", "Money pit"]
    assert pd.isna(result["quadrant"].iloc[4])
    assert result["ratio"].iloc[0] == 9
    # A given threshold replaces the median; 5.5 on the value scale is already "high".
    fixed = scoring.value_effort(features({"value": 5.5, "effort": 2}), effort_threshold=1)
    assert fixed["quadrant"].tolist() == ["Big bet"]


def test_weighted_score_normalises_weights_and_reports_missing_scores() -> None:
    df = features({}, {}, {})
    criteria = pd.DataFrame(
        {"id": [10, 11, 12], "name": ["Strategic fit", "Revenue", "Unused"], "weight": [30, 10, 0]}
    )
    scores = pd.DataFrame(
        {
            "feature_id": [1, 1, 2, 3],
            "criterion_id": [10, 11, 10, 11],
            "score": [8, 4, 6, 10],
        }
    )
    result = scoring.weighted_score(df, criteria, scores)
    assert result.iloc[0] == pytest.approx(0.75 * 8 + 0.25 * 4)
    assert result.iloc[1:].isna().all()  # each misses one weighted criterion
    missing = scoring.missing_scores(df, criteria, scores)
    assert missing[["feature_id", "criterion"]].values.tolist() == [
        [2, "Revenue"],
        [3, "Strategic fit"],
    ]
    # No criteria (or none weighted): nothing to score, nothing missing.
    assert scoring.weighted_score(df, None, scores).isna().all()
    assert scoring.missing_scores(df, criteria.assign(weight=0), scores).empty


def test_registry_lists_the_frameworks_with_their_direction() -> None:
    assert list(scoring.FRAMEWORKS) == ["rice", "ice", "value_effort", "moscow", "weighted"]
    assert [f.higher_is_better for f in scoring.FRAMEWORKS.values()] == [
        True,
        True,
        True,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="unknown framework"):
        scoring.framework("wsjf")


# ------------------------------------------------------------------ rank table


def _rice_vs_moscow() -> pd.DataFrame:
    """Eight features whose RICE and MoSCoW agree, except the first: best RICE, won't."""
    rows = [{"reach": 10_000, "impact": 3, "confidence": 100, "effort": 1, "moscow": "wont"}]
    moscow = ["must", "must", "should", "should", "could", "could", "could"]
    for i, category in enumerate(moscow):
        rows.append(
            {
                "reach": 1000 - 100 * i,
                "impact": 1,
                "confidence": 100,
                "effort": 1,
                "moscow": category,
            }
        )
    return features(*rows)


def test_rank_table_flags_first_under_rice_but_last_under_moscow() -> None:
    table = scoring.rank_table(_rice_vs_moscow())
    first = table.set_index("id").loc[1]
    assert first["rice_rank"] == 1
    assert first["moscow_rank"] == 8  # the only "won't" among 8
    assert first["rank_spread"] == 7
    assert bool(first["discuss"])
    assert first["note"] == "1st under RICE but 8th under MoSCoW"
    # Features whose rankings agree within 2 places are not flagged.
    calm = table[table["rank_spread"] < 3]
    assert not calm["discuss"].any() and len(calm) >= 5
    # Ties share the best rank (method="min"): two musts are both 1st.
    assert sorted(table["moscow_rank"].tolist())[:2] == [1, 1]


def test_rank_table_ranks_unscored_features_last_with_nan() -> None:
    df = features(
        {"reach": 10, "impact": 1, "confidence": 50, "effort": 1},
        {"reach": None, "impact": 1, "confidence": 50, "effort": 1},
        {"reach": 100, "impact": 1, "confidence": 50, "effort": 1},
    )
    table = scoring.rank_table(df, frameworks=["rice"])
    assert table["id"].tolist() == [3, 1, 2]
    assert table["rice_rank"].tolist()[:2] == [1, 2]
    assert math.isnan(table["rice_rank"].iloc[2])
    assert not table["discuss"].any()  # one framework: no spread at all


def test_rank_table_flags_at_most_five_and_only_wide_spreads() -> None:
    df = synthetic(40)
    table = scoring.rank_table(df)
    flagged = table[table["discuss"]]
    assert 0 < len(flagged) <= 5
    assert (flagged["rank_spread"] >= max(3, math.ceil(0.25 * 40))).all()
    assert flagged["rank_spread"].min() >= table.loc[~table["discuss"], "rank_spread"].max()
    assert flagged["note"].str.contains(" but ").all()
    ranks = table[[f"{k}_rank" for k in scoring.FRAMEWORKS if k != "weighted"]]
    assert (table["rank_spread"] == ranks.max(axis=1) - ranks.min(axis=1)).all()


# ------------------------------------------------------------------ Monte Carlo


def _dominant_and_near_tie() -> pd.DataFrame:
    """One clear leader, a near-tie pair competing for 3rd place, and a tail far below."""
    rows = [
        {"reach": 50_000, "impact": 2, "confidence": 80, "effort": 1},  # the leader
        {"reach": 20_000, "impact": 2, "confidence": 80, "effort": 1},  # a clear 2nd
        {"reach": 5_000, "impact": 1, "confidence": 50, "effort": 1},  # the pair …
        {"reach": 5_100, "impact": 1, "confidence": 50, "effort": 1},
    ]
    rows += [{"reach": 200 + 10 * i, "impact": 1, "confidence": 80, "effort": 2} for i in range(6)]
    return features(*rows)


def test_dominant_feature_is_solid_and_near_tie_is_fragile() -> None:
    result = scoring.monte_carlo(_dominant_and_near_tie(), k=3, draws=2000, seed=1)
    leader = result.iloc[0]
    assert leader["p_top_k"] > 0.95
    assert leader["verdict"] == "solid"
    assert leader["sentence"].startswith("In the top 3 in ")
    assert leader["sentence"].endswith("Solid.")
    for i in (2, 3):
        row = result.iloc[i]
        assert 0.2 < row["p_top_k"] < 0.8
        assert row["verdict"] == "fragile"
        assert "it hinges on its" in row["sentence"]
        assert "(confidence 50%)" in row["sentence"]
        assert row["sentence"].endswith("Fragile.")
    tail = result.iloc[4:]
    assert (tail["p_top_k"] < 0.05).all()
    assert result.attrs == {"framework": "rice", "k": 3, "draws": 2000, "seed": 1}


def test_monte_carlo_is_seeded() -> None:
    df = _dominant_and_near_tie()
    first = scoring.monte_carlo(df, k=3, seed=7)
    pd.testing.assert_frame_equal(first, scoring.monte_carlo(df, k=3, seed=7))
    other = scoring.monte_carlo(df, k=3, seed=8)
    assert not np.allclose(first["p_top_k"], other["p_top_k"])
    assert np.abs(first["p_top_k"] - other["p_top_k"]).max() < 0.1  # slightly different
    assert other.iloc[0]["verdict"] == first.iloc[0]["verdict"] == "solid"


def test_a_low_high_range_widens_the_rank_interval() -> None:
    base = synthetic(30, seed=11).assign(confidence=90)
    middle = int(scoring.rice_score(base).rank(ascending=False).sub(15).abs().idxmin())
    reach = base.at[middle, "reach"]
    ranged = base.copy()
    ranged.loc[middle, ["reach_low", "reach_high"]] = [reach / 20, reach * 5]
    narrow = scoring.monte_carlo(base, k=15, seed=2).loc[middle]
    wide = scoring.monte_carlo(ranged, k=15, seed=2).loc[middle]
    assert wide["rank_p90"] - wide["rank_p10"] > narrow["rank_p90"] - narrow["rank_p10"]
    assert wide["driver"] == "reach"
    assert wide["verdict"] == "fragile"
    assert f"reach range ({reach / 20:,.0f}–{reach * 5:,.0f})" in wide["sentence"]


def test_monte_carlo_leaves_unscored_features_out() -> None:
    df = features(
        {"reach": 100, "impact": 1, "confidence": 50, "effort": 1},
        {"reach": None, "impact": 1, "confidence": 50, "effort": 2},
    )
    result = scoring.monte_carlo(df, k=1)
    assert result.iloc[0]["p_top_k"] == 1
    assert result.iloc[1]["verdict"] == "unscored"
    assert math.isnan(result.iloc[1]["p_top_k"])
    assert result.iloc[1]["sentence"] == "Not ranked by RICE: reach missing."
    with pytest.raises(ValueError, match="robustness check"):
        scoring.monte_carlo(df, framework="moscow")


@pytest.mark.parametrize("key", ["ice", "value_effort"])
def test_monte_carlo_on_the_other_numeric_frameworks(key: str) -> None:
    result = scoring.monte_carlo(synthetic(20), framework=key, k=5, draws=500)
    assert result["p_top_k"].sum() == pytest.approx(5)
    assert set(result["verdict"]) <= {"solid", "fragile"}
    assert set(result["driver"]) <= set(scoring.MONTE_CARLO_INPUTS[key])


def test_ties_are_broken_at_random_not_by_position() -> None:
    same = {"reach": 100, "impact": 1, "confidence": 100, "effort": 1}  # no noise at all
    result = scoring.monte_carlo(features(same, same), k=1, draws=2000)
    assert result["p_top_k"].tolist() == pytest.approx([0.5, 0.5], abs=0.05)
    assert set(result["verdict"]) == {"fragile"}
    assert "ties with other features" in result.iloc[0]["sentence"]


def test_ordinals_and_percentages_read_well() -> None:
    assert [scoring.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]


@pytest.mark.parametrize("n", [0, 1, 500])
def test_zero_one_and_five_hundred_features(n: int) -> None:
    df = synthetic(n) if n else features()
    table = scoring.rank_table(df)
    assert len(table) == n
    result = scoring.monte_carlo(df, draws=2000)
    assert len(result) == n
    assert list(result.columns) == scoring.MONTE_CARLO_COLUMNS
    assert len(scoring.value_effort(df)) == n
    if n:
        assert result["p_top_k"].sum() == pytest.approx(min(5, n))
        assert table["discuss"].sum() <= 5


# ------------------------------------------------------------------ properties

impact_values = st.sampled_from(scoring.IMPACT_SCALE)


@st.composite
def feature_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        reach = draw(st.integers(0, 1_000_000))
        effort = draw(st.floats(0.25, 50, allow_nan=False))
        row: dict[str, Any] = {
            "reach": reach,
            "impact": draw(impact_values),
            "confidence": draw(st.integers(0, 100)),
            "effort": effort,
        }
        if draw(st.booleans()):
            row["reach_low"] = draw(st.integers(0, reach))
            row["reach_high"] = draw(st.integers(reach, 2_000_000))
        if draw(st.booleans()):
            row["effort_low"] = draw(st.floats(0.1, effort))
        rows.append(row)
    return features(*rows)


@settings(max_examples=40, deadline=None)
@given(df=feature_frames(), k=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_monte_carlo_properties(df: pd.DataFrame, k: int, seed: int) -> None:
    n = len(df)
    result = scoring.monte_carlo(df, k=k, draws=200, seed=seed)
    assert result["p_top_k"].between(0, 1).all()
    assert result["p_top_k"].sum() == pytest.approx(min(k, n))
    assert (result["rank_p10"] <= result["median_rank"]).all()
    assert (result["median_rank"] <= result["rank_p90"]).all()
    assert result["rank_p10"].ge(1).all() and result["rank_p90"].le(n).all()
    assert set(result["verdict"]) <= {"solid", "fragile"}


@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30),
    draws=st.integers(1, 50),
    seed=st.integers(0, 1000),
)
def test_ranks_per_draw_are_a_permutation(scores: list[float], draws: int, seed: int) -> None:
    matrix = np.tile(np.asarray(scores), (draws, 1))
    rng = np.random.default_rng(seed)
    ranks = scoring.rank_draws(matrix, rng)
    n = len(scores)
    assert (np.sort(ranks, axis=1) == np.arange(1, n + 1)).all()
    # A higher score always ranks ahead of a lower one.
    values = np.asarray(scores)
    higher = values[:, None] > values[None, :]
    for row in ranks:
        assert (row[:, None] < row[None, :])[higher].all()


def test_a_repeated_index_is_fine() -> None:
    df = pd.concat([synthetic(12), synthetic(12, seed=4)])  # index 0..11 twice
    table = scoring.rank_table(df)
    assert len(table) == 24 and table["discuss"].sum() <= 5
    result = scoring.monte_carlo(df, draws=300)
    assert result["p_top_k"].sum() == pytest.approx(5)
