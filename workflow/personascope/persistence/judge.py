"""Persistent Personas judging: dialogue fidelity per round, and the judged conditioned benchmarks
(BFI trait ratings, RoleBench pairwise win vs reference, XSTest explicit refusal).

Requests are upstream's (`rubrics`): templates and rubrics from the protocol pack, the role
preamble, the A/B order by item parity. As upstream does, the no-persona baseline is judged *as
each persona* of the run (`judged_as`) on the three fidelity rubrics and both RoleBench tasks
(its answer to a RoleBench question is paired with each persona asked the same question, against
that persona's reference); BFI and XSTest judge it once, with no persona.

Every judgment keeps raw text, parsed value and parse status (`personascope.judging`); a failure
is recorded, never a score — unless `published_quirks` applies upstream's fallbacks (status
`quirk_*`, so their effect can be measured). Long inputs (`judge_truncation`):
- `response`: the judged text is cut so the prompt fits `judge_max_input_tokens`, the template
  and rubric never (`truncated` records it);
- `prompt_tail`: upstream's vLLM `truncate_prompt_tokens` — the conditioned judge prompt keeps
  its last `judge_max_input_tokens` tokens; fidelity prompts are never cut (as upstream).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..engines import CachedEngine, Sampling
from ..errors import ConfigError
from ..io import read_parquet, write_parquet
from ..judge_report import build_report, read_judgments, write_report
from ..judging import STATUS_FAILED, JudgeTask, judge
from ..models import EngineSet, ModelJobParams
from ..protocol import load_pack
from ..steps import step
from . import rubrics
from .formats import JUDGED_BENCHMARKS, JUDGMENT_SCHEMA
from .prompts import BASELINE, text_or_none

log = logging.getLogger(__name__)

PACK_STUDY = rubrics.PACK_STUDY
FIDELITY_DIMENSIONS = rubrics.FIDELITY_DIMENSIONS
JUDGED_DATASETS = JUDGED_BENCHMARKS
TRUNCATION_MODES = ("response", "prompt_tail")


Counter = Callable[[str], int]
Truncator = Callable[[str, int], str]


def approx_count(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 3)


def approx_truncate(text: str, budget: int) -> str:
    data = text.encode("utf-8")[: max(0, budget) * 3]
    return data.decode("utf-8", errors="ignore")


def approx_tail(text: str, budget: int) -> str:
    data = text.encode("utf-8")
    return data[max(0, len(data) - max(0, budget) * 3) :].decode("utf-8", errors="ignore")


class Tokens:
    """Counting and cutting in the judge's own tokenizer where the engine exposes one
    (llama.cpp), else a byte-based estimate (3 bytes a token) that errs towards cutting more."""

    def __init__(self, engine: CachedEngine | None = None) -> None:
        llm = getattr(getattr(engine, "engine", None), "llm", None)
        self.llm = llm if hasattr(llm, "tokenize") and hasattr(llm, "detokenize") else None

    def _ids(self, text: str) -> list[int]:
        assert self.llm is not None
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False))

    def count(self, text: str) -> int:
        return len(self._ids(text)) if self.llm else approx_count(text)

    def head(self, text: str, budget: int) -> str:
        if not self.llm:
            return approx_truncate(text, budget)
        ids = self._ids(text)[: max(0, budget)]
        return self.llm.detokenize(ids).decode("utf-8", errors="ignore")

    def tail(self, text: str, budget: int) -> str:
        if not self.llm:
            return approx_tail(text, budget)
        ids = self._ids(text)
        ids = ids[max(0, len(ids) - max(0, budget)) :]
        return self.llm.detokenize(ids).decode("utf-8", errors="ignore")


class Limits:
    """The truncation rule of one judge job."""

    def __init__(self, mode: str, budget: int, system: str | None, tokens: Tokens) -> None:
        if mode not in TRUNCATION_MODES:
            raise ConfigError(
                f"unknown judge truncation {mode!r}; expected one of {TRUNCATION_MODES}",
                where="persistence.judge_truncation",
            )
        self.mode, self.budget, self.system, self.tokens = mode, budget, system, tokens

    def fit(self, build: Callable[[str], str], text: str, conditioned: bool) -> tuple[str, bool]:
        """`build(text)` within the budget, by this job's rule; (prompt, truncated)."""
        prompt = build(text)
        overhead = self.tokens.count(self.system) if self.system else 0
        if self.tokens.count(prompt) + overhead <= self.budget:
            return prompt, False
        if self.mode == "prompt_tail":
            if not conditioned:
                return prompt, False
            return self.tokens.tail(prompt, self.budget), True
        room = self.budget - self.tokens.count(build("")) - overhead - 8
        if room <= 0:
            raise ConfigError(
                f"judge input budget of {self.budget} tokens is smaller than the rubric itself",
                where="persistence.judge_max_input_tokens",
            )
        return build(self.tokens.head(text, room) + " [...]"), True


def judged_roles(role: str, personas: list[str]) -> list[str]:
    """The personas an answer is judged as: its own, or every persona for the baseline."""
    return list(personas) if role == BASELINE else [role]


def fidelity_tasks(
    dialogue: pd.DataFrame,
    descriptions: dict[str, str],
    personas: list[str],
    texts: rubrics.Texts,
    limits: Limits,
) -> tuple[list[JudgeTask], list[dict[str, Any]]]:
    tasks, meta = [], []
    for row in dialogue.itertuples(index=False):
        for as_role in judged_roles(row.role, personas):
            judge_input = rubrics.dialogue_input(as_role, descriptions.get(as_role, ""), row.user)
            for dim in FIDELITY_DIMENSIONS:
                rubric = rubrics.rubric_for(f"fidelity_{dim}")
                prompt, cut = limits.fit(
                    lambda text, r=rubric, i=judge_input: rubrics.fill(texts, r, i, output=text),
                    rubrics.dialogue_output(row.assistant),
                    conditioned=False,
                )
                item = f"{row.order}:{row.round}"
                tasks.append(
                    JudgeTask(
                        item,
                        rubric.name,
                        rubrics.judge_messages(prompt, limits.system),
                        rubrics.LIKERT,
                    )
                )
                meta.append(
                    {
                        "model": row.model,
                        "role": row.role,
                        "judged_as": as_role,
                        "dialogue_type": row.dialogue_type,
                        "order": row.order,
                        "round": int(row.round),
                        "dataset": rubric.name,
                        "item": item,
                        "item_index": int(row.round),
                        "trait": None,
                        "label": None,
                        "prefix_tokens": int(row.prefix_tokens),
                        "truncated": cut,
                    }
                )
    return tasks, meta


def pairing_prompt(dataset: str, prompt: str) -> str:
    """The question a persona item shares with the baseline's: RoleBench role-specific
    instructions lose their addressee for the baseline (data.strip_addressee)."""
    if dataset == "rolebench_role_specific":
        rest = prompt.split(", ", maxsplit=1)[-1]
        return rest[:1].upper() + rest[1:]
    return prompt


def rolebench_pairs(
    row: Any, items: pd.DataFrame, personas: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """(persona, that persona's item) for a RoleBench answer: the persona's own item, or for the
    baseline each persona's item with the same question (upstream merges on the question)."""
    if row.role != BASELINE:
        own = {
            "item": row.item,
            "item_index": int(row.item_index),
            "prompt": row.prompt,
            "reference": text_or_none(row.reference) or "",
        }
        return [(row.role, own)]
    out = []
    of_dataset = items[items.dataset == row.dataset]
    for persona in personas:
        for item in of_dataset[of_dataset.role == persona].itertuples(index=False):
            if pairing_prompt(row.dataset, item.prompt) == row.prompt:
                out.append(
                    (
                        persona,
                        {
                            "item": item.item,
                            "item_index": int(item.item_index),
                            "prompt": item.prompt,
                            "reference": text_or_none(item.reference) or "",
                        },
                    )
                )
    return out


def conditioned_tasks(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    descriptions: dict[str, str],
    personas: list[str],
    texts: rubrics.Texts,
    limits: Limits,
) -> tuple[list[JudgeTask], list[dict[str, Any]]]:
    tasks, meta = [], []
    for row in responses[responses.dataset.isin(JUDGED_DATASETS)].itertuples(index=False):
        base = {
            "model": row.model,
            "role": row.role,
            "dialogue_type": row.dialogue_type,
            "order": "original",
            "round": int(row.round),
            "dataset": row.dataset,
            "trait": text_or_none(row.trait),
            "label": text_or_none(row.label),
            "prefix_tokens": int(row.prefix_tokens),
        }
        if row.dataset in rubrics.PAIRWISE_DATASETS:
            for persona, item in rolebench_pairs(row, items, personas):
                judge_input = rubrics.conditioned_input(
                    persona, descriptions.get(persona, ""), item["prompt"]
                )
                prompt, cut = limits.fit(
                    lambda text, d=row.dataset, i=judge_input, it=item: rubrics.pairwise_request(
                        texts, d, i, text, it["reference"], it["item_index"]
                    ),
                    row.response,
                    conditioned=True,
                )
                tasks.append(
                    JudgeTask(
                        item["item"],
                        row.dataset,
                        rubrics.judge_messages(prompt, limits.system),
                        rubrics.PAIRWISE,
                        rubrics.pairwise_score(item["item_index"]),
                    )
                )
                meta.append(
                    base
                    | {
                        "judged_as": persona,
                        "item": item["item"],
                        "item_index": item["item_index"],
                        "truncated": cut,
                    }
                )
            continue
        as_role = None if row.role == BASELINE else row.role
        rubric = rubrics.rubric_for(row.dataset, text_or_none(row.trait))
        judge_input = rubrics.conditioned_input(
            as_role, descriptions.get(as_role or "", ""), row.prompt
        )
        prompt, cut = limits.fit(
            lambda text, r=rubric, i=judge_input: rubrics.fill(texts, r, i, output=text),
            rubrics.conditioned_output(row.response),
            conditioned=True,
        )
        tasks.append(
            JudgeTask(
                row.item,
                rubric.name,
                rubrics.judge_messages(prompt, limits.system),
                rubrics.format_for(rubric),
            )
        )
        meta.append(
            base
            | {
                "judged_as": as_role,
                "item": row.item,
                "item_index": int(row.item_index),
                "truncated": cut,
            }
        )
    return tasks, meta


def apply_quirks(rows: list[dict[str, Any]], seed: int) -> int:
    """upstream's fallbacks on recorded failures (`published_quirks: true`); the count applied.
    The random A/B draw is seeded per row (seed, model, role, judged_as, type, round, item), so it
    does not depend on the order of the jobs."""
    applied = 0
    for row in rows:
        if row["status"] != STATUS_FAILED:
            continue
        key = "|".join(
            str(row[k])
            for k in ("model", "role", "judged_as", "dialogue_type", "round", "dataset", "item")
        )
        got = rubrics.quirk_value(
            row["dataset"], row["raw_text"], int(row["item_index"]), random.Random(f"{seed}|{key}")
        )
        if got is not None:
            row["value"], row["status"] = got
            applied += 1
    return applied


@dataclasses.dataclass(frozen=True)
class JudgeParams(ModelJobParams):
    judge: str
    model: str
    max_input_tokens: int
    truncation: str
    system_prompt: str | None
    published_quirks: bool
    seed: int
    protocol: dict[str, Any]
    sampling: dict[str, Any]
    judge_mode: str


def _run(kind: str, inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    roles = read_parquet(inputs["roles"])
    descriptions = {
        r.role: text_or_none(r.description) or "" for r in roles.itertuples(index=False)
    }
    personas = [r for r in roles.role if r != BASELINE]
    texts = load_pack(PACK_STUDY, params.protocol)
    system = params.system_prompt
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(params.judge)
        limits = Limits(params.truncation, params.max_input_tokens, system, Tokens(engine))
        if kind == "dialogues":
            table = read_parquet(inputs["dialogues"])
            tasks, meta = fidelity_tasks(table, descriptions, personas, texts, limits)
        else:
            table = read_parquet(inputs["responses"])
            items = read_parquet(inputs["benchmark_items"])
            tasks, meta = conditioned_tasks(table, items, descriptions, personas, texts, limits)
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
    if params.published_quirks:
        log.info("published quirks applied to %d failures", apply_quirks(rows, params.seed))
    log.info(
        "%d judgments, %d parse failures, %d truncated",
        len(rows),
        sum(r["status"] == STATUS_FAILED for r in rows),
        sum(r["truncated"] for r in rows),
    )
    write_parquet(pa.Table.from_pylist(rows, schema=JUDGMENT_SCHEMA), outputs["judgments"])


@step(JudgeParams)
def dialogues(inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    """Fidelity judgments of one model's dialogues (three rubrics per round, the baseline's
    answers once per persona)."""
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
        item_keys=("model", "role", "judged_as", "dialogue_type", "order", "round", "item"),
        judge_mode=params.judge_mode,
        human_agreement=human,
    )
    write_report(built, outputs["json"], outputs["md"])


# the judge on upstream's human-rated validation samples (personascope.persistence.human)
from .human import human_samples  # noqa: E402,F401
