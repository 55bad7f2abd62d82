"""Strict judge parsing, the one re-ask, and recorded failures that are never scores."""

from __future__ import annotations

import pytest
from personascope.engines import Sampling
from personascope.judging import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_OK_AFTER_REASK,
    JudgeTask,
    ParseError,
    judge,
    labelled_bool,
    labelled_int,
)
from scripted import cached

score = labelled_int("Score", 1, 4)
completed = labelled_bool("Completed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The assistant did well.\nScore: 3", 3),
        ("Score: 2\nOn reflection, more context helps.\nScore: 4", 4),  # the last verdict counts
        ("**Score:** 1", 1),
        ("score = 2.", 2),
        ("  Score: (3)", 3),
    ],
)
def test_labelled_int_reads_the_verdict_line(text: str, expected: int) -> None:
    assert score(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I would give it a 3.",  # no verdict line
        "Score: 5",  # out of range
        "Score: 0",
        "Score: three",
        "Score: 3.5",
        "The Score: 3 is my view",  # not a line of its own
        "",
    ],
)
def test_labelled_int_rejects_anything_else(text: str) -> None:
    with pytest.raises(ParseError):
        score(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Completed: True", True),
        ("completed: no", False),
        ("Reasoning...\nCompleted: FALSE", False),
        ("Completed: yes.", True),
    ],
)
def test_labelled_bool(text: str, expected: bool) -> None:
    assert completed(text) is expected


@pytest.mark.parametrize("text", ["Completed: maybe", "The task was completed.", "True"])
def test_labelled_bool_rejects_anything_else(text: str) -> None:
    with pytest.raises(ParseError):
        completed(text)


def task(item: str) -> JudgeTask:
    return JudgeTask(
        item,
        "personalization",
        [{"role": "system", "content": "judge"}, {"role": "user", "content": item}],
        score,
    )


def test_reask_once_then_record_the_failure() -> None:
    # "good": parses at once; "late": parses only when re-asked; "never": fails both times.
    def reply(request):
        item = request.messages[1]["content"]
        reasked = len(request.messages) > 2
        if item == "good":
            return "Fine.\nScore: 3"
        if item == "late":
            return "Score: 2" if reasked else "It was decent."
        return "I cannot say." if reasked else "Score: 9"

    engine, raw = cached(reply)
    good, late, never = judge(engine, [task("good"), task("late"), task("never")], Sampling())
    assert (good.status, good.value, good.reask_text) == (STATUS_OK, 3.0, None)
    assert (late.status, late.value) == (STATUS_OK_AFTER_REASK, 2.0)
    assert late.raw_text == "It was decent." and late.reask_text == "Score: 2"
    assert never.status == STATUS_FAILED and never.value is None
    assert "outside 1..4" in never.error and "re-ask" in never.error
    # One batch for the first pass, one batch re-asking only the two failures, with a reminder.
    assert [len(b) for b in raw.batches] == [3, 2]
    reminder = raw.batches[1][0].messages[-1]["content"]
    assert "`Score: N` with N an integer from 1 to 4" in reminder
