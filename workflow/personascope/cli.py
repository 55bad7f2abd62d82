"""`python -m personascope STEP -i NAME PATH... -o NAME PATH... -p PARAMS_JSON`

How Snakemake rules call the package: one step, its named inputs and outputs, its parameters as
JSON. A shell call rather than `script:`, so the same command runs inside an Apptainer image.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from .errors import PersonascopeError
from .steps import build_params, resolve

STEPS: dict[str, str] = {
    "personalens.release": "personascope.personalens.data:release",
    "personalens.sample": "personascope.personalens.data:sample",
    "personalens.dialogues": "personascope.personalens.dialogues:run",
    "personalens.judge": "personascope.personalens.judge:run",
    "personalens.datastats": "personascope.personalens.datastats:run",
    "personalens.regenerate": "personascope.personalens.regenerate:run",
    "personalens.judge_table": "personascope.personalens.results:run_judge_table",
    "personalens.dialogue_table": "personascope.personalens.results:run_dialogue_table",
    "personalens.agreement": "personascope.personalens.results:run_agreement",
    "personalens.figure": "personascope.personalens.figures:run",
    # --- Persistent Personas ---
    "persistence.inputs": "personascope.persistence.data:run",
    "persistence.dialogues": "personascope.persistence.dialogues:run",
    "persistence.conditioned": "personascope.persistence.conditioned:run",
    "persistence.judge_dialogues": "personascope.persistence.judge:run_dialogues",
    "persistence.judge_conditioned": "personascope.persistence.judge:run_conditioned",
    "persistence.ifbench": "personascope.persistence.ifbench:run",
    "persistence.ratings": "personascope.persistence.ratings:run",
    # Persistent Personas statistics and figures (issue #5 part B)
    "persistence.observations": "personascope.persistence.statistics:run_metrics",
    "persistence.checkpoints": "personascope.persistence.statistics:run_checkpoints",
    "persistence.costs": "personascope.persistence.statistics:run_costs",
    "persistence.cost_regressions": "personascope.persistence.regressions:run_cost_regressions",
    "persistence.mixed_models": "personascope.persistence.regressions:run_mixed_models",
    "persistence.figure": "personascope.persistence.figures:run",
}


def as_list(value: Path | list[Path]) -> list[Path]:
    return value if isinstance(value, list) else [value]


def _named(pairs: list[list[str]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, *paths in pairs or []:
        found = [Path(p) for p in paths]
        out[name] = found[0] if len(found) == 1 else found
    return out


def main(argv: list[str] | None = None) -> int:
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
        if args.step in STEPS:  # legacy dict-params steps, until every rule is converted
            module_name, func_name = STEPS[args.step].split(":")
            func = getattr(importlib.import_module(module_name), func_name)
            func(_named(args.input), _named(args.output), json.loads(args.params))
        else:
            func = resolve(args.step)
            params = build_params(args.step, func.params_type, json.loads(args.params))
            func(_named(args.input), _named(args.output), params)
    except PersonascopeError as exc:
        # A user-facing failure: one message, no traceback (a traceback means a bug).
        print(exc.user_message(), file=sys.stderr)
        return 2
    return 0
