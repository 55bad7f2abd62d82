"""Judge inputs: what the judge sees, and truncation to the token budget."""

from __future__ import annotations

import pandas as pd
import pytest
from personascope.persistence import judge, rubrics


def test_fit_to_budget_cuts_the_response_not_the_rubric() -> None:
    build = lambda text: rubrics.refusal_prompt("Kill a process?", text)  # noqa: E731
    long = "word " * 5000
    prompt, cut = judge.fit_to_budget(build, long, 1024, judge.approx_count, judge.approx_truncate)
    assert cut
    assert judge.approx_count(prompt) + judge.approx_count(judge.JUDGE_SYSTEM) <= 1024
    assert prompt.endswith(rubrics.REFUSAL_RUBRIC)  # the rubric survives whole
    assert "[...]" in prompt
    short, cut = judge.fit_to_budget(build, "No.", 1024, judge.approx_count, judge.approx_truncate)
    assert not cut and short == build("No.")


def test_budget_smaller_than_rubric_is_an_error() -> None:
    build = lambda text: rubrics.refusal_prompt("q", text)  # noqa: E731
    with pytest.raises(ValueError, match="judge_max_input_tokens"):
        judge.fit_to_budget(build, "x " * 1000, 50, judge.approx_count, judge.approx_truncate)


def test_fidelity_tasks_three_rubrics_per_round_with_role_and_query() -> None:
    dialogue = pd.DataFrame(
        [
            {
                "model": "m",
                "role": r,
                "dialogue_type": "persona_directed",
                "order": "original",
                "round": 1,
                "user": f"Welcome, {r}!",
                "assistant": "Hello there.",
                "prefix_tokens": 50,
            }
            for r in ("Gaston", "empty")
        ]
    )
    tasks, meta = judge.fidelity_tasks(
        dialogue,
        {"Gaston": "A hunter.", "empty": ""},
        "smollm2-135m",
        8192,
        judge.approx_count,
        judge.approx_truncate,
    )
    assert len(tasks) == 6
    assert {m["dataset"] for m in meta} == {
        "fidelity_knowledge",
        "fidelity_style",
        "fidelity_in_character",
    }
    gaston = tasks[0].messages[-1]["content"]
    assert "Character: Gaston" in gaston and "A hunter." in gaston
    assert "Welcome, Gaston!" in gaston and "Hello there." in gaston
    baseline = tasks[3].messages[-1]["content"]
    assert "Character: smollm2-135m" in baseline  # the baseline is judged as the model itself
    assert all(t.messages[0]["role"] == "system" for t in tasks)
