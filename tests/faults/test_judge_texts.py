"""Fault suite, judge texts: adversarial answers for every verdict format the studies declare,
each with the verdict a careful reader gives (`null`: no readable verdict, a parse failure).

The texts are data (judge_texts.json). Their counts join the fault suite's table (family "judge
texts"): accepted (the careful reader's verdict), clean error (the parse failure where there is
none), mis-scored (a value where there is none, or a different one), refused (a failure where a
verdict is readable) and crashed (anything but a ParseError).
"""

from __future__ import annotations

import json
from pathlib import Path

from personascope.errors import ParseError
from personascope.verdicts import (
    SectionedVerdicts,
    boolean_verdict,
    choice_verdict,
    closing_phrase,
    integer_verdict,
)
from tally import ACCEPTED, CLEAN, CRASHED, MIS_SCORED, REFUSED, record

CASES = json.loads((Path(__file__).parent / "judge_texts.json").read_text("utf-8"))["cases"]
PHRASE = closing_phrase("Therefore, the final score is", 1, 5)
# The shapes the studies' judge prompts ask for, declared with the verdict-format API (the
# careful reader). A study that reads free answers some other way (upstream's quirks) is not
# covered by these figures.
RESULT = "**Result:**"
FORMATS = {
    "score_1_4": integer_verdict("Score:", 1, 4),
    "result_1_5": integer_verdict(RESULT, 1, 5, reasoning_label="**Reasoning:**"),
    "completed": boolean_verdict("Completed:"),
    "refusal": boolean_verdict(RESULT, ("Yes", "No"), reasoning_label="**Reasoning:**"),
    "pairwise": choice_verdict(RESULT, ("A", "B"), reasoning_label="**Reasoning:**"),
    "naturalness_first": integer_verdict("Naturalness Score:", 1, 5, position="first"),
    "verdict_first": boolean_verdict("VERDICT:", position="first", label_in_prompt=True),
    "phrase": PHRASE,
    "sections_3": SectionedVerdicts(PHRASE, 3, "({k}) Evaluation:"),
}


def outcome(case: dict) -> str:
    """The fault suite's outcome: a parse failure where no verdict is readable is a clean error,
    the careful reader's value is accepted; anything else is wrong."""
    try:
        value = FORMATS[case["format"]].parse(case["text"])
    except ParseError:
        return CLEAN if case["expected"] is None else REFUSED
    except Exception:  # counting crashes is the point
        return CRASHED
    if (
        case["expected"] is None
        or value != case["expected"]
        or type(value) is not type(case["expected"])
    ):
        return MIS_SCORED
    return ACCEPTED


def test_every_adversarial_judge_text_gets_the_careful_readers_verdict() -> None:
    assert len(CASES) >= 200 and set(c["format"] for c in CASES) == set(FORMATS)
    results = [(case, record("judge texts", outcome(case))) for case in CASES]
    wrong = [f"{c['format']}: {c['why']}: {o}" for c, o in results if o not in (CLEAN, ACCEPTED)]
    assert not wrong, "\n".join(wrong)


def test_persistent_personas_reads_its_result_verdicts_as_the_careful_reader() -> None:
    """The study's own `**Result:**` formats (upstream's glossed values tolerated) score the same
    adversarial texts: none mis-scored; upstream's first-match reading is published_quirks."""
    from personascope.persistence import rubrics

    study = {"result_1_5": rubrics.LIKERT, "refusal": rubrics.REFUSAL, "pairwise": rubrics.PAIRWISE}
    results = []
    for case in CASES:
        if case["format"] not in study:
            continue
        try:
            value = study[case["format"]].parse(case["text"])
        except ParseError:
            value = None
        if case["format"] == "pairwise" and value is not None:
            value = str(value)
        results.append((case, value))
    wrong = [f"{c['format']}: {c['why']}: {v!r}" for c, v in results if v != c["expected"]]
    print(f"\npersistence formats: tried {len(results)}, not as expected {len(wrong)}")
    assert len(results) >= 100
    assert not wrong, "\n".join(wrong)
