"""The content-addressed call cache: reruns and resumed jobs never repeat a finished call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from personascope.engines import CachedEngine, CallCache, ChatRequest, ChatResponse, Sampling
from scripted import FunctionEngine, cached, spec


def requests(n: int) -> list[ChatRequest]:
    return [
        ChatRequest.of(
            [{"role": "system", "content": "s"}, {"role": "user", "content": f"q{i}"}],
            Sampling(max_tokens=8),
        )
        for i in range(n)
    ]


def test_a_rerun_is_served_from_the_cache(tmp_path: Path) -> None:
    first, _ = cached(lambda r: r.messages[-1]["content"].upper(), tmp_path)
    out1 = first.generate(requests(3))
    second, second_raw = cached(lambda r: "must not be called", tmp_path)
    out2 = second.generate(requests(3))
    assert second_raw.calls == 0
    assert [r.text for r in out2] == [r.text for r in out1] == ["Q0", "Q1", "Q2"]
    assert all(r.cached for r in out2) and not any(r.cached for r in out1)
    assert second.usage()["cache_hits"] == 3 and second.usage()["calls"] == 0


class DiesAfter(FunctionEngine):
    """Answers `n` items of a batch, then fails like a killed or crashed job."""

    def __init__(self, n: int) -> None:
        super().__init__(spec(), lambda r: "ok " + r.messages[-1]["content"])
        self.n = n

    def stream(self, reqs: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        for count, item in enumerate(super().stream(reqs)):
            if count == self.n:
                raise RuntimeError("node lost")
            yield item


def test_a_crashed_batch_resumes_without_repeating_finished_calls(tmp_path: Path) -> None:
    crashing = CachedEngine(DiesAfter(2), CallCache(tmp_path))
    with pytest.raises(RuntimeError, match="node lost"):
        crashing.generate(requests(5))
    resumed, raw = cached(lambda r: "ok " + r.messages[-1]["content"], tmp_path)
    out = resumed.generate(requests(5))
    sent = [r.messages[-1]["content"] for batch in raw.batches for r in batch]
    assert sent == ["q2", "q3", "q4"]
    assert [r.text for r in out] == [f"ok q{i}" for i in range(5)]


def test_entries_are_whole_files_and_a_torn_one_is_a_miss(tmp_path: Path) -> None:
    engine, _ = cached(lambda r: "x", tmp_path)
    engine.generate(requests(2))
    files = sorted(tmp_path.rglob("*.json"))
    assert len(files) == 2
    assert not list(tmp_path.rglob(".tmp-*"))
    files[0].write_text('{"response": {"te')  # e.g. a file copied half-way by hand
    again, raw = cached(lambda r: "fresh", tmp_path)
    texts = [r.text for r in again.generate(requests(2))]
    assert raw.calls == 1
    assert sorted(texts) == ["fresh", "x"]


def test_a_different_model_revision_or_sampling_is_a_different_call(tmp_path: Path) -> None:
    base, _ = cached(lambda r: "a", tmp_path)
    base.generate(requests(1))
    other_rev, raw_rev = cached(lambda r: "b", tmp_path, revision="r2")
    assert other_rev.generate(requests(1))[0].text == "b" and raw_rev.calls == 1
    hot = [ChatRequest.of(r.messages, Sampling(max_tokens=8, temperature=0.7)) for r in requests(1)]
    same_model, raw_same = cached(lambda r: "c", tmp_path)
    assert same_model.generate(hot)[0].text == "c" and raw_same.calls == 1
