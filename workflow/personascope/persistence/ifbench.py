"""IFBench on the dialogue-conditioned responses: the official verifiers, strict and loose.

Uses the same scorer as `python -m personascope.ifbench score` (`personascope.ifbench.Scorer`);
an instruction that cannot be verified offline stays None ("unverifiable"), never a pass or fail.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pyarrow as pa

from ..errors import InputDataError
from ..ifbench import Scorer, load_test_set, resolve_test_set, summary
from ..io import read_parquet, write_json, write_parquet
from ..steps import step
from .data import verify
from .formats import SCORE_SCHEMA

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ScoreParams:
    checks: list[dict[str, str]]


@step(ScoreParams)
def score(inputs: dict[str, Path], outputs: dict[str, Path], params: ScoreParams) -> None:
    """IFBench's official verifiers over one model's conditioned IFBench answers."""
    for check in params.checks:
        # The test set comes straight from its pinned source: verified in the job that reads it.
        verify(inputs[check["name"]], check["manifest"], check["path"])
    responses = read_parquet(inputs["responses"])
    responses = responses[responses.dataset == "ifbench"]
    scorer = Scorer(load_test_set(resolve_test_set(inputs["test_set"])))
    rows, results = [], []
    for row in responses.itertuples(index=False):
        try:
            res = scorer.score(row.prompt, row.response)
        except KeyError:
            raise InputDataError(
                f"{inputs['responses']}: IFBench item {row.item} is not in the test set "
                f"{inputs['test_set']}"
            ) from None
        results.append(res)
        rows.append(
            {
                "model": row.model,
                "role": row.role,
                "dialogue_type": row.dialogue_type,
                "round": int(row.round),
                "item": row.item,
                "prefix_tokens": int(row.prefix_tokens),
                "prompt": row.prompt,
                "response": row.response,
                "instruction_id_list": res["instruction_id_list"],
                "strict_follow_all": res["strict"]["follow_all_instructions"],
                "strict_follow_list": res["strict"]["follow_instruction_list"],
                "loose_follow_all": res["loose"]["follow_all_instructions"],
                "loose_follow_list": res["loose"]["follow_instruction_list"],
                "unverifiable": res["unverifiable"],
            }
        )
    report = summary(results)
    log.info("IFBench: %s", report)
    write_parquet(pa.Table.from_pylist(rows, schema=SCORE_SCHEMA), outputs["scores"])
    write_json(report, outputs["report"])
