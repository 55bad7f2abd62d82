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

STEPS: dict[str, str] = {
    "personalens.release": "personascope.personalens.steps:release",
    "personalens.sample": "personascope.personalens.steps:sample",
    "personalens.dialogues": "personascope.personalens.simulate:run",
    "personalens.judge": "personascope.personalens.judge:run",
    "personalens.main_table": "personascope.personalens.results:run_table",
    "personalens.main_figure": "personascope.personalens.results:run_figure",
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
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("-i", "--input", action="append", nargs="+", metavar=("NAME", "PATH"))
    parser.add_argument("-o", "--output", action="append", nargs="+", metavar=("NAME", "PATH"))
    parser.add_argument("-p", "--params", default="{}", help="step parameters as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    module_name, func_name = STEPS[args.step].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    func(_named(args.input), _named(args.output), json.loads(args.params))
    return 0
