"""Data steps of PersonaLens (results/personalens/data/): the release normalized into Parquet, the
user/task sample the dialogues use, and the optional LLM regeneration of persona inputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..steps import NoParams, step
from .regenerate import regenerate_inputs
from .release import build_tables
from .scenarios import write_sample


@dataclasses.dataclass(frozen=True)
class SampleParams:
    users: Any  # "all", upstream's named sample N, {random: N} or a list of user ids
    kinds: list[str]
    task_ids: list[str] | None
    domains: list[str] | None
    tasks_per_user: int | None
    seed: int
    samples: str | None  # upstream's named samples (samples.json), for `users: N`


@step(NoParams)
def release(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    build_tables(Path(inputs["archive"]), Path(inputs["manifest"]), outputs)


@step(SampleParams)
def sample(inputs: dict[str, Any], outputs: dict[str, Path], params: SampleParams) -> None:
    write_sample(Path(inputs["scenarios"]), dataclasses.asdict(params), Path(outputs["sample"]))


# The regeneration step lives with its prompts and parsers (regenerate.py).
regenerate = regenerate_inputs
