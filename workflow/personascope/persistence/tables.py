"""The table steps of Persistent Personas (results/persistence/tables/): per-checkpoint means and
differences with bootstrap CIs, per-model cost bars, the cost regressions and the mixed models."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import read_parquet, write_csv, write_latex
from ..steps import NoParams, step
from .human import agreement_table
from .regressions import (
    length_cost_regression,
    length_effects,
    persona_effects,
    personalization_cost_regression,
)
from .statistics import (
    absent_note,
    checkpoint_differences,
    checkpoint_summaries,
    length_cost_units,
    per_model_cost,
    personalization_cost_units,
    type_difference_units,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class CheckpointParams:
    resamples: int
    seed: int
    bootstrap_unit: str


@dataclasses.dataclass(frozen=True)
class CostParams:
    bar_resamples: int
    seed: int
    bootstrap_unit: str


@dataclasses.dataclass(frozen=True)
class CostRegressionParams:
    registry: dict[str, dict[str, Any]]


@step(CheckpointParams)
def checkpoints(inputs: dict[str, Any], outputs: dict[str, Path], params: CheckpointParams) -> None:
    """Per-checkpoint means and differences with bootstrap CIs (CSV + LaTeX)."""
    resamples, seed = params.resamples, params.seed
    obs = read_parquet(inputs["observations"])
    cov = json.loads(Path(inputs["coverage"]).read_text(encoding="utf-8"))
    means = checkpoint_summaries(obs, resamples, seed, params.bootstrap_unit)
    diffs = checkpoint_differences(obs, resamples, seed, params.bootstrap_unit)
    write_csv(means, outputs["means_csv"])
    write_csv(diffs, outputs["differences_csv"])
    pooled = means[means["model"] == "all"].drop(columns=["model"]).round(1)
    write_latex(
        pooled,
        outputs["means_tex"],
        caption="Persistent Personas: mean (0-100) per checkpoint with 95% bootstrap CIs, "
        "all models pooled. " + absent_note(cov),
    )
    pooled = diffs[diffs["model"] == "all"].drop(columns=["model"]).round(1)
    write_latex(
        pooled,
        outputs["differences_tex"],
        caption="Persistent Personas: persona-directed - goal-oriented, change from the "
        "first round, persona - baseline (0-100 points, 95% bootstrap CIs). " + absent_note(cov),
    )


@step(CostParams)
def costs(inputs: dict[str, Any], outputs: dict[str, Path], params: CostParams) -> None:
    """Per-model bars (5,000 resamples): length cost, personalization cost and persona-directed
    minus goal-oriented pooled over rounds."""
    obs = read_parquet(inputs["observations"])
    for units, output in (
        (length_cost_units(obs), "length_csv"),
        (personalization_cost_units(obs), "personalization_csv"),
        (type_difference_units(obs), "type_difference_csv"),
    ):
        bars = per_model_cost(
            units,
            ["model", "metric", "dialogue_type"],
            params.bar_resamples,
            params.seed,
            params.bootstrap_unit,
        )
        write_csv(bars, outputs[output])


def _caption(title: str, notes: pd.DataFrame, cov: dict[str, Any]) -> str:
    unfit = notes[notes["note"].str.startswith(("not fitted", "no data"))]["dataset"].tolist()
    parts = [title]
    if unfit:
        parts.append("Not estimable: " + ", ".join(unfit) + ".")
    note = absent_note(cov)
    if note:
        parts.append(note[0].upper() + note[1:] + ".")
    return " ".join(parts)


def _write_regression(
    table: pd.DataFrame,
    notes: pd.DataFrame,
    cov: dict[str, Any],
    outputs: dict[str, Path],
    prefix: str,
    title: str,
) -> None:
    write_csv(table, outputs[f"{prefix}_csv"])
    write_csv(notes, outputs[f"{prefix}_notes"])
    shown = table.assign(p_value=table["p_value"].map(lambda p: f"{p:.3g}" if p == p else "--"))
    write_latex(shown.round(2), outputs[f"{prefix}_tex"], caption=_caption(title, notes, cov))


@step(CostRegressionParams)
def cost_regressions(
    inputs: dict[str, Any], outputs: dict[str, Path], params: CostRegressionParams
) -> None:
    obs = read_parquet(inputs["observations"])
    cov = json.loads(Path(inputs["coverage"]).read_text(encoding="utf-8"))
    registry = params.registry
    table, notes = length_cost_regression(obs, registry)
    _write_regression(
        table,
        notes,
        cov,
        outputs,
        "length",
        "Length cost: MixedLM diff ~ size (diff = last minus first round, 0-100 "
        "points; groups = persona x family); coefficient of size, 95% CI, p.",
    )
    table, notes = personalization_cost_regression(obs, registry)
    _write_regression(
        table,
        notes,
        cov,
        outputs,
        "personalization",
        "Personalization cost: MixedLM diff ~ size (diff = persona minus baseline "
        "at the first round; groups = persona x family); coefficient of size.",
    )


@step(NoParams)
def mixed_models(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    obs = read_parquet(inputs["observations"])
    cov = json.loads(Path(inputs["coverage"]).read_text(encoding="utf-8"))
    for name, table, title in (
        (
            "length_effect",
            length_effects(obs),
            "Length effect per model: MixedLM rating ~ pos (groups = persona); slope per round.",
        ),
        (
            "persona_effect",
            persona_effects(obs),
            "Persona effect per model: MixedLM rating ~ persona vs the no-persona baseline "
            "(groups = round x persona).",
        ),
    ):
        write_csv(table, outputs[f"{name}_csv"])
        shown = table.drop(columns=["note", "converged"]).assign(
            p_value=table["p_value"].map(lambda p: f"{p:.3g}" if p == p else "--")
        )
        note = absent_note(cov)
        write_latex(
            shown.round(3),
            outputs[f"{name}_tex"],
            caption=title + (" " + note[0].upper() + note[1:] + "." if note else ""),
        )


@step(NoParams)
def judge_human_agreement(
    inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams
) -> None:
    """The judge against the human ratings, per validation task (persistence.human)."""
    table = agreement_table(read_parquet(inputs["judgments"]))
    log.info("judge-human agreement:\n%s", table.to_string(index=False))
    write_csv(table, outputs["csv"])
