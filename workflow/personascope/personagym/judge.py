"""Stage `judge`: the judge report of the study (`personascope.judge_report`) — per judge slot
and task the statuses, parse-failure and constrained rates and the grade distribution, and the
agreement of the two judges (quadratic-weighted kappa over the questions both graded)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..io import read_parquet
from ..judge_report import build_report, write_report
from ..steps import Files, step

ITEM_KEYS = ("model", "persona_id", "position")


@dataclasses.dataclass(frozen=True)
class Params:
    judge_mode: str


def as_judgments(grading: pd.DataFrame) -> pd.DataFrame:
    """Gradings in the report's shape: a judge per slot (the two may be one registry model)."""
    return grading.assign(
        judge_model=grading["judge"] + " (" + grading["judge_slot"] + ")",
        value=grading["grade"].astype("float"),
        reask_text=None,
    )


@step(Params)
def report(inputs: Files, outputs: Files, params: Params) -> None:
    files: list[Any] = (
        inputs["grading"] if isinstance(inputs["grading"], list) else [inputs["grading"]]
    )
    judgments = as_judgments(pd.concat([read_parquet(p) for p in files], ignore_index=True))
    built = build_report(
        "personagym",
        judgments,
        dimension="task",
        item_keys=ITEM_KEYS,
        judge_mode=params.judge_mode,
    )
    write_report(built, outputs["json"], outputs["md"])
