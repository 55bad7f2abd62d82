"""Table steps of PersonaLens (results/personalens/tables/): the dataset statistics over the whole
release, the judge tables with bootstrap CIs, the dialogue tables and judge-human agreement."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..io import read_parquet, write_csv, write_latex
from ..steps import NoParams, as_list, step
from .datastats import (
    check_interest_mask,
    demographics_table,
    domain_table,
    latex_frame,
    preference_table,
)
from .results import DIALOGUE_TABLES, JUDGE_TABLES, load, write_table


@dataclasses.dataclass(frozen=True)
class JudgeTableParams:
    name: str
    turn_level_domains: list[str] | None


@dataclasses.dataclass(frozen=True)
class DialogueTableParams:
    name: str
    self_bleu_sample: int


@step(NoParams)
def dataset_tables(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    """One step for the three tables: they share the release inputs and take seconds."""
    scenarios = read_parquet(inputs["scenarios"])
    check_interest_mask(scenarios, read_parquet(inputs["interests"]))
    tables = {
        "domains": (domain_table(scenarios), "PersonaLens domains: tasks and user-task dialogues."),
        "demographics": (
            demographics_table(read_parquet(inputs["profiles"])),
            "PersonaLens user demographics (region derived from country of residence).",
        ),
        "preferences": (
            preference_table(
                read_parquet(inputs["affinities"]), read_parquet(inputs["preference_schema"])
            ),
            "PersonaLens preferences: possible and generated values, Shannon evenness.",
        ),
    }
    for name, (table, caption) in tables.items():
        write_csv(table, outputs[f"{name}_csv"])
        write_latex(latex_frame(table, 3), outputs[f"{name}_tex"], caption=caption)


@step(JudgeTableParams)
def judge_table(inputs: dict[str, Any], outputs: dict[str, Path], params: JudgeTableParams) -> None:
    judgments = load(as_list(inputs["judgments"]))
    kwargs = {"domains": params.turn_level_domains} if params.name == "turn_level" else {}
    table = JUDGE_TABLES[params.name](judgments, **kwargs)
    write_table(params.name, table, outputs["csv"], outputs["tex"])


@step(DialogueTableParams)
def dialogue_table(
    inputs: dict[str, Any], outputs: dict[str, Path], params: DialogueTableParams
) -> None:
    dialogues = load(as_list(inputs["dialogues"]))
    kwargs = (
        {"self_bleu_sample": params.self_bleu_sample} if params.name == "lexical_diversity" else {}
    )
    table = DIALOGUE_TABLES[params.name](dialogues, **kwargs)
    write_table(params.name, table, outputs["csv"], outputs["tex"])


@step(NoParams)
def agreement(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    from .agreement import agreement_table, read_ratings

    table = agreement_table(load(as_list(inputs["judgments"])), read_ratings(inputs["ratings"]))
    write_table("agreement", table, outputs["csv"], outputs["tex"])
