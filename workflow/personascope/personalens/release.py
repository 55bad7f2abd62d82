"""The PersonaLens release: checksum verification and normalized Parquet tables.

The release archive (GitHub's tarball of amazon-science/PersonaLens at a pinned commit, or our
data-only copy of it) is read straight from the .tar.gz. Every data file is checked against the
sha256 manifest committed in `resources/checksums/`; upstream's tarball holds code files too, so
we key checksums by file, not by archive.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import ConfigError, InputDataError
from ..io import write_parquet

# The profile's survey answers, then where the user was born and lives.
SURVEY_ATTRIBUTES = (
    "age",
    "gender",
    "employment_status",
    "education",
    "marital_status",
    "english_proficiency",
    "ethnicity",
    "religion",
)
DEMOGRAPHICS = [*SURVEY_ATTRIBUTES, "birth_country", "reside_country"]
SITUATION_FIELDS = {
    "Location": "location",
    "Device": "device",
    "Time of Day": "time_of_day",
    "Day of the Week": "day_of_week",
    "Environment": "environment",
}
DATA_PREFIXES = ("data/", "res/schema.json")


class ReleaseError(InputDataError, RuntimeError):
    """The archive is missing, incomplete or does not match the committed checksums."""


def strip_top(name: str) -> str:
    """`PersonaLens-<sha>/data/x` -> `data/x`."""
    return name.split("/", 1)[1] if "/" in name else ""


def iter_release_files(archive: Path) -> Iterator[tuple[str, bytes]]:
    """(path inside the release, bytes) for every data file of the archive."""
    if not archive.is_file():
        raise ReleaseError(f"PersonaLens archive not found: {archive}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = strip_top(member.name)
                if member.isfile() and name.startswith(DATA_PREFIXES):
                    handle = tar.extractfile(member)
                    assert handle is not None
                    yield name, handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ReleaseError(
            f"PersonaLens archive {archive} is not a readable .tar.gz: {exc}"
        ) from exc


def read_manifest(path: Path) -> dict[str, str]:
    manifest = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split("  ", 1)
            manifest[name] = digest
    return manifest


def write_manifest(archive: Path, out: Path) -> int:
    """Write the checksum manifest of an archive (maintainers only, when pinning a new commit)."""
    files = sorted(iter_release_files(archive))
    lines = [f"{hashlib.sha256(blob).hexdigest()}  {name}" for name, blob in files]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def load_verified(archive: Path, manifest_path: Path) -> dict[str, bytes]:
    """All release data files, each checked against the manifest; raises on any mismatch."""
    manifest = read_manifest(manifest_path)
    files: dict[str, bytes] = {}
    mismatched = []
    for name, blob in iter_release_files(archive):
        if name not in manifest:
            continue  # upstream files we do not use (README images, etc.)
        if hashlib.sha256(blob).hexdigest() != manifest[name]:
            mismatched.append(name)
        files[name] = blob
    missing = sorted(set(manifest) - set(files))
    if mismatched or missing:
        detail = []
        if mismatched:
            detail.append(
                f"{len(mismatched)} file(s) differ from the manifest, e.g. {mismatched[:3]}"
            )
        if missing:
            detail.append(f"{len(missing)} file(s) missing, e.g. {missing[:3]}")
        raise ReleaseError(
            f"PersonaLens archive {archive} does not match {manifest_path}: " + "; ".join(detail)
        )
    return files


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name])
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{name}: not valid JSON: {exc}") from exc


def user_number(user_id: str) -> int:
    return int(user_id.removeprefix("user"))


def normalize(files: dict[str, bytes]) -> dict[str, pa.Table]:
    """Turn the release files into the normalized tables the studies read."""
    users = sorted(
        {n.split("/")[2] for n in files if n.startswith("data/profile/")}, key=user_number
    )
    profiles, affinities, interests, interactions, scenarios = [], [], [], [], []
    for user in users:
        base = f"data/profile/{user}"
        profile = _json(files, f"{base}/profile.json")
        demo = profile["demographics"]
        profiles.append({"user_id": user, **{k: str(demo.get(k, "")) for k in DEMOGRAPHICS}})
        for domain, prefs in profile["affinities"].items():
            for pref, value in prefs.items():
                is_list = isinstance(value, list)
                values = [str(v) for v in value] if is_list else [str(value)]
                affinities.append(
                    {
                        "user_id": user,
                        "domain": domain,
                        "preference": pref,
                        "values": values,
                        "is_list": is_list,
                    }
                )
        for domain, flag in profile["interests"].items():
            interests.append({"user_id": user, "domain": domain, "interested": int(flag)})
        for domain, summary in profile["interactions"].items():
            interactions.append({"user_id": user, "domain": domain, "summary": str(summary)})
        for kind, fname in (("SD", "tasks.json"), ("MD", "tasks_md.json")):
            for task in _json(files, f"{base}/{fname}").values():
                situation = task.get("situations", {})
                scenarios.append(
                    {
                        "scenario_id": f"{user}/{task['task_id']}",
                        "user_id": user,
                        "task_id": task["task_id"],
                        "kind": kind,
                        "domains": list(task["Relevant Domains"]),
                        "description": task["Task Description"],
                        "intent": task["User Intent"],
                        "goal": task["Task Goal"],
                        "affinity_types": list(task["Relevant Affinity Types"]),
                        **{
                            col: str(situation.get(key, ""))
                            for key, col in SITUATION_FIELDS.items()
                        },
                    }
                )
    templates = []
    for name in sorted(n for n in files if n.startswith("data/task/") and n.endswith(".jsonl")):
        domain = name.split("/")[2]
        kind = "MD" if domain == "Multi-Domain" else "SD"
        for line in files[name].decode("utf-8").splitlines():
            if not line.strip():
                continue
            task = json.loads(line)
            number = int(task["Task Number"])
            templates.append(
                {
                    "task_id": f"MD-task-{number}"
                    if kind == "MD"
                    else f"SD-{domain}-task-{number}",
                    "kind": kind,
                    "domains": list(task.get("Relevant Domains", [domain])),
                    "description": task["Task Description"],
                    "intent": task["User Intent"],
                    "goal": task["Task Goal"],
                    "affinity_types": list(task["Relevant Affinity Types"]),
                }
            )
    schema = []
    for domain in _json(files, "res/schema.json"):
        for aff in domain["affinities"]:
            schema.append(
                {
                    "domain": domain["domain"],
                    "preference": aff["name"],
                    "description": aff.get("description", ""),
                    "categorical": bool(aff["is_categorical"]),
                    "multiple": bool(aff.get("has_multiple_values", False)),
                    "possible_values": [str(v) for v in (aff.get("possible_values") or [])],
                }
            )
    return {
        "profiles": pa.Table.from_pylist(profiles),
        "affinities": pa.Table.from_pylist(affinities),
        "interests": pa.Table.from_pylist(interests),
        "interactions": pa.Table.from_pylist(interactions),
        "scenarios": pa.Table.from_pylist(scenarios),
        "task_templates": pa.Table.from_pylist(templates),
        "preference_schema": pa.Table.from_pylist(schema),
    }


def build_tables(archive: Path, manifest: Path, outputs: dict[str, Path]) -> None:
    tables = normalize(load_verified(archive, manifest))
    unknown = set(outputs) - set(tables)
    if unknown:
        raise ConfigError(f"unknown release tables requested: {sorted(unknown)}")
    for name, path in outputs.items():
        write_parquet(tables[name], path)
