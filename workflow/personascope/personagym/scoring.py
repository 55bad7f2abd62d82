"""PersonaGym grades and PersonaScore arithmetic, principled and as upstream computed it.

A grade is read from the closing sentence the rubric asks for ("<phrase> N"). Principled: N must
be an integer 1..5 right after the phrase, else the grade is a recorded parse failure — never a
score. Published quirks (upstream's `parse_rubric` + `calculate_modified_average`): a missing
grade reads as 0, and zeros are then dropped from the judge's group mean (a group with no grade
at all averages to 0, which then counts).

PersonaScore: per judge and group the mean over grades; per group the mean of the judges; per
task the mean over groups; per persona the mean of the five tasks; per model the mean over
personas (the bootstrap unit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..errors import ParseError

GRADE_RANGE = (1, 5)


def grade_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(re.escape(phrase) + r"\s*(\d+)")


# what may follow the grade: optionally "/5", then the sentence's end or a space; the rest of the
# sentence holds no other number ("2 or 3", "3-4", "4.5" are not a grade)
_GRADE_END = re.compile(r"(?:/5)?(?:[.!](?!\d)|$|[,;:]?(?=\s)[^.!\n\d]*(?=[.!\n]|$))")


def parse_grade(text: str, phrase: str) -> int:
    """The grade of one evaluation (principled): the integer 1..5 after the closing phrase.
    No closing sentence, a value out of range, a decimal or range, or two closing sentences
    that disagree: a ParseError."""
    values = []
    for found in grade_pattern(phrase).finditer(text):
        if not _GRADE_END.match(text, found.end()):
            tail = text[found.end() : found.end() + 3]
            raise ParseError(f"'{phrase} {found.group(1)}{tail}' is not an integer grade")
        values.append(int(found.group(1)))
    if not values:
        raise ParseError(f"no closing sentence '{phrase} N'")
    if len(set(values)) > 1:
        raise ParseError(f"closing sentences disagree: {values}")
    value = values[0]
    low, high = GRADE_RANGE
    if not low <= value <= high:
        raise ParseError(f"grade {value} outside {low}..{high}")
    return value


def parse_grade_published(text: str, phrase: str) -> int:
    """Upstream's reading: the first closing sentence's digits as an int, else 0."""
    found = grade_pattern(phrase).search(text)
    return int(found.group(1)) if found else 0


def modified_average(scores: Sequence[int]) -> float:
    """Upstream's judge mean over a group: zeros (missing grades) dropped; all-zero -> 0."""
    total = sum(scores)
    kept = len(scores) - list(scores).count(0)
    return total / kept if kept > 0 else float(total)


def mean_or_nan(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def judge_group_mean(grades: Sequence[int | None], published_quirks: bool) -> float:
    """One judge's mean over one group. `grades`: a parsed grade, None for a parse failure
    (principled), or upstream's reading (quirks: 0 for a missing grade)."""
    if published_quirks:
        return modified_average([0 if g is None else g for g in grades])
    return mean_or_nan([float(g) for g in grades if g is not None])


def group_score(judge_means: Sequence[float], published_quirks: bool) -> float:
    """Mean of the judges' group means (principled: over the judges with a grade)."""
    if published_quirks:
        return sum(judge_means) / len(judge_means)
    return mean_or_nan(judge_means)


def task_score(group_scores: Sequence[float]) -> float:
    return mean_or_nan(group_scores)


def persona_score(task_scores: Sequence[float], published_quirks: bool) -> float:
    """Mean of the task scores. Principled: NaN unless every task has a score (the persona is
    then excluded from the model mean and counted); quirks: a plain mean, as upstream."""
    if published_quirks:
        return sum(task_scores) / len(task_scores)
    if any(math.isnan(s) for s in task_scores):
        return math.nan
    return sum(task_scores) / len(task_scores)


def relative_improvement(score: float, baseline: float) -> float:
    """Percent improvement of `score` over `baseline` (the paper's "x % over GPT-3.5")."""
    return (score - baseline) / baseline * 100.0
