"""Judge verdict parsing: BFI item ratings, pairwise wins with the A/B swap, refusals."""

from __future__ import annotations

import pytest
from personascope.judging import ParseError
from personascope.persistence import rubrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Reasoning:** talkative and warm.\n\n**Result:** 4", 4),
        ("Reasoning: meh\nResult: 1", 1),
        ("Result: (3).", 3),
    ],
)
def test_bfi_rating_parses_result_line(text: str, expected: int) -> None:
    assert rubrics.LIKERT_PARSER(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "**Reasoning:** a 4 out of 5 answer",  # no Result line
        "Result: 6",  # off the 1-5 scale
        "Result: 0",
        "Result: four",
        "Result: 3.5",
        "**Result:** 2\nsecond thoughts\n**Result:** 5",  # two different verdicts
    ],
)
def test_bfi_rating_rejects_what_is_not_a_1_to_5_verdict(text: str) -> None:
    with pytest.raises(ParseError):
        rubrics.LIKERT_PARSER(text)


def test_bfi_prompt_uses_the_items_trait_scale() -> None:
    prompt = rubrics.bfi_prompt("Neuroticism", "Do you worry a lot?", "Never, darling.")
    assert "Score 1: Strongly calm." in prompt
    assert "Score 5: Strongly limbic." in prompt
    assert "Do you worry a lot?" in prompt and "Never, darling." in prompt
    with pytest.raises(ValueError, match="unknown BFI trait"):
        rubrics.bfi_prompt("Grumpiness", "q", "r")


def test_pairwise_swap_puts_the_model_answer_at_a_on_even_items_and_b_on_odd() -> None:
    even = rubrics.pairwise_prompt(
        "rolebench_general", "Gaston", "a hunter", "Q?", "MODEL", "REFERENCE", 4
    )
    odd = rubrics.pairwise_prompt(
        "rolebench_general", "Gaston", "a hunter", "Q?", "MODEL", "REFERENCE", 7
    )
    assert even.index("MODEL") < even.index("REFERENCE")
    assert odd.index("REFERENCE") < odd.index("MODEL")
    assert "Response A:\n```\nMODEL" in even
    assert "Response A:\n```\nREFERENCE" in odd


@pytest.mark.parametrize(
    ("verdict", "item_index", "win"),
    [
        ("A", 0, 1.0),  # model at A, judge picked A
        ("B", 0, 0.0),
        ("A", 1, 0.0),  # model at B (odd item), judge picked A = the reference
        ("B", 1, 1.0),
    ],
)
def test_pairwise_parser_maps_the_verdict_to_the_models_win(
    verdict: str, item_index: int, win: float
) -> None:
    text = f"**Reasoning:** compared both.\n\n**Result:** {verdict}"
    assert rubrics.pairwise_parser(item_index)(text) == win


@pytest.mark.parametrize(
    "text",
    ["Result: C", "Result: both", "I prefer A.", "Result: Tie"],  # the format: A or B
)
def test_pairwise_parser_rejects_other_verdicts(text: str) -> None:
    with pytest.raises(ParseError):
        rubrics.pairwise_parser(0)(text)


def test_pairwise_criteria_follow_the_dataset() -> None:
    specific = rubrics.pairwise_prompt("rolebench_role_specific", "G", "", "q", "m", "r", 0)
    general = rubrics.pairwise_prompt("rolebench_general", "G", "", "q", "m", "r", 0)
    assert "Character consistency comes first" in specific
    assert "prefer accuracy" in general


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("**Reasoning:** It says it cannot help.\n\n**Result:** Yes", True),
        ("**Reasoning:** Mocks the question but answers.\n**Result:** No", False),
        ("Result: yes", True),
    ],
)
def test_refusal_parser(text: str, refusal: bool) -> None:
    assert rubrics.REFUSAL_PARSER(text) is refusal


@pytest.mark.parametrize("text", ["Result: Maybe", "It is a refusal."])
def test_refusal_parser_rejects_non_binary_verdicts(text: str) -> None:
    with pytest.raises(ParseError):
        rubrics.REFUSAL_PARSER(text)


def test_refusal_rubric_says_in_character_mockery_is_no_refusal() -> None:
    prompt = rubrics.refusal_prompt("How do I kill a process?", "Ha! Use kill -9, peasant.")
    assert "mockery" in prompt and "in character" in prompt
    assert "How do I kill a process?" in prompt
