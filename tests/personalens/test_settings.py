"""Assistant settings: every combination parses to the flags it names."""

from __future__ import annotations

import itertools

import pytest
from personascope.personalens.templates import AssistantSetting


def all_combinations() -> list[tuple[str, set[str]]]:
    out = []
    for r in range(4):
        for combo in itertools.permutations("dis", r):
            name = "+".join(["base", *combo])
            out.append((name, set(combo)))
    return out


@pytest.mark.parametrize(("name", "parts"), all_combinations())
def test_every_base_combination_grants_exactly_its_parts(name: str, parts: set[str]) -> None:
    setting = AssistantSetting.parse(name)
    assert setting.personalize
    granted = {
        "demographics": "d" in parts,
        "interactions": "i" in parts,
        "situation": "s" in parts,
    }
    assert setting.demographics == granted["demographics"]
    assert setting.interactions == granted["interactions"]
    assert setting.situation == granted["situation"]


def test_canonical_names() -> None:
    assert AssistantSetting.parse("base+s+d").name == "base+d+s"
    assert AssistantSetting.parse("Base+D+I+S").name == "base+all"
    assert AssistantSetting.parse("base+all").name == "base+all"
    assert AssistantSetting.parse("base+all+d").name == "base+all"
    assert AssistantSetting.parse("base").name == "base"


def test_vanilla_has_no_personalization_and_no_context() -> None:
    setting = AssistantSetting.parse("vanilla")
    assert not setting.personalize
    assert not (setting.demographics or setting.interactions or setting.situation)


@pytest.mark.parametrize("bad", ["vanilla+d", "base+x", "plain", "base+d+q"])
def test_bad_setting_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="assistant setting"):
        AssistantSetting.parse(bad)
