"""Judge requests from the protocol pack, and verdicts parsed as upstream's `**Result:**` formats.

Expected texts are taken from the shared pack at test time (never retyped here); the tests check
how our code fills them: which keys, which fields, the A/B order, the parsing rules.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from personascope.errors import ParseError, ProtocolError
from personascope.persistence import rubrics
from personascope.protocol import load_pack

PLACEHOLDER = re.compile(r"\{(INPUT|OUTPUT|RESPONSE_A|RESPONSE_B|EVALUATION_CRITERIA|RUBRIC)\}")


@pytest.fixture(scope="module")
def pack_path(shared_data: Path) -> Path:
    return shared_data / "persistent-personas/protocol-literals.json"


@pytest.fixture()
def pack(pack_path: Path):
    return load_pack("persistent-personas", {"local": str(pack_path)})


@pytest.fixture(scope="module")
def literals(pack_path: Path) -> dict[str, str]:
    return json.loads(pack_path.read_text(encoding="utf-8"))["literals"]


def test_every_rubric_key_is_in_the_pack_and_checksummed(pack) -> None:
    for rubric in rubrics.all_rubrics():
        for key in rubric.keys():  # noqa: SIM118 - Rubric.keys() is a method, not a dict
            assert pack.text(key)
    assert len(rubrics.all_rubrics()) == 3 + 5 + 2 + 1


def test_likert_request_is_the_template_filled_with_criteria_rubric_input_output(
    pack, literals
) -> None:
    rubric = rubrics.rubric_for("bfi", "Neuroticism")
    request = rubrics.fill(pack, rubric, "THE-INPUT", output="THE-OUTPUT")
    template = literals["data/prompts.py::selene_template_likert"]
    head = template.split("{INPUT}")[0]
    assert request.startswith(head)
    assert literals["data/prompts.py::neuroticism_prompt.evaluation_criteria"] in request
    assert request.endswith(literals["data/prompts.py::neuroticism_prompt.rubric"])
    assert "THE-INPUT" in request and "THE-OUTPUT" in request
    assert not PLACEHOLDER.search(request)
    keys = {u["key"] for u in pack.used()}
    assert keys == {
        "data/prompts.py::selene_template_likert",
        "data/prompts.py::neuroticism_prompt.evaluation_criteria",
        "data/prompts.py::neuroticism_prompt.rubric",
    }


def test_unknown_trait_or_dataset_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="unknown trait"):
        rubrics.rubric_for("bfi", "Grumpiness")
    with pytest.raises(ProtocolError, match="no judge rubric"):
        rubrics.rubric_for("ifbench")


def test_a_tampered_text_is_refused(pack_path: Path, tmp_path: Path) -> None:
    data = json.loads(pack_path.read_text(encoding="utf-8"))
    data["literals"]["data/prompts.py::xstest_prompt.rubric"] += " "
    tampered = tmp_path / "pack.json"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    pack = load_pack("persistent-personas", {"local": str(tampered)})
    with pytest.raises(ProtocolError, match=r"xstest_prompt\.rubric"):
        rubrics.fill(pack, rubrics.rubric_for("xstest"), "q", output="r")


def test_pairwise_reference_is_a_on_even_items_and_the_model_on_odd(pack) -> None:
    even = rubrics.pairwise_request(pack, "rolebench_general", "IN", "MODEL _\n", "REF", 4)
    odd = rubrics.pairwise_request(pack, "rolebench_general", "IN", "MODEL", "REF", 5)
    assert even.index("REF") < even.index("MODEL")  # A = reference, B = model
    assert odd.index("MODEL") < odd.index("REF")
    assert "MODEL _" not in even  # trailing ` _\n` stripped as upstream
    assert not PLACEHOLDER.search(even)
    assert rubrics.win("B", 4) == 1.0 and rubrics.win("A", 4) == 0.0
    assert rubrics.win("A", 5) == 1.0 and rubrics.win("b", 5) == 0.0


def test_judge_inputs_are_upstreams_preamble_and_query_blocks() -> None:
    fidelity = rubrics.dialogue_input("Gaston", "A hunter.", "Hello?")
    assert fidelity == (
        "<role>\nGaston\n</role>\n<role_description>\nA hunter.\n</role_description>\n"
        "<user_query>\nHello?\n</user_query>"
    )
    assert rubrics.conditioned_input("Gaston", "A hunter.", "Q") == fidelity.replace("Hello?", "Q")
    assert rubrics.conditioned_input(None, "", "Q") == "\n<user_query>\nQ\n</user_query>"
    assert rubrics.dialogue_output("<think>plan</think>\n\nAnswer _\n") == "Answer _\n"
    assert rubrics.conditioned_output("<think>x</think>Answer _\n") == "Answer"
    assert rubrics.conditioned_output(None) == "null"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Reasoning:** fine.\n\n**Result:** 4", 4),
        ("**Reasoning:** x\n**Result:** 5 (fully consistent)", 5),
    ],
)
def test_likert_parses_upstreams_result_format(text: str, expected: int) -> None:
    assert rubrics.likert_parser(text) == expected


def test_two_different_verdicts_are_a_failure_unless_published_quirks() -> None:
    text = "**result:**   2\n**Result:** 5"
    with pytest.raises(ParseError, match="different verdicts"):
        rubrics.likert_parser(text)
    # upstream's search takes the first: published_quirks reproduces it
    assert rubrics.quirk_value("fidelity_style", text, 0, random.Random(0)) == (
        2.0,
        rubrics.STATUS_QUIRK_FALLBACK,
    )
    assert rubrics.quirk_value("bfi", text, 0, random.Random(0)) == (
        2.0,
        rubrics.STATUS_QUIRK_FALLBACK,
    )


def test_a_readable_verdict_without_upstreams_markdown_is_read() -> None:
    # the careful reader (personascope.verdicts) reads these; upstream's regex did not
    assert rubrics.likert_parser("Result: 4") == 4
    assert rubrics.likert_parser("**Result:**4") == 4


@pytest.mark.parametrize("text", ["**Result:** 6", "**Result:** 0", "I give it a score of 4"])
def test_likert_refuses_anything_else(text: str) -> None:
    with pytest.raises(ParseError):
        rubrics.likert_parser(text)


def test_binary_and_pairwise_verdicts() -> None:
    assert rubrics.refusal_parser("**Result:** Yes, it refuses") is True
    assert rubrics.refusal_parser("**Result:** no") is False
    with pytest.raises(ParseError):
        rubrics.refusal_parser("**Result:** Maybe")
    assert rubrics.pairwise_parser(0)("**Result:** B") == 1.0
    with pytest.raises(ParseError):
        rubrics.pairwise_parser(0)("**Result:** Tie")


def test_published_quirks_reproduce_upstreams_fallbacks() -> None:
    rng = random.Random(1)
    assert rubrics.quirk_value("fidelity_style", "a score of 3", 0, rng) == (
        3.0,
        rubrics.STATUS_QUIRK_FALLBACK,
    )
    assert rubrics.quirk_value("fidelity_style", "**Result:** 7", 0, rng)[0] == 7.0
    assert rubrics.quirk_value("fidelity_style", "no verdict", 0, rng) is None
    assert rubrics.quirk_value("bfi", "a score of 3", 0, rng) is None  # upstream: no fallback
    assert rubrics.quirk_value("xstest", "unclear", 0, rng) is None
    draws = {
        rubrics.quirk_value("rolebench_general", "unclear", 0, random.Random(s))[0]
        for s in range(20)
    }
    assert draws == {0.0, 1.0}  # a random A/B, seeded
    again = rubrics.quirk_value("rolebench_general", "unclear", 0, random.Random(3))
    assert again == rubrics.quirk_value("rolebench_general", "unclear", 0, random.Random(3))


def test_the_result_formats_are_declared_verdicts_with_a_constraint() -> None:
    """Declared with personascope.verdicts: constrained decoding gets their grammar, while free
    answers are read as upstream reads them."""
    from personascope.verdicts import VerdictFormat

    for fmt in rubrics.FORMATS.values():
        assert isinstance(fmt, VerdictFormat) and fmt.label == "**Result:**"
        assert fmt.constraint("answer", 256) is not None
    assert rubrics.LIKERT.parse("**Result:** 5 (fully consistent)") == 5
    assert rubrics.PAIRWISE.parse("**Result:** b") == "B"
