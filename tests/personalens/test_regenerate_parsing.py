"""Strict parsing of regenerated persona items."""

from __future__ import annotations

import pytest
from personascope.judging import ParseError
from personascope.personalens.regenerate import labelled_lines, preference_parser, validating


def test_categorical_value_must_be_possible_and_takes_schema_spelling() -> None:
    parse = preference_parser(True, False, ["Morning", "Evening"])
    assert parse("Value: morning") == ["Morning"]
    with pytest.raises(ParseError, match="not among"):
        parse("Value: Noon")
    with pytest.raises(ParseError):
        parse("I like mornings")


def test_multiple_values_split_on_commas() -> None:
    parse = preference_parser(True, True, ["Jazz", "Rock", "Pop"])
    assert parse("Value: jazz, Rock") == ["Jazz", "Rock"]
    free = preference_parser(False, True, ["J.K. Rowling"])
    assert free("**Value:** Ursula K. Le Guin, Terry Pratchett") == [
        "Ursula K. Le Guin",
        "Terry Pratchett",
    ]


def test_labelled_lines_need_every_label() -> None:
    parse = labelled_lines(["Intent", "Goal"])
    assert parse("Intent: wake at 7\nGoal: an alarm at 7:00 AM") == {
        "Intent": "wake at 7",
        "Goal": "an alarm at 7:00 AM",
    }
    with pytest.raises(ParseError, match="Goal"):
        parse("Intent: wake at 7")


def test_validating_returns_a_number_and_keeps_the_hint() -> None:
    parse = preference_parser(True, False, ["A"])
    check = validating(parse)
    assert check("Value: a") == 1.0
    assert check.format_hint == parse.format_hint  # type: ignore[attr-defined]
    with pytest.raises(ParseError):
        check("Value: b")
