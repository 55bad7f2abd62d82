"""Round-synchronous batching (issue #17): on vLLM a dialogue round is one `chat` call over every
active dialogue, and a model's conditioned requests come with equal prefixes adjacent — as many
prefix runs as the plan counts prefixes."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
from conftest import REPO
from engine_support import (
    entry,
    vllm_standin,  # noqa: F401  (fixture)
)
from personascope.dialogue import Dialogue, ModelSide, ScriptedUser, simulate
from personascope.engines import Sampling, open_engine
from personascope.persistence.conditioned import build_requests
from personascope.persistence.dialogues import assistant_messages
from personascope.plan.cli import load_config
from personascope.plan.report import estimate


def test_every_round_of_every_dialogue_is_one_vllm_chat_call(
    vllm_standin: Any, tmp_path: Path
) -> None:
    engine = open_engine("big", {**entry("vllm", model="org/M-8B"), "revision": "r"}, tmp_path)
    dialogues = [
        Dialogue(
            f"d{i}", {"system": f"persona {i}", "script": [f"q{r} of {i}" for r in range(4)]}, 4
        )
        for i in range(3)
    ]
    simulate(
        dialogues,
        user=ScriptedUser(),
        assistant=ModelSide(engine, assistant_messages, Sampling(max_tokens=8)),
        is_terminal=None,
    )
    chats = [c[1] for c in vllm_standin.CALLS if c[0] == "chat"]
    assert len(chats) == 4  # one per round, not one per dialogue turn
    assert all(len(c["conversations"]) == 3 for c in chats)
    assert [len(c) for c in chats[-1]["conversations"]] == [8, 8, 8]  # system + 3.5 rounds


def synthetic_dialogue(roles: list[str], types: list[str], rounds: int) -> pd.DataFrame:
    rows = [
        {
            "role": role,
            "dialogue_type": t,
            "order": "original",
            "round": r,
            "user": f"u{r} {t}",
            "assistant": f"a{r} {role}",
            "prefix_tokens": 10 * r,
        }
        for role in roles
        for t in types
        for r in range(1, rounds + 1)
    ]
    return pd.DataFrame(rows)


def test_conditioned_requests_keep_equal_prefixes_adjacent_as_the_plan_counts() -> None:
    config = load_config(REPO, [])
    pp = config["persistence"]
    plan = estimate({**config, "studies": ["persistence"]}, REPO)
    planned = next(r for r in plan["rows"] if r["stage"] == "conditioned")["prefixes"]
    items = pd.DataFrame(
        [
            {
                "dataset": "bfi",
                "role": None,
                "item": str(i),
                "item_index": i,
                "prompt": f"item {i}",
                "reference": None,
                "trait": "Openness",
                "label": None,
            }
            for i in range(3)
        ]
    )
    systems = {role: (None if role == "empty" else f"You are {role}.") for role in pp["roles"]}
    requests = build_requests(
        synthetic_dialogue(pp["roles"], pp["dialogue_types"], pp["rounds"]),
        systems,
        # shuffled on purpose: the order must come from the builder, not from the input
        items.sample(frac=1.0, random_state=3),
        pp["dialogue_types"],
        [int(k) for k in pp["checkpoints"]],
    )
    # as the engine gets them: the call cache sends each distinct request once (at k = 0 both
    # dialogue types ask the same), in order of first appearance
    sent = list(dict.fromkeys(tuple(tuple(m.items()) for m in r.messages) for r in requests))
    heads = [messages[:-1] for messages in sent]
    runs = 1 + sum(a != b for a, b in pairwise(heads))
    assert runs == len(set(heads)) == planned
