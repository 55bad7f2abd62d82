"""PersonaLens judge: task completion and personalization, strictly parsed, one re-ask."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..dialogue import Dialogue, Turn
from ..engines import Sampling
from ..io import read_parquet, write_json, write_parquet
from ..judging import JudgeTask, Parser, judge, labelled_bool, labelled_int
from ..models import EngineSet
from . import prompts
from .scenarios import load_contexts

log = logging.getLogger(__name__)

# dimension -> (prompt builder, parser)
DIMENSIONS: dict[str, tuple[Callable[[dict[str, Any], str], str], Parser]] = {
    "task_completion": (prompts.task_completion_prompt, labelled_bool("Completed")),
    "personalization": (prompts.personalization_prompt, labelled_int("Score", 1, 4)),
}

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


def run(inputs: dict[str, Path], outputs: dict[str, Path], params: dict[str, Any]) -> None:
    dialogues = read_parquet(inputs["dialogues"])
    contexts = load_contexts(
        read_parquet(inputs["sample"]),
        read_parquet(inputs["profiles"]),
        read_parquet(inputs["affinities"]),
        read_parquet(inputs["interactions"]),
    )
    dims = params.get("dimensions", list(DIMENSIONS))
    unknown = set(dims) - set(DIMENSIONS)
    if unknown:
        raise ValueError(
            f"personalens.judge.dimensions: unknown {sorted(unknown)}; known {sorted(DIMENSIONS)}"
        )
    tasks, meta = [], []
    for row in dialogues.itertuples(index=False):
        ctx = contexts[row.scenario_id]
        text = prompts.transcript(rebuild(row, ctx))
        for dim in dims:
            build, parser = DIMENSIONS[dim]
            messages = [
                {"role": "system", "content": prompts.JUDGE_SYSTEM},
                {"role": "user", "content": build(ctx, text)},
            ]
            tasks.append(JudgeTask(row.dialogue_id, dim, messages, parser))
            meta.append(row)
    engines = EngineSet(params["models"], params.get("cache_dir"))
    try:
        engine = engines.open(params["judge"])
        sampling = Sampling.from_config(engine.spec.generation, **params.get("sampling", {}))
        judgments = judge(engine, tasks, sampling) if tasks else []
    finally:
        log.info("usage: %s", engines.usage())
        engines.close()
    rows = []
    for row, j in zip(meta, judgments, strict=True):
        rows.append(
            {
                "dialogue_id": row.dialogue_id,
                "scenario_id": row.scenario_id,
                "kind": row.kind,
                "domains": list(row.domains),
                "assistant_model": row.assistant_model,
                "setting": row.setting,
                "judge_model": params["judge"],
                "dimension": j.dimension,
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
    write_json(engines.usage(), outputs["usage"])
