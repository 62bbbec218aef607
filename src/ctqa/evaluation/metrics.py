"""Answer metrics: SQuAD-normalised exact match and token F1, ROUGE-L, evidence containment."""

from __future__ import annotations

import re
import string
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

from ctqa.retrieval.text import fold

if TYPE_CHECKING:
    from rouge_score import rouge_scorer

_ARTICLES_RE = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = fold(text)
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES_RE.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(squad_normalize(prediction) == squad_normalize(gold))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two texts (0 when either is empty)."""
    predicted = squad_normalize(prediction).split()
    expected = squad_normalize(gold).split()
    common = Counter(predicted) & Counter(expected)
    overlap = sum(common.values())
    if not predicted or not expected or overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(expected)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, gold: str) -> float:
    """ROUGE-L F-measure (longest common subsequence of tokens), by ``rouge-score`` without
    stemming: the implementation summarisation papers report."""
    if not prediction.strip() or not gold.strip():
        return 0.0
    return float(_rouge_scorer().score(gold, prediction)["rougeL"].fmeasure)


@cache
def _rouge_scorer() -> rouge_scorer.RougeScorer:
    # imported here: rouge-score pulls in nltk and scipy (2 s), which only `ctqa eval` needs
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def contains_any(text: str, needles: tuple[str, ...] | list[str]) -> bool:
    """Whether any needle occurs in ``text`` (case, accents, quotes and spacing folded)."""
    haystack = " ".join(fold(text).split())
    return any(" ".join(fold(needle).split()) in haystack for needle in needles if needle)
