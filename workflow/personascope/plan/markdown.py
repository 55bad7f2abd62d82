"""The plan as Markdown: per model, per stage, the priors and the throughput table it used."""

from __future__ import annotations

from typing import Any


def _n(value: Any) -> str:
    if value is None:
        return "--"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    return f"{value:,}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(_n(c) if not isinstance(c, str) else c for c in r) + " |" for r in rows
    ]
    return lines


def render(plan: dict[str, Any]) -> str:
    out = ["# Plan", ""]
    out += [f"- {study}: {status}" for study, status in plan["studies"].items()]
    out += ["", "## Per model", ""]
    out += _table(
        [
            "model",
            "engine",
            "requests",
            "prompt tokens",
            "with prefix reuse",
            "completion tokens",
            "device-hours (reuse)",
            "device-hours (none)",
            "API cost USD",
        ],
        [
            [
                m["model"],
                m["engine"],
                m["requests"],
                m["prompt_tokens"],
                m["prompt_tokens_reused"],
                m["completion_tokens"],
                f"{_n(m['device_hours'])} {m['device'] or ''}".strip(),
                m["device_hours_without_reuse"],
                m["api_cost_usd"],
            ]
            for m in plan["models"]
        ],
    )
    gpu = sum(m["device_hours"] or 0 for m in plan["models"] if m["device"] == "gpu")
    cost = sum(m["api_cost_usd"] or 0 for m in plan["models"])
    out += ["", f"Total: {gpu:,.1f} GPU-hours, {cost:,.2f} USD of API calls.", ""]
    out += ["## Per stage (plan.json has each part)", ""]
    header = [
        "study",
        "stage",
        "model",
        "requests",
        "prefixes",
        "prompt tokens",
        "with prefix reuse",
        "completion tokens",
    ]
    if plan.get("measured"):
        header += [
            "measured requests",
            "measured prompt",
            "measured evaluated",
            "measured completion",
            "estimate / measured (req, prompt, compl.)",
        ]
    out += _table(
        header, [stage_row(r, plan.get("measured", False)) for r in by_stage(plan["rows"])]
    )
    out += ["", "## Priors", ""]
    out += _table(
        ["study", "prior", "value", "source"],
        [[p["study"], p["name"], float(p["value"]), p["source"]] for p in plan["priors"]],
    )
    out += ["", "## Throughput (config plan.throughput)", ""]
    out += _table(
        ["class", "prefill tok/s", "decode tok/s", "source"],
        [
            [k, float(v["prefill_tokens_per_s"]), float(v["decode_tokens_per_s"]), v["source"]]
            for k, v in plan["throughput"].items()
        ],
    )
    out += ["", "## Token counts", ""]
    out += [f"- {m}: {how}" for m, how in plan["tokenizers"].items()]
    if plan["notes"]:
        out += ["", "## Notes", ""] + [f"- {n}" for n in plan["notes"]]
    return "\n".join(out) + "\n"


COUNTS = ("requests", "prompt_tokens", "prompt_tokens_reused", "completion_tokens")


def estimate_over_measured(estimate: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    """Estimate / measured per count. Cache hits are requests without tokens, so the token
    counts are compared over the requests actually made (the estimate's share of them)."""
    requests = measured.get("requests", 0.0)
    made = (requests - measured.get("cache_hits", 0.0)) / requests if requests else 1.0
    return {
        name: estimate[name] * (1.0 if name == "requests" else made) / measured[name]
        if measured.get(name)
        else None
        for name in COUNTS
    }


def by_stage(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows summed over their parts, per (study, stage, model), estimate and measured."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["study"], r["stage"], r["model"])
        agg = out.setdefault(
            key,
            {
                "study": key[0],
                "stage": key[1],
                "model": key[2],
                "prefixes": 0,
                **dict.fromkeys(COUNTS, 0),
                "measured": None,
            },
        )
        agg["prefixes"] += r["prefixes"]
        for name in COUNTS:
            agg[name] += r[name]
        if r.get("measured"):
            m = agg["measured"] = agg["measured"] or dict.fromkeys((*COUNTS, "cache_hits"), 0.0)
            for name in (*COUNTS, "cache_hits"):
                m[name] += r["measured"].get(name, 0.0)
    return list(out.values())


def stage_row(r: dict[str, Any], with_measured: bool) -> list[Any]:
    row = [
        r["study"],
        r["stage"],
        r["model"],
        r["requests"],
        r["prefixes"],
        r["prompt_tokens"],
        r["prompt_tokens_reused"],
        r["completion_tokens"],
    ]
    if with_measured:
        m = r["measured"] or {}
        row += [m.get(k) for k in COUNTS] + [ratio_text(r)]
    return row


def ratio_text(row: dict[str, Any]) -> str:
    m = row.get("measured")
    if not m:
        return "no usage.json"
    ratios = estimate_over_measured(row, m)
    keys = ("requests", "prompt_tokens", "completion_tokens")
    return ", ".join("--" if ratios[k] is None else f"{ratios[k]:.2f}" for k in keys)
