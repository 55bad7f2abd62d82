"""Content-addressed call cache under every engine.

One JSON file per call, named by the hash of (engine, model, revision, messages, sampling) and
written atomically. Files rather than a database because SLURM jobs on different nodes share the
cache over a network file system, where SQLite locking is unreliable; a rename is atomic there.

A record is served only after it is validated: UTF-8 JSON of the written structure, whose request
hashes to the file's name and whose response has the written types. Anything else (a torn or
edited file, a directory in its place) is moved aside into `_quarantine/` with a warning and the
call is made again, so bad cached content never fails a job twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import EngineError
from ..io import atomic_path
from .base import (
    ChatRequest,
    ChatResponse,
    Engine,
    apply_request_quirks,
    apply_response_quirks,
    constraint_mismatch,
    request_key,
)
from .progress import Progress

log = logging.getLogger("personascope.engines")

QUARANTINE = "_quarantine"
RESPONSE_STRINGS = ("text", "finish_reason", "engine", "model", "revision")
RESPONSE_COUNTS = ("prompt_tokens", "completion_tokens")


def stored_request_key(request: Any) -> str | None:
    """The key a record's stored request hashes to (as `request_key` computes it), or None."""
    if not isinstance(request, dict):
        return None
    fields = {"engine", "model", "revision", "messages", "sampling"}
    if set(request) not in (fields, fields | {"constraint"}):
        return None
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def record_problem(key: str, record: Any) -> str | None:
    """Why `record` may not be served as the call `key`, or None when it may."""
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    missing = sorted({"key", "request", "response"} - set(record))
    if missing:
        return f"missing field(s) {missing}"
    if record["key"] != key:
        return f"its stored key {str(record['key'])[:16]!r}... is not its address"
    if stored_request_key(record["request"]) != key:
        return "its stored request does not hash to its address"
    response = record["response"]
    if not isinstance(response, dict):
        return "response is not an object"
    for name in RESPONSE_STRINGS:
        if not isinstance(response.get(name), str):
            return f"response.{name} is not a string"
    for name in RESPONSE_COUNTS:
        value = response.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"response.{name} is not a count"
    latency = response.get("latency_s")
    if isinstance(latency, bool) or not isinstance(latency, int | float):
        return "response.latency_s is not a number"
    if not math.isfinite(latency) or latency < 0:
        return "response.latency_s is not a finite duration"
    if response.get("raw_text") is not None and not isinstance(response["raw_text"], str):
        return "response.raw_text is not a string"
    return None


class ConstraintIgnored(EngineError):
    """A constrained answer that does not match its constraint: the engine or server did not
    apply it (an unknown field dropped, a schema it could not convert)."""


def describe_request(request: ChatRequest, limit: int = 120) -> str:
    last = request.messages[-1] if request.messages else {"role": "-", "content": ""}
    content = " ".join(last["content"].split())
    if len(content) > limit:
        content = content[:limit] + "..."
    return f"{len(request.messages)} messages, last ({last['role']}): {content!r}"


class CallCache:
    """`quarantine=False` for a read-only view (a replay bundle): bad records are only skipped."""

    def __init__(self, root: str | os.PathLike[str], *, quarantine: bool = True) -> None:
        self.root = Path(root)
        self.quarantine = quarantine

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The validated record of call `key`; None when absent or invalid (then recomputed)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:  # a directory or an unreadable file at the key's path
            return self._reject(key, path, f"unreadable ({type(exc).__name__})")
        try:
            record = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            return self._reject(key, path, "not UTF-8")
        except json.JSONDecodeError as exc:
            return self._reject(key, path, f"not JSON ({exc.msg} at byte {exc.pos})")
        except RecursionError:
            return self._reject(key, path, "nested too deeply")
        problem = record_problem(key, record)
        if problem is not None:
            return self._reject(key, path, problem)
        return record

    def _reject(self, key: str, path: Path, problem: str) -> None:
        if not self.quarantine:
            log.warning("call cache %s: record %s is invalid (%s); not served", path, key, problem)
            return None
        target = self.root / QUARANTINE / f"{key}.{time.time_ns()}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # another job moved it aside first
            os.replace(path, target)
        log.warning(
            "call cache: record %s is invalid (%s); moved to %s, the call is made again",
            path,
            problem,
            target,
        )
        return None

    def put(self, key: str, record: dict[str, Any]) -> None:
        # A temp name that no `??/*.json` glob (keys(), a bundle's file list) takes for a record.
        with atomic_path(self.path(key), prefix=".tmp-", suffix=".part") as tmp:
            tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()

    def keys(self) -> Iterator[str]:
        if self.root.exists():
            for path in self.root.glob("??/*.json"):
                yield path.stem


class CachedEngine:
    """The engine callers use: quirks, cache lookups, batching of misses, accounting.

    Request quirks are applied here, once, before the cache key is computed (so the key is of
    what the model was sent); response quirks are applied here, once, to what the engine
    returned; engines themselves never apply quirks.
    """

    def __init__(
        self, engine: Engine, cache: CallCache | None, progress_interval_s: float = 30.0
    ) -> None:
        self.engine = engine
        self.spec = engine.spec
        self.identity = engine.identity()
        self.cache = cache
        self.progress_interval_s = progress_interval_s
        self.calls = 0
        self.hits = 0
        self.prompt_tokens = 0
        self.prefix_cached_tokens = 0
        self.completion_tokens = 0
        self.latency_s = 0.0
        # Every key this job asked for (hit or call), first-request order: the bundle carries
        # exactly these records (issue #16), not the whole cache directory.
        self.requested: dict[str, None] = {}

    def prepare(self, request: ChatRequest) -> ChatRequest:
        messages = apply_request_quirks(request.messages, self.spec.quirks)
        return ChatRequest.of(messages, request.sampling, request.constraint)

    def key(self, prepared: ChatRequest) -> str:
        return request_key(self.identity, prepared)

    def verify(self, request: ChatRequest, response: ChatResponse, key: str) -> None:
        """A constrained answer must match the constraint the engine says it applied."""
        if request.constraint is None:
            return
        problem = constraint_mismatch(request.constraint, response)
        if problem:
            raise ConstraintIgnored(
                f"engine {self.spec.engine}, model {self.spec.name} ({self.spec.model}): "
                f"constraint {request.constraint.name!r} ({response.constrained}) did not take "
                f"effect: {problem}; request {key[:12]}: {describe_request(request)}; "
                f"answer {response.text[:160]!r}"
            )

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        prepared = [self.prepare(r) for r in requests]
        keys = [self.key(r) for r in prepared]
        self.requested.update(dict.fromkeys(keys))
        results: list[ChatResponse | None] = [None] * len(requests)
        pending: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            record = self.cache.get(key) if self.cache else None
            if record is not None:
                results[i] = ChatResponse.from_record(record["response"])
                results[i].cached = True
                self.verify(prepared[i], results[i], key)
                self.hits += 1
            else:
                pending.setdefault(key, []).append(i)
        order = list(pending)
        batch = [prepared[pending[key][0]] for key in order]
        if batch:
            progress = Progress(
                f"model {self.spec.name} ({self.spec.engine})",
                len(batch),
                interval_s=self.progress_interval_s,
            )
            seen: set[int] = set()
            for j, response in self.engine.stream(batch):
                if j in seen:
                    # An engine must yield each item once; recording it twice would double-count.
                    raise EngineError(
                        f"model {self.spec.name}: engine {self.spec.engine} yielded item {j} twice"
                    )
                seen.add(j)
                key = order[j]
                response.raw_text = response.text
                response.text = apply_response_quirks(response.text, self.spec.quirks)
                # Checked before it is cached: an ignored constraint must not be served again.
                self.verify(batch[j], response, key)
                if self.cache is not None:
                    self.cache.put(
                        key,
                        {
                            "key": key,
                            "request": {
                                **self.identity,
                                "messages": list(batch[j].messages),
                                "sampling": asdict(batch[j].sampling),
                                **(
                                    {"constraint": asdict(batch[j].constraint)}
                                    if batch[j].constraint is not None
                                    else {}
                                ),
                            },
                            "response": response.to_record(),
                        },
                    )
                self.calls += 1
                self.prompt_tokens += response.prompt_tokens
                self.prefix_cached_tokens += response.prefix_cached_tokens
                self.completion_tokens += response.completion_tokens
                self.latency_s += response.latency_s
                progress.update(response.prompt_tokens + response.completion_tokens)
                for i in pending[key]:
                    results[i] = response
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise EngineError(f"model {self.spec.name}: no response for batch items {missing}")
        return results  # type: ignore[return-value]

    def cost_usd(self) -> float | None:
        """Estimated cost of the calls this job made (cache hits are free); None without a price."""
        price = self.spec.price
        if not price:
            return None
        return (
            self.prompt_tokens * price.get("input", 0.0)
            + self.completion_tokens * price.get("output", 0.0)
        ) / 1e6

    def usage(self) -> dict[str, Any]:
        cost = self.cost_usd()
        return {
            "model": self.spec.name,
            "engine": self.spec.engine,
            "model_id": self.spec.model,
            "revision": self.spec.revision,
            "calls": self.calls,
            "cache_hits": self.hits,
            "prompt_tokens": self.prompt_tokens,
            # of prompt_tokens: evaluated by the model, and served from a kept prefix state
            "prompt_tokens_evaluated": self.prompt_tokens - self.prefix_cached_tokens,
            "prompt_tokens_from_prefix_cache": self.prefix_cached_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 3),
            "estimated_cost_usd": None if cost is None else round(cost, 6),
            **self.engine.usage_extra(),
            "requested_keys": list(self.requested),
        }

    def close(self) -> None:
        self.engine.close()
