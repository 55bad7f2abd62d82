"""Shared fixtures: where the repo and the shared data are, and how to run the real workflow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONASCOPE_SHARED_DATA", REPO.parent / "shared" / "data"))
PERSONALENS_ARCHIVE = SHARED_DATA / "personalens-e755f90a3600e80222e129a14a3b218fc6d2c808.tar.gz"
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
SLURM_SCRIPT = REPO / "tests" / "cluster" / "slurm_cluster.sh"
SLURM_STATE = Path(os.environ.get("PERSONASCOPE_SLURM_DIR", "/tmp/personascope-slurm"))


@pytest.fixture(scope="session", autouse=True)
def slurm_controller_for_the_session() -> Iterator[None]:
    """Where slurm-wlm is installed, keep the test cluster up for the whole session.

    Every `snakemake` start imports the SLURM executor plugin, and its import asks the
    controller for MinJobAge (`scontrol show config`, 10 s timeout): with slurm-wlm installed
    and no controller, that is ~9 s more per call (2.5 s against 11.5 s for `--version`,
    measured here), paid by every workflow test. A cluster user has a controller; so does the
    suite. The cluster tests bring it up themselves (and fail if they cannot); here a failure
    to start only costs time."""
    started = False
    env = {**os.environ, "PERSONASCOPE_SLURM_DIR": str(SLURM_STATE)}
    if shutil.which("slurmctld") and not (SLURM_STATE / "slurmctld.pid").is_file():
        started = slurm_cluster("up", env, timeout=300).returncode == 0
    yield
    if started:
        slurm_cluster("down", env, timeout=120)


def slurm_cluster(
    action: str, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`tests/cluster/slurm_cluster.sh up|down` with `env` (its state folder, client config)."""
    command = ["bash", str(SLURM_SCRIPT), action]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; set PERSONASCOPE_SHARED_DATA")
    return SHARED_DATA


def write_config(path: Path, overrides: dict[str, Any]) -> Path:
    """A config file for a test run; merged by Snakemake on top of config/config.yaml."""
    path.write_text(yaml.safe_dump(overrides, sort_keys=False), encoding="utf-8")
    return path


def run_snakemake(
    workdir: Path,
    *args: str,
    configfile: Path | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run the real workflow (this checkout's Snakefile) with `workdir` as working directory."""
    cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir)]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    cmd += list(args)
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
        )
    return proc


def absolute_local_paths() -> dict[str, Any]:
    """config.yaml's `local:` input paths are relative to the repository (where a user runs
    Snakemake); a test runs elsewhere, so point every one at the shared data absolutely."""

    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return None
        out = {}
        for key, value in node.items():
            if key == "local" and isinstance(value, str) and not Path(value).is_absolute():
                rel = Path(value)
                parts = rel.parts
                if parts[:3] == ("..", "shared", "data"):
                    out[key] = str(SHARED_DATA.joinpath(*parts[3:]))
                else:
                    out[key] = str((REPO / rel).resolve())
            elif (sub := walk(value)) is not None:
                out[key] = sub
        return out or None

    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    return walk(base) or {}


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The embedded default (config/config.yaml), run once per test session with `snakemake
    --cores 2` as `make run` does; the workflow tests that check the same things share it.

    Read it, never change it: a test that reruns or deletes something works on
    `copy_run(default_run, ...)`. PERSONASCOPE_DEFAULT_RUN names a finished run to reuse instead
    (for iterating on one test; CI always runs it).
    """
    reuse = os.environ.get("PERSONASCOPE_DEFAULT_RUN")
    if reuse:
        workdir = Path(reuse)
        if not (workdir / "results").is_dir():
            pytest.fail(f"PERSONASCOPE_DEFAULT_RUN={reuse} holds no results/")
        return workdir
    workdir = tmp_path_factory.mktemp("embedded-default")
    config = write_config(workdir / DEFAULT_RUN_CONFIG, absolute_local_paths())
    run_snakemake(workdir, "--cores", "2", configfile=config, timeout=3600)
    return workdir


# The config file of the shared run (only the default's `local:` inputs made absolute).
DEFAULT_RUN_CONFIG = "inputs.yaml"


def copy_run(run: Path, dest: Path) -> Path:
    """A copy of a finished run (results and Snakemake's metadata, mtimes kept), to change."""
    shutil.copytree(run, dest, symlinks=True)
    return dest


def job_stats(log: str) -> dict[str, int]:
    """Snakemake's `Job stats` table in a run's log: rule -> jobs, and "total"."""
    block = log.split("Job stats:", 1)[1]
    counts = {}
    for line in block.splitlines()[3:]:
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def tiny_personalens_config() -> dict[str, Any]:
    """The smallest real PersonaLens slice: one user, one SD task, one setting, one round."""
    return {
        "cache_dir": "cache",
        "data": {"personalens": {"local": str(PERSONALENS_ARCHIVE)}},
        "personalens": {
            "users": ["user0"],
            "kinds": ["SD"],
            "tasks_per_user": 1,
            "settings": ["base+all"],
            "turn_caps": {"SD": 1, "MD": 1},
        },
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault suite's counts (tests/faults/tally.py), when it ran."""
    tally = sys.modules.get("tally")
    if tally is not None and tally.COUNTS:
        for line in tally.summary():
            terminalreporter.write_line(line)
