"""Persistent Personas statistics: the ratings table, 0-100 metrics, BFI distances, bootstrap CIs.

Everything downstream of scoring starts from one long *ratings table* (one row per scored item;
format in `RATINGS_COLUMNS` and the README), so published ratings can be re-analysed without
running a model. Stages:

1. `metric_observations`: ratings -> one 0-100 observation per unit (item; a dialogue round for
   fidelity; a role for BFI distances), named by metric.
2. `checkpoint_summaries` / `checkpoint_differences`: per-checkpoint means and the three
   differences of the paper (persona-directed - goal-oriented, change from the first round,
   persona - baseline) with seeded percentile-bootstrap CIs (1,000 resamples, seed 42).
3. `length_costs` / `personalization_costs`: per-model bars (5,000 resamples).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..io import read_parquet
from ..stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, mean_ci
from .formats import BFI_TRAITS, DATASETS, FIDELITY, KEY, OPTIONAL_COLUMNS, RATINGS_COLUMNS

log = logging.getLogger(__name__)

BASELINE = "empty"
DIALOGUE_TYPES = ("persona_directed", "goal_oriented")
BAR_RESAMPLES = 5000
TRAITS = BFI_TRAITS

# Metrics (what the statistics report) -> (label, higher is better). BFI ratings become distances.
DIALOGUE = "fidelity_dialogue"  # the paper's Table 5 "Dialogue" row: the three rubrics' mean
METRICS: dict[str, tuple[str, bool]] = {
    **{name: (d.label, d.higher_is_better) for name, d in DATASETS.items() if name != "bfi"},
    DIALOGUE: ("Dialogue (mean of the fidelity rubrics)", True),
    "bfi_distance_labels": ("BFI distance to InCharacter labels", False),
    "bfi_distance_baseline": ("BFI distance to baseline profile", False),
}
METRIC_ORDER = (
    *FIDELITY,
    DIALOGUE,
    "bfi_distance_labels",
    "bfi_distance_baseline",
    "rolebench_role_specific",
    "rolebench_general",
    "ifbench_strict",
    "ifbench_loose",
    "xstest_unsafe",
    "xstest_safe",
)

OBS_COLUMNS = [
    "model",
    "role",
    "judged_as",
    "dialogue_type",
    "round",
    "metric",
    "unit",
    "value",
    "prefix_tokens",
]


class RatingsTableError(InputDataError):
    """A ratings table that does not follow the documented format."""


# --- reading and validating the ratings table ----------------------------------------------------


def read_ratings_table(path: str | Path, known_roles: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a ratings table (Parquet or CSV) and validate it; errors name file, column, values."""
    path = Path(path)
    if not path.is_file():
        raise RatingsTableError(f"ratings table {path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".gz"):
        raise RatingsTableError(f"ratings table {path}: expected a .parquet or .csv file")
    try:
        if suffix == ".parquet":
            frame = read_parquet(path)
        else:
            # Strict UTF-8: a UTF-16 or Latin-1 export is refused, never read as mojibake roles.
            frame = pd.read_csv(
                path,
                dtype={"item": str, "model": str, "role": str},
                encoding="utf-8",
                encoding_errors="strict",
            )
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        # pyarrow's ArrowInvalid and pandas' EmptyDataError are ValueErrors; a gzip that holds
        # no CSV, or a Parquet file that is not one, lands here too.
        kind = "Parquet" if suffix == ".parquet" else "UTF-8 CSV"
        raise RatingsTableError(
            f"ratings table {path}: cannot be read as {kind} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})"
        ) from None
    return validate_ratings(frame, str(path), known_roles)


def _bad(source: str, column: str, values: Iterable[Any], expected: str) -> RatingsTableError:
    shown = sorted({repr(v) for v in values})
    more = f" (and {len(shown) - 5} more)" if len(shown) > 5 else ""
    return RatingsTableError(
        f"ratings table {source}: column {column!r} has bad value(s) {', '.join(shown[:5])}{more};"
        f" expected {expected}"
    )


def validate_ratings(
    frame: pd.DataFrame, source: str = "<frame>", known_roles: Iterable[str] | None = None
) -> pd.DataFrame:
    """Check columns, types, roles and per-dataset rating domains; return a normalized copy.

    `known_roles`: the roles of the study's roles.json (the baseline `empty` is always known);
    a role outside them (`" Gaston"`, a typo) is refused, never analysed as a role of its own.
    """
    required = [c for c in RATINGS_COLUMNS if c not in OPTIONAL_COLUMNS]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise RatingsTableError(
            f"ratings table {source}: missing column(s) {missing}; expected columns "
            f"{list(RATINGS_COLUMNS)} ({', '.join(OPTIONAL_COLUMNS)} optional)"
        )
    out = frame[[c for c in RATINGS_COLUMNS if c in frame.columns]].copy()
    if "prefix_tokens" not in out.columns:
        out["prefix_tokens"] = np.nan
    if "judged_as" not in out.columns:
        out["judged_as"] = None
    # a persona's own answer is judged as itself; the baseline's as the named persona or none
    judged = out["judged_as"].where(out["judged_as"].notna(), None)
    judged = judged.where(judged.astype(str).str.strip() != "", None)
    out["judged_as"] = judged.where(out["role"] == BASELINE, out["role"]).fillna("")
    for column in ("model", "role", "item"):
        null = out[column].isna() | (out[column].astype(str).str.strip() == "")
        if null.any():
            raise _bad(source, column, ["<empty>"], "a non-empty string in every row")
        out[column] = out[column].astype(str)
    if known_roles is not None:
        known = {*known_roles, BASELINE}
        unknown = ~out["role"].isin(known)
        if unknown.any():
            raise _bad(source, "role", out.loc[unknown, "role"], f"one of {sorted(known)}")
    bad_type = ~out["dialogue_type"].isin(DIALOGUE_TYPES)
    if bad_type.any():
        raise _bad(source, "dialogue_type", out.loc[bad_type, "dialogue_type"], str(DIALOGUE_TYPES))
    bad_dataset = ~out["dataset"].isin(list(DATASETS))
    if bad_dataset.any():
        raise _bad(source, "dataset", out.loc[bad_dataset, "dataset"], f"one of {list(DATASETS)}")
    rounds = pd.to_numeric(out["round"], errors="coerce")
    bad_round = rounds.isna() | (rounds < 0) | (rounds != rounds.round())
    if bad_round.any():
        raise _bad(source, "round", out.loc[bad_round, "round"], "an integer >= 0")
    out["round"] = rounds.astype("int64")
    ratings = pd.to_numeric(out["rating"], errors="coerce")
    for name, dataset in DATASETS.items():
        rows = out["dataset"] == name
        values = ratings[rows]
        if dataset.scale == "likert":
            bad = values.isna() | (values < 1) | (values > 5)
            expected = f"a number in [1, 5] for dataset {name}"
        elif dataset.scale == "pairwise":
            bad = ~values.isin([0.0, 0.5, 1.0])
            expected = f"1 (win), 0.5 (tie) or 0 (loss) for dataset {name}"
        else:
            bad = ~values.isin([0.0, 1.0])
            expected = f"1 or 0 for dataset {name}"
        if bad.any():
            raise _bad(source, "rating", out.loc[bad[bad].index, "rating"], expected)
    out["rating"] = ratings.astype(float)
    tokens = pd.to_numeric(out["prefix_tokens"], errors="coerce")
    bad_tokens = out["prefix_tokens"].notna() & (tokens.isna() | (tokens < 0))
    if bad_tokens.any():
        raise _bad(
            source,
            "prefix_tokens",
            out.loc[bad_tokens, "prefix_tokens"],
            "an integer >= 0 or empty",
        )
    out["prefix_tokens"] = tokens.astype(float)
    dupes = out.duplicated(list(KEY), keep=False)
    if dupes.any():
        first = out.loc[dupes, list(KEY)].iloc[0].to_dict()
        raise RatingsTableError(
            f"ratings table {source}: {int(dupes.sum())} rows repeat the key {list(KEY)} "
            f"(one row per scored item expected), e.g. {first}"
        )
    return out.reset_index(drop=True)


# --- scaling and BFI --------------------------------------------------------------------------


def scale_to_100(dataset: str, rating: np.ndarray | pd.Series | float) -> Any:
    """Likert r -> (r - 1) / 4 * 100; rates, accuracies and win rates x 100."""
    if DATASETS[dataset].scale == "likert":
        return (np.asarray(rating, dtype=float) - 1.0) / 4.0 * 100.0
    return np.asarray(rating, dtype=float) * 100.0


@dataclass(frozen=True)
class BfiKey:
    """Which trait each BFI item measures, which items are reverse-keyed, and the labels."""

    trait_of: dict[str, str]
    reverse: frozenset[str]
    labels: dict[str, dict[str, float]]  # role -> trait -> InCharacter label on the 1-5 scale


def load_bfi_key(bfi_json: str | Path, labels: pd.DataFrame, roles: Iterable[str]) -> BfiKey:
    """Trait of each item and the reverse-keyed items from InCharacter's BFI.json; the labels
    of the roles InCharacter annotates, from the normalized table the data stage wrote
    (results/persistence/data/bfi_labels.parquet: role, trait, score)."""
    bfi = json.loads(Path(bfi_json).read_text(encoding="utf-8"))
    try:
        trait_of = {str(q): spec["dimension"] for q, spec in bfi["questions"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise RatingsTableError(
            f"{bfi_json}: expected InCharacter's BFI.json with questions {{id: {{dimension}}}}"
        ) from exc
    reverse = frozenset(str(q) for q in bfi.get("reverse", []))
    wanted = set(roles) - {BASELINE}
    by_role: dict[str, dict[str, float]] = {}
    for row in labels.itertuples(index=False):
        if row.role in wanted:
            by_role.setdefault(row.role, {})[row.trait] = float(row.score)
    complete = {role: traits for role, traits in by_role.items() if set(traits) >= set(TRAITS)}
    return BfiKey(trait_of, reverse, complete)


def bfi_profiles(ratings: pd.DataFrame, key: BfiKey, reverse_keying: bool) -> pd.DataFrame:
    """Mean trait rating (1-5) per model x role x dialogue type x round; one column per trait.

    The upstream judge rubric rates each answer on the item's *trait* scale (1 = strongly low,
    5 = strongly high), so by default no reverse keying is applied; `reverse_keying` flips the
    reverse-keyed items (6 - r) for judges that instead rate agreement with the item statement.
    """
    bfi = ratings[ratings["dataset"] == "bfi"].copy()
    unknown = sorted(set(bfi["item"]) - set(key.trait_of))
    if unknown:
        raise RatingsTableError(
            f"ratings table: bfi item id(s) {unknown[:5]} are not InCharacter BFI question numbers "
            f"(1..{len(key.trait_of)})"
        )
    bfi["trait"] = bfi["item"].map(key.trait_of)
    if reverse_keying:
        flip = bfi["item"].isin(key.reverse)
        bfi.loc[flip, "rating"] = 6.0 - bfi.loc[flip, "rating"]
    cells = ["model", "role", "dialogue_type", "round"]
    profiles = bfi.pivot_table(index=cells, columns="trait", values="rating", aggfunc="mean")
    tokens = bfi.groupby(cells)["prefix_tokens"].mean()
    profiles = profiles.reindex(columns=list(TRAITS)).join(tokens).reset_index()
    return profiles


def bfi_distance(profile: np.ndarray, reference: np.ndarray) -> float:
    """MAE over the five traits / 4 (0-1), x 100; NaN when a trait is missing on either side."""
    profile, reference = np.asarray(profile, float), np.asarray(reference, float)
    if np.isnan(profile).any() or np.isnan(reference).any():
        return float("nan")
    return float(np.mean(np.abs(profile - reference)) / 4.0 * 100.0)


def bfi_observations(profiles: pd.DataFrame, key: BfiKey) -> pd.DataFrame:
    """Distances to the InCharacter labels and to the baseline's own profile at the same cell.

    The baseline has no label of its own: its label distance is computed against each labelled
    role's labels (unit = that role), so persona - baseline pairs on the labelled role.
    """
    rows: list[dict[str, Any]] = []
    traits = list(TRAITS)
    baseline = profiles[profiles["role"] == BASELINE].set_index(["model", "dialogue_type", "round"])
    for rec in profiles.itertuples(index=False):
        d = rec._asdict()
        vec = np.array([d[t] for t in traits], float)
        base = {k: d[k] for k in ("model", "role", "dialogue_type", "round")}
        base["judged_as"] = "" if rec.role == BASELINE else rec.role
        base["prefix_tokens"] = d["prefix_tokens"]
        if rec.role == BASELINE:
            for role, label in key.labels.items():
                ref = np.array([label[t] for t in traits])
                rows.append(
                    {
                        **base,
                        "metric": "bfi_distance_labels",
                        "unit": role,
                        "value": bfi_distance(vec, ref),
                    }
                )
            continue
        if rec.role in key.labels:
            ref = np.array([key.labels[rec.role][t] for t in traits])
            rows.append(
                {
                    **base,
                    "metric": "bfi_distance_labels",
                    "unit": rec.role,
                    "value": bfi_distance(vec, ref),
                }
            )
        cell = (rec.model, rec.dialogue_type, rec.round)
        if cell in baseline.index:
            ref = baseline.loc[[cell], traits].to_numpy(float)[0]
            rows.append(
                {
                    **base,
                    "metric": "bfi_distance_baseline",
                    "unit": rec.role,
                    "value": bfi_distance(vec, ref),
                }
            )
    out = pd.DataFrame(rows, columns=OBS_COLUMNS)
    missing = out["value"].isna()
    if missing.any():
        log.warning("dropping %d BFI profiles with a trait not rated", int(missing.sum()))
    return out[~missing]


# --- observations -------------------------------------------------------------------------------


def dialogue_observations(fidelity: pd.DataFrame) -> pd.DataFrame:
    """The Dialogue metric: per round, the mean of the fidelity rubrics judged for it."""
    cells = ["model", "role", "judged_as", "dialogue_type", "round"]
    out = fidelity.groupby(cells, as_index=False).agg(
        value=("value", "mean"), prefix_tokens=("prefix_tokens", "mean")
    )
    return out.assign(metric=DIALOGUE, unit="round")[OBS_COLUMNS]


def metric_observations(
    ratings: pd.DataFrame, key: BfiKey | None, reverse_keying: bool = False
) -> pd.DataFrame:
    """One 0-100 observation per unit: items for benchmarks, a round for fidelity, a role for BFI.

    Fidelity ratings of one round (e.g. original and shuffled order) are averaged, as upstream
    does, so a fidelity observation is one dialogue round of one persona.
    """
    frames: list[pd.DataFrame] = []
    for name in DATASETS:
        sub = ratings[ratings["dataset"] == name]
        if sub.empty or name == "bfi":
            continue
        sub = sub.assign(value=scale_to_100(name, sub["rating"]), metric=name)
        if name in FIDELITY:
            sub = (
                sub.groupby(
                    ["model", "role", "judged_as", "dialogue_type", "round", "metric"],
                    as_index=False,
                )
                .agg(value=("value", "mean"), prefix_tokens=("prefix_tokens", "mean"))
                .assign(unit="round")
            )
        else:
            sub = sub.rename(columns={"item": "unit"})
        frames.append(sub[OBS_COLUMNS])
    fidelity = [f for f in frames if not f.empty and f["metric"].iloc[0] in FIDELITY]
    if fidelity:
        frames.append(dialogue_observations(pd.concat(fidelity, ignore_index=True)))
    if key is not None and (ratings["dataset"] == "bfi").any():
        frames.append(bfi_observations(bfi_profiles(ratings, key, reverse_keying), key))
    obs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OBS_COLUMNS)
    obs["round"] = obs["round"].astype("int64")
    obs["value"] = obs["value"].astype(float)
    obs["prefix_tokens"] = obs["prefix_tokens"].astype(float)
    return obs.sort_values(
        ["metric", "model", "dialogue_type", "role", "round", "unit"], ignore_index=True
    )


def coverage(obs: pd.DataFrame, ratings: pd.DataFrame) -> dict[str, Any]:
    """Which metrics have data (and for which models); figures and tables name the absent ones."""
    present = {m: sorted(obs.loc[obs["metric"] == m, "model"].unique()) for m in METRIC_ORDER}
    return {
        "metrics": {
            m: {"present": bool(models), "models": models} for m, models in present.items()
        },
        "absent": [m for m in METRIC_ORDER if not present[m]],
        "models": sorted(ratings["model"].unique()),
        "roles": sorted(ratings["role"].unique()),
        "rows": len(ratings),
        "has_prefix_tokens": bool(ratings["prefix_tokens"].notna().any()),
    }


def with_judged_as(obs: pd.DataFrame) -> pd.DataFrame:
    """Observations made without the column: each answer judged as its own role, the baseline
    with no persona."""
    if "judged_as" in obs.columns:
        return obs
    return obs.assign(judged_as=np.where(obs["role"] == BASELINE, "", obs["role"]))


def group_of(role: pd.Series) -> pd.Series:
    return np.where(role == BASELINE, "baseline", "persona")  # type: ignore[return-value]


# --- checkpoint summaries and differences --------------------------------------------------------


def _with_pooled(obs: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    """Every model alone and all models pooled ('all')."""
    yield "all", obs
    for model, sub in obs.groupby("model", sort=True):
        yield str(model), sub


BOOTSTRAP_UNITS = ("cell", "item")
DIFF_COLUMNS = [
    "kind",
    "model",
    "role",
    "judged_as",
    "group",
    "dialogue_type",
    "round",
    "metric",
    "unit",
    "diff",
]
CELL = ["model", "role", "judged_as"]


def resampled_values(cell: pd.DataFrame, column: str, unit: str) -> np.ndarray:
    """What the bootstrap resamples: the paper's model x role cell means (`cell`; the baseline's
    cells are model x the persona it was judged as), or the individual observations (`item`)."""
    if unit == "item":
        return cell[column].to_numpy(float)
    if unit != "cell":
        raise ValueError(f"bootstrap unit {unit!r}; expected one of {BOOTSTRAP_UNITS}")
    cell = with_judged_as(cell)
    return cell.groupby(CELL)[column].mean().to_numpy(float)


def checkpoint_summaries(
    obs: pd.DataFrame,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    unit: str = "cell",
) -> pd.DataFrame:
    """Mean and bootstrap CI per metric x dialogue type x persona/baseline x round."""
    rows: list[dict[str, Any]] = []
    obs = obs.assign(group=group_of(obs["role"]))
    for model, sub in _with_pooled(obs):
        for key, cell in sub.groupby(["metric", "dialogue_type", "group", "round"], sort=True):
            values = resampled_values(cell, "value", unit)
            mean, low, high, n = mean_ci(values, resamples=resamples, seed=seed)
            rows.append(
                dict(zip(["metric", "dialogue_type", "group", "round"], key, strict=True))
                | {"model": model, "mean": mean, "ci_low": low, "ci_high": high, "n": n}
            )
    cols = ["model", "metric", "dialogue_type", "group", "round", "mean", "ci_low", "ci_high", "n"]
    return pd.DataFrame(rows, columns=cols)


def first_round(obs: pd.DataFrame) -> pd.Series:
    """The first round of each metric: 0 for conditioned benchmarks, 1 for dialogue fidelity."""
    return obs.groupby("metric")["round"].transform("min")


def paired_differences(obs: pd.DataFrame) -> pd.DataFrame:
    """Unit-level differences for the three comparisons, before any averaging.

    - type_difference: persona-directed - goal-oriented, paired on model x role x round x unit;
    - change_from_start: round k - the metric's first round, paired on model x role x type x unit;
    - persona_minus_baseline: persona - baseline, paired on model x type x round x unit.
    """
    obs = with_judged_as(obs)
    obs = obs.assign(group=group_of(obs["role"]))
    out: list[pd.DataFrame] = []
    pd_ = obs[obs["dialogue_type"] == "persona_directed"]
    go = obs[obs["dialogue_type"] == "goal_oriented"]
    keys = ["model", "role", "judged_as", "group", "round", "metric", "unit"]
    merged = pd_.merge(go, on=keys, suffixes=("_a", "_b"))
    out.append(
        merged.assign(
            kind="type_difference", dialogue_type="both", diff=merged["value_a"] - merged["value_b"]
        )[DIFF_COLUMNS]
    )
    start = obs[obs["round"] == first_round(obs)]
    keys = ["model", "role", "judged_as", "group", "dialogue_type", "metric", "unit"]
    merged = obs.merge(start.drop(columns=["round"]), on=keys, suffixes=("_a", "_b"))
    out.append(
        merged.assign(kind="change_from_start", diff=merged["value_a"] - merged["value_b"])[
            DIFF_COLUMNS
        ]
    )
    keys = ["model", "dialogue_type", "round", "metric", "unit"]
    merged = pair_with_baseline(
        obs[obs["group"] == "persona"], obs[obs["group"] == "baseline"], keys, ("_a", "_b")
    )
    out.append(
        merged.assign(kind="persona_minus_baseline", diff=merged["value_a"] - merged["value_b"])[
            DIFF_COLUMNS
        ]
    )
    return pd.concat(out, ignore_index=True)


def pair_with_baseline(
    persona: pd.DataFrame, base: pd.DataFrame, keys: list[str], suffixes: tuple[str, str]
) -> pd.DataFrame:
    """Persona rows beside the baseline's answer to the same unit: judged as that persona where
    the baseline was judged per persona (fidelity, RoleBench), else the one judgment."""
    as_persona = base[base["judged_as"] != ""][[*keys, "judged_as", "value"]]
    as_itself = base[base["judged_as"] == ""][[*keys, "value"]]
    return pd.concat(
        [
            persona.merge(as_persona, on=[*keys, "judged_as"], suffixes=suffixes),
            persona.merge(as_itself, on=keys, suffixes=suffixes),
        ],
        ignore_index=True,
    )


def checkpoint_differences(
    obs: pd.DataFrame,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    unit: str = "cell",
) -> pd.DataFrame:
    """Mean paired difference and its bootstrap CI at each checkpoint (resampling cells of
    pairs, or the pairs themselves with unit `item`)."""
    diffs = paired_differences(obs)
    rows: list[dict[str, Any]] = []
    cols = ["kind", "metric", "dialogue_type", "group", "round"]
    for model, sub in _with_pooled(diffs):
        for key, cell in sub.groupby(cols, sort=True):
            values = resampled_values(cell, "diff", unit)
            mean, low, high, n = mean_ci(values, resamples=resamples, seed=seed)
            rows.append(
                dict(zip(cols, key, strict=True))
                | {"model": model, "mean": mean, "ci_low": low, "ci_high": high, "n": n}
            )
    return pd.DataFrame(rows, columns=["model", *cols, "mean", "ci_low", "ci_high", "n"])


# --- per-model costs ----------------------------------------------------------------------------


def length_cost_units(obs: pd.DataFrame) -> pd.DataFrame:
    """Last-round minus first-round value per persona unit (baseline excluded)."""
    obs = with_judged_as(obs)
    obs = obs[obs["role"] != BASELINE]
    first = obs["round"] == first_round(obs)
    last = obs["round"] == obs.groupby("metric")["round"].transform("max")
    keys = ["model", "role", "judged_as", "dialogue_type", "metric", "unit"]
    merged = obs[last].merge(obs[first], on=keys, suffixes=("_last", "_first"))
    merged = merged[merged["round_last"] > merged["round_first"]]
    return merged.assign(diff=merged["value_last"] - merged["value_first"])[[*keys, "diff"]]


def personalization_cost_units(obs: pd.DataFrame) -> pd.DataFrame:
    """Persona minus baseline at the first round, per persona unit.

    At round 0 both dialogue types are the same condition (no dialogue yet), so their values are
    averaged; fidelity starts at round 1, where the types differ and are kept apart.
    """
    obs = with_judged_as(obs)
    start = obs[obs["round"] == first_round(obs)].copy()
    start.loc[start["round"] == 0, "dialogue_type"] = "none"
    keys = ["model", "dialogue_type", "metric", "unit"]
    start = start.groupby(["role", "judged_as", *keys], as_index=False)["value"].mean()
    persona = start[start["role"] != BASELINE]
    base = start[start["role"] == BASELINE]
    merged = pair_with_baseline(persona, base, keys, ("_persona", "_base"))
    return merged.assign(diff=merged["value_persona"] - merged["value_base"])[
        ["model", "role", *keys[1:], "diff"]
    ]


def type_difference_units(obs: pd.DataFrame) -> pd.DataFrame:
    """Persona-directed minus goal-oriented per persona unit and round (baseline excluded), for
    the per-model bars pooled over rounds (upstream's `dialogue_diff`)."""
    diffs = paired_differences(obs)
    diffs = diffs[(diffs["kind"] == "type_difference") & (diffs["group"] == "persona")]
    return diffs[["model", "role", "judged_as", "dialogue_type", "round", "metric", "unit", "diff"]]


def bar_units(units: pd.DataFrame, unit: str) -> pd.DataFrame:
    """What a per-model bar resamples: with `cell` (the paper's), one mean difference per model
    x role (x round where the units have rounds) cell; with `item`, every unit's difference."""
    if unit == "item":
        return units
    if unit != "cell":
        raise ValueError(f"bootstrap unit {unit!r}; expected one of {BOOTSTRAP_UNITS}")
    keys = [
        c for c in ("model", "role", "judged_as", "dialogue_type", "round", "metric") if c in units
    ]
    return units.groupby(keys, as_index=False, dropna=False)["diff"].mean()


def per_model_cost(
    units: pd.DataFrame,
    by: list[str],
    resamples: int = BAR_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    unit: str = "cell",
) -> pd.DataFrame:
    rows = []
    for key, cell in bar_units(units, unit).groupby(by, sort=True):
        mean, low, high, n = mean_ci(cell["diff"].to_numpy(), resamples=resamples, seed=seed)
        rows.append(
            dict(zip(by, key, strict=True)) | {"mean": mean, "ci_low": low, "ci_high": high, "n": n}
        )
    return pd.DataFrame(rows, columns=[*by, "mean", "ci_low", "ci_high", "n"])


def absent_note(cov: dict[str, Any]) -> str:
    return "absent datasets: " + ", ".join(cov["absent"]) if cov["absent"] else ""
