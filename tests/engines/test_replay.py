"""`replay`: serves recorded calls under the recorded model's keys; fails loudly on anything new."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from engine_support import entry
from fakes.api_server import FakeAPIServer
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.engines.replay import ReplayMiss
from personascope.errors import ConfigError


def request(text: str, temperature: float = 0.0) -> ChatRequest:
    return ChatRequest.of(
        [{"role": "system", "content": "sys"}, {"role": "user", "content": text}],
        Sampling(temperature=temperature, max_tokens=16),
    )


def live_entry(server: FakeAPIServer, **extra: Any) -> dict[str, Any]:
    e = entry("openai", model="served-model", base_url=f"{server.url}/v1")
    e.update(extra)
    return e


def as_replay(live: dict[str, Any], bundle: Path | None) -> dict[str, Any]:
    """The swap a user makes: same model/revision/quirks, engine replay, recorded engine named."""
    options: dict[str, Any] = {"recorded_engine": live["engine"]}
    if bundle is not None:
        options["bundle"] = str(bundle)
    return {**live, "engine": "replay", "options": options}


def record(server: FakeAPIServer, cache: Path, requests: list[ChatRequest], **extra: Any):
    live = live_entry(server, **extra)
    engine = open_engine("assistant", live, cache)
    out = engine.generate(requests)
    engine.close()
    return live, out


def test_replay_from_a_bundle_gives_the_recorded_responses(tmp_path: Path) -> None:
    requests = [request("a"), request("b", temperature=0.7)]
    with FakeAPIServer() as server:
        live, recorded = record(server, tmp_path / "run1", requests)
    bundle = tmp_path / "bundle"
    shutil.copytree(tmp_path / "run1", bundle)
    replay = open_engine("assistant", as_replay(live, bundle), tmp_path / "run2")
    out = replay.generate(requests[::-1])
    assert [r.text for r in out] == [r.text for r in recorded[::-1]]
    assert [r.prompt_tokens for r in out] == [r.prompt_tokens for r in recorded[::-1]]
    assert out[0].engine == "openai" and out[0].model == "served-model"
    # Replayed calls are recorded into this job's cache under the same keys as the bundle's.
    assert sorted(p.name for p in (tmp_path / "run2").glob("??/*.json")) == sorted(
        p.name for p in bundle.glob("??/*.json")
    )


def test_replay_defaults_to_the_job_cache(tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        live, recorded = record(server, tmp_path, [request("a")])
    replay = open_engine("assistant", as_replay(live, None), tmp_path)
    out = replay.generate([request("a")])
    assert out[0].text == recorded[0].text and out[0].cached


def test_unseen_request_fails_naming_model_and_request(tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        live, _ = record(server, tmp_path / "rec", [request("seen")])
    replay = open_engine("assistant", as_replay(live, tmp_path / "rec"), tmp_path / "job")
    with pytest.raises(ReplayMiss) as err:
        replay.generate([request("seen"), request("never asked before")])
    message = str(err.value)
    assert "model assistant" in message and "served-model" in message
    assert "never asked before" in message and "1 of 2 requests" in message


def test_other_sampling_or_revision_is_not_served(tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        live, _ = record(server, tmp_path / "rec", [request("a")])
    replay = open_engine("assistant", as_replay(live, tmp_path / "rec"), None)
    with pytest.raises(ReplayMiss):
        replay.generate([request("a", temperature=0.5)])
    other_revision = {**as_replay(live, tmp_path / "rec"), "revision": "r2"}
    with pytest.raises(ReplayMiss):
        open_engine("assistant", other_revision, None).generate([request("a")])


def test_quirks_survive_replay(tmp_path: Path) -> None:
    quirks = {"system_prompt_prefix": "detailed thinking off"}
    with FakeAPIServer() as server:
        live, recorded = record(server, tmp_path / "rec", [request("a")], quirks=quirks)
    # The prefix is part of what was sent, so the key only matches with the same quirks.
    assert "detailed thinking off" not in recorded[0].text  # the fake echoes the last turn only
    out = open_engine("assistant", as_replay(live, tmp_path / "rec"), None).generate([request("a")])
    assert out[0].text == recorded[0].text
    without = {**as_replay(live, tmp_path / "rec"), "quirks": {}}
    with pytest.raises(ReplayMiss):
        open_engine("assistant", without, None).generate([request("a")])


def test_replay_entry_must_name_the_recorded_engine(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="recorded_engine"):
        open_engine("x", entry("replay", bundle=str(tmp_path)), tmp_path)
    with pytest.raises(ConfigError, match="no-such-dir"):
        open_engine("x", entry("replay", recorded_engine="local", bundle="no-such-dir"), None)
