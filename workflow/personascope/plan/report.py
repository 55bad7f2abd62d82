"""Add the studies' tallies up per model and stage, price them, compare with measured usage."""

from __future__ import annotations

import glob
import importlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import write_json, write_text
from ..steps import Files, step
from .core import EstimateContext, Tally, proxy_count
from .markdown import COUNTS, estimate_over_measured, render

log = logging.getLogger(__name__)

# study -> its estimator, `personascope.<study>.estimate:estimate`; a study without one is
# reported as not estimated (PersonaGym: issue #15 adds it).
ESTIMATOR = "personascope.{study}.estimate"


def token_counter(name: str, entry: dict[str, Any]) -> tuple[Any, str]:
    """(count(text) -> tokens, what counts): the model's own tokenizer if one is available
    offline (a local GGUF's vocabulary), else the stated byte proxy."""
    if entry.get("engine") == "local":
        try:
            from llama_cpp import Llama

            from ..engines.local import resolve_gguf

            vocab = Llama(
                model_path=str(resolve_gguf(entry.get("options", {}))),
                vocab_only=True,
                verbose=False,
            )
        except (ImportError, RuntimeError, ValueError) as exc:
            log.warning("model %s: no offline tokenizer (%s); using the proxy", name, exc)
        else:
            return (
                lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True)),
                "own tokenizer (GGUF vocabulary)",
            )
    return proxy_count, "proxy: UTF-8 bytes / 4"


REPO = Path(__file__).resolve().parents[3]


def estimate(config: dict[str, Any], run_dir: Path, repo: Path = REPO) -> dict[str, Any]:
    registry = config["models"]
    counters: dict[str, tuple[Any, str]] = {}

    @cache
    def counter_for(model: str) -> Any:
        if model not in registry:
            raise ConfigError(f"plan: model {model!r} is not in the model registry")
        counters[model] = token_counter(model, registry[model])
        return counters[model][0]

    ctx = EstimateContext(registry, counter_for, repo=repo, run_dir=run_dir)
    tallies: list[Tally] = []
    studies: dict[str, str] = {}
    for study in config["studies"]:
        try:
            module = importlib.import_module(ESTIMATOR.format(study=study))
        except ModuleNotFoundError:
            studies[study] = "no estimator yet"
            ctx.notes.append(f"{study}: no estimator (personascope.{study}.estimate)")
            continue
        tallies += module.estimate(config, ctx)
        studies[study] = "estimated"
    rows = [priced(t, registry[t.model], config["plan"]) for t in merge(tallies)]
    return {
        "studies": studies,
        "rows": rows,
        "models": per_model(rows),
        "priors": [vars(p) for p in ctx.priors],
        "tokenizers": {m: how for m, (_, how) in sorted(counters.items())},
        "throughput": config["plan"]["throughput"],
        "notes": ctx.notes,
    }


def merge(tallies: list[Tally]) -> list[Tally]:
    """One tally per (study, stage, model, usage files)."""
    merged: dict[tuple[str, ...], Tally] = {}
    for t in tallies:
        key = (t.study, t.stage, t.model, t.usage_glob, t.detail)
        if key not in merged:
            merged[key] = Tally(t.study, t.stage, t.model, t.usage_glob, t.detail)
        m = merged[key]
        for name in (*COUNTS, "prefixes"):
            setattr(m, name, getattr(m, name) + getattr(t, name))
    return list(merged.values())


def priced(t: Tally, entry: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {**vars(t), "engine": entry["engine"]}
    hours = device_hours(entry, plan["throughput"], t.prompt_tokens_reused, t.completion_tokens)
    row["device"], row["device_hours"] = hours
    row["device_hours_without_reuse"] = device_hours(
        entry, plan["throughput"], t.prompt_tokens, t.completion_tokens
    )[1]
    price = entry.get("price")
    row["api_cost_usd"] = (
        None
        if not price or entry["engine"] not in ("openai", "anthropic")
        else (t.prompt_tokens * price["input"] + t.completion_tokens * price["output"]) / 1e6
    )
    for name in (*COUNTS, "prefixes"):
        row[name] = round(row[name])
    return row


def device_hours(
    entry: dict[str, Any], table: dict[str, Any], prefill: int, decode: int
) -> tuple[str | None, float | None]:
    """GPU-hours on vLLM (the size class's per-GPU throughput), CPU-hours on the local engine."""
    engine = entry["engine"]
    if engine == "vllm":
        key, device = str(entry.get("size_class", 1)), "gpu"
    elif engine == "local":
        key, device = "local", "cpu"
    else:
        return None, None
    if key not in table:
        raise ConfigError(f"plan.throughput: no entry {key!r} (engine {engine})")
    speed = table[key]
    seconds = prefill / speed["prefill_tokens_per_s"] + decode / speed["decode_tokens_per_s"]
    return device, seconds / 3600


def per_model(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = out.setdefault(
            r["model"],
            {
                "model": r["model"],
                "engine": r["engine"],
                "device": r["device"],
                **dict.fromkeys(COUNTS, 0),
            },
        )
        for name in COUNTS:
            m[name] += r[name]
        for name in ("device_hours", "device_hours_without_reuse", "api_cost_usd"):
            if r[name] is not None:
                m[name] = m.get(name, 0.0) + r[name]
            else:
                m.setdefault(name, None)
    return list(out.values())


def measured(rows: list[dict[str, Any]], root: Path) -> None:
    """Add each row's measured counts, summed over its stage's usage.json files (the entries of
    its model): calls + cache hits = requests; tokens are those of the calls made."""
    for r in rows:
        files = sorted(glob.glob(str(root / r["usage_glob"])))
        found: dict[str, float] = defaultdict(float)
        for f in files:
            for entry in json.loads(Path(f).read_text(encoding="utf-8")):
                if entry.get("model") != r["model"]:
                    continue
                found["requests"] += entry.get("calls", 0) + entry.get("cache_hits", 0)
                found["cache_hits"] += entry.get("cache_hits", 0)
                found["prompt_tokens"] += entry.get("prompt_tokens", 0)
                found["prompt_tokens_reused"] += entry.get(
                    "prompt_tokens_evaluated", entry.get("prompt_tokens", 0)
                )
                found["completion_tokens"] += entry.get("completion_tokens", 0)
                found["latency_s"] += entry.get("latency_s", 0.0)
        r["measured"] = dict(found, files=len(files)) if files else None
        if files:
            r["ratio"] = estimate_over_measured(r, found)


@dataclass(frozen=True)
class PlanParams:
    config: dict[str, Any]  # the run's whole config (with `models`), as Snakemake merged it
    measured: bool  # add the jobs' usage.json counts found under the working directory


@step(PlanParams)
def write(inputs: Files, outputs: Files, params: PlanParams) -> None:
    """Target results/plan/plan.{json,md}: the plan of the workflow's own config."""
    root = Path.cwd()
    plan = estimate(params.config, root)
    if params.measured:
        measured(plan["rows"], root)
    plan["measured"] = params.measured
    write_json(plan, outputs["json"])
    write_text(render(plan), outputs["md"])
