"""Round-synchronous dialogue simulation, shared by every study.

A shard holds many dialogues. Each step collects the next turn of every *active* dialogue — all
user turns, then all assistant turns — and sends them to the engine as one batch. A dialogue
leaves the active set after the assistant's reply to a closing user turn, with the reason
recorded: the user said TERMINATE, the turn cap was reached, or a scripted user ran out of lines.
LLM users (PersonaLens) and scripted users (Persistent Personas) run through the same loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .engines import CachedEngine, ChatRequest, ChatResponse, Sampling

log = logging.getLogger(__name__)

USER = "user"
ASSISTANT = "assistant"

END_TERMINATED = "terminated"
END_TURN_CAP = "turn_cap"
END_SCRIPT_EXHAUSTED = "script_exhausted"


@dataclass
class Turn:
    speaker: str
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    latency_s: float = 0.0
    cached: bool = False

    @classmethod
    def from_response(cls, speaker: str, text: str, response: ChatResponse | None) -> Turn:
        if response is None:  # scripted line: no model call
            return cls(speaker=speaker, text=text, finish_reason="scripted")
        return cls(
            speaker=speaker,
            text=text,
            prompt_tokens=response.prompt_tokens,
            completion_tokens=response.completion_tokens,
            finish_reason=response.finish_reason,
            latency_s=response.latency_s,
            cached=response.cached,
        )


@dataclass
class Dialogue:
    dialogue_id: str
    context: dict[str, Any]
    max_user_turns: int
    turns: list[Turn] = field(default_factory=list)
    # False: a dialogue that reaches its cap ends on that user turn, with no assistant reply
    # (PersonaLens upstream's loop); a TERMINATE turn is always answered once
    reply_after_cap: bool = True
    closing: str | None = None  # set by a closing user turn; the assistant still replies once
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.end_reason is None

    def user_turns(self) -> int:
        return sum(t.speaker == USER for t in self.turns)


class Side(Protocol):
    """One side of the conversation: produces the next turn for a batch of dialogues."""

    def next_turns(
        self, dialogues: Sequence[Dialogue]
    ) -> list[tuple[str, ChatResponse | None]]: ...


PromptBuilder = Callable[[Dialogue], list[dict[str, str]]]


class ModelSide:
    """A side spoken by a model: one batched engine call per round."""

    def __init__(self, engine: CachedEngine, build_messages: PromptBuilder, sampling: Sampling):
        self.engine = engine
        self.build_messages = build_messages
        self.sampling = sampling

    def next_turns(self, dialogues: Sequence[Dialogue]) -> list[tuple[str, ChatResponse | None]]:
        requests = [ChatRequest.of(self.build_messages(d), self.sampling) for d in dialogues]
        return [(r.text, r) for r in self.engine.generate(requests)]


class ScriptedUser:
    """A user who reads fixed lines: `context['script']` holds the dialogue's list of turns."""

    def next_turns(self, dialogues: Sequence[Dialogue]) -> list[tuple[str, ChatResponse | None]]:
        return [(d.context["script"][d.user_turns()], None) for d in dialogues]


def terminate_marker(text: str, marker: str = "TERMINATE") -> bool:
    return marker in text


def simulate(
    dialogues: list[Dialogue],
    user: Side,
    assistant: Side,
    is_terminal: Callable[[str], bool] | None = terminate_marker,
    on_round: Callable[[int, list[Dialogue]], None] | None = None,
) -> list[Dialogue]:
    """Run all dialogues to their end, user first, one batch per side per round."""
    round_index = 0
    while True:
        active = [d for d in dialogues if d.active]
        if not active:
            break
        for d, (text, response) in zip(active, user.next_turns(active), strict=True):
            d.turns.append(Turn.from_response(USER, text, response))
            script = d.context.get("script")
            if is_terminal is not None and is_terminal(text):
                d.closing = END_TERMINATED
            elif script is not None and d.user_turns() >= len(script):
                d.closing = END_SCRIPT_EXHAUSTED
            elif d.user_turns() >= d.max_user_turns:
                d.closing = END_TURN_CAP
                if not d.reply_after_cap:
                    d.end_reason = END_TURN_CAP
        active = [d for d in active if d.active]
        for d, (text, response) in zip(active, assistant.next_turns(active), strict=True):
            d.turns.append(Turn.from_response(ASSISTANT, text, response))
            if d.closing is not None:
                d.end_reason = d.closing
        round_index += 1
        if on_round is not None:
            on_round(round_index, dialogues)
        log.info("round %d: %d dialogues active", round_index, sum(d.active for d in dialogues))
    return dialogues


def chat_history(dialogue: Dialogue, as_role: str) -> list[dict[str, str]]:
    """The turns so far as chat messages from `as_role`'s point of view (its own turns are
    `assistant`, the other side's are `user`)."""
    messages = []
    for turn in dialogue.turns:
        role = "assistant" if turn.speaker == as_role else "user"
        messages.append({"role": role, "content": turn.text})
    return messages
