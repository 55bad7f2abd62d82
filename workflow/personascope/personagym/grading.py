"""Stage `grading`: one judge grades each group's filled rubrics in one call.

The answer is split into numbered evaluations by upstream's pattern; evaluation k grades the
group's question k. Each evaluation keeps both readings of its grade: `grade` (principled: an
integer 1..5 after the rubric's closing phrase, else a recorded parse failure, null) and
`grade_published` (upstream's: the digits after the phrase, 0 when missing), and the group's
upstream judge mean over every evaluation the answer holds (`group_published_mean`: upstream
averages all it finds, also past the group's questions). The scores stage uses the configured
mode's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..engines import ChatRequest
from ..engines.base import Constraint
from ..errors import ConfigError, ParseError
from ..io import read_parquet, write_json, write_parquet
from ..judging import STATUS_FAILED, STATUS_OK, STATUS_OK_CONSTRAINED
from ..models import EngineSet, ModelJobParams
from ..steps import Files, step
from .calls import generate, open_texts, sampling_of
from .groups import iter_groups, with_groups
from .scoring import modified_average, parse_grade, parse_grade_published
from .texts import grading_request, split_evaluations
from .verdict import GroupVerdict

# free: upstream's unconstrained answer; constrained: the whole answer constrained to the
# numbered evaluations (verdict.py). A re-ask of k evaluations is not built yet.
JUDGE_MODES = ("free", "constrained")


@dataclasses.dataclass(frozen=True)
class Params(ModelJobParams):
    judge: str
    judge_slot: str
    judge_mode: str
    group_size: int
    published_quirks: bool
    sampling: dict[str, Any]
    protocol: dict[str, Any]
    data: dict[str, Any]


def grade_rows(
    evaluations: list[str], count: int, phrase: str
) -> list[tuple[str | None, int | None, int, str, str | None]]:
    """(evaluation, grade, grade_published, status, error) for each of `count` questions."""
    out = []
    for k in range(count):
        if k >= len(evaluations):
            out.append((None, None, 0, STATUS_FAILED, f"no evaluation ({k + 1})"))
            continue
        text = evaluations[k]
        try:
            out.append(
                (
                    text,
                    parse_grade(text, phrase),
                    parse_grade_published(text, phrase),
                    STATUS_OK,
                    None,
                )
            )
        except ParseError as exc:
            out.append((text, None, parse_grade_published(text, phrase), "parse_failure", str(exc)))
    return out


@step(Params)
def grade(inputs: Files, outputs: Files, params: Params) -> None:
    if params.judge_mode not in JUDGE_MODES:
        raise ConfigError(
            f"unknown judge mode {params.judge_mode!r}; one of {JUDGE_MODES}",
            where="personagym.judge_mode",
        )
    texts, _ = open_texts(params.protocol, params.data)
    answers = with_groups(read_parquet(inputs["answers"]), params.group_size)
    examples = read_parquet(inputs["examples"])[
        ["persona_id", "task", "position", "score_example", "status"]
    ].rename(columns={"status": "examples_status"})
    table = answers.merge(
        examples, on=["persona_id", "task", "position"], how="left", validate="one_to_one"
    )
    if table["score_example"].isna().any():
        raise ConfigError(
            "answers and examples name different questions: rerun the examples",
            where=str(inputs["examples"]),
        )
    groups = list(iter_groups(table))
    verdicts = {
        task: GroupVerdict.of(texts.grading_prompt, texts.closing_phrase(task))
        for task in texts.rubrics
    }

    def constraint_of(task: str, count: int, max_tokens: int) -> Constraint | None:
        if params.judge_mode != "constrained":
            return None
        return verdicts[task].constraint(count, max_tokens)

    requests_messages = [
        grading_request(
            texts,
            rows["persona"].iloc[0],
            task,
            list(zip(rows["question"], rows["answer"], strict=True)),
            list(rows["score_example"]),
            params.published_quirks,
        )
        for (_, task, _), rows in groups
    ]
    engines = EngineSet(params.models, params.cache_dir)
    try:
        engine = engines.open(params.judge)
        sampling = sampling_of(engine, params.sampling)
        requests = [
            ChatRequest.of(m, sampling, constraint_of(task, len(rows), sampling.max_tokens))
            for m, ((_, task, _), rows) in zip(requests_messages, groups, strict=True)
        ]
        results = generate(engine, requests, params.published_quirks)
    finally:
        usage = engines.usage()
        engines.close()
    rows_out = []
    for ((_, task, _), rows), (text, error, response) in zip(groups, results, strict=True):
        form = response.constrained if response is not None else None
        phrase = texts.closing_phrase(task)
        if form is not None:
            # the engine enforced the form and the call cache checked it: read it exactly
            grades = verdicts[task].read(text, form, len(rows))
            text = verdicts[task].as_text(text, form, len(rows))
            evaluations = split_evaluations(texts, text)
            graded = [
                (e, g, parse_grade_published(e, phrase), STATUS_OK_CONSTRAINED, None)
                for e, g in zip(evaluations, grades, strict=True)
            ]
        else:
            evaluations = split_evaluations(texts, text)
            graded = grade_rows(evaluations, len(rows), phrase)
        # upstream averages every evaluation the judge wrote, however many the group has
        group_published = modified_average([parse_grade_published(e, phrase) for e in evaluations])
        for row, (evaluation, value, published, status, why) in zip(
            rows.itertuples(index=False), graded, strict=True
        ):
            rows_out.append(
                {
                    "persona_id": row.persona_id,
                    "persona": row.persona,
                    "task": task,
                    "position": row.position,
                    "group": row.group,
                    "slot": row.slot,
                    "model": row.model,
                    "judge": params.judge,
                    "judge_slot": params.judge_slot,
                    "judge_mode": params.judge_mode,
                    "answer_status": row.status,
                    "examples_status": row.examples_status,
                    "evaluation": evaluation,
                    "grade": value,
                    "grade_published": published,
                    "evaluations": len(evaluations),
                    "group_published_mean": group_published,
                    "status": "call_failed" if error else status,
                    "error": error or why,
                    "raw_text": text,
                }
            )
    frame = pd.DataFrame(rows_out)
    frame["grade"] = frame["grade"].astype("Int64")
    write_parquet(frame, outputs["grading"])
    write_json(usage, outputs["usage"])
