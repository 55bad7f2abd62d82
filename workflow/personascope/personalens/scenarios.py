"""Which user-task scenarios a run uses, and the persona context each dialogue needs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import read_parquet, write_parquet
from .release import DEMOGRAPHICS, user_number

# Named user samples: a fixed, seeded choice over the 1,500 release users (user0..user1499),
# documented so that "the 50-user sample" means the same users everywhere.
NAMED_SAMPLE_SEED = 20250601
NAMED_SAMPLE_SIZES = (30, 50, 100)


def named_sample(user_ids: list[str], size: int, seed: int = NAMED_SAMPLE_SEED) -> list[str]:
    ordered = sorted(user_ids, key=user_number)
    if size > len(ordered):
        raise ValueError(
            f"user sample of {size} requested but the release has {len(ordered)} users"
        )
    return sorted(random.Random(seed).sample(ordered, size), key=user_number)


def select_users(user_ids: list[str], spec: Any) -> list[str]:
    """`all`, a named size (30/50/100 or any int), or an explicit list of ids."""
    if spec == "all":
        return sorted(user_ids, key=user_number)
    if isinstance(spec, int):
        return named_sample(user_ids, spec)
    if isinstance(spec, list):
        unknown = sorted(set(spec) - set(user_ids))
        if unknown:
            raise ValueError(f"personalens.users: unknown user ids {unknown[:5]}")
        return sorted(spec, key=user_number)
    raise ValueError(
        f"personalens.users: expected 'all', an integer or a list of ids, got {spec!r}"
    )


def select_scenarios(scenarios: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """The scenarios of the chosen users, filtered by kind / task ids / domains, capped per user."""
    users = select_users(sorted(scenarios["user_id"].unique()), spec.get("users", 50))
    chosen = scenarios[scenarios["user_id"].isin(users)]
    chosen = chosen[chosen["kind"].isin(spec.get("kinds", ["SD", "MD"]))]
    if spec.get("task_ids"):
        chosen = chosen[chosen["task_id"].isin(spec["task_ids"])]
    if spec.get("domains"):
        wanted = set(spec["domains"])
        chosen = chosen[chosen["domains"].map(lambda ds: bool(wanted & set(ds)))]
    per_user = spec.get("tasks_per_user")
    if per_user:
        seed = int(spec.get("seed", NAMED_SAMPLE_SEED))
        parts = []
        for kind in ("SD", "MD"):
            sub = chosen[chosen["kind"] == kind]
            for _, group in sub.groupby("user_id", sort=False):
                rng = random.Random(f"{seed}/{group['user_id'].iloc[0]}/{kind}")
                parts.append(
                    group.iloc[sorted(rng.sample(range(len(group)), min(per_user, len(group))))]
                )
        chosen = pd.concat(parts) if parts else chosen.iloc[0:0]
    order = chosen["user_id"].map(user_number)
    return chosen.assign(_o=order).sort_values(["_o", "kind", "task_id"]).drop(columns="_o")


def write_sample(scenarios: Path, spec: dict[str, Any], out: Path) -> None:
    selected = select_scenarios(read_parquet(scenarios), spec)
    if selected.empty:
        raise ValueError("personalens: the scenario selection in config is empty")
    write_parquet(selected.reset_index(drop=True), out)


def shard_of(frame: pd.DataFrame, shard: int, n_shards: int) -> pd.DataFrame:
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} outside 0..{n_shards - 1}")
    return frame.iloc[shard::n_shards]


def load_contexts(
    sample: pd.DataFrame,
    profiles: pd.DataFrame,
    affinities: pd.DataFrame,
    interactions: pd.DataFrame,
) -> dict[str, dict[str, Any]]:
    """scenario_id -> everything the prompts need (profile restricted to the task's domains)."""
    users = set(sample["user_id"])
    demo = {
        r["user_id"]: {k: r[k] for k in DEMOGRAPHICS}
        for _, r in profiles[profiles["user_id"].isin(users)].iterrows()
    }
    aff: dict[str, dict[str, dict[str, Any]]] = {}
    for r in affinities[affinities["user_id"].isin(users)].itertuples(index=False):
        value = list(r.values) if r.is_list else r.values[0]
        aff.setdefault(r.user_id, {}).setdefault(r.domain, {})[r.preference] = value
    inter: dict[str, dict[str, str]] = {}
    for r in interactions[interactions["user_id"].isin(users)].itertuples(index=False):
        inter.setdefault(r.user_id, {})[r.domain] = r.summary
    contexts = {}
    for r in sample.itertuples(index=False):
        domains = list(r.domains)
        contexts[r.scenario_id] = {
            "scenario_id": r.scenario_id,
            "user_id": r.user_id,
            "task_id": r.task_id,
            "kind": r.kind,
            "domains": domains,
            "description": r.description,
            "intent": r.intent,
            "goal": r.goal,
            "demographics": demo[r.user_id],
            "affinities": {d: aff[r.user_id][d] for d in domains if d in aff.get(r.user_id, {})},
            "interactions": {
                d: inter[r.user_id][d] for d in domains if d in inter.get(r.user_id, {})
            },
            **{
                k: getattr(r, k)
                for k in ("location", "device", "time_of_day", "day_of_week", "environment")
            },
        }
    return contexts
