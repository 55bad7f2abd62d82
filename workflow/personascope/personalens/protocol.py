"""PersonaLens protocol sheet: what a run would send, written before any model is called.

`results/personalens/protocol.json` (+ `.md`) states the resolved protocol: every protocol text
the run uses (pack key, sha256, source), sampling per role, turn caps, history format, the user
ids and SD/MD dialogue counts, each model's identity and any substitution, the judge's parsing.
`protocol_examples.jsonl` holds the exact requests for one fixed scenario (the first SD task of
the sample's first user, and that user's first MD task): the user agent's opening and second
turn (after a fixed assistant line), the assistant's request in each of upstream's six settings
for each prompt family, and every judge request, each with the pack keys it uses, so they can be
diffed against upstream's own rendering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..dialogue import ASSISTANT, USER, Dialogue, Turn
from ..engines import Sampling
from ..errors import ConfigError
from ..io import read_parquet, write_text
from ..protocol import Pack, load_pack, write_sheet
from ..steps import step
from .judge import DIMENSIONS, TURN_LEVEL
from .scenarios import load_contexts
from .templates import (
    PROMPT_FAMILIES,
    SETTING_SUFFIX,
    AssistantSetting,
    assistant_keys,
    assistant_messages,
    assistant_runs,
    has_prompts,
    judge_messages,
    user_agent_messages,
)

UPSTREAM_SETTINGS = ("vanilla", *SETTING_SUFFIX)
# stand-in turns of the example dialogue (ours, not protocol text: they only fill the history)
EXAMPLE_USER_LINE = "<example user turn>"
EXAMPLE_ASSISTANT_LINE = "<example assistant turn>"


@dataclass(frozen=True)
class SheetParams:
    protocol: dict[str, Any]
    users: Any
    kinds: list[str]
    assistants: list[str]
    settings: list[str]
    settings_of: dict[str, list[str]]
    user_agent: str
    judge: str
    turn_caps: dict[str, int]
    history_format: str
    sampling: dict[str, Any]
    published_quirks: bool
    judge_dimensions: list[str] | None
    judge_mode: str
    models: dict[str, dict[str, Any]]
    # the paper's scope of its one-run tables and figures (results.py in_focus)
    focus_assistant: str | None
    focus_setting: str | None
    turn_level_domains: list[str] | None


def check_turn_level_domains(domains: list[str] | None, scenarios: Any) -> None:
    """Named turn-level domains must be SD domains of the release (a typo draws no curve)."""
    sd = scenarios[scenarios["kind"] == "SD"]
    known = sorted({d for ds in sd["domains"] for d in ds})
    unknown = sorted(set(domains or []) - set(known))
    if unknown:
        raise ConfigError(
            f"{unknown} are not SD domains of the release (known: {known})",
            where="personalens.turn_level_domains",
        )


def role_sampling(params: SheetParams, role: str, model: str, family: str | None = None) -> dict:
    """The sampling a role's requests carry, and which fields its engine sends."""
    from .dialogues import role_sampling as resolve

    entry = params.models[model]
    sampling: Sampling = resolve(entry.get("generation"), params.sampling, role, family)
    sent = ["temperature", "max_tokens"]
    if entry["engine"] != "anthropic" or (
        sampling.top_p < 1.0 and not entry.get("options", {}).get("temperature_only")
    ):
        sent.append("top_p")
    return {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "sent": sent,
    }


def model_identity(name: str, entry: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "role": "+".join(roles),
        "engine": entry["engine"],
        "model": entry["model"],
        "revision": entry.get("revision"),
        "prompt_family": entry.get("prompt_family"),
        "substitute_for": entry.get("substitute_for"),
        "substitute_reason": " ".join(str(entry.get("substitute_reason", "")).split()) or None,
        "temperature_only": bool(entry.get("options", {}).get("temperature_only", False)),
    }


def example_dialogue(ctx: dict[str, Any], dialogue_id: str, lines: list[str]) -> Dialogue:
    d = Dialogue(dialogue_id, ctx, max_user_turns=0)
    speakers = [USER, ASSISTANT]
    d.turns = [Turn(speakers[i % 2], text) for i, text in enumerate(lines)]
    return d


def example_records(pack: Pack, ctx: dict[str, Any], history_format: str) -> list[dict]:
    """Every request of the protocol for one scenario, with the pack keys each one uses."""
    records = []

    def record(kind: str, build: Any, **meta: Any) -> None:
        with pack.recording() as keys:
            messages = build()
        records.append(
            {
                "scenario_id": ctx["scenario_id"],
                "kind": ctx["kind"],
                "request": kind,
                **meta,
                "keys": list(keys),
                "messages": messages,
            }
        )

    sid = ctx["scenario_id"]
    opening = example_dialogue(ctx, sid, [])
    second = example_dialogue(ctx, sid, [EXAMPLE_USER_LINE, EXAMPLE_ASSISTANT_LINE])
    record("user_agent", lambda: user_agent_messages(pack, opening, history_format), turn=1)
    record("user_agent", lambda: user_agent_messages(pack, second, history_format), turn=2)
    asked = example_dialogue(ctx, sid, [EXAMPLE_USER_LINE])
    for family in PROMPT_FAMILIES:
        for name in UPSTREAM_SETTINGS:
            setting = AssistantSetting.parse(name)
            if not has_prompts(pack, family, name):
                records.append(
                    {
                        "scenario_id": sid,
                        "kind": ctx["kind"],
                        "request": "assistant",
                        "family": family,
                        "setting": name,
                        "available": False,
                        "missing_keys": [k for k in assistant_keys(family, name)],
                    }
                )
                continue
            record(
                "assistant",
                lambda f=family, s=setting: assistant_messages(pack, f, s, asked, history_format),
                family=family,
                setting=name,
                available=True,
            )
    judged = example_dialogue(ctx, sid, [EXAMPLE_USER_LINE, EXAMPLE_ASSISTANT_LINE])
    for dim in DIMENSIONS:
        record("judge", lambda d=dim: judge_messages(pack, d, judged), dimension=dim)
    return records


def first_scenarios(sample: Any, scenarios: Any) -> list[Any]:
    """The sample's first user's first SD task, and that user's first MD task (release order)."""
    first_user = sample["user_id"].iloc[0]
    own = scenarios[scenarios["user_id"] == first_user]
    picked = []
    for kind in ("SD", "MD"):
        rows = own[own["kind"] == kind].sort_values("task_id", key=lambda s: s.map(task_order))
        if len(rows):
            picked.append(rows.iloc[[0]])
    return picked


def task_order(task_id: str) -> tuple[str, int]:
    head, _, number = task_id.rpartition("-")
    return (head, int(number) if number.isdigit() else 0)


@step(SheetParams)
def sheet(inputs: dict[str, Path], outputs: dict[str, Path], params: SheetParams) -> None:
    sample = read_parquet(inputs["sample"])
    scenarios = read_parquet(inputs["scenarios"])
    check_turn_level_domains(params.turn_level_domains, scenarios)
    tables = [read_parquet(inputs[t]) for t in ("profiles", "affinities", "interactions")]
    run_pack = load_pack("personalens", params.protocol)
    examples_pack = load_pack("personalens", params.protocol)

    # the texts the run itself sends: render one request of every kind it makes
    contexts = load_contexts(sample, *tables)
    dims = list(params.judge_dimensions or DIMENSIONS)
    families = {m: params.models[m].get("prompt_family") for m in params.assistants}
    pairs, skipped = assistant_runs(
        run_pack, params.assistants, params.settings, params.settings_of, families
    )
    for kind in params.kinds:
        ctx = next((c for c in contexts.values() if c["kind"] == kind), None)
        if ctx is None:
            continue
        d = example_dialogue(ctx, ctx["scenario_id"], [EXAMPLE_USER_LINE, EXAMPLE_ASSISTANT_LINE])
        user_agent_messages(run_pack, example_dialogue(ctx, "", []), params.history_format)
        user_agent_messages(run_pack, d, params.history_format)
        for model, name in pairs:
            family = params.models[model]["prompt_family"]
            setting = AssistantSetting.parse(name)
            assistant_messages(run_pack, family, setting, d, params.history_format)
        for dim in dims:
            judge_messages(run_pack, dim, d)

    counts = {kind: int((sample["kind"] == kind).sum()) for kind in ("SD", "MD")}
    roles: dict[str, list[str]] = {}
    for model in params.assistants:
        roles.setdefault(model, []).append("assistant")
    roles.setdefault(params.user_agent, []).append("user_agent")
    roles.setdefault(params.judge, []).append("judge")
    users = sorted(set(sample["user_id"]), key=lambda u: int(u.removeprefix("user")))
    document = {
        "study": "personalens",
        "upstream": f"{params.protocol['repository']}@{params.protocol['commit']}",
        "texts": run_pack.used(),
        "sampling": {
            "user": role_sampling(params, "user", params.user_agent),
            "assistant": {
                key: value
                for key, value in (params.sampling.get("assistant") or {}).items()
                if key in ("temperature", "top_p", "max_tokens")
            },
            "judge": role_sampling(params, "judge", params.judge),
        },
        # the assistant's top_p depends on its prompt family (upstream: Llama 0.9, Mistral 1.0)
        "assistant_sampling": {
            model: role_sampling(
                params, "assistant", model, params.models[model].get("prompt_family")
            )
            for model in params.assistants
        },
        "turn_caps": dict(params.turn_caps),
        "history_format": params.history_format,
        "users_spec": params.users,
        "users": users,
        "dialogues": counts,
        "runs": [{"assistant": m, "setting": s} for m, s in pairs],
        "not_run": skipped,
        "dialogues_total": {k: v * len(pairs) for k, v in counts.items()},
        "models": {name: model_identity(name, params.models[name], r) for name, r in roles.items()},
        "judge_dimensions": dims,
        "turn_level": f"{TURN_LEVEL}: upstream's chain-of-turn template, one call per dialogue",
        "judge_mode": params.judge_mode,
        "published_quirks": params.published_quirks,
        "scope": {
            "focus_assistant": params.focus_assistant,
            "focus_setting": params.focus_setting,
            "turn_level_domains": params.turn_level_domains,
        },
    }
    write_sheet(document, outputs["sheet"], outputs["sheet_md"], "PersonaLens protocol sheet")

    records = []
    for picked in first_scenarios(sample, scenarios):
        (ctx,) = load_contexts(picked, *tables).values()
        records += example_records(examples_pack, ctx, params.history_format)
    write_text(
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records),
        outputs["examples"],
    )
