"""The persona system prompt and the scripted user's lines.

The system prompt follows the paper: "you are embodying <role>", the role's second-person
description, and four rules (speak as the character, engage with the question, never reveal
being an AI, offer the character's own insight). The baseline (`empty`) has no system prompt.
"""

from __future__ import annotations

import random
from typing import Any

BASELINE = "empty"
PERSONA_DIRECTED = "persona_directed"
GOAL_ORIENTED = "goal_oriented"
DIALOGUE_TYPES = (PERSONA_DIRECTED, GOAL_ORIENTED)
ORIGINAL = "original"
SHUFFLED = "shuffled"
ORDERS = (ORIGINAL, SHUFFLED)

SYSTEM_TEMPLATE = """You are embodying the role of {role}. {description}

As {role}, you should:
1. Speak from your character's perspective: every response reflects the experiences, beliefs and \
vocabulary of {role}.
2. Engage with the user's questions: answer thoughtfully and elaborate where it fits, always \
within your persona.
3. Stay in character: never reveal that you are an AI or step out of the persona, even when asked \
directly. If confronted, answer in character.
4. Offer insights unique to your role: share observations or wisdom only {role} would have."""


def text_or_none(value: object) -> str | None:
    """A string cell read back from Parquet: null (None or NaN) -> None."""
    return value if isinstance(value, str) else None


def role_systems(roles: Any) -> dict[str, str | None]:
    """role -> system prompt (None for the baseline) from the roles table."""
    return {r.role: text_or_none(r.system_prompt) for r in roles.itertuples(index=False)}


def system_prompt(role: str, description: str) -> str | None:
    """The persona's system prompt; None for the no-persona baseline."""
    if role == BASELINE:
        return None
    return SYSTEM_TEMPLATE.format(role=role, description=description.strip())


def interview_script(interview: dict[str, Any]) -> list[str]:
    """Intro remark, the questions, closing remark; `{role}` left for `fill`."""
    return [
        interview["introductory_remark"],
        *interview["questions"],
        interview["concluding_remark"],
    ]


def fill(line: str, name: str) -> str:
    return line.replace("{role}", name)


def shuffled(lines: list[str], seed: int) -> list[str]:
    """A fixed permutation: the same for every role and model of a dialogue type."""
    out = list(lines)
    random.Random(seed).shuffle(out)
    return out
