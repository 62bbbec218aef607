"""Extractive answers: score the sentences of the top passages, answer with the best ones.

The answer is the best sentence plus, when they score nearly as well, its neighbours in the same
passage (one to three contiguous sentences, verbatim). ctqa declines when the best sentence's
probability is below ``AnswerSettings.abstain_threshold``: then no citation supports an answer,
and the closest passages are returned apart, marked as not supporting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctqa.answering.features import sentence_features
from ctqa.answering.ranker import SentenceRanker
from ctqa.config import AnswerSettings
from ctqa.retrieval.hybrid import Candidate, HybridRetriever
from ctqa.retrieval.query import QueryPlan
from ctqa.types import Citation, Passage

NOT_FOUND = "I could not find an answer to that in the documents."


@dataclass(frozen=True)
class ScoredSentence:
    """Sentence ``number`` of passage ``passage_id`` with its probability of answering."""

    passage_id: int
    number: int
    probability: float
    features: np.ndarray


def score_sentences(
    retriever: HybridRetriever,
    plan: QueryPlan,
    query_vector: np.ndarray,
    candidates: list[Candidate],
    ranker: SentenceRanker,
    n_passages: int,
) -> list[ScoredSentence]:
    """All sentences of the first ``n_passages`` candidates, best first."""
    bm25 = retriever.bm25
    query = plan.focus_tokens
    idf = {token: bm25.idf(token) for token in set(query)}
    unknown_mass = sum(idf[t] for t in set(query) if t not in bm25.vocabulary)
    query_unknown = unknown_mass / sum(idf.values()) if idf else 1.0
    rows: list[np.ndarray] = []
    keys: list[tuple[int, int]] = []
    index = retriever.index
    for rank, candidate in enumerate(candidates[:n_passages]):
        pid = candidate.passage_id
        passage = index.passages[pid]
        first = int(index.sentence_offsets[pid])
        sentence_dense = index.sentence_vectors[first : first + len(passage.sentences)] @ query_vector
        passage_tokens = set(retriever.passage_tokens[pid])
        for number, (start, end) in enumerate(passage.sentences):
            rows.append(
                sentence_features(
                    dense_sentence=float(sentence_dense[number]),
                    dense_passage=candidate.dense,
                    bm25_passage=candidate.bm25_norm,
                    query=query,
                    sentence_tokens=retriever.sentence_tokens[pid][number],
                    passage_tokens=passage_tokens,
                    sentence_text=passage.text[start - passage.start : end - passage.start],
                    passage_rank=rank,
                    answer_type=plan.answer_type,
                    idf=idf,
                    query_unknown=query_unknown,
                )
            )
            keys.append((pid, number))
    if not rows:
        return []
    features = np.vstack(rows)
    probabilities = ranker.probabilities(features)
    scored = [
        ScoredSentence(pid, number, float(p), features[i])
        for i, ((pid, number), p) in enumerate(zip(keys, probabilities))
    ]
    scored.sort(key=lambda s: (-s.probability, s.passage_id, s.number))
    return scored


def answer_span(
    scored: list[ScoredSentence], passage: Passage, settings: AnswerSettings
) -> tuple[int, int]:
    """First and last sentence numbers (inclusive) of the answer inside the best passage."""
    best = scored[0]
    by_number = {s.number: s.probability for s in scored if s.passage_id == best.passage_id}
    floor = best.probability * settings.neighbour_ratio
    first = last = best.number
    while last - first + 1 < settings.max_sentences:
        after = by_number.get(last + 1, 0.0) if last + 1 < len(passage.sentences) else 0.0
        before = by_number.get(first - 1, 0.0) if first > 0 else 0.0
        if max(after, before) < floor:
            break
        if after >= before:
            last += 1
        else:
            first -= 1
    return first, last


def citation_for(
    passage: Passage,
    score: float,
    spans: tuple[tuple[int, int], ...] = (),
    *,
    supports: bool = True,
) -> Citation:
    return Citation(
        doc_id=passage.doc_id,
        title=passage.title,
        section=passage.section,
        start=passage.start,
        end=passage.end,
        text=passage.text,
        score=round(score, 6),
        kind=passage.kind,
        path=passage.path,
        page=passage.page,
        answer_spans=spans,
        supports_answer=supports,
    )


def passage_order(scored: list[ScoredSentence], candidates: list[Candidate]) -> list[tuple[int, float]]:
    """Passages by their best sentence probability, then the remaining candidates by fusion."""
    best: dict[int, float] = {}
    for sentence in scored:
        best.setdefault(sentence.passage_id, sentence.probability)
    ordered = sorted(best.items(), key=lambda item: -item[1])
    seen = set(best)
    ordered += [(c.passage_id, 0.0) for c in candidates if c.passage_id not in seen]
    return ordered
