"""What a bundle records of the run's pinned inputs, and the environment that ran it.

Inputs are the config's `local:` entries (a file or a folder of pinned files) with the `url`,
`commit`/`revision` beside them, and the tables a user may give instead of the workflow's own:
every file is listed with its sha256; the files themselves go into the bundle only when their
license (licenses.yaml) allows redistribution.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import BundleError
from .archive import sha256_file

PIN_KEYS = ("url", "commit", "revision")


def licenses() -> dict[str, dict[str, Any]]:
    text = resources.files("personascope.bundle").joinpath("licenses.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def license_of(entry: dict[str, Any], path: Path) -> dict[str, Any]:
    haystack = " ".join([str(entry.get("url") or ""), str(path)])
    for repository, known in licenses().items():
        if any(token in haystack for token in known["match"]):
            return {
                "repository": repository,
                "license": known["license"],
                "redistributed": bool(known["redistribute"]),
                **({"why_not": known["why"]} if known.get("why") else {}),
            }
    return {"repository": None, "license": "not recorded", "redistributed": False}


# Config keys whose value is an input file or folder: pinned sources' `local:` copies, and the
# tables a user may hand over instead of the workflow's own; `samples`: PersonaLens' named user
# samples (an integer `samples` elsewhere is a count, not a path, and is skipped).
INPUT_KEYS = ("local", "samples", "ratings_table", "human_ratings")


def input_entries(config: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(dotted config key of the path, the entry holding it) for every input path set."""
    found = []
    for key, value in config.items():
        if key == "models" and not prefix:
            continue
        if isinstance(value, dict):
            found += input_entries(value, f"{prefix}{key}.")
        elif key in INPUT_KEYS and isinstance(value, str) and value:
            found.append((f"{prefix}{key}", config))
    return found


def resolve_local(path: str, repo: Path) -> Path:
    """As the workflow resolves it (common.smk `local_input`): relative to the repository."""
    resolved = Path(os.path.expandvars(path)).expanduser()
    return resolved if resolved.is_absolute() else (repo / resolved).resolve()


def files_of(path: Path) -> list[tuple[str, Path]]:
    """(name inside the input, file) for a file input (its own name) or a folder (every file)."""
    if path.is_file():
        return [(path.name, path)]
    if path.is_dir():
        return [(str(p.relative_to(path)), p) for p in sorted(path.rglob("*")) if p.is_file()]
    raise BundleError(f"input {path} not found (a `local:` path of the config)")


def input_records(config: dict[str, Any], repo: Path) -> list[dict[str, Any]]:
    records = []
    for key, entry in input_entries(config):
        value = entry[key.rsplit(".", 1)[1]]
        path = resolve_local(value, repo)
        # A protocol pack is read with the upstream files beside it (protocol.py: a pack's
        # file_root is its folder): the record holds the folder, and names the pack in it.
        pack = path.name if key.endswith("protocol.local") and path.is_file() else None
        if pack:
            path = path.parent
        record = {
            "config_key": key,
            "local": value,
            **({"pack": pack} if pack else {}),
            "path": str(path),
            "kind": "file" if path.is_file() else "folder",
            **{k: entry[k] for k in PIN_KEYS if entry.get(k)},
            **license_of(entry, path),
            "files": [
                {"name": name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
                for name, p in files_of(path)
            ],
        }
        records.append(record)
    return records


def input_member(record: dict[str, Any], name: str) -> str:
    return f"inputs/{record['config_key']}/{name}"


def environment(config: dict[str, Any], repo: Path) -> dict[str, Any]:
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True
    )
    images = {}
    for role, image in sorted(config.get("containers", {}).items()):
        path = resolve_local(image, repo) if "://" not in image else None
        images[role] = {
            "image": image,
            "sha256": sha256_file(path) if path and path.is_file() else None,
            **({} if path and path.is_file() else {"note": "image not built on this machine"}),
        }
    return {
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "pip_freeze": sorted(
            line for line in freeze.stdout.splitlines() if line and not line.startswith("#")
        ),
        "containers": images,
    }
