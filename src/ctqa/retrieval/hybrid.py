"""Hybrid passage retrieval: dense (FAISS inner product) + sparse (BM25), fused.

Each retriever contributes its top ``candidates_per_retriever`` passages; the union is scored
by reciprocal-rank fusion (RRF, Cormack et al. 2009) or by a weighted sum of the dense cosine
and the max-normalised BM25 score (``fusion="weighted"``). The union is de-duplicated by passage
id, so a passage found by both sides appears once with both scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

from ctqa.config import Fusion, RetrievalSettings
from ctqa.embedding import Embedder
from ctqa.index.passage_table import passage_doc_ids
from ctqa.index.store import IndexData
from ctqa.retrieval.derived import AcronymForms, SentenceTokens
from ctqa.retrieval.query import QueryPlan, QueryRewriter
from ctqa.retrieval.sparse import BM25Retriever

__all__ = ["AcronymForms", "Candidate", "Fusion", "HybridRetriever"]



@dataclass(frozen=True)
class Candidate:
    """A retrieved passage with its scores: ``dense`` is a cosine in [-1, 1], ``bm25`` the raw
    BM25 score, ``bm25_norm`` BM25 divided by the best BM25 score of this query, ``fused`` the
    fusion score used for ranking (higher is better)."""

    passage_id: int
    dense: float
    bm25: float
    bm25_norm: float
    fused: float


class HybridRetriever:
    """Retrieves passages of one loaded index.

    Everything it reads per passage (tokens, BM25 weights, acronyms, initialisms, vocabulary) was derived at
    build time and is loaded with the index (``IndexData.derived``), so constructing a retriever
    does no work per passage, and a question touches only its candidates.

    Args:
        index: the loaded index (passages, FAISS index, sentence vectors, derived state).
        embedder: the model that embedded the index (queries must use the same one).
    """

    def __init__(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        derived = index.derived
        self.passage_tokens = derived.passage_tokens
        self.bm25 = BM25Retriever(state=derived.bm25)
        self.sentence_tokens = SentenceTokens(derived.sentence_tokens, index.sentence_offsets)
        self.sentence_context_tokens = SentenceTokens(derived.context_tokens, index.sentence_offsets)
        self.rewriter = QueryRewriter(Counter(derived.vocabulary), derived.acronyms, initialisms=derived.initialisms)
        self._passages_of: dict[str, np.ndarray] | None = None

    def passages_of(self, doc_ids: set[str]) -> np.ndarray:
        """Sorted ids of the passages of the documents ``doc_ids``."""
        if self._passages_of is None:  # built on the first restricted question, then kept
            grouped: dict[str, list[int]] = {}
            for pid, doc_id in enumerate(passage_doc_ids(self.index.passages)):
                grouped.setdefault(doc_id, []).append(pid)
            self._passages_of = {doc: np.asarray(ids, dtype=np.int64) for doc, ids in grouped.items()}
        parts = [self._passages_of[doc] for doc in doc_ids if doc in self._passages_of]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def passage_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of passages ``ids``, shape ``(len(ids), 384)``."""
        if len(ids) == 0:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.asarray(self.index.passage_index.reconstruct_batch(np.asarray(ids, dtype=np.int64)))

    def _search(self, query_vector: np.ndarray, depth: int) -> list[int]:
        """The ``depth`` nearest passages by FAISS, searched with ``settings.search_threads`` threads."""
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.settings.search_threads)
        try:
            _, ids = self.index.passage_index.search(query_vector[None, :].astype(np.float32), depth)
        finally:
            faiss.omp_set_num_threads(threads)
        return [int(i) for i in ids[0] if i >= 0]

    def embed_query(self, plan: QueryPlan) -> np.ndarray:
        """Query vector, shape ``(384,)``, unit norm."""
        return self.embedder.encode([plan.dense_text])[0]

    def retrieve(
        self,
        plan: QueryPlan,
        query_vector: np.ndarray,
        *,
        fusion: Fusion | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Candidates best first, at most ``2 * candidates_per_retriever`` of them, fused by
        ``fusion`` (default ``settings.fusion``).

        ``allowed`` optionally restricts retrieval to these passage ids (sorted; see
        ``passages_of``). The work is that of the FAISS search, the postings of the query's
        tokens and the candidates: nothing is computed over every passage.
        """
        n = len(self.index.passages)
        if n == 0:
            return []
        depth = min(self.settings.candidates_per_retriever, n)
        bm25_ids, bm25_scores = self.bm25.matches(plan.sparse_tokens, allowed)
        if allowed is None:
            dense_top = self._search(query_vector, depth)
        else:
            dense_top = [int(allowed[i]) for i in _top(self.passage_vectors(allowed) @ query_vector, depth)]
        positive = bm25_scores > 0
        bm25_ids, bm25_scores = bm25_ids[positive], bm25_scores[positive]
        bm25_top = [int(bm25_ids[i]) for i in _top(bm25_scores, min(depth, len(bm25_scores)))]
        bm25_of = dict(zip(bm25_ids.tolist(), bm25_scores.tolist(), strict=True))
        best_bm25 = bm25_of[bm25_top[0]] if bm25_top else 0.0
        dense_rank = {pid: rank for rank, pid in enumerate(dense_top)}
        bm25_rank = {pid: rank for rank, pid in enumerate(bm25_top)}
        union = sorted(dense_rank.keys() | bm25_rank.keys())
        union_vectors = self.passage_vectors(np.asarray(union, dtype=np.int64))
        fuse = FUSIONS[fusion or self.settings.fusion]
        k = self.settings.rrf_k
        candidates = []
        for pid, vector in zip(union, union_vectors, strict=True):
            dense = float(vector @ query_vector)
            bm25 = bm25_of.get(pid, 0.0)
            bm25_norm = bm25 / best_bm25 if best_bm25 > 0 else 0.0
            reciprocal = sum(1.0 / (k + 1 + ranks[pid]) for ranks in (dense_rank, bm25_rank) if pid in ranks)
            fused = fuse(dense, bm25, max(bm25_norm, 0.0), reciprocal)
            candidates.append(Candidate(pid, dense, max(bm25, 0.0), max(bm25_norm, 0.0), fused))
        candidates.sort(key=lambda c: (-c.fused, c.passage_id))
        return candidates


# How each fusion scores a candidate from (cosine, BM25, BM25 / best BM25, reciprocal ranks).
FUSIONS: dict[Fusion, Callable[[float, float, float, float], float]] = {
    "rrf": lambda dense, bm25, bm25_norm, reciprocal: reciprocal,
    "weighted": lambda dense, bm25, bm25_norm, reciprocal: 0.5 * dense + 0.5 * bm25_norm,
    "dense": lambda dense, bm25, bm25_norm, reciprocal: dense,
    "bm25": lambda dense, bm25, bm25_norm, reciprocal: bm25,
}


def _top(scores: np.ndarray, depth: int) -> list[int]:
    """Indices of the ``depth`` highest finite scores, best first (ties by lower index)."""
    if depth >= len(scores):
        order = np.lexsort((np.arange(len(scores)), -scores))
    else:
        part = np.argpartition(-scores, depth - 1)[:depth]
        order = part[np.lexsort((part, -scores[part]))]
    return [int(i) for i in order if np.isfinite(scores[i])]
