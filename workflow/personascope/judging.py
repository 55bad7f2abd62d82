"""LLM-as-judge with strict parsing, one re-ask, and recorded failures.

A judgment keeps the raw judge text, the parsed value and a parse status. A text that does not
parse gets one re-ask with a format reminder; if that fails too the item is a recorded
failure — excluded from every mean and counted in the reports, never a score. A task whose
parser is a verdict format (`personascope.verdicts`) can also be judged under a constraint
(`JUDGE_MODES`); a constrained answer that does not match its constraint is an engine error
(raised by the call cache), never read as free text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .engines import CachedEngine, ChatRequest, ChatResponse, Sampling
from .errors import ConfigError, ParseError
from .verdicts import SectionedVerdicts, VerdictFormat

# Parsers that also give constraints (everything else is judged free only).
FORMATS = (VerdictFormat, SectionedVerdicts)

log = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_OK_AFTER_REASK = "ok_after_reask"
STATUS_OK_CONSTRAINED = "ok_constrained"  # the verdict came from a constrained answer
STATUS_FAILED = "parse_failure"
STATUSES = (STATUS_OK, STATUS_OK_AFTER_REASK, STATUS_OK_CONSTRAINED, STATUS_FAILED)

# free: the papers' protocol (free answer, one free re-ask); reask: free answer, the re-ask
# constrained to the verdict alone; constrained: the whole answer constrained (bounded
# reasoning + verdict). Engines without constrained decoding answer constrained requests freely.
JUDGE_MODES = ("free", "reask", "constrained")

Parser = Callable[[str], Any]


@dataclass
class JudgeTask:
    item_id: str
    dimension: str
    messages: list[dict[str, str]]
    # a verdict format (parser + constraints) or, for non-verdict tasks, any strict parser
    parser: VerdictFormat | SectionedVerdicts | Parser
    # maps the parsed verdict to the recorded value (default: float(verdict); sectioned
    # verdicts give a list, so their tasks need one, e.g. the mean of the sections)
    score: Callable[[Any], float] | None = None


@dataclass
class Judgment:
    item_id: str
    dimension: str
    raw_text: str
    reask_text: str | None
    value: float | list[float] | None
    status: str
    error: str | None

    def to_record(self) -> dict[str, Any]:
        return dict(self.__dict__)


def format_hint(parser: VerdictFormat | SectionedVerdicts | Parser) -> str:
    if isinstance(parser, FORMATS):
        return parser.describe()
    return getattr(parser, "format_hint", "the required format")


def reask_messages(task: JudgeTask, first_text: str, error: str) -> list[dict[str, str]]:
    return [
        *task.messages,
        {"role": "assistant", "content": first_text},
        {
            "role": "user",
            "content": (
                f"Your answer could not be read ({error}). Reply again with your final answer "
                f"as one line exactly of the form {format_hint(task.parser)}."
            ),
        },
    ]


def _parse(task: JudgeTask, response: ChatResponse, mode: str) -> tuple[Any, str | None]:
    """(value, None) or (None, error). A constrained answer is read by its constraint's form."""
    try:
        if response.constrained is not None and isinstance(task.parser, FORMATS):
            verdict = task.parser.read_constrained(response.text, response.constrained, mode)
        else:
            verdict = task.parser(response.text)
    except ParseError as exc:
        return None, str(exc)
    return (task.score(verdict) if task.score else verdict), None


def sheet_entry(mode: str, formats: dict[str, VerdictFormat | SectionedVerdicts]) -> dict[str, Any]:
    """What a protocol sheet records about judging: the mode and each dimension's format."""
    return {
        "judge_mode": check_mode(mode),
        "verdict_formats": {dim: fmt.to_record() for dim, fmt in sorted(formats.items())},
    }


def check_mode(mode: str) -> str:
    if mode not in JUDGE_MODES:
        raise ConfigError(f"judge_mode: {mode!r} is not one of {list(JUDGE_MODES)}")
    return mode


def _request(
    task: JudgeTask, messages: list[dict[str, str]], sampling: Sampling, mode: str | None
) -> ChatRequest:
    """`mode` "answer"/"verdict": constrained (when the task declares a verdict format)."""
    if mode is None or not isinstance(task.parser, FORMATS):
        return ChatRequest.of(messages, sampling)
    return ChatRequest.of(messages, sampling, task.parser.constraint(mode, sampling.max_tokens))


def judge(
    engine: CachedEngine, tasks: Sequence[JudgeTask], sampling: Sampling, mode: str = "free"
) -> list[Judgment]:
    """Judge a batch: one batched call, then one batched re-ask for what did not parse."""
    check_mode(mode)
    first_mode = "answer" if mode == "constrained" else None
    reask_mode = "verdict" if mode == "reask" else None
    first = engine.generate([_request(t, t.messages, sampling, first_mode) for t in tasks])
    results: list[Judgment] = []
    retry: list[int] = []
    for i, (task, response) in enumerate(zip(tasks, first, strict=True)):
        value, error = _parse(task, response, "answer")
        status = (
            STATUS_FAILED
            if error is not None
            else STATUS_OK_CONSTRAINED
            if response.constrained
            else STATUS_OK
        )
        results.append(
            Judgment(task.item_id, task.dimension, response.text, None, _num(value), status, error)
        )
        if error is not None:
            retry.append(i)
    if retry:
        requests = [
            _request(
                tasks[i],
                reask_messages(tasks[i], results[i].raw_text, results[i].error or ""),
                sampling,
                reask_mode,
            )
            for i in retry
        ]
        for i, response in zip(retry, engine.generate(requests), strict=True):
            value, error = _parse(tasks[i], response, "verdict")
            results[i].reask_text = response.text
            if error is None:
                results[i].value = _num(value)
                results[i].status = (
                    STATUS_OK_CONSTRAINED if response.constrained else STATUS_OK_AFTER_REASK
                )
                results[i].error = None
            else:
                results[i].error = f"first: {results[i].error}; re-ask: {error}"
    unconstrained = mode != "free" and any(r.constrained is None for r in first)
    if unconstrained:
        log.warning(
            "judge %s: engine %s applies no constraint (judge_mode %s); its answers were free",
            engine.spec.name,
            engine.spec.engine,
            mode,
        )
    return results


def _num(value: Any) -> float | list[float] | None:
    if value is None:
        return None
    if isinstance(value, list):  # one verdict per item of a multi-part answer (e.g. per turn)
        return [float(v) for v in value]
    return float(value)
