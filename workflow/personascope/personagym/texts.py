"""PersonaGym's request texts, filled the way upstream fills them, in two modes.

Every text comes from the protocol pack (`personascope.protocol`, sha256-checked): the persona
system prompt, the environment-selection and question-generation prompts and the evaluation
splitting pattern are literals of upstream's `code/*.py`; the score-example and grading prompts
and the five rubrics are upstream's plain files, keyed by their upstream paths.

Two ways to fill them (config `personagym.published_quirks`):

- principled (default): the filled rubrics are joined as text, and each question of a group gets
  the score examples written for its own rubric (the examples answer is split per rubric);
- published quirks: the list of filled prompts goes into the outer prompt as a Python list repr,
  and question i of a group gets character i of the one processed examples string — what
  upstream's `format_rubrics` does with `examples[i]`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from ..protocol import Pack

PERSONA_PROMPT = "code/utils.py::openai_chat_gen.persona_prompt"
SETTINGS_PROMPT = "code/run.py::select_settings.settings_prompt"
QUESTION_PROMPT = "code/run.py::gen_questions.question_prompt"
EVALUATION_PATTERN = "code/run.py::parse_evaluations.pattern"
MODEL_LITERALS = {
    "settings": "code/run.py::SETTINGS_MODEL",
    "questions": "code/run.py::QUESTION_MODEL",
    "examples": "code/run.py::EXAMPLE_MODEL",
    "judge1": "code/run.py::EVAL_1",
    "judge2": "code/run.py::EVAL_2",
}
EXAMPLE_PROMPT = "prompts/score_examples/prompt.txt"
PARALLEL_EXAMPLES = "prompts/score_examples/parallel_examples.txt"
GRADING_PROMPT = "prompts/rubric_grading/prompt.txt"
GRADING_SYSTEM = "prompts/rubric_grading/sys_prompt.txt"
RUBRIC = "rubrics/{task}.txt"
# upstream's joining of the principled mode: blank-line separated, like its processed examples
TEXT_JOIN = "\n\n"

# The rubrics ask for a closing sentence `like "<phrase> ..."`: the phrase is read from them.
_CLOSING_REQUEST = re.compile(r'like "(?P<phrase>[^"]+?)\s*\.\.\."')
# one "Score N: Response - <text>" entry of an examples answer (upstream's process_examples)
_SCORE_ENTRY = re.compile(
    r'Score (\d+): *Response - *"?(.*?)"?(?=\n*Score \d+: *Response -|$)', re.DOTALL
)
_RUBRIC_HEADING = re.compile(r"Rubric (\d+) Examples:")


@dataclass(frozen=True)
class Texts:
    """The study's texts, checked once, for building requests."""

    persona_prompt: str
    settings_prompt: str
    question_prompt: str
    evaluation_pattern: str
    example_prompt: str
    parallel_examples: str
    grading_prompt: str
    grading_system: str
    rubrics: dict[str, str]
    upstream_models: dict[str, str]
    # [{key, sha256, source}] of every text above, for the protocol sheet
    used: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_pack(cls, pack: Pack, tasks: Sequence[str]) -> Texts:
        texts = cls(
            persona_prompt=pack.text(PERSONA_PROMPT),
            settings_prompt=pack.text(SETTINGS_PROMPT),
            question_prompt=pack.text(QUESTION_PROMPT),
            evaluation_pattern=pack.text(EVALUATION_PATTERN),
            example_prompt=pack.file_text(EXAMPLE_PROMPT),
            parallel_examples=pack.file_text(PARALLEL_EXAMPLES),
            grading_prompt=pack.file_text(GRADING_PROMPT),
            grading_system=pack.file_text(GRADING_SYSTEM),
            rubrics={task: pack.file_text(RUBRIC.format(task=task)) for task in tasks},
            upstream_models={role: pack.text(key) for role, key in MODEL_LITERALS.items()},
        )
        return dataclasses.replace(texts, used=tuple(pack.used()))

    def closing_phrase(self, task: str) -> str:
        """The sentence opening a grade, as the task's rubric asks for it."""
        found = _CLOSING_REQUEST.search(self.rubrics[task])
        if not found:
            raise ProtocolError(
                'the rubric asks for no closing sentence `like "... ..."`',
                where=RUBRIC.format(task=task),
            )
        return found.group("phrase")


# --- filling -----------------------------------------------------------------------------------


def join_filled(filled: Sequence[str], published_quirks: bool) -> Any:
    """What goes into `{rubrics}`: the list itself (str.format prints its repr) or joined text."""
    return list(filled) if published_quirks else TEXT_JOIN.join(filled)


def answer_messages(texts: Texts, persona: str, question: str) -> list[dict[str, str]]:
    """The persona agent's one-turn request: upstream's persona system prompt, the question."""
    return [
        {"role": "system", "content": texts.persona_prompt.format(persona=persona)},
        {"role": "user", "content": question},
    ]


def settings_request(texts: Texts, persona: str, environments: Sequence[str]) -> str:
    return texts.settings_prompt.format(persona=persona, settings_list=list(environments))


def question_request(
    texts: Texts, persona: str, settings: Any, task: str, description: str, num_questions: int
) -> str:
    return texts.question_prompt.format(
        persona=persona,
        settings=settings,
        task=task,
        description=description,
        num_questions=num_questions,
    )


def examples_request(
    texts: Texts, persona: str, questions: Sequence[str], task: str, published_quirks: bool
) -> str:
    """One call per group: the parallel-examples prompt over each question's filled prompt."""
    filled = [
        texts.example_prompt.format(persona=persona, question=q, rubric=texts.rubrics[task])
        for q in questions
    ]
    return texts.parallel_examples.format(rubrics=join_filled(filled, published_quirks))


def grading_request(
    texts: Texts,
    persona: str,
    task: str,
    qa: Sequence[tuple[str, str]],
    examples: Sequence[str],
    published_quirks: bool,
) -> list[dict[str, str]]:
    """One grading call per judge and group: the five filled rubrics in the outer prompt."""
    filled = [
        texts.rubrics[task].format(
            persona=persona, question=question, response=answer, score_example=example
        )
        for (question, answer), example in zip(qa, examples, strict=True)
    ]
    user = texts.grading_prompt.format(rubrics=join_filled(filled, published_quirks))
    return [
        {"role": "system", "content": texts.grading_system},
        {"role": "user", "content": user},
    ]


# --- the examples answer -----------------------------------------------------------------------


def process_examples(text: str) -> str:
    """Upstream's clean-up of an examples answer: each `Score N: Response - x` entry becomes
    `Score N: "x"`, blank-line separated, and only lines opening with "Score" are kept."""
    entries = [f'Score {n}: "{body.strip()}"' for n, body in _SCORE_ENTRY.findall(text)]
    lines = TEXT_JOIN.join(entries).split("\n")
    return TEXT_JOIN.join(line for line in lines if line.startswith("Score"))


def examples_per_question(text: str, count: int, published_quirks: bool) -> list[str | None]:
    """The score examples of each of `count` questions, from the group's examples answer.

    Published quirks: the processed answer is one string and question i gets its character i
    (upstream's `examples[i]`; past the end of the string, upstream raised IndexError — here an
    empty example). Principled: the answer is split at its `Rubric k Examples:` headings and
    question k gets section k, processed; a section the answer lacks is None (recorded).
    """
    if published_quirks:
        processed = process_examples(text)
        return [processed[i] if i < len(processed) else "" for i in range(count)]
    parts = _RUBRIC_HEADING.split(text)
    sections: dict[int, str] = {}
    for number, body in zip(parts[1::2], parts[2::2], strict=True):
        sections.setdefault(int(number), body.strip())
    if not sections and count == 1 and _SCORE_ENTRY.search(text):
        sections[1] = text  # a lone question's examples, written without a heading
    out: list[str | None] = []
    for k in range(1, count + 1):
        section = sections.get(k)
        processed = process_examples(section) if section is not None else ""
        out.append(processed or None)
    return out


# --- the grading answer ------------------------------------------------------------------------


def split_evaluations(texts: Texts, text: str) -> list[str]:
    """The numbered evaluations of a grading answer, by upstream's pattern (stripped)."""
    return [part.strip() for part in re.findall(texts.evaluation_pattern, text, re.DOTALL)]
