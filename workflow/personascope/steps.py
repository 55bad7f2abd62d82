"""The contract between a Snakemake rule and the package step it calls.

A step is a function in `personascope.<study>.<stage>` (a module, or a package for a large stage),
named on the command line by its module path: `personalens.dialogues.simulate` is the function
`simulate` of `personascope.personalens.dialogues`. It takes the job's named inputs and outputs (the
rule's own `input:`/`output:` names, passed by `common.smk`'s `step()`) and one frozen dataclass of
parameters, declared with `@step(Params)`. The rule's JSON must hold exactly that dataclass's
fields: an unknown or missing key is a `ConfigError` naming the step and the key. Defaults live in
the config schema, not here, so a parameters class has no field defaults.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError

Files = dict[str, Any]  # name -> Path, or a list of Paths for a list input
StepFunction = Callable[[Files, Files, Any], None]
F = TypeVar("F", bound=StepFunction)


@dataclasses.dataclass(frozen=True)
class NoParams:
    """The parameters of a step that takes none."""


def step(params: type = NoParams) -> Callable[[F], F]:
    """Mark a function as a workflow step whose parameters are the frozen dataclass `params`."""
    if not (dataclasses.is_dataclass(params) and params.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"step parameters must be a frozen dataclass, not {params!r}")

    def mark(func: F) -> F:
        func.params_type = params  # type: ignore[attr-defined]
        return func

    return mark


def resolve(name: str) -> StepFunction:
    """`<study>.<stage>.<function>` -> the step function (a ConfigError if there is none)."""
    module_name, _, func_name = name.rpartition(".")
    if not module_name or not func_name:
        raise ConfigError(f"step {name!r}: expected <study>.<stage>.<function>")
    try:
        module = importlib.import_module(f"personascope.{module_name}")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"step {name!r}: no module personascope.{module_name}") from exc
    func = getattr(module, func_name, None)
    if func is None or not hasattr(func, "params_type"):
        raise ConfigError(f"step {name!r}: personascope.{module_name} has no step {func_name!r}")
    return func


def build_params(name: str, params_type: type, raw: dict[str, Any]) -> Any:
    """The step's parameters from the rule's JSON; exactly the dataclass's fields."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"step {name}: parameters must be a JSON object, got {type(raw).__name__}"
        )
    fields = {f.name for f in dataclasses.fields(params_type)}
    unknown = sorted(set(raw) - fields)
    missing = sorted(fields - set(raw))
    if unknown:
        raise ConfigError(
            f"step {name}: unknown parameter(s) {unknown}; {params_type.__name__} takes "
            f"{sorted(fields)}"
        )
    if missing:
        raise ConfigError(
            f"step {name}: missing parameter(s) {missing} ({params_type.__name__}); the rule "
            "must pass every field (defaults come from the config schema)"
        )
    return params_type(**raw)


def params_dict(params: Any) -> dict[str, Any]:
    """A parameters object as a plain dict (for code that passes them on as JSON)."""
    return dataclasses.asdict(params)


def as_path(value: Any) -> Path:
    """A single named file (a list input with one element counts too)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ConfigError(f"expected one file, got {len(value)}: {value}")
        value = value[0]
    return Path(value)


def as_list(value: Any) -> list[Path]:
    """A named input as a list of paths (a single file is a list of one)."""
    if value is None:
        return []
    return [Path(v) for v in value] if isinstance(value, list) else [Path(value)]
