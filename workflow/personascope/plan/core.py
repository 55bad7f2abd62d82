"""The pieces every study estimator uses: priors, token counters, per-stage tallies."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Chat-template tokens around one message (role header and end marker, e.g. ChatML's
# `<|im_start|>user\n ... <|im_end|>\n`) and of the generation prompt: a stated proxy.
MESSAGE_OVERHEAD_TOKENS = 5
GENERATION_PROMPT_TOKENS = 3
# Where no tokenizer of the model is available offline: UTF-8 bytes per token of English text
# under the BPE vocabularies of the open models (about 4 characters a token).
PROXY_BYTES_PER_TOKEN = 4


@dataclass(frozen=True)
class Prior:
    """A number the estimate assumes because it depends on model output (or on data not here)."""

    study: str
    name: str
    value: float
    source: str


@dataclass
class Tally:
    """Requests and tokens of one stage on one model."""

    study: str
    stage: str
    model: str
    usage_glob: str  # the stage's usage.json files, for `plan --measured`
    detail: str = ""  # which part of the stage (side, setting, the model judged)
    # Expected counts, kept unrounded (a re-ask rate of 0.1 on one request is 0.1 of a
    # request); the plan's rows round them.
    requests: float = 0
    prompt_tokens: float = 0  # every request's whole prompt (what an API bills)
    prompt_tokens_reused: float = 0  # prompt tokens evaluated with per-message prefix reuse
    completion_tokens: float = 0
    prefixes: float = 0  # distinct shared prefixes (dialogues, checkpoint prefixes)

    def add(self, prompt: float, evaluated: float, completion: float, count: float = 1) -> None:
        self.requests += count
        self.prompt_tokens += prompt * count
        self.prompt_tokens_reused += evaluated * count
        self.completion_tokens += completion * count

    def add_totals(
        self, requests: float, prompt: float, evaluated: float, completion: float
    ) -> None:
        """Many requests at once, by their summed tokens."""
        self.requests += requests
        self.prompt_tokens += prompt
        self.prompt_tokens_reused += evaluated
        self.completion_tokens += completion

    def add_chain(
        self, messages: list[float], replies: list[float], completion: float, count: float = 1
    ) -> None:
        """A dialogue: request r sends messages[0..r] (each reply r-1 before message r) and gets
        `completion` tokens; with reuse each message is evaluated once."""
        head = 0.0
        for r, message in enumerate(messages):
            before = head
            head += message + (replies[r - 1] if r > 0 else 0.0)
            evaluated = head - before
            self.add(
                head + GENERATION_PROMPT_TOKENS, evaluated + GENERATION_PROMPT_TOKENS, 0, count
            )
        self.completion_tokens += completion * len(messages) * count
        self.prefixes += count


@dataclass
class EstimateContext:
    """What an estimator gets besides the config: token counters per model and a prior log."""

    registry: dict[str, Any]
    counter_for: Callable[[str], Callable[[str], int]]
    repo: Path  # where the Snakefile is: relative `local:` inputs are relative to it
    run_dir: Path  # the run's working directory, holding results/
    priors: list[Prior] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def prior(self, study: str, name: str, value: float, source: str) -> float:
        if not any(p.study == study and p.name == name for p in self.priors):
            self.priors.append(Prior(study, name, value, source))
        return value


def judge_answer(
    ctx: EstimateContext,
    config: dict[str, Any],
    study: str,
    free_reply: tuple[float, str],
    cap: float,
) -> tuple[float, float]:
    """(reply tokens, re-ask rate) of one judge answer in the study's judge_mode: a free answer
    is the study's prior (capped by max_tokens) with the configured re-ask rate; a constrained
    one fills plan.constrained_reply_share of its max_tokens and is never re-asked."""
    plan = config["plan"]
    if config[study].get("judge_mode") == "constrained":
        share = ctx.prior(
            study,
            "constrained_reply_share",
            float(plan["constrained_reply_share"]),
            "config plan.constrained_reply_share: the share of max_tokens a constrained answer "
            "fills (measured on the embedded default); no re-ask",
        )
        return share * cap, 0.0
    value, source = free_reply
    reply = ctx.prior(study, "judge_reply_tokens", value, source)
    reask = ctx.prior(
        study,
        "judge_reask_rate",
        float(plan["judge_reask_rate"]),
        "config plan.judge_reask_rate: share of judge answers that need the one re-ask",
    )
    return min(reply, cap), reask


def proxy_count(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / PROXY_BYTES_PER_TOKEN)


def message_tokens(count: Callable[[str], int], text: str | None) -> int:
    """Tokens one message adds to a prompt; an absent message (no system prompt) adds none."""
    return 0 if text is None else count(text) + MESSAGE_OVERHEAD_TOKENS
