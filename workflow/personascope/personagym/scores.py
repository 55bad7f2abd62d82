"""Stage `scores`: PersonaScore of one model from its two judges' gradings.

Per judge and group the mean grade; per group the mean of the judges; per task the mean over
groups; per persona the mean of the five tasks (scoring.py has each rule, in both modes).
Principled: parse failures are excluded and counted; a persona missing a task score has no
PersonaScore and is counted. Published quirks: upstream's arithmetic (missing = 0, zeros
dropped within a judge's group, an all-missing group counts 0).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from ..io import read_parquet, write_parquet
from ..steps import Files, step
from .benchmark import Benchmark
from .scoring import group_score, judge_group_mean, persona_score, task_score


@dataclasses.dataclass(frozen=True)
class Params:
    model: str
    published_quirks: bool
    data: dict[str, Any]


def judge_means(grading: pd.DataFrame, published_quirks: bool) -> pd.DataFrame:
    """persona_id, task, group, judge_slot -> the judge's group mean and its counts."""
    rows = []
    for (pid, task, group, slot), items in grading.groupby(
        ["persona_id", "task", "group", "judge_slot"], sort=True
    ):
        if published_quirks:
            mean = float(items["group_published_mean"].iloc[0])
        else:
            grades = [None if pd.isna(g) else int(g) for g in items["grade"]]
            mean = judge_group_mean(grades, published_quirks=False)
        rows.append(
            {
                "persona_id": pid,
                "task": task,
                "group": int(group),
                "judge_slot": slot,
                "judge_mean": mean,
                "items": len(items),
                "parsed": int(items["grade"].notna().sum()),
                "parse_failures": int((items["status"] == "parse_failure").sum()),
                "call_failures": int((items["status"] == "call_failed").sum()),
            }
        )
    return pd.DataFrame(rows)


def task_scores(grading: pd.DataFrame, tasks: list[str], published_quirks: bool) -> pd.DataFrame:
    means = judge_means(grading, published_quirks)
    personas = grading.drop_duplicates("persona_id").set_index("persona_id")["persona"]
    rows = []
    for pid in sorted(means["persona_id"].unique()):
        for task in tasks:
            sub = means[(means["persona_id"] == pid) & (means["task"] == task)]
            groups = [
                group_score(list(g["judge_mean"]), published_quirks)
                for _, g in sub.groupby("group", sort=True)
            ]
            per_judge = {
                f"{slot}_score": task_score(list(g["judge_mean"]))
                for slot, g in sub.groupby("judge_slot", sort=True)
            }
            rows.append(
                {
                    "persona_id": pid,
                    "persona": personas[pid],
                    "task": task,
                    "score": task_score(groups) if groups else math.nan,
                    "groups": len(groups),
                    **per_judge,
                    **{
                        k: int(sub[k].sum())
                        for k in ("items", "parsed", "parse_failures", "call_failures")
                    },
                }
            )
    return pd.DataFrame(rows)


def persona_scores(
    tasks_table: pd.DataFrame, tasks: list[str], published_quirks: bool
) -> pd.DataFrame:
    rows = []
    for pid, sub in tasks_table.groupby("persona_id", sort=True):
        by_task = sub.set_index("task")["score"]
        values = [float(by_task.get(t, math.nan)) for t in tasks]
        rows.append(
            {
                "persona_id": pid,
                "persona": sub["persona"].iloc[0],
                "persona_score": persona_score(values, published_quirks),
                "tasks_scored": sum(not math.isnan(v) for v in values),
                **{t: v for t, v in zip(tasks, values, strict=True)},
            }
        )
    return pd.DataFrame(rows)


@step(Params)
def score(inputs: Files, outputs: Files, params: Params) -> None:
    files = inputs["grading"] if isinstance(inputs["grading"], list) else [inputs["grading"]]
    grading = pd.concat([read_parquet(p) for p in files], ignore_index=True)
    tasks = Benchmark.open(params.data["local"], params.data["commit"]).tasks()
    tasks_table = task_scores(grading, tasks, params.published_quirks)
    tasks_table.insert(0, "model", params.model)
    people = persona_scores(tasks_table, tasks, params.published_quirks)
    people.insert(0, "model", params.model)
    write_parquet(tasks_table, outputs["tasks"])
    write_parquet(people, outputs["personas"])
