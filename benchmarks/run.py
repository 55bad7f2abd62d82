"""Benchmarks, run by hand (`make bench`), never as tests: numbers depend on the machine.

- local engine: load time, prompt and generation throughput of SmolLM2-135M on this CPU;
- call cache: writes and reads per second (one file per call, atomic rename);
- release: time to verify and normalize the PersonaLens archive;
- prefix reuse: scripted dialogues and one checkpoint's items through the local engine with and
  without its prefix cache, side by side (benchmarks/prefix_reuse.py).

Prints one JSON object per benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import yaml
from personascope.engines import CallCache, ChatRequest, Sampling, open_engine

REPO = Path(__file__).resolve().parents[1]


def bench_local_engine(n: int) -> dict[str, float]:
    registry = yaml.safe_load((REPO / "config/models.yaml").read_text())["models"]
    start = time.perf_counter()
    engine = open_engine("smollm2-135m", registry["smollm2-135m"], cache_dir=None)
    load_s = time.perf_counter() - start
    requests = [
        ChatRequest.of(
            [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": f"Write three sentences about the number {i}."},
            ],
            Sampling(max_tokens=128),
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    responses = engine.generate(requests)
    wall = time.perf_counter() - start
    completion = sum(r.completion_tokens for r in responses)
    prompt = sum(r.prompt_tokens for r in responses)
    engine.close()
    return {
        "load_s": round(load_s, 3),
        "calls": n,
        "wall_s": round(wall, 2),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "completion_tok_per_s": round(completion / wall, 1),
    }


def bench_cache(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cache = CallCache(tmp)
        record = {"response": {"text": "x" * 400}, "request": {"messages": ["m" * 2000]}}
        start = time.perf_counter()
        for i in range(n):
            cache.put(f"{i:064x}", record)
        put_s = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(n):
            assert cache.get(f"{i:064x}") is not None
        get_s = time.perf_counter() - start
    return {"entries": n, "puts_per_s": round(n / put_s), "gets_per_s": round(n / get_s)}


def bench_release(archive: Path) -> dict[str, float]:
    from personascope.personalens.release import load_verified, normalize

    manifest = next((REPO / "resources/checksums").glob("personalens-*.sha256"))
    start = time.perf_counter()
    tables = normalize(load_verified(archive, manifest))
    return {
        "wall_s": round(time.perf_counter() - start, 2),
        "scenarios": tables["scenarios"].num_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--cache-entries", type=int, default=5000)
    parser.add_argument(
        "--archive",
        type=Path,
        default=Path(os.environ.get("PERSONASCOPE_SHARED_DATA", REPO.parent / "shared/data"))
        / "personalens-e755f90a3600e80222e129a14a3b218fc6d2c808.tar.gz",
    )
    parser.add_argument("--reuse-dialogues", type=int, default=4)
    parser.add_argument("--reuse-rounds", type=int, default=12)
    parser.add_argument("--reuse-items", type=int, default=8)
    parser.add_argument("--reuse-max-tokens", type=int, default=32)
    parser.add_argument("--only", choices=["prefix_reuse"], help="run one benchmark alone")
    args = parser.parse_args()
    if args.only == "prefix_reuse":
        print(json.dumps({"prefix_reuse": reuse_benchmark(args)}))
        return
    print(json.dumps({"local_engine": bench_local_engine(args.calls)}))
    print(json.dumps({"call_cache": bench_cache(args.cache_entries)}))
    if args.archive.is_file():
        print(json.dumps({"personalens_release": bench_release(args.archive)}))
    print(json.dumps({"prefix_reuse": reuse_benchmark(args)}))


def reuse_benchmark(args: argparse.Namespace) -> dict:
    from prefix_reuse import bench_prefix_reuse

    return bench_prefix_reuse(
        args.reuse_dialogues, args.reuse_rounds, args.reuse_items, args.reuse_max_tokens
    )


if __name__ == "__main__":
    main()
