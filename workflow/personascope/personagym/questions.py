"""Stage `questions`: the questions each persona is asked, per task.

Benchmark mode (the default): upstream's frozen benchmark-v1 questions. Generation mode: an LLM
picks the persona's settings from the environment list, then writes each task's questions; a
task's generation is tried up to `attempts` times until it parses to exactly `num_questions`
(upstream's loop), every attempt recorded. Both modes keep the first `questions_per_task`.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

import pandas as pd

from ..engines import ChatRequest
from ..io import write_json, write_parquet
from ..models import EngineSet, ModelJobParams
from ..steps import Files, step
from .benchmark import Benchmark, select_personas
from .calls import helper_messages, open_texts, sampling_of
from .texts import Texts, question_request, settings_request

COLUMNS = ["persona_id", "persona", "task", "position", "question", "source"]


@dataclasses.dataclass(frozen=True)
class Params(ModelJobParams):
    mode: str  # benchmark | generation
    personas: Any
    questions_per_task: int | None
    num_questions: int
    attempts: int
    questions_model: str
    helper_system: str | None
    sampling: dict[str, Any]
    protocol: dict[str, Any]
    data: dict[str, Any]


def extract_list(text: str) -> list[Any]:
    """A Python list literal in a model answer (code fences removed), as upstream reads it."""
    body = text.replace("```python", "").replace("```", "").strip()
    value = ast.literal_eval(body)
    if not isinstance(value, list):
        raise ValueError(f"a {type(value).__name__}, not a list")
    return value


def _generated(
    params: Params, texts: Texts, benchmark: Benchmark, personas: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    system = texts.grading_system if params.helper_system == "grading" else None
    requirements = benchmark.question_requirements()
    environments = benchmark.environments()
    rows: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    engines = EngineSet(params.models, params.cache_dir)
    try:
        engine = engines.open(params.questions_model)
        for pid, persona in personas:
            prompt = settings_request(texts, persona, environments)
            request = ChatRequest.of(
                helper_messages(system, prompt), sampling_of(engine, params.sampling)
            )
            (answer,) = engine.generate([request])
            record = {"persona_id": pid, "task": None, "stage": "settings", "attempt": 1}
            try:
                settings = extract_list(answer.text)
                attempts.append({**record, "status": "ok", "count": len(settings)})
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
                attempts.append({**record, "status": "parse_failure", "error": str(exc)[:200]})
                continue  # upstream stops here; the persona gets no questions (recorded)
            for task in benchmark.tasks():
                prompt = question_request(
                    texts, persona, settings, task, requirements[task], params.num_questions
                )
                found: list[Any] | None = None
                for attempt in range(1, params.attempts + 1):
                    # the attempt number seeds the sampling: a retry is a new call, not a cache hit
                    sampling = sampling_of(engine, params.sampling, seed=attempt)
                    (answer,) = engine.generate(
                        [ChatRequest.of(helper_messages(system, prompt), sampling)]
                    )
                    record = {"persona_id": pid, "task": task, "stage": "questions"}
                    try:
                        parsed = extract_list(answer.text)
                    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
                        attempts.append(
                            {
                                **record,
                                "attempt": attempt,
                                "status": "parse_failure",
                                "error": str(exc)[:200],
                            }
                        )
                        continue
                    found = [str(q) for q in parsed]
                    complete = len(found) == params.num_questions
                    attempts.append(
                        {
                            **record,
                            "attempt": attempt,
                            "count": len(found),
                            "status": "ok" if complete else "wrong_count",
                        }
                    )
                    if complete:
                        break
                for position, question in enumerate(found or []):
                    rows.append(
                        {
                            "persona_id": pid,
                            "persona": persona,
                            "task": task,
                            "position": position,
                            "question": question,
                            "source": "generated",
                        }
                    )
    finally:
        usage = engines.usage()
        engines.close()
    return rows, attempts, usage


@step(Params)
def build(inputs: Files, outputs: Files, params: Params) -> None:
    texts, benchmark = open_texts(params.protocol, params.data)
    personas = select_personas(benchmark.personas(), params.personas)
    if params.mode == "benchmark":
        rows = [
            {
                "persona_id": pid,
                "persona": persona,
                "task": task,
                "position": i,
                "question": q,
                "source": "benchmark-v1",
            }
            for pid, persona in personas
            for task, questions in benchmark.questions(persona).items()
            for i, q in enumerate(questions)
        ]
        attempts: list[dict[str, Any]] = []
        usage: list[dict[str, Any]] = []
    else:
        rows, attempts, usage = _generated(params, texts, benchmark, personas)
    table = pd.DataFrame(rows, columns=COLUMNS)
    if params.questions_per_task is not None:
        table = table[table["position"] < params.questions_per_task]
    order = {task: i for i, task in enumerate(benchmark.tasks())}
    table = table.sort_values(
        ["persona_id", "task", "position"], key=lambda c: c.map(order) if c.name == "task" else c
    ).reset_index(drop=True)
    write_parquet(table, outputs["questions"])
    failures = sum(a["status"] != "ok" for a in attempts)
    write_json(
        {
            "mode": params.mode,
            "personas": len(personas),
            "questions": len(table),
            "attempts": attempts,
            "failed_attempts": failures,
        },
        outputs["attempts"],
    )
    write_json(usage, outputs["usage"])
