"""LaTeX escaping of table cells and captions."""

from __future__ import annotations

from personascope.io import latex_escape


def test_backslash_is_escaped_once_and_its_braces_are_kept() -> None:
    assert latex_escape("a\\b") == r"a\textbackslash{}b"


def test_every_special_character_is_escaped() -> None:
    assert latex_escape("{x} 5% _ & $ #") == r"\{x\} 5\% \_ \& \$ \#"
