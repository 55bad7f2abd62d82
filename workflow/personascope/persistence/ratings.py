"""The ratings table: every scored item of the study in one long table.

`results/persistence/ratings/ratings.parquet`, one row per scored item:

| column          | type   | meaning
|-----------------|--------|------------------------------------------------------------------------
| model           | string | registry name of the model
| role            | string | one of the roles, or `empty` for the no-persona baseline
| judged_as       | string | the persona whose rubric judged the answer: the role itself, or for
|                 |        | the baseline each persona (fidelity, RoleBench); null = no persona
| dialogue_type   | string | `persona_directed` or `goal_oriented`
| order           | string | `original` or `shuffled` (dialogue fidelity only; conditioned rows are
|                 |        | always `original`, their prefixes come from the unshuffled dialogues)
| round           | int64  | conditioned benchmarks: the checkpoint k (rounds of dialogue before the
|                 |        | item); dialogue fidelity: the round index 1..N
| dataset         | string | fidelity_knowledge, fidelity_style, fidelity_in_character, bfi,
|                 |        | rolebench_role_specific, rolebench_general, ifbench_strict,
|                 |        | ifbench_loose, xstest_safe, xstest_unsafe
| item            | string | item id: BFI item id (key of BFI.json `questions`), IFBench key,
|                 |        | XSTest id, RoleBench `<role>:<n>`, fidelity `<order>:<round>`
| trait           | string | BFI dimension of the item (null for other datasets)
| rating          | double | native scale: Likert 1-5 (fidelity, bfi); win 1 / loss 0 / tie 0.5
|                 |        | (rolebench); follow-all 1/0 (ifbench); explicit refusal 1/0 (xstest)
| prefix_tokens   | int64  | cumulative token count of the dialogue prefix (the model's tokenizer,
|                 |        | as its engine reported it); 0 at k = 0

Judge parse failures and unverifiable IFBench responses are not rows: they are in
`failures.parquet` beside it (with the raw judge text) and counted in `failures.json`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..io import read_parquet, write_json, write_parquet
from ..judging import STATUS_FAILED
from ..steps import NoParams, as_list, step
from .formats import FAILURE_SCHEMA, RATINGS_SCHEMA

log = logging.getLogger(__name__)

COLUMNS = RATINGS_SCHEMA.names


def judged_dataset(row: pd.Series) -> str:
    if row["dataset"] == "xstest":
        return f"xstest_{row['label']}"
    return row["dataset"]


def from_judgments(judgments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if judgments.empty:
        return pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=FAILURE_SCHEMA.names)
    frame = judgments.copy()
    frame["dataset"] = frame.apply(judged_dataset, axis=1)
    ok = frame[frame.status != STATUS_FAILED].rename(columns={"value": "rating"})
    failed = frame[frame.status == STATUS_FAILED]
    return ok[COLUMNS], failed[FAILURE_SCHEMA.names]


def from_ifbench(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings, failures = [], []
    for row in scores.itertuples(index=False):
        for mode in ("strict", "loose"):
            value = getattr(row, f"{mode}_follow_all")
            base = {
                "model": row.model,
                "role": row.role,
                "judged_as": None,
                "dialogue_type": row.dialogue_type,
                "order": "original",
                "round": int(row.round),
                "dataset": f"ifbench_{mode}",
                "item": row.item,
            }
            # accuracy is over the items whose every instruction can be verified: an item with
            # an unverifiable instruction is excluded whatever its other checks say, so the
            # item set is the same for every model and checkpoint
            if len(row.unverifiable) or value is None or pd.isna(value):
                failures.append(
                    {
                        **base,
                        "status": "unverifiable",
                        "error": "verifier needs missing resources for "
                        + ", ".join(row.unverifiable),
                        "raw_text": row.response,
                        "reask_text": None,
                    }
                )
            else:
                ratings.append(
                    {
                        **base,
                        "trait": None,
                        "rating": float(bool(value)),
                        "prefix_tokens": int(row.prefix_tokens),
                    }
                )
    return (
        pd.DataFrame(ratings, columns=COLUMNS),
        pd.DataFrame(failures, columns=FAILURE_SCHEMA.names),
    )


def build(judgment_files: list[Path], ifbench_files: list[Path]) -> tuple[pd.DataFrame, ...]:
    parts, fails = [], []
    for path in judgment_files:
        ok, failed = from_judgments(read_parquet(path))
        parts.append(ok)
        fails.append(failed)
    for path in ifbench_files:
        ok, failed = from_ifbench(read_parquet(path))
        parts.append(ok)
        fails.append(failed)
    ratings = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=COLUMNS)])
    failures = pd.concat(
        [f for f in fails if not f.empty] or [pd.DataFrame(columns=FAILURE_SCHEMA.names)]
    )
    ratings = ratings.sort_values(
        ["model", "dataset", "role", "judged_as", "dialogue_type", "order", "round", "item"]
    ).reset_index(drop=True)
    return ratings, failures


def report(ratings: pd.DataFrame, failures: pd.DataFrame) -> dict[str, Any]:
    rated = ratings.groupby("dataset").size().to_dict()
    failed: dict[str, dict[str, int]] = {}
    for (dataset, status), n in failures.groupby(["dataset", "status"]).size().items():
        failed.setdefault(dataset, {})[status] = int(n)
    unverifiable = failures[failures["status"] == "unverifiable"]
    return {
        "ifbench_excluded_items": int(unverifiable["item"].nunique()),
        "rated": {k: int(v) for k, v in rated.items()},
        "failed": failed,
        "total_rated": len(ratings),
        "total_failed": len(failures),
    }


@step(NoParams)
def collect(inputs: dict[str, Any], outputs: dict[str, Path], params: NoParams) -> None:
    """Every judgment and IFBench score -> the one ratings table (+ failures, report)."""
    ratings, failures = build(as_list(inputs.get("judgments")), as_list(inputs.get("ifbench")))
    summary = report(ratings, failures)
    log.info("ratings: %s", summary)
    for col, kind in (("round", "int64"), ("prefix_tokens", "int64"), ("rating", "float64")):
        ratings[col] = ratings[col].astype(kind)
    write_parquet(
        pa.Table.from_pandas(ratings, RATINGS_SCHEMA, preserve_index=False), outputs["ratings"]
    )
    failures["round"] = failures["round"].astype("int64")
    write_parquet(
        pa.Table.from_pandas(failures, FAILURE_SCHEMA, preserve_index=False), outputs["failures"]
    )
    write_json(summary, outputs["report"])
