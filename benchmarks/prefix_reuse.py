"""Prefix reuse in the local engine, measured side by side in one run (`make bench`).

The same scripted Persistent Personas dialogues (pinned interview script, the roles' system
prompts) run round-synchronously through SmolLM2-135M twice, on one engine with the prefix cache
and one without; then one checkpoint's conditioned items (the last round's dialogue + each BFI
item) on both. Reports wall time of each, their ratio, and the prompt tokens evaluated per round,
which with reuse stay flat (a round reads only its new messages), so the total grows linearly
with the rounds instead of quadratically.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.persistence import data as pinned
from personascope.persistence.estimate import protocol_texts
from personascope.persistence.prompts import fill, system_prompt

REPO = Path(__file__).resolve().parents[1]
ROLES = ["Gaston", "Michael Scott", "HAL 9000", "Juno MacGuff"]


def inputs(
    n_dialogues: int, rounds: int, n_items: int
) -> tuple[list[tuple[list[dict], list[str]]], list[str]]:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    sources = config["persistence"]["sources"]
    pp = Path(sources["persistent_personas"]["local"])
    pp = pp if pp.is_absolute() else REPO / pp
    ic = Path(sources["incharacter"]["local"])
    ic = ic if ic.is_absolute() else REPO / ic
    texts = protocol_texts(config["persistence"], REPO)
    roles = pinned.load_roles(pp / "roles.json", ROLES[:n_dialogues])
    lines = pinned.load_interview(pp / "interview.json")[:rounds]
    starts = [
        [{"role": "system", "content": system_prompt(texts, role, description)}]
        for role, description in roles.items()
    ]
    scripts = [[fill(line, role) for line in lines] for role in roles]
    items = [i["prompt"] for i in pinned.bfi_items(ic / "BFI.json", n_items, 42)]
    return list(zip(starts, scripts, strict=True)), items


def run_dialogues(engine: Any, dialogues: list[tuple[list[dict], list[str]]], max_tokens: int):
    """Round-synchronous: each round is one batch over every dialogue. Returns the per-round
    prompt tokens evaluated and served from the prefix cache, the wall time and the histories."""
    histories = [list(start) for start, _ in dialogues]
    per_round = []
    began = time.perf_counter()
    for r in range(len(dialogues[0][1])):
        for history, (_, script) in zip(histories, dialogues, strict=True):
            history.append({"role": "user", "content": script[r]})
        responses = engine.generate(
            [ChatRequest.of(h, Sampling(max_tokens=max_tokens)) for h in histories]
        )
        per_round.append(
            {
                "round": r + 1,
                "prompt_tokens": sum(x.prompt_tokens for x in responses),
                "evaluated": sum(x.prompt_tokens - x.prefix_cached_tokens for x in responses),
            }
        )
        for history, response in zip(histories, responses, strict=True):
            history.append({"role": "assistant", "content": response.text})
    return per_round, time.perf_counter() - began, histories


def run_items(engine: Any, history: list[dict], items: list[str], max_tokens: int):
    began = time.perf_counter()
    requests = [
        ChatRequest.of([*history, {"role": "user", "content": i}], Sampling(max_tokens=max_tokens))
        for i in items
    ]
    responses = engine.generate(requests)
    evaluated = sum(x.prompt_tokens - x.prefix_cached_tokens for x in responses)
    return responses, evaluated, time.perf_counter() - began


def bench_prefix_reuse(n_dialogues: int, rounds: int, n_items: int, max_tokens: int) -> dict:
    dialogues, items = inputs(n_dialogues, rounds, n_items)
    registry = yaml.safe_load((REPO / "config/models.yaml").read_text())["models"]
    base = registry["smollm2-135m"]
    result: dict[str, Any] = {"dialogues": n_dialogues, "rounds": rounds, "items": n_items}
    runs = {}
    for label, cap_mb in (("reuse", 512), ("no_reuse", 0)):
        entry = {**base, "options": {**base["options"], "prefix_cache_mb": cap_mb}}
        engine = open_engine("smollm2-135m", entry, cache_dir=None)
        try:
            per_round, wall, histories = run_dialogues(engine, dialogues, max_tokens)
            responses, item_evaluated, item_wall = run_items(
                engine, histories[0], items, max_tokens
            )
            runs[label] = {
                "dialogue_wall_s": round(wall, 2),
                "per_round": per_round,
                "items_wall_s": round(item_wall, 2),
                "items_evaluated": item_evaluated,
                "texts": [m["content"] for m in histories[0]] + [r.text for r in responses],
                "usage": engine.usage(),
            }
        finally:
            engine.close()
    reuse, plain = runs["reuse"], runs["no_reuse"]
    result["same_responses"] = reuse.pop("texts") == plain.pop("texts")
    result["dialogue_speedup"] = round(plain["dialogue_wall_s"] / reuse["dialogue_wall_s"], 2)
    result["items_speedup"] = round(plain["items_wall_s"] / reuse["items_wall_s"], 2)
    result["evaluated_per_round"] = {
        "reuse": [x["evaluated"] for x in reuse["per_round"]],
        "no_reuse": [x["evaluated"] for x in plain["per_round"]],
    }
    # linear vs quadratic: the evaluated tokens of the last round over the second round's
    ev = result["evaluated_per_round"]
    result["last_over_second_round"] = {
        k: round(v[-1] / v[1], 2) if len(v) > 1 and v[1] else None for k, v in ev.items()
    }
    result["items_evaluated"] = {
        "reuse": reuse["items_evaluated"],
        "no_reuse": plain["items_evaluated"],
    }
    result["walls_s"] = {
        k: {"dialogues": v["dialogue_wall_s"], "items": v["items_wall_s"]} for k, v in runs.items()
    }
    result["prefix_cache"] = {
        k: reuse["usage"][k] for k in reuse["usage"] if k.startswith("prefix_cache")
    }
    return result
