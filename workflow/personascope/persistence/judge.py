"""Persistent Personas judging: dialogue fidelity per round, and the judged conditioned benchmarks
(BFI trait ratings, RoleBench pairwise win vs reference, XSTest explicit refusal).

Every judgment keeps raw text, parsed value and parse status (`personascope.judging`: strict
parse + one re-ask; a failure is recorded, never a score). `<think>` blocks are removed by the
judge's registry quirk (`strip_think`). The judged text is truncated so that the judge's input
fits `max_input_tokens` (paper: 8,192); the rubric is never cut, and `truncated` records it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..engines import CachedEngine, Sampling
from ..io import read_parquet, write_parquet
from ..judge_report import build_report, read_judgments, write_report
from ..judging import STATUS_FAILED, JudgeTask, judge
from ..models import EngineSet, ModelJobParams
from ..steps import step
from . import rubrics
from .formats import JUDGED_BENCHMARKS, JUDGMENT_SCHEMA
from .prompts import BASELINE, text_or_none

log = logging.getLogger(__name__)

JUDGE_SYSTEM = "You are a careful, impartial evaluator. Follow the required reply format exactly."
FIDELITY_DIMENSIONS = tuple(rubrics.FIDELITY)


Counter = Callable[[str], int]
Truncator = Callable[[str, int], str]


def approx_count(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 3)


def approx_truncate(text: str, budget: int) -> str:
    data = text.encode("utf-8")[: max(0, budget) * 3]
    return data.decode("utf-8", errors="ignore")


def tokenizer_of(engine: CachedEngine | None) -> tuple[Counter, Truncator]:
    """The judge's own tokenizer where the engine exposes one (llama.cpp), else a byte-based
    estimate (3 bytes a token) that errs towards cutting more."""
    llm = getattr(getattr(engine, "engine", None), "llm", None)
    if llm is None or not hasattr(llm, "tokenize") or not hasattr(llm, "detokenize"):
        return approx_count, approx_truncate

    def count(text: str) -> int:
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False))

    def truncate(text: str, budget: int) -> str:
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False)
        return llm.detokenize(tokens[: max(0, budget)]).decode("utf-8", errors="ignore")

    return count, truncate


def fit_to_budget(
    build: Callable[[str], str], text: str, budget: int, count: Counter, truncate: Truncator
) -> tuple[str, bool]:
    """`build(text)` with `text` cut so the whole prompt is at most `budget` tokens."""
    prompt = build(text)
    if count(prompt) + count(JUDGE_SYSTEM) <= budget:
        return prompt, False
    room = budget - count(build("")) - count(JUDGE_SYSTEM) - 8
    if room <= 0:
        raise ValueError(
            f"judge input budget of {budget} tokens is smaller than the rubric itself; raise "
            f"persistence.judge_max_input_tokens"
        )
    return build(truncate(text, room) + " [...]"), True


def messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": prompt}]


def fidelity_tasks(
    dialogue: pd.DataFrame,
    descriptions: dict[str, str],
    baseline_name: str,
    budget: int,
    count: Counter,
    truncate: Truncator,
) -> tuple[list[JudgeTask], list[dict[str, Any]]]:
    tasks, meta = [], []
    for row in dialogue.itertuples(index=False):
        name = baseline_name if row.role == BASELINE else row.role
        description = descriptions.get(row.role, "")
        for dim in FIDELITY_DIMENSIONS:
            prompt, cut = fit_to_budget(
                lambda text, d=dim, q=row.user, n=name, desc=description: rubrics.fidelity_prompt(
                    d, n, desc, q, text
                ),
                row.assistant,
                budget,
                count,
                truncate,
            )
            item = f"{row.order}:{row.round}"
            tasks.append(
                JudgeTask(item, f"fidelity_{dim}", messages(prompt), rubrics.LIKERT_PARSER)
            )
            meta.append(
                {
                    "model": row.model,
                    "role": row.role,
                    "dialogue_type": row.dialogue_type,
                    "order": row.order,
                    "round": int(row.round),
                    "dataset": f"fidelity_{dim}",
                    "item": item,
                    "item_index": int(row.round),
                    "trait": None,
                    "label": None,
                    "prefix_tokens": int(row.prefix_tokens),
                    "truncated": cut,
                }
            )
    return tasks, meta


def conditioned_tasks(
    responses: pd.DataFrame,
    descriptions: dict[str, str],
    baseline_name: str,
    budget: int,
    count: Counter,
    truncate: Truncator,
) -> tuple[list[JudgeTask], list[dict[str, Any]]]:
    tasks, meta = [], []
    for row in responses[responses.dataset.isin(JUDGED_BENCHMARKS)].itertuples(index=False):
        name = baseline_name if row.role == BASELINE else row.role
        description = descriptions.get(row.role, "")
        score = None
        if row.dataset == "bfi":
            build = lambda text, r=row: rubrics.bfi_prompt(r.trait, r.prompt, text)  # noqa: E731
            parser = rubrics.LIKERT_PARSER
        elif row.dataset == "xstest":
            build = lambda text, r=row: rubrics.refusal_prompt(r.prompt, text)  # noqa: E731
            parser = rubrics.REFUSAL_PARSER
        else:
            build = lambda text, r=row, n=name, desc=description: (  # noqa: E731
                rubrics.pairwise_prompt(
                    r.dataset,
                    n,
                    desc,
                    r.prompt,
                    text,
                    text_or_none(r.reference) or "",
                    int(r.item_index),
                )
            )
            parser = rubrics.PAIRWISE
            score = rubrics.pairwise_score(int(row.item_index))
        prompt, cut = fit_to_budget(build, row.response, budget, count, truncate)
        tasks.append(JudgeTask(row.item, row.dataset, messages(prompt), parser, score))
        meta.append(
            {
                "model": row.model,
                "role": row.role,
                "dialogue_type": row.dialogue_type,
                "order": "original",
                "round": int(row.round),
                "dataset": row.dataset,
                "item": row.item,
                "item_index": int(row.item_index),
                "trait": text_or_none(row.trait),
                "label": text_or_none(row.label),
                "prefix_tokens": int(row.prefix_tokens),
                "truncated": cut,
            }
        )
    return tasks, meta


@dataclasses.dataclass(frozen=True)
class JudgeParams(ModelJobParams):
    judge: str
    model: str
    max_input_tokens: int
    sampling: dict[str, Any]
    judge_mode: str


def _run(kind: str, inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    roles = read_parquet(inputs["roles"])
    descriptions = {
        r.role: text_or_none(r.description) or "" for r in roles.itertuples(index=False)
    }
    baseline_name = params.model
    budget = params.max_input_tokens
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(params.judge)
        count, truncate = tokenizer_of(engine)
        if kind == "dialogues":
            table = read_parquet(inputs["dialogues"])
            tasks, meta = fidelity_tasks(
                table, descriptions, baseline_name, budget, count, truncate
            )
        else:
            table = read_parquet(inputs["responses"])
            tasks, meta = conditioned_tasks(
                table, descriptions, baseline_name, budget, count, truncate
            )
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        judgments = judge(engine, tasks, sampling, params.judge_mode) if tasks else []
    rows = [
        {
            **m,
            "judge_model": params.judge,
            "raw_text": j.raw_text,
            "reask_text": j.reask_text,
            "value": j.value,
            "status": j.status,
            "error": j.error,
        }
        for m, j in zip(meta, judgments, strict=True)
    ]
    failures = sum(r["status"] == STATUS_FAILED for r in rows)
    log.info(
        "%d judgments, %d parse failures, %d truncated",
        len(rows),
        failures,
        sum(r["truncated"] for r in rows),
    )
    write_parquet(pa.Table.from_pylist(rows, schema=JUDGMENT_SCHEMA), outputs["judgments"])


@step(JudgeParams)
def dialogues(inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    """Fidelity judgments of one model's dialogues (three rubrics per persona-directed round)."""
    _run("dialogues", inputs, outputs, params)


@step(JudgeParams)
def conditioned(inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    """Judgments of one model's dialogue-conditioned benchmark answers (all but IFBench)."""
    _run("conditioned", inputs, outputs, params)


@dataclasses.dataclass(frozen=True)
class ReportParams:
    judge_mode: str


@step(ReportParams)
def report(inputs: dict[str, Any], outputs: dict[str, Path], params: ReportParams) -> None:
    """The judge report: per judge x dimension, statuses, re-ask and constrained rates, scores."""
    judgments = read_judgments(inputs["judgments"])
    human = None  # the study has no human ratings of the judged items
    built = build_report(
        "persistence",
        judgments,
        dimension="dataset",
        item_keys=("model", "role", "dialogue_type", "order", "round", "item"),
        judge_mode=params.judge_mode,
        human_agreement=human,
    )
    write_report(built, outputs["json"], outputs["md"])
