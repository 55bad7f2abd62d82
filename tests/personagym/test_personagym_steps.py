"""Steps around the model, with a scripted stand-in engine (tests/scripted.py): generation mode's
retry loop and what a failed call becomes in each mode."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from gym_support import gym_sources
from personascope.engines import CachedEngine, ChatRequest
from personascope.personagym import answers as answers_step
from personascope.personagym import questions as questions_step
from scripted import FunctionEngine, spec


class ScriptedEngines:
    """Stands in for EngineSet: every model is the scripted engine."""

    def __init__(self, reply):
        self.engine = CachedEngine(FunctionEngine(spec(), reply), None)

    def __call__(self, *args, **kwargs):
        return self

    def open(self, name: str) -> CachedEngine:
        return self.engine

    def usage(self):
        return []

    def close(self) -> None:
        pass


def question_reply(request: ChatRequest) -> str:
    seed = request.sampling.seed
    if seed is None:  # the settings call; question attempts are seeded 1, 2, ...
        return "```python\n['Wedding', 'Classroom']\n```"
    return {1: "Here you go: 1. a", 2: "['only one']"}.get(seed, "['first?', 'second?']")


def test_generation_retries_until_the_count_is_right(tmp_path: Path, shared_data, monkeypatch):
    monkeypatch.setattr(questions_step, "EngineSet", ScriptedEngines(question_reply))
    sources = gym_sources(shared_data)
    params = questions_step.Params(
        models={},
        cache_dir=str(tmp_path / "cache"),
        mode="generation",
        personas=1,
        questions_per_task=None,
        num_questions=2,
        attempts=5,
        questions_model="scripted",
        helper_system=None,
        sampling={"temperature": 0.9, "max_tokens": 64},
        **sources,
    )
    out = {k: tmp_path / f"{k}.x" for k in ("questions", "attempts", "usage")}
    questions_step.build({}, out, params)
    table = pd.read_parquet(out["questions"])
    assert len(table) == 5 * 2 and set(table["source"]) == {"generated"}
    log = json.loads(out["attempts"].read_text())
    per_task = [a for a in log["attempts"] if a["stage"] == "questions"]
    assert [a["status"] for a in per_task[:3]] == ["parse_failure", "wrong_count", "ok"]
    assert log["failed_attempts"] == 2 * 5


def failing_reply(request: ChatRequest) -> str:
    if "Explain" in request.messages[-1]["content"]:
        raise RuntimeError("the API is down")
    return "An answer."


def answer_params(tmp_path: Path, shared_data, quirks: bool) -> answers_step.Params:
    return answers_step.Params(
        models={},
        cache_dir=str(tmp_path),
        model="scripted",
        published_quirks=quirks,
        sampling={"max_tokens": 16},
        **gym_sources(shared_data),
    )


@pytest.fixture
def one_task_questions(tmp_path: Path) -> Path:
    path = tmp_path / "questions.parquet"
    pd.DataFrame(
        {
            "persona_id": ["p000"] * 2,
            "persona": ["P"] * 2,
            "task": ["Toxicity"] * 2,
            "position": [0, 1],
            "question": ["Explain yourself.", "Why?"],
            "source": ["t"] * 2,
        }
    ).to_parquet(path)
    return path


def test_a_failed_call_stops_the_principled_step(
    tmp_path, shared_data, monkeypatch, one_task_questions
):
    monkeypatch.setattr(answers_step, "EngineSet", ScriptedEngines(failing_reply))
    out = {"answers": tmp_path / "a.parquet", "usage": tmp_path / "u.json"}
    with pytest.raises(Exception, match="down"):
        answers_step.answer(
            {"questions": one_task_questions}, out, answer_params(tmp_path, shared_data, False)
        )
    assert not out["answers"].exists()  # nothing half-written


def test_a_failed_call_is_upstreams_error_text_under_quirks(
    tmp_path, shared_data, monkeypatch, one_task_questions
):
    monkeypatch.setattr(answers_step, "EngineSet", ScriptedEngines(failing_reply))
    out = {"answers": tmp_path / "a.parquet", "usage": tmp_path / "u.json"}
    answers_step.answer(
        {"questions": one_task_questions}, out, answer_params(tmp_path, shared_data, True)
    )
    table = pd.read_parquet(out["answers"])
    assert list(table["answer"]) == ["Error", "An answer."]
    assert list(table["status"]) == ["call_failed", "ok"]
