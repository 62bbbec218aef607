"""Hybrid passage retrieval: dense (FAISS inner product) + sparse (BM25), fused.

Each retriever contributes its top ``candidates_per_retriever`` passages; the union is scored
by reciprocal-rank fusion (RRF, Cormack et al. 2009) or by a weighted sum of the dense cosine
and the max-normalised BM25 score (``fusion="weighted"``). The union is de-duplicated by passage
id, so a passage found by both sides appears once with both scores.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ctqa.config import RetrievalSettings
from ctqa.embedding import Embedder
from ctqa.index.store import IndexData
from ctqa.retrieval.acronyms import learn_acronyms
from ctqa.retrieval.query import QueryPlan, QueryRewriter
from ctqa.retrieval.sparse import BM25Retriever
from ctqa.retrieval.text import opens_with_reference, tokenize, words
from ctqa.types import Passage

Fusion = Literal["rrf", "weighted", "dense", "bm25"]


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

    Args:
        index: the loaded index (passages, FAISS index, sentence vectors).
        embedder: the model that embedded the index (queries must use the same one).
    """

    def __init__(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        passages = index.passages
        self.passage_tokens = [tokenize(f"{p.context_header()} {p.text}") for p in passages]
        # BM25 leaves out the document title: repeated in every passage of its document, it would
        # drive the idf of the document's own topic words to zero ("states", "cooperate" and
        # "fight" in "Fighting Terrorism: States' Strategies ... Cooperation") and hide the
        # passage that uses them. The dense side still reads the title in the header.
        self.bm25 = BM25Retriever([tokenize(f"{p.section_header()} {p.text}") for p in passages])
        self.sentence_tokens = [
            [tokenize(p.text[s - p.start : e - p.start]) for s, e in p.sentences] for p in passages
        ]
        acronyms = learn_acronyms(document.text for document in index.documents.values())
        acronym_forms = AcronymForms.from_definitions(acronyms)
        self.sentence_context_tokens = [
            [acronym_forms.add_to(tokens) for tokens in _with_antecedent(p, sentence_tokens)]
            for p, sentence_tokens in zip(passages, self.sentence_tokens, strict=True)
        ]
        self.passage_vectors = (
            index.passage_index.reconstruct_n(0, index.passage_index.ntotal)
            if index.passage_index.ntotal
            else np.zeros((0, embedder.dimension), dtype=np.float32)
        )
        vocabulary: Counter[str] = Counter()
        for passage in passages:
            vocabulary.update(set(words(f"{passage.section} {passage.text}")))
        self.rewriter = QueryRewriter(vocabulary, acronyms)

    def embed_query(self, plan: QueryPlan) -> np.ndarray:
        """Query vector, shape ``(384,)``, unit norm."""
        return self.embedder.encode([plan.dense_text])[0]

    def retrieve(
        self,
        plan: QueryPlan,
        query_vector: np.ndarray,
        *,
        fusion: Fusion = "rrf",
        allowed: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Candidates best first, at most ``2 * candidates_per_retriever`` of them.

        ``allowed`` is an optional boolean mask over passages (restricts to some documents).
        """
        n = len(self.index.passages)
        if n == 0:
            return []
        depth = min(self.settings.candidates_per_retriever, n)
        bm25_all = self.bm25.scores(plan.sparse_tokens)
        if allowed is None:
            _, ids = self.index.passage_index.search(query_vector[None, :].astype(np.float32), depth)
            dense_top = [int(i) for i in ids[0] if i >= 0]
        else:
            masked = np.where(allowed, self.passage_vectors @ query_vector, -np.inf)
            bm25_all = np.where(allowed, bm25_all, -np.inf)
            dense_top = _top(masked, depth)
        bm25_top = [i for i in _top(bm25_all, depth) if bm25_all[i] > 0]
        best_bm25 = float(bm25_all[bm25_top[0]]) if bm25_top else 0.0
        dense_rank = {int(i): rank for rank, i in enumerate(dense_top)}
        bm25_rank = {int(i): rank for rank, i in enumerate(bm25_top)}
        k = self.settings.rrf_k
        candidates = []
        for pid in dense_rank.keys() | bm25_rank.keys():
            if allowed is not None and not allowed[pid]:
                continue
            bm25_norm = float(bm25_all[pid]) / best_bm25 if best_bm25 > 0 else 0.0
            dense = float(self.passage_vectors[pid] @ query_vector)
            if fusion == "rrf":
                fused = sum(1.0 / (k + 1 + ranks[pid]) for ranks in (dense_rank, bm25_rank) if pid in ranks)
            elif fusion == "weighted":
                fused = 0.5 * dense + 0.5 * max(bm25_norm, 0.0)
            elif fusion == "dense":
                fused = dense
            else:
                fused = float(bm25_all[pid])
            candidates.append(Candidate(pid, dense, float(max(bm25_all[pid], 0.0)), max(bm25_norm, 0.0), fused))
        candidates.sort(key=lambda c: (-c.fused, c.passage_id))
        return candidates


def _with_antecedent(passage: Passage, tokens: list[list[str]]) -> list[list[str]]:
    """Each sentence's tokens, plus the previous sentence's when it opens with a pronoun.

    "They collaborate with various partners ..." is about what the sentence before names
    (DHS); borrowing that sentence's words lets a question about DHS find it.
    """
    result = []
    for number, (start, end) in enumerate(passage.sentences):
        own = tokens[number]
        text = passage.text[start - passage.start : end - passage.start]
        if number > 0 and opens_with_reference(text):
            own = own + [t for t in tokens[number - 1] if t not in own]
        result.append(own)
    return result


@dataclass(frozen=True)
class AcronymForms:
    """The two token forms of each acronym a corpus defines, found from a sentence's own tokens
    (one dictionary lookup per token, so the cost does not grow with the number of acronyms)."""

    by_short: dict[str, tuple[str, ...]]
    by_long_start: dict[str, list[tuple[str, tuple[str, ...]]]]

    @classmethod
    def from_definitions(cls, acronyms: dict[str, str]) -> AcronymForms:
        """From ``{acronym: long form}`` (``retrieval.acronyms.learn_acronyms``)."""
        by_short: dict[str, tuple[str, ...]] = {}
        by_long_start: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for acronym, long_form in acronyms.items():
            short, long = tokenize(acronym), tuple(tokenize(long_form))
            if len(short) == 1 and long:
                by_short[short[0]] = long
                by_long_start.setdefault(long[0], []).append((short[0], long))
        return cls(by_short, by_long_start)

    def add_to(self, tokens: list[str]) -> list[str]:
        """``tokens`` plus the other form of each defined acronym they hold.

        "DHS focuses on detection ..." answers "what does the Department of Homeland Security
        focus on?": the sentence is scored as if it also said the long form (and the reverse).
        """
        present = set(tokens)
        extra: list[str] = []
        for token in present:
            for other in self.by_short.get(token, ()):
                if other not in present and other not in extra:
                    extra.append(other)
            for short, long in self.by_long_start.get(token, ()):
                if short not in present and short not in extra and present.issuperset(long):
                    extra.append(short)
        return tokens + extra if extra else tokens


def _top(scores: np.ndarray, depth: int) -> list[int]:
    """Indices of the ``depth`` highest finite scores, best first (ties by lower index)."""
    if depth >= len(scores):
        order = np.lexsort((np.arange(len(scores)), -scores))
    else:
        part = np.argpartition(-scores, depth - 1)[:depth]
        order = part[np.lexsort((part, -scores[part]))]
    return [int(i) for i in order if np.isfinite(scores[i])]
