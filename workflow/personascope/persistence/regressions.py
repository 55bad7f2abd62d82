"""Persistent Personas mixed-effects regressions (statsmodels MixedLM, random intercepts).

- length effect: `rating ~ pos`, groups = persona, per model x dialogue type (x metric);
- persona effect: `rating ~ C(group, Treatment('empty'))`, groups = round x persona;
- length cost: `diff ~ size`, diff = last-round minus first-round metric, groups = persona x
  model family, size = the registry's size_class (1 smallest of a family, 2 largest, 3 API);
- personalization cost: `diff ~ size`, diff = persona minus baseline at the first round.

Every fit uses Powell first, then L-BFGS from where Powell stopped (statsmodels tries a list of
methods in sequence), as upstream does. A fit that cannot run (too few groups, no variation in
size) yields NaNs and a note, never a crash: the embedded default has one model.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from ..errors import ConfigError
from .statistics import (
    BASELINE,
    METRIC_ORDER,
    length_cost_units,
    personalization_cost_units,
)

log = logging.getLogger(__name__)

FIT_METHODS = ["powell", "lbfgs"]
REGRESSION_COLUMNS = ["dataset", "coefficient", "ci_low", "ci_high", "p_value"]
PERSONA_TERM = "C(group, Treatment('empty'))"
POOLED_PERSONA_TERM = "persona (pooled)"


@dataclass
class Fit:
    coefficients: pd.DataFrame  # term, coefficient, ci_low, ci_high, p_value
    n_obs: int
    n_groups: int
    converged: bool
    note: str = ""


def fit_mixed(data: pd.DataFrame, formula: str, groups: pd.Series | str) -> Fit:
    """Random-intercept MixedLM; coefficients with Wald 95% CIs and p-values."""
    grouping = data[groups] if isinstance(groups, str) else groups
    n_groups = int(pd.Series(grouping).nunique())
    empty = pd.DataFrame(columns=["term", "coefficient", "ci_low", "ci_high", "p_value"])
    if len(data) < 3 or n_groups < 2:
        return Fit(
            empty,
            len(data),
            n_groups,
            False,
            f"not fitted: {len(data)} observations in {n_groups} group(s)",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A degenerate slice (a constant metric, a single round) makes statsmodels fail in the
        # fit or in the covariance; that is a cell of the table to leave empty, not a crash.
        try:
            result = smf.mixedlm(formula, data, groups=grouping).fit(method=FIT_METHODS)
            fe = result.fe_params
            ci = result.conf_int().loc[fe.index]
            table = pd.DataFrame(
                {
                    "term": fe.index,
                    "coefficient": fe.to_numpy(),
                    "ci_low": ci[0].to_numpy(),
                    "ci_high": ci[1].to_numpy(),
                    "p_value": result.pvalues.loc[fe.index].to_numpy(),
                }
            )
        except (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
            return Fit(empty, len(data), n_groups, False, f"not fitted: {exc}")
    notes = sorted({type(w.message).__name__ for w in caught})
    return Fit(
        table,
        len(data),
        n_groups,
        bool(result.converged),
        ("warnings: " + ", ".join(notes)) if notes else "",
    )


def _term(fit: Fit, term: str) -> dict[str, float]:
    coefs = fit.coefficients
    row = coefs[coefs["term"] == term] if "term" in coefs.columns else coefs
    if row.empty:
        return {"coefficient": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    return {k: float(row.iloc[0][k]) for k in ("coefficient", "ci_low", "ci_high", "p_value")}


# --- per-model mixed models ---------------------------------------------------------------------


def length_effects(obs: pd.DataFrame) -> pd.DataFrame:
    """`rating ~ pos`, groups = persona, per model x dialogue type x metric (personas only), on
    the paper's unit: one mean per persona and round (upstream's length_coeffs fit the per-round
    model x persona rows of its figures, items already averaged), so a benchmark with many
    items per checkpoint does not count as many independent observations."""
    rows: list[dict[str, Any]] = []
    personas = obs[obs["role"] != BASELINE]
    cells = ["model", "role", "dialogue_type", "metric", "round"]
    data = personas.groupby(cells, as_index=False)["value"].mean()
    data = data.rename(columns={"value": "rating", "round": "pos"})
    for (model, dtype, metric), cell in data.groupby(["model", "dialogue_type", "metric"]):
        fit = fit_mixed(cell, "rating ~ pos", "role")
        rows.append(
            {
                "model": model,
                "dialogue_type": dtype,
                "metric": metric,
                "term": "pos",
                **_term(fit, "pos"),
                "n_obs": fit.n_obs,
                "n_groups": fit.n_groups,
                "converged": fit.converged,
                "note": fit.note,
            }
        )
    return _order(pd.DataFrame(rows, columns=MIXED_COLUMNS))


def persona_effects(obs: pd.DataFrame) -> pd.DataFrame:
    """`rating ~ C(group, Treatment('empty'))`, groups = round x persona; per model x type x
    metric."""
    rows: list[dict[str, Any]] = []
    data = obs.rename(columns={"value": "rating"}).assign(group=obs["role"])
    for (model, dtype, metric), cell in data.groupby(["model", "dialogue_type", "metric"]):
        personas = sorted(set(cell["group"]) - {BASELINE})
        if BASELINE not in set(cell["group"]) or not personas:
            fit = Fit(pd.DataFrame(), len(cell), 0, False, "not fitted: no baseline rows")
            pooled = fit
        else:
            clusters = cell["round"].astype(str) + "|" + cell["group"]
            fit = fit_mixed(cell, f"rating ~ {PERSONA_TERM}", clusters)
            # the paper's persona effect: one indicator for "a persona is assigned"
            with_persona = cell.assign(persona=(cell["group"] != BASELINE).astype(int))
            pooled = fit_mixed(with_persona, "rating ~ persona", clusters)
        terms = [(POOLED_PERSONA_TERM, pooled, "persona")]
        terms += [(p, fit, f"{PERSONA_TERM}[T.{p}]") for p in personas]
        for term, result, name in terms:
            rows.append(
                {
                    "model": model,
                    "dialogue_type": dtype,
                    "metric": metric,
                    "term": term,
                    **_term(result, name),
                    "n_obs": result.n_obs,
                    "n_groups": result.n_groups,
                    "converged": result.converged,
                    "note": result.note,
                }
            )
    return _order(pd.DataFrame(rows, columns=MIXED_COLUMNS))


MIXED_COLUMNS = [
    "model",
    "dialogue_type",
    "metric",
    "term",
    "coefficient",
    "ci_low",
    "ci_high",
    "p_value",
    "n_obs",
    "n_groups",
    "converged",
    "note",
]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(METRIC_ORDER)}
    return frame.sort_values(
        ["metric", "model", "dialogue_type", "term"],
        key=lambda s: s.map(rank) if s.name == "metric" else s,
        ignore_index=True,
    )


# --- cost regressions across models -------------------------------------------------------------


class RegistryError(ConfigError):
    pass


def size_frame(models: list[str], registry: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """size (the registry's size_class) and family of every model in the ratings table."""
    missing = sorted(set(models) - set(registry))
    if missing:
        raise RegistryError(
            f"model(s) {missing} of the ratings table are not in the model registry: the cost "
            "regressions need their family and size_class (add them to config/models.yaml)"
        )
    return pd.DataFrame(
        {
            "model": models,
            "size": [int(registry[m]["size_class"]) for m in models],
            "family": [str(registry[m]["family"]) for m in models],
        }
    )


def cost_regression(
    units: pd.DataFrame, registry: dict[str, dict[str, Any]], by: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`diff ~ size`, groups = persona x family, one fit per metric.

    Observations are unit-level diffs averaged per model x persona (x dialogue type), the level at
    which size varies. Returns the regression table and per-metric fit notes.
    """
    rows, notes = [], []
    if units.empty:
        units = pd.DataFrame(columns=[*by, "metric", "diff"])
    sizes = size_frame(sorted(units["model"].unique()), registry)
    cells = units.groupby([*by, "metric"], as_index=False)["diff"].mean().merge(sizes, on="model")
    for metric in METRIC_ORDER:
        data = cells[cells["metric"] == metric]
        if data.empty:
            fit = Fit(pd.DataFrame(), 0, 0, False, "no data")
        elif data["size"].nunique() < 2:
            fit = Fit(
                pd.DataFrame(),
                len(data),
                0,
                False,
                f"not fitted: one size class only ({sorted(map(int, data['size'].unique()))})",
            )
        else:
            fit = fit_mixed(data, "diff ~ size", data["role"] + "|" + data["family"])
        rows.append({"dataset": metric, **_term(fit, "size")})
        notes.append(
            {
                "dataset": metric,
                "n_obs": fit.n_obs,
                "n_groups": fit.n_groups,
                "converged": fit.converged,
                "note": fit.note,
            }
        )
    return pd.DataFrame(rows, columns=REGRESSION_COLUMNS), pd.DataFrame(notes)


def length_cost_regression(
    obs: pd.DataFrame, registry: dict[str, dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return cost_regression(length_cost_units(obs), registry, ["model", "role", "dialogue_type"])


def personalization_cost_regression(
    obs: pd.DataFrame, registry: dict[str, dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return cost_regression(
        personalization_cost_units(obs), registry, ["model", "role", "dialogue_type"]
    )
