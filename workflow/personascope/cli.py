"""`python -m personascope STEP -i NAME PATH... -o NAME PATH... -p PARAMS_JSON`

How Snakemake rules call the package: one step, its named inputs and outputs, its parameters as
JSON. A shell call rather than `script:`, so the same command runs inside an Apptainer image.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

from .engines.keys import redact
from .errors import ConfigError, PersonascopeError
from .steps import build_params, resolve


def _named(pairs: list[list[str]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, *paths in pairs or []:
        found = [Path(p) for p in paths]
        out[name] = found[0] if len(found) == 1 else found
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["rebuild"]:  # a command for people, not a workflow step
        from .bundle.rebuild import main as rebuild

        return rebuild(argv[1:])
    if argv[:1] == ["plan"]:  # `python -m personascope plan --configfile FILE` (issue #17)
        from .plan.cli import main as plan_main

        try:
            return plan_main(argv[1:])
        except PersonascopeError as exc:
            print(exc.user_message(), file=sys.stderr)
            return 2
    parser = argparse.ArgumentParser(prog="python -m personascope", description=__doc__)
    parser.add_argument("step", help="<study>.<stage>.<function> (personascope/steps.py)")
    parser.add_argument("-i", "--input", action="append", nargs="+", metavar=("NAME", "PATH"))
    parser.add_argument("-o", "--output", action="append", nargs="+", metavar=("NAME", "PATH"))
    parser.add_argument("-p", "--params", default="{}", help="step parameters as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        func = resolve(args.step)
        try:
            raw = json.loads(args.params)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"step {args.step}: -p is not JSON ({exc})") from exc
        params = build_params(args.step, func.params_type, raw)
        func(_named(args.input), _named(args.output), params)
    except PersonascopeError as exc:
        # A user-facing failure: one message, no traceback (a traceback means a bug).
        print(redact(exc.user_message()), file=sys.stderr)
        return 2
    except Exception:
        # A bug keeps its traceback, but never an API key an SDK error may carry.
        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return 1
    return 0
