"""Dialogue-conditioned benchmarks: benchmark items asked after the first k dialogue rounds.

The prompt at checkpoint k is the role's system prompt (none for the baseline) + the first k
rounds of that model's own *unshuffled* dialogue for that role and dialogue type + one item as a
new user turn. k = 0 is "no dialogue".

Requests are sorted so that all items sharing a prefix (model, role, dialogue type, k) are
adjacent and prefixes grow within a role (prefix caching in vLLM reuses the KV cache).

A request whose prompt would not fit the model's context (prefix tokens + an estimate of the
item's tokens + the reply budget) is not sent and is not truncated: it is written to the overflow
table with the numbers that excluded it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..engines import ChatRequest, Sampling
from ..errors import ConfigError
from ..io import read_parquet, write_parquet
from ..models import EngineSet, ModelJobParams
from ..steps import step
from .formats import OVERFLOW_SCHEMA, RESPONSE_SCHEMA
from .prompts import ORIGINAL, role_systems

log = logging.getLogger(__name__)


DEFAULT_CONTEXT_TOKENS = 131072
CONTEXT_OPTION_KEYS = ("context_tokens", "max_model_len", "n_ctx")


def estimate_tokens(text: str) -> int:
    """An upper-leaning token estimate for text the engine has not counted yet (3 UTF-8 bytes a
    token, plus chat-template overhead); exact counts come from the dialogue's recorded usage."""
    return math.ceil(len(text.encode("utf-8")) / 3) + 8


def context_tokens(entry: dict[str, Any], default: int | None) -> int:
    """The model's context length: registry options context_tokens / max_model_len / n_ctx."""
    options = entry.get("options", {}) or {}
    for key in CONTEXT_OPTION_KEYS:
        if options.get(key):
            return int(options[key])
    return int(default or DEFAULT_CONTEXT_TOKENS)


@dataclass
class Prefix:
    """The shared head of every request of one (role, dialogue type, checkpoint)."""

    role: str
    dialogue_type: str
    k: int
    messages: list[dict[str, str]]
    tokens: int  # exact when k > 0 (recorded usage), estimated for the system prompt alone
    dialogue_tokens: int  # the dialogue's cumulative token count after k rounds (0 at k = 0)


@dataclass
class Conditioned:
    prefix: Prefix
    item: dict[str, Any]
    messages: list[dict[str, str]] = field(default_factory=list)
    estimated_tokens: int = 0

    def key(self) -> tuple[Any, ...]:
        return (
            self.prefix.role,
            self.prefix.dialogue_type,
            self.prefix.k,
            self.item["dataset"],
            self.item["item_index"],
            self.item["item"],
        )


def checkpoint_prefix(
    dialogue: pd.DataFrame, role: str, dialogue_type: str, system: str | None, k: int
) -> Prefix:
    """System prompt + the first k rounds of the unshuffled dialogue of (role, dialogue_type)."""
    rows = dialogue[
        (dialogue.role == role)
        & (dialogue.dialogue_type == dialogue_type)
        & (dialogue.order == ORIGINAL)
    ].sort_values("round")
    if k > len(rows):
        raise ConfigError(
            f"checkpoint {k} needs {k} rounds but the {dialogue_type} dialogue of role {role!r} "
            f"has {len(rows)}; checkpoints must not exceed persistence.rounds"
        )
    messages = [{"role": "system", "content": system}] if system else []
    for row in rows.head(k).itertuples(index=False):
        messages.append({"role": "user", "content": row.user})
        messages.append({"role": "assistant", "content": row.assistant})
    if k > 0:
        tokens = int(rows.iloc[k - 1].prefix_tokens)
        return Prefix(role, dialogue_type, k, messages, tokens, tokens)
    return Prefix(role, dialogue_type, k, messages, estimate_tokens(system) if system else 0, 0)


def items_for(items: pd.DataFrame, role: str) -> pd.DataFrame:
    """Items asked under `role`: those for every role (role null) and those of this role."""
    return items[items.role.isna() | (items.role == role)]


def build_requests(
    dialogue: pd.DataFrame,
    systems: dict[str, str | None],
    items: pd.DataFrame,
    dialogue_types: list[str],
    checkpoints: list[int],
) -> list[Conditioned]:
    out = []
    items = items.astype(object).where(items.notna(), None)  # missing fields as None, not NaN
    for role, system in systems.items():
        role_items = items_for(items, role).to_dict("records")
        for dtype in dialogue_types:
            for k in checkpoints:
                prefix = checkpoint_prefix(dialogue, role, dtype, system, k)
                for item in role_items:
                    messages = [*prefix.messages, {"role": "user", "content": item["prompt"]}]
                    estimated = prefix.tokens + estimate_tokens(item["prompt"])
                    out.append(Conditioned(prefix, item, messages, estimated))
    return order_for_prefix_sharing(out)


def order_for_prefix_sharing(requests: list[Conditioned]) -> list[Conditioned]:
    """Requests with the same prefix adjacent; within a role and type, k ascending, so each
    prefix extends the one before it."""
    return sorted(requests, key=Conditioned.key)


def split_overflow(
    requests: list[Conditioned], context: int, max_tokens: int
) -> tuple[list[Conditioned], list[Conditioned]]:
    """(requests that fit, requests whose prompt + reply budget exceeds the context)."""
    fits, over = [], []
    for r in requests:
        (fits if r.estimated_tokens + max_tokens <= context else over).append(r)
    return fits, over


def overflow_rows(
    model: str, over: list[Conditioned], context: int, max_tokens: int
) -> list[dict[str, Any]]:
    return [
        {
            "model": model,
            "role": r.prefix.role,
            "dialogue_type": r.prefix.dialogue_type,
            "round": r.prefix.k,
            "dataset": r.item["dataset"],
            "item": r.item["item"],
            "prefix_tokens": r.prefix.tokens,
            "estimated_prompt_tokens": r.estimated_tokens,
            "max_tokens": max_tokens,
            "context_tokens": context,
            "reason": "context_overflow",
        }
        for r in over
    ]


@dataclasses.dataclass(frozen=True)
class ConditionedParams(ModelJobParams):
    model: str
    dialogue_types: list[str]
    checkpoints: list[int]
    context_tokens: int | None
    sampling: dict[str, Any]


@step(ConditionedParams)
def respond(inputs: dict[str, Path], outputs: dict[str, Path], params: ConditionedParams) -> None:
    """Every benchmark item after each checkpoint's dialogue prefix, prefixes adjacent."""
    model = params.model
    dialogue = read_parquet(inputs["dialogues"])
    roles = read_parquet(inputs["roles"])
    systems = role_systems(roles)
    items = read_parquet(inputs["benchmark_items"])
    requests = build_requests(
        dialogue, systems, items, params.dialogue_types, [int(k) for k in params.checkpoints]
    )
    entry = params.models[model]
    context = context_tokens(entry, params.context_tokens)
    with EngineSet.of(params, outputs["usage"]) as engines:
        engine = engines.open(model)
        sampling = Sampling.from_config(engine.spec.generation, **params.sampling)
        fits, over = split_overflow(requests, context, sampling.max_tokens)
        log.info(
            "%d requests (%d prefixes), %d over the context of %d tokens",
            len(requests),
            len({(r.prefix.role, r.prefix.dialogue_type, r.prefix.k) for r in requests}),
            len(over),
            context,
        )
        responses = engine.generate([ChatRequest.of(r.messages, sampling) for r in fits])
    rows = []
    for r, resp in zip(fits, responses, strict=True):
        rows.append(
            {
                "model": model,
                "role": r.prefix.role,
                "dialogue_type": r.prefix.dialogue_type,
                "round": r.prefix.k,
                **{
                    k: r.item.get(k)
                    for k in (
                        "dataset",
                        "item",
                        "item_index",
                        "prompt",
                        "reference",
                        "trait",
                        "label",
                    )
                },
                "response": resp.text,
                "prefix_tokens": r.prefix.dialogue_tokens,
                "prompt_tokens": resp.prompt_tokens,
                "completion_tokens": resp.completion_tokens,
                "finish_reason": resp.finish_reason,
            }
        )
    write_parquet(pa.Table.from_pylist(rows, schema=RESPONSE_SCHEMA), outputs["responses"])
    write_parquet(
        pa.Table.from_pylist(
            overflow_rows(model, over, context, sampling.max_tokens), schema=OVERFLOW_SCHEMA
        ),
        outputs["overflow"],
    )
