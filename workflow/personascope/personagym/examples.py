"""Stage `examples`: per persona, task and group, one call writes example answers for each
score 1..5 of each question (upstream's parallel-examples prompt), split per question.

The examples depend on persona and question only, not on the model under test: one table serves
every model. How the answer is split (per rubric, or upstream's character indexing) follows
`published_quirks` (texts.examples_per_question).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..engines import ChatRequest
from ..io import read_parquet, write_json, write_parquet
from ..models import EngineSet, ModelJobParams
from ..steps import Files, step
from .calls import generate, helper_messages, open_texts, sampling_of
from .groups import iter_groups, with_groups
from .texts import examples_per_question, examples_request


@dataclasses.dataclass(frozen=True)
class Params(ModelJobParams):
    examples_model: str
    group_size: int
    published_quirks: bool
    helper_system: str | None
    sampling: dict[str, Any]
    protocol: dict[str, Any]
    data: dict[str, Any]


@step(Params)
def generate_examples(inputs: Files, outputs: Files, params: Params) -> None:
    texts, _ = open_texts(params.protocol, params.data)
    questions = with_groups(read_parquet(inputs["questions"]), params.group_size)
    system = texts.grading_system if params.helper_system == "grading" else None
    groups = list(iter_groups(questions))
    prompts = [
        examples_request(
            texts, rows["persona"].iloc[0], list(rows["question"]), task, params.published_quirks
        )
        for (_, task, _), rows in groups
    ]
    engines = EngineSet(params.models, params.cache_dir)
    try:
        engine = engines.open(params.examples_model)
        sampling = sampling_of(engine, params.sampling)
        requests = [ChatRequest.of(helper_messages(system, p), sampling) for p in prompts]
        results = generate(engine, requests, params.published_quirks)
    finally:
        usage = engines.usage()
        engines.close()
    rows_out = []
    for ((_, _, _), rows), (text, error, _) in zip(groups, results, strict=True):
        split = examples_per_question(text, len(rows), params.published_quirks)
        for row, example in zip(rows.itertuples(index=False), split, strict=True):
            status = "call_failed" if error else ("ok" if example is not None else "missing")
            rows_out.append(
                {
                    "persona_id": row.persona_id,
                    "task": row.task,
                    "position": row.position,
                    "group": row.group,
                    "slot": row.slot,
                    "score_example": example or "",
                    "status": status,
                    "raw_text": text,
                    "error": error,
                }
            )
    write_parquet(pd.DataFrame(rows_out), outputs["examples"])
    write_json(usage, outputs["usage"])
