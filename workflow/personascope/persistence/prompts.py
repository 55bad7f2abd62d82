"""The persona system prompt and the scripted user's lines.

The system prompt is upstream's `role_template` from the protocol pack, filled with the role and
its roles.json description (`rubrics.persona_system_prompt`). The baseline (`empty`) has none.
"""

from __future__ import annotations

import random
from typing import Any

from .rubrics import Texts, persona_system_prompt

BASELINE = "empty"
PERSONA_DIRECTED = "persona_directed"
GOAL_ORIENTED = "goal_oriented"
DIALOGUE_TYPES = (PERSONA_DIRECTED, GOAL_ORIENTED)
ORIGINAL = "original"
SHUFFLED = "shuffled"
ORDERS = (ORIGINAL, SHUFFLED)


def text_or_none(value: object) -> str | None:
    """A string cell read back from Parquet: null (None or NaN) -> None."""
    return value if isinstance(value, str) else None


def role_systems(roles: Any) -> dict[str, str | None]:
    """role -> system prompt (None for the baseline) from the roles table."""
    return {r.role: text_or_none(r.system_prompt) for r in roles.itertuples(index=False)}


def system_prompt(texts: Texts, role: str, description: str) -> str | None:
    """The persona's system prompt; None for the no-persona baseline."""
    if role == BASELINE:
        return None
    return persona_system_prompt(texts, role, description)


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
