"""What a config will cost before it runs: requests, tokens, GPU-hours and API spend per model.

Each study contributes its own estimator, `personascope.<study>.estimate.estimate(config, ctx)`,
returning one `Tally` per (stage, model). The plan adds them up, prices them (GPU-hours from the
per-size-class throughput table in config `plan.throughput`, API cost from each registry entry's
`price`) and prints the priors every estimator used. `plan --measured` puts the jobs' own
`usage.json` counts beside the estimate. No model is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io import write_json, write_text
from ..steps import Files, step


@dataclass(frozen=True)
class PlanParams:
    config: dict[str, Any]  # the run's whole config (with `models`), as Snakemake merged it
    measured: bool  # add the jobs' usage.json counts found under the working directory


@step(PlanParams)
def write(inputs: Files, outputs: Files, params: PlanParams) -> None:
    """Target results/plan/plan.{json,md}: the plan of the workflow's own config."""
    from .markdown import render
    from .report import estimate, measured

    root = Path.cwd()
    plan = estimate(params.config, root)
    if params.measured:
        measured(plan["rows"], root)
    plan["measured"] = params.measured
    write_json(plan, outputs["json"])
    write_text(render(plan), outputs["md"])
