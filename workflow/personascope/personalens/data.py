"""Data steps of the PersonaLens study, as the workflow calls them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .release import build_tables
from .scenarios import write_sample


def release(inputs: dict[str, Path], outputs: dict[str, Path], params: dict[str, Any]) -> None:
    build_tables(Path(inputs["archive"]), Path(inputs["manifest"]), outputs)


def sample(inputs: dict[str, Path], outputs: dict[str, Path], params: dict[str, Any]) -> None:
    write_sample(Path(inputs["scenarios"]), params, Path(outputs["sample"]))
