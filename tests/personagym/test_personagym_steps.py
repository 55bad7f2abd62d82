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


def judge_reply(request: ChatRequest) -> str:
    """Examples answers with numbered rubric sections; grading answers with k evaluations."""
    user = request.messages[-1]["content"]
    if request.messages[0]["content"].startswith("Adopt"):
        return "As this persona, I would help."
    count = 2
    # the examples request quotes the rubric unfilled (as upstream): its placeholders show
    if "{response}" not in user:  # a grading request
        return "\n".join(
            f"({k}) Evaluation: fine. Therefore, the final score is {k + 2}."
            for k in range(1, count + 1)
        )
    return "\n".join(
        f"Rubric {k} Examples:\nScore 1: Response - bad\nScore 5: Response - good"
        for k in range(1, count + 1)
    )


def test_the_stages_chain_to_tables_and_figure(tmp_path, shared_data, monkeypatch):
    from personascope.personagym import examples, figures, grading, scores, tables

    engines = ScriptedEngines(judge_reply)
    for module in (answers_step, examples, grading):
        monkeypatch.setattr(module, "EngineSet", engines)
    sources = gym_sources(shared_data)
    common = {"models": {}, "cache_dir": str(tmp_path / "cache"), **sources}
    f = {
        name: tmp_path / name
        for name in (
            "q.parquet",
            "a.parquet",
            "e.parquet",
            "g1.parquet",
            "g2.parquet",
            "t.parquet",
            "p.parquet",
        )
    }
    questions_step.build(
        {},
        {
            "questions": f["q.parquet"],
            "attempts": tmp_path / "at.json",
            "usage": tmp_path / "u0.json",
        },
        questions_step.Params(
            mode="benchmark",
            personas=1,
            questions_per_task=2,
            num_questions=10,
            attempts=5,
            questions_model="scripted",
            helper_system=None,
            sampling={},
            **common,
        ),
    )
    answers_step.answer(
        {"questions": f["q.parquet"]},
        {"answers": f["a.parquet"], "usage": tmp_path / "u1.json"},
        answers_step.Params(model="scripted", sampling={}, published_quirks=False, **common),
    )
    examples.generate_examples(
        {"questions": f["q.parquet"]},
        {"examples": f["e.parquet"], "usage": tmp_path / "u2.json"},
        examples.Params(
            examples_model="scripted",
            group_size=5,
            published_quirks=False,
            helper_system="grading",
            sampling={},
            **common,
        ),
    )
    for slot, out in (("judge1", "g1.parquet"), ("judge2", "g2.parquet")):
        grading.grade(
            {"answers": f["a.parquet"], "examples": f["e.parquet"]},
            {"grading": f[out], "usage": tmp_path / f"{slot}.json"},
            grading.Params(
                judge="scripted",
                judge_slot=slot,
                judge_mode="free",
                group_size=5,
                published_quirks=False,
                sampling={},
                **common,
            ),
        )
    from personascope.personagym import judge

    judge.report(
        {"grading": [f["g1.parquet"], f["g2.parquet"]]},
        {"json": tmp_path / "r.json", "md": tmp_path / "r.md"},
        judge.Params(judge_mode="free"),
    )
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["items"] == 20 and report["parsed_rate"] == 100.0
    assert {tuple(a["judges"]) for a in report["judge_agreement"]} == {
        ("scripted (judge1)", "scripted (judge2)")
    }
    graded = pd.read_parquet(f["g1.parquet"])
    assert list(graded["grade"]) == [3, 4] * 5 and set(graded["examples_status"]) == {"ok"}
    scores.score(
        {"grading": [f["g1.parquet"], f["g2.parquet"]]},
        {"tasks": f["t.parquet"], "personas": f["p.parquet"]},
        scores.Params(model="scripted", published_quirks=False, data=sources["data"]),
    )
    assert pd.read_parquet(f["p.parquet"])["persona_score"].tolist() == [3.5]
    out = {
        name: tmp_path / f"{name}.csv"
        for name in (
            "persona_score",
            "published_comparison",
            "relative_improvement",
            "judge_agreement",
            "parse_failures",
        )
    }
    tables.build(
        {"personas": f["p.parquet"], "grading": [f["g1.parquet"], f["g2.parquet"]]},
        out,
        tables.Params(
            published_runs={"20240710_claude_3_haiku": "claude-3-haiku"},
            published_quirks=False,
            resamples=200,
            seed=1,
            data=sources["data"],
        ),
    )
    table = pd.read_csv(out["published_comparison"])
    assert list(table["source"]) == ["published", "ours"]
    assert pd.read_csv(out["persona_score"])["PersonaScore"].tolist() == [3.5]
    figures.draw(
        {
            "persona_score": out["persona_score"],
            "published_comparison": out["published_comparison"],
        },
        {"pdf": tmp_path / "f.pdf", "png": tmp_path / "f.png"},
        figures.Params(
            registry={"scripted": {"params_b": 0.1, "size_class": 1}}, published_quirks=False
        ),
    )
    assert (tmp_path / "f.png").stat().st_size > 0
