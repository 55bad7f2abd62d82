"""The protocol sheet of Persistent Personas: what would run, written before anything runs.

`results/persistence/protocol.{json,md}` state the protocol of the active config — every text
sent (pack key, sha256, source), sampling per stage and model, rounds, checkpoints, roles, item
counts, models with revisions and quirks, the judge mode and truncation rule, substitutions —
and `protocol_examples.jsonl` holds the exact requests for one persona at round 0 and at the
last checkpoint: a dialogue turn, one item of each conditioned benchmark, each judge request.
Only the data tables are read; no model is called. Model replies inside an example are marked
`<<model reply, round i>>` / `<<model answer>>`, being unknown before the run.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..engines import Sampling
from ..engines.base import apply_request_quirks
from ..io import read_parquet, write_text
from ..protocol import load_pack, write_sheet
from ..steps import step
from . import rubrics
from .judge import JUDGED_DATASETS, judged_roles
from .prompts import BASELINE, ORIGINAL, fill, text_or_none
from .rubrics import PACK_STUDY

PAPER_JUDGE = "selene-1-mini-llama-3.1-8b"


def reply_marker(round_: int) -> str:
    return f"<<model reply, round {round_}>>"


ANSWER_MARKER = "<<model answer>>"


class Recorder:
    """A pack wrapper that notes which keys each example used."""

    def __init__(self, pack: Any) -> None:
        self.pack, self.keys = pack, []

    def text(self, key: str) -> str:
        self.keys.append(key)
        return self.pack.text(key)

    def take(self) -> list[str]:
        keys, self.keys = sorted(set(self.keys)), []
        return keys


def dialogue_messages(system: str | None, script: list[str], k: int) -> list[dict[str, str]]:
    """The request of round k + 1: system prompt, k rounds (replies marked), the next line."""
    head = [{"role": "system", "content": system}] if system else []
    for i, line in enumerate(script[:k], 1):
        head += [
            {"role": "user", "content": line},
            {"role": "assistant", "content": reply_marker(i)},
        ]
    return head


def effective_sampling(entry: dict[str, Any], stage: dict[str, Any]) -> dict[str, Any]:
    s = Sampling.from_config(entry.get("generation"), **stage)
    return {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens}


def examples(
    params: dict[str, Any],
    roles: pd.DataFrame,
    scripts: pd.DataFrame,
    items: pd.DataFrame,
    texts: Recorder,
) -> list[dict[str, Any]]:
    model = params["models_run"][0]
    quirks = params["models"][model].get("quirks") or {}
    personas = [r for r in roles.role if r != BASELINE]
    role = personas[0] if personas else BASELINE
    name = model if role == BASELINE else role
    descriptions = {r.role: text_or_none(r.description) or "" for r in roles.itertuples()}
    system = {r.role: text_or_none(r.system_prompt) for r in roles.itertuples()}[role]
    texts.take()
    out: list[dict[str, Any]] = []
    rounds = int(params["rounds"])
    for k in (0, max(params["checkpoints"])):
        for dtype in params["dialogue_types"]:
            lines = scripts[(scripts.dialogue_type == dtype) & (scripts.order == ORIGINAL)]
            script = [fill(t, name) for t in lines.sort_values("round")["template"]][:rounds]
            prefix = dialogue_messages(system, script, k)
            turn = min(k, len(script) - 1)
            request = [
                *dialogue_messages(system, script, turn),
                {"role": "user", "content": script[turn]},
            ]
            base = {"model": model, "role": role, "dialogue_type": dtype, "round": k}
            out.append(
                base
                | {
                    "kind": "dialogue_turn",
                    "dataset": None,
                    "messages": apply_request_quirks(request, quirks),
                    "keys": ["data/prompts.py::role_template"] if system else [],
                }
            )
            for dataset in sorted(set(items.dataset)):
                of = items[(items.dataset == dataset) & (items.role.isna() | (items.role == role))]
                if of.empty:
                    continue
                item = of.iloc[0]
                messages = [*prefix, {"role": "user", "content": item.prompt}]
                out.append(
                    base
                    | {
                        "kind": "conditioned",
                        "dataset": dataset,
                        "item": item["item"],
                        "messages": apply_request_quirks(messages, quirks),
                        "keys": ["data/prompts.py::role_template"] if system else [],
                    }
                )
                if dataset in JUDGED_DATASETS:
                    out.append(
                        base | judge_example(texts, dataset, item, role, descriptions, params)
                    )
            judged = max(k, 1)  # fidelity is judged from round 1
            for as_role in judged_roles(role, personas):
                for dim in rubrics.FIDELITY_DIMENSIONS:
                    rubric = rubrics.rubric_for(f"fidelity_{dim}")
                    judge_input = rubrics.dialogue_input(
                        as_role, descriptions.get(as_role, ""), script[judged - 1]
                    )
                    prompt = rubrics.fill(texts, rubric, judge_input, output=reply_marker(judged))
                    out.append(
                        base
                        | {
                            "kind": "judge",
                            "dataset": rubric.name,
                            "judged_round": judged,
                            "messages": judge_messages(prompt, params),
                            "keys": texts.take(),
                        }
                    )
    return out


def judge_messages(prompt: str, params: dict[str, Any]) -> list[dict[str, str]]:
    system = params.get("judge_system_prompt")
    return [
        *([{"role": "system", "content": system}] if system else []),
        {"role": "user", "content": prompt},
    ]


def judge_example(
    texts: Recorder,
    dataset: str,
    item: Any,
    role: str,
    descriptions: dict[str, str],
    params: dict[str, Any],
) -> dict[str, Any]:
    if dataset in rubrics.PAIRWISE_DATASETS:
        judge_input = rubrics.conditioned_input(role, descriptions.get(role, ""), item.prompt)
        prompt = rubrics.pairwise_request(
            texts,
            dataset,
            judge_input,
            ANSWER_MARKER,
            text_or_none(item.reference) or "",
            int(item.item_index),
        )
    else:
        as_role = None if role == BASELINE else role
        rubric = rubrics.rubric_for(dataset, text_or_none(item.trait))
        judge_input = rubrics.conditioned_input(as_role, descriptions.get(role, ""), item.prompt)
        prompt = rubrics.fill(texts, rubric, judge_input, output=ANSWER_MARKER)
    return {
        "kind": "judge",
        "dataset": dataset,
        "item": item["item"],
        "messages": judge_messages(prompt, params),
        "keys": texts.take(),
    }


def protocol_sheet(
    params: dict[str, Any], roles: pd.DataFrame, items: pd.DataFrame, used: list
) -> dict[str, Any]:
    models = params["models"]
    run = params["models_run"]
    judge = params["judge"]
    substitutions = []
    if judge != PAPER_JUDGE:
        substitutions.append(f"judge {judge} instead of the paper's {PAPER_JUDGE}")
    absent = sorted(set(params["datasets"]) - set(items.dataset) - {"ifbench"})
    if absent:
        substitutions.append(f"datasets configured but without items (no source): {absent}")
    return {
        "study": "persistent-personas",
        "texts": used,
        "sampling": {
            stage: {m: effective_sampling(models[m], params["sampling"][stage]) for m in names}
            for stage, names in (("dialogue", run), ("conditioned", run), ("judge", [judge]))
        },
        "models": {
            m: {
                k: models[m].get(k)
                for k in (
                    "engine",
                    "model",
                    "revision",
                    "family",
                    "size_class",
                    "quirks",
                    "options",
                )
            }
            for m in [*run, judge]
        },
        "judge": judge,
        "judge_mode": params["judge_mode"],
        "verdict_formats": {k: f.to_record() for k, f in rubrics.FORMATS.items()},
        "published_quirks": bool(params["published_quirks"]),
        "judge_system_prompt": params.get("judge_system_prompt"),
        "truncation": {
            "judge": params["judge_truncation"],
            "judge_max_input_tokens": params["judge_max_input_tokens"],
            "conditioned_over_context": "not sent; listed in context_overflow.parquet",
        },
        "rounds": params["rounds"],
        "checkpoints": params["checkpoints"],
        "dialogue_types": params["dialogue_types"],
        "orders": params["orders"],
        "roles": list(roles.role),
        "baseline": (
            "role `empty`: no system prompt; judged as each persona on fidelity and RoleBench"
        ),
        "items": {str(k): int(v) for k, v in items.groupby("dataset").size().items()},
        "items_per_dataset": params["items_per_dataset"],
        "substitutions": substitutions,
        "protocol_source": params["protocol"],
    }


@dataclasses.dataclass(frozen=True)
class SheetParams:
    judge: str
    rounds: int
    checkpoints: list[int]
    dialogue_types: list[str]
    orders: list[str]
    datasets: list[str]
    items_per_dataset: int | None
    sampling: dict[str, Any]
    judge_max_input_tokens: int
    judge_truncation: str
    judge_system_prompt: str | None
    published_quirks: bool
    judge_mode: str
    models_run: list[str]
    models: dict[str, dict[str, Any]]
    protocol: dict[str, Any]


@step(SheetParams)
def sheet(inputs: dict[str, Path], outputs: dict[str, Path], params: SheetParams) -> None:
    """The protocol sheet (JSON + Markdown) and the example requests (JSONL); no model call."""
    params_dict = dataclasses.asdict(params)
    roles = read_parquet(inputs["roles"])
    scripts = read_parquet(inputs["scripts"])
    items = read_parquet(inputs["benchmark_items"])
    pack = load_pack(PACK_STUDY, params.protocol)
    for rubric in rubrics.all_rubrics():
        for key in rubric.keys():  # noqa: SIM118 - a method
            pack.text(key)
    pack.text(rubrics.ROLE_TEMPLATE)
    recorder = Recorder(pack)
    lines = examples(params_dict, roles, scripts, items, recorder)
    write_sheet(
        protocol_sheet(params_dict, roles, items, pack.used()), outputs["json"], outputs["md"]
    )
    write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines), outputs["examples"]
    )
