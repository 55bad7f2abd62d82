"""PersonaLens dialogues: user agent and assistant, round-synchronous, one shard per job.

The requests are upstream's (`templates.py`, texts from the protocol pack); the loop is
upstream's: the opening query, then up to `turn_caps[kind]` exchanges (assistant, user), a
TERMINATE turn answered once more, a capped last user turn left unanswered.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..dialogue import Dialogue, ModelSide
from ..dialogue import simulate as simulate_dialogues
from ..engines import Sampling
from ..errors import ConfigError
from ..io import read_parquet, write_parquet
from ..models import EngineSet, ModelJobParams
from ..protocol import load_pack
from ..steps import step
from .scenarios import load_contexts, shard_of
from .templates import (
    TERMINATE,
    AssistantSetting,
    assistant_messages,
    has_prompts,
    user_agent_messages,
)

log = logging.getLogger(__name__)

TURN_TYPE = pa.struct(
    [
        ("speaker", pa.string()),
        ("text", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("finish_reason", pa.string()),
        ("latency_s", pa.float64()),
    ]
)
DIALOGUE_SCHEMA = pa.schema(
    [
        ("dialogue_id", pa.string()),
        ("scenario_id", pa.string()),
        ("user_id", pa.string()),
        ("task_id", pa.string()),
        ("kind", pa.string()),
        ("domains", pa.list_(pa.string())),
        ("assistant_model", pa.string()),
        ("user_model", pa.string()),
        ("setting", pa.string()),
        ("end_reason", pa.string()),
        ("user_turns", pa.int64()),
        ("turns", pa.list_(TURN_TYPE)),
    ]
)


def dialogue_id(model: str, setting: str, scenario_id: str) -> str:
    return f"{model}|{setting}|{scenario_id}"


@dataclasses.dataclass(frozen=True)
class DialogueParams(ModelJobParams):
    assistant: str
    user_agent: str
    setting: str
    shard: int
    n_shards: int
    turn_caps: dict[str, int]
    history_format: str
    sampling: dict[str, Any]
    protocol: dict[str, Any]


def prompt_family(models: dict[str, Any], name: str) -> str:
    family = models.get(name, {}).get("prompt_family")
    if family is None:
        raise ConfigError(
            f"model {name} is an assistant but names no prompt_family (claude, llama or mistral: "
            f"which of upstream's assistant prompts it gets)",
            where=f"models.{name}.prompt_family",
        )
    return family


def role_sampling(
    generation: dict[str, Any] | None,
    sampling: dict[str, Any],
    role: str,
    family: str | None = None,
) -> Sampling:
    """The study's sampling of a role over the registry's defaults; the assistant's top_p may
    depend on its prompt family (upstream: Llama 0.9, Mistral 1.0, Claude not sent)."""
    values = dict(sampling.get(role) or {})
    by_family = sampling.get("assistant_top_p") or {}
    if role == "assistant" and family in by_family:
        values["top_p"] = by_family[family]
    return Sampling.from_config(generation, **values)


@step(DialogueParams)
def simulate(inputs: dict[str, Path], outputs: dict[str, Path], params: DialogueParams) -> None:
    """One shard of an assistant x setting: every dialogue advanced round-synchronously."""
    setting = AssistantSetting.parse(params.setting)
    sample = shard_of(read_parquet(inputs["sample"]), params.shard, params.n_shards)
    contexts = load_contexts(
        sample,
        read_parquet(inputs["profiles"]),
        read_parquet(inputs["affinities"]),
        read_parquet(inputs["interactions"]),
    )
    caps = params.turn_caps
    history_format = params.history_format
    pack = load_pack("personalens", params.protocol)
    family = prompt_family(params.models, params.assistant)
    if not has_prompts(pack, family, setting.name):
        raise ConfigError(
            f"assistant {params.assistant} (prompt family {family}): upstream has no "
            f"{setting.name} prompts for this family",
            where="personalens.settings",
        )
    with EngineSet.of(params, outputs["usage"]) as engines:
        assistant = engines.open(params.assistant)
        user_model = engines.open(params.user_agent)
        dialogues = [
            Dialogue(
                dialogue_id(params.assistant, setting.name, sid),
                ctx,
                max_user_turns=caps[ctx["kind"]] + 1,  # the opening query + the exchanges
                reply_after_cap=False,
            )
            for sid, ctx in contexts.items()
        ]
        log.info(
            "%d dialogues, assistant %s (%s), user agent %s",
            len(dialogues),
            params.assistant,
            setting.name,
            params.user_agent,
        )
        simulate_dialogues(
            dialogues,
            user=ModelSide(
                user_model,
                lambda d: user_agent_messages(pack, d, history_format),
                role_sampling(user_model.spec.generation, params.sampling, "user"),
            ),
            assistant=ModelSide(
                assistant,
                lambda d: assistant_messages(pack, family, setting, d, history_format),
                role_sampling(assistant.spec.generation, params.sampling, "assistant", family),
            ),
            is_terminal=lambda text: TERMINATE in text,
        )
    rows = []
    for d in dialogues:
        ctx = d.context
        rows.append(
            {
                "dialogue_id": d.dialogue_id,
                "scenario_id": ctx["scenario_id"],
                "user_id": ctx["user_id"],
                "task_id": ctx["task_id"],
                "kind": ctx["kind"],
                "domains": ctx["domains"],
                "assistant_model": params.assistant,
                "user_model": params.user_agent,
                "setting": setting.name,
                "end_reason": d.end_reason,
                "user_turns": d.user_turns(),
                "turns": [
                    {
                        "speaker": t.speaker,
                        "text": t.text,
                        "prompt_tokens": t.prompt_tokens,
                        "completion_tokens": t.completion_tokens,
                        "finish_reason": t.finish_reason,
                        "latency_s": t.latency_s,
                    }
                    for t in d.turns
                ],
            }
        )
    write_parquet(pa.Table.from_pylist(rows, schema=DIALOGUE_SCHEMA), outputs["dialogues"])
