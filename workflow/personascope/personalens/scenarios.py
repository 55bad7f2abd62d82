"""Which user-task scenarios a run uses, and the persona context each dialogue needs."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, InputDataError, ProtocolError
from ..io import read_parquet, write_parquet
from ..protocol import CHECKSUMS, REPO_ROOT, read_checksums
from .release import DEMOGRAPHICS, user_number

# `users: <N>` is upstream's named sample N (`sample_<N>_idxs` of src/evaluate_dialogue.py, as
# data in the shared samples.json); `users: {random: N}` is a seeded draw of N users instead.
RANDOM_SAMPLE_SEED = 20250601


def load_named_samples(path: str | Path | None) -> dict[int, list[str]]:
    """{size: [user ids]} from upstream's sample lists (user numbers -> `user<N>`)."""
    if path is None:
        raise ConfigError(
            "a named user sample needs personalens.protocol.samples (upstream's sample lists)",
            where="personalens.users",
        )
    source = Path(path) if Path(path).is_absolute() else REPO_ROOT / path
    committed = read_checksums(REPO_ROOT / CHECKSUMS.format(study="personalens"))
    if source.is_file():
        actual = hashlib.sha256(source.read_bytes()).hexdigest()
        if actual != committed.get("samples.json"):
            raise ProtocolError(
                f"upstream's sample lists have sha256 {actual}, committed "
                f"{committed.get('samples.json')} (key samples.json)",
                where=source,
            )
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))["samples"]
        return {int(size): [f"user{int(n)}" for n in ids] for size, ids in raw.items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputDataError(
            f"not upstream's sample lists ({exc})",
            where=source,
            hint='expected {"samples": {"50": [7, 53, ...], ...}}',
        ) from exc


def random_sample(user_ids: list[str], size: int, seed: int = RANDOM_SAMPLE_SEED) -> list[str]:
    ordered = sorted(user_ids, key=user_number)
    if size > len(ordered):
        raise ConfigError(
            f"user sample of {size} requested but the release has {len(ordered)} users",
            where="personalens.users",
        )
    return sorted(random.Random(seed).sample(ordered, size), key=user_number)


def select_users(user_ids: list[str], spec: Any, samples: str | Path | None = None) -> list[str]:
    """`all`, upstream's named sample N, `{random: N}`, or an explicit list of ids."""
    if spec == "all":
        return sorted(user_ids, key=user_number)
    if isinstance(spec, int) and not isinstance(spec, bool):
        named = load_named_samples(samples)
        if spec not in named:
            raise ConfigError(
                f"no named sample of {spec} users; upstream's are {sorted(named)} "
                f"(or write {{random: {spec}}} for a seeded draw)",
                where="personalens.users",
            )
        chosen = named[spec]
        missing = sorted(set(chosen) - set(user_ids), key=user_number)
        if missing:
            raise InputDataError(
                f"named sample {spec} has users not in the release: {missing[:5]}",
                where="personalens.users",
            )
        return sorted(chosen, key=user_number)
    elif isinstance(spec, dict) and set(spec) == {"random"} and isinstance(spec["random"], int):
        return random_sample(user_ids, spec["random"])
    elif isinstance(spec, list):
        unknown = sorted(set(spec) - set(user_ids))
        if unknown:
            raise ConfigError(f"unknown user ids {unknown[:5]}", where="personalens.users")
        return sorted(spec, key=user_number)
    raise ConfigError(
        f"expected 'all', a named sample size, {{random: N}} or a list of ids, got {spec!r}",
        where="personalens.users",
    )


def select_scenarios(scenarios: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """The scenarios of the chosen users, filtered by kind / task ids / domains, capped per user."""
    users = select_users(
        sorted(scenarios["user_id"].unique()), spec.get("users", 50), spec.get("samples")
    )
    chosen = scenarios[scenarios["user_id"].isin(users)]
    chosen = chosen[chosen["kind"].isin(spec.get("kinds", ["SD", "MD"]))]
    if spec.get("task_ids"):
        chosen = chosen[chosen["task_id"].isin(spec["task_ids"])]
    if spec.get("domains"):
        wanted = set(spec["domains"])
        chosen = chosen[chosen["domains"].map(lambda ds: bool(wanted & set(ds)))]
    per_user = spec.get("tasks_per_user")
    if per_user:
        seed = int(spec.get("seed", RANDOM_SAMPLE_SEED))
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
        raise ConfigError("the scenario selection is empty", where="personalens")
    write_parquet(selected.reset_index(drop=True), out)


def shard_of(frame: pd.DataFrame, shard: int, n_shards: int) -> pd.DataFrame:
    if not 0 <= shard < n_shards:
        raise ConfigError(f"shard {shard} outside 0..{n_shards - 1}", where="personalens.shards")
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
