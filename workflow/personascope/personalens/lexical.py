"""Lexical diversity of generated text: Dist-1, Dist-2, Ent-4 and Self-BLEU.

- Dist-n (Li et al. 2016): distinct n-grams / all n-grams over the whole set of texts.
- Ent-n (Zhang et al. 2018): Shannon entropy (natural log) of the n-gram frequency distribution
  over the whole set of texts.
- Self-BLEU (Zhu et al. 2018): the mean sentence BLEU (sacrebleu, 0-100) of each text against
  all the other texts as references; higher means less diverse.
Tokens: lowercased words and punctuation marks (`\\w+` runs and single other characters).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def ngrams(toks: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]


def ngram_counts(texts: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        counts.update(ngrams(tokens(text), n))
    return counts


def distinct_n(texts: Sequence[str], n: int) -> float:
    """NaN when the texts hold no n-gram at all."""
    counts = ngram_counts(texts, n)
    total = sum(counts.values())
    return len(counts) / total if total else float("nan")


def entropy_n(texts: Sequence[str], n: int) -> float:
    counts = ngram_counts(texts, n)
    total = sum(counts.values())
    if not total:
        return float("nan")
    return -sum(c / total * math.log(c / total) for c in counts.values())


def self_bleu(texts: Sequence[str]) -> float:
    """NaN with fewer than two non-empty texts (no references)."""
    from sacrebleu.metrics import BLEU

    kept = [t for t in texts if t.strip()]
    if len(kept) < 2:
        return float("nan")
    # effective_order: short texts would otherwise score 0 for lacking 4-grams
    bleu = BLEU(effective_order=True)
    scores = [
        bleu.sentence_score(hyp, kept[:i] + kept[i + 1 :]).score for i, hyp in enumerate(kept)
    ]
    return sum(scores) / len(scores)


def diversity(texts: Sequence[str]) -> dict[str, float]:
    return {
        "dist1": distinct_n(texts, 1),
        "dist2": distinct_n(texts, 2),
        "ent4": entropy_n(texts, 4),
        "self_bleu": self_bleu(texts),
    }
