"""Content-addressed call cache under every engine.

One JSON file per call, named by the hash of (engine, model, revision, messages, sampling) and
written atomically. Files rather than a database because SLURM jobs on different nodes share the
cache over a network file system, where SQLite locking is unreliable; a rename is atomic there.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .base import (
    ChatRequest,
    ChatResponse,
    Engine,
    apply_request_quirks,
    apply_response_quirks,
    request_key,
)


class CallCache:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        try:
            with path.open(encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return None
        except json.JSONDecodeError:
            # A torn file cannot come from our atomic writes; treat it as absent, never as a result.
            return None

    def put(self, key: str, record: dict[str, Any]) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()

    def keys(self) -> Iterator[str]:
        if self.root.exists():
            for path in self.root.glob("??/*.json"):
                yield path.stem


class CachedEngine:
    """The engine callers use: quirks, cache lookups, batching of misses, accounting."""

    def __init__(self, engine: Engine, cache: CallCache | None) -> None:
        self.engine = engine
        self.spec = engine.spec
        self.cache = cache
        self.calls = 0
        self.hits = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def prepare(self, request: ChatRequest) -> ChatRequest:
        messages = apply_request_quirks(request.messages, self.spec.quirks)
        return ChatRequest.of(messages, request.sampling)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        prepared = [self.prepare(r) for r in requests]
        keys = [request_key(self.spec, r) for r in prepared]
        results: list[ChatResponse | None] = [None] * len(requests)
        pending: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            record = self.cache.get(key) if self.cache else None
            if record is not None:
                results[i] = ChatResponse.from_record(record["response"])
                results[i].cached = True
                self.hits += 1
            else:
                pending.setdefault(key, []).append(i)
        order = list(pending)
        batch = [prepared[pending[key][0]] for key in order]
        if batch:
            for j, response in self.engine.stream(batch):
                key = order[j]
                response.raw_text = response.text
                response.text = apply_response_quirks(response.text, self.spec.quirks)
                if self.cache is not None:
                    self.cache.put(
                        key,
                        {
                            "key": key,
                            "request": {
                                "model": self.spec.model,
                                "engine": self.spec.engine,
                                "revision": self.spec.revision,
                                "messages": list(batch[j].messages),
                                "sampling": asdict(batch[j].sampling),
                            },
                            "response": response.to_record(),
                        },
                    )
                self.calls += 1
                self.prompt_tokens += response.prompt_tokens
                self.completion_tokens += response.completion_tokens
                for i in pending[key]:
                    results[i] = response
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"model {self.spec.name}: no response for batch items {missing}")
        return results  # type: ignore[return-value]

    def usage(self) -> dict[str, Any]:
        return {
            "model": self.spec.name,
            "engine": self.spec.engine,
            "calls": self.calls,
            "cache_hits": self.hits,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    def close(self) -> None:
        self.engine.close()
