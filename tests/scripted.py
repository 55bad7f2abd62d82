"""Test doubles for the engine interface (tests only): engines that answer from a function.

They stand in for a model where a test checks the code around the model (the loop, the cache,
the judge's re-ask), never the model itself: the real model is exercised by the workflow tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from personascope.engines import CachedEngine, CallCache, ChatRequest, ChatResponse, ModelSpec
from personascope.engines.base import Engine


def spec(name: str = "scripted", **overrides: object) -> ModelSpec:
    entry = {
        "engine": "local",
        "model": f"test/{name}",
        "revision": "r1",
        "family": "test",
        "size_class": 1,
        **overrides,
    }
    return ModelSpec.from_registry(name, entry)


class FunctionEngine(Engine):
    """Answers each request with `reply(request)`; records every batch it was sent."""

    def __init__(
        self, model: ModelSpec, reply: Callable[[ChatRequest], str], form: str | None = None
    ) -> None:
        super().__init__(model)
        self.reply = reply
        # the constraint form this stand-in claims to apply to constrained requests (None: none)
        self.constraint_form = form
        self.batches: list[list[ChatRequest]] = []

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        self.batches.append(list(requests))
        for i, request in enumerate(requests):
            yield (
                i,
                ChatResponse(
                    text=self.reply(request),
                    finish_reason="stop",
                    prompt_tokens=10,
                    completion_tokens=5,
                    engine=self.spec.engine,
                    model=self.spec.model,
                    revision=self.spec.revision,
                    latency_s=0.0,
                    constrained=self.constraint_form if request.constraint else None,
                ),
            )

    @property
    def calls(self) -> int:
        return sum(len(b) for b in self.batches)


def cached(
    reply: Callable[[ChatRequest], str],
    cache_dir: object = None,
    form: str | None = None,
    **spec_overrides: object,
) -> tuple[CachedEngine, FunctionEngine]:
    engine = FunctionEngine(spec(**spec_overrides), reply, form)
    return CachedEngine(engine, CallCache(cache_dir) if cache_dir else None), engine
