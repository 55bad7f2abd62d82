"""Result tables from hand-built judgments and dialogues: failures excluded and counted,
absent settings kept as rows, turn-level groups."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from personascope.personalens import results


def judgment(
    dialogue: str,
    setting: str,
    kind: str,
    dim: str,
    value,
    status="ok",
    turn=None,
    domains=("Alarm",),
    assistant="m",
) -> dict:
    return {
        "dialogue_id": dialogue,
        "scenario_id": dialogue,
        "kind": kind,
        "domains": list(domains),
        "assistant_model": assistant,
        "setting": setting,
        "judge_model": "j",
        "dimension": dim,
        "turn": turn,
        "value": value,
        "status": status,
    }


@pytest.fixture()
def judgments() -> pd.DataFrame:
    rows = [
        judgment("d1", "vanilla", "SD", "task_completion", 1.0),
        judgment("d2", "vanilla", "SD", "task_completion", 0.0, "ok_after_reask"),
        judgment("d3", "vanilla", "SD", "task_completion", None, "parse_failure"),
        judgment("d1", "vanilla", "SD", "personalization", 3.0),
        judgment("d2", "vanilla", "SD", "personalization", None, "parse_failure"),
        judgment("d3", "vanilla", "SD", "personalization", None, "parse_failure"),
        judgment("d1", "vanilla", "SD", "naturalness_user", 4.0),
        judgment("d1", "vanilla", "SD", "personalization_turn", 2.0, turn=1),
        judgment("d1", "vanilla", "SD", "personalization_turn", 3.0, turn=2),
        judgment("d2", "vanilla", "SD", "personalization_turn", 4.0, turn=1, domains=("Books",)),
        judgment("d4", "base+d", "MD", "task_completion", 1.0, domains=("Alarm", "Books")),
    ]
    return pd.DataFrame(rows)


def test_main_results_exclude_and_count_failures(judgments: pd.DataFrame) -> None:
    table = results.main_results(judgments).set_index(["setting", "kind"])
    row = table.loc[("vanilla", "SD")]
    assert row["dialogues"] == 3
    assert row["tcr"] == pytest.approx(50.0)  # (1 + 0) / 2 parsed, as a percentage
    assert row["tcr_n"] == 2
    assert row["tcr_fail"] == 1
    assert row["p"] == pytest.approx(3.0)
    assert row["p_fail"] == 2
    # nothing judged for the assistant's naturalness: NaN, never 0
    assert math.isnan(row["n"])
    assert row["n_n"] == 0


def test_ablation_keeps_all_six_settings(judgments: pd.DataFrame) -> None:
    table = results.ablation(judgments)
    assert len(table) == 6 * 2
    present = table[table["present"]]
    assert set(zip(present["setting"], present["kind"], strict=True)) == {
        ("vanilla", "SD"),
        ("base+d", "MD"),
    }
    absent = table[~table["present"]]
    assert (absent["dialogues"] == 0).all()
    assert absent["tcr"].isna().all()


def test_parse_failures_table(judgments: pd.DataFrame) -> None:
    table = results.parse_failures(judgments).set_index(["dimension", "setting"])
    row = table.loc[("personalization", "vanilla")]
    assert (row["items"], row["ok"], row["parse_failure"]) == (3, 1, 2)
    assert row["failure_rate"] == pytest.approx(200 / 3)
    assert table.loc[("task_completion", "vanilla"), "ok_after_reask"] == 1


def test_turn_level_groups(judgments: pd.DataFrame) -> None:
    table = results.turn_level(judgments).set_index(["group", "turn"])
    assert table.loc[("All SD", 1), "p"] == pytest.approx(3.0)  # (2 + 4) / 2
    assert table.loc[("Alarm", 2), "p"] == pytest.approx(3.0)
    assert table.loc[("Books", 1), "p"] == pytest.approx(4.0)
    only_alarm = results.turn_level(judgments, domains=["Alarm"])
    assert set(only_alarm["group"]) == {"All SD", "Alarm"}


def test_domain_results_have_the_all_row(judgments: pd.DataFrame) -> None:
    table = results.domain_results(judgments).set_index("domain")
    assert table.loc["all", "tcr"] == pytest.approx(50.0)
    assert table.loc["Alarm", "dialogues"] == 3


def test_dialogue_stats_and_lexical() -> None:
    def turns(*texts: str) -> list[dict]:
        return [
            {"speaker": "user" if i % 2 == 0 else "assistant", "text": t}
            for i, t in enumerate(texts)
        ]

    dialogues = pd.DataFrame(
        {
            "assistant_model": ["m", "m"],
            "setting": ["base", "base"],
            "kind": ["SD", "MD"],
            "end_reason": ["terminated", "turn_cap"],
            "turns": [
                turns("set an alarm", "done ."),
                turns("book a hotel", "which city ?", "Paris TERMINATE", "booked"),
            ],
        }
    )
    stats = results.dialogue_stats(dialogues).set_index("kind")
    assert stats.loc["SD", "turns_per_dialogue"] == 2
    assert stats.loc["all", "turns_per_dialogue"] == pytest.approx(3.0)
    # SD tokens: "set an alarm" 3, "done ." 2 -> 2.5 per turn; TERMINATE is not counted
    assert stats.loc["SD", "tokens_per_turn"] == pytest.approx(2.5)
    # MD user turns: "book a hotel" 3, "Paris" 1 (TERMINATE removed) -> 2
    assert stats.loc["MD", "user_tokens_per_turn"] == pytest.approx(2.0)
    assert stats.loc["all", "terminated"] == 1
    table = results.lexical_diversity(dialogues)
    lex = table[table["kind"] == "all"].set_index("speaker")
    # assistant texts: "done ." "which city ?" "booked": 6 tokens, 6 distinct
    assert lex.loc["assistant", "dist1"] == pytest.approx(1.0)
    assert lex.loc["assistant", "texts"] == 3
    # the SD / MD split (the paper's Table 10 per kind): SD holds "done ." alone
    by_kind = table.set_index(["kind", "speaker"])
    assert by_kind.loc[("SD", "assistant"), "texts"] == 1
    assert by_kind.loc[("MD", "assistant"), "texts"] == 2


def test_one_run_tables_keep_to_the_focus_assistant_and_setting() -> None:
    dialogue = {"kind": "SD", "end_reason": "terminated"}
    dialogues = pd.DataFrame(
        [
            {
                **dialogue,
                "assistant_model": "a",
                "setting": "base",
                "turns": [{"speaker": "user", "text": "x"}],
            },
            {
                **dialogue,
                "assistant_model": "b",
                "setting": "base",
                "turns": [{"speaker": "user", "text": "x y"}] * 3,
            },
            {
                **dialogue,
                "assistant_model": "a",
                "setting": "vanilla",
                "turns": [{"speaker": "user", "text": "x"}] * 5,
            },
        ]
    )
    # Table 13: the paper's assistant in the paper's setting only
    stats = results.dialogue_stats(dialogues, focus_assistant="a", focus_setting="base")
    sd = stats.set_index("kind").loc["SD"]
    assert (sd["dialogues"], sd["turns_per_dialogue"]) == (1, 1.0)
    assert (sd["assistant_model"], sd["setting"]) == ("a", "base")
    assert results.dialogue_stats(dialogues).set_index("kind").loc["SD", "dialogues"] == 3
    # Table 12: every assistant, the paper's setting only
    judgments = pd.DataFrame(
        [
            judgment(f"d{i}", setting, "SD", "naturalness_user", 4.0, assistant=model)
            for i, (model, setting) in enumerate([("a", "base"), ("b", "base"), ("a", "vanilla")])
        ]
    )
    table = results.user_agent(judgments, focus_setting="base")
    assert sorted(table["assistant_model"]) == ["a", "b"] and set(table["setting"]) == {"base"}
