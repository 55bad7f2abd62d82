"""`snakemake bundle`: pack what a rebuild needs, and manifests of what it must rebuild.

The call records are exactly those the DAG's model jobs requested: every model job lists the
cache keys it asked for in its usage summary (`requested_keys`, engines/cache.py), and the DAG's
jobs come from Snakemake itself (`snakemake --summary` on the same targets and config), so a
bundle of one study or one model carries only its own calls, whatever else the cache holds.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..engines import CallCache
from ..errors import BundleError
from ..io import write_json
from ..steps import step
from .archive import canonical_json, sha256_file, write_bundle
from .inputs import environment, input_member, input_records
from .reproduce import reproduce_text

# What the rebuild checks byte for byte: every table, figure and Parquet file of the DAG.
OUTPUT_SUFFIXES = (".csv", ".tex", ".pdf", ".png", ".parquet")
# Study documents carried for the reader (not rebuilt): protocol sheets and judge reports.
DOCUMENTS = ("results/*/protocol*", "results/*/protocol/*", "results/*/judge/report.*")
USAGE_SUFFIX = "usage.json"


@dataclasses.dataclass(frozen=True)
class Params:
    repo: str  # the workflow's checkout (where the Snakefile is)
    config: dict[str, Any]  # the resolved config, registry included
    targets: list[str]  # what `rule all` builds under this config
    allow_dirty: bool


def git(repo: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
    if proc.returncode != 0:
        raise BundleError(
            f"git {' '.join(args)} in {repo} failed: {proc.stderr.decode(errors='replace')}",
            hint="a bundle needs the workflow in a git checkout",
        )
    return proc.stdout


def source_members(repo: Path, allow_dirty: bool) -> tuple[dict[str, bytes], dict[str, Any]]:
    """`git archive` of HEAD; a dirty tree only with allow_dirty, its diff then recorded."""
    commit = git(repo, "rev-parse", "HEAD").decode().strip()
    status = git(repo, "status", "--porcelain", "--untracked-files=all").decode()
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    members = {"source/source.tar": git(repo, "archive", "--format=tar", commit)}
    if changed and not allow_dirty:
        raise BundleError(
            f"the checkout {repo} has uncommitted changes ({', '.join(changed[:8])}"
            f"{' ...' if len(changed) > 8 else ''}): a bundle is of an exact commit",
            hint="commit them, or pass --config bundle='{allow_dirty: true}' to record the diff",
        )
    if changed:
        diff = git(repo, "diff", "--binary", "HEAD")
        untracked = [line[3:] for line in status.splitlines() if line.startswith("??")]
        for path in untracked:
            # `git diff --no-index` exits 1 when the files differ, which they always do here.
            proc = subprocess.run(
                ["git", "-C", str(repo), "diff", "--binary", "--no-index", "/dev/null", path],
                capture_output=True,
            )
            diff += proc.stdout
        members["source/uncommitted.diff"] = diff
    return members, {"commit": commit, "dirty": bool(changed), "uncommitted": changed}


def dag_files(repo: Path, config: dict[str, Any], targets: list[str]) -> list[dict[str, str]]:
    """Every output file of the DAG of `targets`, with its rule, as Snakemake itself lists it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(config, fh)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(Path.cwd()),
        "--configfile",
        fh.name,
        "--nolock",
        "--summary",
        *targets,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        Path(fh.name).unlink(missing_ok=True)
    if proc.returncode != 0:
        raise BundleError(f"snakemake --summary failed:\n{proc.stderr[-3000:]}")
    rows = []
    lines = proc.stdout.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("output_file\t")), None)
    if header is None:
        raise BundleError(f"snakemake --summary printed no table:\n{proc.stdout[-2000:]}")
    for line in lines[header + 1 :]:
        fields = line.split("\t")
        if len(fields) >= 6:
            rows.append({"path": fields[0], "rule": fields[2], "status": fields[4]})
    return rows


def requested_keys(usage_files: list[Path]) -> dict[str, list[str]]:
    """key -> the usage files (jobs) that requested it."""
    wanted: dict[str, list[str]] = {}
    for path in usage_files:
        for entry in json.loads(path.read_text(encoding="utf-8")):
            if "requested_keys" not in entry:
                raise BundleError(
                    f"{path}: no requested_keys (made before jobs recorded their requests)",
                    hint="rerun that job (snakemake --forcerun its rule), then bundle again",
                )
            for key in entry["requested_keys"]:
                wanted.setdefault(key, []).append(str(path))
    return wanted


@step(Params)
def assemble(inputs: dict[str, Any], outputs: dict[str, Any], params: Params) -> None:
    repo = Path(params.repo)
    config = params.config
    members: dict[str, Path | bytes] = {}
    source, provenance = source_members(repo, params.allow_dirty)
    members.update(source)

    files = dag_files(repo, config, params.targets)
    usage = sorted(Path(f["path"]) for f in files if f["path"].endswith(USAGE_SUFFIX))
    wanted = requested_keys(usage)
    cache = CallCache(config["cache_dir"])
    for key in sorted(wanted):
        record = cache.path(key)
        if not record.is_file():
            raise BundleError(
                f"call record {key} (requested by {wanted[key][0]}) is not in the call cache "
                f"{config['cache_dir']}"
            )
        members[f"calls/{key[:2]}/{key}.json"] = record

    outputs_manifest = []
    for f in sorted(files, key=lambda f: f["path"]):
        path = Path(f["path"])
        if not path.is_file():
            continue
        if path.suffix in OUTPUT_SUFFIXES:
            outputs_manifest.append(
                {
                    "path": f["path"],
                    "rule": f["rule"],
                    "sha256": sha256_file(path),
                    "bytes": path.stat().st_size,
                }
            )
        elif any(fnmatch.fnmatch(f["path"], pattern) for pattern in DOCUMENTS):
            members[f"reports/{f['path']}"] = path
    missing = [f["path"] for f in files if f["path"].endswith(OUTPUT_SUFFIXES)]
    missing = [p for p in missing if not Path(p).is_file()]
    if missing:
        raise BundleError(f"outputs of the DAG missing (run the workflow first): {missing[:5]}")

    inputs_manifest = input_records(config, repo)
    for record in inputs_manifest:
        if record["redistributed"]:
            base = Path(record["path"])
            for entry in record["files"]:
                source_file = base if record["kind"] == "file" else base / entry["name"]
                members[input_member(record, entry["name"])] = source_file

    registry = config.get("models", {})
    resolved = {k: v for k, v in config.items() if k != "models"}
    members["config/config.json"] = canonical_json(resolved)
    members["config/models.json"] = canonical_json(registry)
    members["manifests/inputs.json"] = canonical_json(inputs_manifest)
    members["manifests/outputs.json"] = canonical_json(outputs_manifest)
    members["manifests/environment.json"] = canonical_json(environment(config, repo))
    members["manifests/calls.json"] = canonical_json(
        {"usage_files": [str(p) for p in usage], "calls": len(wanted)}
    )
    members["REPRODUCE.md"] = reproduce_text(
        provenance, inputs_manifest, outputs_manifest, len(wanted)
    ).encode("utf-8")
    meta = {
        "source": provenance,
        "studies": config.get("studies", []),
        "targets": params.targets,
        "cache_dir": config["cache_dir"],
    }
    out_dir = Path(outputs["index"]).parent
    bundle, digest = write_bundle(members, meta, out_dir)
    write_json(
        {
            "bundle": str(bundle),
            "digest": digest,
            "bytes": bundle.stat().st_size,
            "members": len(members) + 1,
            "calls": len(wanted),
            "outputs": len(outputs_manifest),
            "commit": provenance["commit"],
            "dirty": provenance["dirty"],
        },
        outputs["index"],
    )
