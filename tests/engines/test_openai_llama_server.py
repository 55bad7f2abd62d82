"""The `openai` engine for real: `python -m llama_cpp.server` on loopback with the local model."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

from pathlib import Path

from engine_support import (
    entry,
    llama_server,  # noqa: F401  (fixture)
)
from personascope.engines import ChatRequest, Sampling, open_engine


def question(text: str) -> ChatRequest:
    return ChatRequest.of(
        [
            {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
            {"role": "user", "content": text},
        ],
        Sampling(temperature=0.0, max_tokens=16),
    )


def test_chat_completions_from_a_real_llama_cpp_server(llama_server: str, tmp_path: Path) -> None:
    registry_entry = entry("openai", model="smollm2", base_url=llama_server, concurrency=2)
    engine = open_engine("smollm2-served", registry_entry, tmp_path)
    batch = [question("What is the capital of France?"), question("Name a color.")]
    out = engine.generate(batch)
    for response in out:
        assert response.text.strip()
        assert response.engine == "openai" and response.model == "smollm2"
        assert response.prompt_tokens > 10 and 0 < response.completion_tokens <= 16
        assert response.finish_reason in ("stop", "length")
        assert response.latency_s > 0
    assert out[0].text != out[1].text
    usage = engine.usage()
    assert usage["calls"] == 2 and usage["prompt_tokens"] == sum(r.prompt_tokens for r in out)
    # A second job on the same cache gets the recorded answers without asking the server. (No
    # claim that the server repeats itself: llama.cpp reuses the KV cache of the previous prompt,
    # which changes the numerics, so even greedy output can differ between calls.)
    rerun = open_engine("smollm2-served", registry_entry, tmp_path)
    again = rerun.generate(batch[::-1])
    assert [r.text for r in again] == [r.text for r in out[::-1]]
    assert all(r.cached for r in again) and rerun.usage()["calls"] == 0


def test_a_real_llama_cpp_server_applies_the_verdict_grammar(
    llama_server: str, tmp_path: Path
) -> None:
    """The grammar travels as the server's documented `grammar` field and takes effect: the
    135M model, which cannot follow the format unaided, answers exactly the constrained shape."""
    from personascope.judging import STATUS_OK_CONSTRAINED, JudgeTask, judge
    from personascope.persistence.rubrics import LIKERT

    registry_entry = entry(
        "openai", model="smollm2", base_url=llama_server, structured_outputs="grammar"
    )
    engine = open_engine("smollm2-served", registry_entry, tmp_path)
    messages = [
        {"role": "system", "content": "You are a careful judge."},
        {"role": "user", "content": "Rate the reply 'Hello! How can I help?' to 'hi' from 1 to 5."},
    ]
    tasks = [JudgeTask(str(i), "bfi", messages, LIKERT) for i in range(1)]
    (j,) = judge(engine, tasks, Sampling(temperature=0.0, max_tokens=48), "constrained")
    assert j.status == STATUS_OK_CONSTRAINED and j.value in (1.0, 2.0, 3.0, 4.0, 5.0)
    assert j.raw_text.startswith("**Reasoning:** ") and "\n\n**Result:** " in j.raw_text
