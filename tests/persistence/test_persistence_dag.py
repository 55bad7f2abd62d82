"""The persistence DAG (Snakemake dry runs): local inputs by default, pinned downloads
otherwise, RoleBench only when configured, config errors named."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("pp_dag_root_conftest", HERE.parent / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)

PL_ARCHIVE = str(_root.PERSONALENS_ARCHIVE)
REVISION = "0123456789abcdef0123456789abcdef01234567"
TARGET = "results/persistence/ratings/ratings.parquet"


def dry_run(tmp_path: Path, persistence: dict, check: bool = True):
    cfg = _root.write_config(
        tmp_path / "cfg.yaml",
        {"data": {"personalens": {"local": PL_ARCHIVE}}, "persistence": persistence},
    )
    return _root.run_snakemake(tmp_path, "-n", "-p", TARGET, configfile=cfg, check=check)


def local_sources(shared: Path) -> dict:
    names = {
        "persistent_personas": "persistent-personas",
        "incharacter": "incharacter",
        "ifbench": "ifbench",
        "xstest": "xstest",
    }
    return {k: {"local": str(shared / v)} for k, v in names.items()}


def test_default_sources_are_local_and_rolebench_is_skipped(tmp_path: Path, shared_data: Path):
    proc = dry_run(tmp_path, {"sources": local_sources(shared_data)})
    out = proc.stdout
    assert "persistence_inputs" in out and "persistence_ratings" in out
    assert "persistence_download" not in out
    assert "RoleBench" not in out


def test_unset_local_downloads_pinned_files_and_rolebench_revision(
    tmp_path: Path, shared_data: Path
):
    sources = local_sources(shared_data)
    sources["xstest"] = {"local": None}
    # A pinned RoleBench revision is read only against a manifest of its files (digests made
    # up: a dry run downloads nothing, it only passes each file's digest to its download).
    manifest = tmp_path / "rolebench.sha256"
    specific = "instructions-eng/role-specific-HAL 9000.jsonl"
    general = "rolebench-eng/instruction-generalization/general/test.jsonl"
    manifest.write_text(f"{'a' * 64}  {specific}\n{'b' * 64}  {general}\n")
    sources["rolebench"] = {"revision": REVISION, "local": None, "manifest": str(manifest)}
    proc = dry_run(tmp_path, {"sources": sources, "roles": ["HAL 9000", "empty"]})
    out = proc.stdout
    assert f"--sha256 {'a' * 64}" in out and f"--sha256 {'b' * 64}" in out
    assert (
        "https://raw.githubusercontent.com/paul-rottger/exaggerated-safety/"
        "d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d/xstest_prompts.csv" in out
    )
    assert (
        f"https://huggingface.co/datasets/ZenMoore/RoleBench/resolve/{REVISION}/"
        "instructions-eng/role-specific-HAL%209000.jsonl" in out
    )
    assert "instruction-generalization/general/test.jsonl" in out


def test_checkpoint_beyond_rounds_is_a_config_error(tmp_path: Path, shared_data: Path):
    proc = dry_run(
        tmp_path,
        {"sources": local_sources(shared_data), "rounds": 3, "checkpoints": [0, 5]},
        check=False,
    )
    assert proc.returncode != 0
    assert "persistence.checkpoints" in proc.stderr + proc.stdout


def test_missing_local_copy_names_the_config_key(tmp_path: Path, shared_data: Path):
    sources = local_sources(shared_data)
    sources["ifbench"] = {"local": str(tmp_path / "nowhere")}
    proc = dry_run(tmp_path, {"sources": sources}, check=False)
    assert proc.returncode != 0
    assert "persistence.sources.ifbench.local" in proc.stderr + proc.stdout
