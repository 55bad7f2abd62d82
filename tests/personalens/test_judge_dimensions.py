"""Judge parsing: the label and range come from each upstream template's response format; the
default parse is strict (a failure is recorded, never a score), `published_quirks` is upstream's."""

from __future__ import annotations

import re

import pytest
from personascope.dialogue import ASSISTANT, USER, Dialogue, Turn
from personascope.errors import ParseError
from personascope.personalens import judge as J
from personascope.protocol import load_pack


@pytest.fixture(scope="module")
def pack(shared_data):
    return load_pack(
        "personalens", {"local": str(shared_data / "personalens" / "protocol-literals.json")}
    )


def fmt(pack, dim):
    key = J.judge_key(dim)
    return J.score_format(pack.text(key), key)


def test_score_formats_are_read_from_the_templates(pack):
    # the paper's scales: personalization 1-4, naturalness and coherence 1-5
    assert (fmt(pack, "personalization").low, fmt(pack, "personalization").high) == (1, 4)
    for dim in ("naturalness_user", "naturalness_assistant", "coherence_user"):
        assert (fmt(pack, dim).low, fmt(pack, dim).high) == (1, 5)
    assert fmt(pack, "naturalness_user").label != fmt(pack, "coherence_user").label
    key = J.judge_key("task_completion")
    assert J.verdict_label(pack.text(key), key).isupper()


@pytest.mark.parametrize("dim", ["personalization", "naturalness_user", "coherence_assistant"])
def test_scores_parse_strictly_by_default(pack, dim):
    f = fmt(pack, dim)
    parse = J.parser_for(pack, dim, quirks=False, n_turns=1)
    for n in range(f.low, f.high + 1):
        assert parse(f"<response>\n{f.label}: {n}\nJustification: ok\n</response>") == n
    assert parse(f"**{f.label}:** {f.high}") == f.high
    for bad in (
        f"{f.label}: {f.high + 1}",  # out of range
        f"{f.label}: {f.low - 1}",
        f"{f.label}: {f.low}\n{f.label}: {f.high}",  # conflicting answers
        "Score: 3",  # another label
        "",
    ):
        with pytest.raises(ParseError):
            parse(bad)


def test_published_quirks_take_the_first_match_without_range_check(pack):
    f = fmt(pack, "personalization")
    quirky = J.parser_for(pack, "personalization", quirks=True, n_turns=1)
    assert quirky(f"{f.label}: {f.high + 3}") == f.high + 3
    assert quirky(f"{f.label}: 1\n{f.label}: 4") == 1
    with pytest.raises(ParseError):  # upstream skipped an unparsed score too
        quirky("no score here")


def test_task_completion_verdicts(pack):
    key = J.judge_key("task_completion")
    label = J.verdict_label(pack.text(key), key)
    strict = J.parser_for(pack, "task_completion", quirks=False, n_turns=1)
    quirky = J.parser_for(pack, "task_completion", quirks=True, n_turns=1)
    assert strict(f"{label}: True\nEXPLANATION: done") is True
    assert strict(f"{label}: false\nEXPLANATION: no") is False
    # the template ends in `<LABEL>: `, so the reply may open with the bare verdict
    assert strict("True\nEXPLANATION: done") is True
    for bad in ("I think so.", f"{label}: True\n{label}: False", ""):
        with pytest.raises(ParseError):
            strict(bad)
    # upstream: no labelled verdict counts as not completed
    assert quirky("I think so.") is False
    assert quirky("True\nEXPLANATION: done") is False
    assert quirky(f"{label}: True") is True


def test_turn_level_is_one_call_scoring_every_assistant_turn(pack, shared_data):
    f = fmt(pack, J.TURN_LEVEL)
    parse = J.parser_for(pack, J.TURN_LEVEL, quirks=False, n_turns=2)
    reply = f"{f.block} 1 (x):\n{f.label}: 2\n\n{f.block} 2 (y):\n{f.label}: 4\n"
    assert parse(reply) == [2, 4]
    for bad in (f"{f.block} 1:\n{f.label}: 2", reply.replace(": 4", ": 9")):
        with pytest.raises(ParseError):
            parse(bad)
    d = Dialogue("m|base|user0/SD-Alarm-task-1", {}, max_user_turns=0)
    d.turns = [Turn(USER, "a"), Turn(ASSISTANT, "b"), Turn(USER, "c"), Turn(ASSISTANT, "d")]
    assert J.assistant_turns(d) == 2


def test_turn_level_rows_one_per_turn_and_failures_stay_unscored():
    class Row:
        dialogue_id, scenario_id, kind, domains = "d", "s", "SD", ["Alarm"]
        assistant_model, setting = "m", "base"

    class Judged:
        dimension, raw_text, reask_text, status, error = J.TURN_LEVEL, "t", None, "ok", None
        value: list[float] | None = None

    Judged.value = [2.0, 3.0]

    rows = J.judgment_rows(Row, "judge", Judged, 2)
    assert [(r["turn"], r["value"]) for r in rows] == [(1, 2.0), (2, 3.0)]
    Judged.value, Judged.status = None, "parse_failure"
    rows = J.judgment_rows(Row, "judge", Judged, 2)
    assert [(r["turn"], r["value"], r["status"]) for r in rows] == [
        (1, None, "parse_failure"),
        (2, None, "parse_failure"),
    ]


def test_turn_level_is_constrained_to_one_section_per_turn(pack):
    f = fmt(pack, J.TURN_LEVEL)
    sections = J.parser_for(pack, J.TURN_LEVEL, quirks=False, n_turns=2)
    constraint = sections.constraint("answer", 160)
    # what a grammar-bound judge writes: each header, then its score line, then the reasoning
    answer = (
        f"{f.block} 1\n{f.label}: 3\n{f.after}: the alarm\n"
        f"{f.block} 2\n{f.label}: 1\n{f.after}: no profile"
    )
    assert re.fullmatch(constraint.regex, answer)
    assert sections.read_constrained(answer, "grammar", "answer") == [3, 1]
    assert sections(answer) == [3, 1]  # the free parser reads it the same
    assert not re.fullmatch(constraint.regex, answer.replace(f"{f.block} 2", f"{f.block} 3"))
    assert not re.fullmatch(constraint.regex, answer.replace(": 1\n", ": 7\n"))


def test_a_dialogue_without_an_assistant_turn_gets_no_turn_level_task(pack):
    d = Dialogue("m|base|user0/SD-Alarm-task-1", {}, max_user_turns=0)
    d.turns = [Turn(USER, "a")]
    tasks = J.judge_tasks(pack, d, [J.TURN_LEVEL], quirks=False)
    assert tasks == []
