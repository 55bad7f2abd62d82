"""The real OpenAI and Anthropic SDK clients against a stand-in API server on loopback that
answers 429, 529, 500, timeouts and malformed bodies on a schedule."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    entry,
    sentinel_key,  # noqa: F401  (fixture)
)
from fakes.api_server import FakeAPIServer, content_key
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.engines.keys import EngineCallError

FAST = {"timeout_s": 2.0, "malformed_backoff_s": 0.01, "max_retries": 4, "concurrency": 3}


def requests(n: int, system: str = "You are terse.") -> list[ChatRequest]:
    return [
        ChatRequest.of(
            [{"role": "system", "content": system}, {"role": "user", "content": f"item {i}"}],
            Sampling(temperature=0.0, max_tokens=32),
        )
        for i in range(n)
    ]


def openai_entry(server: FakeAPIServer, **options: Any) -> dict[str, Any]:
    return entry(
        "openai", base_url=f"{server.url}/v1", api_key_env="FAKE_API_KEY", **{**FAST, **options}
    )


def anthropic_entry(server: FakeAPIServer, **options: Any) -> dict[str, Any]:
    return entry("anthropic", model="claude-test", base_url=server.url, **{**FAST, **options})


def everything_written(cache: Path, caplog: pytest.LogCaptureFixture) -> str:
    files = "".join(p.read_text() for p in cache.rglob("*.json"))
    return files + caplog.text


def assert_each_answered_once(server: FakeAPIServer, cache: Path, n: int) -> None:
    served = server.served()
    assert len(served) == len(set(served)) == n, "a call was answered successfully twice"
    assert len(list(cache.glob("??/*.json"))) == n


def test_openai_every_item_completes_through_faults(
    tmp_path: Path, sentinel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = {1: "429", 2: "500", 3: "timeout", 4: "malformed", 5: "incomplete", 6: "leak"}
    caplog.set_level(logging.INFO)
    with FakeAPIServer(schedule, api_key=sentinel_key, stall_s=3.0) as server:
        engine = open_engine("gpt", openai_entry(server), tmp_path)
        batch = requests(6)
        out = engine.generate(batch)
        engine.close()
    for request, response in zip(batch, out, strict=True):
        assert response.text.startswith(f"reply {content_key(list(request.messages))}")
        assert response.engine == "openai" and response.model == "fake-model"
    assert_each_answered_once(server, tmp_path, 6)
    # The SDK retried 429/500/timeout/leak; malformed and incomplete bodies were retried by us.
    sdk_retries = [r for r in caplog.records if "Retrying request" in r.getMessage()]
    our_retries = [r for r in caplog.records if "attempt 1/3 failed" in r.getMessage()]
    assert len(sdk_retries) >= 4 and len(our_retries) == 2
    assert all(e["api_key"] == sentinel_key for e in server.calls())  # the key was sent...
    assert sentinel_key not in everything_written(tmp_path, caplog)  # ...and never written


def test_anthropic_every_item_completes_through_faults(
    tmp_path: Path, sentinel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = {1: "529", 2: "429", 3: "500", 4: "timeout", 5: "malformed", 6: "leak"}
    caplog.set_level(logging.INFO)
    with FakeAPIServer(schedule, api_key=sentinel_key, stall_s=3.0) as server:
        engine = open_engine("claude", anthropic_entry(server), tmp_path)
        batch = requests(5)
        out = engine.generate(batch)
    for request, response in zip(batch, out, strict=True):
        system, rest = request.messages[0]["content"], list(request.messages[1:])
        assert response.text.startswith(f"reply {content_key(rest, system)}")
    assert_each_answered_once(server, tmp_path, 5)
    ok = server.calls("ok")
    # The system prompt goes in `system=`, never as a message.
    assert all(e["body"]["system"] == "You are terse." for e in ok)
    assert all(m["role"] != "system" for e in ok for m in e["body"]["messages"])
    # the sampling it is given: temperature always, top_p only below 1
    body = ok[0]["body"]
    assert (body["temperature"], body["max_tokens"]) == (0.0, 32) and "top_p" not in body
    assert sentinel_key not in everything_written(tmp_path, caplog)
    assert engine.usage()["prompt_tokens"] > 0


def test_retries_are_bounded_and_finished_items_are_kept(
    tmp_path: Path, sentinel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Item 0 gets three 500s in a row; with max_retries=2 it fails, the others still finish.
    with FakeAPIServer({1: "500", 2: "500", 3: "500"}) as server:
        options = {"max_retries": 2, "concurrency": 1}
        engine = open_engine("gpt", openai_entry(server, **options), tmp_path)
        with pytest.raises(
            EngineCallError, match=r"1 of 3 calls failed after retries \(items \[0\]"
        ):
            engine.generate(requests(3))
        assert len(server.calls()) == 5  # 3 attempts for item 0, one each for items 1 and 2
        assert len(list(tmp_path.glob("??/*.json"))) == 2
        # The rerun sends only the failed item.
        engine = open_engine("gpt", openai_entry(server, **options), tmp_path)
        engine.generate(requests(3))
        assert len(server.calls()) == 6
        assert engine.usage()["cache_hits"] == 2 and engine.usage()["calls"] == 1


def test_a_key_echoed_by_the_server_never_reaches_errors_or_logs(
    tmp_path: Path, sentinel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeAPIServer({1: "leak"}) as server:
        engine = open_engine("gpt", openai_entry(server, max_retries=0), tmp_path)
        with pytest.raises(EngineCallError) as err:
            engine.generate(requests(1))
    assert "upstream rejected key [REDACTED]" in str(err.value)
    assert sentinel_key not in str(err.value)
    assert sentinel_key not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_missing_key_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(RuntimeError, match="ANTHROPIC_API_KEY is not set"):
        open_engine("claude", entry("anthropic", model="claude-test"), tmp_path)
    monkeypatch.delenv("FAKE_API_KEY", raising=False)
    options = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "FAKE_API_KEY"}
    with pytest.raises(RuntimeError, match="FAKE_API_KEY is not set"):
        open_engine("gpt", entry("openai", **options), tmp_path)


def test_openai_without_base_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"options\.base_url is required"):
        open_engine("gpt", entry("openai"), tmp_path)


def test_message_batches_submit_poll_collect(
    tmp_path: Path, sentinel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with FakeAPIServer(batch_polls_to_end=2, batch_item_faults={2: "errored"}) as server:
        options = {"batch": True, "batch_poll_s": 0.01}
        engine = open_engine("judge", anthropic_entry(server, **options), tmp_path)
        batch = requests(4)
        out = engine.generate(batch)
    assert len([c for c in server.calls() if c["outcome"] == "batch"]) == 1
    # Item 2 errored inside the batch and was retried through the ordinary API, once.
    direct = [c for c in server.calls() if c["path"] == "/v1/messages"]
    assert len(direct) == 1 and direct[0]["outcome"] == "ok"
    for request, response in zip(batch, out, strict=True):
        system, rest = request.messages[0]["content"], list(request.messages[1:])
        assert response.text.startswith(f"reply {content_key(rest, system)}")
    state = json.loads((tmp_path / "_batches" / "anthropic-judge.json").read_text())
    assert state == {"batches": []}
    assert "submitted message batch msgbatch_0001 (4 requests)" in caplog.text


def test_message_batch_resumes_after_a_crash(
    tmp_path: Path, sentinel_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personascope.engines import anthropic as engine_module

    class Crash(BaseException):
        pass

    def crash(seconds: float) -> None:
        raise Crash

    with FakeAPIServer(batch_polls_to_end=3) as server:
        options = {"batch": True, "batch_poll_s": 0.01}
        engine = open_engine("judge", anthropic_entry(server, **options), tmp_path)
        monkeypatch.setattr(engine_module.time, "sleep", crash)
        with pytest.raises(Crash):
            engine.generate(requests(3))
        state = json.loads((tmp_path / "_batches" / "anthropic-judge.json").read_text())
        assert [b["id"] for b in state["batches"]] == ["msgbatch_0001"]
        monkeypatch.undo()
        monkeypatch.setenv("ANTHROPIC_API_KEY", sentinel_key)
        # The rerun picks the open batch up instead of submitting (and paying for) a new one.
        engine = open_engine("judge", anthropic_entry(server, **options), tmp_path)
        out = engine.generate(requests(3))
    assert len(out) == 3
    assert [c["key"] for c in server.calls() if c["outcome"] == "batch"] == ["msgbatch_0001"]
    assert not [c for c in server.calls() if c["path"] == "/v1/messages"]
    assert len(list(tmp_path.glob("??/*.json"))) == 3


KILLABLE_JOB = textwrap.dedent(
    """
    import sys
    from personascope.engines import ChatRequest, Sampling, open_engine
    url, cache = sys.argv[1], sys.argv[2]
    entry = {"engine": "openai", "model": "m", "family": "f", "size_class": 1,
             "options": {"base_url": url + "/v1", "api_key_env": "FAKE_API_KEY",
                         "concurrency": 1}}
    engine = open_engine("gpt", entry, cache)
    batch = [ChatRequest.of([{"role": "system", "content": "s"},
                             {"role": "user", "content": f"item {i}"}], Sampling(max_tokens=8))
             for i in range(8)]
    engine.generate(batch)
    """
)


def test_sigkill_mid_batch_resumes_without_repeating_finished_calls(
    tmp_path: Path, sentinel_key: str
) -> None:
    script = tmp_path / "job.py"
    script.write_text(KILLABLE_JOB)
    cache = tmp_path / "cache"
    with FakeAPIServer(delay_s=0.3) as server:
        cmd = [sys.executable, str(script), server.url, str(cache)]
        proc = subprocess.Popen(cmd, env={**os.environ, "FAKE_API_KEY": sentinel_key})
        deadline = time.monotonic() + 180  # generous: CI machines may be loaded
        while len(list(cache.glob("??/*.json"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        finished = {
            content_key(json.loads(p.read_text())["request"]["messages"])
            for p in cache.glob("??/*.json")
        }
        assert 3 <= len(finished) < 8
        first_run = len(server.calls())
        subprocess.run(cmd, env={**os.environ, "FAKE_API_KEY": sentinel_key}, check=True)
        rerun = [c["key"] for c in server.calls()[first_run:]]
    assert not finished & set(rerun), "a finished call was repeated"
    assert len(rerun) == 8 - len(finished)
    assert len(list(cache.glob("??/*.json"))) == 8


def test_anthropic_sends_the_sampling_it_is_given(tmp_path: Path, sentinel_key: str) -> None:
    with FakeAPIServer() as server:
        engine = open_engine("claude", anthropic_entry(server), None)
        request = ChatRequest.of(
            [{"role": "user", "content": "hi"}], Sampling(temperature=0.3, top_p=0.8, stop=("X",))
        )
        engine.generate([request])
        only = open_engine("claude-t", anthropic_entry(server, temperature_only=True), None)
        only.generate([ChatRequest.of([{"role": "user", "content": "hi"}], request.sampling)])
        default_top_p = ChatRequest.of([{"role": "user", "content": "ho"}], Sampling(0.0))
        engine.generate([default_top_p])
    first, second, third = (c["body"] for c in server.calls("ok"))
    assert (first["temperature"], first["top_p"], first["stop_sequences"]) == (0.3, 0.8, ["X"])
    assert "system" not in first
    assert second["temperature"] == 0.3 and "top_p" not in second
    assert third["temperature"] == 0.0 and "top_p" not in third
