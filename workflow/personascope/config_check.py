"""Config files and the config schema, with messages a user can act on.

Snakemake's `validate` reports a violation with the whole schema attached (hundreds of lines);
this module checks the merged config against the same schema with the same validator class and
reports each violation in one line: the dotted key, what is wrong, what is allowed. The Snakefile
calls `check_config` before Snakemake's own `validate` (which then only fills defaults).
YAML files are read here too, so a syntax error names the file and the line.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml

from .errors import ConfigError, PersonascopeError

MAX_MESSAGES = 8

T = TypeVar("T")


def exit_on_user_error(check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`; a user-facing (typed) error ends the run: its message alone, exit 2.

    Snakemake prints the code frames of any exception raised while it reads the workflow. A bad
    config is the user's to fix, not a bug in the workflow, so it gets the one message
    `python -m personascope` would print, and no frames."""
    try:
        return check(*args)
    except PersonascopeError as exc:
        print(exc.user_message(), file=sys.stderr)
        raise SystemExit(2) from None


def load_yaml(path: str | Path) -> Any:
    """A YAML file's content; a syntax error names file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file ({exc})", where=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"not valid YAML: {problem}", where=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=path) from None


def check_yaml_files(paths: Iterable[str | Path]) -> None:
    for path in paths:
        if Path(path).is_file():
            load_yaml(path)


def dotted(path: Iterable[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(error: jsonschema.ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """One line for one violation: never the schema, at most a list of allowed names."""
    key = dotted((*prefix, *error.absolute_path))
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        where = "config" if key == "(top level)" else f"config {key}"
        names = ", ".join(repr(u) for u in unknown)
        return f"{where}: unknown key(s) {names}; allowed: {', '.join(allowed) or 'none'}"
    if error.validator == "required":
        return f"config {key}: {error.message}"
    if error.validator == "uniqueItems":
        dupes = [v for i, v in enumerate(error.instance) if v in error.instance[:i]]
        return f"config {key}: listed twice: {_short(dupes)}; each entry may appear once"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"config {key}: {_short(error.instance)} is not one of: {allowed}"
    if error.validator == "pattern":
        if error.validator_value == "\\S":
            return f"config {key}: {_short(error.instance)} is empty; give a path or name"
        return f"config {key}: {_short(error.instance)} does not match {error.validator_value}"
    if error.validator in ("oneOf", "anyOf"):
        return f"config {key}: {_short(error.instance)} is not valid here ({schema_hint(schema)})"
    return f"config {key}: {error.message.splitlines()[0][:200]}"


def schema_hint(schema: dict[str, Any]) -> str:
    return schema.get("description") or "see config/schema for the allowed forms"


def non_finite(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], float]]:
    """NaN and infinities anywhere in the config: YAML reads `.nan`/`.inf` as floats that no JSON
    Schema bound refuses (every comparison with NaN is false)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(path, value)]
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in non_finite(v, (*path, k))]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in non_finite(v, (*path, i))]
    return []


def _strict_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema counts 2.0 (and 1e9 written as a float) as an integer; the code it reaches then
# fails far from the config (`range(2.0)`). Integers here are Python ints.
StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


def schema_errors(config: Any, schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[str]:
    validator = StrictValidator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    messages = [
        f"config {dotted((*prefix, *p))}: {v} is not a finite number" for p, v in non_finite(config)
    ]
    for error in errors:
        # A oneOf's alternatives each report a violation: the most specific one says most.
        best = jsonschema.exceptions.best_match([error]) if error.context else error
        messages.append(describe(best, prefix))
    return list(dict.fromkeys(messages))


def check_against(
    config: Any, schema_file: str | Path, what: str = "config", prefix: tuple[str, ...] = ()
) -> None:
    schema = load_yaml(schema_file)
    messages = schema_errors(config, schema, prefix)
    if messages:
        more = len(messages) - MAX_MESSAGES
        shown = messages[:MAX_MESSAGES] + ([f"... and {more} more"] if more > 0 else [])
        raise ConfigError(
            f"{what} does not follow {Path(schema_file).name}:\n  " + "\n  ".join(shown)
        )


def check_config(config: dict[str, Any], schema_dir: str | Path) -> None:
    """The merged config and its model registry against the schemas; raises ConfigError."""
    schema_dir = Path(schema_dir)
    check_against(config, schema_dir / "config.schema.yaml")
    if isinstance(config, dict) and isinstance(config.get("models"), dict):
        check_against(
            config["models"], schema_dir / "models.schema.yaml", "model registry", ("models",)
        )


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` merged onto `base` the way Snakemake merges config files (nested dicts merged)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def load_config(repo: str | Path, configfiles: Iterable[str | Path] = ()) -> dict[str, Any]:
    """config/config.yaml + config/models.yaml + `configfiles`, as the Snakefile loads them."""
    repo = Path(repo)
    config: dict[str, Any] = {}
    for path in [repo / "config" / "config.yaml", repo / "config" / "models.yaml", *configfiles]:
        content = load_yaml(path)
        if not isinstance(content, dict):
            raise ConfigError("expected a mapping of config keys at the top level", where=path)
        config = merged(config, content)
    return config


def main(argv: list[str] | None = None) -> int:
    """`python -m personascope.config_check [CONFIGFILE...]`: the config a run would get, checked
    without Snakemake (whose own YAML message names no file or line)."""
    repo = Path(__file__).resolve().parents[2]
    try:
        check_config(
            load_config(repo, sys.argv[1:] if argv is None else argv), repo / "config" / "schema"
        )
    except ConfigError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
    print("config ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
