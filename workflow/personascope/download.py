"""`python -m personascope.download URL OUT [--sha256 HEX]`: fetch a pinned input, atomically.

A body is kept only when it is whole: as long as the server's Content-Length says, and, when the
expected sha256 is known (a file pinned one by one), with that digest. Anything else is retried,
then refused. The step that reads a file verifies it again against its manifest (upstream
archives hold more than the files we pin, so some downloads have no digest of their own).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import sys
import time
import urllib.request
from pathlib import Path

from .errors import InputDataError
from .io import atomic_path

CHUNK = 1 << 20


class IncompleteDownload(InputDataError):
    """A body shorter or longer than announced, or with another digest than pinned."""


def fetch_verified(url: str, tmp: Path, sha256: str | None, timeout: float) -> None:
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as fh:
        announced = response.headers.get("Content-Length")
        while block := response.read(CHUNK):
            fh.write(block)
            digest.update(block)
            received += len(block)
    if announced is not None and announced.strip().isdigit() and received != int(announced):
        raise IncompleteDownload(
            f"download {url}: received {received} bytes, the server announced {announced}"
        )
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        raise IncompleteDownload(
            f"download {url}: sha256 {digest.hexdigest()} is not the pinned {sha256.lower()}"
        )


def download(
    url: str, out: Path, attempts: int = 3, timeout: float = 60.0, sha256: str | None = None
) -> None:
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            with atomic_path(out) as tmp:
                fetch_verified(url, tmp, sha256, timeout)
            return
        except (OSError, http.client.HTTPException, IncompleteDownload) as exc:
            last = exc
            print(f"download {url}: attempt {attempt}/{attempts} failed: {exc}", file=sys.stderr)
            if attempt < attempts:
                time.sleep(2**attempt)
    raise InputDataError(
        f"could not download {url} ({last}); nothing was kept. On an offline machine point the "
        f"config's `local` entry at a copy of the file"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m personascope.download")
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sha256", default=None, help="the pinned digest of the file")
    args = parser.parse_args(argv)
    try:
        download(args.url, args.out, sha256=args.sha256)
    except InputDataError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
