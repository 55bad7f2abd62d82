"""PersonaLens judge: upstream's templates, parsed by the output format each template asks for.

Dimensions (upstream `src/evaluate_dialogue.py`): task completion (a VERDICT True/False),
personalization (1-4), naturalness and coherence (1-5) of the user side and of the assistant
side, and turn-level personalization — upstream's chain-of-turn template, one call per dialogue
that scores every prefix (`Evaluation k ...` blocks), stored as one row per assistant turn.

The label and range of each score are read from the template's own response format (a
`<Label>: [1-5]` line, the label that follows it), the verdict label from the template's closing
`<LABEL>: ` line, and declared as verdict formats (`personascope.verdicts`: the score first, then
the justification, as the templates ask), so no parse pattern is retyped here. Default parsing is
the strict one of `verdicts` (a failure is recorded, never 0 or False). `published_quirks: true`
parses as upstream's `util/gather_evaluation.py` did instead: the first `<Label>: N` match with
no range check, and a task-completion reply without a verdict counted as not completed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..dialogue import ASSISTANT, Dialogue, Turn
from ..engines import Sampling
from ..errors import ConfigError, ParseError
from ..io import read_parquet, write_parquet
from ..judge_report import build_report, read_judgments, write_report
from ..judging import JudgeTask, judge
from ..models import EngineSet, ModelJobParams
from ..protocol import Pack, load_pack
from ..steps import step
from ..verdicts import SectionedVerdicts, VerdictFormat, boolean_verdict, integer_verdict
from .scenarios import load_contexts
from .templates import JUDGE_TEMPLATES, judge_key, judge_messages

log = logging.getLogger(__name__)

TURN_LEVEL = "personalization_turn"
DIMENSIONS = tuple(JUDGE_TEMPLATES)
DEFAULT_DIMENSIONS = list(DIMENSIONS)

SCORE_FORMAT = re.compile(r"^[ \t]*([A-Za-z][A-Za-z ]*?):[ \t]*\[(\d+)-(\d+)\][ \t]*$", re.M)
VERDICT_FORMAT = re.compile(r"([A-Z]+):\s*$")
NEXT_LABEL = re.compile(r"\A\s*([A-Za-z][A-Za-z ]*?):")

JUDGMENT_SCHEMA = pa.schema(
    [
        ("dialogue_id", pa.string()),
        ("scenario_id", pa.string()),
        ("kind", pa.string()),
        ("domains", pa.list_(pa.string())),
        ("assistant_model", pa.string()),
        ("setting", pa.string()),
        ("judge_model", pa.string()),
        ("dimension", pa.string()),
        # assistant turn (1-based) closing the judged prefix; null for whole-dialogue dimensions
        ("turn", pa.int64()),
        ("raw_text", pa.string()),
        ("reask_text", pa.string()),
        ("value", pa.float64()),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)


@dataclass(frozen=True)
class ScoreFormat:
    label: str
    low: int
    high: int
    block: str | None = None  # chain-of-turn: the word opening each turn's block
    after: str = ""  # the label of the line that follows the score (the justification)


def score_format(template: str, key: str) -> ScoreFormat:
    """The `<Label>: [low-high]` line of a template's response format."""
    found = SCORE_FORMAT.findall(template)
    if not found or len({f for f in found}) != 1:
        raise ConfigError(f"template {key!r}: expected one `<Label>: [low-high]` response line")
    label, low, high = found[0]
    line = next(m for m in SCORE_FORMAT.finditer(template))
    before = template[: line.start()].rstrip().splitlines()
    block = before[-1].split()[0] if before and before[-1].strip() else None
    following = NEXT_LABEL.match(template[line.end() :])
    return ScoreFormat(label, int(low), int(high), block, following.group(1) if following else "")


def verdict_label(template: str, key: str) -> str:
    match = VERDICT_FORMAT.search(template.rstrip(" "))
    if match is None:
        raise ConfigError(f"template {key!r}: expected a closing `<LABEL>: ` verdict line")
    return match.group(1)


def score_verdict(fmt: ScoreFormat) -> VerdictFormat:
    """The template's score line as a verdict format: the score first, then the justification."""
    return integer_verdict(
        f"{fmt.label}:",
        fmt.low,
        fmt.high,
        position="first",
        reasoning_label=f"{fmt.after}:" if fmt.after else "",
    )


def completion_verdict(template: str, key: str) -> VerdictFormat:
    """Task completion: the template ends in `<LABEL>: `; the verdict, then the explanation."""
    label = verdict_label(template, key)
    example = re.search(rf"^{re.escape(label)}: \w+\n([A-Z]+):", template, re.M)
    return boolean_verdict(
        f"{label}:",
        position="first",
        label_in_prompt=True,
        reasoning_label=f"{example.group(1)}:" if example else "",
    )


def score_parser(fmt: ScoreFormat, quirks: bool) -> Callable[[str], int]:
    pattern = re.compile(rf"{re.escape(fmt.label)}\s*[:=]\s*\**\s*(-?\d+)", re.IGNORECASE)
    upstream = re.compile(rf"{re.escape(fmt.label)}: (\d+)")

    def parse(text: str) -> int:
        if quirks:  # upstream: the first exact match, no range check
            first = upstream.search(text)
            if first is None:
                raise ParseError(f"no `{fmt.label}: N`")
            return int(first.group(1))
        found = [int(v) for v in pattern.findall(text)]
        if not found:
            raise ParseError(f"no `{fmt.label}: N`")
        if len(set(found)) != 1:
            raise ParseError(f"conflicting {fmt.label} values {sorted(set(found))}")
        if not fmt.low <= found[0] <= fmt.high:
            raise ParseError(f"{fmt.label} {found[0]} outside {fmt.low}..{fmt.high}")
        return found[0]

    parse.format_hint = f"`{fmt.label}: N` with N from {fmt.low} to {fmt.high}"  # type: ignore[attr-defined]
    return parse


def verdict_parser(label: str, quirks: bool) -> Callable[[str], bool]:
    labelled = re.compile(rf"{re.escape(label)}\s*:\s*\**\s*(true|false)\b", re.IGNORECASE)
    # the template ends in `<LABEL>: `, so a reply may open with the bare verdict
    opening = re.compile(r"\A[\s*]*(true|false)\b", re.IGNORECASE)

    upstream = re.compile(rf"{re.escape(label)}: (true|false)", re.IGNORECASE)

    def parse(text: str) -> bool:
        if quirks:  # upstream: the first labelled verdict; none counts as not completed
            first = upstream.search(text)
            return first is not None and first.group(1).lower() == "true"
        found = labelled.findall(text) + opening.findall(text)
        if not found:
            raise ParseError(f"no `{label}: True|False`")
        if len({v.lower() for v in found}) != 1:
            raise ParseError(f"conflicting {label} values")
        return found[0].lower() == "true"

    parse.format_hint = f"`{label}: True` or `{label}: False`"  # type: ignore[attr-defined]
    return parse


def turn_verdicts(fmt: ScoreFormat, n_turns: int) -> SectionedVerdicts:
    """Chain-of-turn: one `<block> k` section per assistant turn, each with one score (its
    header as the template numbers it; a constrained answer puts the score on the next line)."""
    return SectionedVerdicts(score_verdict(fmt), n_turns, f"{fmt.block} {{k}}", separator="\n")


def parser_for(
    pack: Pack, dim: str, quirks: bool, n_turns: int
) -> VerdictFormat | SectionedVerdicts | Callable[[str], Any]:
    """The verdict format of a dimension (or upstream's reading of it, with `quirks`)."""
    key = judge_key(dim)
    template = pack.text(key)
    if dim == "task_completion":
        if quirks:
            return verdict_parser(verdict_label(template, key), quirks=True)
        return completion_verdict(template, key)
    fmt = score_format(template, key)
    if dim == TURN_LEVEL:
        return turn_verdicts(fmt, n_turns)
    return score_parser(fmt, quirks=True) if quirks else score_verdict(fmt)


def rebuild(row: Any, ctx: dict[str, Any]) -> Dialogue:
    d = Dialogue(row.dialogue_id, ctx, max_user_turns=0)
    d.turns = [Turn(speaker=t["speaker"], text=t["text"]) for t in row.turns]
    return d


def assistant_turns(dialogue: Dialogue) -> int:
    return sum(t.speaker == ASSISTANT for t in dialogue.turns)


def judge_tasks(pack: Pack, dialogue: Dialogue, dims: list[str], quirks: bool) -> list[JudgeTask]:
    n_turns = assistant_turns(dialogue)
    return [
        JudgeTask(
            dialogue.dialogue_id,
            dim,
            judge_messages(pack, dim, dialogue),
            parser_for(pack, dim, quirks, n_turns),
        )
        for dim in dims
        if dim != TURN_LEVEL or n_turns  # no assistant turn: no turn to score
    ]


def check_dimensions(dims: list[str]) -> None:
    unknown = set(dims) - set(DIMENSIONS)
    if unknown:
        raise ConfigError(
            f"unknown {sorted(unknown)}; known {sorted(DIMENSIONS)}",
            where="personalens.judge_dimensions",
        )


def judgment_rows(row: Any, judge_model: str, j: Any, n_turns: int) -> list[dict[str, Any]]:
    base = {
        "dialogue_id": row.dialogue_id,
        "scenario_id": row.scenario_id,
        "kind": row.kind,
        "domains": list(row.domains),
        "assistant_model": row.assistant_model,
        "setting": row.setting,
        "judge_model": judge_model,
        "dimension": j.dimension,
        "raw_text": j.raw_text,
        "reask_text": j.reask_text,
        "status": j.status,
        "error": j.error,
    }
    if j.dimension != TURN_LEVEL:
        return [{**base, "turn": None, "value": j.value}]
    values = j.value if isinstance(j.value, list) else [None] * n_turns
    return [
        {**base, "turn": k, "value": None if v is None else float(v)}
        for k, v in enumerate(values, 1)
    ]


@dataclasses.dataclass(frozen=True)
class JudgeParams(ModelJobParams):
    judge: str
    sampling: dict[str, Any]
    judge_mode: str
    dimensions: list[str] | None
    protocol: dict[str, Any]
    published_quirks: bool


@step(JudgeParams)
def dialogues(inputs: dict[str, Path], outputs: dict[str, Path], params: JudgeParams) -> None:
    """Every judge dimension of one dialogue shard (raw text, value and parse status kept)."""
    table = read_parquet(inputs["dialogues"])
    contexts = load_contexts(
        read_parquet(inputs["sample"]),
        read_parquet(inputs["profiles"]),
        read_parquet(inputs["affinities"]),
        read_parquet(inputs["interactions"]),
    )
    dims = list(params.dimensions or DEFAULT_DIMENSIONS)
    check_dimensions(dims)
    pack = load_pack("personalens", params.protocol)
    tasks, meta = [], []
    for row in table.itertuples(index=False):
        dialogue = rebuild(row, contexts[row.scenario_id])
        for task in judge_tasks(pack, dialogue, dims, params.published_quirks):
            tasks.append(task)
            meta.append((row, assistant_turns(dialogue)))
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(params.judge)
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        judgments = judge(engine, tasks, sampling, params.judge_mode) if tasks else []
    rows = []
    for (row, n_turns), j in zip(meta, judgments, strict=True):
        rows += judgment_rows(row, params.judge, j, n_turns)
    failures = sum(r["status"] == "parse_failure" for r in rows)
    log.info("%d judgments, %d parse failures", len(rows), failures)
    write_parquet(pa.Table.from_pylist(rows, schema=JUDGMENT_SCHEMA), outputs["judgments"])


@dataclasses.dataclass(frozen=True)
class ReportParams:
    judge_mode: str


@step(ReportParams)
def report(inputs: dict[str, Any], outputs: dict[str, Path], params: ReportParams) -> None:
    """The judge report: per judge x dimension, statuses, re-ask and constrained rates, scores."""
    judgments = read_judgments(inputs["judgments"])
    agreement = inputs.get("agreement")
    human = pd.read_csv(agreement).to_dict("records") if agreement else None
    built = build_report(
        "personalens",
        judgments,
        dimension="dimension",
        item_keys=("dialogue_id", "turn"),
        judge_mode=params.judge_mode,
        human_agreement=human,
    )
    write_report(built, outputs["json"], outputs["md"])
