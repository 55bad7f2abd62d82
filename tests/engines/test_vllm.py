"""The vLLM adapter against the stand-in `vllm` module (tests/fakes/vllm_standin): the calls it
makes must fit vLLM's documented offline API. This path has not run on a GPU yet."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    entry,
    vllm_standin,  # noqa: F401  (fixture)
)
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.models import EngineSet


def vllm_entry(**options: Any) -> dict[str, Any]:
    e = entry("vllm", model="org/Model-8B-Instruct", **options)
    e["revision"] = "0123abc"
    return e


def conversation(i: int) -> ChatRequest:
    return ChatRequest.of(
        [
            {"role": "system", "content": "You are an assistant."},
            {"role": "user", "content": f"question {i}"},
        ],
        Sampling(temperature=0.7, top_p=0.9, max_tokens=64, stop=("</s>",)),
    )


def test_load_settings_come_from_the_registry(vllm_standin: Any, tmp_path: Path) -> None:
    options = {"tensor_parallel_size": 4, "max_model_len": 16384, "dtype": "bfloat16", "seed": 7}
    open_engine("big", vllm_entry(**options), tmp_path)
    (kind, kwargs), *_ = vllm_standin.CALLS
    assert kind == "LLM"
    assert kwargs["model"] == "org/Model-8B-Instruct"
    assert kwargs["tensor_parallel_size"] == 4
    assert kwargs["max_model_len"] == 16384
    assert kwargs["dtype"] == "bfloat16"
    assert kwargs["seed"] == 7
    assert kwargs["revision"] == kwargs["tokenizer_revision"] == "0123abc"
    assert kwargs["enable_prefix_caching"] is True


def test_a_batch_is_one_chat_call_with_per_request_sampling(
    vllm_standin: Any, tmp_path: Path
) -> None:
    engine = open_engine("big", vllm_entry(), tmp_path)
    out = engine.generate([conversation(i) for i in range(5)])
    chats = [c for c in vllm_standin.CALLS if c[0] == "chat"]
    assert len(chats) == 1
    call = chats[0][1]
    assert len(call["conversations"]) == 5
    assert call["conversations"][3][-1] == {"role": "user", "content": "question 3"}
    params = call["params"]
    assert {(p.temperature, p.top_p, p.max_tokens, tuple(p.stop)) for p in params} == {
        (0.7, 0.9, 64, ("</s>",))
    }
    # Per-request seeds: a conversation's sample does not depend on its position in the batch.
    assert len({p.seed for p in params}) == 5
    assert all(r.text.endswith(f"question {i}") for i, r in enumerate(out))
    assert all(r.engine == "vllm" and r.revision == "0123abc" for r in out)
    assert all(r.prompt_tokens > 0 and r.completion_tokens > 0 for r in out)
    assert engine.usage()["calls"] == 5


def test_seed_is_stable_across_batch_order(vllm_standin: Any, tmp_path: Path) -> None:
    engine = open_engine("big", vllm_entry(), None)
    engine.generate([conversation(1), conversation(2)])
    engine.generate([conversation(2), conversation(1)])
    first, second = [c[1]["params"] for c in vllm_standin.CALLS if c[0] == "chat"]
    assert [p.seed for p in first] == [p.seed for p in reversed(second)]


def test_finish_reason_and_token_counts_are_passed_through(
    vllm_standin: Any, tmp_path: Path
) -> None:
    engine = open_engine("big", vllm_entry(), None)
    request = ChatRequest.of([{"role": "user", "content": "a b c d e f"}], Sampling(max_tokens=3))
    out = engine.generate([request])[0]
    assert out.finish_reason == "length" and out.completion_tokens == 3


def test_one_load_per_job_even_for_two_registry_names(vllm_standin: Any, tmp_path: Path) -> None:
    registry = {"assistant": vllm_entry(), "user-agent": vllm_entry()}
    engines = EngineSet(registry, tmp_path)
    engines.open("assistant").generate([conversation(1)])
    engines.open("user-agent").generate([conversation(2)])
    engines.open("assistant").generate([conversation(3)])
    assert [c[0] for c in vllm_standin.CALLS].count("LLM") == 1
    engines.close()


def test_chunks_reach_the_cache_before_the_next_chunk_runs(
    vllm_standin: Any, tmp_path: Path
) -> None:
    engine = open_engine("big", vllm_entry(chunk_size=2), tmp_path)
    seen_in_cache: list[int] = []
    real_chat = engine.engine.llm.chat

    def chat(*args: Any, **kwargs: Any) -> Any:
        seen_in_cache.append(len(list(engine.cache.keys())))
        return real_chat(*args, **kwargs)

    engine.engine.llm.chat = chat
    engine.generate([conversation(i) for i in range(5)])
    assert seen_in_cache == [0, 2, 4]


def test_unknown_engine_argument_is_rejected_like_vllm_does(
    vllm_standin: Any, tmp_path: Path
) -> None:
    # The stand-in mirrors vLLM's signature: a misspelt option must not pass silently.
    with pytest.raises(TypeError, match="max_model_length"):
        vllm_standin.LLM("m", max_model_length=10)


def test_a_constrained_request_goes_as_structured_outputs_and_is_read(
    vllm_standin: Any, tmp_path: Path
) -> None:
    from personascope.judging import STATUS_OK_CONSTRAINED, JudgeTask, judge
    from personascope.persistence.rubrics import LIKERT

    vllm_standin.ANSWER = lambda conversation, params: "**Reasoning:** fine\n\n**Result:** 4"
    engine = open_engine("big", vllm_entry(), tmp_path)
    task = JudgeTask("i", "bfi", list(conversation(0).messages), LIKERT)
    (j,) = judge(engine, [task], Sampling(max_tokens=64), "constrained")
    assert (j.status, j.value) == (STATUS_OK_CONSTRAINED, 4.0)
    (params,) = next(c for c in vllm_standin.CALLS if c[0] == "chat")[1]["params"]
    so = params.structured_outputs
    assert isinstance(so, vllm_standin.sampling_params.StructuredOutputsParams)
    assert so.regex == LIKERT.constraint("answer", 64).regex and so.grammar is None


def test_a_constraint_vllm_ignored_is_an_engine_error_not_free_text(
    vllm_standin: Any, tmp_path: Path
) -> None:
    from personascope.engines.cache import ConstraintIgnored
    from personascope.judging import JudgeTask, judge
    from personascope.persistence.rubrics import LIKERT

    vllm_standin.ANSWER = None  # the stand-in answers as if the field had been dropped
    engine = open_engine("big", vllm_entry(structured_outputs="grammar"), tmp_path)
    task = JudgeTask("i", "bfi", list(conversation(0).messages), LIKERT)
    with pytest.raises(ConstraintIgnored, match=r"engine vllm, model big .*grammar"):
        judge(engine, [task], Sampling(max_tokens=64), "constrained")
    # nothing was cached: a rerun asks again instead of serving the bad answer
    assert not list(tmp_path.rglob("*.json"))
