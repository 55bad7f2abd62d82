"""`python -m personascope rebuild BUNDLE [--into DIR] [--inputs DIR]`

Verify the bundle (every member against MANIFEST.json), unpack it into an empty folder, run its
workflow with every model on the `replay` engine — only `replay` may open in that run
(PERSONASCOPE_ALLOWED_ENGINES), proxies point nowhere, so no model, server, key or network is
used — then compare every output of manifests/outputs.json byte for byte and print
identical / differs / missing per file. Exit status 0 only if every output is identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from ..engines import ALLOWED_ENGINES_ENV
from ..errors import BundleError, PersonascopeError
from .archive import DIGEST_CHARS, extract, sha256_file, verify
from .inputs import input_member

# Where the network would go, if anything tried: a closed port on loopback.
NO_NETWORK = "http://127.0.0.1:9"


def set_key(config: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node[key]
    node[last] = value


def matches(record: dict[str, Any], path: Path) -> bool:
    for entry in record["files"]:
        file = path if record["kind"] == "file" else path / entry["name"]
        if not file.is_file() or sha256_file(file) != entry["sha256"]:
            return False
    return True


def locate_input(record: dict[str, Any], unpacked: Path, inputs_dir: Path | None) -> Path:
    """The path the config names: the input's folder, or the pack file inside it."""
    found = locate_copy(record, unpacked, inputs_dir)
    return found / record["pack"] if record.get("pack") else found


def locate_copy(record: dict[str, Any], unpacked: Path, inputs_dir: Path | None) -> Path:
    """The bundle's copy of an input, or a local copy that matches every recorded sha256."""
    if record["redistributed"]:
        folder = unpacked / input_member(record, "")
        return folder / record["files"][0]["name"] if record["kind"] == "file" else folder
    original = Path(record["path"])
    candidates = [inputs_dir / original.name] if inputs_dir else []
    candidates.append(original)
    for candidate in candidates:
        if candidate.exists() and matches(record, candidate):
            return candidate
    raise BundleError(
        f"input {record['config_key']} ({record.get('url', record['local'])}, license "
        f"{record['license']}) is not in the bundle and no copy matching its sha256 was found "
        f"(tried {', '.join(str(c) for c in candidates)})",
        hint="pass --inputs DIR, a folder holding it under the name "
        f"{original.name!r} (e.g. ../shared/data)",
    )


def rebuild_config(unpacked: Path, inputs_dir: Path | None) -> dict[str, Any]:
    config = json.loads((unpacked / "config" / "config.json").read_text(encoding="utf-8"))
    registry = json.loads((unpacked / "config" / "models.json").read_text(encoding="utf-8"))
    calls = unpacked / "calls"
    calls.mkdir(exist_ok=True)
    models = {}
    for name, entry in registry.items():
        options = dict(entry.get("options") or {})
        recorded = options.get("recorded_engine") if entry["engine"] == "replay" else None
        options.update(recorded_engine=recorded or entry["engine"], bundle=str(calls))
        models[name] = {**entry, "engine": "replay", "options": options}
    config["models"] = models
    # A fresh call cache inside the rebuild: every answer comes through the replay engine.
    config["cache_dir"] = "results/cache/calls"
    records = json.loads((unpacked / "manifests" / "inputs.json").read_text(encoding="utf-8"))
    for record in records:
        set_key(config, record["config_key"], str(locate_input(record, unpacked, inputs_dir)))
    return config


def offline_env(source: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(source / "workflow"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env[ALLOWED_ENGINES_ENV] = "replay"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = NO_NETWORK
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def unpack(bundle: Path, into: Path, manifest: dict[str, Any]) -> tuple[Path, Path]:
    unpacked, source = into / "bundle", into / "source"
    extract(bundle, unpacked)
    with tarfile.open(unpacked / "source" / "source.tar") as tar:
        tar.extractall(source, filter="data")
    diff = unpacked / "source" / "uncommitted.diff"
    if diff.is_file() and diff.stat().st_size:
        proc = subprocess.run(
            ["git", "apply", "--binary", "--whitespace=nowarn", str(diff)],
            cwd=source,
            capture_output=True,
            text=True,
            # not a repository: apply to this folder even when DIR lies inside some checkout
            env={**os.environ, "GIT_CEILING_DIRECTORIES": str(into)},
        )
        if proc.returncode != 0:
            raise BundleError(f"{diff}: does not apply to the bundled source: {proc.stderr}")
    return unpacked, source


def replay_failures(work: Path) -> list[str]:
    lines = []
    for log in sorted((work / "results" / "logs").rglob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if "error" in line and ("replay" in line or "not allowed" in line):
                lines.append(f"{log.relative_to(work)}: {line.strip()}")
    return lines


def compare(work: Path, outputs: list[dict[str, Any]]) -> dict[str, str]:
    verdicts = {}
    for entry in outputs:
        path = work / entry["path"]
        if not path.is_file():
            verdicts[entry["path"]] = "missing"
        elif sha256_file(path) == entry["sha256"]:
            verdicts[entry["path"]] = "identical"
        else:
            verdicts[entry["path"]] = "differs"
    return verdicts


def rebuild(bundle: Path, into: Path | None, inputs_dir: Path | None, cores: int) -> int:
    manifest = verify(bundle)
    into = into or Path.cwd() / f"personascope-rebuild-{manifest['digest'][:DIGEST_CHARS]}"
    if into.exists() and any(into.iterdir()):
        raise BundleError(f"--into {into}: not empty (a rebuild starts from an empty folder)")
    into.mkdir(parents=True, exist_ok=True)
    print(f"bundle {bundle.name}: all {len(manifest['members']) + 1} members verified")
    unpacked, source = unpack(bundle, into, manifest)
    config = rebuild_config(unpacked, inputs_dir)
    (into / "rebuild-config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    work = into / "work"
    work.mkdir()
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(source / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(into / "rebuild-config.json"),
        "--cores",
        str(cores),
        *manifest["targets"],
    ]
    print(f"rebuilding in {work} (replay only; log: {into / 'rebuild.log'})", flush=True)
    with open(into / "rebuild.log", "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=offline_env(source))
    if proc.returncode != 0:
        detail = replay_failures(work) or (into / "rebuild.log").read_text().splitlines()[-30:]
        raise BundleError(
            f"the rebuild's workflow failed (exit {proc.returncode}; {into / 'rebuild.log'}):\n"
            + "\n".join(detail)
        )
    outputs = json.loads((unpacked / "manifests" / "outputs.json").read_text(encoding="utf-8"))
    verdicts = compare(work, outputs)
    for path, verdict in verdicts.items():
        print(f"{verdict:<9}  {path}")
    counts = {v: list(verdicts.values()).count(v) for v in ("identical", "differs", "missing")}
    print(", ".join(f"{n} {v}" for v, n in counts.items()) + f" of {len(verdicts)} outputs")
    return 0 if counts["identical"] == len(verdicts) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m personascope rebuild", description=__doc__)
    parser.add_argument("bundle", type=Path, help="results/bundle/personascope-<digest>.tar.gz")
    parser.add_argument("--into", type=Path, help="an empty or new folder (default: ./…)")
    parser.add_argument(
        "--inputs", type=Path, help="folder with local copies of inputs the bundle cannot carry"
    )
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    try:
        return rebuild(args.bundle, args.into, args.inputs, args.cores)
    except PersonascopeError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
