"""Lexical diversity metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from personascope.personalens import lexical


def test_tokens_lowercase_words_and_punctuation() -> None:
    assert lexical.tokens("Hi, Bob!") == ["hi", ",", "bob", "!"]


def test_distinct_n() -> None:
    texts = ["a b a", "b c"]
    # unigrams a,b,a,b,c: 3 distinct of 5
    assert lexical.distinct_n(texts, 1) == pytest.approx(3 / 5)
    # bigrams (a,b),(b,a),(b,c): 3 of 3 (no bigram across texts)
    assert lexical.distinct_n(texts, 2) == pytest.approx(1.0)
    assert math.isnan(lexical.distinct_n(["a"], 2))


def test_entropy_4() -> None:
    # 4-grams (a,b,c,d),(b,c,d,e): two equally likely -> ln 2
    assert lexical.entropy_n(["a b c d e"], 4) == pytest.approx(math.log(2))
    # (a,a,a,a) twice -> 0
    assert lexical.entropy_n(["a a a a a"], 4) == pytest.approx(0.0)
    # counts 2,1,1 over 4: -(1/2 ln 1/2 + 2 * 1/4 ln 1/4) = 1.5 ln 2
    assert lexical.entropy_n(["a b c d", "a b c d", "e f g h", "i j k l"], 4) == pytest.approx(
        1.5 * math.log(2)
    )


def test_self_bleu_extremes() -> None:
    same = "the user wants an alarm at seven tomorrow morning"
    assert lexical.self_bleu([same, same, same]) == pytest.approx(100.0)
    assert lexical.self_bleu(["alpha beta gamma delta", "one two three four"]) == pytest.approx(0.0)
    assert math.isnan(lexical.self_bleu(["only one text"]))


def test_self_bleu_orders_by_overlap() -> None:
    close = ["set an alarm for seven tomorrow", "set an alarm for six tomorrow"]
    far = ["set an alarm for seven tomorrow", "play some jazz music please now"]
    assert lexical.self_bleu(close) > lexical.self_bleu(far)
