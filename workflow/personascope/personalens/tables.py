"""Table steps of PersonaLens (results/personalens/tables/): the dataset statistics over the whole
release, the judge tables with bootstrap CIs, the dialogue tables and judge-human agreement."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

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
    focus_assistant: str | None
    focus_setting: str | None


@dataclasses.dataclass(frozen=True)
class DialogueTableParams:
    name: str
    self_bleu_sample: int
    focus_assistant: str | None
    focus_setting: str | None


def table_options(table: Callable[..., pd.DataFrame], params: Any) -> dict[str, Any]:
    """The options a table function takes (those of its keyword parameters the step's params
    set; turn_level's `domains` is config's turn_level_domains)."""
    given = dataclasses.asdict(params)
    if "turn_level_domains" in given:
        given["domains"] = given.pop("turn_level_domains")
    names = list(inspect.signature(table).parameters)[1:]
    return {name: given[name] for name in names if name in given}


@step(NoParams)
def dataset_tables(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    """One step for the three tables: they share the release inputs and take seconds."""
    scenarios = read_parquet(inputs["scenarios"])
    check_interest_mask(scenarios, read_parquet(inputs["interests"]))
    tables = {
        "domains": (domain_table(scenarios), "PersonaLens domains: tasks and user-task dialogues."),
        "demographics": (
            demographics_table(read_parquet(inputs["profiles"])),
            "PersonaLens user demographics (regions as the paper's Table 7, by country of birth).",
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
    build = JUDGE_TABLES[params.name]
    table = build(judgments, **table_options(build, params))
    write_table(params.name, table, outputs["csv"], outputs["tex"])


@step(DialogueTableParams)
def dialogue_table(
    inputs: dict[str, Any], outputs: dict[str, Path], params: DialogueTableParams
) -> None:
    dialogues = load(as_list(inputs["dialogues"]))
    build = DIALOGUE_TABLES[params.name]
    table = build(dialogues, **table_options(build, params))
    write_table(params.name, table, outputs["csv"], outputs["tex"])


@step(NoParams)
def agreement(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    from .agreement import agreement_table, read_ratings

    table = agreement_table(load(as_list(inputs["judgments"])), read_ratings(inputs["ratings"]))
    write_table("agreement", table, outputs["csv"], outputs["tex"])
