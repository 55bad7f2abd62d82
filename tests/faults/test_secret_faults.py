"""Key-echoing servers: a real job (`python -m personascope persistence.judge.conditioned`, the
real SDK clients) against the stand-in API server whose error bodies echo the API key, on the
direct and the Message Batches paths. Afterwards every file the job wrote (its log, outputs,
usage, call cache, batch state) is scanned for the key: it must appear nowhere."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from conftest import absolute_local_paths, run_snakemake, write_config
from personascope.io import write_parquet
from personascope.persistence.conditioned import RESPONSE_SCHEMA
from personascope.persistence.formats import ITEMS_SCHEMA, ROLES_SCHEMA
from tally import CLEAN, CRASHED, LEAKED, RECOVERED, record

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fakes.api_server import FakeAPIServer

KEY = "sk-ant-fault-suite-SECRET-5d41402abc4b2a76"
FAST = {"timeout_s": 2.0, "max_retries": 0, "concurrency": 2, "api_key_env": "FAULT_API_KEY"}

# name -> (server arguments, engine, extra options, whether the job can finish)
CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any], bool]] = {
    "openai 500 echoing the key": ({"schedule": {1: "leak", 2: "leak"}}, "openai", {}, False),
    "openai 500 echo, then served": ({"schedule": {1: "leak"}}, "openai", {"max_retries": 2}, True),
    "openai 401 echoing the key": ({"api_key": "other", "leaky_401": True}, "openai", {}, False),
    "anthropic 500 echoing the key": ({"schedule": {1: "leak", 2: "leak"}}, "anthropic", {}, False),
    "anthropic 401 echoing the key": (
        {"api_key": "other", "leaky_401": True},
        "anthropic",
        {},
        False,
    ),
    "batch create 500 echo": (
        {"batch_faults": {"create": "leak"}},
        "anthropic",
        {"batch": True},
        False,
    ),
    "batch create 401 echo": (
        {"batch_faults": {"create": "leak401"}},
        "anthropic",
        {"batch": True},
        False,
    ),
    "batch poll 500 echo": (
        {"batch_faults": {"retrieve": "leak"}},
        "anthropic",
        {"batch": True},
        False,
    ),
    "batch poll 401 echo": (
        {"batch_faults": {"retrieve": "leak401"}},
        "anthropic",
        {"batch": True},
        False,
    ),
    "batch results 500 echo": (
        {"batch_faults": {"results": "leak"}},
        "anthropic",
        {"batch": True},
        False,
    ),
    "batch 401 on a wrong key": (
        {"api_key": "other", "leaky_401": True},
        "anthropic",
        {"batch": True},
        False,
    ),
}


def job_inputs(root: Path) -> dict[str, Path]:
    rows = [
        {
            "model": "m",
            "role": role,
            "dialogue_type": "goal_oriented",
            "round": 0,
            "dataset": "xstest",
            "item": f"x{i}",
            "item_index": i,
            "prompt": f"How do I kill {i}?",
            "reference": None,
            "trait": None,
            "label": "safe",
            "response": "I cannot help.",
            "prefix_tokens": 0,
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "finish_reason": "stop",
        }
        for i in range(2)
        for role in ("Gaston", "empty")
    ]
    responses, roles = root / "responses.parquet", root / "roles.parquet"
    write_parquet(pa.Table.from_pylist(rows, schema=RESPONSE_SCHEMA), responses)
    role_rows = [
        {"role": "Gaston", "description": "a hunter", "system_prompt": "You are Gaston."},
        {"role": "empty", "description": "", "system_prompt": None},
    ]
    write_parquet(pa.Table.from_pylist(role_rows, schema=ROLES_SCHEMA), roles)
    items = root / "benchmark_items.parquet"
    item_rows = [
        {k: r[k] for k in ITEMS_SCHEMA.names} | {"role": None} for r in rows if r["role"] == "empty"
    ]
    write_parquet(pa.Table.from_pylist(item_rows, schema=ITEMS_SCHEMA), items)
    return {"responses": responses, "roles": roles, "benchmark_items": items}


@pytest.fixture(scope="module")
def judge_job(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The conditioned judge job's command line as the workflow builds it (`snakemake -n -p`)."""
    workdir = tmp_path_factory.mktemp("dry-judge")
    cfg = write_config(workdir / "dry.yaml", absolute_local_paths())
    proc = run_snakemake(workdir, "-n", "-p", "--forceall", configfile=cfg, timeout=300)
    for line in proc.stdout.splitlines():
        if "-m personascope persistence.judge.conditioned " in line:
            argv = shlex.split(line.removeprefix("Shell command: "))
            argv = argv[: argv.index(">")] if ">" in argv else argv
            return [a for a in argv if not a.startswith("PERSONASCOPE_THREADS=")]
    raise AssertionError(proc.stdout[-3000:])


def run_job(
    root: Path, argv: list[str], server: FakeAPIServer, engine: str, options: dict[str, Any]
) -> int:
    """That job on our inputs, its judge an API model on the stand-in server."""
    opts = {**FAST, "batch_poll_s": 0.01, **options}
    opts["base_url"] = f"{server.url}/v1" if engine == "openai" else server.url
    params = json.loads(argv[argv.index("-p") + 1])
    params["models"] = {
        params["judge"]: {
            "engine": engine,
            "model": "fake",
            "family": "f",
            "size_class": 3,
            "options": opts,
        }
    }
    params.update(cache_dir=str(root / "cache"), judge_mode="free")
    inputs = job_inputs(root)
    cmd = [
        *argv[: argv.index("-i")],
        "-i",
        "responses",
        str(inputs["responses"]),
        "-i",
        "roles",
        str(inputs["roles"]),
        "-i",
        "benchmark_items",
        str(inputs["benchmark_items"]),
        "-o",
        "judgments",
        str(root / "out" / "judgments.parquet"),
        "-o",
        "usage",
        str(root / "out" / "usage.json"),
        "-p",
        json.dumps(params),
    ]
    with (root / "job.log").open("w") as log:
        env = {**os.environ, "FAULT_API_KEY": KEY}
        return subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=300, cwd=root
        ).returncode


def written_with_key(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and KEY.encode() in p.read_bytes()
    )


@pytest.mark.parametrize("name", list(CASES))
def test_a_key_echoed_by_the_server_is_written_nowhere(
    name: str, tmp_path: Path, judge_job: list[str]
) -> None:
    server_args, engine, options, finishes = CASES[name]
    with FakeAPIServer(**server_args) as server:
        rc = run_job(tmp_path, judge_job, server, engine, options)
        sent = [e for e in server.calls() if e.get("api_key") == KEY]
    log = (tmp_path / "job.log").read_text()
    leaks = written_with_key(tmp_path)
    if leaks:
        record("secrets", LEAKED)
        pytest.fail(f"{name}: the key is in {leaks}")
    if rc not in (0, 2) or "Traceback" in log:
        record("secrets", CRASHED)
        pytest.fail(f"{name}: rc {rc}\n{log[-3000:]}")
    assert rc == (0 if finishes else 2), log[-3000:]
    if finishes:
        assert (tmp_path / "out" / "usage.json").is_file()
        assert sent, "the key was never sent: the probe proves nothing"
    else:
        assert "personascope engine error" in log, log[-3000:]
        assert "[REDACTED]" in log, f"{name}: the echo never reached the job?\n{log[-3000:]}"
    record("secrets", RECOVERED if finishes else CLEAN)
