"""Calling a workflow step from a test exactly as the CLI does: its JSON params must hold
every field of the step's parameters dataclass (personascope/steps.py)."""

from __future__ import annotations

from typing import Any

from personascope.steps import build_params


def call_step(func: Any, inputs: dict[str, Any], outputs: dict[str, Any], **params: Any) -> None:
    func(inputs, outputs, build_params(func.__qualname__, func.params_type, params))
