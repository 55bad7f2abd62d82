"""PersonaLens judge: every dimension strictly parsed, one re-ask, failures recorded.

Dimensions: task completion (True/False), personalization (1-4), naturalness and coherence
(1-5) of the user side and of the assistant side, and turn-level personalization — the
personalization score of the dialogue prefix ending at each assistant turn (the last prefix is
the whole dialogue, so its prompt equals the dialogue-level one and the call cache answers it).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..dialogue import ASSISTANT, Dialogue, Turn
from ..engines import Sampling
from ..io import read_parquet, write_parquet
from ..judge_report import build_report, read_judgments, write_report
from ..judging import JudgeTask, judge
from ..models import EngineSet, ModelJobParams
from ..steps import step
from ..verdicts import VerdictFormat, boolean_verdict, integer_verdict
from . import prompts
from .scenarios import load_contexts

log = logging.getLogger(__name__)

TURN_LEVEL = "personalization_turn"

# The verdict formats the judge prompts ask for: a closing `Label: value` line.
COMPLETED = boolean_verdict("Completed:")
SCORE_1_4 = integer_verdict("Score:", 1, 4)
SCORE_1_5 = integer_verdict("Score:", 1, 5)

# dimension -> (prompt builder, verdict format)
DIMENSIONS: dict[str, tuple[Callable[[dict[str, Any], str], str], VerdictFormat]] = {
    "task_completion": (prompts.task_completion_prompt, COMPLETED),
    "personalization": (prompts.personalization_prompt, SCORE_1_4),
    "naturalness_user": (prompts.naturalness_prompt("user"), SCORE_1_5),
    "coherence_user": (prompts.coherence_prompt("user"), SCORE_1_5),
    "naturalness_assistant": (prompts.naturalness_prompt("assistant"), SCORE_1_5),
    "coherence_assistant": (prompts.coherence_prompt("assistant"), SCORE_1_5),
    TURN_LEVEL: (prompts.personalization_prompt, SCORE_1_4),
}
DEFAULT_DIMENSIONS = list(DIMENSIONS)

JUDGMENT_SCHEMA = pa.schema(
    [
        ("dialogue_id", pa.string()),
        ("scenario_id", pa.string()),
        ("kind", pa.string()),
        ("domains", pa.list_(pa.string())),
        ("assistant_model", pa.string()),
        ("setting", pa.string()),
        ("judge_model", pa.string()),
        ("dimension", pa.string()),
        # assistant turn (1-based) closing the judged prefix; null for whole-dialogue dimensions
        ("turn", pa.int64()),
        ("raw_text", pa.string()),
        ("reask_text", pa.string()),
        ("value", pa.float64()),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)


def rebuild(row: Any, ctx: dict[str, Any]) -> Dialogue:
    d = Dialogue(row.dialogue_id, ctx, max_user_turns=0)
    d.turns = [Turn(speaker=t["speaker"], text=t["text"]) for t in row.turns]
    return d


def prefixes(dialogue: Dialogue) -> list[tuple[int, Dialogue]]:
    """(k, the dialogue cut after its k-th assistant turn) for every assistant turn."""
    out = []
    k = 0
    for i, turn in enumerate(dialogue.turns):
        if turn.speaker == ASSISTANT:
            k += 1
            cut = Dialogue(dialogue.dialogue_id, dialogue.context, max_user_turns=0)
            cut.turns = dialogue.turns[: i + 1]
            out.append((k, cut))
    return out


def judge_tasks(
    dialogue: Dialogue, dims: list[str], max_turns: int | None = None
) -> list[tuple[JudgeTask, int | None]]:
    """The judge requests of one dialogue, each with its turn (None: whole dialogue)."""
    ctx = dialogue.context
    text = prompts.transcript(dialogue)
    out: list[tuple[JudgeTask, int | None]] = []
    for dim in dims:
        build, parser = DIMENSIONS[dim]
        items = (
            [(k, prompts.transcript(cut)) for k, cut in prefixes(dialogue)[:max_turns]]
            if dim == TURN_LEVEL
            else [(None, text)]
        )
        for turn, shown in items:
            messages = [
                {"role": "system", "content": prompts.JUDGE_SYSTEM},
                {"role": "user", "content": build(ctx, shown)},
            ]
            out.append((JudgeTask(dialogue.dialogue_id, dim, messages, parser), turn))
    return out


def check_dimensions(dims: list[str]) -> None:
    unknown = set(dims) - set(DIMENSIONS)
    if unknown:
        raise ValueError(
            f"personalens.judge_dimensions: unknown {sorted(unknown)}; known {sorted(DIMENSIONS)}"
        )


@dataclasses.dataclass(frozen=True)
class JudgeParams(ModelJobParams):
    judge: str
    sampling: dict[str, Any]
    judge_mode: str
    dimensions: list[str] | None
    turn_level_max_turns: int | None


@step(JudgeParams)
def dialogues(inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    """Every judge dimension of one dialogue shard (raw text, value and parse status kept)."""
    table = read_parquet(inputs["dialogues"])
    contexts = load_contexts(
        read_parquet(inputs["sample"]),
        read_parquet(inputs["profiles"]),
        read_parquet(inputs["affinities"]),
        read_parquet(inputs["interactions"]),
    )
    dims = list(params.dimensions or DEFAULT_DIMENSIONS)
    check_dimensions(dims)
    tasks, meta = [], []
    for row in table.itertuples(index=False):
        dialogue = rebuild(row, contexts[row.scenario_id])
        for task, turn in judge_tasks(dialogue, dims, params.turn_level_max_turns):
            tasks.append(task)
            meta.append((row, turn))
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(params.judge)
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        judgments = judge(engine, tasks, sampling, params.judge_mode) if tasks else []
    rows = []
    for (row, turn), j in zip(meta, judgments, strict=True):
        rows.append(
            {
                "dialogue_id": row.dialogue_id,
                "scenario_id": row.scenario_id,
                "kind": row.kind,
                "domains": list(row.domains),
                "assistant_model": row.assistant_model,
                "setting": row.setting,
                "judge_model": params.judge,
                "dimension": j.dimension,
                "turn": turn,
                "raw_text": j.raw_text,
                "reask_text": j.reask_text,
                "value": j.value,
                "status": j.status,
                "error": j.error,
            }
        )
    failures = sum(r["status"] == "parse_failure" for r in rows)
    log.info("%d judgments, %d parse failures", len(rows), failures)
    write_parquet(pa.Table.from_pylist(rows, schema=JUDGMENT_SCHEMA), outputs["judgments"])


@dataclasses.dataclass(frozen=True)
class ReportParams:
    judge_mode: str


@step(ReportParams)
def report(inputs: dict[str, Any], outputs: dict[str, Path], params: ReportParams) -> None:
    """The judge report: per judge x dimension, statuses, re-ask and constrained rates, scores."""
    judgments = read_judgments(inputs["judgments"])
    agreement = inputs.get("agreement")
    human = pd.read_csv(agreement).to_dict("records") if agreement else None
    built = build_report(
        "personalens",
        judgments,
        dimension="dimension",
        item_keys=("dialogue_id", "turn"),
        judge_mode=params.judge_mode,
        human_agreement=human,
    )
    write_report(built, outputs["json"], outputs["md"])
