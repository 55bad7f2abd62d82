"""Corrupt call-cache records, as data: each is refused before it is served, moved aside into
`_quarantine/` with a warning, and the call is made again, so the job succeeds (on its first
run, and so on every rerun) with the right answer."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from personascope.engines import CachedEngine, CallCache, ChatRequest, ModelSpec, Sampling
from personascope.engines.base import ChatResponse, Engine
from tally import CRASHED, MIS_SCORED, RECOVERED, SILENT, record

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fakes.api_server import FakeAPIServer


class CountingEngine(Engine):
    """Test double of a model (a stand-in, not a model): a fixed answer per prompt, counted."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.calls = 0

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        for i, r in enumerate(requests):
            self.calls += 1
            text = f"answer to {r.messages[-1]['content']} é"
            yield i, ChatResponse(text, "stop", 7, 3, "local", "m", "r", 0.25)


SPEC = ModelSpec.from_registry(
    "m", {"engine": "local", "model": "m", "family": "f", "size_class": 1}
)
REQUEST = ChatRequest.of(
    [{"role": "system", "content": "s"}, {"role": "user", "content": "q ü"}], Sampling(max_tokens=8)
)


def rewrite(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def corrupt(path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = change(data)
        path.write_text(json.dumps(data if result is None else result), encoding="utf-8")

    return corrupt


def raw(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("not a record")


def truncated_non_ascii(path: Path) -> None:
    data = path.read_bytes()
    cut = data.index("ü".encode()) + 1  # inside the two-byte character
    path.write_bytes(data[:cut])


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "empty list": raw(b"[]"),
    "empty object": raw(b"{}"),
    "null response": rewrite(lambda d: {**d, "response": None}),
    "invalid UTF-8": raw(b'{"key": "\xff\xfe"}'),
    "a directory at the key": directory,
    "stored key differs": rewrite(lambda d: d.update(key="0" * 64)),
    "text not a string": rewrite(lambda d: d["response"].update(text=42)),
    "truncated non-ASCII": truncated_non_ascii,
    "torn JSON": lambda p: p.write_bytes(p.read_bytes()[:40]),
    "empty file": raw(b""),
    "request edited": rewrite(lambda d: d["request"]["messages"][-1].update(content="other")),
    "negative tokens": rewrite(lambda d: d["response"].update(prompt_tokens=-3)),
    "tokens as bool": rewrite(lambda d: d["response"].update(completion_tokens=True)),
    "NaN latency": lambda p: p.write_text(
        p.read_text().replace('"latency_s": 0.25', '"latency_s": NaN')
    ),
    "missing text": rewrite(lambda d: d["response"].pop("text")),
    "raw_text a list": rewrite(lambda d: d["response"].update(raw_text=["x"])),
    "a JSON string": raw(b'"just text"'),
    "nested too deeply": raw(b"[" * 100000 + b"]" * 100000),
    "NUL bytes": raw(b"\x00" * 64),
    "response a list": rewrite(lambda d: d.update(response=[1, 2])),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_corrupt_record_is_quarantined_and_recomputed(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = CallCache(tmp_path)
    first = CachedEngine(CountingEngine(SPEC), cache)
    expected = first.generate([REQUEST])[0].text
    key = first.key(first.prepare(REQUEST))
    CORRUPTIONS[kind](cache.path(key))
    caplog.set_level(logging.WARNING)
    engine = CountingEngine(SPEC)
    try:
        out = CachedEngine(engine, cache).generate([REQUEST])
    except Exception as exc:
        record("cache", CRASHED)
        raise AssertionError(f"{kind}: the job crashed on a bad record: {exc!r}") from exc
    if engine.calls == 0:
        record("cache", SILENT)
        pytest.fail(f"{kind}: the corrupt record was served")
    if out[0].text != expected:
        record("cache", MIS_SCORED)
        pytest.fail(f"{kind}: got {out[0].text!r}")
    quarantined = list((tmp_path / "_quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0].name.startswith(key)
    assert "moved to" in caplog.text and kind and key[:8] in caplog.text
    # The recomputed record is valid: the next run is a cache hit.
    again = CountingEngine(SPEC)
    assert CachedEngine(again, cache).generate([REQUEST])[0].text == expected and again.calls == 0
    record("cache", RECOVERED)


def test_a_read_only_view_skips_bad_records_without_moving_them(tmp_path: Path) -> None:
    cache = CallCache(tmp_path)
    engine = CachedEngine(CountingEngine(SPEC), cache)
    engine.generate([REQUEST])
    key = engine.key(engine.prepare(REQUEST))
    cache.path(key).write_bytes(b"{}")
    assert CallCache(tmp_path, quarantine=False).get(key) is None
    assert cache.path(key).read_bytes() == b"{}"


RERUN_JOB = textwrap.dedent(
    """
    import sys
    from personascope.engines import ChatRequest, Sampling, open_engine
    url, cache = sys.argv[1], sys.argv[2]
    entry = {"engine": "openai", "model": "m", "family": "f", "size_class": 1,
             "options": {"base_url": url + "/v1", "api_key_env": "FAKE_API_KEY"}}
    engine = open_engine("gpt", entry, cache)
    batch = [ChatRequest.of([{"role": "system", "content": "s"},
                             {"role": "user", "content": f"item {i}"}], Sampling(max_tokens=8))
             for i in range(3)]
    print("\\n".join(r.text for r in engine.generate(batch)))
    """
)


def test_a_job_on_bad_cached_content_succeeds_and_repeats_only_that_call(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(RERUN_JOB)
    cache = tmp_path / "cache"
    env = {**os.environ, "FAKE_API_KEY": "sk-fault-suite"}
    with FakeAPIServer() as server:
        cmd = [sys.executable, str(script), server.url, str(cache)]
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        records = sorted(cache.glob("??/*.json"))
        records[0].write_text('{"response": null}')  # what failed every rerun before
        records[1].write_bytes(b"\xff\xfe\x00")
        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert rerun.stdout == first.stdout
        assert len(server.calls()) == 3 + 2  # the two bad records, and nothing else, again
    assert len(list((cache / "_quarantine").iterdir())) == 2
    assert "is invalid" in rerun.stderr
    record("cache", RECOVERED)
