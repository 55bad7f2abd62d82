"""PersonaGym test helpers: the study's texts from the shared pack (never retyped here)."""

from __future__ import annotations

from pathlib import Path

from personascope.personagym.calls import open_texts
from personascope.personagym.texts import Texts

COMMIT = "536f705e610289c38d84e083fcea6ea5093d3a25"


def gym_sources(shared_data: Path) -> dict[str, dict[str, str]]:
    return {
        "protocol": {"local": str(shared_data / "personagym" / "protocol-literals.json")},
        "data": {"local": str(shared_data / "personagym"), "commit": COMMIT},
    }


def gym_texts(shared_data: Path) -> Texts:
    sources = gym_sources(shared_data)
    return open_texts(sources["protocol"], sources["data"])[0]
