"""The plan's estimator for PersonaLens (`personascope.plan`): requests and tokens per stage and
model, read from the normalized release when a run has built it (exact dialogue counts and the
real system prompts of the sampled users), else from the paper's own dialogue statistics.

Stages: `dialogues` (the assistant's and the user agent's turns, per assistant x setting with
upstream prompts for the assistant's family) and `judge` (every judge dimension of every
dialogue; turn-level personalization is one chain-of-turn call per dialogue). Turns per dialogue
and tokens per turn are priors: the paper's Table 13 (dialogues with Claude 3 Sonnet as the
assistant), capped by turn_caps (+1, the opening query) and each side's max_tokens. The prompts
measured are the protocol pack's, rendered as the run renders them.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean
from typing import Any

from .. import paths
from ..dialogue import Dialogue
from ..plan.core import EstimateContext, Tally, judge_answer, message_tokens
from ..protocol import Pack, load_pack
from .judge import DEFAULT_DIMENSIONS, TURN_LEVEL
from .templates import (
    AssistantSetting,
    assistant_messages,
    assistant_runs,
    judge_messages,
    user_agent_messages,
)

STUDY = "personalens"
# Table 13 of the paper: the 50-user sample's dialogues (assistant Claude 3 Sonnet).
TABLE_13 = {
    "SD": {"dialogues": 3283, "turns": 4.74, "tokens_per_turn": 149.87},
    "MD": {"dialogues": 813, "turns": 5.64, "tokens_per_turn": 149.32},
}
TABLE_13_USERS = 50
RELEASE_TABLES = ("scenarios", "profiles", "affinities", "interactions")


def release_contexts(config: dict[str, Any], results: Path) -> dict[str, dict[str, Any]] | None:
    """The run's scenario contexts from the normalized release, or None if it is not built."""
    from ..io import read_parquet
    from .scenarios import load_contexts, select_scenarios

    files = {
        t: results / Path(paths.personalens_release_table(t)).relative_to(paths.RESULTS)
        for t in RELEASE_TABLES
    }
    if not all(f.is_file() for f in files.values()):
        return None
    pl = config["personalens"]
    spec = {**pl, "samples": pl["protocol"].get("samples")}
    scenarios = select_scenarios(read_parquet(files["scenarios"]), spec)
    return load_contexts(
        scenarios,
        read_parquet(files["profiles"]),
        read_parquet(files["affinities"]),
        read_parquet(files["interactions"]),
    )


def estimate(config: dict[str, Any], ctx: EstimateContext) -> list[Tally]:
    pl = config["personalens"]
    contexts = release_contexts(config, ctx.run_dir / paths.RESULTS)
    per_kind: dict[str, list[dict[str, Any]] | float] = {}
    for kind in pl["kinds"]:
        if contexts is not None:
            per_kind[kind] = [c for c in contexts.values() if c["kind"] == kind]
        else:
            users = pl["users"] if isinstance(pl["users"], int) else len(pl["users"])
            users = 1500 if pl["users"] == "all" else users
            if pl["tasks_per_user"]:
                per_kind[kind] = float(users * pl["tasks_per_user"])
                continue
            per_kind[kind] = ctx.prior(
                STUDY,
                f"{kind}_dialogues_per_assistant_setting",
                TABLE_13[kind]["dialogues"] * users / TABLE_13_USERS,
                f"paper Table 13: {TABLE_13[kind]['dialogues']} {kind} dialogues for "
                f"{TABLE_13_USERS} users, scaled to the config's users (the release is not "
                "built here)",
            )
    if contexts is None:
        ctx.notes.append(
            "personalens: system prompts are priors (build the release, `snakemake "
            "results/personalens/data/scenarios.parquet`, for the sampled users' own)"
        )
    user_model, judge = pl["user_agent"], pl["judge"]
    pack = load_pack(STUDY, pl["protocol"])
    # user turns: the opening query plus up to turn_caps exchanges
    caps = {kind: cap + 1 for kind, cap in pl["turn_caps"].items()}
    chosen = list(pl.get("judge_dimensions") or DEFAULT_DIMENSIONS)
    turn_level = TURN_LEVEL in chosen
    whole_dims = len(chosen) - turn_level
    judge_cap = max_tokens(config, ctx, "judge", judge)
    judge_reply, reask = judge_answer(
        ctx,
        config,
        STUDY,
        (150, "our assumption: a short rationale and the verdict line; capped by max_tokens"),
        judge_cap,
    )
    # the chain-of-turn answer: a section per turn when free; one bounded answer when
    # constrained (its sections share the max_tokens)
    constrained = pl.get("judge_mode") == "constrained"
    out: list[Tally] = []
    families = {a: ctx.registry[a].get("prompt_family") or "claude" for a in pl["assistants"]}
    # the pairs the run makes (upstream wrote no vanilla prompt but Claude's)
    pairs, _ = assistant_runs(
        pack, pl["assistants"], pl["settings"], pl.get("settings_of") or {}, families
    )
    for assistant, setting_name in pairs:
        family = families[assistant]
        setting = AssistantSetting.parse(setting_name)
        where = {"model": assistant, "setting": setting.name, "shard": "*"}
        usage = paths.PERSONALENS_DIALOGUE_USAGE.format(**where)
        side_a = Tally(STUDY, "dialogues", assistant, usage, f"assistant, {setting.name}")
        side_u = Tally(STUDY, "dialogues", user_model, usage, f"user agent, {setting.name}")
        judged = Tally(
            STUDY,
            "judge",
            judge,
            paths.PERSONALENS_JUDGE_USAGE.format(judge=judge, **where),
            f"{assistant}, {setting.name}",
        )
        for kind in pl["kinds"]:
            stats = TABLE_13[kind]
            turns = min(
                ctx.prior(STUDY, f"{kind}_turns_per_dialogue", stats["turns"], "paper Table 13"),
                caps[kind],
            )
            per_turn = ctx.prior(
                STUDY, f"{kind}_tokens_per_turn", stats["tokens_per_turn"], "paper Table 13"
            )
            sides = {"user": side_u, "assistant": side_a}
            budget = {
                s: min(per_turn, max_tokens(config, ctx, s, m))
                for s, m in (("user", user_model), ("assistant", assistant))
            }
            for dialogues, u_sys, a_sys, judge_ctx in system_sizes(
                per_kind[kind], setting, ctx, (user_model, assistant, judge), pack, family
            ):
                add_dialogue(sides, budget, turns, u_sys, a_sys, dialogues)
                transcript = turns * (budget["user"] + budget["assistant"] + 6)
                whole = judge_ctx + transcript
                judged.add(whole, whole, judge_reply, count=dialogues * whole_dims * (1 + reask))
                if turn_level:
                    # upstream's chain-of-turn template: one call scoring every turn
                    chain = judge_reply if constrained else judge_reply * turns
                    judged.add(whole, whole, chain, count=dialogues * (1 + reask))
        out += [side_a, side_u, judged]
    return out


def max_tokens(config: dict[str, Any], ctx: EstimateContext, side: str, model: str) -> float:
    sampling = config["personalens"]["sampling"].get(side, {})
    return float(sampling.get("max_tokens") or ctx.registry[model]["generation"]["max_tokens"])


def add_dialogue(
    sides: dict[str, Tally],
    budget: dict[str, float],
    turns: float,
    user_system: float,
    assistant_system_tokens: float,
    count: float,
) -> None:
    """One dialogue of `turns` exchanges, `count` times: each side sees its system prompt and the
    history (the user agent also its kick-off line)."""
    whole = round(turns)
    u, a = budget["user"] + 5, budget["assistant"] + 5
    # user agent: system + kick-off, then per turn the previous exchange
    sides["user"].add_chain(
        [user_system + 20] + [a + 0] * (whole - 1), [u] * whole, budget["user"], count
    )
    sides["assistant"].add_chain(
        [assistant_system_tokens + u] + [u] * (whole - 1), [a] * whole, budget["assistant"], count
    )


def system_sizes(
    dialogues: list[dict[str, Any]] | float,
    setting: AssistantSetting,
    ctx: EstimateContext,
    models: tuple[str, str, str],
    pack: Pack,
    family: str,
) -> list[tuple[float, float, float, float]]:
    """(dialogues, user-agent prompt, assistant prompt, judge prompt without the transcript),
    each the run's own request rendered with an empty history."""
    if isinstance(dialogues, float):
        user = ctx.prior(
            STUDY, "user_agent_system_tokens", 700, "our assumption (release not built)"
        )
        base = ctx.prior(
            STUDY, "assistant_system_tokens", 700, "our assumption (release not built)"
        )
        judge_prompt = ctx.prior(
            STUDY, "judge_prompt_tokens", 1500, "our assumption (release not built)"
        )
        return [(dialogues, user, base, judge_prompt)]
    from .judge import DIMENSIONS

    count_u, count_a, count_j = (ctx.counter_for(m) for m in models)

    def tokens(count: Any, messages: list[dict[str, str]]) -> float:
        return float(sum(message_tokens(count, m["content"]) for m in messages))

    out = []
    for c in dialogues:
        empty = Dialogue(c["scenario_id"], c, max_user_turns=0)
        judge_prompt = mean(tokens(count_j, judge_messages(pack, d, empty)) for d in DIMENSIONS)
        out.append(
            (
                1.0,
                tokens(count_u, user_agent_messages(pack, empty, "flattened")),
                tokens(count_a, assistant_messages(pack, family, setting, empty, "flattened")),
                judge_prompt,
            )
        )
    return out
