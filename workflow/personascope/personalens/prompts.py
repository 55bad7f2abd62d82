"""Prompt templates for the PersonaLens user agent, assistant settings and judge.

Written for this project from the paper's description (upstream's code is not copied). The user
agent sees the whole persona; the assistant sees only what its setting grants (never the
affinities); the judge sees everything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..dialogue import ASSISTANT, Dialogue

TERMINATE = "TERMINATE"

DEMOGRAPHIC_LABELS = {
    "age": "Age",
    "gender": "Gender",
    "employment_status": "Employment status",
    "education": "Education",
    "marital_status": "Marital status",
    "english_proficiency": "English proficiency",
    "ethnicity": "Ethnicity",
    "religion": "Religion",
    "birth_country": "Country of birth",
    "reside_country": "Country of residence",
}
SITUATION_LABELS = {
    "location": "Location",
    "device": "Device",
    "time_of_day": "Time of day",
    "day_of_week": "Day of the week",
    "environment": "Environment",
}


@dataclass(frozen=True)
class AssistantSetting:
    """Vanilla, or Base plus any of demographics (D), past interactions (I), situation (S)."""

    name: str
    personalize: bool
    demographics: bool = False
    interactions: bool = False
    situation: bool = False

    @classmethod
    def parse(cls, name: str) -> AssistantSetting:
        key = name.strip().lower()
        if key == "vanilla":
            return cls("vanilla", personalize=False)
        parts = key.split("+")
        if parts[0] != "base":
            raise ValueError(
                f"assistant setting {name!r}: expected 'vanilla', 'base' or 'base+' any of d, i, s "
                f"(or 'base+all')"
            )
        extras = set(parts[1:])
        if "all" in extras:
            extras = (extras - {"all"}) | {"d", "i", "s"}
        unknown = extras - {"d", "i", "s"}
        if unknown:
            raise ValueError(f"assistant setting {name!r}: unknown part(s) {sorted(unknown)}")
        canonical = "+".join(["base", *[x for x in "dis" if x in extras]])
        if extras == {"d", "i", "s"}:
            canonical = "base+all"
        return cls(canonical, True, "d" in extras, "i" in extras, "s" in extras)


def format_demographics(demo: dict[str, Any]) -> str:
    return "\n".join(
        f"- {label}: {demo[k]}" for k, label in DEMOGRAPHIC_LABELS.items() if k in demo
    )


def format_situation(ctx: dict[str, Any]) -> str:
    return "\n".join(f"- {label}: {ctx[k]}" for k, label in SITUATION_LABELS.items() if ctx.get(k))


def format_affinities(affinities: dict[str, dict[str, Any]]) -> str:
    lines = []
    for domain, prefs in affinities.items():
        lines.append(f"{domain}:")
        for pref, value in prefs.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"- {pref}: {shown}")
    return "\n".join(lines)


def format_interactions(interactions: dict[str, str]) -> str:
    return "\n\n".join(f"{domain}: {text}" for domain, text in interactions.items())


def user_agent_system(ctx: dict[str, Any]) -> str:
    return (
        "You are role-playing a user who is talking to an AI assistant to get a task done. "
        "Stay in character as this user for the whole conversation.\n\n"
        f"Who you are:\n{format_demographics(ctx['demographics'])}\n\n"
        f"Your preferences:\n{format_affinities(ctx['affinities'])}\n\n"
        f"Your past interactions with assistants:\n{format_interactions(ctx['interactions'])}\n\n"
        f"Your current situation:\n{format_situation(ctx)}\n\n"
        f"What you want to do: {ctx['intent']}\n\n"
        "Rules:\n"
        "- Open with a short, natural request. Do not list your preferences up front; reveal one "
        "only when the assistant asks or when it matters.\n"
        "- Write one short message per turn, as a real user would.\n"
        "- When your task is done to your satisfaction, end your message with the word "
        f"{TERMINATE}."
    )


USER_AGENT_KICKOFF = "Start the conversation: write your first message to the assistant."


def assistant_system(setting: AssistantSetting, ctx: dict[str, Any]) -> str:
    if not setting.personalize:
        return "You are a helpful assistant."
    parts = [
        "You are a helpful assistant that completes the user's task and personalizes every "
        "response to this user: infer their preferences from what you know and from the "
        "conversation, apply them proactively, and keep the user in control of the choices."
    ]
    if setting.demographics:
        parts.append(f"About the user:\n{format_demographics(ctx['demographics'])}")
    if setting.interactions:
        summaries = format_interactions(ctx["interactions"])
        parts.append(f"Summaries of the user's past interactions:\n{summaries}")
    if setting.situation:
        parts.append(f"The user's current situation:\n{format_situation(ctx)}")
    return "\n\n".join(parts)


def visible_text(text: str) -> str:
    """What the other side sees: the TERMINATE protocol marker removed."""
    return text.replace(TERMINATE, "").strip()


def history(dialogue: Dialogue, as_speaker: str) -> list[dict[str, str]]:
    return [
        {
            "role": "assistant" if t.speaker == as_speaker else "user",
            "content": visible_text(t.text),
        }
        for t in dialogue.turns
    ]


def transcript(dialogue: Dialogue) -> str:
    return "\n".join(
        f"{'Assistant' if t.speaker == ASSISTANT else 'User'}: {visible_text(t.text)}"
        for t in dialogue.turns
    )


def flatten(system: str, messages: list[dict[str, str]], next_role: str) -> list[dict[str, str]]:
    """Upstream's compatibility format: the whole history in one user message."""
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    body = "Conversation so far:\n" + "\n".join(lines) + f"\n\nWrite the next {next_role} message."
    return [{"role": "system", "content": system}, {"role": "user", "content": body}]


def user_agent_messages(dialogue: Dialogue, flat: bool = False) -> list[dict[str, str]]:
    system = user_agent_system(dialogue.context)
    turns = history(dialogue, as_speaker="user")
    if flat:
        return (
            flatten(system, turns, "user")
            if turns
            else [
                {"role": "system", "content": system},
                {"role": "user", "content": USER_AGENT_KICKOFF},
            ]
        )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": USER_AGENT_KICKOFF},
        *turns,
    ]


def assistant_messages(
    dialogue: Dialogue, setting: AssistantSetting, flat: bool = False
) -> list[dict[str, str]]:
    system = assistant_system(setting, dialogue.context)
    turns = history(dialogue, as_speaker=ASSISTANT)
    if flat:
        return flatten(system, turns, "assistant")
    return [{"role": "system", "content": system}, *turns]


# --- judge -------------------------------------------------------------------------------------

JUDGE_SYSTEM = (
    "You are a strict, careful evaluator of conversations between a user and an AI assistant. "
    "Follow the output format exactly."
)


def judge_context(ctx: dict[str, Any], dialogue_text: str) -> str:
    return (
        f"User demographics:\n{format_demographics(ctx['demographics'])}\n\n"
        f"User preferences:\n{format_affinities(ctx['affinities'])}\n\n"
        f"Summaries of past interactions:\n{format_interactions(ctx['interactions'])}\n\n"
        f"Situation:\n{format_situation(ctx)}\n\n"
        f"Task: {ctx['description']}\nTask goal: {ctx['goal']}\n\n"
        f"Conversation:\n{dialogue_text}"
    )


def task_completion_prompt(ctx: dict[str, Any], dialogue_text: str) -> str:
    return (
        f"{judge_context(ctx, dialogue_text)}\n\n"
        "Did the assistant complete the task goal in this conversation? Explain briefly, then "
        "end with one line exactly of the form `Completed: True` or `Completed: False`."
    )


def personalization_prompt(ctx: dict[str, Any], dialogue_text: str) -> str:
    return (
        f"{judge_context(ctx, dialogue_text)}\n\n"
        "Rate how well the assistant personalized the conversation to this user: learning from "
        "past interactions, applying the user's preferences proactively, awareness of the "
        "situation, and keeping the user in control.\n"
        "1 = poor, 2 = basic, 3 = strong, 4 = exceptional.\n"
        "Explain briefly, then end with one line exactly of the form `Score: N` where N is 1, 2, "
        "3 or 4."
    )


def context_json(ctx: dict[str, Any]) -> str:
    return json.dumps(ctx, sort_keys=True, ensure_ascii=False)


def clean_model_text(text: str) -> str:
    return re.sub(r"\s+\n", "\n", text).strip()


SIDE_NAMES = {"user": "the user", "assistant": "the AI assistant"}


def naturalness_prompt(side: str) -> Any:
    """Naturalness (1-5) of one side's turns; `side` is `user` or `assistant`."""
    who = SIDE_NAMES[side]

    def build(ctx: dict[str, Any], dialogue_text: str) -> str:
        return (
            f"Conversation between a user and an AI assistant:\n{dialogue_text}\n\n"
            f"Rate the naturalness of {who}'s messages only: do they read like a real "
            f"{'person talking to an assistant' if side == 'user' else 'helpful assistant'} "
            "(fluent, human-like wording and length, no robotic or repetitive phrasing)?\n"
            "1 = very unnatural, 2 = unnatural, 3 = acceptable, 4 = natural, 5 = very natural.\n"
            "Explain briefly, then end with one line exactly of the form `Score: N` where N is "
            "1, 2, 3, 4 or 5."
        )

    return build


def coherence_prompt(side: str) -> Any:
    """Coherence (1-5) of one side's turns; `side` is `user` or `assistant`."""
    who = SIDE_NAMES[side]

    def build(ctx: dict[str, Any], dialogue_text: str) -> str:
        return (
            f"Conversation between a user and an AI assistant:\n{dialogue_text}\n\n"
            f"Rate the coherence of {who}'s messages only: does each follow logically from "
            "what was said before, stay on the task and stay consistent with itself?\n"
            "1 = very incoherent, 2 = incoherent, 3 = acceptable, 4 = coherent, "
            "5 = very coherent.\n"
            "Explain briefly, then end with one line exactly of the form `Score: N` where N is "
            "1, 2, 3, 4 or 5."
        )

    return build
