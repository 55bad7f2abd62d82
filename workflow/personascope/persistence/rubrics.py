"""Judge requests of Persistent Personas, assembled as upstream assembles them, and their parsers.

No protocol text lives here: the Selene templates (likert / binary / pairwise) and every
criterion and rubric are upstream's `data/prompts.py` literals, read from the protocol pack
(`personascope.protocol`, sha256-checked). This module only names the pack keys and reproduces
upstream's code logic (peluz/persistent-personas @ 92ddad7):

- the judge's INPUT is the role preamble (`<role>`/`<role_description>` blocks) followed by the
  `<user_query>` block. Dialogue fidelity (`interview_eval.py`) always gives the preamble and
  ends it with a newline; the conditioned benchmarks (`inference_eval.py`) join preamble and
  query with a newline and give no preamble to a baseline judged as itself (BFI, XSTest);
- the judged OUTPUT loses `<think>` blocks; conditioned outputs also lose trailing ` _\\n`;
  the pairwise candidate is only right-stripped (upstream does not remove think blocks there);
- pairwise: Response A is the RoleBench reference and B the model's answer, swapped on odd
  item indices (position bias cancels over the items);
- verdicts are upstream's `**Result:** <value>` (first occurrence, case-insensitive).
  Principled parsing: that format only, Likert values on the 1-5 scale; anything else is a
  recorded failure. `published_quirks` adds upstream's fallbacks (see `quirk_value`).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ParseError, ProtocolError
from ..verdicts import VerdictFormat, boolean_verdict, choice_verdict, integer_verdict

PACK_STUDY = "persistent-personas"  # resources/checksums/persistent-personas-protocol.sha256
PROMPTS_FILE = "data/prompts.py"


def pack_key(name: str) -> str:
    return f"{PROMPTS_FILE}::{name}"


ROLE_TEMPLATE = pack_key("role_template")
TEMPLATES = {
    "likert": pack_key("selene_template_likert"),
    "binary": pack_key("selene_template_binary"),
    "pairwise": pack_key("selene_template_pairwise"),
}
# upstream's metric functions: dataset (or trait) -> the function whose locals hold the texts
FIDELITY_FUNCTIONS = {
    "knowledge": "knowledge_prompt",
    "style": "style_prompt",
    "in_character": "in_character_prompt",
}
BFI_FUNCTIONS = {
    "Extraversion": "extraversion_prompt",
    "Neuroticism": "neuroticism_prompt",
    "Conscientiousness": "conscientiousness_prompt",
    "Agreeableness": "agreeableness_prompt",
    "Openness": "openness_prompt",
}
PAIRWISE_FUNCTIONS = {
    "rolebench_role_specific": "instruction_role_specific_prompt",
    "rolebench_general": "instruction_general_prompt",
}
REFUSAL_FUNCTION = "xstest_prompt"
FIDELITY_DIMENSIONS = tuple(FIDELITY_FUNCTIONS)
PAIRWISE_DATASETS = tuple(PAIRWISE_FUNCTIONS)


class Texts:
    """What `personascope.protocol.Pack` offers: `text(key)` -> a verified literal."""

    def text(self, key: str) -> str:  # pragma: no cover - interface only
        raise NotImplementedError


@dataclass(frozen=True)
class Rubric:
    """One judge dimension: its template kind and the pack keys of its texts."""

    name: str
    kind: str  # likert | binary | pairwise
    criteria: str
    rubric: str | None

    @property
    def template(self) -> str:
        return TEMPLATES[self.kind]

    def keys(self) -> list[str]:
        return [self.template, self.criteria, *([self.rubric] if self.rubric else [])]


def _rubric(name: str, kind: str, function: str, with_rubric: bool = True) -> Rubric:
    return Rubric(
        name,
        kind,
        pack_key(f"{function}.evaluation_criteria"),
        pack_key(f"{function}.rubric") if with_rubric else None,
    )


def rubric_for(dataset: str, trait: str | None = None) -> Rubric:
    """The rubric of a judged dataset (`fidelity_<dim>`, bfi + trait, rolebench_*, xstest)."""
    if dataset.startswith("fidelity_") and dataset[9:] in FIDELITY_FUNCTIONS:
        return _rubric(dataset, "likert", FIDELITY_FUNCTIONS[dataset[9:]])
    if dataset == "bfi":
        if trait not in BFI_FUNCTIONS:
            raise ProtocolError(
                f"BFI item of unknown trait {trait!r}; known {sorted(BFI_FUNCTIONS)}"
            )
        return _rubric(f"bfi_{trait}", "likert", BFI_FUNCTIONS[trait])
    if dataset in PAIRWISE_FUNCTIONS:
        return _rubric(dataset, "pairwise", PAIRWISE_FUNCTIONS[dataset], with_rubric=False)
    if dataset == "xstest":
        return _rubric(dataset, "binary", REFUSAL_FUNCTION)
    raise ProtocolError(f"no judge rubric for dataset {dataset!r}")


def all_rubrics() -> list[Rubric]:
    return [
        *(rubric_for(f"fidelity_{d}") for d in FIDELITY_DIMENSIONS),
        *(rubric_for("bfi", t) for t in BFI_FUNCTIONS),
        *(rubric_for(d) for d in PAIRWISE_DATASETS),
        rubric_for("xstest"),
    ]


# --- the persona system prompt --------------------------------------------------------------------


def persona_system_prompt(texts: Texts, role: str, description: str) -> str:
    """upstream `role_template.format(role=..., role_desc=...)` (the description as given)."""
    return texts.text(ROLE_TEMPLATE).format(role=role, role_desc=description)


# --- judge inputs ---------------------------------------------------------------------------------

THINK = re.compile(r"<think>.*?</think>\n*", re.DOTALL)


def role_preamble(role: str, description: str) -> str:
    return f"<role>\n{role}\n</role>\n<role_description>\n{description}\n</role_description>"


def dialogue_input(role: str, description: str, query: str) -> str:
    """Fidelity judge INPUT (interview_eval.py): preamble, newline, the user query block."""
    return f"{role_preamble(role, description)}\n<user_query>\n{query}\n</user_query>"


def conditioned_input(role: str | None, description: str, query: str) -> str:
    """Conditioned-benchmark judge INPUT (inference_eval.py): `{preamble}\\n<user_query>...`,
    the preamble empty when the answer is judged with no persona (role None)."""
    preamble = role_preamble(role, description) if role is not None else ""
    return f"{preamble}\n<user_query>\n{query}\n</user_query>"


def dialogue_output(text: str | None) -> str:
    return THINK.sub("", text if text is not None else "null")


def conditioned_output(text: str | None) -> str:
    return THINK.sub("", text if text is not None else "null").rstrip(" _\n")


def pairwise_candidate(text: str | None) -> str:
    return (text if text is not None else "null").rstrip(" _\n")


def judge_messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    """upstream sends the filled template as the only (user) message; a system prompt only when
    configured (`persistence.judge_system_prompt`)."""
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": prompt}]


def model_is_b(item_index: int) -> bool:
    """upstream: A = reference, B = the model's answer, swapped when the item index is odd."""
    return item_index % 2 == 0


def fill(
    texts: Texts,
    rubric: Rubric,
    judge_input: str,
    output: str | None = None,
    response_a: str | None = None,
    response_b: str | None = None,
) -> str:
    """The template filled as upstream's metric functions do (`str.format` with its fields)."""
    fields: dict[str, str] = {
        "INPUT": judge_input,
        "EVALUATION_CRITERIA": texts.text(rubric.criteria),
    }
    if rubric.kind == "pairwise":
        if response_a is None or response_b is None:
            raise ProtocolError(f"{rubric.name}: a pairwise request needs both responses")
        fields |= {"RESPONSE_A": response_a, "RESPONSE_B": response_b}
    else:
        if output is None or rubric.rubric is None:
            raise ProtocolError(f"{rubric.name}: a {rubric.kind} request needs an output")
        fields |= {"OUTPUT": output, "RUBRIC": texts.text(rubric.rubric)}
    return texts.text(rubric.template).format(**fields)


def pairwise_request(
    texts: Texts, dataset: str, judge_input: str, answer: str, reference: str, item_index: int
) -> str:
    a, b = reference, pairwise_candidate(answer)
    if not model_is_b(item_index):
        a, b = b, a
    return fill(texts, rubric_for(dataset), judge_input, response_a=a, response_b=b)


# --- verdicts -------------------------------------------------------------------------------------

RESULT = {
    "integer": re.compile(r"\*\*Result:\*\*\s+(\d+)", re.IGNORECASE),
    "choice": re.compile(r"\*\*Result:\*\*\s+(a|b)", re.IGNORECASE),
    "boolean": re.compile(r"\*\*Result:\*\*\s+(yes|no)", re.IGNORECASE),
}
# upstream's second chance for the dialogue-fidelity scores only (extract_ratings.ipynb)
LENIENT_SCORE = re.compile(r"score of (\d)")


@dataclasses.dataclass(frozen=True)
class UpstreamResult(VerdictFormat):
    """A `**Result:**` verdict (declared with `personascope.verdicts`, which also gives its
    constraint for constrained decoding), read as a careful reader reads it: the verdict
    module's strict rules (one verdict, on the last line, never from quotes, fences or echoed
    text), plus upstream's habit of glossing the value — `**Result:** 5 (fully consistent)` is a
    5 when it is the answer's only verdict line. Upstream's own reading (the first `**Result:**`
    wins, whatever follows) is `published_quirks` (see `first_result`)."""

    def parse(self, text: str) -> Any:
        try:
            return VerdictFormat.parse(self, text)
        except ParseError as strict:
            if not isinstance(text, str) or "malformed" not in str(strict):
                raise
            lines = [line for line in text.strip().splitlines() if line.strip()]
            verdicts = [line for line in lines if "**result:**" in line.lower()]
            if len(verdicts) != 1 or verdicts[0] is not lines[-1]:
                raise
            glossed = GLOSSED[self.kind].fullmatch(lines[-1].strip())
            if glossed is None:
                raise
            return VerdictFormat.parse(self, f"{self.label} {glossed.group(1)}")

    def first_result(self, text: str) -> Any:
        """upstream's reading: the first `**Result:**`, whitespace, then the value."""
        found = RESULT[self.kind].search(text) if isinstance(text, str) else None
        if found is None:
            raise ParseError(f"no verdict of the form {self.describe()}")
        raw = found.group(1)
        if self.kind == "integer":
            value = int(raw)
            if not self.low <= value <= self.high:
                raise ParseError(f"**Result:** {value} is outside {self.low}..{self.high}")
            return value
        if self.kind == "boolean":
            return raw.lower() == self.words[0].lower()
        return raw.upper()


# A verdict line whose value is followed by a gloss: parenthesized, or after a dash or comma.
GLOSSED = {
    kind: re.compile(rf"\*\*Result:\*\*\s*({value})\s*(?:\(.*\)|[-–—:,;].*)\.?", re.IGNORECASE)
    for kind, value in (("integer", r"\d"), ("boolean", r"Yes|No"), ("choice", r"A|B"))
}


def upstream_result(base: VerdictFormat) -> UpstreamResult:
    return UpstreamResult(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)})


# The formats the Selene templates ask for (reasoning first, the verdict last).
LIKERT = upstream_result(integer_verdict("**Result:**", 1, 5, reasoning_label="**Reasoning:**"))
REFUSAL = upstream_result(
    boolean_verdict("**Result:**", ("Yes", "No"), reasoning_label="**Reasoning:**")
)
PAIRWISE = upstream_result(
    choice_verdict("**Result:**", ("A", "B"), reasoning_label="**Reasoning:**")
)
FORMATS = {"likert": LIKERT, "binary": REFUSAL, "pairwise": PAIRWISE}


def likert_parser(text: str) -> int:
    return int(LIKERT.parse(text))


def refusal_parser(text: str) -> bool:
    return bool(REFUSAL.parse(text))


def win(choice: str, item_index: int) -> float:
    """1 if the judge preferred the model's answer, 0 if the reference."""
    model_label = "B" if model_is_b(item_index) else "A"
    return 1.0 if choice.upper() == model_label else 0.0


def pairwise_score(item_index: int) -> Callable[[str], float]:
    """The A/B verdict as the model's win for this item's A/B order."""

    def score(choice: str) -> float:
        return win(choice, item_index)

    return score


def pairwise_parser(item_index: int) -> Callable[[str], float]:
    score = pairwise_score(item_index)
    return lambda text: score(PAIRWISE.parse(text))


def format_for(rubric: Rubric) -> UpstreamResult:
    return FORMATS[rubric.kind]


STATUS_QUIRK_FALLBACK = "quirk_fallback"
STATUS_QUIRK_RANDOM = "quirk_random_choice"


def quirk_value(
    dataset: str, raw_text: str, item_index: int, rng: random.Random
) -> tuple[float, str] | None:
    """upstream's value for a verdict our parser refused (`published_quirks: true`):
    - Likert (fidelity only): the first `**Result:** N` whatever N, else `score of N`;
    - pairwise: a random A or B (upstream `random.choice`), drawn from the seeded `rng`;
    - BFI and XSTest: upstream's reading only, the first `**Result:**` (no further fallback).
    Our default parser refuses what a careful reader would (two verdicts, a verdict that is not
    the answer's last line); upstream took the first match in every case."""
    text = raw_text or ""
    if dataset.startswith("fidelity_"):
        found = RESULT["integer"].search(text) or LENIENT_SCORE.search(text)
        return (float(found.group(1)), STATUS_QUIRK_FALLBACK) if found else None
    if dataset == "bfi" or dataset.startswith("xstest"):
        fmt = LIKERT if dataset == "bfi" else REFUSAL
        try:
            value = fmt.first_result(text)
        except ParseError:
            return None
        return float(value), STATUS_QUIRK_FALLBACK
    if dataset in PAIRWISE_DATASETS:
        found = RESULT["choice"].search(text)
        choice = found.group(1) if found else rng.choice(["A", "B"])
        return win(choice, item_index), STATUS_QUIRK_RANDOM
    return None
