"""Prefix reuse in the local engine, on the real SmolLM2 model: a response is the same whether
its prefix came from the prefix cache or was evaluated from scratch, and the call cache still
makes a rerun do nothing."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.engines.base import Constraint

SYSTEM = {"role": "system", "content": "You are a pirate captain. Answer in one short sentence."}
QUESTIONS = ["What is your ship called?", "Where do you sail next?", "What do you fear most?"]


def entry(prefix_cache_mb: float) -> dict:
    base = yaml.safe_load((REPO / "config/models.yaml").read_text())["models"]["smollm2-135m"]
    return {**base, "options": {**base["options"], "prefix_cache_mb": prefix_cache_mb}}


def request(messages: list[dict[str, str]]) -> ChatRequest:
    return ChatRequest.of(messages, Sampling(max_tokens=20))


def dialogue(engine) -> tuple[list[dict[str, str]], list]:
    """Three rounds, each request extending the one before; returns the history and responses."""
    messages, responses = [SYSTEM], []
    for question in QUESTIONS:
        messages.append({"role": "user", "content": question})
        response = engine.generate([request(messages)])[0]
        responses.append(response)
        messages.append({"role": "assistant", "content": response.text})
    return messages, responses


@pytest.fixture(scope="module")
def reused():
    engine = open_engine("smollm2-135m", entry(64), cache_dir=None)
    messages, responses = dialogue(engine)
    yield engine, messages, responses
    engine.close()


def test_a_round_reads_only_what_is_new_and_answers_as_from_scratch(reused) -> None:
    engine, messages, responses = reused
    assert responses[0].prefix_cached_tokens == 0
    for earlier, later in pairwise(responses):
        # the previous request's whole prompt was kept: only the reply and the question are new
        assert later.prefix_cached_tokens >= earlier.prompt_tokens - 4
    fresh = open_engine("smollm2-135m", entry(0), cache_dir=None)  # no prefix cache at all
    try:
        last_round = request(messages[:-1])
        alone = fresh.generate([last_round])[0]
        assert alone.prefix_cached_tokens == 0
        assert alone.text == responses[-1].text
        assert alone.prompt_tokens == responses[-1].prompt_tokens
    finally:
        fresh.close()
    usage = engine.usage()
    assert usage["prompt_tokens_from_prefix_cache"] > 0
    assert (
        usage["prompt_tokens_evaluated"] + usage["prompt_tokens_from_prefix_cache"]
        == (usage["prompt_tokens"])
    )
    assert 0 < usage["prefix_cache_peak_bytes"] <= usage["prefix_cache_cap_bytes"] == 64 * 2**20


def test_sibling_items_share_the_prefix_and_answer_as_alone(reused) -> None:
    engine, messages, _ = reused
    items = ["Name a colour.", "Count to three.", "Say hello."]
    batch = [request([*messages, {"role": "user", "content": item}]) for item in items]
    together = engine.generate(batch)
    assert all(r.prefix_cached_tokens > 0 for r in together)
    fresh = open_engine("smollm2-135m", entry(0), cache_dir=None)
    try:
        # in reverse order and one at a time, with nothing kept: the same answers
        alone = [fresh.generate([r])[0] for r in reversed(batch)][::-1]
    finally:
        fresh.close()
    assert [r.text for r in alone] == [r.text for r in together]


def test_the_call_cache_still_makes_a_rerun_do_nothing(tmp_path: Path) -> None:
    engine = open_engine("smollm2-135m", entry(64), cache_dir=tmp_path)
    try:
        _, first = dialogue(engine)
    finally:
        engine.close()
    rerun = open_engine("smollm2-135m", entry(64), cache_dir=tmp_path)
    try:
        _, again = dialogue(rerun)
        usage = rerun.usage()
    finally:
        rerun.close()
    assert usage["calls"] == 0 and usage["cache_hits"] == len(QUESTIONS)
    assert usage["prompt_tokens_evaluated"] == 0
    assert [r.text for r in again] == [r.text for r in first]


def test_a_grammar_constrained_request_reuses_its_prompt_prefix(reused) -> None:
    engine, messages, _ = reused
    verdict = Constraint(
        name="score",
        regex=r"Score: [1-5]",
        grammar='root ::= "Score: " [1-5]',
        json_schema='{"type": "string"}',
    )
    ask = ChatRequest.of(
        [*messages, {"role": "user", "content": "Rate your last answer from 1 to 5."}],
        Sampling(max_tokens=8),
        verdict,
    )
    constrained = engine.generate([ask])[0]
    assert constrained.prefix_cached_tokens > 0
    assert constrained.constrained == "grammar"
    assert re.fullmatch(verdict.regex, constrained.text)
    fresh = open_engine("smollm2-135m", entry(0), cache_dir=None)
    try:
        assert fresh.generate([ask])[0].text == constrained.text
    finally:
        fresh.close()
