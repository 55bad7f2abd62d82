"""Verdict formats: declared once per judge dimension, giving the strict parser and each engine's
constraint.

A format says what the judge prompt asks for: the label the prompt shows (``Score:``,
``**Result:**``, ``VERDICT:``, a closing phrase such as PersonaGym's), the value (an integer in a
range, a boolean, one of a few choices) and where the verdict goes (``last``: after the reasoning;
``first``: before an explanation). From that one declaration come

- ``parse(text)``: the careful reader of a free answer. The verdict is read only where the format
  puts it (the last line for ``last``, the first line for ``first``), never from fenced code,
  quoted lines or a placeholder echoed from the prompt; two different verdicts, a malformed or
  out-of-range value, or an overlong number are a `ParseError` — never a score, never a crash;
- ``constraint(mode, max_tokens)``: the same format as a regex (vLLM), a GBNF grammar
  (llama.cpp) and a JSON schema (API structured outputs, tool use): ``answer`` = bounded
  reasoning then the verdict (or the verdict then a bounded explanation), ``verdict`` = the
  verdict line alone (the constrained re-ask);
- ``read_constrained(text, form)``: the verdict of an answer that an engine produced under that
  constraint (the engine reports the form it applied).

The labels are facts about the upstream prompts' requested output (like a score range); the
prompt texts themselves come from the protocol packs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .engines.base import Constraint
from .errors import ParseError

# Digits of a verdict number beyond which it is a parse failure (int() of 5,000 digits raises).
MAX_DIGITS = 6
# Tokens a constrained answer keeps beyond its literal text (end of turn, tokenizer slack). The
# reasoning is printable ASCII, at most one token a character, and gets the rest of max_tokens:
# a constrained answer is never cut short.
TOKEN_SLACK = 4
# printable ASCII without a newline: the reasoning of a constrained answer
REASONING_CHARS = "[ -~]"
REASONING_KEY = "reasoning"
VERDICT_KEY = "verdict"

TRUE_WORDS = ("true", "yes")
FALSE_WORDS = ("false", "no")

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_QUOTE_PAIRS = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»"}
# Decoration a line may carry around a label or value: markdown emphasis, headings, bullets, tags.
_LEAD = r"^\s*(?:[-*+•]\s+|\d+[.)]\s+)?(?:<[A-Za-z/][^>]*>\s*)*[#*_`\s]*"
_TAGS_ONLY = re.compile(r"^\s*(?:<[^>]+>\s*)+$")
_PREAMBLE = re.compile(r"^\s*[*_#]*\s*[A-Za-z]+\s*[*_]*:\s*[*_]*\s*$")


def _core(label: str) -> str:
    """The label's words without markdown and the trailing colon: `**Result:**` -> `Result`."""
    core = label.strip().strip("*_`# ").rstrip(":").strip("*_` ")
    if not core:
        raise ValueError(f"verdict label {label!r} has no words")
    return core


def _regex_literal(text: str) -> str:
    """`text` as a regex that every engine's regex dialect reads alike: metacharacters escaped,
    a newline as `\\n` (Python's re.escape writes a backslash before a raw newline)."""
    out = "".join("\\" + c if c in ".^$*+?{}[]\\|()/" else c for c in text)
    return out.replace("\n", "\\n")


def _gbnf_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def visible_lines(text: str) -> list[str]:
    """The lines a verdict may sit on: not in fenced code, not quoted (`> ...` or a line wrapped
    in quotation marks). An unclosed fence hides everything after it."""
    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opener = _FENCE.match(line)
        if opener:
            mark = opener.group(1)
            if fence is None:
                fence = mark[0] * len(mark)
            elif mark.startswith(fence):
                fence = None
            out.append("")
            continue
        stripped = line.strip()
        if fence is not None or stripped.startswith(">"):
            out.append("")
            continue
        if (
            len(stripped) >= 2
            and stripped[0] in _QUOTE_PAIRS
            and stripped.endswith(_QUOTE_PAIRS[stripped[0]])
        ):
            out.append("")
            continue
        out.append(line)
    return out


@dataclass(frozen=True)
class VerdictFormat:
    """One judge dimension's verdict. Build it with `integer_verdict`, `boolean_verdict`,
    `choice_verdict` or `closing_phrase`."""

    label: str
    kind: str  # "integer" | "boolean" | "choice"
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    # boolean: the two words as the prompt writes them (rendered in constrained answers)
    words: tuple[str, str] = ("True", "False")
    position: str = "last"  # "last": reasoning, then the verdict; "first": verdict, then text
    inline: bool = False  # the label ends a sentence of the last line (a closing phrase)
    # label that opens the reasoning/explanation part of a constrained answer ("" = none)
    reasoning_label: str = ""
    # the prompt itself ends with the label: a first line holding only a value is the verdict
    label_in_prompt: bool = False
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("integer", "boolean", "choice"):
            raise ValueError(f"verdict kind {self.kind!r}: expected integer, boolean or choice")
        if self.position not in ("first", "last"):
            raise ValueError(f"verdict position {self.position!r}: expected first or last")
        if self.kind == "integer" and not self.low <= self.high:
            raise ValueError(f"verdict range {self.low}..{self.high} is empty")
        if self.kind == "choice" and not self.choices:
            raise ValueError("a choice verdict needs its choices")
        _core(self.label)

    # --- what the format accepts ---------------------------------------------------------------

    def values(self) -> list[Any]:
        if self.kind == "integer":
            return list(range(self.low, self.high + 1))
        if self.kind == "boolean":
            return [True, False]
        return list(self.choices)

    def value_of(self, rendered: str) -> Any:
        """The value a constrained answer wrote as `rendered`."""
        for value in self.values():
            if rendered == self.render(value):
                return value
        raise ParseError(f"{rendered!r} is not one of {self._value_alternatives()}")

    def render(self, value: Any) -> str:
        """The value as a constrained answer writes it."""
        if self.kind == "boolean":
            return self.words[0] if value else self.words[1]
        return str(value)

    def describe(self) -> str:
        """The format in words, for re-ask reminders and protocol sheets."""
        shown = " | ".join(self.render(v) for v in self.values())
        if self.kind == "integer" and self.high - self.low > 3:
            shown = f"an integer from {self.low} to {self.high}"
        return f"`{self.label} <{shown}>`" + (" (ending a sentence)" if self.inline else "")

    def to_record(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "values": [self.render(v) for v in self.values()],
            "position": self.position,
            "inline": self.inline,
        }

    # --- free answers --------------------------------------------------------------------------

    def _line_pattern(self) -> re.Pattern[str]:
        core = re.escape(_core(self.label))
        sep = r"[*_`\s]*[:=]" if self.label.rstrip("*_` ").endswith(":") else ""
        return re.compile(rf"{_LEAD}{core}{sep}[*_`\s]*(?P<rest>.*?)\s*$", re.IGNORECASE)

    def _inline_pattern(self) -> re.Pattern[str]:
        core = re.escape(_core(self.label)).replace(r"\ ", r"\s+")
        return re.compile(rf"{core}[*_`\s:]*(?P<rest>[^\s]*(?:\s+out\s+of\s+\d+)?)", re.IGNORECASE)

    def read_value(self, rest: str) -> tuple[str, Any]:
        """("ok", value) | ("placeholder", None) | ("bad", reason) for the text after a label."""
        raw = rest.strip().strip("*_`").strip()
        raw = re.sub(r"(?:</[A-Za-z_]+>\s*)+$", "", raw).strip()
        raw = raw.rstrip(".!;,").strip().strip("*_`").strip()
        if not raw:
            return "placeholder", None
        wrapped = re.fullmatch(r"[\[<(](.*)[\]>)]", raw)
        inner = wrapped.group(1).strip() if wrapped else raw
        if self.kind == "integer":
            m = re.fullmatch(
                rf"([+-]?\d+)(?:\.0+)?(?:\s*(?:/|out\s+of)\s*{self.high})?", inner, re.IGNORECASE
            )
            if m is None:
                if wrapped or re.fullmatch(r"[A-Z]|\.\.\.|…", inner):
                    return "placeholder", None
                return "bad", f"{raw[:40]!r} is not an integer from {self.low} to {self.high}"
            digits = m.group(1).lstrip("+-")
            if len(digits) > MAX_DIGITS:
                return "bad", f"a {len(digits)}-digit number is not a score"
            value = int(m.group(1))
            if not self.low <= value <= self.high:
                return "bad", f"{value} is outside {self.low}..{self.high}"
            return "ok", value
        word = inner.lower()
        if self.kind == "boolean":
            if word in TRUE_WORDS:
                return "ok", True
            if word in FALSE_WORDS:
                return "ok", False
        else:
            word = re.sub(r"^(?:response|option|answer|choice)\s+", "", word)
            for choice in self.choices:
                if word == choice.lower():
                    return "ok", choice
        if wrapped or re.fullmatch(r"[A-Z]|\.\.\.|…", inner):
            return "placeholder", None
        return "bad", f"{raw[:40]!r} is not one of {[self.render(v) for v in self.values()]}"

    def parse(self, text: str) -> Any:
        """The verdict of a free answer, read as a careful reader would; else `ParseError`."""
        if not isinstance(text, str):
            raise ParseError(f"judge answer is {type(text).__name__}, not text")
        lines = visible_lines(text)
        content = [i for i, line in enumerate(lines) if line.strip()]
        found: list[tuple[int, Any]] = []
        problems: list[str] = []
        pattern = self._inline_pattern() if self.inline else self._line_pattern()
        for i in content:
            matches = list(pattern.finditer(lines[i])) if self.inline else [pattern.match(lines[i])]
            for m in matches:
                if m is None:
                    continue
                status, value = self.read_value(m.group("rest"))
                if status == "ok":
                    found.append((i, value))
                elif status == "bad":
                    problems.append(f"'{lines[i].strip()[:60]}': {value}")
        if self.label_in_prompt and content:
            status, value = self.read_value(lines[content[0]])
            if status == "ok" and all(i != content[0] for i, _ in found):
                found.append((content[0], value))
        if problems:
            raise ParseError(f"malformed verdict {problems[0]}")
        if not found:
            raise ParseError(f"no verdict of the form {self.describe()}")
        distinct = {json.dumps(v) for _, v in found}
        if len(distinct) > 1:
            shown = ", ".join(self.render(v) for _, v in found)
            raise ParseError(f"different verdicts in one answer ({shown})")
        where = self._expected_line(lines, content)
        if where is not None and all(i != where for i, _ in found):
            side = "last" if self.position == "last" else "first"
            raise ParseError(
                f"the verdict is not on the answer's {side} line, where the format puts it"
            )
        return found[0][1]

    def __call__(self, text: str) -> Any:
        return self.parse(text)

    def _expected_line(self, lines: list[str], content: list[int]) -> int | None:
        """The line the format puts the verdict on: the last content line (closing tags
        aside), or the first after a preamble (`Response:`, `<response>`)."""
        ordered = content if self.position == "first" else list(reversed(content))
        for i in ordered:
            line = lines[i]
            if _TAGS_ONLY.match(line) or (self.position == "first" and _PREAMBLE.match(line)):
                continue
            return i
        return None

    # --- constraints ---------------------------------------------------------------------------

    def _value_alternatives(self) -> list[str]:
        return [self.render(v) for v in self.values()]

    def _verdict_line(self) -> tuple[str, str]:
        """(text before the value, text after it) of the verdict as constrained answers write it."""
        if self.inline:
            return f" {self.label} ", "."
        return f"{self.label} ", ""

    def _reasoning_bound(self, max_tokens: int) -> int:
        longest = max(len(v) for v in self._value_alternatives())
        before, after = self._verdict_line()
        reserve = len(before) + len(after) + len(self.reasoning_label) + longest + 3
        return max(0, max_tokens - reserve - TOKEN_SLACK)

    def _parts(self, mode: str, max_tokens: int) -> list[tuple[str, str]]:
        """The constrained answer as (kind, text) parts: literal, reasoning, verdict."""
        before, after = self._verdict_line()
        verdict = [
            (
                "literal",
                before.lstrip() if mode == "verdict" or self.position == "first" else before,
            ),
            ("verdict", ""),
            ("literal", after),
        ]
        if mode == "verdict":
            return verdict
        bound = str(self._reasoning_bound(max_tokens))
        lead = [("literal", self.reasoning_label + " ")] if self.reasoning_label else []
        reasoning = [*lead, ("reasoning", bound)]
        if self.position == "first":
            return [*verdict, ("literal", "\n"), *reasoning]
        sep = [] if self.inline else [("literal", "\n\n")]
        return [*reasoning, *sep, *verdict]

    def constraint(self, mode: str, max_tokens: int) -> Constraint:
        """`mode` "answer": the whole answer (bounded reasoning + verdict); "verdict": the
        verdict line alone. Bounded so that it always fits `max_tokens`."""
        if mode not in ("answer", "verdict"):
            raise ValueError(f"constraint mode {mode!r}: expected answer or verdict")
        return compile_constraint(
            f"{_slug(_core(self.label))}_{mode}",
            self._parts(mode, max_tokens),
            self._value_alternatives(),
            self.json_schema(mode),
        )

    def json_schema(self, mode: str) -> dict[str, Any]:
        if self.kind == "integer":
            value: dict[str, Any] = {"type": "integer", "enum": self.values()}
        elif self.kind == "boolean":
            value = {"type": "boolean"}
        else:
            value = {"type": "string", "enum": list(self.choices)}
        if mode == "verdict":
            props = {VERDICT_KEY: value}
        elif self.position == "first":
            props = {VERDICT_KEY: value, REASONING_KEY: {"type": "string"}}
        else:
            props = {REASONING_KEY: {"type": "string"}, VERDICT_KEY: value}
        return {
            "type": "object",
            "properties": props,
            "required": list(props),
            "additionalProperties": False,
        }

    def _reader(self, mode: str) -> re.Pattern[str]:
        return reader_regex(self._parts(mode, 0), self._value_alternatives())

    def read_constrained(self, text: str, form: str, mode: str) -> Any:
        """The verdict of an answer produced under `constraint(mode)` with the engine's `form`
        ("regex"/"grammar": text; anything else: JSON). The engine layer has already checked
        that the answer matches; a mismatch here is a `ParseError`."""
        if form in ("regex", "grammar"):
            m = self._reader(mode).fullmatch(text)
            if m is None:
                raise ParseError(f"constrained answer does not end in {self.describe()}")
            return self.value_of(m.group("v0"))
        try:
            data = json.loads(text)
            raw = data[VERDICT_KEY]
        except (ValueError, TypeError, KeyError) as exc:
            raise ParseError(f"constrained answer is not the verdict object ({exc})") from None
        for value in self.values():
            if raw == value and type(raw) is type(value):
                return value
        raise ParseError(f"constrained verdict {raw!r} is not one of {self.values()}")


Parts = list[tuple[str, str]]


def compile_constraint(
    name: str, parts: Parts, alternatives: list[str], schema: dict[str, Any]
) -> Constraint:
    """A constraint from (kind, text) parts: literal text, bounded reasoning, the verdict."""
    regex, root, bounds = "", [], set()
    for kind, text in parts:
        if kind == "literal":
            if text:
                regex += _regex_literal(text)
                root.append(_gbnf_literal(text))
        elif kind == "verdict":
            regex += "(?:" + "|".join(_regex_literal(a) for a in alternatives) + ")"
            root.append("verdict")
        else:
            regex += f"{REASONING_CHARS}{{0,{text}}}"
            root.append(f"reasoning{text}")
            bounds.add(text)
    rules = ["root ::= " + " ".join(root)]
    rules += [f"reasoning{b} ::= {REASONING_CHARS}{{0,{b}}}" for b in sorted(bounds)]
    rules.append("verdict ::= " + " | ".join(_gbnf_literal(a) for a in alternatives))
    return Constraint(
        name=name,
        regex=regex,
        grammar="\n".join(rules) + "\n",
        json_schema=json.dumps(schema, sort_keys=True),
    )


def reader_regex(parts: Parts, alternatives: list[str]) -> re.Pattern[str]:
    """Reads the verdicts (groups v0, v1, ...) of an answer made under those parts."""
    regex, n = "", 0
    for kind, text in parts:
        if kind == "literal":
            regex += re.escape(text)
        elif kind == "verdict":
            regex += f"(?P<v{n}>" + "|".join(re.escape(a) for a in alternatives) + ")"
            n += 1
        else:
            regex += f"{REASONING_CHARS}*"
    return re.compile(regex)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "verdict"


def integer_verdict(label: str, low: int, high: int, **kw: Any) -> VerdictFormat:
    """`label N` with N an integer in low..high (e.g. `Score:` 1..4, `**Result:**` 1..5)."""
    return VerdictFormat(label=label, kind="integer", low=low, high=high, **kw)


def boolean_verdict(
    label: str, words: tuple[str, str] = ("True", "False"), **kw: Any
) -> VerdictFormat:
    """`label True|False` (or Yes|No: `words`); either spelling is read in free answers."""
    return VerdictFormat(label=label, kind="boolean", words=words, **kw)


def choice_verdict(label: str, choices: tuple[str, ...], **kw: Any) -> VerdictFormat:
    """`label X` with X one of `choices` (e.g. `**Result:**` A|B)."""
    return VerdictFormat(label=label, kind="choice", choices=tuple(choices), **kw)


def closing_phrase(phrase: str, low: int, high: int, **kw: Any) -> VerdictFormat:
    """A closing sentence `<phrase> N` on the answer's last line (PersonaGym's final score)."""
    return VerdictFormat(label=phrase, kind="integer", low=low, high=high, inline=True, **kw)


@dataclass(frozen=True)
class SectionedVerdicts:
    """`count` numbered sections, each holding one verdict of `item` (PersonaGym grades several
    rubrics in one answer: a header per evaluation, each ending in its closing phrase).

    `header` is the section header with `{k}` for its number, as the prompt shows it. Free
    answers: the headers must be 1..count in order, each section parsed by `item` on its own
    (`parse_sections` keeps a failed section as its `ParseError`; `parse` needs every one).
    """

    item: VerdictFormat
    count: int
    header: str
    # what follows each header in a constrained answer; a newline makes the header a line of its
    # own, whose rest (`(First 2 Turns):`) free answers may fill as the template shows it
    # (PersonaLens); PersonaGym's reasoning follows on the header's line
    separator: str = " "

    def to_record(self) -> dict[str, Any]:
        return {
            "sections": self.count,
            "header": self.header,
            "separator": self.separator,
            "each": self.item.to_record(),
        }

    def __post_init__(self) -> None:
        if "{k}" not in self.header or self.count < 1:
            raise ValueError("sectioned verdicts need a header with {k} and count >= 1")

    def describe(self) -> str:
        first = self.header.format(k=1)
        return f"{self.count} sections `{first} ...`, each ending in {self.item.describe()}"

    def _header_pattern(self) -> re.Pattern[str]:
        head, tail = (re.escape(part) for part in self.header.split("{k}", 1))
        return re.compile(rf"^[#*_\s]*{head}(?P<k>\d{{1,4}}){tail}", re.MULTILINE)

    def parse_sections(self, text: str) -> list[Any]:
        if not isinstance(text, str):
            raise ParseError(f"judge answer is {type(text).__name__}, not text")
        visible = "\n".join(visible_lines(text))
        heads = list(self._header_pattern().finditer(visible))
        numbers = [int(h.group("k")) for h in heads]
        if numbers != list(range(1, self.count + 1)):
            raise ParseError(f"sections numbered {numbers[:12]}, expected 1..{self.count}")
        out: list[Any] = []
        for i, head in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(visible)
            body = visible[head.end() : end]
            if self.separator.startswith("\n"):  # a header line: the rest of it is its own
                body = body.partition("\n")[2]
            try:
                out.append(self.item.parse(body))
            except ParseError as exc:
                out.append(ParseError(f"section {i + 1}: {exc}"))
        return out

    def parse(self, text: str) -> list[Any]:
        values = self.parse_sections(text)
        for value in values:
            if isinstance(value, ParseError):
                raise value
        return values

    def __call__(self, text: str) -> list[Any]:
        return self.parse(text)

    def _parts(self, mode: str, max_tokens: int) -> Parts:
        per_section = max(0, max_tokens // self.count)
        parts: Parts = []
        for k in range(1, self.count + 1):
            lead = ("" if k == 1 else "\n") + self.header.format(k=k) + self.separator
            parts.append(("literal", lead))
            inner = self.item._parts(mode, per_section - len(self.header) - 2)
            parts += inner[1:] if inner[0] == ("literal", "") else inner
        return parts

    def constraint(self, mode: str, max_tokens: int) -> Constraint:
        parts = self._parts(mode, max_tokens)
        schema = {
            "type": "object",
            "properties": {
                "evaluations": {
                    "type": "array",
                    "items": self.item.json_schema(mode),
                    "minItems": self.count,
                    "maxItems": self.count,
                }
            },
            "required": ["evaluations"],
            "additionalProperties": False,
        }
        name = f"{self.count}x{_slug(_core(self.item.label))}_{mode}"
        return compile_constraint(name, parts, self.item._value_alternatives(), schema)

    def read_constrained(self, text: str, form: str, mode: str) -> list[Any]:
        if form in ("regex", "grammar"):
            m = reader_regex(self._parts(mode, 0), self.item._value_alternatives()).fullmatch(text)
            if m is None:
                raise ParseError(f"constrained answer is not {self.describe()}")
            return [self.item.value_of(m.group(f"v{i}")) for i in range(self.count)]
        try:
            items = json.loads(text)["evaluations"]
            return [
                self.item.read_constrained(json.dumps(entry), "json_schema", mode)
                for entry in items
            ]
        except (ValueError, TypeError, KeyError) as exc:
            raise ParseError(f"constrained answer is not the evaluations object ({exc})") from None
