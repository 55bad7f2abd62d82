"""The bundle file itself: a deterministic .tar.gz whose first member, MANIFEST.json, names every
other member with its sha256, and whose file name carries the digest of that manifest.

Writing is byte-reproducible (sorted members, zero times and owners, gzip without a name or a
date), so the same run bundles to the same bytes. Reading verifies before anything is unpacked:
a member that was altered, removed or added, a link, a path outside the bundle, or a manifest
that does not match the digest in the file name is refused with the member's name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import BundleError
from ..io import atomic_path

MANIFEST = "MANIFEST.json"
FORMAT = "personascope-bundle/1"
DIGEST_CHARS = 16
NAME = re.compile(r"personascope-([0-9a-f]{16,64})\.tar\.gz$")
CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(obj: Any) -> bytes:
    """The one JSON form of every bundle document: sorted keys, two-space indent, newline."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_bundle(
    members: Mapping[str, Path | bytes], meta: dict[str, Any], out_dir: str | Path
) -> tuple[Path, str]:
    """Write `personascope-<digest>.tar.gz` into `out_dir`; members: archive name -> a file on
    disk or the bytes themselves. Returns the bundle's path and the manifest's full digest."""
    entries: dict[str, dict[str, Any]] = {}
    for name in sorted(members):
        check_member_name(name)
        value = members[name]
        if isinstance(value, bytes):
            entries[name] = {"sha256": hashlib.sha256(value).hexdigest(), "bytes": len(value)}
        else:
            entries[name] = {"sha256": sha256_file(value), "bytes": Path(value).stat().st_size}
    blob = canonical_json({**meta, "format": FORMAT, "members": entries})
    digest = hashlib.sha256(blob).hexdigest()
    target = Path(out_dir) / f"personascope-{digest[:DIGEST_CHARS]}.tar.gz"
    with (
        atomic_path(target) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_tarinfo(MANIFEST, len(blob)), io.BytesIO(blob))
        for name in sorted(members):
            value = members[name]
            if isinstance(value, bytes):
                tar.addfile(_tarinfo(name, len(value)), io.BytesIO(value))
            else:
                with open(value, "rb") as fh:
                    tar.addfile(_tarinfo(name, entries[name]["bytes"]), fh)
    return target, digest


def check_member_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name == MANIFEST:
        raise BundleError(f"bundle member {name!r}: not a plain relative path inside the bundle")


def verify(bundle: str | Path) -> dict[str, Any]:
    """Check every member of `bundle` against its manifest; return the manifest.

    Raises BundleError naming the first member that was altered, removed or added (or is not a
    plain file) — before anything is unpacked or run.
    """
    bundle = Path(bundle)
    if not bundle.is_file():
        raise BundleError(f"bundle not found: {bundle}")
    try:
        with tarfile.open(bundle, "r:gz") as tar:
            return _verify_open(bundle, tar)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"bundle {bundle}: not a readable .tar.gz ({exc})") from exc


def _verify_open(bundle: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    seen: dict[str, str] = {}
    manifest_blob: bytes | None = None
    for info in tar:
        if not info.isfile():
            raise BundleError(f"bundle {bundle}: member {info.name} is not a plain file (added?)")
        if info.name in seen or (info.name == MANIFEST and manifest_blob is not None):
            raise BundleError(f"bundle {bundle}: member {info.name} appears twice (added)")
        fh = tar.extractfile(info)
        assert fh is not None
        if info.name == MANIFEST:
            manifest_blob = fh.read()
            continue
        check_member_name(info.name)
        digest = hashlib.sha256()
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
        seen[info.name] = digest.hexdigest()
    if manifest_blob is None:
        raise BundleError(f"bundle {bundle}: no {MANIFEST} (not a personascope bundle)")
    match = NAME.search(bundle.name)
    actual = hashlib.sha256(manifest_blob).hexdigest()
    if match and not actual.startswith(match.group(1)):
        raise BundleError(
            f"bundle {bundle}: member {MANIFEST} was altered (its sha256 {actual[:DIGEST_CHARS]} "
            f"is not the digest {match.group(1)} in the bundle's name)"
        )
    try:
        manifest = json.loads(manifest_blob)
    except json.JSONDecodeError as exc:
        raise BundleError(f"bundle {bundle}: member {MANIFEST} is not JSON ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BundleError(
            f"bundle {bundle}: {MANIFEST} format {manifest.get('format')!r}, expected {FORMAT!r}"
        )
    listed = manifest.get("members", {})
    for name in sorted(seen):
        if name not in listed:
            raise BundleError(f"bundle {bundle}: member {name} is not in {MANIFEST} (added)")
        if seen[name] != listed[name]["sha256"]:
            raise BundleError(
                f"bundle {bundle}: member {name} was altered (sha256 {seen[name]}, "
                f"{MANIFEST} records {listed[name]['sha256']})"
            )
    for name in sorted(listed):
        if name not in seen:
            raise BundleError(f"bundle {bundle}: member {name} is missing (removed)")
    manifest["digest"] = actual
    return manifest


def extract(bundle: str | Path, dest: str | Path) -> None:
    """Unpack a bundle that `verify` accepted (plain files only, names already checked)."""
    with tarfile.open(bundle, "r:gz") as tar:
        tar.extractall(dest, filter="data")
