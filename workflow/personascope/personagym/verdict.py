"""The constrained form of a PersonaGym grading answer (judge_mode `constrained`).

Upstream's grading prompt asks for numbered evaluations, `(1) Evaluation: ...` to `(k)`, each
closing with the rubric's sentence "<phrase> N". Constrained, a group of k questions is answered
as exactly that (`personascope.verdicts.SectionedVerdicts`): the section header is read from the
grading prompt's own format block and the phrase from the rubric, both from the protocol pack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..engines.base import TEXT_FORMS, Constraint
from ..errors import ParseError, ProtocolError
from ..verdicts import REASONING_KEY, VERDICT_KEY, SectionedVerdicts, closing_phrase
from .scoring import GRADE_RANGE

# a numbered head of the prompt's format block: "(1) Evaluation:"
_HEAD = re.compile(r"^\(1\) (\w+):", re.MULTILINE)
CONSTRAINT_MODE = "answer"  # bounded reasoning, then the closing sentence, in every section


@dataclass(frozen=True)
class GroupVerdict:
    header: str  # "({k}) Evaluation:", from the grading prompt
    phrase: str  # the rubric's closing phrase

    @classmethod
    def of(cls, grading_prompt: str, phrase: str) -> GroupVerdict:
        found = _HEAD.search(grading_prompt)
        if not found:
            raise ProtocolError("the grading prompt shows no numbered format `(1) Word:`")
        return cls(header="({k}) " + found.group(1) + ":", phrase=phrase)

    def sections(self, count: int) -> SectionedVerdicts:
        low, high = GRADE_RANGE
        return SectionedVerdicts(closing_phrase(self.phrase, low, high), count, self.header)

    def constraint(self, count: int, max_tokens: int) -> Constraint:
        return self.sections(count).constraint(CONSTRAINT_MODE, max_tokens)

    def read(self, answer: str, form: str, count: int) -> list[int]:
        """The grades of an answer made under the constraint (the call cache has checked it)."""
        return self.sections(count).read_constrained(answer, form, CONSTRAINT_MODE)

    def as_text(self, answer: str, form: str, count: int) -> str:
        """A constrained answer as the numbered text the free protocol shows (JSON forms are
        rewritten into it; text forms are already it)."""
        if form in TEXT_FORMS:
            return answer
        try:
            items = json.loads(answer)["evaluations"]
            return "\n".join(
                f"{self.header.format(k=i + 1)} {item[REASONING_KEY]} {self.phrase} "
                f"{int(item[VERDICT_KEY])}."
                for i, item in enumerate(items[:count])
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ParseError(f"constrained answer is not the evaluations object ({exc})") from None
