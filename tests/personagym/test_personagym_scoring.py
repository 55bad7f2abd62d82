"""Grades and PersonaScore arithmetic: principled, and upstream's on a hand-made example."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from gym_support import gym_sources, gym_texts
from personascope.errors import ParseError
from personascope.personagym import scoring as S
from personascope.personagym.grading import grade_rows
from personascope.personagym.scores import persona_scores, task_scores


@pytest.fixture(scope="module")
def texts(shared_data):
    return gym_texts(shared_data)


@pytest.fixture(scope="module")
def sources(shared_data):
    return gym_sources(shared_data)


@pytest.fixture(scope="module")
def phrase(texts) -> str:
    return texts.closing_phrase("Toxicity")


def malformed(phrase: str) -> list[str]:
    """200 judge texts that must not become a score."""
    stems = ["", "The response is fine. ", "Reasoning here.\n", "**Evaluation**: ok. "]
    bad_endings = [
        "four.",
        "**4**",
        "N/A",
        "0",
        "6",
        "10",
        "45",
        "-3",
        "4.5",
        "3-4",
        "2 or 3",
        "?",
        "...",
        "",
        "five out of five",
        "4,5",
        "3.0",
        "7/5",
        "(4)",
    ]
    texts = [f"{s}{phrase} {e}" for s, e in itertools.product(stems, bad_endings)]
    texts += [f"{s}{phrase.lower()} 4." for s in stems]  # not the rubric's phrase
    texts += [f"{s}The final score is 4." for s in stems]
    texts += [f"{s}Score: 5" for s in stems]
    texts += [f"{s}{phrase} 2. On reflection, {phrase} 5." for s in stems]  # disagree
    texts += [f"{s}{phrase}\n\n" for s in stems]
    texts += [f"{s}Therefore the final score is 3." for s in stems]
    n = 0
    while len(texts) < 200:  # pad with noise of growing length, none with the phrase
        n += 1
        texts.append("grade " * n + str(n % 7))
    return texts[:200]


def test_two_hundred_malformed_judge_texts_never_become_a_score(phrase: str) -> None:
    cases = malformed(phrase)
    assert len(cases) == 200 and len(set(cases)) == 200
    for text in cases:
        with pytest.raises(ParseError):
            S.parse_grade(text, phrase)
    rows = grade_rows(cases, len(cases), phrase)
    assert all(value is None and status == "parse_failure" for _, value, _, status, _ in rows)


@pytest.mark.parametrize(
    "ending,grade",
    [("4", 4), ("5.", 5), ("1\n", 1), ("3/5.", 3), ("2, given the answer.", 2), ("  4", 4)],
)
def test_well_formed_grades_parse(phrase: str, ending: str, grade: int) -> None:
    assert S.parse_grade(f"Because. {phrase} {ending}", phrase) == grade
    assert S.parse_grade(f"{phrase} {ending}\nAgain: {phrase} {ending}", phrase) == grade


def test_upstream_reading_makes_a_missing_grade_zero(phrase: str) -> None:
    assert S.parse_grade_published("no verdict", phrase) == 0
    assert S.parse_grade_published(f"{phrase} 45", phrase) == 45
    assert S.parse_grade_published(f"{phrase} 2. {phrase} 5", phrase) == 2


def test_missing_evaluations_are_failures_not_zeros(phrase: str) -> None:
    rows = grade_rows([f"{phrase} 4"], 3, phrase)
    assert [r[1] for r in rows] == [4, None, None]
    assert [r[2] for r in rows] == [4, 0, 0]
    assert [r[3] for r in rows] == ["ok", "parse_failure", "parse_failure"]


def test_upstream_modified_average_by_hand() -> None:
    # upstream: sum / (len - zeros); all zeros -> the sum, 0
    assert S.modified_average([4, 0, 2, 0, 3]) == pytest.approx(3.0)
    assert S.modified_average([0, 0, 0]) == 0.0
    assert S.modified_average([]) == 0.0
    assert S.modified_average([5, 5, 5, 5, 1]) == pytest.approx(4.2)


def grading_frame(grades: dict[str, list[list[int | None]]], published: bool) -> pd.DataFrame:
    """slot -> groups -> grades, one persona, task T."""
    rows = []
    for slot, groups in grades.items():
        for g, values in enumerate(groups):
            readings = [0 if v is None else v for v in values]
            for k, v in enumerate(values):
                rows.append(
                    {
                        "persona_id": "p000",
                        "persona": "P",
                        "task": "T",
                        "position": g * 5 + k,
                        "group": g,
                        "slot": k,
                        "judge_slot": slot,
                        "grade": v,
                        "grade_published": 0 if v is None else v,
                        "group_published_mean": S.modified_average(readings),
                        "status": "ok" if v is not None else "parse_failure",
                    }
                )
    frame = pd.DataFrame(rows)
    frame["grade"] = frame["grade"].astype("Int64")
    return frame


GRADES = {
    "judge1": [[4, None, 2, None, 3], [None, None, None, None, None]],
    "judge2": [[5, 5, 5, 5, 1], [2, 4, None, None, None]],
}


def test_published_arithmetic_reproduces_upstream_by_hand() -> None:
    table = task_scores(grading_frame(GRADES, True), ["T"], published_quirks=True)
    # group 0: judge1 (4+2+3)/3 = 3, judge2 21/5 = 4.2 -> 3.6
    # group 1: judge1 all missing -> 0 (counted!), judge2 (2+4)/2 = 3 -> 1.5
    assert table.loc[0, "score"] == pytest.approx((3.6 + 1.5) / 2)


def test_principled_arithmetic_excludes_and_counts_failures() -> None:
    table = task_scores(grading_frame(GRADES, False), ["T"], published_quirks=False)
    # group 1: judge1 has no grade -> only judge2's 3.0 counts
    assert table.loc[0, "score"] == pytest.approx((3.6 + 3.0) / 2)
    assert table.loc[0, "parse_failures"] == 2 + 5 + 3
    assert table.loc[0, "parsed"] == 20 - 10


def test_a_persona_without_every_task_has_no_principled_persona_score() -> None:
    tasks = pd.DataFrame(
        {
            "persona_id": ["p0", "p0"],
            "persona": ["P", "P"],
            "task": ["A", "B"],
            "score": [4.0, math.nan],
        }
    )
    principled = persona_scores(tasks, ["A", "B"], published_quirks=False)
    assert math.isnan(principled.loc[0, "persona_score"])
    assert principled.loc[0, "tasks_scored"] == 1
    full = tasks.assign(score=[4.0, 2.0])
    assert persona_scores(full, ["A", "B"], False).loc[0, "persona_score"] == 3.0


def test_relative_improvement_is_percent_over_the_baseline() -> None:
    assert S.relative_improvement(4.12, 4.0) == pytest.approx(3.0)
