"""Stage `tables`: PersonaScore per model, the published runs beside ours, relative
improvement, two-judge agreement, and every failure count.

- persona_score.csv: per model (ours) each task's mean with a bootstrap CI over personas, and
  PersonaScore (mean, CI), with the personas scored and those excluded (a task unscored);
- published_comparison.csv: the six published runs (`source` = published; PersonaScore as
  published and the mean of its published task scores, which differ for some runs) and our
  rows (`source` = ours), each of ours beside the run of the same model;
- relative_improvement.csv: PersonaScore of every row over every other, in percent;
- judge_agreement.csv: judge 1 vs judge 2 per model and task over the questions both graded:
  quadratic-weighted kappa, Pearson r, mean absolute difference;
- parse_failures.csv: per model, judge and task: items, parsed, parse failures, failed calls,
  missing score examples.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from ..io import read_parquet, write_csv
from ..stats import mean_ci
from ..steps import Files, step
from .benchmark import Benchmark
from .scoring import relative_improvement

GRADES = [1, 2, 3, 4, 5]


@dataclasses.dataclass(frozen=True)
class Params:
    published_runs: dict[str, str | None]
    published_quirks: bool
    resamples: int
    seed: int
    data: dict[str, Any]


def _files(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def model_rows(
    personas: pd.DataFrame, tasks: list[str], resamples: int, seed: int, published_quirks: bool
) -> pd.DataFrame:
    rows = []
    for model, sub in personas.groupby("model", sort=False):
        row: dict[str, Any] = {
            "model": model,
            "source": "ours",
            "mode": "published_quirks" if published_quirks else "principled",
        }
        for task in tasks:
            mean, low, high, n = mean_ci(sub[task].to_numpy(float), resamples=resamples, seed=seed)
            row |= {task: mean, f"{task} ci_low": low, f"{task} ci_high": high}
        mean, low, high, n = mean_ci(
            sub["persona_score"].to_numpy(float), resamples=resamples, seed=seed
        )
        row |= {
            "PersonaScore": mean,
            "PersonaScore ci_low": low,
            "PersonaScore ci_high": high,
            "personas": n,
            "personas_excluded": int(len(sub) - n),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def published_rows(
    benchmark: Benchmark, runs: dict[str, str | None], tasks: list[str]
) -> pd.DataFrame:
    rows = []
    for run, model in runs.items():
        scores = benchmark.published(run)
        values = [scores[t] for t in tasks]
        rows.append(
            {
                "model": model,
                "source": "published",
                "published_run": run,
                **dict(zip(tasks, values, strict=True)),
                "PersonaScore": scores["PersonaScore"],
                "mean_of_task_scores": sum(values) / len(values),
            }
        )
    return pd.DataFrame(rows)


def comparison(
    ours: pd.DataFrame, published: pd.DataFrame, tasks: list[str], runs: dict[str, str | None]
) -> pd.DataFrame:
    run_of = {model: run for run, model in runs.items() if model}
    mine = ours[["model", "source", *tasks, "PersonaScore"]].copy()
    mine["published_run"] = mine["model"].map(run_of)
    mine["mean_of_task_scores"] = mine[tasks].mean(axis=1)
    table = pd.concat([published, mine], ignore_index=True)
    # each published run followed by our row of the same model, then our other models
    table["_order"] = (
        table["published_run"].map({run: i for i, run in enumerate(runs)}).fillna(len(runs))
    )
    table = table.sort_values(["_order", "source"], kind="stable").drop(columns="_order")
    return table[
        ["published_run", "model", "source", *tasks, "PersonaScore", "mean_of_task_scores"]
    ].reset_index(drop=True)


def improvements(table: pd.DataFrame) -> pd.DataFrame:
    labels = [
        f"{m or r} ({s})"
        for m, r, s in zip(table["model"], table["published_run"], table["source"], strict=True)
    ]
    rows = []
    for a, score_a in zip(labels, table["PersonaScore"], strict=True):
        for b, score_b in zip(labels, table["PersonaScore"], strict=True):
            if a != b:
                value = (
                    relative_improvement(score_a, score_b)
                    if score_b and not math.isnan(score_b)
                    else math.nan
                )
                rows.append(
                    {
                        "model": a,
                        "over": b,
                        "PersonaScore": score_a,
                        "baseline_PersonaScore": score_b,
                        "improvement_percent": value,
                    }
                )
    return pd.DataFrame(rows)


def agreement(grading: pd.DataFrame) -> pd.DataFrame:
    from sklearn.metrics import cohen_kappa_score

    key = ["model", "persona_id", "task", "position"]
    wide = grading.pivot_table(
        index=key, columns="judge_slot", values="grade", aggfunc="first"
    ).reset_index()
    slots = sorted(grading["judge_slot"].unique())
    rows = []
    if len(slots) != 2:
        return pd.DataFrame(columns=["model", "task", "pairs"])
    a_slot, b_slot = slots
    pools = [*wide.groupby(["model", "task"]), *(((m, "all"), s) for m, s in wide.groupby("model"))]
    for (model, task), sub in pools:
        both = sub[[a_slot, b_slot]].dropna().astype(int)
        a, b = both[a_slot].to_numpy(), both[b_slot].to_numpy()
        row = {"model": model, "task": task, "pairs": len(both)}
        if len(both) >= 2 and len(set(a) | set(b)) > 1:
            row["weighted_kappa"] = float(
                cohen_kappa_score(a, b, weights="quadratic", labels=GRADES)
            )
        else:
            row["weighted_kappa"] = math.nan  # one category: chance agreement 1, undefined
        spread = len(both) >= 2 and a.std() > 0 and b.std() > 0
        row["pearson_r"] = float(np.corrcoef(a, b)[0, 1]) if spread else math.nan
        row["mean_abs_difference"] = float(np.abs(a - b).mean()) if len(both) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def failures(grading: pd.DataFrame) -> pd.DataFrame:
    grouped = grading.groupby(["model", "judge_slot", "judge", "task"], sort=True)
    return grouped.agg(
        items=("status", "size"),
        parsed=("grade", "count"),
        parse_failures=("status", lambda s: int((s == "parse_failure").sum())),
        call_failures=("status", lambda s: int((s == "call_failed").sum())),
        answers_failed=("answer_status", lambda s: int((s != "ok").sum())),
        examples_missing=("examples_status", lambda s: int((s != "ok").sum())),
    ).reset_index()


@step(Params)
def build(inputs: Files, outputs: Files, params: Params) -> None:
    personas = pd.concat([read_parquet(p) for p in _files(inputs["personas"])], ignore_index=True)
    grading = pd.concat([read_parquet(p) for p in _files(inputs["grading"])], ignore_index=True)
    benchmark = Benchmark.open(params.data["local"], params.data["commit"])
    tasks = benchmark.tasks()
    ours = model_rows(personas, tasks, params.resamples, params.seed, params.published_quirks)
    published = published_rows(benchmark, params.published_runs, tasks)
    table = comparison(ours, published, tasks, params.published_runs)
    write_csv(ours, outputs["persona_score"])
    write_csv(table, outputs["published_comparison"])
    write_csv(improvements(table), outputs["relative_improvement"])
    write_csv(agreement(grading), outputs["judge_agreement"])
    write_csv(failures(grading), outputs["parse_failures"])
