"""CachedEngine: quirks applied once, content-addressed cache, accounting, progress log."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from personascope.engines import CachedEngine, CallCache, ChatRequest, ModelSpec, Sampling
from personascope.engines.base import ChatResponse, Engine, request_key
from personascope.engines.progress import Progress, format_eta


class RecordingEngine(Engine):
    """Test double of a model: answers with what it was sent, records every batch."""

    def __init__(self, spec: ModelSpec, reply: str = "") -> None:
        super().__init__(spec)
        self.batches: list[list[ChatRequest]] = []
        self.reply = reply

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        self.batches.append(list(requests))
        for i, r in reversed(list(enumerate(requests))):  # out of order, like API engines
            text = self.reply or " | ".join(f"{m['role']}:{m['content']}" for m in r.messages)
            yield i, ChatResponse(text, "stop", 10, 5, "local", self.spec.model, "r", 0.5)


def spec(quirks: dict | None = None, price: dict | None = None) -> ModelSpec:
    entry = {"engine": "local", "model": "m", "family": "f", "size_class": 1}
    if quirks:
        entry["quirks"] = quirks
    if price:
        entry["price"] = price
    return ModelSpec.from_registry("test-model", entry)


def chat(user: str, system: str | None = "be brief") -> ChatRequest:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}
    ]
    return ChatRequest.of(messages, Sampling(max_tokens=8))


def test_system_prompt_prefix_is_applied_once_even_on_reruns(tmp_path: Path) -> None:
    engine = RecordingEngine(spec({"system_prompt_prefix": "detailed thinking off"}))
    cached = CachedEngine(engine, CallCache(tmp_path))
    first = cached.generate([chat("hi")])
    sent = engine.batches[0][0].messages
    assert sent[0] == {"role": "system", "content": "detailed thinking off\nbe brief"}
    # Same request again: a cache hit on the same key, nothing sent twice, prefix not doubled.
    again = cached.generate([chat("hi")])
    assert len(engine.batches) == 1
    assert again[0].text == first[0].text and again[0].cached
    assert first[0].text.count("detailed thinking off") == 1


def test_prefix_without_system_message_becomes_the_system_message(tmp_path: Path) -> None:
    engine = RecordingEngine(spec({"system_prompt_prefix": "PFX"}))
    CachedEngine(engine, None).generate([chat("hi", system=None)])
    assert engine.batches[0][0].messages == (
        {"role": "system", "content": "PFX"},
        {"role": "user", "content": "hi"},
    )


def test_nemotron_switch_is_joined_by_the_configured_separator() -> None:
    quirks = {"system_prompt_prefix": "SWITCH", "system_prompt_separator": "\n\n"}
    engine = RecordingEngine(spec(quirks))
    CachedEngine(engine, None).generate([chat("hi"), chat("hi", system=None)])
    persona, baseline = engine.batches[0]
    assert persona.messages[0] == {"role": "system", "content": "SWITCH\n\nbe brief"}
    assert baseline.messages[0] == {"role": "system", "content": "SWITCH"}


def test_no_system_role_folds_system_into_first_user_turn() -> None:
    engine = RecordingEngine(spec({"no_system_role": True, "system_prompt_prefix": "P"}))
    CachedEngine(engine, None).generate([chat("question")])
    assert engine.batches[0][0].messages == (
        {"role": "user", "content": "P\nbe brief\n\nquestion"},
    )


def test_strip_think_keeps_raw_text_and_is_not_reapplied_from_cache(tmp_path: Path) -> None:
    raw = "<think>plan: say 4</think>\n 4 "
    engine = RecordingEngine(spec({"strip_think": True}), reply=raw)
    cached = CachedEngine(engine, CallCache(tmp_path))
    out = cached.generate([chat("2+2?")])[0]
    assert out.text == "4" and out.raw_text == raw
    hit = CachedEngine(engine, CallCache(tmp_path)).generate([chat("2+2?")])[0]
    assert hit.cached and hit.text == "4" and hit.raw_text == raw


def test_unterminated_think_block_is_removed() -> None:
    engine = RecordingEngine(spec({"strip_think": True}), reply="<think>never closed")
    assert CachedEngine(engine, None).generate([chat("x")])[0].text == ""


def test_duplicates_in_a_batch_are_sent_once_and_recorded_once(tmp_path: Path) -> None:
    engine = RecordingEngine(spec())
    cache = CallCache(tmp_path)
    cached = CachedEngine(engine, cache)
    out = cached.generate([chat("a"), chat("b"), chat("a")])
    assert [len(b) for b in engine.batches] == [2]
    assert out[0].text == out[2].text != out[1].text
    assert len(list(cache.keys())) == 2
    assert cached.usage()["calls"] == 2


def test_key_depends_on_identity_and_sampling() -> None:
    base = spec()
    request = chat("a")
    other_sampling = ChatRequest.of(request.messages, Sampling(max_tokens=9))
    keys = {
        request_key(base, request),
        request_key(base, other_sampling),
        request_key({**base.identity(), "revision": "r2"}, request),
        request_key({**base.identity(), "engine": "vllm"}, request),
    }
    assert len(keys) == 4
    assert request_key(base, request) == request_key(base.identity(), request)


def test_an_engine_yielding_an_item_twice_is_an_error(tmp_path: Path) -> None:
    class Twice(RecordingEngine):
        def stream(self, requests):  # type: ignore[override]
            response = ChatResponse("x", "stop", 1, 1, "local", "m", "r", 0.0)
            yield 0, response
            yield 0, response

    with pytest.raises(RuntimeError, match="yielded item 0 twice"):
        CachedEngine(Twice(spec()), CallCache(tmp_path)).generate([chat("a")])


def test_usage_counts_calls_hits_tokens_latency_and_cost(tmp_path: Path) -> None:
    price = {"input": 3.0, "output": 15.0}
    engine = RecordingEngine(spec(price=price))
    cached = CachedEngine(engine, CallCache(tmp_path))
    cached.generate([chat("a"), chat("b")])
    cached.generate([chat("a"), chat("c")])
    usage = cached.usage()
    assert usage["calls"] == 3 and usage["cache_hits"] == 1
    assert usage["prompt_tokens"] == 30 and usage["completion_tokens"] == 15
    assert usage["latency_s"] == pytest.approx(1.5)
    assert usage["estimated_cost_usd"] == pytest.approx((30 * 3.0 + 15 * 15.0) / 1e6)


def test_usage_has_no_cost_without_a_price() -> None:
    cached = CachedEngine(RecordingEngine(spec()), None)
    cached.generate([chat("a")])
    assert cached.usage()["estimated_cost_usd"] is None


def test_progress_logs_done_total_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    progress = Progress("model x", total=4, interval_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="personascope.engines"):
        for _ in range(2):
            now[0] += 10
            progress.update(tokens=100)
        now[0] += 1
        progress.update(tokens=100)  # within the interval: no line
        now[0] += 1
        progress.update(tokens=100)  # the last one always reports
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "model x: 1/4 calls, 10.0 tok/s, ETA 0m30s"
    assert lines[1] == "model x: 2/4 calls, 10.0 tok/s, ETA 0m20s"
    assert lines[2].startswith("model x: 4/4 calls") and lines[2].endswith("ETA 0m00s")
    assert len(lines) == 3
    assert format_eta(3725) == "1h02m05s"


def test_usage_lists_every_requested_key_once_hits_and_calls_alike(tmp_path: Path) -> None:
    # What a reproduction bundle carries: exactly the records a job asked for (issue #16).
    engine = RecordingEngine(spec())
    warm = CachedEngine(engine, CallCache(tmp_path))
    warm.generate([chat("a")])
    job = CachedEngine(engine, CallCache(tmp_path))
    job.generate([chat("b"), chat("a"), chat("b")])  # a: cache hit; b: called once
    job.generate([chat("c")])
    keys = [request_key(job.identity, job.prepare(chat(t))) for t in ("b", "a", "c")]
    assert job.usage()["requested_keys"] == keys
    assert all(key in CallCache(tmp_path) for key in keys)


def test_an_engine_outside_the_allow_list_does_not_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebuild from a bundle allows `replay` only: no live model can open even by mistake.
    from personascope.engines import ALLOWED_ENGINES_ENV, open_engine
    from personascope.errors import EngineError

    monkeypatch.setenv(ALLOWED_ENGINES_ENV, "replay")
    entry = {"engine": "local", "model": "m", "family": "f", "size_class": 1}
    with pytest.raises(EngineError, match="engine 'local' is not allowed"):
        open_engine("smollm2", entry, tmp_path)
