"""A ``CorpusView`` built by hand from a few passages, for the fast tests of the answering rules."""

from __future__ import annotations

import numpy as np

from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.scoring import ScoredSentence
from ctqa.retrieval.text import tokenize
from ctqa.types import Passage


def passage(text: str, start: int, *, kind: str = "paragraph", section: str = "Body", doc_id: str = "doc.txt") -> Passage:
    """A passage of document ``doc_id`` at ``start``, cut into sentences at ". "."""
    sentences, position = [], 0
    for piece in text.split(". "):
        end = position + len(piece) + (1 if position + len(piece) < len(text) else 0)
        sentences.append((start + position, start + min(end, len(text))))
        position = end + 1
    return Passage(doc_id, "Doc", section, kind, start, start + len(text), text, tuple(sentences))  # type: ignore[arg-type]


def view(*passages: Passage, row_values: tuple[str, ...] | None = None) -> CorpusView:
    sentence_tokens = [[tokenize(p.text[s - p.start : e - p.start]) for s, e in p.sentences] for p in passages]
    vocabulary = frozenset(t for p in passages for t in tokenize(p.text))
    return CorpusView(
        passages=list(passages),
        passage_tokens=[tokenize(f"{p.section} {p.text}") for p in passages],
        sentence_tokens=sentence_tokens,
        sentence_context_tokens=sentence_tokens,
        vocabulary=vocabulary,
        idf=lambda token: 1.0,
        acronyms={},
        sentence_vectors=np.zeros((sum(len(p.sentences) for p in passages), 4), dtype=np.float32),
        sentence_offsets=np.cumsum([0, *[len(p.sentences) for p in passages]])[:-1],
        row_values=row_values or tuple("" for _ in passages),
        passages_of=lambda doc_ids: [pid for pid, p in enumerate(passages) if p.doc_id in doc_ids],
    )


def scored(passage_id: int, number: int, probability: float, *, type_match: bool = True) -> ScoredSentence:
    features = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    features[FEATURE_NAMES.index("type_match")] = 1.0 if type_match else 0.0
    return ScoredSentence(passage_id, number, probability, features)
