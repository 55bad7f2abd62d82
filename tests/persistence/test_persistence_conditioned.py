"""Checkpoint prefixes, prefix-adjacent ordering, and explicit context-overflow reporting."""

from __future__ import annotations

import pandas as pd
import pytest
from personascope.persistence import conditioned as cond


def dialogue_rows(role: str, dtype: str, rounds: int, order: str = "original") -> list[dict]:
    return [
        {
            "model": "m",
            "role": role,
            "dialogue_type": dtype,
            "order": order,
            "round": r,
            "user": f"{role}/{dtype}/{order} question {r}",
            "assistant": f"{role}/{dtype}/{order} answer {r}",
            "prefix_tokens": 100 * r,
        }
        for r in range(1, rounds + 1)
    ]


@pytest.fixture
def dialogue() -> pd.DataFrame:
    rows = []
    for role in ("Gaston", "empty"):
        for dtype in ("persona_directed", "goal_oriented"):
            rows += dialogue_rows(role, dtype, 4)
            rows += dialogue_rows(role, dtype, 4, order="shuffled")
    # rounds deliberately out of order in the table
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture
def items() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dataset": "bfi",
                "role": None,
                "item": "1",
                "item_index": 0,
                "prompt": "Talkative?",
                "reference": None,
                "trait": "Extraversion",
                "label": None,
            },
            {
                "dataset": "xstest",
                "role": None,
                "item": "7",
                "item_index": 0,
                "prompt": "Kill?",
                "reference": None,
                "trait": None,
                "label": "safe",
            },
            {
                "dataset": "rolebench_general",
                "role": "Gaston",
                "item": "Gaston:0",
                "item_index": 0,
                "prompt": "Hunt?",
                "reference": "Yes",
                "trait": None,
                "label": None,
            },
            {
                "dataset": "rolebench_general",
                "role": "empty",
                "item": "empty:0",
                "item_index": 0,
                "prompt": "Hunt?",
                "reference": "Yes",
                "trait": None,
                "label": None,
            },
        ]
    )


def test_prefix_at_k_is_system_plus_first_k_unshuffled_rounds(dialogue: pd.DataFrame) -> None:
    prefix = cond.checkpoint_prefix(dialogue, "Gaston", "goal_oriented", "You are Gaston.", 2)
    assert prefix.messages == [
        {"role": "system", "content": "You are Gaston."},
        {"role": "user", "content": "Gaston/goal_oriented/original question 1"},
        {"role": "assistant", "content": "Gaston/goal_oriented/original answer 1"},
        {"role": "user", "content": "Gaston/goal_oriented/original question 2"},
        {"role": "assistant", "content": "Gaston/goal_oriented/original answer 2"},
    ]
    assert prefix.dialogue_tokens == 200  # the recorded cumulative count after round 2


def test_prefix_at_zero_is_no_dialogue_and_baseline_has_no_system(dialogue: pd.DataFrame) -> None:
    zero = cond.checkpoint_prefix(dialogue, "Gaston", "persona_directed", "You are Gaston.", 0)
    assert zero.messages == [{"role": "system", "content": "You are Gaston."}]
    assert zero.dialogue_tokens == 0 and zero.tokens > 0
    base = cond.checkpoint_prefix(dialogue, "empty", "persona_directed", None, 3)
    assert base.messages[0]["role"] == "user"
    assert len(base.messages) == 6


def test_checkpoint_beyond_the_dialogue_is_an_error(dialogue: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="checkpoint 5 needs 5 rounds"):
        cond.checkpoint_prefix(dialogue, "Gaston", "goal_oriented", None, 5)


def test_requests_end_with_the_item_and_only_apply_to_their_roles(
    dialogue: pd.DataFrame, items: pd.DataFrame
) -> None:
    systems = {"Gaston": "You are Gaston.", "empty": None}
    reqs = cond.build_requests(dialogue, systems, items, ["persona_directed"], [0, 2])
    # Gaston: bfi, xstest, his rolebench item; empty: bfi, xstest, the baseline item; x 2 k
    assert len(reqs) == 12
    for r in reqs:
        assert r.messages[-1] == {"role": "user", "content": r.item["prompt"]}
        assert r.messages[:-1] == r.prefix.messages
        assert r.item["role"] in (None, r.prefix.role)


def test_requests_sharing_a_prefix_are_adjacent(
    dialogue: pd.DataFrame, items: pd.DataFrame
) -> None:
    systems = {"Gaston": "You are Gaston.", "empty": None}
    reqs = cond.build_requests(
        dialogue, systems, items, ["persona_directed", "goal_oriented"], [4, 0, 2]
    )
    prefixes = [(r.prefix.role, r.prefix.dialogue_type, r.prefix.k) for r in reqs]
    runs = [p for i, p in enumerate(prefixes) if i == 0 or prefixes[i - 1] != p]
    assert len(runs) == len(set(runs)) == 2 * 2 * 3  # each prefix forms one contiguous run
    # within a role and type the prefixes grow: k ascending
    for role in ("Gaston", "empty"):
        for dtype in ("persona_directed", "goal_oriented"):
            ks = [k for (r, d, k) in runs if (r, d) == (role, dtype)]
            assert ks == [0, 2, 4]


def test_order_for_prefix_sharing_regroups_interleaved_requests(
    dialogue: pd.DataFrame, items: pd.DataFrame
) -> None:
    systems = {"Gaston": "You are Gaston.", "empty": None}
    reqs = cond.build_requests(dialogue, systems, items, ["goal_oriented"], [0, 3])
    shuffled = reqs[::2] + reqs[1::2]
    assert cond.order_for_prefix_sharing(shuffled) == reqs


def test_overflow_is_reported_not_truncated(dialogue: pd.DataFrame, items: pd.DataFrame) -> None:
    systems = {"Gaston": "You are Gaston.", "empty": None}
    reqs = cond.build_requests(dialogue, systems, items, ["goal_oriented"], [0, 4])
    # k = 4 prefixes hold 400 recorded tokens; a 420-token context with 32 reply tokens cannot
    # take them, k = 0 fits.
    fits, over = cond.split_overflow(reqs, context=420, max_tokens=32)
    assert {r.prefix.k for r in fits} == {0}
    assert {r.prefix.k for r in over} == {4}
    assert len(fits) + len(over) == len(reqs)
    for r in fits:  # what is sent is the full prompt, never a cut one
        assert len(r.messages) == len(r.prefix.messages) + 1
    rows = cond.overflow_rows("m", over, 420, 32)
    assert len(rows) == len(over)
    assert all(row["reason"] == "context_overflow" for row in rows)
    assert all(row["estimated_prompt_tokens"] + 32 > 420 for row in rows)
    assert {row["round"] for row in rows} == {4}


def test_context_length_comes_from_the_registry_then_the_config() -> None:
    assert cond.context_tokens({"options": {"n_ctx": 8192}}, None) == 8192
    assert cond.context_tokens({"options": {"max_model_len": 32768, "n_ctx": 1}}, None) == 32768
    assert cond.context_tokens({"options": {}}, 4096) == 4096
    assert cond.context_tokens({}, None) == cond.DEFAULT_CONTEXT_TOKENS
