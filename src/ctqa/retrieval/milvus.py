"""Hybrid retrieval served by Milvus: one ``hybrid_search`` (dense + Milvus's BM25) per question.

``MilvusRetriever`` is a ``HybridRetriever`` whose candidates come from Milvus instead of FAISS
and bm25s, so answering reads the same ``Candidate`` values from either store.

Fusion. ctqa's "weighted" fusion is ``0.5 × cosine + 0.5 × BM25 / best BM25 of the query``.
The closest Milvus ranker is ``WeightedRanker(0.5, 0.5)``; it normalises each side with an
arctan (inner product: ``0.5 + arctan(s) / π``; BM25: ``2 · arctan(s) / π``) instead of dividing
BM25 by the query's best score, so its order differs where BM25 scores are large. Milvus's
ranker therefore picks the candidate pool (the union of its top ``candidates_per_retriever``
passages by each side, as the embedded store takes), and the pool is ordered by ctqa's own
formula: the cosine is computed from the vector Milvus returns, the BM25 share from the BM25
that answering reads anyway. "rrf" uses ``RRFRanker(rrf_k)`` and keeps Milvus's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ctqa.config import RetrievalSettings
from ctqa.embedding import Embedder
from ctqa.index.milvus_store import MilvusPassages, MilvusSentenceVectors, passage_key
from ctqa.index.store import IndexData
from ctqa.retrieval.hybrid import Candidate, Fusion, HybridRetriever
from ctqa.retrieval.query import QueryPlan


def _weighted_ranker(settings: RetrievalSettings) -> Any:
    from pymilvus import WeightedRanker

    return WeightedRanker(0.5, 0.5)


def _rrf_ranker(settings: RetrievalSettings) -> Any:
    from pymilvus import RRFRanker

    return RRFRanker(settings.rrf_k)


def _dense_ranker(settings: RetrievalSettings) -> Any:
    from pymilvus import WeightedRanker

    return WeightedRanker(1.0, 0.0)


def _bm25_ranker(settings: RetrievalSettings) -> Any:
    from pymilvus import WeightedRanker

    return WeightedRanker(0.0, 1.0)


# The Milvus ranker standing for each ctqa fusion.
RANKERS: dict[str, Callable[[RetrievalSettings], Any]] = {
    "weighted": _weighted_ranker,
    "rrf": _rrf_ranker,
    "dense": _dense_ranker,
    "bm25": _bm25_ranker,
}

# ctqa's score of a candidate (dense cosine, BM25 / best BM25, raw BM25, Milvus's score) for
# the fusions it can recompute from what Milvus returns; others keep Milvus's score.
RESCORE: dict[str, Callable[[float, float, float, float], float]] = {
    "weighted": lambda dense, bm25_norm, bm25, milvus: 0.5 * dense + 0.5 * bm25_norm,
    "dense": lambda dense, bm25_norm, bm25, milvus: dense,
    "bm25": lambda dense, bm25_norm, bm25, milvus: bm25,
}


class MilvusRetriever(HybridRetriever):
    """Retrieves passages of an index whose vectors are in Milvus.

    Args:
        index: the index's text and offsets (``milvus_store.load_milvus_index``).
        store: the open Milvus collections of that index.
    """

    def __init__(
        self, index: IndexData, embedder: Embedder, settings: RetrievalSettings, store: MilvusPassages
    ) -> None:
        super().__init__(index, embedder, settings)
        self.store = store
        self.passage_ids = {passage_key(p): number for number, p in enumerate(index.passages)}

    def retrieve(
        self,
        plan: QueryPlan,
        query_vector: np.ndarray,
        *,
        fusion: Fusion | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Candidates best first, at most ``2 * candidates_per_retriever`` of them (see
        ``HybridRetriever.retrieve``); the sentence vectors of the best ones are fetched too."""
        fusion = fusion or self.settings.fusion
        passages = self.index.passages
        if not passages:
            return []
        depth = min(self.settings.candidates_per_retriever, len(passages))
        # ``allowed``: sorted passage ids (``HybridRetriever.passages_of``), as for the FAISS store
        doc_ids = None if allowed is None else sorted({passages[int(i)].doc_id for i in allowed})
        hits = self.store.hybrid_search(
            query_vector, plan.sparse_tokens, depth, RANKERS[fusion](self.settings), doc_ids
        )
        # the in-process BM25 of the passages holding a query word only (not every passage)
        bm25_ids, bm25_scores = self.bm25.matches(plan.sparse_tokens, allowed)
        bm25_of = dict(zip(bm25_ids.tolist(), bm25_scores.tolist(), strict=True))
        best_bm25 = float(bm25_scores.max()) if len(bm25_scores) else 0.0
        rescore = RESCORE.get(fusion)
        candidates = []
        for hit in hits:
            pid = self.passage_ids.get(hit.key)
            if pid is None:  # a row of a document this index no longer holds
                continue
            bm25 = bm25_of.get(pid, 0.0)
            bm25_norm = bm25 / best_bm25 if best_bm25 > 0 else 0.0
            dense = float(hit.vector @ query_vector)
            fused = rescore(dense, bm25_norm, bm25, hit.score) if rescore else hit.score
            candidates.append(Candidate(pid, dense, bm25, bm25_norm, fused))
        candidates.sort(key=lambda c: (-c.fused, c.passage_id))
        vectors = self.index.sentence_vectors
        if isinstance(vectors, MilvusSentenceVectors):
            vectors.prefetch([c.passage_id for c in candidates[: self.settings.passages_for_answer]])
        return candidates
