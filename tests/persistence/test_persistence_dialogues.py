"""Dialogue set-up: roles x types x orders, `{role}` filled, baseline under the model's name."""

from __future__ import annotations

import pandas as pd
import pytest
from personascope.dialogue import ASSISTANT, Dialogue, Turn
from personascope.persistence import dialogues as dlg


@pytest.fixture
def scripts() -> pd.DataFrame:
    rows = []
    for dtype in ("persona_directed", "goal_oriented"):
        for order in ("original", "shuffled"):
            lines = ["Welcome, {role}!", "Q1", "Q2", "Bye, {role}."]
            if order == "shuffled":
                lines = [lines[0], lines[2], lines[1], lines[3]]
            rows += [
                {"dialogue_type": dtype, "order": order, "round": i, "template": t}
                for i, t in enumerate(lines, 1)
            ]
    return pd.DataFrame(rows)


def test_every_role_type_and_order_with_filled_script(scripts: pd.DataFrame) -> None:
    out = dlg.build_dialogues(
        "m",
        {"Gaston": "You are Gaston.", "empty": None},
        scripts,
        ["persona_directed", "goal_oriented"],
        ["original", "shuffled"],
        3,
        "model-x",
    )
    assert len(out) == 2 * 2 * 2
    by_id = {d.dialogue_id: d for d in out}
    gaston = by_id["m|Gaston|persona_directed|original"]
    assert gaston.context["script"] == ["Welcome, Gaston!", "Q1", "Q2"]  # capped at 3 rounds
    assert by_id["m|empty|persona_directed|original"].context["script"][0] == "Welcome, model-x!"
    assert by_id["m|Gaston|goal_oriented|shuffled"].context["script"][1] == "Q2"


def test_more_rounds_than_the_script_is_an_error(scripts: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="only 4 rounds"):
        dlg.build_dialogues("m", {"Gaston": None}, scripts, ["goal_oriented"], ["original"], 5, "m")


def test_assistant_sees_system_prompt_only_with_a_persona() -> None:
    d = Dialogue("x", {"system": "You are Gaston."}, 3)
    d.turns = [Turn("user", "Hi"), Turn(ASSISTANT, "Hello"), Turn("user", "Q")]
    assert dlg.assistant_messages(d)[0] == {"role": "system", "content": "You are Gaston."}
    assert [m["role"] for m in dlg.assistant_messages(d)] == ["system", "user", "assistant", "user"]
    d.context["system"] = None
    assert dlg.assistant_messages(d)[0] == {"role": "user", "content": "Hi"}


def test_rows_carry_the_cumulative_token_count() -> None:
    d = Dialogue(
        "x",
        {"model": "m", "role": "Gaston", "dialogue_type": "goal_oriented", "order": "original"},
        2,
    )
    d.turns = [
        Turn("user", "Q1"),
        Turn(ASSISTANT, "A1", prompt_tokens=50, completion_tokens=10),
        Turn("user", "Q2"),
        Turn(ASSISTANT, "A2", prompt_tokens=70, completion_tokens=5),
    ]
    d.end_reason = "script_exhausted"
    rows = dlg.rows_of(d)
    assert [r["round"] for r in rows] == [1, 2]
    assert [r["prefix_tokens"] for r in rows] == [60, 75]
    assert rows[1]["user"] == "Q2" and rows[1]["assistant"] == "A2"
