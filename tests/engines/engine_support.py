"""Helpers and fixtures for the engine tests; modules import them by name from here."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from personascope.engines.local import resolve_gguf

HERE = Path(__file__).resolve().parent
FAKES = HERE.parent / "fakes"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SENTINEL_KEY = "sk-test-SENTINEL-7f3a9c1e5b"


def entry(engine: str, model: str = "fake-model", **options: Any) -> dict[str, Any]:
    return {
        "engine": engine,
        "model": model,
        "revision": "r1",
        "family": "fake",
        "size_class": 1,
        "options": options,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_llama_server(
    port: int, log_path: Path, alias: str = "smollm2"
) -> subprocess.Popen[bytes]:
    """`python -m llama_cpp.server` on loopback with the packaged SmolLM2 GGUF."""
    gguf = resolve_gguf({})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--model_alias",
            alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "8192",
            "--n_threads",
            "2",
        ],
        # To a file, not a pipe: llama.cpp logs a lot, and a full pipe would stall the server.
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama_cpp.server exited ({proc.returncode}): {tail}")
        try:
            with NO_PROXY.open(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(
        f"llama_cpp.server did not come up within 120 s: {log_path.read_text()[-2000:]}"
    )


# Module-scoped: fixtures live here, not in a conftest.py (whose module name would shadow
# tests/conftest.py for `from conftest import ...`), so each module using it starts its own.
@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_llama_server(port, tmp_path_factory.mktemp("llama-server") / "server.log")
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def sentinel_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAKE_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SENTINEL_KEY)
    return SENTINEL_KEY


@pytest.fixture
def vllm_standin(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The stand-in `vllm` module on sys.path, with a fresh call record."""
    monkeypatch.syspath_prepend(str(FAKES / "vllm_standin"))
    for name in [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]:
        monkeypatch.delitem(sys.modules, name)
    import vllm
    from personascope.engines import vllm as adapter

    vllm.CALLS.clear()
    monkeypatch.setattr(adapter, "_LOADED", {})
    return vllm
