"""The plan's estimator for Persistent Personas (`personascope.plan`): requests and tokens per
stage and model, from the pinned scripts, roles and benchmark items (read, never run).

Stages: `dialogues` (every round of every role x dialogue type x order), `conditioned` (every
item at every checkpoint: prefix = system prompt + the first k rounds of the original-order
dialogue), `judge_dialogues` (each fidelity dimension of each round) and `judge_conditioned`
(the judged datasets' responses). Reply lengths depend on the models: they are priors, capped by
the configured max_tokens.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .. import paths
from ..plan.core import (
    MESSAGE_OVERHEAD_TOKENS,
    EstimateContext,
    Tally,
    judge_answer,
    message_tokens,
)
from . import data as pinned
from .prompts import BASELINE, fill, system_prompt

log = logging.getLogger(__name__)

STUDY = "persistence"
# The source files the estimate reads, as `persistence.sources.<source>.local` holds them.
FILES = {
    "roles": ("persistent_personas", "roles.json"),
    "interview": ("persistent_personas", "interview.json"),
    "instructions": ("persistent_personas", "instructions.json"),
    "bfi": ("incharacter", "BFI.json"),
    "ifbench": ("ifbench", "IFBench_test.jsonl"),
    "xstest": ("xstest", "xstest_prompts.csv"),
}
JUDGED = ("bfi", "rolebench_role_specific", "rolebench_general", "xstest")


def protocol_texts(pp: dict[str, Any], root: Path) -> Any:
    """The study's protocol pack (the persona system prompt is its text), as the steps load it."""
    from ..protocol import load_pack
    from .rubrics import PACK_STUDY

    source = dict(pp["protocol"])
    if source.get("local") and not Path(source["local"]).is_absolute():
        source["local"] = str(root / source["local"])
    return load_pack(PACK_STUDY, source)


def source_file(pp: dict[str, Any], name: str, root: Path) -> Path:
    source, filename = FILES[name]
    local = (pp["sources"].get(source) or {}).get("local")
    if not local:
        raise FileNotFoundError(f"persistence.sources.{source}.local is not set")
    path = Path(local)
    return (path if path.is_absolute() else root / path) / filename


def estimate(config: dict[str, Any], ctx: EstimateContext) -> list[Tally]:
    pp = config["persistence"]
    root = ctx.repo
    texts = protocol_texts(pp, root)
    roles = pinned.load_roles(source_file(pp, "roles", root), pp["roles"])
    scripts = pinned.scripts_table(
        pinned.load_interview(source_file(pp, "interview", root)),
        pinned.load_queries(source_file(pp, "instructions", root)),
        int(pp["shuffle_seed"]),
    )
    items = benchmark_items(pp, root, list(roles), ctx)
    rounds = int(pp["rounds"])
    sampling = pp["sampling"]
    reply = ctx.prior(
        STUDY,
        "reply_tokens",
        400,
        "our assumption (the paper reports no reply-length statistic); capped by max_tokens",
    )
    judge_gen = ctx.registry[pp["judge"]].get("generation", {})
    judge_reply, reask = judge_answer(
        ctx,
        config,
        STUDY,
        (150, "our assumption: a short rationale and the verdict line; capped by max_tokens"),
        sampling["judge"].get("max_tokens", judge_gen.get("max_tokens")),
    )
    out: list[Tally] = []
    judge = pp["judge"]
    judge_count = ctx.counter_for(judge)
    for model in pp["models"]:
        count = ctx.counter_for(model)
        gen = ctx.registry[model].get("generation", {})
        dialogue_reply = min(reply, sampling["dialogue"].get("max_tokens", gen.get("max_tokens")))
        item_reply = min(reply, sampling["conditioned"].get("max_tokens", gen.get("max_tokens")))
        dialogues = Tally(
            STUDY, "dialogues", model, paths.PERSISTENCE_DIALOGUE_USAGE.format(model=model)
        )
        conditioned = Tally(
            STUDY, "conditioned", model, paths.PERSISTENCE_CONDITIONED_USAGE.format(model=model)
        )
        judged_rounds = Tally(
            STUDY,
            "judge_dialogues",
            judge,
            paths.PERSISTENCE_JUDGE_USAGE.format(judge=judge, model=model, stage="dialogues"),
            f"of {model}",
        )
        judged_items = Tally(
            STUDY,
            "judge_conditioned",
            judge,
            paths.PERSISTENCE_JUDGE_USAGE.format(judge=judge, model=model, stage="conditioned"),
            f"of {model}",
        )
        judge_head = judge_prompt_tokens(judge_count, dialogue_reply)
        judge_item_head = judge_prompt_tokens(judge_count, item_reply)
        fidelity = fidelity_dimensions() * (1 + reask)
        # per item: (tokens it adds to the prompt, whether it is judged, its role or None)
        item_tokens = [
            (message_tokens(count, i["prompt"]) + 3, i["dataset"] in JUDGED, i["role"])
            for i in items
        ]
        for role, description in roles.items():
            name = model if role == BASELINE else role
            system = message_tokens(count, system_prompt(texts, role, description))
            mine = [(t, judged) for t, judged, r in item_tokens if r in (None, role)]
            n_items, item_sum = len(mine), sum(t for t, _ in mine)
            n_judged = sum(judged for _, judged in mine)
            judged_sum = sum(t for t, judged in mine if judged)
            for dtype in pp["dialogue_types"]:
                for order in pp["orders"]:
                    lines = scripts[(scripts.dialogue_type == dtype) & (scripts.order == order)]
                    user = [
                        message_tokens(count, fill(t, name))
                        for t in lines.sort_values("round")["template"].tolist()[:rounds]
                    ]
                    replies = [dialogue_reply + 5] * len(user)
                    dialogues.add_chain([system + user[0], *user[1:]], replies, dialogue_reply)
                    # each fidelity dimension of each round: rubric + question + reply judged
                    prompt = len(user) * judge_head + sum(user)
                    judged_rounds.add_totals(
                        len(user) * fidelity,
                        prompt * fidelity,
                        prompt * fidelity,
                        len(user) * fidelity * judge_reply,
                    )
                    if order != pinned.ORIGINAL or not n_items:
                        continue
                    head_before = 0.0
                    for k in sorted(int(k) for k in pp["checkpoints"]):
                        if k == 0 and dtype != pp["dialogue_types"][0]:
                            continue  # no dialogue yet: the same requests as the first type's
                        head = system + sum(user[:k]) + k * (dialogue_reply + 5)
                        conditioned.prefixes += 1
                        conditioned.add_totals(
                            n_items,
                            n_items * head + item_sum,
                            (head - head_before) + item_sum,
                            n_items * item_reply,
                        )
                        judged = n_judged * judge_item_head + judged_sum
                        judged_items.add_totals(
                            n_judged * (1 + reask),
                            judged * (1 + reask),
                            judged * (1 + reask),
                            n_judged * (1 + reask) * judge_reply,
                        )
                        head_before = head
        out += [dialogues, conditioned, judged_rounds, judged_items]
    return out


def fidelity_dimensions() -> int:
    from .judge import FIDELITY_DIMENSIONS

    return len(FIDELITY_DIMENSIONS)


def judge_prompt_tokens(count: Any, reply: float) -> float:
    """A judge prompt without the judged question: the rubric and the reply judged (upstream's
    judge prompts are one user message; a system line, where a model needs one, is a few tokens)."""
    return RUBRIC_TOKENS + reply + 2 * MESSAGE_OVERHEAD_TOKENS


# The rubric text around the judged question and answer (the longest of the study's judge
# templates, about 1,500 characters with its anchors): a stated proxy.
RUBRIC_TOKENS = 400


def benchmark_items(
    pp: dict[str, Any], root: Path, roles: list[str], ctx: EstimateContext
) -> list[dict[str, Any]]:
    n = pp["items_per_dataset"]
    seed = int(pp["seed"])
    parts: dict[str, list[dict[str, Any]]] = {}
    wanted = set(pp["datasets"])
    if "bfi" in wanted:
        parts["bfi"] = pinned.bfi_items(source_file(pp, "bfi", root), n, seed)
    if "ifbench" in wanted:
        parts["ifbench"] = pinned.ifbench_items(source_file(pp, "ifbench", root), n, seed)
    if "xstest" in wanted:
        parts["xstest"] = pinned.xstest_items(source_file(pp, "xstest", root), n, seed)
    items = [{**row, "dataset": ds, "role": None} for ds, rows in parts.items() for row in rows]
    rolebench = {"rolebench_role_specific", "rolebench_general"} & wanted
    if rolebench:
        ctx.notes.append(
            "persistence: RoleBench items are not counted (the dataset lives on the HF hub; "
            "no copy is read offline)"
        )
    return items
