"""`python -m personascope.download URL OUT`: fetch a pinned input, atomically, with retries.

Integrity is checked by the step that reads the file (per-file sha256 manifests), not here:
upstream archives hold more than the files we pin.
"""

from __future__ import annotations

import shutil
import sys
import time
import urllib.request
from pathlib import Path

from .io import atomic_path


def download(url: str, out: Path, attempts: int = 3, timeout: float = 60.0) -> None:
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                atomic_path(out) as tmp,
                tmp.open("wb") as fh,
            ):
                shutil.copyfileobj(response, fh)
            return
        except OSError as exc:
            last = exc
            print(f"download {url}: attempt {attempt}/{attempts} failed: {exc}", file=sys.stderr)
            time.sleep(2**attempt)
    raise RuntimeError(
        f"could not download {url} ({last}); on an offline machine point the config's `local` "
        f"entry at a copy of the file"
    )


if __name__ == "__main__":
    download(sys.argv[1], Path(sys.argv[2]))
