"""The sparse retriever: BM25 (bm25s, Lucene variant) over passage text plus its context header."""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np


class BM25Retriever:
    """BM25 over pre-tokenised passages.

    Args:
        passage_tokens: one token list per passage (see ``ctqa.retrieval.text.tokenize``), in
            index order.
    """

    def __init__(self, passage_tokens: list[list[str]]) -> None:
        self.size = len(passage_tokens)
        self.document_frequency: Counter[str] = Counter()
        for tokens in passage_tokens:
            self.document_frequency.update(set(tokens))
        self._bm25 = bm25s.BM25()
        # bm25s cannot index an empty token list; a placeholder token keeps positions aligned.
        safe = [tokens or ["\x00empty"] for tokens in passage_tokens]
        self._bm25.index(safe, show_progress=False)
        self.vocabulary = frozenset(self.document_frequency)

    def idf(self, token: str) -> float:
        """Lucene BM25 idf of ``token``; unseen tokens get the idf of a one-passage token."""
        frequency = self.document_frequency.get(token, 1)
        return math.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query ``tokens``: shape ``(n_passages,)``, float32."""
        known = [token for token in tokens if token in self.vocabulary]
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
