"""Stage `answers`: the persona agent answers each question in one turn.

System prompt: upstream's persona prompt filled with the persona; user turn: the question alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..engines import ChatRequest
from ..io import read_parquet, write_json, write_parquet
from ..models import EngineSet, ModelJobParams
from ..steps import Files, step
from .calls import generate, open_texts, sampling_of
from .texts import answer_messages


@dataclasses.dataclass(frozen=True)
class Params(ModelJobParams):
    model: str
    sampling: dict[str, Any]
    published_quirks: bool
    protocol: dict[str, Any]
    data: dict[str, Any]


@step(Params)
def answer(inputs: Files, outputs: Files, params: Params) -> None:
    texts, _ = open_texts(params.protocol, params.data)
    questions = read_parquet(inputs["questions"])
    engines = EngineSet(params.models, params.cache_dir)
    try:
        engine = engines.open(params.model)
        sampling = sampling_of(engine, params.sampling)
        requests = [
            ChatRequest.of(answer_messages(texts, row.persona, row.question), sampling)
            for row in questions.itertuples(index=False)
        ]
        results = generate(engine, requests, params.published_quirks)
    finally:
        usage = engines.usage()
        engines.close()
    table = questions.assign(
        model=params.model,
        answer=[text for text, _, _ in results],
        status=["ok" if error is None else "call_failed" for _, error, _ in results],
        error=[error for _, error, _ in results],
        finish_reason=[r.finish_reason if r else None for _, _, r in results],
        completion_tokens=[r.completion_tokens if r else 0 for _, _, r in results],
    )
    write_parquet(pd.DataFrame(table), outputs["answers"])
    write_json(usage, outputs["usage"])
