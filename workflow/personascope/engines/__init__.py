"""Model engines behind one batch interface (see `base.Engine`), one module per engine."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatRequest, ChatResponse, Engine, ModelSpec, Sampling
from .cache import CachedEngine, CallCache

# Imported lazily: a job on one engine must not need the others' dependencies installed.
ENGINES: dict[str, str] = {
    "local": "personascope.engines.local:LocalEngine",
    "openai": "personascope.engines.openai:OpenAIEngine",
    "anthropic": "personascope.engines.anthropic:AnthropicEngine",
    "vllm": "personascope.engines.vllm:VLLMEngine",
    "replay": "personascope.engines.replay:ReplayEngine",
}

__all__ = [
    "ENGINES",
    "CachedEngine",
    "CallCache",
    "ChatRequest",
    "ChatResponse",
    "Engine",
    "ModelSpec",
    "Sampling",
    "open_engine",
]


# A comma-separated allow-list of engines for this process: a rebuild from a bundle sets
# `replay`, so no live model, server or API can be opened even by mistake.
ALLOWED_ENGINES_ENV = "PERSONASCOPE_ALLOWED_ENGINES"


def engine_class(name: str) -> type[Engine]:
    allowed = os.environ.get(ALLOWED_ENGINES_ENV)
    if allowed and name not in {e.strip() for e in allowed.split(",")}:
        raise EngineError(
            f"engine {name!r} is not allowed in this process ({ALLOWED_ENGINES_ENV}={allowed}); "
            "a rebuild from a bundle answers every call from its recorded outputs"
        )
    try:
        module_name, class_name = ENGINES[name].split(":")
    except KeyError:
        raise ConfigError(f"unknown engine {name!r}; known engines: {sorted(ENGINES)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def open_engine(
    name: str, entry: dict[str, Any], cache_dir: str | Path | None, **engine_kwargs: Any
) -> CachedEngine:
    """Load the registry entry `name` on its engine, behind the call cache."""
    spec = ModelSpec.from_registry(name, entry)
    cls = engine_class(spec.engine)
    # Class-level default first, so engines can read it while loading (replay's bundle).
    engine = cls.__new__(cls)
    engine.cache_dir = Path(cache_dir) if cache_dir else None
    engine.__init__(spec, **engine_kwargs)
    return CachedEngine(engine, CallCache(cache_dir) if cache_dir else None)
