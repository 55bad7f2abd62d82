"""The reproduction bundle of the embedded default, end to end: `snakemake bundle` on the suite's
shared default run, then `python -m personascope rebuild` in a fresh folder on the replay engine
only, with proxies pointing nowhere: every table, figure and Parquet file identical. A tampered
bundle is refused before anything runs; a request the bundle has no record of is a replay error
naming it; a bundle of one study carries and rebuilds that study alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_support import members_of, rebuild, repack
from conftest import DEFAULT_RUN_CONFIG, copy_run, run_snakemake
from personascope import paths
from personascope.bundle.archive import MANIFEST, verify, write_bundle

pytestmark = pytest.mark.workflow


def make_bundle(workdir: Path, *config: str) -> Path:
    run_snakemake(
        workdir,
        "--cores",
        "1",
        "bundle",
        "--config",
        "bundle={allow_dirty: true}",  # a developer's checkout may have uncommitted changes
        *config,
        configfile=workdir / DEFAULT_RUN_CONFIG,
    )
    index = json.loads((workdir / paths.BUNDLE_INDEX).read_text(encoding="utf-8"))
    return workdir / index["bundle"]


def usage_keys(workdir: Path, under: str) -> set[str]:
    return {
        key
        for path in (workdir / under).rglob("*usage.json")
        for entry in json.loads(path.read_text(encoding="utf-8"))
        for key in entry["requested_keys"]
    }


def call_keys(bundle: Path) -> set[str]:
    return {Path(m).stem for m in verify(bundle)["members"] if m.startswith("calls/")}


@pytest.fixture(scope="module")
def run(default_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the suite's shared default run: bundling writes results/bundle/ into it."""
    return copy_run(default_run, tmp_path_factory.mktemp("bundled") / "run")


@pytest.fixture(scope="module")
def default_bundle(run: Path) -> Path:
    return make_bundle(run)


def test_the_default_rebuilds_byte_identically_offline(
    run: Path, default_bundle: Path, tmp_path: Path
) -> None:
    workdir = run
    manifest = verify(default_bundle)
    members = members_of(default_bundle)
    outputs = json.loads(members["manifests/outputs.json"])
    # the run's tables, figures and Parquet files, each with the sha256 of the run's own file
    made = {o["path"] for o in outputs}
    assert paths.personalens_figure("main_results", "png") in made
    assert paths.persistence_table("checkpoint_means", "csv") in made
    assert paths.PERSISTENCE_RATINGS in made
    # the calls are exactly those the run's model jobs requested
    assert call_keys(default_bundle) == usage_keys(workdir, "results")
    inputs = {r["config_key"]: r for r in json.loads(members["manifests/inputs.json"])}
    assert not inputs["data.personalens.local"]["redistributed"]  # CC-BY-NC-4.0
    assert any(
        m.startswith("inputs/persistence.sources.xstest.local/") for m in manifest["members"]
    )

    proc = rebuild(default_bundle, tmp_path / "rebuilt")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    verdicts = dict(
        reversed(line.split(None, 1))
        for line in proc.stdout.splitlines()
        if line.split(None, 1)[0] in {"identical", "differs", "missing"}
    )
    assert verdicts == {path: "identical" for path in made}
    # every model answered through replay: no model was loaded, no live engine opened
    work = tmp_path / "rebuilt" / "work"
    engines = {
        entry["engine"]
        for path in (work / "results").rglob("*usage.json")
        for entry in json.loads(path.read_text(encoding="utf-8"))
    }
    assert engines == {"replay"}


@pytest.mark.parametrize(
    "change",
    ["outputs manifest", "call record", "extra file"],
)
def test_a_tampered_bundle_is_refused_before_anything_runs(
    default_bundle: Path, tmp_path: Path, change: str
) -> None:
    members = members_of(default_bundle)
    if change == "outputs manifest":
        outputs = json.loads(members["manifests/outputs.json"])
        outputs[0]["sha256"] = "0" * 64
        members["manifests/outputs.json"] = json.dumps(outputs).encode()
        named = "manifests/outputs.json"
    elif change == "call record":
        named = sorted(m for m in members if m.startswith("calls/"))[0]
        record = json.loads(members[named])
        record["response"]["text"] = "a different answer"
        members[named] = json.dumps(record).encode()
    else:
        named = "calls/00/not-a-recorded-call.json"
        members[named] = b"{}"
    tampered = repack(members, tmp_path / "tampered" / default_bundle.name)
    into = tmp_path / "rebuilt"
    proc = rebuild(tampered, into)
    assert proc.returncode == 2
    assert f"member {named}" in proc.stderr
    assert not into.exists()  # refused before unpacking, let alone running


def test_a_request_without_a_record_is_a_replay_error_naming_it(
    run: Path, default_bundle: Path, tmp_path: Path
) -> None:
    workdir = run
    # Drop the first call of the persistence dialogues, and repack a consistent bundle.
    usage = json.loads(
        (workdir / paths.PERSISTENCE_DIALOGUE_USAGE.format(model="smollm2-135m")).read_text()
    )
    dropped = usage[0]["requested_keys"][0]
    manifest = verify(default_bundle)
    members = members_of(default_bundle)
    del members[MANIFEST]
    del members[f"calls/{dropped[:2]}/{dropped}.json"]
    meta = {k: v for k, v in manifest.items() if k not in {"members", "format", "digest"}}
    bundle, _ = write_bundle(members, meta, tmp_path / "bundle")
    proc = rebuild(bundle, tmp_path / "rebuilt")
    assert proc.returncode == 2
    assert "has no recorded answer" in proc.stderr
    assert dropped in proc.stderr


def test_a_bundle_of_one_study_carries_and_rebuilds_it_alone(
    run: Path, default_bundle: Path, tmp_path: Path
) -> None:
    workdir = run
    bundle = make_bundle(run, "studies=[persistence]")
    assert call_keys(bundle) == usage_keys(workdir, paths.PERSISTENCE)
    assert not call_keys(bundle) & usage_keys(workdir, paths.PERSONALENS)
    outputs = json.loads(members_of(bundle)["manifests/outputs.json"])
    assert outputs and all(o["path"].startswith(paths.PERSISTENCE) for o in outputs)

    proc = rebuild(bundle, tmp_path / "rebuilt")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert f"{len(outputs)} identical, 0 differs, 0 missing" in proc.stdout
    assert not (tmp_path / "rebuilt" / "work" / paths.PERSONALENS).exists()
