"""Pooling token vectors into text vectors: the mean over a text's tokens (what
sentence-transformers' Pooling + Normalize compute) and the mean over the tokens of a character
span of the text (a sentence of a passage, read in the passage's context: "late chunking").

Pure numpy, no model: the backends give token vectors and character offsets, these functions
do the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (sentence-transformers' Normalize: norms clamped at 1e-12)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def mean_pool_normalise(token_vectors: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors over the mask, then unit length (sentence-transformers' Pooling
    and Normalize: the same clamps, 1e-9 on the count and 1e-12 on the norm).

    Args:
        token_vectors: ``(batch, sequence, dim)`` float32.
        attention_mask: ``(batch, sequence)``, 1 for real tokens.

    Returns:
        ``(batch, dim)`` float32, unit norm.
    """
    mask = attention_mask[..., None].astype(np.float32)
    summed = (token_vectors * mask).sum(axis=1)
    return normalise(summed / np.clip(mask.sum(axis=1), 1e-9, None))


@dataclass(frozen=True)
class TokenVectors:
    """One text as the model read it.

    ``vectors``: ``(tokens, dim)`` for the tokens the model read ([CLS], word pieces, [SEP]; no
    padding). ``offsets``: ``(tokens, 2)`` character ``[start, end)`` of each token in the text.
    ``special``: ``(tokens,)`` True for [CLS]/[SEP]. ``truncated``: the text went on past the
    model's window, so its end was not read.
    """

    vectors: np.ndarray
    offsets: np.ndarray
    special: np.ndarray
    truncated: bool

    def text_vector(self) -> np.ndarray:
        """The text's vector: the mean of all its tokens, unit length, ``(dim,)``."""
        return mean_pool_normalise(self.vectors[None], np.ones((1, len(self.vectors))))[0]

    def span_vectors(
        self, spans: Sequence[tuple[int, int]], passage_share: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The vector of each character span ``[start, end)`` of the text: the mean of the word
        pieces that start inside it, less ``passage_share`` times the mean of all the text's
        tokens, unit length.

        Returns ``(vectors, pooled)``: ``(len(spans), dim)`` float32 and a bool ``(len(spans),)``.
        A span is pooled only when the model read all of it (the text was not cut before the
        span's end) and at least one word piece starts inside it; the rows of spans not pooled
        are zero and the caller embeds those spans on their own.
        """
        dim = self.vectors.shape[1]
        if not spans:
            return np.zeros((0, dim), np.float32), np.zeros(0, bool)
        words = ~self.special
        starts = self.offsets[words, 0]
        # prefix sums in float64: a span's sum is the difference of two rows
        sums = np.concatenate([np.zeros((1, dim)), np.cumsum(self.vectors[words], axis=0, dtype=np.float64)])
        bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        first = np.searchsorted(starts, bounds[:, 0], side="left")
        stop = np.searchsorted(starts, bounds[:, 1], side="left")
        counts = stop - first
        pooled = counts > 0
        if self.truncated:
            # whole only if a word piece the model read starts after the span: the text was cut
            # somewhere past its end
            pooled &= stop < len(starts)
        means = (sums[stop] - sums[first]) / np.clip(counts, 1, None)[:, None]
        if passage_share:
            means -= passage_share * self.vectors.mean(axis=0, dtype=np.float64)
        vectors = np.where(pooled[:, None], normalise(means), 0.0).astype(np.float32)
        return vectors, pooled
