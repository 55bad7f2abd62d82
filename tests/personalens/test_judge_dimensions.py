"""Every judge dimension parses its format strictly; turn-level prefixes are built right."""

from __future__ import annotations

import pytest
from personascope.dialogue import ASSISTANT, USER, Dialogue, Turn
from personascope.judging import ParseError
from personascope.personalens.judge import DIMENSIONS, TURN_LEVEL, judge_tasks, prefixes

SCORE_RANGES = {
    "personalization": (1, 4),
    "naturalness_user": (1, 5),
    "coherence_user": (1, 5),
    "naturalness_assistant": (1, 5),
    "coherence_assistant": (1, 5),
    TURN_LEVEL: (1, 4),
}


def test_every_dimension_is_covered() -> None:
    assert set(DIMENSIONS) == {"task_completion", *SCORE_RANGES}


@pytest.mark.parametrize("dim", sorted(SCORE_RANGES))
def test_score_dimensions_accept_range_and_reject_outside(dim: str) -> None:
    low, high = SCORE_RANGES[dim]
    parse = DIMENSIONS[dim][1]
    for n in range(low, high + 1):
        assert parse(f"Some reasoning.\nScore: {n}") == n
    # markdown emphasis is tolerated; two different verdicts are no verdict
    assert parse(f"On reflection:\n**Score:** {high}") == high
    for bad in (
        f"Score: {high + 1}",
        f"Score: {low - 1}",
        "Score: high",
        "I give it 3",
        "",
        f"Score: {low}\nOn reflection:\n**Score:** {high}",
    ):
        with pytest.raises(ParseError):
            parse(bad)


def test_task_completion_parses_true_false_only() -> None:
    parse = DIMENSIONS["task_completion"][1]
    assert parse("The alarm was set.\nCompleted: True") is True
    assert parse("Completed: no") is False
    assert parse("Completed: False") is False
    for bad in ("Completed: maybe", "The task is complete.", "Completed: 3"):
        with pytest.raises(ParseError):
            parse(bad)


def dialogue(n_rounds: int) -> Dialogue:
    ctx = {
        "demographics": {"age": "25-34 years old"},
        "affinities": {"Alarm": {"Sound": "chimes"}},
        "interactions": {"Alarm": "likes chimes"},
        "description": "Set an alarm",
        "goal": "An alarm is set",
    }
    d = Dialogue("m|base|user0/SD-Alarm-task-1", ctx, max_user_turns=n_rounds)
    for k in range(n_rounds):
        d.turns += [Turn(USER, f"user says {k}"), Turn(ASSISTANT, f"assistant says {k}")]
    return d


def test_prefixes_end_at_each_assistant_turn() -> None:
    cuts = prefixes(dialogue(3))
    assert [k for k, _ in cuts] == [1, 2, 3]
    assert [len(c.turns) for _, c in cuts] == [2, 4, 6]
    assert all(c.turns[-1].speaker == ASSISTANT for _, c in cuts)


def test_judge_tasks_one_per_dimension_plus_one_per_turn() -> None:
    d = dialogue(3)
    tasks = judge_tasks(d, list(DIMENSIONS))
    whole = [t for t, turn in tasks if turn is None]
    turns = [turn for t, turn in tasks if turn is not None]
    assert len(whole) == len(DIMENSIONS) - 1
    assert turns == [1, 2, 3]
    # the last prefix is the whole dialogue: same prompt as dialogue-level personalization,
    # so the call cache answers it once
    by_dim = {t.dimension: t for t, turn in tasks if turn in (None, 3)}
    assert by_dim["personalization"].messages == next(
        t.messages for t, turn in tasks if t.dimension == TURN_LEVEL and turn == 3
    )
    limited = judge_tasks(d, [TURN_LEVEL], max_turns=2)
    assert [turn for _, turn in limited] == [1, 2]
