"""Persistent Personas dialogues: one model, every role x dialogue type x order, scripted user.

All dialogues of the model advance round-synchronously through `dialogue.simulate` (one engine
batch per round). The user side reads the script (`dialogue.ScriptedUser`); the assistant sees
the role's system prompt (none for the baseline) and the full history.

Output: one row per dialogue round (long format), with the cumulative token count of the
dialogue up to and including that round (`prefix_tokens`, the model's own tokenizer as the
engine reports it: prompt + completion tokens of the round's call).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..dialogue import ASSISTANT, USER, Dialogue, ModelSide, ScriptedUser, chat_history
from ..dialogue import simulate as simulate_dialogues
from ..engines import Sampling
from ..errors import InputDataError
from ..io import read_parquet, write_parquet
from ..models import EngineSet, ModelJobParams
from ..steps import step
from .formats import DIALOGUE_SCHEMA
from .prompts import BASELINE, fill, role_systems

log = logging.getLogger(__name__)


def dialogue_id(model: str, role: str, dialogue_type: str, order: str) -> str:
    return f"{model}|{role}|{dialogue_type}|{order}"


def build_dialogues(
    model: str,
    roles: dict[str, str | None],
    scripts: Any,
    dialogue_types: list[str],
    orders: list[str],
    rounds: int,
    baseline_name: str,
) -> list[Dialogue]:
    """The model's dialogues; `roles` maps role -> system prompt (None: no system prompt)."""
    out = []
    for role, system in roles.items():
        name = baseline_name if role == BASELINE else role
        for dtype in dialogue_types:
            for order in orders:
                lines = scripts[(scripts.dialogue_type == dtype) & (scripts.order == order)]
                lines = lines.sort_values("round")["template"].tolist()
                if rounds > len(lines):
                    raise InputDataError(
                        f"config persistence.rounds = {rounds}, but the {dtype} script has only "
                        f"{len(lines)} rounds"
                    )
                script = [fill(line, name) for line in lines[:rounds]]
                ctx = {
                    "model": model,
                    "role": role,
                    "dialogue_type": dtype,
                    "order": order,
                    "system": system,
                    "script": script,
                }
                out.append(Dialogue(dialogue_id(model, role, dtype, order), ctx, rounds))
    return out


def assistant_messages(d: Dialogue) -> list[dict[str, str]]:
    system = d.context["system"]
    head = [{"role": "system", "content": system}] if system else []
    return head + chat_history(d, ASSISTANT)


def rows_of(d: Dialogue) -> list[dict[str, Any]]:
    ctx = d.context
    users = [t for t in d.turns if t.speaker == USER]
    replies = [t for t in d.turns if t.speaker == ASSISTANT]
    rows = []
    for i, (u, a) in enumerate(zip(users, replies, strict=True), 1):
        rows.append(
            {
                "model": ctx["model"],
                "role": ctx["role"],
                "dialogue_type": ctx["dialogue_type"],
                "order": ctx["order"],
                "round": i,
                "user": u.text,
                "assistant": a.text,
                "prompt_tokens": a.prompt_tokens,
                "completion_tokens": a.completion_tokens,
                "prefix_tokens": a.prompt_tokens + a.completion_tokens,
                "finish_reason": a.finish_reason,
                "end_reason": d.end_reason,
            }
        )
    return rows


@dataclasses.dataclass(frozen=True)
class DialogueParams(ModelJobParams):
    model: str
    dialogue_types: list[str]
    orders: list[str]
    rounds: int
    sampling: dict[str, Any]


@step(DialogueParams)
def simulate(inputs: dict[str, Path], outputs: dict[str, Path], params: DialogueParams) -> None:
    """Every role x dialogue type x order of one model, scripted user, round-synchronous."""
    model = params.model
    roles_df = read_parquet(inputs["roles"])
    roles = role_systems(roles_df)
    scripts = read_parquet(inputs["scripts"])
    dialogues = build_dialogues(
        model,
        roles,
        scripts,
        params.dialogue_types,
        params.orders,
        int(params.rounds),
        model,
    )
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(model)
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        log.info("%d dialogues x %s rounds on %s", len(dialogues), params.rounds, model)
        simulate_dialogues(
            dialogues,
            user=ScriptedUser(),
            assistant=ModelSide(engine, assistant_messages, sampling),
            is_terminal=None,
        )
    rows = [row for d in dialogues for row in rows_of(d)]
    write_parquet(pa.Table.from_pylist(rows, schema=DIALOGUE_SCHEMA), outputs["dialogues"])
