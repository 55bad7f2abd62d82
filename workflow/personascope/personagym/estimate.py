"""The plan's estimator for PersonaGym (`personascope.plan`): requests and tokens per stage and
model from the config's counts (personas x 5 tasks x questions, groups of `group_size`).

Stages: `answers` (one single-turn call per question and persona agent), `examples` (one
score-examples call per group of questions, shared by every agent) and `grading` (one call per
group, judge slot and agent). Prompt and reply sizes are priors (our assumptions), capped by each
stage's max_tokens. In benchmark mode the questions are frozen (no calls); in generation mode
`questions_model` writes them, one call per persona and task (settings selection not counted).
"""

from __future__ import annotations

import math
from typing import Any

from .. import paths
from ..plan.core import EstimateContext, Tally, judge_answer

STUDY = "personagym"
TASKS = 5  # Expected Action, Action Justification, Linguistic Habits, Persona Consistency, Toxicity
BENCHMARK_PERSONAS = 200
QUESTIONS_PER_TASK = 10


def estimate(config: dict[str, Any], ctx: EstimateContext) -> list[Tally]:
    pg = config["personagym"]
    personas = (
        BENCHMARK_PERSONAS
        if pg["personas"] == "all"
        else (pg["personas"] if isinstance(pg["personas"], int) else len(pg["personas"]))
    )
    questions = pg.get("questions_per_task") or QUESTIONS_PER_TASK
    group = int(pg.get("group_size") or 5)
    groups = personas * TASKS * math.ceil(questions / group)
    asked = personas * TASKS * questions
    sampling = pg["sampling"]

    def prior(name: str, value: float, source: str) -> float:
        return ctx.prior(STUDY, name, value, source)

    agent_prompt = prior("answer_prompt_tokens", 120, "our assumption: persona prompt + question")
    reply = prior("answer_tokens", 200, "our assumption; capped by max_tokens")
    rubric = prior("rubric_tokens", 700, "our assumption: a task rubric with its score anchors")
    examples_reply = prior("examples_tokens", 1000, "our assumption: 5 scores x 5 questions")
    # free grading answers: the prior below (recorded as judge_reply_tokens when used)
    grade_reply = (400, "our assumption: 5 numbered evaluations; capped by max_tokens")
    out: list[Tally] = []
    if pg.get("mode") == "generation":
        written = Tally(STUDY, "questions", pg["questions_model"], paths.PERSONAGYM_QUESTION_USAGE)
        cap = sampling["questions"].get("max_tokens") or 1000
        question_prompt = prior("question_prompt_tokens", 500, "our assumption")
        written.add(
            question_prompt, question_prompt, min(cap, 40 * questions), count=personas * TASKS
        )
        out.append(written)
    examples_cap = sampling["examples"].get("max_tokens") or examples_reply
    examples = Tally(STUDY, "examples", pg["examples_model"], paths.PERSONAGYM_EXAMPLE_USAGE)
    examples_out = min(examples_reply, examples_cap)
    examples_prompt = rubric + group * 40
    examples.add(examples_prompt, examples_prompt, examples_out, count=groups)
    out.append(examples)
    for model in pg["models"]:
        answers = Tally(STUDY, "answers", model, paths.PERSONAGYM_ANSWER_USAGE.format(model=model))
        answer_out = min(reply, sampling["answer"].get("max_tokens") or reply)
        answers.add(agent_prompt, agent_prompt, answer_out, count=asked)
        out.append(answers)
        for slot, judge in pg["judges"].items():
            grading = Tally(
                STUDY,
                "grading",
                judge,
                paths.PERSONAGYM_GRADING_USAGE.format(slot=slot, model=model),
                f"{slot} of {model}",
            )
            grade_out, reask = judge_answer(
                ctx, config, STUDY, grade_reply, sampling[slot].get("max_tokens") or grade_reply[0]
            )
            prompt = rubric + examples_out + group * (40 + answer_out)
            grading.add(prompt, prompt, grade_out, count=groups * (1 + reask))
            out.append(grading)
    return out
