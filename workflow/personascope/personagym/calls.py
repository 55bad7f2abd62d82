"""Model calls of the PersonaGym steps: the pack's texts, engines, and what a failed call becomes.

Principled: a failed call is an error — the job fails after every finished call reached the call
cache, so a rerun repeats only the failed ones. Published quirks: a failed call's text is
upstream's 'Error', which the next stage then grades as an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..engines import CachedEngine, ChatRequest, ChatResponse, Sampling
from ..protocol import load_pack
from .benchmark import Benchmark
from .texts import Texts

log = logging.getLogger("personascope.personagym")

# upstream's openai/llama engines return this text once their attempts are spent
FAILED_CALL_TEXT = "Error"


def open_texts(protocol: dict[str, Any], data: dict[str, Any]) -> tuple[Texts, Benchmark]:
    benchmark = Benchmark.open(data["local"], data["commit"])
    texts = Texts.from_pack(load_pack("personagym", protocol), benchmark.tasks())
    return texts, benchmark


def sampling_of(engine: CachedEngine, cfg: dict[str, Any], **override: Any) -> Sampling:
    """The stage's sampling from config, over the registry entry's generation defaults."""
    return Sampling.from_config({**engine.spec.generation, **cfg}, **override)


def helper_messages(system: str | None, user: str) -> list[dict[str, str]]:
    """A request upstream sends as a user message alone; `system` when config asks for one
    (the local model drifts without a system prompt)."""
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": user}]


def generate(
    engine: CachedEngine, requests: Sequence[ChatRequest], published_quirks: bool
) -> list[tuple[str, str | None, ChatResponse | None]]:
    """(text, error, response) per request. Principled: any failure raises (after the batch).
    Published quirks: the batch, then each failed request once more alone; still failing, its
    text is upstream's 'Error'."""
    if not published_quirks:
        return [(r.text, None, r) for r in engine.generate(list(requests))]
    try:
        return [(r.text, None, r) for r in engine.generate(list(requests))]
    except Exception as exc:
        log.warning("batch failed (%s); retrying each request alone", exc)
    out: list[tuple[str, str | None, ChatResponse | None]] = []
    for request in requests:
        try:
            (response,) = engine.generate([request])
            out.append((response.text, None, response))
        except Exception as exc:
            out.append((FAILED_CALL_TEXT, f"{type(exc).__name__}: {exc}", None))
    return out
