"""The sparse retriever: BM25 (bm25s, Lucene variant) over passage text plus its context header.

bm25s builds the index once, at build time; what it computes is a sparse matrix of per-passage
BM25 term weights, stored column by token (``BM25State``: CSC ``data`` / ``indices`` /
``indptr``). The index saves those arrays and loads them memory-mapped, so a load never
re-indexes the corpus. A query reads only the postings of its own tokens: the cost of ``top``
grows with the number of passages holding the query's words, not with the corpus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import bm25s
import numpy as np

# bm25s cannot index an empty token list; a placeholder token keeps positions aligned. Tokens
# come from ``ctqa.retrieval.text.tokenize`` ([a-z0-9]), so no query can ever hold it.
EMPTY_PLACEHOLDER = "\x00empty"


@dataclass(frozen=True)
class BM25State:
    """BM25 term weights of every passage, column by token (CSC, as bm25s computes them).

    ``columns[c]`` is the token of column ``c``; the passages holding it are
    ``indices[indptr[c]:indptr[c + 1]]`` with weights ``data[...]`` (float32).
    """

    size: int
    columns: list[str]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray

    @classmethod
    def build(cls, passage_tokens: list[list[str]]) -> BM25State:
        """Index ``passage_tokens`` (one token list per passage, in index order) with bm25s."""
        if not passage_tokens:
            empty = np.zeros(0, dtype=np.float32)
            return cls(0, [], empty, np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))
        documents = [tokens or [EMPTY_PLACEHOLDER] for tokens in passage_tokens]
        # The vocabulary is given in sorted token order: bm25s's own numbers its tokens in the
        # order of a set, which varies with the process's hash seed, so two builds of one corpus
        # would write the same weights in different column orders (different index files).
        vocabulary = {token: number for number, token in enumerate(sorted({t for tokens in documents for t in tokens}))}
        model = bm25s.BM25()
        ids = [[vocabulary[token] for token in tokens] for tokens in documents]
        model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
        indptr = np.asarray(model.scores["indptr"])
        n_columns = len(indptr) - 1
        columns = [""] * n_columns
        for token, column in model.vocab_dict.items():
            if column < n_columns:
                columns[column] = token
        return cls(
            size=len(passage_tokens),
            columns=columns,
            data=np.asarray(model.scores["data"], dtype=np.float32),
            indices=np.asarray(model.scores["indices"]),
            indptr=indptr,
        )


class BM25Retriever:
    """BM25 over pre-tokenised passages.

    Args:
        passage_tokens: one token list per passage (see ``ctqa.retrieval.text.tokenize``), in
            index order; or ``state``, the saved ``BM25State`` of an index.
    """

    def __init__(self, passage_tokens: list[list[str]] | None = None, *, state: BM25State | None = None) -> None:
        if state is None:
            state = BM25State.build(passage_tokens or [])
        self.state = state
        self.size = state.size
        self._column = {token: c for c, token in enumerate(state.columns) if token not in ("", EMPTY_PLACEHOLDER)}
        self.vocabulary = frozenset(self._column)

    def document_frequency(self, token: str) -> int:
        """Number of passages holding ``token`` (0 if none)."""
        column = self._column.get(token)
        if column is None:
            return 0
        return int(self.state.indptr[column + 1] - self.state.indptr[column])

    def idf(self, token: str) -> float:
        """Lucene BM25 idf of ``token``; unseen tokens get the idf of a one-passage token."""
        frequency = self.document_frequency(token) or 1
        return math.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))

    def matches(self, tokens: list[str], allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The passages holding any of ``tokens`` and their BM25 scores: ``(ids, scores)``, ids
        ascending, scores float32 and positive.

        A token repeated in ``tokens`` counts as often as it is repeated. The sums are taken in
        float32 in the order of ``tokens``, as bm25s's ``get_scores`` does, so the scores are
        bit-identical to it. ``allowed`` (sorted passage ids) keeps only those passages.
        """
        state = self.state
        columns = [self._column[token] for token in tokens if token in self._column]
        if not columns or self.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        spans = [(int(state.indptr[c]), int(state.indptr[c + 1])) for c in columns]
        ids = np.unique(np.concatenate([state.indices[start:end] for start, end in spans]))
        scores = np.zeros(len(ids), dtype=np.float32)
        for start, end in spans:
            np.add.at(scores, np.searchsorted(ids, state.indices[start:end]), state.data[start:end])
        if allowed is not None:
            keep = np.isin(ids, allowed, assume_unique=True)
            ids, scores = ids[keep], scores[keep]
        return ids.astype(np.int64), scores

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query ``tokens``: shape ``(n_passages,)``, float32."""
        result = np.zeros(self.size, dtype=np.float32)
        ids, scores = self.matches(tokens)
        result[ids] = scores
        return result
