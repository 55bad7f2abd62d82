"""Helpers of the bundle tests: read a bundle's members, repack them as anyone could (not
through the bundle writer), and run `python -m personascope rebuild` as a user does."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import REPO

# Every proxy at a closed port: any download or API call in the rebuild fails at once.
NO_NETWORK = {
    var: "http://127.0.0.1:9"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")
}


def members_of(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def repack(members: dict[str, bytes], target: Path, links: dict[str, str] | None = None) -> Path:
    """A plain .tar.gz of `members`, plus symbolic-link members `links` (name -> target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, linkname in (links or {}).items():
            link = tarfile.TarInfo(name)
            link.type = tarfile.SYMTYPE
            link.linkname = linkname
            tar.addfile(link)
    target.write_bytes(gzip.compress(buf.getvalue()))
    return target


def rebuild(bundle: Path, into: Path, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    """The rebuild command of this checkout's package, with no network."""
    env = {**os.environ, **NO_NETWORK, "PYTHONPATH": str(REPO / "workflow")}
    return subprocess.run(
        [sys.executable, "-m", "personascope", "rebuild", str(bundle), "--into", str(into)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
