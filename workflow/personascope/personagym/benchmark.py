"""The pinned PersonaGym benchmark: personas, tasks, environments, frozen questions, published runs.

Read from a local copy of upstream's data (`../shared/data/personagym`, see its SOURCES.md), each
file checked against `resources/checksums/personagym-<commit>.sha256` before use.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputDataError
from ..protocol import REPO_ROOT, read_checksums

MANIFEST = "resources/checksums/personagym-{commit}.sha256"
PERSONAS = "personas.json"
TASKS = "tasks.json"
ENVIRONMENTS = "environments.json"
QUESTIONS = "questions/{persona}.json"
PUBLISHED = "published/{run}/scores.json"
# the published runs name the toxicity task by its paper name; rubric and questions by upstream's
PUBLISHED_TASK_NAMES = {"Toxicity Control": "Toxicity"}


def persona_id(index: int) -> str:
    return f"p{index:03d}"


@dataclass
class Benchmark:
    root: Path
    checksums: dict[str, str]
    manifest: Path

    @classmethod
    def open(cls, local: str | Path | None, commit: str) -> Benchmark:
        if not local:
            raise ConfigError(
                "no local copy of the PersonaGym benchmark",
                where="personagym.data.local",
                hint="point it at a folder with upstream's data (../shared/data/personagym)",
            )
        root = Path(local)
        root = root if root.is_absolute() else REPO_ROOT / root
        manifest = REPO_ROOT / MANIFEST.format(commit=commit)
        return cls(root=root, checksums=read_checksums(manifest), manifest=manifest)

    def read(self, relpath: str) -> Any:
        """A benchmark JSON file, verified against the committed manifest."""
        path = self.root / relpath
        expected = self.checksums.get(relpath)
        if expected is None:
            raise InputDataError(f"{relpath!r} is not in the pinned benchmark", where=self.manifest)
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise InputDataError(f"cannot read the benchmark file ({exc})", where=path) from exc
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected:
            raise InputDataError(
                f"sha256 {actual}, the pinned benchmark has {expected}", where=path
            )
        return json.loads(blob.decode("utf-8"))

    def personas(self) -> list[str]:
        return list(self.read(PERSONAS))

    def tasks(self) -> list[str]:
        return list(self.read(TASKS)["tasks"])

    def question_requirements(self) -> dict[str, str]:
        return dict(self.read(TASKS)["question_requirements"])

    def environments(self) -> list[str]:
        return list(self.read(ENVIRONMENTS))

    def questions(self, persona: str) -> dict[str, list[str]]:
        found = self.read(QUESTIONS.format(persona=persona))
        if not isinstance(found, dict):
            raise InputDataError(
                "expected {task: [questions]}", where=QUESTIONS.format(persona=persona)
            )
        return found

    def published(self, run: str) -> dict[str, float]:
        scores = self.read(PUBLISHED.format(run=run))
        return {PUBLISHED_TASK_NAMES.get(k, k): float(v) for k, v in scores.items()}


def select_personas(personas: list[str], selection: Any) -> list[tuple[str, str]]:
    """(id, description) of the configured personas: "all", the first N in upstream's order,
    or a list of indices / ids (`p007`) / descriptions."""
    indexed = [(persona_id(i), p) for i, p in enumerate(personas)]
    if selection == "all":
        return indexed
    if isinstance(selection, int):
        if not 1 <= selection <= len(indexed):
            raise ConfigError(
                f"{selection} personas asked for, the benchmark has {len(indexed)}",
                where="personagym.personas",
            )
        return indexed[:selection]
    by_key: dict[Any, tuple[str, str]] = {}
    for i, (pid, text) in enumerate(indexed):
        by_key[i] = by_key[pid] = by_key[text] = (pid, text)
    missing = [s for s in selection if s not in by_key]
    if missing:
        raise ConfigError(
            f"unknown persona(s) {missing}: give indices 0..{len(indexed) - 1}, ids like p007 "
            "or the exact descriptions of personas.json",
            where="personagym.personas",
        )
    return list(dict.fromkeys(by_key[s] for s in selection))
