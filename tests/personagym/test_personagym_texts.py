"""Filling, grouping and splitting as upstream does it, and as the principled mode does."""

from __future__ import annotations

import pandas as pd
import pytest
from gym_support import gym_sources, gym_texts
from personascope.errors import InputDataError, ProtocolError
from personascope.personagym import texts as T
from personascope.personagym.benchmark import Benchmark, select_personas
from personascope.personagym.groups import iter_groups, with_groups
from personascope.personagym.questions import extract_list

EXAMPLES_ANSWER = (
    'Rubric 1 Examples:\nScore 1:  Response - rude\n\nScore 2:  Response - "curt"\n'
    "Rubric 2 Examples: \nScore 1:  Response - no\nScore 5:  Response - yes, gladly\n"
)


@pytest.fixture(scope="module")
def texts(shared_data):
    return gym_texts(shared_data)


@pytest.fixture(scope="module")
def sources(shared_data):
    return gym_sources(shared_data)


def test_groups_of_five_in_question_order() -> None:
    table = pd.DataFrame(
        {
            "persona_id": ["p000"] * 12,
            "task": ["A"] * 7 + ["B"] * 5,
            "position": [6, 5, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4],
        }
    )
    grouped = with_groups(table, 5)
    a = grouped[grouped["task"] == "A"].set_index("position")
    assert list(a.loc[[0, 4, 5, 6], "group"]) == [0, 0, 1, 1]
    assert list(a.loc[[0, 4, 5, 6], "slot"]) == [0, 4, 0, 1]
    keys = [key for key, _ in iter_groups(grouped)]
    assert keys == [("p000", "A", 0), ("p000", "A", 1), ("p000", "B", 0)]


def test_principled_split_gives_each_question_its_own_rubric_section() -> None:
    out = T.examples_per_question(EXAMPLES_ANSWER, 3, published_quirks=False)
    assert out[0] == 'Score 1: "rude"\n\nScore 2: "curt"'
    assert out[1] == 'Score 1: "no"\n\nScore 5: "yes, gladly"'
    assert out[2] is None  # the answer has no third section: recorded, not invented


def test_published_quirks_index_the_examples_string_character_by_character() -> None:
    out = T.examples_per_question(EXAMPLES_ANSWER, 5, published_quirks=True)
    processed = T.process_examples(EXAMPLES_ANSWER)
    assert out == list(processed[:5])
    assert out[:3] == ["S", "c", "o"]


def test_process_examples_keeps_only_lines_opening_with_score() -> None:
    # upstream keeps the first line of a multi-line example (its closing quote is lost)
    text = "Intro line\nScore 3: Response - fine\nnoise\nScore 4: Response - good"
    assert T.process_examples(text) == 'Score 3: "fine\n\nScore 4: "good"'


def test_quirks_format_the_filled_prompts_as_a_python_list(texts: T.Texts) -> None:
    questions = ["What now?", "And then?"]
    quirky = T.examples_request(texts, "a tester", questions, "Toxicity", True)
    plain = T.examples_request(texts, "a tester", questions, "Toxicity", False)
    assert "['" in quirky and "\\n" in quirky  # repr of a list of multi-line strings
    assert "['" not in plain and "\\n" not in plain
    for question in questions:
        assert question in plain


def test_grading_request_fills_every_rubric_field(texts: T.Texts) -> None:
    messages = T.grading_request(
        texts,
        "a tester",
        "Expected Action",
        [("Q1?", "A1."), ("Q2?", "A2.")],
        ["EX-ONE", "EX-TWO"],
        published_quirks=False,
    )
    assert messages[0] == {"role": "system", "content": texts.grading_system}
    user = messages[1]["content"]
    for piece in ("Q1?", "A1.", "Q2?", "A2.", "EX-ONE", "EX-TWO", "a tester"):
        assert piece in user
    assert "{score_example}" not in user and "{rubrics}" not in user
    assert user.index("EX-ONE") < user.index("Q1?") < user.index("EX-TWO")


def test_answer_request_uses_the_persona_prompt(texts: T.Texts) -> None:
    system, user = T.answer_messages(texts, "a 30-year-old tester", "Why?")
    assert "a 30-year-old tester" in system["content"] and "{persona}" not in system["content"]
    assert user == {"role": "user", "content": "Why?"}


def test_evaluations_split_by_upstreams_pattern(texts: T.Texts) -> None:
    answer = "Preamble\n(1) Evaluation: first\n(2) Evaluation:\nsecond\n\n(3) Evaluation: third"
    assert T.split_evaluations(texts, answer) == ["first", "second", "third"]
    assert T.split_evaluations(texts, "Error") == []


def test_closing_phrase_is_read_from_every_rubric(texts: T.Texts) -> None:
    phrases = {texts.closing_phrase(task) for task in texts.rubrics}
    assert len(phrases) == 1
    (phrase,) = phrases
    assert phrase.split()[0] == "Therefore," and not phrase.endswith(".")


def test_a_rubric_without_the_closing_request_is_a_protocol_error(texts: T.Texts) -> None:
    import dataclasses

    broken = dataclasses.replace(texts, rubrics={"X": "no closing request here"})
    with pytest.raises(ProtocolError, match="closing"):
        broken.closing_phrase("X")


def test_extract_list_reads_a_fenced_python_list() -> None:
    assert extract_list("```python\n['a', 'b']\n```") == ["a", "b"]
    with pytest.raises(ValueError):
        extract_list("{'a': 1}")
    with pytest.raises((ValueError, SyntaxError)):
        extract_list("Sure! Here are questions: 1. a")


def test_persona_selection(sources: dict) -> None:
    bench = Benchmark.open(sources["data"]["local"], sources["data"]["commit"])
    personas = bench.personas()
    assert len(personas) == 200
    assert select_personas(personas, 2) == [("p000", personas[0]), ("p001", personas[1])]
    assert select_personas(personas, ["p005", 5, personas[7]]) == [
        ("p005", personas[5]),
        ("p007", personas[7]),
    ]
    with pytest.raises(Exception, match="unknown persona"):
        select_personas(personas, ["nobody"])


def test_a_changed_benchmark_file_is_refused(tmp_path, sources: dict) -> None:
    import shutil

    copy = tmp_path / "pg"
    shutil.copytree(sources["data"]["local"], copy)
    (copy / "personas.json").chmod(0o644)
    (copy / "personas.json").write_text('["someone else"]\n', encoding="utf-8")
    bench = Benchmark.open(copy, sources["data"]["commit"])
    with pytest.raises(InputDataError, match="sha256"):
        bench.personas()
