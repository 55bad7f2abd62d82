"""PersonaLens requests: pack texts filled as upstream fills them, per family, setting and role.

Expected field renderings are written out here from upstream's formatting rules (`- key: value`
lines, `[ROLE]: text` history, per-domain blocks); the templates themselves come from the shared
pack at test time.
"""

from __future__ import annotations

import json
import re

import pytest
from personascope.dialogue import ASSISTANT, USER, Dialogue, Turn
from personascope.errors import ConfigError
from personascope.personalens import templates as T
from personascope.protocol import load_pack

FIELD = re.compile(r"\{[a-z_]+\}")

CTX_SD = {
    "scenario_id": "user3/SD-Alarm-task-2",
    "user_id": "user3",
    "task_id": "SD-Alarm-task-2",
    "kind": "SD",
    "domains": ["Alarm"],
    "description": "desc",
    "intent": "Wake me at seven",
    "goal": "An alarm is set for seven",
    "demographics": {"age": "35-44 years old", "reside_country": "Canada"},
    "affinities": {"Alarm": {"Alarm Sound": ["birdsong", "chimes"], "Alarm Time": "7:00 AM"}},
    "interactions": {"Alarm": "Sets gentle alarms on weekdays."},
    "location": "Home",
    "device": "Smart speaker",
    "time_of_day": "Morning",
    "day_of_week": None,
    "environment": "Quiet",
}
CTX_MD = {
    **CTX_SD,
    "scenario_id": "user3/MD-task-1",
    "kind": "MD",
    "domains": ["Alarm", "Music"],
    "affinities": {"Alarm": {"Alarm Time": "7:00 AM"}, "Music": {"Genre": "jazz"}},
    "interactions": {"Alarm": "Weekday alarms.", "Music": "Jazz at night."},
}


@pytest.fixture(scope="module")
def pack(shared_data):
    return load_pack(
        "personalens", {"local": str(shared_data / "personalens" / "protocol-literals.json")}
    )


def dialogue(ctx, lines):
    d = Dialogue(ctx["scenario_id"], ctx, max_user_turns=0)
    d.turns = [Turn([USER, ASSISTANT][i % 2], t) for i, t in enumerate(lines)]
    return d


def test_field_renderings_follow_upstream():
    assert T.demographics_text(CTX_SD, with_user_id=False) == (
        "- age: 35-44 years old\n- reside_country: Canada"
    )
    assert T.demographics_text(CTX_SD, with_user_id=True).startswith("- user_id: user3\n")
    assert T.affinity_text(CTX_SD) == "- Alarm Sound: birdsong, chimes\n- Alarm Time: 7:00 AM"
    assert T.affinity_text(CTX_MD) == "\nAlarm:\n- Alarm Time: 7:00 AM\n\nMusic:\n- Genre: jazz\n"
    assert T.interaction_text(CTX_SD) == "Sets gentle alarms on weekdays."
    assert T.interaction_text(CTX_MD) == (
        "\n<Alarm>\nWeekday alarms.\n</Alarm>\n\n<Music>\nJazz at night.\n</Music>\n"
    )
    assert T.situation_text(CTX_SD) == (
        "- Location: Home\n- Device: Smart speaker\n- Time of Day: Morning\n- Environment: Quiet"
    )


def test_histories_label_each_speaker_by_who_spoke():
    d = dialogue(CTX_SD, ["hi", "hello", "thanks TERMINATE"])
    assert T.bracketed_history(d.turns) == "[USER]: hi\n[ASSISTANT]: hello\n[USER]: thanks"
    assert T.named_history(d.turns) == "User: hi\nAssistant: hello\nUser: thanks"


def test_user_agent_opening_then_history_with_its_own_lines_as_user(pack):
    keys = T.user_agent_keys("SD")
    opening = T.user_agent_messages(pack, dialogue(CTX_SD, []), "flattened")
    assert opening[0] == {"role": "system", "content": pack.text(keys["system_prompt"])}
    assert [m["role"] for m in opening] == ["system", "user"]
    assert "Wake me at seven" in opening[1]["content"]
    assert "- Alarm Sound: birdsong, chimes" in opening[1]["content"]
    later = T.user_agent_messages(pack, dialogue(CTX_SD, ["my line", "its line"]), "flattened")
    body = later[1]["content"]
    assert "[USER]: my line\n[ASSISTANT]: its line" in body
    assert not FIELD.search(body) and not FIELD.search(opening[1]["content"])
    # the MD user agent template is the _md file's
    md = T.user_agent_messages(pack, dialogue(CTX_MD, []), "flattened")
    assert "<Music>\nJazz at night.\n</Music>" in md[1]["content"]


@pytest.mark.parametrize("family", T.PROMPT_FAMILIES)
@pytest.mark.parametrize("setting", ["vanilla", *T.SETTING_SUFFIX])
def test_assistant_gets_its_family_and_settings_context_only(pack, family, setting):
    if not T.has_prompts(pack, family, setting):
        assert setting == "vanilla" and family != "claude"
        return
    parsed = T.AssistantSetting.parse(setting)
    d = dialogue(CTX_SD, ["I need an alarm", "Sure", "seven TERMINATE"])
    messages = T.assistant_messages(pack, family, parsed, d, "flattened")
    system_key, _ = T.assistant_keys(family, setting)
    assert messages[0] == {"role": "system", "content": pack.text(system_key)}
    body = messages[1]["content"]
    assert "User: I need an alarm\nAssistant: Sure\nUser: seven" in body
    assert "TERMINATE" not in body and not FIELD.search(body)
    assert ("35-44 years old" in body) == parsed.demographics
    assert ("Sets gentle alarms on weekdays." in body) == parsed.interactions
    assert ("Smart speaker" in body) == parsed.situation
    assert "birdsong" not in body  # the assistant never sees the affinities


def test_only_claude_has_vanilla_prompts_and_unknown_families_are_refused(pack):
    assert T.has_prompts(pack, "claude", "vanilla")
    assert not T.has_prompts(pack, "llama", "vanilla")
    assert not T.has_prompts(pack, "mistral", "vanilla")
    with pytest.raises(ConfigError, match="prompt family"):
        T.assistant_keys("gpt", "base")
    with pytest.raises(ConfigError, match="upstream has task prompts only"):
        T.assistant_keys("claude", "base+d+s")


def test_judge_requests_fill_each_template_with_what_upstream_gives_it(pack):
    d = dialogue(CTX_SD, ["hi TERMINATE", "hello"])
    for dim in T.JUDGE_TEMPLATES:
        [message] = T.judge_messages(pack, dim, d)
        assert message["role"] == "user" and not FIELD.search(message["content"])
        assert "[USER]: hi\n[ASSISTANT]: hello" in message["content"]
    [completion] = T.judge_messages(pack, "task_completion", d)
    assert "An alarm is set for seven" in completion["content"]
    assert "35-44 years old" not in completion["content"]  # task completion sees no profile
    [personalization] = T.judge_messages(pack, "personalization", d)
    assert "- user_id: user3\n- age: 35-44 years old" in personalization["content"]


def test_messages_format_keeps_context_and_native_turns(pack):
    setting = T.AssistantSetting.parse("base+all")
    d = dialogue(CTX_SD, ["I need an alarm", "Sure", "seven"])
    messages = T.assistant_messages(pack, "llama", setting, d, "messages")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "35-44 years old" in messages[0]["content"]
    user_side = T.user_agent_messages(pack, d, "messages")
    assert [m["role"] for m in user_side] == ["system", "user", "assistant", "user", "assistant"]


def test_pack_keys_named_here_exist_in_the_shared_pack(shared_data):
    literals = json.loads(
        (shared_data / "personalens" / "protocol-literals.json").read_text(encoding="utf-8")
    )["literals"]
    named = {T.judge_key(d) for d in T.JUDGE_TEMPLATES}
    named |= {k for kind in ("SD", "MD") for k in T.user_agent_keys(kind).values()}
    named |= {
        k for f in T.PROMPT_FAMILIES for s in T.SETTING_SUFFIX for k in T.assistant_keys(f, s)
    }
    assert named <= set(literals)
