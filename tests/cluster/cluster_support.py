"""Helpers for the cluster tests: the real single-node SLURM, the Apptainer stand-in, configs."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STANDIN_DIR = HERE / "standin"  # holds the `apptainer` STAND-IN (not a container runtime)
PROFILE = REPO / "slurm"  # the top-level link the documented `--profile slurm` resolves to

# tests/conftest.py by path: a plain `import conftest` may pick up another folder's conftest.
_spec = importlib.util.spec_from_file_location(
    "personascope_root_conftest", REPO / "tests" / "conftest.py"
)
root_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(root_conftest)
run_snakemake = root_conftest.run_snakemake
write_config = root_conftest.write_config
job_stats = root_conftest.job_stats
absolute_local_paths = root_conftest.absolute_local_paths
SNAKEMAKE = root_conftest.SNAKEMAKE
SLURM_SCRIPT = root_conftest.SLURM_SCRIPT
SLURM_STATE = root_conftest.SLURM_STATE
slurm_cluster = root_conftest.slurm_cluster

GPU_RESOURCES = {"gpus": 1, "gpu_model": "h100", "mem_mb": 2000, "cpus_per_task": 2, "runtime": 30}


def registry_entry(name: str) -> dict[str, Any]:
    models = yaml.safe_load((REPO / "config" / "models.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(models["models"][name])


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def cluster_config(images: Path) -> dict[str, Any]:
    """The tiny PersonaLens slice with a GPU-sized assistant: SmolLM2 again, under another name
    whose registry entry asks for one H100, so its dialogue job is a GPU job (gpu partition, the
    vLLM image) while the user agent, the judge and the analysis jobs stay CPU jobs."""
    cfg = merge(absolute_local_paths(), root_conftest.tiny_personalens_config())
    cfg["containers"] = {
        "cpu": str(images / "personascope-cpu.sif"),
        "gpu": str(images / "personascope-vllm.sif"),
    }
    cfg["models"] = {"smollm2-gpu": {**registry_entry("smollm2-135m"), "resources": GPU_RESOURCES}}
    cfg["personalens"]["assistants"] = ["smollm2-gpu"]
    return cfg


def standin_env(tmp: Path) -> dict[str, str]:
    """Environment for a run that uses the Apptainer stand-in: it first on PATH, then this
    interpreter's bin (the stand-in runs `python -m personascope` on the host), a model cache."""
    hf_home = tmp / "hf-cache"
    hf_home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.pathsep.join(
            [str(STANDIN_DIR), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "APPTAINER_STANDIN_LOG": str(tmp / "apptainer-calls.jsonl"),
        "HF_HOME": str(hf_home),
    }


def standin_calls(env: dict[str, str]) -> list[dict[str, Any]]:
    log = Path(env["APPTAINER_STANDIN_LOG"])
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def calls_running(calls: list[dict[str, Any]], step: str) -> list[dict[str, Any]]:
    """The stand-in calls whose wrapped command runs `python -m personascope STEP`."""
    pattern = re.compile(rf"-m personascope {re.escape(step)} ")
    return [c for c in calls if any(pattern.search(part) for part in c["command"])]


def result_tables(workdir: Path) -> dict[str, pd.DataFrame]:
    """Every Parquet and CSV result of a run, by path relative to the workdir."""
    results = workdir / "results"
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(results.rglob("*")):
        rel = str(path.relative_to(workdir))
        if "/logs/" in rel or "/cache/" in rel:
            continue
        if path.suffix == ".parquet":
            tables[rel] = pd.read_parquet(path)
        elif path.suffix == ".csv":
            tables[rel] = pd.read_csv(path)
    return tables


# Columns that measure the run, not the result (wall-clock time, throughput).
TIMING_COLUMN = re.compile(r"(latency|elapsed|seconds|duration|_s$|timestamp|tok_per_s)")


def without_timings(value: Any) -> Any:
    """A cell with the timing fields of nested records (a dialogue's turns) removed."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if not TIMING_COLUMN.search(k)}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [without_timings(v) for v in value]
    return value


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in frame.columns if not TIMING_COLUMN.search(str(c))]
    out = frame[keep].reset_index(drop=True)
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(without_timings)
    return out


# The test cluster has no slurmdbd: job states come from squeue (MinJobAge=600 keeps finished jobs
# visible), first checked after 2 s instead of the profile's 40.
TEST_CLUSTER_ARGS = (
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
)


def run_through_profile(
    workdir: Path, *targets: str, configfile: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run the workflow with the repository's `slurm` profile on the test cluster."""
    return run_snakemake(
        workdir,
        "--profile",
        str(PROFILE),
        *TEST_CLUSTER_ARGS,
        *targets,
        configfile=configfile,
        env=env,
        timeout=timeout,
    )


def slurm_env(state: Path) -> dict[str, str]:
    return {"PERSONASCOPE_SLURM_DIR": str(state), "SLURM_CONF": "/etc/slurm/slurm.conf"}


def start_slurm(state: Path) -> Iterator[dict[str, str]]:
    """Bring the single-node cluster up (installing slurm-wlm/munge if missing), yield the
    client environment, stop it afterwards if this call started it."""
    env = {**os.environ, **slurm_env(state)}
    was_up = (state / "slurmctld.pid").is_file()
    proc = slurm_cluster("up", env, timeout=900)
    if proc.returncode != 0:
        pytest.fail(
            f"could not start the test SLURM cluster ({SLURM_SCRIPT} up needs root and "
            f"apt-get or an installed slurm-wlm + munge):\n{proc.stdout}\n{proc.stderr}"
        )
    try:
        yield slurm_env(state)
    finally:
        if not was_up:
            slurm_cluster("down", env, timeout=120)
