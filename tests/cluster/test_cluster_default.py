"""The embedded default (config/config.yaml) through `--profile slurm` on the real single-node
SLURM cluster: every job a completed SLURM job, every result equal to the local run's.

The local run is the session's shared run of the default (conftest.default_run), which computed
every model call into its call cache. The SLURM run reads that cache: it must find every request
its jobs make there (no model call of its own, so the SLURM jobs sent byte-identical requests) and
must write the same tables and figures. Recomputing the default a second time would add its
quarter of an hour; test_cluster_slurm.py compares independently computed SLURM and local runs on
a smaller slice.

Containers: the profile runs every job under Apptainer, which cannot be installed here, so the
`apptainer` on PATH is the STAND-IN from tests/cluster/standin (records its call, runs the job on
the host). SLURM itself is real: sbatch, slurmctld, slurmd, job-completion records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cluster_support import (
    SLURM_STATE,
    absolute_local_paths,
    comparable,
    job_stats,
    result_tables,
    run_through_profile,
    standin_calls,
    standin_env,
    start_slurm,
    write_config,
)

pytestmark = pytest.mark.workflow

MODEL_RULES = {
    "personalens_dialogues",
    "personalens_judge",
    "persistence_dialogues",
    "persistence_conditioned",
    "persistence_judge_dialogues",
    "persistence_judge_conditioned",
    "persistence_judge_human_samples",
}


@pytest.fixture(scope="module")
def slurm() -> Iterator[dict[str, str]]:
    yield from start_slurm(SLURM_STATE)


def job_blocks(log: str) -> list[dict[str, str]]:
    """The submit host's "rule X: ... jobid: N ... threads: T" blocks, one dict each."""
    blocks: list[dict[str, str]] = []
    for line in log.splitlines():
        if match := re.match(r"(?:local)?rule (\w+):", line):
            blocks.append({"rule": match.group(1), "threads": "1"})  # 1 if the block says none
        elif blocks and (match := re.match(r"\s+(jobid|threads): (\d+)", line)):
            blocks[-1][match.group(1)] = match.group(2)
    return blocks


def submitted_rules(log: str) -> dict[str, str]:
    """SLURM job id -> rule ("Job N has been submitted with SLURM jobid M" after its block)."""
    rule_of_job = {b["jobid"]: b["rule"] for b in job_blocks(log) if "jobid" in b}
    return {
        slurm_id: rule_of_job[job]
        for job, slurm_id in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log)
    }


def job_threads(log: str) -> dict[str, int]:
    """rule -> the threads its jobs asked for."""
    return {b["rule"]: int(b["threads"]) for b in job_blocks(log)}


def completion_records(workdir: Path) -> dict[str, dict[str, str]]:
    """slurmctld's job-completion log (jobcomp/filetxt): the jobs that ran in `workdir`."""
    records = {}
    for line in (SLURM_STATE / "jobcomp.log").read_text(encoding="utf-8").splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("WorkDir") == str(workdir):
            records[fields["JobId"]] = fields
    return records


def usage_records(workdir: Path) -> dict[str, list[dict]]:
    """Every model job's usage summary (calls made, cache hits), by path."""
    return {
        str(path.relative_to(workdir)): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((workdir / "results").rglob("*usage.json"))
    }


def cache_files(cache: Path) -> dict[str, int]:
    return {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in cache.rglob("*.json")}


def figures(workdir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(workdir))
        for p in (workdir / "results").rglob("*")
        if p.suffix in {".pdf", ".png"} and "/figures/" in str(p)
    )


def test_embedded_default_through_slurm_equals_local_run(
    slurm: dict[str, str], tmp_path: Path, default_run: Path
) -> None:
    # Only `local:` inputs made absolute (the default names them relative to the checkout).
    config = write_config(tmp_path / "inputs.yaml", absolute_local_paths())
    cache = default_run / "results" / "cache" / "calls"
    before = cache_files(cache)
    assert before
    slurm_dir = tmp_path / "on-slurm"
    env = {**standin_env(tmp_path), **slurm}
    proc = run_through_profile(
        slurm_dir, "--config", f"cache_dir={cache}", configfile=config, env=env, timeout=3600
    )
    log = proc.stdout + proc.stderr

    # Every job of the default's DAG but the target-only `all` went through sbatch...
    stats = job_stats(log)
    submitted = submitted_rules(log)
    assert len(submitted) == stats["total"] - 1, log[-4000:]
    assert sorted(set(submitted.values())) == sorted(r for r in stats if r not in {"all", "total"})
    # ...and SLURM records each as completed on this run's working directory, model jobs with the
    # two CPUs llama.cpp's threads get, everything on the CPU partition (no GPU model here).
    records = completion_records(slurm_dir)
    assert sorted(records) == sorted(submitted), (sorted(records), sorted(submitted))
    threads = job_threads(log)
    for slurm_id, record in records.items():
        rule = submitted[slurm_id]
        assert record["JobState"] == "COMPLETED" and record["ExitCode"] == "0:0", (rule, record)
        assert record["Partition"] == "cpu", (rule, record)
        assert record["ProcCnt"] == str(threads[rule]), (rule, record)
    assert set(submitted.values()) >= MODEL_RULES
    assert all(threads[rule] == 2 for rule in MODEL_RULES)

    # Inside each SLURM job, Snakemake ran the step in the analysis image (stand-in records).
    calls = standin_calls(env)
    steps = [c for c in calls if any("-m personascope " in part for part in c["command"])]
    assert len(steps) == len(submitted)
    assert all(c["image"].endswith("personascope-cpu.sif") for c in steps)

    # The local run made the model calls; every SLURM job found its requests in that cache:
    # nothing called, nothing added.
    local_usage, slurm_usage = usage_records(default_run), usage_records(slurm_dir)
    assert sorted(slurm_usage) == sorted(local_usage) and len(slurm_usage) >= 8
    # (a job that opened no model, PersonaGym's questions in benchmark mode, has an empty usage)
    for name, models in local_usage.items():
        assert not models or sum(m["calls"] + m["cache_hits"] for m in models) > 0, (name, models)
    assert sum(m["calls"] for models in local_usage.values() for m in models) > 0
    for name, models in slurm_usage.items():
        assert sum(m["calls"] for m in models) == 0, (name, models)
        assert not models or sum(m["cache_hits"] for m in models) > 0, (name, models)
    assert cache_files(cache) == before

    # Same results, table for table (timing columns aside), and the same figures.
    local, remote = result_tables(default_run), result_tables(slurm_dir)
    assert any("/personalens/tables/" in n for n in local)
    assert any("/persistence/tables/" in n for n in local)
    assert sorted(local) == sorted(remote)
    for name in local:
        pd.testing.assert_frame_equal(comparable(remote[name]), comparable(local[name]), obj=name)
    assert figures(default_run) and figures(default_run) == figures(slurm_dir)
