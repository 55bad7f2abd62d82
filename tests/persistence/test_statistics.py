"""Persistent Personas statistics: ratings-table validation, 0-100 scaling, BFI distance,
bootstrap difference CIs, and recovery of known effects by the MixedLM regressions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import synthetic_ratings as syn
from personascope.persistence import regressions as rg
from personascope.persistence import statistics as st
from personascope.persistence.data import bfi_labels
from personascope.persistence.ratings import RATINGS_SCHEMA
from personascope.stats import bootstrap_ci

INCHARACTER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "incharacter"


def row(**kw: object) -> dict[str, object]:
    base = {
        "model": "m",
        "role": "Gaston",
        "dialogue_type": "persona_directed",
        "round": 0,
        "dataset": "ifbench_strict",
        "item": "i1",
        "rating": 1.0,
        "prefix_tokens": 0,
    }
    return {**base, **kw}


# --- scaling ------------------------------------------------------------------------------------


def test_likert_scales_to_0_100() -> None:
    assert list(st.scale_to_100("fidelity_style", np.array([1, 2, 3, 4, 5]))) == [
        0.0,
        25.0,
        50.0,
        75.0,
        100.0,
    ]


@pytest.mark.parametrize(
    ("dataset", "rating", "expected"),
    [("ifbench_loose", 1.0, 100.0), ("xstest_safe", 0.0, 0.0), ("rolebench_general", 0.5, 50.0)],
)
def test_rates_scale_by_100(dataset: str, rating: float, expected: float) -> None:
    assert st.scale_to_100(dataset, rating) == expected


# --- validation ---------------------------------------------------------------------------------


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    pd.DataFrame([row()]).drop(columns=["dialogue_type"]).to_csv(path, index=False)
    with pytest.raises(st.RatingsTableError, match=r"r\.csv.*missing column.*dialogue_type"):
        st.read_ratings_table(path)


def test_out_of_scale_rating_names_file_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pd.DataFrame([row(dataset="fidelity_style", rating=6.0)]).to_parquet(path)
    with pytest.raises(st.RatingsTableError, match=r"r\.parquet.*'rating'.*6\.0.*\[1, 5\]"):
        st.read_ratings_table(path)


def test_unknown_dataset_and_dialogue_type_are_errors() -> None:
    with pytest.raises(st.RatingsTableError, match=r"'dataset'.*'mmlu'"):
        st.validate_ratings(pd.DataFrame([row(dataset="mmlu")]))
    with pytest.raises(st.RatingsTableError, match=r"'dialogue_type'.*'chat'"):
        st.validate_ratings(pd.DataFrame([row(dialogue_type="chat")]))


def test_binary_dataset_rejects_a_tie_and_rounds_must_be_integers() -> None:
    with pytest.raises(st.RatingsTableError, match="1 or 0 for dataset xstest_unsafe"):
        st.validate_ratings(pd.DataFrame([row(dataset="xstest_unsafe", rating=0.5)]))
    with pytest.raises(st.RatingsTableError, match=r"'round'.*2\.5"):
        st.validate_ratings(pd.DataFrame([row(round=2.5)]))


def test_duplicate_items_are_an_error() -> None:
    with pytest.raises(st.RatingsTableError, match="2 rows repeat the key"):
        st.validate_ratings(pd.DataFrame([row(), row(rating=0.0)]))


def test_csv_without_prefix_tokens_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "published.csv"
    pd.DataFrame([row(item="007"), row(item="8")]).drop(columns=["prefix_tokens"]).to_csv(
        path, index=False
    )
    table = st.read_ratings_table(path)
    assert table["prefix_tokens"].isna().all()
    assert list(table["item"]) == ["007", "8"]  # item ids stay strings


# --- BFI distance -------------------------------------------------------------------------------


def test_bfi_distance_hand_checked() -> None:
    # |4-5| + |3-3| + |5-3| + |2-2| + |3-1| = 5; mean 1.0; / 4 = 0.25; x 100
    assert st.bfi_distance(np.array([4, 3, 5, 2, 3]), np.array([5, 3, 3, 2, 1])) == 25.0
    assert math.isnan(st.bfi_distance(np.array([4, 3, np.nan, 2, 3]), np.ones(5)))


def bfi_rows(role: str, by_trait: dict[str, list[tuple[str, float]]]) -> list[dict[str, object]]:
    return [
        row(role=role, dataset="bfi", item=item, rating=rating)
        for items in by_trait.values()
        for item, rating in items
    ]


def test_bfi_profiles_against_incharacter_labels_and_baseline() -> None:
    # Items by trait in InCharacter's BFI.json: 1 E, 2 A, 3 C, 4 N, 5 O, 6 E (reverse-keyed).
    gaston = {
        "E": [("1", 5.0), ("6", 3.0)],
        "A": [("2", 1.0)],
        "C": [("3", 4.0)],
        "N": [("4", 2.0)],
        "O": [("5", 3.0)],
    }
    empty = {
        "E": [("1", 3.0), ("6", 3.0)],
        "A": [("2", 3.0)],
        "C": [("3", 3.0)],
        "N": [("4", 3.0)],
        "O": [("5", 3.0)],
    }
    ratings = st.validate_ratings(
        pd.DataFrame(bfi_rows("Gaston", gaston) + bfi_rows("empty", empty))
    )
    roles = ["Gaston", "HAL 9000", "empty"]
    key = st.load_bfi_key(
        INCHARACTER / "BFI.json", bfi_labels(INCHARACTER / "characters_labels.json", roles), roles
    )
    assert set(key.labels) == {"Gaston"}  # HAL 9000 is not an InCharacter character
    obs = st.metric_observations(ratings, key).set_index(["metric", "role"])

    labels = json.loads((INCHARACTER / "characters_labels.json").read_text())
    truth = labels["annotation"]["Gaston-en"]["BFI"]
    profile = {
        "Extraversion": 4.0,
        "Agreeableness": 1.0,
        "Conscientiousness": 4.0,
        "Neuroticism": 2.0,
        "Openness": 3.0,
    }
    to_labels = np.mean([abs(profile[t] - truth[t]["score"]) for t in profile]) / 4 * 100
    assert obs.loc[("bfi_distance_labels", "Gaston"), "value"] == pytest.approx(to_labels)
    # |4-3| + |1-3| + |4-3| + |2-3| + |3-3| = 5 -> 1.0 / 4 * 100
    assert obs.loc[("bfi_distance_baseline", "Gaston"), "value"] == pytest.approx(25.0)
    # the baseline is compared with the labelled role's labels, unit = that role
    base = np.mean([abs(3.0 - truth[t]["score"]) for t in profile]) / 4 * 100
    assert obs.loc[("bfi_distance_labels", "empty"), "value"] == pytest.approx(base)
    assert obs.loc[("bfi_distance_labels", "empty"), "unit"] == "Gaston"

    reversed_obs = st.metric_observations(ratings, key, reverse_keying=True)
    flipped = reversed_obs.set_index(["metric", "role"]).loc[("bfi_distance_baseline", "Gaston")]
    # item 6 becomes 6 - 3 = 3: no change for E = mean(5, 3); reverse-keyed item 2 -> 5 for A
    # (A: |5-3| = 2 against the baseline's reversed 3) -> |4-3|+2+1+1+0 = 5 -> 25
    assert flipped["value"] == pytest.approx(25.0)


def test_unknown_bfi_item_is_an_error() -> None:
    labels = bfi_labels(INCHARACTER / "characters_labels.json", [])
    key = st.load_bfi_key(INCHARACTER / "BFI.json", labels, [])
    ratings = st.validate_ratings(pd.DataFrame([row(dataset="bfi", item="99", rating=3.0)]))
    with pytest.raises(st.RatingsTableError, match="'99'"):
        st.metric_observations(ratings, key)


# --- bootstrap differences ----------------------------------------------------------------------


def obs_frame(records: list[tuple[str, str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model": "m",
                "role": r,
                "dialogue_type": t,
                "round": k,
                "metric": "ifbench_strict",
                "unit": u,
                "value": v,
                "prefix_tokens": 0.0,
            }
            for r, t, k, u, v in records
        ]
    )


def test_type_difference_pairs_items_and_bootstraps_the_pairs() -> None:
    pd_vals = [100, 0, 100, 100, 0, 100]
    go_vals = [0, 0, 100, 0, 0, 100]
    records = [("Gaston", "persona_directed", 5, f"i{i}", float(v)) for i, v in enumerate(pd_vals)]
    records += [("Gaston", "goal_oriented", 5, f"i{i}", float(v)) for i, v in enumerate(go_vals)]
    diffs = st.checkpoint_differences(obs_frame(records), resamples=1000, seed=42, unit="item")
    got = diffs[(diffs["kind"] == "type_difference") & (diffs["model"] == "all")].iloc[0]
    paired = np.array(pd_vals, float) - np.array(go_vals, float)
    assert got["mean"] == pytest.approx(paired.mean())  # 200 / 6
    assert got["n"] == 6
    low, high = bootstrap_ci(paired, resamples=1000, seed=42)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high))
    assert 0.0 <= got["ci_low"] < got["mean"] < got["ci_high"] <= 100.0


def test_change_from_start_and_persona_minus_baseline() -> None:
    records = [
        ("Gaston", "persona_directed", 0, "a", 80.0),
        ("Gaston", "persona_directed", 9, "a", 50.0),
        ("Gaston", "persona_directed", 0, "b", 60.0),
        ("Gaston", "persona_directed", 9, "b", 30.0),
        ("empty", "persona_directed", 0, "a", 70.0),
        ("empty", "persona_directed", 0, "b", 50.0),
    ]
    diffs = st.checkpoint_differences(obs_frame(records), resamples=200, seed=42, unit="item")
    pooled = diffs[diffs["model"] == "all"].set_index(["kind", "group", "round"])
    change = pooled.loc[("change_from_start", "persona", 9)]
    assert change["mean"] == -30.0
    assert change["ci_low"] == change["ci_high"] == -30.0  # a constant difference has no spread
    assert pooled.loc[("change_from_start", "persona", 0), "mean"] == 0.0
    assert pooled.loc[("persona_minus_baseline", "persona", 0), "mean"] == 10.0
    assert ("persona_minus_baseline", "persona", 9) not in pooled.index  # no baseline at 9


def test_checkpoint_summaries_split_persona_and_baseline() -> None:
    records = [
        ("Gaston", "goal_oriented", 0, "a", 100.0),
        ("Gaston", "goal_oriented", 0, "b", 0.0),
        ("empty", "goal_oriented", 0, "a", 100.0),
    ]
    means = st.checkpoint_summaries(obs_frame(records), resamples=200, seed=42, unit="item")
    pooled = means[means["model"] == "all"].set_index("group")
    assert pooled.loc["persona", "mean"] == 50.0 and pooled.loc["persona", "n"] == 2
    assert pooled.loc["baseline", "mean"] == 100.0
    assert math.isnan(pooled.loc["baseline", "ci_low"])  # one value: no interval, not a fake one


# --- known effects ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_obs() -> pd.DataFrame:
    truth = syn.Truth(ifbench_items=4, bfi_items=0, persona_per_size=PERSONA_PER_SIZE)
    ratings = st.validate_ratings(syn.ratings_table(truth, seed=11), "synthetic")
    return st.metric_observations(ratings, None)


PERSONA_PER_SIZE = 3.0


def size_spread(per_model: int) -> float:
    """Sum of squared deviations of size_class over the regression's observations."""
    sizes = np.array([s["size_class"] for s in syn.REGISTRY.values() for _ in range(per_model)])
    return float(((sizes - sizes.mean()) ** 2).sum())


def test_length_effect_recovers_each_models_slope(synthetic_obs: pd.DataFrame) -> None:
    truth = syn.Truth()
    table = rg.length_effects(synthetic_obs)
    style = table[table["metric"] == "fidelity_style"]
    assert len(style) == 2 * len(syn.REGISTRY)
    rounds = np.array(truth.fidelity_rounds, float)
    # SE of a slope with independent noise, 6 personas sharing the rounds
    se = truth.noise_sd / math.sqrt(len(syn.ROLES) * ((rounds - rounds.mean()) ** 2).sum())
    for rec in style.itertuples():
        slope = truth.slope(syn.REGISTRY[rec.model]["size_class"])
        assert abs(rec.coefficient - slope) < 4 * se, (rec.model, rec.coefficient, slope)
        assert rec.ci_low < slope < rec.ci_high or abs(rec.coefficient - slope) < 2.5 * se
        assert rec.p_value < 0.001  # every true slope is at least -0.3 points per round


def test_persona_effect_recovers_the_persona_shift() -> None:
    # no per-role intercepts here: each persona's true shift is then exactly persona_effect
    truth = syn.Truth(role_sd=0.0, ifbench_items=1, bfi_items=0)
    ratings = st.validate_ratings(syn.ratings_table(truth, seed=5, models=["qwen-s", "api"]))
    table = rg.persona_effects(st.metric_observations(ratings, None))
    style = table[table["metric"] == "fidelity_style"]
    pooled = style[style["term"] == rg.POOLED_PERSONA_TERM]
    assert len(pooled) == len(set(zip(style["model"], style["dialogue_type"], strict=True)))
    assert pooled["coefficient"].mean() == pytest.approx(truth.persona_effect, abs=1.0)
    assert (
        (pooled["ci_low"] < truth.persona_effect) & (truth.persona_effect < pooled["ci_high"])
    ).mean() >= 0.75
    style = style[style["term"] != rg.POOLED_PERSONA_TERM]
    assert set(style["term"]) == set(syn.ROLES)
    covered = (
        (style["ci_low"] < truth.persona_effect) & (truth.persona_effect < style["ci_high"])
    ).mean()
    assert covered >= 0.85  # nominal 95%, 24 intervals
    # 24 estimates, each from 20 rounds of noise sd 3 on both sides
    assert style["coefficient"].mean() == pytest.approx(truth.persona_effect, abs=1.0)
    assert (style["p_value"] < 0.001).all()


def test_length_cost_regression_recovers_the_size_effect(synthetic_obs: pd.DataFrame) -> None:
    truth = syn.Truth()
    table, notes = rg.length_cost_regression(synthetic_obs, syn.REGISTRY)
    assert list(table.columns) == ["dataset", "coefficient", "ci_low", "ci_high", "p_value"]
    got = table.set_index("dataset").loc["fidelity_style"]
    # one diff per model x persona x type (12 per model), the noise of two independent rounds
    se = truth.noise_sd * math.sqrt(2) / math.sqrt(size_spread(12))
    assert abs(got["coefficient"] - truth.cost_per_size) < 4 * se
    assert got["ci_low"] < truth.cost_per_size < got["ci_high"]
    assert got["p_value"] < 0.01
    fits = notes.set_index("dataset")
    assert fits.loc["fidelity_style", "converged"]
    assert fits.loc["fidelity_knowledge", "note"] == "no data"


def test_length_cost_zero_size_effect_is_not_significant() -> None:
    truth = syn.Truth(cost_per_size=0.0, ifbench_items=1, bfi_items=0)
    ratings = st.validate_ratings(syn.ratings_table(truth, seed=23))
    table, _ = rg.length_cost_regression(st.metric_observations(ratings, None), syn.REGISTRY)
    got = table.set_index("dataset").loc["fidelity_style"]
    assert got["ci_low"] < 0.0 < got["ci_high"]
    assert got["p_value"] > 0.05


def test_personalization_cost_regression_recovers_the_size_effect(
    synthetic_obs: pd.DataFrame,
) -> None:
    truth = syn.Truth()
    table, _ = rg.personalization_cost_regression(synthetic_obs, syn.REGISTRY)
    got = table.set_index("dataset").loc["fidelity_style"]
    # Every persona of a model x dialogue type is compared with the same baseline, whose noise
    # and intercept the persona x family grouping does not model: the true SE is that of the
    # 14 model x type means (6 personas each), larger than the fit's.
    noise = truth.noise_sd**2 + truth.role_sd**2
    se = math.sqrt((noise / len(syn.ROLES) + noise) / size_spread(2))
    assert abs(got["coefficient"] - PERSONA_PER_SIZE) < 4 * se
    assert got["p_value"] < 0.05


def test_cost_regression_with_one_size_class_is_not_estimable(
    synthetic_obs: pd.DataFrame,
) -> None:
    one = synthetic_obs[synthetic_obs["model"].isin(["gemma-s", "qwen-s"])]
    table, notes = rg.length_cost_regression(one, syn.REGISTRY)
    assert table.set_index("dataset").loc["fidelity_style"].isna().all()
    assert notes.set_index("dataset").loc["fidelity_style", "note"].startswith("not fitted")


def test_models_missing_from_the_registry_are_named(synthetic_obs: pd.DataFrame) -> None:
    with pytest.raises(rg.RegistryError, match="api"):
        rg.length_cost_regression(
            synthetic_obs, {k: v for k, v in syn.REGISTRY.items() if k != "api"}
        )


def test_the_workflows_ratings_schema_is_read(tmp_path: Path) -> None:
    """The contract with the scoring stage: a table written with its schema (extra `order` and
    `trait` columns, int64 prefix_tokens) reads, and fidelity rows of both orders average."""
    rows = [
        {
            **row(dataset="fidelity_style", round=1, rating=r, item=f"{order}:1", prefix_tokens=0),
            "order": order,
            "trait": None,
            "judged_as": "Gaston",
        }
        for order, r in (("original", 5.0), ("shuffled", 3.0))
    ] + [
        {
            **row(dataset="bfi", item="1", rating=4.0, prefix_tokens=120),
            "order": "original",
            "trait": "Extraversion",
            "judged_as": "Gaston",
        }
    ]
    frame = pd.DataFrame(rows)[RATINGS_SCHEMA.names]
    path = tmp_path / "ratings.parquet"
    pq.write_table(pa.Table.from_pandas(frame, RATINGS_SCHEMA, preserve_index=False), path)
    table = st.read_ratings_table(path)
    obs = st.metric_observations(table, None)
    assert obs.loc[obs["metric"] == "fidelity_style", "value"].tolist() == [75.0]  # (4-1)/4*100


def test_degenerate_slices_give_empty_cells_not_crashes() -> None:
    roles = list("aaabbbcccddd")
    single_round = pd.DataFrame({"rating": np.arange(12.0), "pos": [0] * 12, "role": roles})
    fit = rg.fit_mixed(single_round, "rating ~ pos", "role")
    assert fit.note.startswith("not fitted") and fit.coefficients.empty
    one_group = single_round.assign(role="a", pos=[0, 1, 2] * 4)
    assert rg.fit_mixed(one_group, "rating ~ pos", "role").note == (
        "not fitted: 12 observations in 1 group(s)"
    )


def test_persona_minus_baseline_uses_the_baseline_judged_as_that_persona() -> None:
    """The baseline's round is judged once per persona: Gaston pairs with the Gaston judgment."""
    ratings = pd.DataFrame(
        [
            row(dataset="fidelity_style", round=1, item="original:1", rating=5.0),
            row(dataset="fidelity_style", round=1, item="original:1", role="HAL 9000", rating=5.0),
            row(
                dataset="fidelity_style",
                round=1,
                item="original:1",
                role="empty",
                rating=3.0,
                judged_as="Gaston",
            ),
            row(
                dataset="fidelity_style",
                round=1,
                item="original:1",
                role="empty",
                rating=1.0,
                judged_as="HAL 9000",
            ),
        ]
    )
    obs = st.metric_observations(st.validate_ratings(ratings), None)
    diffs = st.paired_differences(obs)
    gaps = diffs[diffs["kind"] == "persona_minus_baseline"].set_index("role")["diff"]
    assert gaps.to_dict() == {"Gaston": 50.0, "HAL 9000": 100.0}  # (5-3)/4, (5-1)/4 x 100
    cost = st.personalization_cost_units(obs).set_index("role")["diff"]
    assert cost.to_dict() == {"Gaston": 50.0, "HAL 9000": 100.0}


def test_cell_bootstrap_resamples_model_by_role_means_not_items() -> None:
    """Two roles, one with many items: the paper's unit gives each role's mean equal weight."""
    records = [("Gaston", "goal_oriented", 0, f"g{i}", 100.0) for i in range(9)]
    records += [("HAL 9000", "goal_oriented", 0, "h0", 0.0)]
    obs = obs_frame(records)
    cell = st.checkpoint_summaries(obs, resamples=500, seed=1, unit="cell")
    item = st.checkpoint_summaries(obs, resamples=500, seed=1, unit="item")
    cell = cell[(cell["model"] == "all") & (cell["group"] == "persona")].iloc[0]
    item = item[(item["model"] == "all") & (item["group"] == "persona")].iloc[0]
    assert (cell["mean"], cell["n"]) == (50.0, 2)
    assert (item["mean"], item["n"]) == (90.0, 10)
    assert cell["ci_high"] - cell["ci_low"] > item["ci_high"] - item["ci_low"]
    with pytest.raises(ValueError, match="bootstrap unit"):
        st.checkpoint_summaries(obs, resamples=100, unit="pooled")


def test_dialogue_row_is_the_mean_of_the_three_fidelity_rubrics() -> None:
    ratings = pd.DataFrame(
        [
            row(dataset=d, round=1, item="original:1", rating=r)
            for d, r in (
                ("fidelity_knowledge", 5.0),
                ("fidelity_style", 3.0),
                ("fidelity_in_character", 1.0),
            )
        ]
    )
    obs = st.metric_observations(st.validate_ratings(ratings), None)
    dialogue = obs[obs["metric"] == "fidelity_dialogue"]
    assert dialogue["value"].tolist() == [50.0]  # (100 + 50 + 0) / 3


def test_personalization_cost_has_the_general_ifbench_safety_and_excess_safety_rows() -> None:
    """Table 6's rows: the baseline's RoleBench-general answers are judged as each persona under
    that persona's item ids, so they pair; IFBench and XSTest pair on the shared items."""
    rng = np.random.default_rng(3)
    rows = []
    for model in ("gemma-s", "gemma-l", "qwen-s", "qwen-l", "api"):
        size = syn.REGISTRY[model]["size_class"]
        for role in ("Gaston", "HAL 9000", "Blair Waldorf", "empty"):
            personas = ["Gaston", "HAL 9000", "Blair Waldorf"] if role == "empty" else [role]
            for as_role in personas:
                for i in range(6):
                    win = rng.random() < (0.5 if role == "empty" else 0.3 + 0.1 * size)
                    rows.append(
                        row(
                            model=model,
                            role=role,
                            judged_as=as_role,
                            round=0,
                            dataset="rolebench_general",
                            item=f"{as_role}:{i}",
                            rating=float(win),
                        )
                    )
            for i in range(6):
                for dataset in ("ifbench_strict", "xstest_safe", "xstest_unsafe"):
                    rows.append(
                        row(
                            model=model,
                            role=role,
                            round=0,
                            dataset=dataset,
                            item=f"{i}",
                            rating=float(rng.random() < 0.5),
                        )
                    )
    obs = st.metric_observations(st.validate_ratings(pd.DataFrame(rows)), None)
    table, notes = rg.personalization_cost_regression(obs, syn.REGISTRY)
    table = table.set_index("dataset")
    for dataset in ("rolebench_general", "ifbench_strict", "xstest_unsafe", "xstest_safe"):
        assert pd.notna(table.loc[dataset, "coefficient"]), (dataset, notes)


def test_per_model_bars_resample_cells_and_type_difference_pools_rounds() -> None:
    # Gaston: PD - GO = +40 on 3 items at round 1 and +20 on 1 item at round 2;
    # HAL 9000: 0 on one item at round 1. Cells are model x role x round.
    records = []
    for role, k, unit, pd_value, go_value in [
        ("Gaston", 1, "a", 90.0, 50.0),
        ("Gaston", 1, "b", 90.0, 50.0),
        ("Gaston", 1, "c", 90.0, 50.0),
        ("Gaston", 2, "a", 70.0, 50.0),
        ("HAL 9000", 1, "a", 50.0, 50.0),
        ("empty", 1, "a", 10.0, 90.0),  # the baseline is not a persona: no bar of its own
    ]:
        records += [(role, "persona_directed", k, unit, pd_value)]
        records += [(role, "goal_oriented", k, unit, go_value)]
    units = st.type_difference_units(obs_frame(records))
    assert set(units["role"]) == {"Gaston", "HAL 9000"}
    by = ["model", "metric", "dialogue_type"]
    cell = st.per_model_cost(units, by, resamples=200, seed=1, unit="cell").iloc[0]
    item = st.per_model_cost(units, by, resamples=200, seed=1, unit="item").iloc[0]
    assert cell["dialogue_type"] == "both"
    # cells: Gaston r1 = 40, Gaston r2 = 20, HAL r1 = 0 -> mean 20 over 3 cells
    assert (cell["mean"], cell["n"]) == (pytest.approx(20.0), 3)
    # items: 40, 40, 40, 20, 0 -> 28 over 5
    assert (item["mean"], item["n"]) == (pytest.approx(28.0), 5)


def test_length_effect_fits_persona_by_round_means_not_items() -> None:
    # two personas x three rounds; Gaston has 10 items per round, HAL one: on cell means each
    # persona-round counts once (6 observations), whatever the item counts
    records = []
    for k, (gaston, hal) in enumerate([(90.0, 60.0), (80.0, 40.0), (70.0, 20.0)]):
        records += [("Gaston", "goal_oriented", k, f"g{i}", gaston + i % 2) for i in range(10)]
        records += [("HAL 9000", "goal_oriented", k, "h", hal)]
    table = rg.length_effects(obs_frame(records))
    row = table.iloc[0]
    assert row["n_obs"] == 6 and row["n_groups"] == 2
    # the persona means fall 10 and 20 points a round: the pooled slope is -15
    assert row["coefficient"] == pytest.approx(-15.0, abs=0.5)
