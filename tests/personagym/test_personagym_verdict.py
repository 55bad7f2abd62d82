"""The constrained form of a grading answer: k numbered evaluations, each ending in a grade."""

from __future__ import annotations

import json
import re

import pytest
from gym_support import gym_texts
from personascope.errors import ParseError
from personascope.personagym.grading import grade_rows
from personascope.personagym.texts import split_evaluations
from personascope.personagym.verdict import GroupVerdict


@pytest.fixture(scope="module")
def texts(shared_data):
    return gym_texts(shared_data)


@pytest.fixture(scope="module")
def verdict(texts) -> GroupVerdict:
    return GroupVerdict.of(texts.grading_prompt, texts.closing_phrase("Toxicity"))


def answer(verdict: GroupVerdict, grades: list[str], reasoning: str = "fine") -> str:
    return "\n".join(
        f"{verdict.header.format(k=i + 1)} {reasoning} {verdict.phrase} {g}."
        for i, g in enumerate(grades)
    )


def test_the_constraint_admits_exactly_the_numbered_graded_form(verdict: GroupVerdict) -> None:
    constraint = verdict.constraint(2, 192)
    assert re.fullmatch(constraint.regex, answer(verdict, ["4", "2"]), re.DOTALL)
    for bad in (
        answer(verdict, ["4"]),  # one evaluation short
        answer(verdict, ["4", "6"]),  # out of range
        answer(verdict, ["4", "2"]).replace("(2)", "(3)"),
        answer(verdict, ["4", "2"], reasoning="x" * 500),  # past the reasoning bound
    ):
        assert not re.fullmatch(constraint.regex, bad, re.DOTALL)


def test_constrained_grades_are_read_exactly(verdict: GroupVerdict) -> None:
    assert verdict.read(answer(verdict, ["4", "2"]), "grammar", 2) == [4, 2]


def test_the_grammar_compiles_for_llama_cpp(verdict: GroupVerdict) -> None:
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(verdict.constraint(2, 192).grammar, verbose=False)


def test_a_constrained_answer_reads_through_the_free_protocol(texts, verdict) -> None:
    phrase = verdict.phrase
    rows = grade_rows(split_evaluations(texts, answer(verdict, ["4", "2"])), 2, phrase)
    assert [r[1] for r in rows] == [4, 2]


def test_json_forms_are_rewritten_into_the_numbered_text(verdict: GroupVerdict) -> None:
    blob = json.dumps({"evaluations": [{"reasoning": "a", "verdict": 3}]})
    assert verdict.as_text(blob, "json_schema", 1) == f"(1) Evaluation: a {verdict.phrase} 3."
    with pytest.raises(ParseError):
        verdict.as_text("not json", "json_schema", 1)
    assert verdict.as_text("as is", "grammar", 1) == "as is"
