"""The sentence ranker: a logistic model over ``FEATURE_NAMES`` giving P(sentence answers).

Two weight sets exist. The default is hand-set (below). ``squad_ranker.json`` beside this file
was learnt by ``scripts/train_ranker.py`` on 8 of the 16 SQuAD 2.0 articles in ``shared/data``
(the other 8 held out): it is better on SQuAD's Wikipedia paragraphs and worse on the article's
web text (docs/evaluation.md, "SQuAD 2.0 subset"), so it is opt-in: ``DocumentQA(ranker=learned_ranker())`` or
``ctqa eval --ranker squad``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctqa.answering.features import FEATURE_NAMES

WEIGHTS_FILE = Path(__file__).with_name("squad_ranker.json")

# Hand-set: meaning first (dense), then the question's rare words in the sentence; a question
# whose rare words occur nowhere in the corpus is about something else. query_unknown was -8
# (chosen on eval/article_questions.jsonl before the answer-type and asked-name declines
# existed); on a blind set of 50 questions written by someone who never saw the rules, -8
# declined 4 of 25 paraphrased answerable questions ("rally international backing") and -3 to
# -5 none, with every other set unchanged; -4 also halves SQuAD's false abstentions.
_HAND_WEIGHTS = {
    "dense_sentence": 5.0,
    "dense_passage": 2.0,
    "bm25_passage": 1.0,
    "overlap_sentence": 3.0,
    "overlap_passage": 1.0,
    "bigram_sentence": 1.0,
    "passage_rank": 0.5,
    "type_match": 0.5,
    "type_miss": -4.0,
    "query_unknown": -4.0,
    "length": 0.0,
}
_HAND_BIAS = -6.0


@dataclass(frozen=True)
class SentenceRanker:
    """``probabilities(features)`` maps an ``(n, len(FEATURE_NAMES))`` array to ``(n,)`` in [0, 1]."""

    weights: np.ndarray
    bias: float
    source: str

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(features)))

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(FEATURE_NAMES),
            "weights": [float(w) for w in self.weights],
            "bias": float(self.bias),
            "source": self.source,
        }


def hand_ranker() -> SentenceRanker:
    weights = np.array([_HAND_WEIGHTS[name] for name in FEATURE_NAMES], dtype=np.float32)
    return SentenceRanker(weights, _HAND_BIAS, "hand-set")


def ranker_from_file(path: Path) -> SentenceRanker:
    """Load weights saved by ``SentenceRanker.to_dict``; a feature-list mismatch raises ValueError."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURE_NAMES:
        raise ValueError(f"{path} was trained on other features: {data['features']}")
    return SentenceRanker(np.array(data["weights"], dtype=np.float32), float(data["bias"]), str(data["source"]))


def learned_ranker() -> SentenceRanker:
    """The logistic-regression weights learnt on the SQuAD train half (``squad_ranker.json``)."""
    return ranker_from_file(WEIGHTS_FILE)


def default_ranker() -> SentenceRanker:
    """The ranker ``DocumentQA`` uses unless told otherwise: the hand-set one (see module doc)."""
    return hand_ranker()


RANKERS = {"hand": hand_ranker, "squad": learned_ranker}
