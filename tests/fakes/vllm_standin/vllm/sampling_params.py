"""STAND-IN for `vllm.sampling_params.StructuredOutputsParams` (vLLM's structured outputs,
which replaced `GuidedDecodingParams`): the fields personascope may set, and vLLM's rule that
exactly one kind of constraint is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class StructuredOutputsParams:
    json: str | dict[str, Any] | None = None
    regex: str | None = None
    choice: list[str] | None = None
    grammar: str | None = None
    json_object: bool | None = None
    disable_fallback: bool = False
    disable_any_whitespace: bool = False
    disable_additional_properties: bool = False
    whitespace_pattern: str | None = None
    structural_tag: str | None = None

    def __post_init__(self) -> None:
        given = [
            self.json is not None,
            self.regex is not None,
            self.choice is not None,
            self.grammar is not None,
            bool(self.json_object),
            self.structural_tag is not None,
        ]
        if sum(given) != 1:
            raise ValueError("You must use one kind of structured outputs constraint")
