"""Writes under SIGKILL and under a group's umask: an artifact or cache record is the old one or
the whole new one, never torn; files get 0666 less the umask (not mkstemp's 0600)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tally import CRASHED, RECOVERED, record

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from personascope.engines.cache import CallCache
    from personascope.io import write_json
    target, cache = Path(sys.argv[1]), CallCache(sys.argv[2])
    n = 0
    while True:
        n += 1
        write_json({"n": n, "payload": "x" * 400_000}, target)
        cache.put("ab" + "0" * 62, {"n": n, "payload": "y" * 200_000})
    """
)


def test_sigkill_mid_write_never_leaves_a_torn_file(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    target, cache = tmp_path / "out" / "artifact.json", tmp_path / "cache"
    record_path = cache / "ab" / ("ab" + "0" * 62 + ".json")
    for attempt in range(8):
        proc = subprocess.Popen([sys.executable, str(script), str(target), str(cache)])
        deadline = time.monotonic() + 60
        while not record_path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 * (attempt + 1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        try:
            artifact = json.loads(target.read_text(encoding="utf-8"))
            cached = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            record("writes", CRASHED)
            pytest.fail(f"kill {attempt}: a torn file ({exc})")
        assert len(artifact["payload"]) == 400_000 and len(cached["payload"]) == 200_000
        record("writes", RECOVERED)


PERMISSIONS = textwrap.dedent(
    """
    import os, sys
    os.umask(int(sys.argv[2], 8))
    from pathlib import Path
    from personascope.engines.cache import CallCache
    from personascope.io import write_text
    root = Path(sys.argv[1])
    write_text("x", root / "artifact.txt")
    CallCache(root / "cache").put("cd" + "1" * 62, {"k": 1})
    """
)


@pytest.mark.parametrize(("umask", "mode"), [("022", 0o644), ("002", 0o664), ("077", 0o600)])
def test_files_get_the_umask_permissions(tmp_path: Path, umask: str, mode: int) -> None:
    script = tmp_path / "perm.py"
    script.write_text(PERMISSIONS)
    subprocess.run([sys.executable, str(script), str(tmp_path), umask], check=True)
    record_path = tmp_path / "cache" / "cd" / ("cd" + "1" * 62 + ".json")
    assert (tmp_path / "artifact.txt").stat().st_mode & 0o777 == mode
    assert record_path.stat().st_mode & 0o777 == mode
