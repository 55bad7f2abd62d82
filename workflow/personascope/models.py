"""The model registry as jobs see it: open each model once per job, share it between roles."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

from .engines import CachedEngine, open_engine
from .errors import ConfigError
from .io import write_json

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ModelJobParams:
    """The parameters every model job shares (common.smk's `step_params(models_of=...)`): the
    registry entries of the models it opens and the call cache. A model step's parameters
    class extends this one."""

    models: dict[str, dict[str, Any]]
    cache_dir: str


class EngineSet:
    """Engines for the models a job uses, each loaded once (one vLLM load per job, not per role).

    As a context manager it closes every engine on exit and, when the job succeeded, writes the
    job's usage summary (calls, cache hits, tokens, cost per model) to `usage`.
    """

    def __init__(
        self,
        registry: dict[str, dict[str, Any]],
        cache_dir: str | Path | None,
        usage: str | Path | None = None,
    ) -> None:
        self.registry = registry
        self.cache_dir = cache_dir
        self.usage_path = usage
        self.engines: dict[str, CachedEngine] = {}

    @classmethod
    def of(cls, params: ModelJobParams, usage: str | Path | None = None) -> EngineSet:
        return cls(params.models, params.cache_dir, usage)

    def __enter__(self) -> EngineSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        log.info("usage: %s", self.usage())
        try:
            if exc_type is None and self.usage_path is not None:
                write_json(self.usage(), self.usage_path)
        finally:
            self.close()

    def open(self, name: str) -> CachedEngine:
        if name not in self.engines:
            if name not in self.registry:
                raise ConfigError(
                    f"model {name!r} is not in the model registry ({sorted(self.registry)})"
                )
            self.engines[name] = open_engine(name, self.registry[name], self.cache_dir)
        return self.engines[name]

    def usage(self) -> list[dict[str, Any]]:
        return [engine.usage() for engine in self.engines.values()]

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()
