"""The PersonaGym protocol sheet: what would run, before anything runs.

`protocol.json` + `.md`: the texts (pack keys, sha256, source), sampling per call kind, models
(ours, the paper's, and which stands in for which), judge mode, both scoring modes, persona and
question counts. `protocol_examples.jsonl`: for the first persona and task, the answer, examples
and grading requests exactly as they would be sent, in each mode (answers and examples in a
grading request are placeholders, marked so, since nothing has run yet).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..engines import Sampling
from ..io import write_text
from ..protocol import write_sheet
from ..steps import Files, step
from .benchmark import select_personas
from .calls import helper_messages, open_texts
from .texts import answer_messages, examples_request, grading_request

MODES = {
    "principled": "each question gets the score examples of its own rubric; filled rubrics are "
    "joined as text; a missing grade is a recorded parse failure (excluded, counted); a failed "
    "call is an error, retried on rerun",
    "published_quirks": "upstream's behaviour: filled prompts formatted as a Python list repr; "
    "question i gets character i of the examples string; a missing grade reads 0 and zeros are "
    "dropped from the judge's group mean; a failed call's text 'Error' is graded",
}
PLACEHOLDER_ANSWER = "<placeholder: the persona agent's answer>"
PLACEHOLDER_EXAMPLE = "<placeholder: the score examples of this question>"


@dataclasses.dataclass(frozen=True)
class Params:
    mode: str
    personas: Any
    questions_per_task: int | None
    group_size: int
    models_under_test: list[str]
    judges: dict[str, str]
    examples_model: str
    questions_model: str
    judge_mode: str
    published_quirks: bool
    helper_system: str | None
    sampling: dict[str, dict[str, Any]]
    protocol: dict[str, Any]
    data: dict[str, Any]
    registry: dict[str, Any]


def effective_sampling(params: Params, kind: str, model: str) -> dict[str, Any]:
    merged = {**params.registry[model].get("generation", {}), **params.sampling[kind]}
    return dataclasses.asdict(Sampling.from_config(merged))


def _requests(
    params: Params, texts: Any, persona: str, task: str, questions: list[str]
) -> list[dict[str, Any]]:
    system = texts.grading_system if params.helper_system == "grading" else None
    out = [
        {
            "kind": "answer",
            "mode": "both",
            "model": m,
            "messages": answer_messages(texts, persona, questions[0]),
        }
        for m in params.models_under_test[:1]
    ]
    for quirks in (False, True):
        mode = "published_quirks" if quirks else "principled"
        prompt = examples_request(texts, persona, questions, task, quirks)
        out.append(
            {
                "kind": "examples",
                "mode": mode,
                "model": params.examples_model,
                "messages": helper_messages(system, prompt),
            }
        )
        qa = [(q, PLACEHOLDER_ANSWER) for q in questions]
        examples = [PLACEHOLDER_EXAMPLE] * len(questions)
        out.append(
            {
                "kind": "grading",
                "mode": mode,
                "model": params.judges["judge1"],
                "messages": grading_request(texts, persona, task, qa, examples, quirks),
            }
        )
    return out


@step(Params)
def sheet(inputs: Files, outputs: Files, params: Params) -> None:
    texts, benchmark = open_texts(params.protocol, params.data)
    tasks = benchmark.tasks()
    personas = select_personas(benchmark.personas(), params.personas)
    _, first = personas[0]
    frozen = benchmark.questions(first)
    per_task = {t: len(frozen.get(t, [])) for t in tasks}
    if params.questions_per_task is not None:
        per_task = {t: min(n, params.questions_per_task) for t, n in per_task.items()}
    groups = {t: -(-n // params.group_size) for t, n in per_task.items()}
    examples_rows = _requests(
        params,
        texts,
        first,
        tasks[0],
        frozen[tasks[0]][: min(per_task[tasks[0]], params.group_size)],
    )
    paper = texts.upstream_models
    ours = {"examples": params.examples_model, "questions": params.questions_model, **params.judges}
    sheet_data = {
        "study": "personagym",
        "texts": list(texts.used),
        "sampling": {
            "answer": {
                m: effective_sampling(params, "answer", m) for m in params.models_under_test
            },
            "examples": effective_sampling(params, "examples", params.examples_model),
            "judge": {
                slot: effective_sampling(params, slot, name) for slot, name in params.judges.items()
            },
            "questions": effective_sampling(params, "questions", params.questions_model),
        },
        "models": {
            "persona_agents": params.models_under_test,
            "ours": ours,
            "paper": paper,
            "substitutions": {
                role: {
                    "paper": paper.get(role),
                    "ours": name,
                    "registry_model": params.registry[name]["model"],
                }
                for role, name in ours.items()
            },
        },
        "judge_mode": params.judge_mode,
        "published_quirks": params.published_quirks,
        "scoring_modes": MODES,
        "active_mode": "published_quirks" if params.published_quirks else "principled",
        "question_source": params.mode,
        "helper_system_prompt": params.helper_system,
        "personas": len(personas),
        "questions": per_task,
        "group_size": params.group_size,
        "calls_per_persona": {
            "answers_per_model": sum(per_task.values()),
            "examples": sum(groups.values()),
            "grading_per_judge_and_model": sum(groups.values()),
        },
    }
    write_sheet(sheet_data, outputs["json"], outputs["md"], title="Protocol sheet: PersonaGym")
    write_text(
        "".join(
            json.dumps({"persona": first, **r}, ensure_ascii=False) + "\n" for r in examples_rows
        ),
        outputs["examples"],
    )
