"""LLM-as-judge with strict parsing, one re-ask, and recorded failures.

A judgment keeps the raw judge text, the parsed value and a parse status. A text that does not
parse gets one re-ask with a format reminder; if that fails too the item is a recorded
failure — excluded from every mean and counted in the reports, never a score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .engines import CachedEngine, ChatRequest, Sampling
from .errors import ParseError

STATUS_OK = "ok"
STATUS_OK_AFTER_REASK = "ok_after_reask"
STATUS_FAILED = "parse_failure"

Parser = Callable[[str], Any]


def _labelled_values(text: str, label: str) -> list[str]:
    # `Label: value` on a line of its own; markdown emphasis around either part is tolerated.
    pattern = re.compile(
        rf"^[\s>*_`#-]*{re.escape(label)}[\s*_`]*[:=][\s*_`]*([^\s*_`]+)[\s*_`.]*$",
        re.IGNORECASE | re.MULTILINE,
    )
    return pattern.findall(text)


def labelled_int(label: str, low: int, high: int) -> Parser:
    """Parse the last `Label: N` line; N must be an integer in [low, high]."""

    def parse(text: str) -> int:
        found = _labelled_values(text, label)
        if not found:
            raise ParseError(f"no line of the form '{label}: N'")
        raw = found[-1].strip("().[]")
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ParseError(f"'{label}: {found[-1]}' is not an integer")
        value = int(raw)
        if not low <= value <= high:
            raise ParseError(f"{label} {value} outside {low}..{high}")
        return value

    parse.format_hint = f"`{label}: N` with N an integer from {low} to {high}"  # type: ignore[attr-defined]
    return parse


TRUE_WORDS = {"true", "yes"}
FALSE_WORDS = {"false", "no"}


def labelled_bool(label: str) -> Parser:
    """Parse the last `Label: True|False` (or Yes|No) line."""

    def parse(text: str) -> bool:
        found = _labelled_values(text, label)
        if not found:
            raise ParseError(f"no line of the form '{label}: True|False'")
        raw = found[-1].strip("().[]").lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise ParseError(f"'{label}: {found[-1]}' is neither True nor False")

    parse.format_hint = f"`{label}: True` or `{label}: False`"  # type: ignore[attr-defined]
    return parse


@dataclass
class JudgeTask:
    item_id: str
    dimension: str
    messages: list[dict[str, str]]
    parser: Parser


@dataclass
class Judgment:
    item_id: str
    dimension: str
    raw_text: str
    reask_text: str | None
    value: float | None
    status: str
    error: str | None

    def to_record(self) -> dict[str, Any]:
        return dict(self.__dict__)


def reask_messages(task: JudgeTask, first_text: str, error: str) -> list[dict[str, str]]:
    hint = getattr(task.parser, "format_hint", "the required format")
    return [
        *task.messages,
        {"role": "assistant", "content": first_text},
        {
            "role": "user",
            "content": (
                f"Your answer could not be read ({error}). Reply again with your final answer "
                f"as one line exactly of the form {hint}."
            ),
        },
    ]


def _try(parser: Parser, text: str) -> tuple[Any, str | None]:
    try:
        return parser(text), None
    except ParseError as exc:
        return None, str(exc)


def judge(engine: CachedEngine, tasks: Sequence[JudgeTask], sampling: Sampling) -> list[Judgment]:
    """Judge a batch: one batched call, then one batched re-ask for what did not parse."""
    first = engine.generate([ChatRequest.of(t.messages, sampling) for t in tasks])
    results: list[Judgment] = []
    retry: list[int] = []
    for i, (task, response) in enumerate(zip(tasks, first, strict=True)):
        value, error = _try(task.parser, response.text)
        status = STATUS_OK if error is None else STATUS_FAILED
        results.append(
            Judgment(task.item_id, task.dimension, response.text, None, _num(value), status, error)
        )
        if error is not None:
            retry.append(i)
    if retry:
        requests = [
            ChatRequest.of(
                reask_messages(tasks[i], results[i].raw_text, results[i].error or ""), sampling
            )
            for i in retry
        ]
        for i, response in zip(retry, engine.generate(requests), strict=True):
            value, error = _try(tasks[i].parser, response.text)
            results[i].reask_text = response.text
            if error is None:
                results[i].value = _num(value)
                results[i].status = STATUS_OK_AFTER_REASK
                results[i].error = None
            else:
                results[i].error = f"first: {results[i].error}; re-ask: {error}"
    return results


def _num(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)
