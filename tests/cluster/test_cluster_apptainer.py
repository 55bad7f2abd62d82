"""What Snakemake runs under `--sdm apptainer` with the repository's SLURM profile settings.

Apptainer cannot be installed here, so `apptainer` is the STAND-IN from tests/cluster/standin: it
records the call and runs the wrapped command on the host. The jobs are real (release, sample, a
dialogue on the local model); only the container is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_support import (
    PROFILE,
    REPO,
    SNAKEMAKE,
    calls_running,
    cluster_config,
    run_snakemake,
    standin_calls,
    standin_env,
    write_config,
)

pytestmark = pytest.mark.workflow

DIALOGUE = "results/personalens/dialogues/smollm2-gpu/base+all/shard-0.parquet"


def test_gpu_rule_runs_in_vllm_image_with_nv_and_model_cache(
    tmp_path: Path, shared_data: Path
) -> None:
    config = write_config(tmp_path / "config.yaml", cluster_config(tmp_path / "images"))
    env = standin_env(tmp_path)
    workdir = tmp_path / "run"
    # The profile's container settings, on the local executor (no cluster needed for this).
    run_snakemake(
        workdir,
        "--profile",
        str(PROFILE),
        "--executor",
        "local",
        "--cores",
        "2",
        DIALOGUE,
        configfile=config,
        env=env,
    )
    assert (workdir / DIALOGUE).is_file()
    calls = standin_calls(env)

    (gpu_call,) = calls_running(calls, "personalens.dialogues.simulate")
    assert gpu_call["image"] == str(tmp_path / "images" / "personascope-vllm.sif")
    options = gpu_call["options"]
    assert ["--nv"] in options
    hf_home = env["HF_HOME"]
    assert ["--bind", hf_home] in options  # the model cache, at the same path inside
    assert ["--env", f"HF_HOME={hf_home}"] in options
    assert ["--env", "HF_HUB_OFFLINE=1"] in options
    assert ["--home", str(workdir)] in options  # Snakemake runs the job in the working dir
    # The image's own python runs the step (not the host interpreter's path).
    assert gpu_call["command"][0] in ("bash", "sh")
    assert " python -m personascope personalens.dialogues.simulate " in gpu_call["command"][2]
    assert sys.executable not in gpu_call["command"][2]

    (cpu_call,) = calls_running(calls, "personalens.data.release")
    assert cpu_call["image"] == str(tmp_path / "images" / "personascope-cpu.sif")


def test_unset_model_cache_variable_is_a_clear_error(tmp_path: Path, shared_data: Path) -> None:
    config = write_config(tmp_path / "config.yaml", cluster_config(tmp_path / "images"))
    env = {k: v for k, v in {**os.environ, **standin_env(tmp_path)}.items() if k != "HF_HOME"}
    proc = subprocess.run(
        [
            str(SNAKEMAKE),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--configfile",
            str(config),
            "--profile",
            str(PROFILE),
            "--executor",
            "local",
            "--cores",
            "1",
            "-n",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "['$HF_HOME'] are not set" in proc.stdout + proc.stderr
    assert "export HF_HOME=" in proc.stdout + proc.stderr
