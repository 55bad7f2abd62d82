"""`python -m personascope plan --configfile FILE [--measured] [-o DIR]`: the plan of a config.

The config is read as Snakemake reads it: config/config.yaml, then each --configfile merged on
top (nested keys merged, lists replaced), the registry config/models.yaml, validated against the
schemas (which fill in defaults). Prints the Markdown plan; `-o DIR` also writes plan.json and
plan.md there.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..io import write_json, write_text
from .markdown import render
from .report import estimate, measured

REPO = Path(__file__).resolve().parents[3]


def merged(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(root: Path, configfiles: list[Path]) -> dict[str, Any]:
    from snakemake.utils import validate

    config: dict[str, Any] = {}
    for path in [root / "config/config.yaml", root / "config/models.yaml", *configfiles]:
        try:
            config = merged(config, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"plan: cannot read config file {path}: {exc}") from exc
    try:
        validate(config, str(root / "config/schema/config.schema.yaml"))
        validate(config["models"], str(root / "config/schema/models.schema.yaml"))
    except Exception as exc:  # snakemake raises WorkflowError with the failing key
        raise ConfigError(f"plan: config does not validate: {exc}") from exc
    return config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m personascope plan", description=__doc__)
    parser.add_argument("--configfile", action="append", type=Path, default=[])
    parser.add_argument("--measured", action="store_true", help="add the jobs' usage.json counts")
    parser.add_argument("-o", "--out", type=Path, help="write plan.json and plan.md here")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the run's directory (its results/)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    # the config files of this checkout, as Snakemake reads them beside the Snakefile
    config = load_config(REPO, args.configfile)
    plan = estimate(config, root)
    if args.measured:
        measured(plan["rows"], root)
    plan["measured"] = bool(args.measured)
    text = render(plan)
    if args.out:
        write_json(plan, args.out / "plan.json")
        write_text(text, args.out / "plan.md")
    sys.stdout.write(text)
    return 0
