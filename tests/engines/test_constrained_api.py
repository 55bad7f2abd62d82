"""Constrained judge requests on the API engines, against the fake API server (a stand-in, not a
model): each engine sends the constraint in the form its registry entry names, reads the answer
the server returns under it, and a server that ignores the constraint is an engine error."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import entry, sentinel_key  # noqa: F401  (fixture)
from fakes.api_server import FakeAPIServer
from personascope.engines import Sampling, open_engine
from personascope.engines.cache import ConstraintIgnored
from personascope.judging import STATUS_OK_CONSTRAINED, JudgeTask, judge
from personascope.persistence.rubrics import LIKERT

MESSAGES = [
    {"role": "system", "content": "You are a judge."},
    {"role": "user", "content": "Rate it."},
]


def task() -> JudgeTask:
    return JudgeTask("item", "bfi", MESSAGES, LIKERT)


def openai(server: FakeAPIServer, form: str) -> dict[str, Any]:
    return entry(
        "openai",
        base_url=f"{server.url}/v1",
        api_key_env="FAKE_API_KEY",
        structured_outputs=form,
        max_retries=0,
    )


def anthropic(server: FakeAPIServer, form: str) -> dict[str, Any]:
    return entry("anthropic", base_url=server.url, structured_outputs=form, max_retries=0)


def honour_json(body: dict[str, Any]) -> Any:
    return {"reasoning": "consistent", "verdict": 4}


@pytest.mark.parametrize(
    ("form", "sent"),
    [
        ("json_schema", lambda body: body["response_format"]["json_schema"]["schema"]),
        ("vllm", lambda body: body["structured_outputs"]["regex"]),
        ("grammar", lambda body: body["grammar"]),
    ],
)
def test_openai_sends_the_constraint_the_registry_names(
    form: str, sent: Any, tmp_path: Path, sentinel_key: str
) -> None:
    constraint = LIKERT.constraint("answer", 64)
    expected = {
        "json_schema": constraint.schema(),
        "vllm": constraint.regex,
        "grammar": constraint.grammar,
    }[form]
    text = (
        json.dumps(honour_json({}))
        if form == "json_schema"
        else "**Reasoning:** ok\n\n**Result:** 4"
    )
    with FakeAPIServer(api_key=sentinel_key, answer=lambda body: text) as server:
        engine = open_engine("judge", openai(server, form), tmp_path)
        (j,) = judge(engine, [task()], Sampling(max_tokens=64), "constrained")
        engine.close()
    assert (j.status, j.value) == (STATUS_OK_CONSTRAINED, 4.0)
    (call,) = server.calls()
    assert sent(call["body"]) == expected
    assert not any(k.startswith("guided_") for k in call["body"])  # removed from vLLM


@pytest.mark.parametrize("form", ["json_schema", "vllm", "grammar"])
def test_an_openai_server_that_ignores_the_constraint_is_caught(
    form: str, tmp_path: Path, sentinel_key: str
) -> None:
    with FakeAPIServer(api_key=sentinel_key) as server:  # answers free text, HTTP 200
        engine = open_engine("judge", openai(server, form), tmp_path)
        with pytest.raises(ConstraintIgnored, match="engine openai, model judge"):
            judge(engine, [task()], Sampling(max_tokens=64), "constrained")
        engine.close()
    assert not list(tmp_path.glob("??/*.json"))  # the bad answer was not cached


def test_free_mode_sends_no_constraint(tmp_path: Path, sentinel_key: str) -> None:
    with FakeAPIServer(api_key=sentinel_key) as server:
        engine = open_engine("judge", openai(server, "json_schema"), tmp_path)
        judge(engine, [task()], Sampling(max_tokens=64), "free")
        engine.close()
    for call in server.calls():
        assert not {"response_format", "structured_outputs", "grammar"} & set(call["body"])


@pytest.mark.parametrize("form", ["output_config", "tool"])
def test_anthropic_structured_outputs_and_forced_tool_use(
    form: str, tmp_path: Path, sentinel_key: str
) -> None:
    answer = honour_json if form == "tool" else (lambda body: json.dumps(honour_json(body)))
    with FakeAPIServer(api_key=sentinel_key, answer=answer) as server:
        engine = open_engine("claude", anthropic(server, form), tmp_path)
        (j,) = judge(engine, [task()], Sampling(max_tokens=64), "constrained")
        engine.close()
    assert (j.status, j.value) == (STATUS_OK_CONSTRAINED, 4.0)
    body = server.calls()[0]["body"]
    schema = LIKERT.constraint("answer", 64).schema()
    if form == "output_config":
        assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    else:
        assert body["tools"][0]["input_schema"] == schema
        assert body["tool_choice"] == {"type": "tool", "name": body["tools"][0]["name"]}


@pytest.mark.parametrize("form", ["output_config", "tool"])
def test_an_anthropic_answer_that_ignores_the_constraint_is_caught(
    form: str, tmp_path: Path, sentinel_key: str
) -> None:
    with FakeAPIServer(api_key=sentinel_key) as server:
        engine = open_engine("claude", anthropic(server, form), tmp_path)
        with pytest.raises(ConstraintIgnored, match="engine anthropic, model claude"):
            judge(engine, [task()], Sampling(max_tokens=64), "constrained")
        engine.close()


def test_an_unknown_structured_outputs_option_names_the_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"model judge .*structured_outputs 'guided'"):
        open_engine(
            "judge",
            entry("openai", base_url="http://127.0.0.1:9/v1", structured_outputs="guided"),
            tmp_path,
        )


def test_anthropic_message_batches_carry_and_check_the_constraint(
    tmp_path: Path, sentinel_key: str
) -> None:
    with FakeAPIServer(api_key=sentinel_key, answer=honour_json) as server:
        e = entry(
            "anthropic",
            base_url=server.url,
            structured_outputs="tool",
            batch=True,
            batch_poll_s=0.01,
            max_retries=0,
        )
        engine = open_engine("claude", e, tmp_path)
        (j,) = judge(engine, [task()], Sampling(max_tokens=64), "constrained")
        engine.close()
    assert (j.status, j.value) == (STATUS_OK_CONSTRAINED, 4.0)
    (batch,) = server.batches.values()
    assert batch["requests"][0]["params"]["tool_choice"]["type"] == "tool"
