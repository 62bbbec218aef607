"""Passage and sentence vectors for a build, made as ``EmbeddingSettings.sentence_vectors`` says.

- ``separate``: every passage text and every sentence text is encoded on its own (two model
  runs over the same words).
- ``late``: each passage text is encoded once; its vector is the mean of all its token vectors
  (exactly what ``encode`` gives), and each sentence's vector is the mean of the token vectors of
  the word pieces starting inside the sentence's character span, unit length
  (``pooling.TokenVectors.span_vectors``). A sentence the 256-piece window did not reach whole
  is encoded on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ctqa.config import MODEL_DIMENSION, EmbeddingSettings
from ctqa.embedding import Embedder, sentence_embedder


@dataclass(frozen=True)
class PassageText:
    """A passage as the model reads it: ``text``, and ``sentences``, the ``[start, end)``
    character span of each of its sentences in ``text``."""

    text: str
    sentences: Sequence[tuple[int, int]]


@dataclass(frozen=True)
class PassageVectors:
    """``passages``: ``(n_passages, 384)``; ``sentences``: ``(n_sentences, 384)``, the sentences
    of all passages in order; both float32, unit norm. ``encoded``: texts the model ran on
    (passages plus sentences encoded on their own)."""

    passages: np.ndarray
    sentences: np.ndarray
    encoded: int


def embed_passages(
    embedder: Embedder, passages: Sequence[PassageText], settings: EmbeddingSettings, *, show_progress: bool = False
) -> PassageVectors:
    """The passage and sentence vectors of ``passages`` as ``settings.sentence_vectors`` says
    ("separate" or "late", with ``settings.late_passage_share``). Passages are embedded by
    ``embedder``; sentences encoded on their own at ``settings.sentence_vector_precision``."""
    sentence_texts = [p.text[s:e] for p in passages for s, e in p.sentences]
    alone_embedder = sentence_embedder(embedder, settings)
    if settings.sentence_vectors == "separate":
        if alone_embedder is embedder:  # one call: the texts are sorted by length together
            vectors, encoded = encode_distinct(embedder, [p.text for p in passages] + sentence_texts, show_progress)
            return PassageVectors(vectors[: len(passages)], vectors[len(passages) :], encoded)
        passage_vectors, passages_encoded = encode_distinct(embedder, [p.text for p in passages], show_progress)
        sentence_vectors, sentences_encoded = encode_distinct(alone_embedder, sentence_texts, show_progress)
        return PassageVectors(passage_vectors, sentence_vectors, passages_encoded + sentences_encoded)
    first = np.concatenate([[0], np.cumsum([len(p.sentences) for p in passages])]).astype(np.int64)
    passage_vectors = np.zeros((len(passages), MODEL_DIMENSION), np.float32)
    sentence_vectors = np.zeros((len(sentence_texts), MODEL_DIMENSION), np.float32)
    pooled = np.zeros(len(sentence_texts), bool)
    for number, tokens in embedder.token_vectors([p.text for p in passages], show_progress=show_progress):
        passage_vectors[number] = tokens.text_vector()
        rows = slice(int(first[number]), int(first[number + 1]))
        sentence_vectors[rows], pooled[rows] = tokens.span_vectors(passages[number].sentences, settings.late_passage_share)
    alone = np.flatnonzero(~pooled)
    if len(alone):
        sentence_vectors[alone] = alone_embedder.encode([sentence_texts[i] for i in alone])
    return PassageVectors(passage_vectors, sentence_vectors, len(passages) + len(alone))


def encode_distinct(embedder: Embedder, texts: list[str], show_progress: bool = False) -> tuple[np.ndarray, int]:
    """The vectors of ``texts`` (one row each, in order), each distinct text encoded once — a
    line repeated through a file (a header, a footer, a table's recurring cell, a log's refrain)
    costs one model run — and the number of texts encoded."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) == len(texts):
        return embedder.encode(texts, show_progress=show_progress), len(texts)
    vectors = embedder.encode(distinct, show_progress=show_progress)
    row = {text: number for number, text in enumerate(distinct)}
    return vectors[[row[text] for text in texts]], len(distinct)
