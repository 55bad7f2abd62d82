"""`snakemake -n --profile slurm`: the resources each job would ask SLURM for, from the registry.

A dry run with the profile still checks for an `apptainer` binary (`software-deployment-method:
apptainer`), so the Apptainer STAND-IN is first on PATH; nothing is executed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_support import (
    PROFILE,
    REPO,
    absolute_local_paths,
    merge,
    registry_entry,
    root_conftest,
    run_snakemake,
    standin_env,
    write_config,
)

PAPER = REPO / "config" / "paper.yaml"
# The rules whose jobs open models, and the wildcards naming them (a judge job's `model` is the
# judged model, not one it loads). Every other job must ask for no GPU.
OPENS = {
    "personalens_dialogues": ("model",),
    "personalens_judge": ("judge",),
    "persistence_dialogues": ("model",),
    "persistence_conditioned": ("model",),
    "persistence_judge_dialogues": ("judge",),
    "persistence_judge_conditioned": ("judge",),
    "persistence_judge_human_samples": ("judge",),
    "personagym_answers": ("model",),
}

JOB = re.compile(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", re.M | re.S)


def dry_run_jobs(stdout: str) -> list[dict[str, Any]]:
    """The jobs of a dry run: rule, wildcards and resources as printed by Snakemake."""
    jobs = []
    for rule, body in JOB.findall(stdout):
        fields = dict(re.findall(r"^\s+(\w+): (.*)$", body, re.M))
        wildcards = dict(kv.split("=", 1) for kv in fields.get("wildcards", "").split(", ") if kv)
        resources = dict(kv.split("=", 1) for kv in fields.get("resources", "").split(", ") if kv)
        jobs.append({"rule": rule, "wildcards": wildcards, "resources": resources})
    return jobs


def dry_run(
    tmp_path: Path, config: Path, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    proc = run_snakemake(
        tmp_path / "run",
        "--profile",
        str(PROFILE),
        "-n",
        configfile=config,
        env={**standin_env(tmp_path), **(env or {})},
    )
    # The job list goes to stdout or stderr depending on the logger; read both.
    jobs = dry_run_jobs(proc.stdout + "\n" + proc.stderr)
    assert jobs, "no jobs parsed from the dry run"
    return jobs


def vllm_config() -> dict[str, Any]:
    """Two vLLM assistants (one sized by tensor parallelism, one by its `resources:` block), the
    local model as user agent and an API judge."""
    cfg = merge(absolute_local_paths(), root_conftest.tiny_personalens_config())
    cfg["models"] = {
        "big-vllm": {
            "engine": "vllm",
            "model": "Qwen/Qwen2.5-72B-Instruct",
            "family": "qwen",
            "size_class": 2,
            "prompt_family": "llama",
            "options": {"tensor_parallel_size": 4},
        },
        "small-vllm": {
            "engine": "vllm",
            "model": "Qwen/Qwen2.5-7B-Instruct",
            "family": "qwen",
            "size_class": 1,
            "prompt_family": "llama",
            "resources": {"mem_mb": 32000, "runtime": 90, "partition": "h100-short"},
        },
        "api-judge": {
            "engine": "openai",
            "model": "gpt-4o-2024-08-06",
            "family": "gpt",
            "size_class": 3,
        },
        "smollm2-135m": registry_entry("smollm2-135m"),
    }
    cfg["personalens"].update(
        {
            "assistants": ["big-vllm", "small-vllm"],
            "user_agent": "smollm2-135m",
            "judge": "api-judge",
        }
    )
    return cfg


def by_rule(jobs: list[dict[str, Any]], rule: str) -> dict[str, dict[str, str]]:
    return {j["wildcards"].get("model", ""): j["resources"] for j in jobs if j["rule"] == rule}


def test_gpu_jobs_get_registry_resources(tmp_path: Path, shared_data: Path) -> None:
    config = write_config(tmp_path / "config.yaml", vllm_config())
    jobs = dry_run(tmp_path, config, env={"PERSONASCOPE_SLURM_ACCOUNT": "proj42"})

    dialogues = by_rule(jobs, "personalens_dialogues")
    big, small = dialogues["big-vllm"], dialogues["small-vllm"]
    # gpu = tensor_parallel_size, on H100s, the GPU defaults where the registry says nothing.
    assert (big["gpu"], big["gpu_model"], big["mem_mb"], big["cpus_per_task"], big["runtime"]) == (
        "4",
        "h100",
        "64000",
        "8",
        "240",
    )
    assert "slurm_partition" not in big  # partitions.yaml chooses
    # A `resources:` block overrides per key; no tensor_parallel_size means one GPU.
    assert (small["gpu"], small["mem_mb"], small["runtime"], small["slurm_partition"]) == (
        "1",
        "32000",
        "90",
        "h100-short",
    )

    # The API judge and the analysis jobs: no GPU at all (a gpu_model alone would request one).
    for resources in by_rule(jobs, "personalens_judge").values():
        assert resources["gpu"] == "0" and "gpu_model" not in resources
        assert (resources["mem_mb"], resources["cpus_per_task"]) == ("4000", "2")
    (sample,) = by_rule(jobs, "personalens_sample").values()
    assert "gpu" not in sample and (sample["mem_mb"], sample["runtime"]) == ("4000", "60")
    # The account from the environment reaches every job, through the profile's defaults.
    assert {j["resources"].get("slurm_account") for j in jobs if j["rule"] != "all"} == {"proj42"}


def test_partition_from_environment(tmp_path: Path, shared_data: Path) -> None:
    config = write_config(tmp_path / "config.yaml", vllm_config())
    jobs = dry_run(
        tmp_path,
        config,
        env={"PERSONASCOPE_SLURM_GPU_PARTITION": "h100", "PERSONASCOPE_SLURM_PARTITION": "cpu-x"},
    )
    dialogues = by_rule(jobs, "personalens_dialogues")
    assert dialogues["big-vllm"]["slurm_partition"] == "h100"
    assert dialogues["small-vllm"]["slurm_partition"] == "h100-short"  # the registry wins
    for resources in by_rule(jobs, "personalens_judge").values():
        assert resources["slurm_partition"] == "cpu-x"
    (sample,) = by_rule(jobs, "personalens_sample").values()
    assert sample["slurm_partition"] == "cpu-x"


def test_paper_config_gpu_jobs(tmp_path: Path, shared_data: Path) -> None:
    """The issue's command, `snakemake -n --profile slurm --configfile config/paper.yaml`: every
    job on a vLLM model asks for its tensor-parallel GPUs on H100s, every other job for none."""
    if not PAPER.is_file():
        pytest.fail(f"{PAPER} does not exist yet (the paper configuration of the studies)")
    paper = yaml.safe_load(PAPER.read_text(encoding="utf-8"))
    models = {
        **yaml.safe_load((REPO / "config" / "models.yaml").read_text())["models"],
        **(paper.get("models") or {}),
    }
    config = write_config(tmp_path / "paths.yaml", absolute_local_paths())
    proc = run_snakemake(
        tmp_path / "run",
        "--profile",
        str(PROFILE),
        "-n",
        "--configfile",
        str(PAPER),
        str(config),
        env=standin_env(tmp_path),
    )
    jobs = dry_run_jobs(proc.stdout + "\n" + proc.stderr)
    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    user_agent = merge(base, paper)["personalens"]["user_agent"]
    checked = 0
    for job in jobs:
        wildcards = job["wildcards"]
        names = [wildcards[w] for w in OPENS.get(job["rule"], ())]
        if job["rule"] == "personalens_dialogues":  # the job also opens the user agent
            names.append(user_agent)
        gym = merge(base, paper).get("personagym") or {}
        if job["rule"] == "personagym_grading":  # a judge slot names its model in config
            names.append(gym["judges"][wildcards["slot"]])
        role = {"personagym_examples": "examples_model", "personagym_questions": "questions_model"}
        if job["rule"] in role:
            names.append(gym[role[job["rule"]]])
        vllm = [n for n in names if models[n]["engine"] == "vllm"]
        res = job["resources"]
        if vllm:
            want = max(
                (models[n].get("resources") or {}).get(
                    "gpus", (models[n].get("options") or {}).get("tensor_parallel_size", 1)
                )
                for n in vllm
            )
            assert res.get("gpu") == str(want), job
            assert res.get("gpu_model"), job
            checked += 1
        else:
            assert res.get("gpu", "0") == "0" and "gpu_model" not in res, job
    assert checked, "the paper config has no job on a vLLM model"
