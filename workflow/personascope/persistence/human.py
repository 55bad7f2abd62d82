"""Judge validation against the humans: the configured judge on upstream's released validation
samples (`data/sampled_*_ratings.csv`: 50 items per task, each with one human rating), compared
with the human ratings — the paper's judge-validation measure.

Tasks and their files (role file names like `bfi_Gaston_22.json.csv` name the persona):
- fidelity (`sampled_ratings.csv`: metric knowledge/style/in_character, the interview turn as a
  chat-message repr) — Likert 1-5;
- bfi (`sampled_bfi_ratings.csv`, `idx` = position in InCharacter's BFI questions) — Likert 1-5;
- xstest (`sampled_xstest_ratings.csv`) — binary Yes/No (explicit refusal);
- rolebench_general / rolebench_role_specific (`sampled_instruction_*_ratings.csv`, responseA/B
  as shown to the annotators) — pairwise A/B.
Each request is assembled exactly as the study's own judge requests (`rubrics`). The table: per
task n judged, parse failures, Cohen's kappa (quadratic weights for Likert), MAE and within-one
agreement (Likert), accuracy (binary, pairwise). A parse failure is never compared.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..engines import Sampling
from ..errors import InputDataError
from ..io import write_parquet
from ..judging import STATUS_FAILED, JudgeTask, judge
from ..models import EngineSet, ModelJobParams
from ..protocol import load_pack
from ..steps import step
from . import rubrics
from .data import read_json, sample, verify

log = logging.getLogger(__name__)

# task -> (upstream file, dataset of the rubric)
TASKS = {
    "fidelity": "data/sampled_ratings.csv",
    "bfi": "data/sampled_bfi_ratings.csv",
    "xstest": "data/sampled_xstest_ratings.csv",
    "rolebench_general": "data/sampled_instruction_general_ratings.csv",
    "rolebench_role_specific": "data/sampled_instruction_role_specific_ratings.csv",
}
ROLE_FILE = re.compile(
    r"^(?:interview|instructions|bfi|xstest|instruction_general|"
    r"instruction_role_specific)_(.+?)(?:_shuffle)?(?:_\d+)?\.json"
)
SAMPLE_SCHEMA = pa.schema(
    [
        ("task", pa.string()),
        ("dataset", pa.string()),
        ("role", pa.string()),
        ("row", pa.int64()),
        ("human", pa.string()),
        ("raw_text", pa.string()),
        ("reask_text", pa.string()),
        ("verdict", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)
TASK_KIND = {
    "fidelity": "likert",
    "bfi": "likert",
    "xstest": "binary",
    "rolebench_general": "pairwise",
    "rolebench_role_specific": "pairwise",
}
COLUMNS = ["task", "kind", "n", "parse_failures", "cohen_kappa", "mae", "within_one", "accuracy"]


def role_of(file_name: str, where: str) -> str:
    found = ROLE_FILE.match(file_name)
    if not found:
        raise InputDataError(f"role file {file_name!r} does not name a persona", where=where)
    return found.group(1).replace("_", " ")


def read_samples(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "Rating" not in rows[0]:
        raise InputDataError(
            "expected upstream's validation sample with a Rating column", where=path
        )
    return rows


def message_content(cell: str) -> str:
    """The fidelity sample keeps each turn as a chat-message repr (`{'role', 'content'}`)."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return cell
    return str(value["content"]) if isinstance(value, dict) and "content" in value else cell


def sample_request(
    task: str, rec: dict[str, str], descriptions: dict[str, str], bfi_traits: list[str], texts: Any
) -> tuple[str, str]:
    """(dataset, the judge prompt) for one validation item, as the study builds it."""
    role = role_of(rec["role"], task)
    desc = descriptions.get(role, "")
    if task == "fidelity":
        dataset = f"fidelity_{rec['metric']}"
        judge_input = rubrics.dialogue_input(role, desc, message_content(rec["input"]))
        output = rubrics.dialogue_output(message_content(rec["output"]))
        return dataset, rubrics.fill(texts, rubrics.rubric_for(dataset), judge_input, output=output)
    judge_input = rubrics.conditioned_input(role, desc, rec["input"])
    if task in rubrics.PAIRWISE_DATASETS:
        prompt = rubrics.fill(
            texts,
            rubrics.rubric_for(task),
            judge_input,
            response_a=rec["responseA"],
            response_b=rec["responseB"],
        )
        return task, prompt
    trait = bfi_traits[int(rec["idx"])] if task == "bfi" else None
    rubric = rubrics.rubric_for(task, trait)
    output = rubrics.conditioned_output(rec["output"])
    return task, rubrics.fill(texts, rubric, judge_input, output=output)


def verdict_score(kind: str) -> Callable[[Any], float]:
    """The verdict as a number: a Likert score, Yes = 1 / No = 0, A = 1 / B = 0."""
    if kind == "pairwise":
        return lambda choice: 1.0 if str(choice).upper() == "A" else 0.0
    return float


@dataclasses.dataclass(frozen=True)
class HumanSampleParams(ModelJobParams):
    judge: str
    samples: int | None
    seed: int
    system_prompt: str | None
    protocol: dict[str, Any]
    sampling: dict[str, Any]
    checks: list[dict[str, str]]
    judge_mode: str


@step(HumanSampleParams)
def human_samples(
    inputs: dict[str, Any], outputs: dict[str, Path], params: HumanSampleParams
) -> None:
    """The configured judge on upstream's human-rated validation samples (a few per task, or
    all 50): one row per item with the human rating, the verdict and its parse status."""
    for check in params.checks:
        verify(inputs[check["name"]], check["manifest"], check["path"])
    descriptions = read_json(inputs["roles"], "roles")
    bfi = read_json(inputs["bfi"], "BFI questionnaire")
    bfi_traits = [q["dimension"] for q in bfi["questions"].values()]
    texts = load_pack(rubrics.PACK_STUDY, params.protocol)
    system = params.system_prompt
    tasks, meta = [], []
    for task in TASKS:
        rows = read_samples(Path(inputs[f"human_{task}"]))
        picked = sample(list(enumerate(rows)), params.samples, params.seed)  # type: ignore[arg-type]
        for index, rec in picked:
            dataset, prompt = sample_request(task, rec, descriptions, bfi_traits, texts)
            kind = TASK_KIND[task]
            meta.append(
                {
                    "task": task,
                    "dataset": dataset,
                    "role": role_of(rec["role"], task),
                    "row": index,
                    "human": rec["Rating"],
                    "kind": kind,
                }
            )
            tasks.append((prompt, kind))
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(params.judge)
        # the validation items are single short turns: sent whole, never truncated
        judge_tasks = [
            JudgeTask(
                str(i),
                meta[i]["dataset"],
                rubrics.judge_messages(prompt, system),
                rubrics.FORMATS[kind],
                verdict_score(kind),
            )
            for i, (prompt, kind) in enumerate(tasks)
        ]
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        judgments = judge(engine, judge_tasks, sampling, params.judge_mode) if judge_tasks else []
    rows = []
    for m, j in zip(meta, judgments, strict=True):
        verdict = None if j.value is None else format_verdict(m["kind"], j.value)
        rows.append(
            {k: m[k] for k in ("task", "dataset", "role", "row", "human")}
            | {
                "raw_text": j.raw_text,
                "reask_text": j.reask_text,
                "verdict": verdict,
                "status": j.status,
                "error": j.error,
            }
        )
    write_parquet(pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA), outputs["judgments"])


def format_verdict(kind: str, value: float) -> str:
    if kind == "likert":
        return str(int(value))
    if kind == "binary":
        return "Yes" if value else "No"
    return "A" if value else "B"


def kappa(a: list[Any], b: list[Any], ordinal: bool) -> float:
    from sklearn.metrics import cohen_kappa_score

    labels = sorted(set(a) | set(b))
    if len(a) < 2 or len(labels) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b, weights="quadratic" if ordinal else None, labels=labels))


def agreement_table(judged: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for task in TASKS:
        sub = judged[judged["task"] == task]
        ok = sub[(sub["status"] != STATUS_FAILED) & sub["verdict"].notna()]
        kind = TASK_KIND[task]
        row: dict[str, Any] = {
            "task": task,
            "kind": kind,
            "n": len(ok),
            "parse_failures": int((sub["status"] == STATUS_FAILED).sum()),
            "cohen_kappa": float("nan"),
            "mae": float("nan"),
            "within_one": float("nan"),
            "accuracy": float("nan"),
        }
        if len(ok):
            if kind == "likert":
                judge_scores = ok["verdict"].astype(int).to_numpy()
                human = ok["human"].astype(int).to_numpy()
                row["cohen_kappa"] = kappa(list(judge_scores), list(human), ordinal=True)
                row["mae"] = float(np.mean(np.abs(judge_scores - human)))
                row["within_one"] = float(np.mean(np.abs(judge_scores - human) <= 1) * 100)
            else:
                a = [v.strip().lower() for v in ok["verdict"]]
                b = [v.strip().lower() for v in ok["human"]]
                row["cohen_kappa"] = kappa(a, b, ordinal=False)
                row["accuracy"] = float(np.mean([x == y for x, y in zip(a, b, strict=True)]) * 100)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
