"""The sentence ranker: a logistic model over ``FEATURE_NAMES`` giving P(sentence answers).

Two weight sets exist. The default is hand-set (``config.RankerSettings``). ``squad_ranker.json`` beside this file
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
from ctqa.config import RankerSettings

WEIGHTS_FILE = Path(__file__).with_name("squad_ranker.json")



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


def hand_ranker(settings: RankerSettings | None = None) -> SentenceRanker:
    """The hand-set ranker of ``settings`` (default ``RankerSettings()``); a weight table that
    does not name each of ``FEATURE_NAMES`` once raises ``ValueError``."""
    settings = settings or RankerSettings()
    weights = dict(settings.weights)
    if sorted(weights) != sorted(FEATURE_NAMES) or len(settings.weights) != len(FEATURE_NAMES):
        raise ValueError(f"ranker weights must name each feature once ({', '.join(FEATURE_NAMES)})")
    return SentenceRanker(np.array([weights[name] for name in FEATURE_NAMES], dtype=np.float32), settings.bias, "hand-set")


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
