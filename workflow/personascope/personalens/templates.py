"""PersonaLens requests, filled as upstream fills them, from the protocol pack's texts.

Every text comes from the pack (`personascope.protocol`); this module holds only which pack key
serves which role and how upstream's code (amazon-science/PersonaLens @ e755f90, `src/` and
`util/`) fills the templates' `str.format` fields:

- demographics: `- <key>: <value>` per field of the profile, in the profile's order (the user
  agent and the assistant see it without `user_id`, the judge with it, as upstream's scripts);
- affinities: `- <preference>: <value>` (lists joined by ", ") for the task's domain; for a
  multi-domain task each domain's block is `\\n<Domain>:\\n<lines>\\n`;
- past interactions: the domain's summary; multi-domain: `\\n<Domain>\\n<summary>\\n</Domain>\\n`
  per domain;
- situation: `- <Key>: <value>` with the release's keys (`Time of Day`, ...);
- history: the user agent and the judge see `[USER]: ...` / `[ASSISTANT]: ...` lines, the
  assistant `User: ...` / `Assistant: ...` lines; TERMINATE is stripped from the user turn that
  ends the dialogue (upstream replaces it in the stored history);
- the user agent's first turn uses the initial-query template, every later one the task template;
  the assistant gets its family's system prompt and the setting's task template; the judge gets
  one user message and no system prompt (upstream's judge sends an empty one).

`history_format: flattened` is upstream's protocol (the whole history inside the one user
message). `messages` is a named deviation: the same templates rendered with an empty history
open the conversation (user agent: the initial-query template as the first user message;
assistant: the task template appended to the system prompt) and the turns follow as chat
messages from the speaker's point of view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dialogue import ASSISTANT, USER, Dialogue, Turn
from ..errors import ConfigError, ProtocolError
from ..protocol import Pack
from .release import SITUATION_FIELDS

TERMINATE = "TERMINATE"
HISTORY_FORMATS = ("flattened", "messages")
PROMPT_FAMILIES = ("claude", "llama", "mistral")

ASSISTANT_FILE = "util/assistant_prompts.py"
JUDGE_FILE = "util/evaluation_prompts.py"
USER_AGENT_FILE = {"SD": "src/generate_dialogue.py", "MD": "src/generate_dialogue_md.py"}
USER_AGENT_ATTR = "UserPromptTemplate.__init__.self.{name}"

# upstream's setting flags (-d, -p, -si) -> the task prompt's suffix; vanilla has its own pair
SETTING_SUFFIX = {"base": "", "base+d": "_D", "base+i": "_P", "base+s": "_S", "base+all": "_DPS"}
VANILLA_SUFFIX = "_VANILLA"

# judge dimension -> upstream template name (src/evaluate_dialogue.py's choice per dimension)
JUDGE_TEMPLATES = {
    "task_completion": "EVAL_DIALOGUE_TASK_COMPLETION",
    "personalization": "EVAL_DIALOGUE_PERSONALIZATION",
    "naturalness_user": "EVAL_DIALOGUE_NATURALNESS_USER",
    "naturalness_assistant": "EVAL_DIALOGUE_NATURALNESS_ASSISTANT",
    "coherence_user": "EVAL_DIALOGUE_COHERENCE_USER",
    "coherence_assistant": "EVAL_DIALOGUE_COHERENCE_ASSISTANT",
    "personalization_turn": "EVAL_DIALOGUE_PERSONALIZATION_CHAIN_OF_TURN",
}
SITUATION_KEYS = {column: key for key, column in SITUATION_FIELDS.items()}


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
            raise ConfigError(
                f"assistant setting {name!r}: expected 'vanilla', 'base' or 'base+' any of d, i, "
                f"s (or 'base+all')",
                where="personalens.settings",
            )
        extras = set(parts[1:])
        if "all" in extras:
            extras = (extras - {"all"}) | {"d", "i", "s"}
        unknown = extras - {"d", "i", "s"}
        if unknown:
            raise ConfigError(
                f"assistant setting {name!r}: unknown part(s) {sorted(unknown)}",
                where="personalens.settings",
            )
        canonical = "+".join(["base", *[x for x in "dis" if x in extras]])
        if extras == {"d", "i", "s"}:
            canonical = "base+all"
        return cls(canonical, True, "d" in extras, "i" in extras, "s" in extras)


# --- which pack key ----------------------------------------------------------------------------


def assistant_keys(family: str, setting: str) -> tuple[str, str]:
    """(system prompt key, task prompt key) of an assistant prompt family in a setting."""
    if family not in PROMPT_FAMILIES:
        raise ConfigError(
            f"prompt family {family!r}: expected one of {', '.join(PROMPT_FAMILIES)}",
            where="models.<assistant>.prompt_family",
        )
    name = AssistantSetting.parse(setting).name
    upper = family.upper()
    if name == "vanilla":
        return (
            f"{ASSISTANT_FILE}::{upper}_SYSTEM_PROMPT{VANILLA_SUFFIX}",
            f"{ASSISTANT_FILE}::{upper}_TASK_PROMPT{VANILLA_SUFFIX}",
        )
    if name not in SETTING_SUFFIX:
        raise ConfigError(
            f"setting {setting!r}: upstream has task prompts only for "
            f"{', '.join(['vanilla', *SETTING_SUFFIX])}",
            where="personalens.settings",
        )
    return (
        f"{ASSISTANT_FILE}::{upper}_SYSTEM_PROMPT",
        f"{ASSISTANT_FILE}::{upper}_TASK_PROMPT{SETTING_SUFFIX[name]}",
    )


def has_prompts(pack: Pack, family: str, setting: str) -> bool:
    """Whether upstream wrote this family's prompts for this setting (vanilla: Claude only)."""
    return all(key in pack.literals for key in assistant_keys(family, setting))


def assistant_runs(
    pack: Pack,
    assistants: list[str],
    settings: list[str],
    settings_of: dict[str, list[str]],
    families: dict[str, str | None],
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The (assistant, setting) pairs a run makes, and those it cannot (no prompt family, or
    no upstream prompt for it: vanilla is Claude-only). An assistant runs `settings_of[model]`
    if given (the paper: Claude 3 Sonnet alone runs the six ablation settings), else
    `settings`."""
    pairs, skipped = [], []
    for model in assistants:
        family = families.get(model)
        for name in settings_of.get(model, settings):
            if family and has_prompts(pack, family, name):
                pairs.append((model, name))
            else:
                skipped.append({"assistant": model, "setting": name, "prompt_family": family})
    return pairs, skipped


def user_agent_keys(kind: str) -> dict[str, str]:
    path = USER_AGENT_FILE[kind]
    return {
        name: f"{path}::{USER_AGENT_ATTR.format(name=name)}"
        for name in ("system_prompt", "task_prompt_initial_query", "task_prompt")
    }


def judge_key(dimension: str) -> str:
    return f"{JUDGE_FILE}::{JUDGE_TEMPLATES[dimension]}"


# --- how upstream fills the fields -------------------------------------------------------------


def field_lines(values: dict[str, Any]) -> str:
    return "\n".join(f"- {k}: {v}" for k, v in values.items())


def preference_lines(prefs: dict[str, Any]) -> str:
    return "\n".join(
        f"- {k}: {', '.join(map(str, v))}" if isinstance(v, list) else f"- {k}: {v}"
        for k, v in prefs.items()
    )


def demographics_text(ctx: dict[str, Any], with_user_id: bool) -> str:
    shown = {"user_id": ctx["user_id"]} if with_user_id else {}
    return field_lines({**shown, **ctx["demographics"]})


def affinity_text(ctx: dict[str, Any]) -> str:
    affinities = ctx["affinities"]
    if ctx["kind"] != "MD":
        return preference_lines(affinities.get(ctx["domains"][0], {}))
    return "".join(
        f"\n{domain}:\n{preference_lines(affinities.get(domain, {}))}\n"
        for domain in ctx["domains"]
    )


def interaction_text(ctx: dict[str, Any]) -> str:
    summaries = ctx["interactions"]
    if ctx["kind"] != "MD":
        return summaries.get(ctx["domains"][0], "")
    return "".join(
        f"\n<{domain}>\n{summaries.get(domain, '')}\n</{domain}>\n" for domain in ctx["domains"]
    )


def situation_text(ctx: dict[str, Any]) -> str:
    return field_lines(
        {key: ctx[column] for column, key in SITUATION_KEYS.items() if ctx.get(column) is not None}
    )


def visible_text(text: str) -> str:
    """A stored turn's text without the TERMINATE protocol marker (for text statistics)."""
    return text.replace(TERMINATE, "").strip()


def shown_text(turn: Turn) -> str:
    """A turn as the other side and the judge see it: TERMINATE removed from a user turn."""
    if turn.speaker == USER and TERMINATE in turn.text:
        return turn.text.replace(TERMINATE, "").strip()
    return turn.text


def bracketed_history(turns: list[Turn]) -> str:
    return "\n".join(f"[{t.speaker.upper()}]: {shown_text(t)}" for t in turns)


def named_history(turns: list[Turn]) -> str:
    return "\n".join(f"{t.speaker.capitalize()}: {shown_text(t)}" for t in turns)


def fill(template: str, key: str, **fields: str) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ProtocolError(
            f"template {key!r} has a field this code does not fill: {exc}"
        ) from None


def chat(dialogue: Dialogue, as_speaker: str) -> list[dict[str, str]]:
    return [
        {"role": "assistant" if t.speaker == as_speaker else "user", "content": shown_text(t)}
        for t in dialogue.turns
    ]


# --- requests ----------------------------------------------------------------------------------


def user_agent_messages(
    pack: Pack, dialogue: Dialogue, history_format: str
) -> list[dict[str, str]]:
    ctx = dialogue.context
    keys = user_agent_keys(ctx["kind"])
    fields = {
        "task_description": ctx["intent"],
        "demographic_profile": demographics_text(ctx, with_user_id=False),
        "user_affinity": affinity_text(ctx),
        "interaction_summary": interaction_text(ctx),
        "situation_context": situation_text(ctx),
    }
    system = {"role": "system", "content": pack.text(keys["system_prompt"])}
    if history_format == "messages" or not dialogue.turns:
        key = keys["task_prompt_initial_query"]
        opening = {"role": "user", "content": fill(pack.text(key), key, **fields)}
        return [system, opening, *chat(dialogue, as_speaker=USER)]
    body = fill(
        pack.text(keys["task_prompt"]),
        keys["task_prompt"],
        **fields,
        message_history=bracketed_history(dialogue.turns),
    )
    return [system, {"role": "user", "content": body}]


def assistant_fields(ctx: dict[str, Any], setting: AssistantSetting) -> dict[str, str]:
    fields: dict[str, str] = {}
    if setting.demographics:
        fields["demographic_profile"] = demographics_text(ctx, with_user_id=False)
    if setting.interactions:
        fields["interaction_summary"] = interaction_text(ctx)
    if setting.situation:
        fields["situation_context"] = situation_text(ctx)
    return fields


def assistant_messages(
    pack: Pack, family: str, setting: AssistantSetting, dialogue: Dialogue, history_format: str
) -> list[dict[str, str]]:
    system_key, task_key = assistant_keys(family, setting.name)
    system, task = pack.text(system_key), pack.text(task_key)
    fields = assistant_fields(dialogue.context, setting)
    if history_format == "messages":
        context = fill(task, task_key, **fields, message_history="")
        return [
            {"role": "system", "content": f"{system}\n\n{context}"},
            *chat(dialogue, as_speaker=ASSISTANT),
        ]
    body = fill(task, task_key, **fields, message_history=named_history(dialogue.turns))
    return [{"role": "system", "content": system}, {"role": "user", "content": body}]


def judge_messages(pack: Pack, dimension: str, dialogue: Dialogue) -> list[dict[str, str]]:
    ctx = dialogue.context
    key = judge_key(dimension)
    conversation = bracketed_history(dialogue.turns)
    if dimension == "task_completion":
        fields = {"conversation": conversation, "goal": ctx["goal"]}
    elif dimension in ("personalization", "personalization_turn"):
        fields = {
            "demographic_profile": demographics_text(ctx, with_user_id=True),
            "user_affinity": affinity_text(ctx),
            "task_description": ctx["intent"],
            "interaction_summary": interaction_text(ctx),
            "situation_context": situation_text(ctx),
            "conversation": conversation,
        }
    else:
        fields = {"conversation": conversation}
    return [{"role": "user", "content": fill(pack.text(key), key, **fields)}]
