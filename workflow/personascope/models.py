"""The model registry as jobs see it: open each model once per job, share it between roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .engines import CachedEngine, open_engine


class EngineSet:
    """Engines for the models a job uses, each loaded once (one vLLM load per job, not per role)."""

    def __init__(self, registry: dict[str, dict[str, Any]], cache_dir: str | Path | None) -> None:
        self.registry = registry
        self.cache_dir = cache_dir
        self.engines: dict[str, CachedEngine] = {}

    def open(self, name: str) -> CachedEngine:
        if name not in self.engines:
            if name not in self.registry:
                raise KeyError(
                    f"model {name!r} is not in the model registry ({sorted(self.registry)})"
                )
            self.engines[name] = open_engine(name, self.registry[name], self.cache_dir)
        return self.engines[name]

    def usage(self) -> list[dict[str, Any]]:
        return [engine.usage() for engine in self.engines.values()]

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()
