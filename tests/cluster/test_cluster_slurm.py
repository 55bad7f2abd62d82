"""The workflow on a real single-node SLURM cluster (slurm-wlm + munge, one declared H100) through
the repository's `slurm` profile, compared with a local `--cores` run of the same config.

Containers: the profile runs every job under Apptainer, which cannot be installed here, so the
`apptainer` on PATH is the STAND-IN from tests/cluster/standin (records its call, runs the job on
the host). SLURM itself is real: sbatch, slurmctld, slurmd, srun, gres scheduling.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cluster_support import (
    SLURM_STATE,
    calls_running,
    cluster_config,
    comparable,
    result_tables,
    run_snakemake,
    run_through_profile,
    standin_calls,
    standin_env,
    start_slurm,
    write_config,
)

pytestmark = pytest.mark.workflow

# The PersonaLens chain release -> sample -> dialogues (GPU-sized) -> judge, plus a dialogue
# table: five SLURM jobs. One judge dimension keeps the local model's calls to a handful.
TARGETS = (
    "results/personalens/judge/smollm2-135m/smollm2-gpu/vanilla/shard-0.parquet",
    "results/personalens/tables/dialogue_stats.csv",
)


@pytest.fixture(scope="module")
def slurm() -> Iterator[dict[str, str]]:
    yield from start_slurm(SLURM_STATE)


def scontrol_job(job_id: str, env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "-o", "show", "job", job_id],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


def test_workflow_through_slurm_profile_equals_local_run(
    slurm: dict[str, str], tmp_path: Path, shared_data: Path
) -> None:
    cfg = cluster_config(tmp_path / "images")
    # Short prompts and answers: this test is about where jobs run, not about what they say.
    cfg["personalens"].update({"settings": ["vanilla"], "judge_dimensions": ["task_completion"]})
    for name in ("smollm2-gpu", "smollm2-135m"):
        cfg["models"].setdefault(name, {})["generation"] = {
            "temperature": 0.0,
            "top_p": 1.0,
            "max_tokens": 48,
        }
    config = write_config(tmp_path / "config.yaml", cfg)
    # Two working directories, so two call caches (`cache_dir: cache` is relative): the SLURM
    # run recomputes every model call instead of replaying the local run's.
    local_dir, slurm_dir = tmp_path / "local", tmp_path / "on-slurm"
    run_snakemake(local_dir, "--cores", "2", *TARGETS, configfile=config)

    env = {**standin_env(tmp_path), **slurm}
    proc = run_through_profile(slurm_dir, *TARGETS, configfile=config, env=env, timeout=1500)
    log = proc.stdout + proc.stderr

    # Every job except the target-only `all` went through sbatch.
    submitted = dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log))
    assert len(submitted) == 5, log[-4000:]
    jobs = {sid: scontrol_job(sid, slurm) for sid in submitted.values()}
    assert {j["JobState"] for j in jobs.values()} == {"COMPLETED"}, jobs
    by_rule: dict[str, list[dict[str, str]]] = {}
    for job in jobs.values():
        rule = job["Comment"].split("_wildcards_")[0].removeprefix("rule_")
        by_rule.setdefault(rule, []).append(job)
    assert {"personalens_release", "personalens_dialogues", "personalens_judge"} <= set(by_rule)

    # The GPU-sized assistant's dialogue job asked SLURM for the declared H100, got the gpu
    # partition (profile partitions.yaml) and its registry memory/CPUs; the others stayed on CPUs.
    (dialogue,) = by_rule.pop("personalens_dialogues")
    assert dialogue["Partition"] == "gpu"
    assert "gpu:h100:1" in dialogue.get("TresPerJob", "") + dialogue.get("TresPerNode", "")
    assert dialogue["NumCPUs"] == "2" and dialogue["MinMemoryNode"] == "2000M"
    for rule, rule_jobs in by_rule.items():
        for job in rule_jobs:
            assert job["Partition"] == "cpu", (rule, job)
            assert "gpu" not in job.get("TresPerJob", "") + job.get("TresPerNode", ""), (rule, job)

    # Inside the SLURM jobs, Snakemake ran each step in the image its models need.
    calls = standin_calls(env)
    (gpu_call,) = calls_running(calls, "personalens.dialogues.simulate")
    assert gpu_call["image"].endswith("personascope-vllm.sif")
    assert ["--nv"] in gpu_call["options"]
    for step in ("personalens.data.release", "personalens.judge.dialogues"):
        assert all(c["image"].endswith("personascope-cpu.sif") for c in calls_running(calls, step))
        assert calls_running(calls, step), step

    # Same results as the local run, table for table (timing columns aside).
    local, remote = result_tables(local_dir), result_tables(slurm_dir)
    assert local and sorted(local) == sorted(remote)
    assert any("/dialogues/" in n for n in local) and any("/judge/" in n for n in local)
    for name in local:
        pd.testing.assert_frame_equal(comparable(remote[name]), comparable(local[name]), obj=name)
    # ...and each run filled its own call cache.
    for workdir in (local_dir, slurm_dir):
        assert any((workdir / "cache").rglob("*")), workdir
