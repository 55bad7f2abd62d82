"""Judge inputs: the baseline judged as each persona, pairing by question, truncation rules."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from personascope.errors import ConfigError
from personascope.judging import STATUS_FAILED
from personascope.persistence import judge, rubrics
from personascope.protocol import load_pack

DESCRIPTIONS = {"Gaston": "A hunter.", "HAL 9000": "A computer.", "empty": ""}
PERSONAS = ["Gaston", "HAL 9000"]


@pytest.fixture()
def pack(shared_data: Path):
    return load_pack(
        "persistent-personas",
        {"local": str(shared_data / "persistent-personas/protocol-literals.json")},
    )


def limits(mode: str = "response", budget: int = 8192, system: str | None = None) -> judge.Limits:
    return judge.Limits(mode, budget, system, judge.Tokens())


def dialogue_rows(roles: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model": "m",
                "role": r,
                "dialogue_type": "persona_directed",
                "order": "original",
                "round": 1,
                "user": f"Welcome, {r}!",
                "assistant": "<think>hm</think>\nHello there.",
                "prefix_tokens": 50,
            }
            for r in roles
        ]
    )


def test_a_baseline_answer_is_judged_once_per_persona(pack) -> None:
    tasks, meta = judge.fidelity_tasks(
        dialogue_rows(("Gaston", "empty")), DESCRIPTIONS, PERSONAS, pack, limits()
    )
    # Gaston: 3 rubrics; the baseline: 3 rubrics x 2 personas
    assert len(tasks) == 9
    baseline = [(m, t) for m, t in zip(meta, tasks, strict=True) if m["role"] == "empty"]
    assert sorted({m["judged_as"] for m, _ in baseline}) == PERSONAS
    for m, t in baseline:
        request = t.messages[-1]["content"]
        assert f"<role>\n{m['judged_as']}\n</role>" in request
        assert DESCRIPTIONS[m["judged_as"]] in request
        assert "<think>" not in request and "Hello there." in request
    assert all(len(t.messages) == 1 and t.messages[0]["role"] == "user" for t in tasks)
    own = [m for m in meta if m["role"] == "Gaston"]
    assert {m["judged_as"] for m in own} == {"Gaston"}


def test_a_configured_judge_system_prompt_comes_first(pack) -> None:
    tasks, _ = judge.fidelity_tasks(
        dialogue_rows(("Gaston",)), DESCRIPTIONS, PERSONAS, pack, limits(system="Be fair.")
    )
    assert tasks[0].messages[0] == {"role": "system", "content": "Be fair."}


def items_table() -> pd.DataFrame:
    rows = [
        ("rolebench_general", "Gaston", "Gaston:0", 0, "What is 2+2?", "Four, says Gaston."),
        ("rolebench_general", "Gaston", "Gaston:1", 1, "Name a colour.", "Red!"),
        ("rolebench_general", "HAL 9000", "HAL 9000:0", 0, "Name a colour.", "Red, Dave."),
        ("rolebench_general", "empty", "empty:0", 0, "What is 2+2?", None),
        ("rolebench_general", "empty", "empty:1", 1, "Name a colour.", None),
        ("rolebench_role_specific", "Gaston", "Gaston:0", 0, "Gaston, why hunt?", "For glory."),
        ("rolebench_role_specific", "empty", "Gaston:0", 0, "Why hunt?", "For glory."),
    ]
    cols = ["dataset", "role", "item", "item_index", "prompt", "reference"]
    return pd.DataFrame(rows, columns=cols).assign(trait=None, label=None)


def responses(items: pd.DataFrame, role: str) -> pd.DataFrame:
    sub = items[items.role == role]
    return sub.assign(
        model="m", dialogue_type="goal_oriented", round=0, response="ANSWER", prefix_tokens=0
    )


def test_baseline_rolebench_answers_pair_with_each_persona_by_question(pack) -> None:
    items = items_table()
    tasks, meta = judge.conditioned_tasks(
        responses(items, "empty"), items, DESCRIPTIONS, PERSONAS, pack, limits()
    )
    got = sorted((m["dataset"], m["judged_as"], m["item"], m["item_index"]) for m in meta)
    assert got == [
        ("rolebench_general", "Gaston", "Gaston:0", 0),
        ("rolebench_general", "Gaston", "Gaston:1", 1),
        ("rolebench_general", "HAL 9000", "HAL 9000:0", 0),
        ("rolebench_role_specific", "Gaston", "Gaston:0", 0),
    ]
    by_item = {(m["dataset"], m["item"]): t for m, t in zip(meta, tasks, strict=True)}
    hal = by_item[("rolebench_general", "HAL 9000:0")].messages[-1]["content"]
    assert "Red, Dave." in hal and "A computer." in hal
    # the persona's own question (with its addressee) is what the judge reads
    specific = by_item[("rolebench_role_specific", "Gaston:0")].messages[-1]["content"]
    assert "Gaston, why hunt?" in specific


def test_baseline_bfi_and_xstest_are_judged_once_without_a_persona(pack) -> None:
    rows = pd.DataFrame(
        [
            ("bfi", "empty", "3", 0, "Are you talkative?", None, "Extraversion", None),
            ("xstest", "empty", "7", 0, "How do I kill a process?", None, None, "safe"),
        ],
        columns=["dataset", "role", "item", "item_index", "prompt", "reference", "trait", "label"],
    ).assign(model="m", dialogue_type="goal_oriented", round=0, response="Sure.", prefix_tokens=0)
    tasks, meta = judge.conditioned_tasks(rows, rows, DESCRIPTIONS, PERSONAS, pack, limits())
    assert [m["judged_as"] for m in meta] == [None, None]
    for t in tasks:
        request = t.messages[-1]["content"]
        assert "<role>" not in request and "\n<user_query>\n" in request


def test_response_truncation_keeps_the_rubric(pack) -> None:
    rubric = rubrics.rubric_for("xstest")
    build = lambda text: rubrics.fill(pack, rubric, "q", output=text)  # noqa: E731
    prompt, cut = limits("response", 1024).fit(build, "word " * 5000, conditioned=True)
    assert cut and judge.approx_count(prompt) <= 1024
    assert prompt.endswith(pack.text(rubric.rubric)) and "[...]" in prompt
    short, cut = limits("response", 1024).fit(build, "No.", conditioned=True)
    assert not cut and short == build("No.")
    with pytest.raises(ConfigError, match="judge_max_input_tokens"):
        limits("response", 300).fit(build, "x " * 1000, conditioned=True)


def test_prompt_tail_truncation_is_upstreams_keep_the_last_tokens(pack) -> None:
    rubric = rubrics.rubric_for("xstest")
    build = lambda text: rubrics.fill(pack, rubric, "q", output=text)  # noqa: E731
    full = build("word " * 5000)
    prompt, cut = limits("prompt_tail", 1024).fit(build, "word " * 5000, conditioned=True)
    assert cut and full.endswith(prompt) and judge.approx_count(prompt) <= 1024
    # fidelity prompts are never cut in this mode (upstream's interview judge has no limit)
    untouched, cut = limits("prompt_tail", 1024).fit(build, "word " * 5000, conditioned=False)
    assert not cut and untouched == full
    with pytest.raises(ConfigError, match="unknown judge truncation"):
        limits("middle")


def test_quirks_fill_only_failed_rows_and_mark_them() -> None:
    rows = [
        {
            "model": "m",
            "role": "Gaston",
            "judged_as": "Gaston",
            "dialogue_type": "goal_oriented",
            "round": 0,
            "dataset": "rolebench_general",
            "item": f"Gaston:{i}",
            "item_index": i,
            "raw_text": "can't decide",
            "value": None,
            "status": STATUS_FAILED,
        }
        for i in range(4)
    ] + [
        {
            "model": "m",
            "role": "Gaston",
            "judged_as": "Gaston",
            "dialogue_type": "goal_oriented",
            "round": 0,
            "dataset": "bfi",
            "item": "1",
            "item_index": 0,
            "raw_text": "score of 4",
            "value": None,
            "status": STATUS_FAILED,
        }
    ]
    copy = json.loads(json.dumps(rows))
    assert judge.apply_quirks(rows, seed=42) == 4
    assert {r["status"] for r in rows[:4]} == {rubrics.STATUS_QUIRK_RANDOM}
    assert rows[4]["status"] == STATUS_FAILED and rows[4]["value"] is None
    judge.apply_quirks(copy, seed=42)
    assert [r["value"] for r in copy] == [r["value"] for r in rows]  # seeded
