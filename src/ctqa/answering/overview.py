"""Extractive overviews: the answer to a broad question, several cited sentences from across the corpus.

A query-focused extractive summary. The pool is the prose sentences of the best retrieved
passages (``OverviewSettings.passages``); each gets a relevance (its cosine with the question,
plus a share of its passage's fused retrieval score, plus a share of the question's content
words it holds, optionally plus its LexRank centrality in the pool). Sentences are then chosen
greedily, at most one unit per passage and at most ``top_k`` units, within a character budget,
by one of two objectives (``OBJECTIVES``):

* ``mmr`` — maximal marginal relevance (Carbonell & Goldstein 1998): the next unit maximises
  ``lambda * relevance - (1 - lambda) * redundancy with the chosen units``, the redundancy
  counted in content words or in embedding cosine (``REDUNDANCIES``);
* ``coverage`` — facility location (Lin & Bilmes 2011): the next unit adds most to
  ``sum over pool units i of relevance_i * max cosine(i, chosen)``, i.e. the chosen units
  together stand in for the whole relevant pool.

The best answer sentence of the one-to-three-sentence answer is chosen first, so an overview
always holds what the factoid answer would have said. A sentence opening with a pronoun that
leans on the sentence before ("They also ...", "This includes ...") is one unit with that
sentence; when it opens its passage (no sentence before it) it is left out. The best answer
sentence's unit leads (the first sentence is read as the answer), the other chosen units follow
in document order, verbatim with their offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ctqa.answering.compose import citation_for
from ctqa.config import OverviewSettings
from ctqa.retrieval.hybrid import Candidate, HybridRetriever
from ctqa.retrieval.text import opens_with_reference, query_tokens, tokenize
from ctqa.types import Answer, Citation, OverviewItem, Passage

if TYPE_CHECKING:
    from ctqa.index.store import IndexData


@dataclass(frozen=True)
class Unit:
    """A selectable piece of an overview: sentences ``first``..``last`` of passage ``passage_id``.

    ``start``/``end`` are offsets in the document text; ``text`` is that span verbatim;
    ``sentences`` counts the sentences it holds; ``relevance`` is the relevance of its last
    sentence (the antecedents only make it readable).
    """

    passage_id: int
    first: int
    last: int
    start: int
    end: int
    text: str
    relevance: float
    section: str = ""

    @property
    def sentences(self) -> int:
        return self.last - self.first + 1


def passage_units(
    passage_id: int, passage: Passage, relevance: Sequence[float], max_antecedents: int = OverviewSettings.max_antecedents
) -> list[Unit]:
    """One unit per sentence of ``passage``; a sentence that leans on the one before carries it
    (up to ``max_antecedents`` back), and is dropped when nothing before it in the passage can.

    Args:
        passage_id: the passage's index.
        passage: the passage.
        relevance: one relevance per sentence of the passage.
        max_antecedents: ``OverviewSettings.max_antecedents``.
    """
    texts = [passage.text[s - passage.start : e - passage.start] for s, e in passage.sentences]
    units = []
    for number, (_, end) in enumerate(passage.sentences):
        first = number
        while first > number - max_antecedents and first >= 0 and opens_with_reference(texts[first]):
            first -= 1
        if first < 0 or opens_with_reference(texts[first]):
            continue  # leans on text outside the passage, or on a chain too long to carry
        start = passage.sentences[first][0]
        units.append(
            Unit(passage_id, first, number, start, end, passage.text[start - passage.start : end - passage.start],
                 float(relevance[number]), passage.section)
        )
    return units


def _unit_vectors(units: Sequence[Unit], sentence_vectors: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """Unit-norm vector of each unit: the normalised sum of its sentences' vectors; shape (n, dim)."""
    rows = [sentence_vectors(u.passage_id, u.first)[: u.sentences].sum(axis=0) for u in units]
    matrix = np.vstack(rows).astype(np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def lexrank(similarity: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """Continuous LexRank (Erkan & Radev 2004) of each unit in the pool, scaled so the most central
    unit scores 1: a unit that many other pool units resemble states what the passages share."""
    weights = np.clip(similarity, 0.0, None).astype(np.float64)
    np.fill_diagonal(weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    n = len(weights)
    transition = np.where(totals > 0, weights / np.maximum(totals, 1e-12), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * transition.T @ rank
    return rank / rank.max()


def word_overlap(units: Sequence[Unit]) -> np.ndarray:
    """``overlap[i, j]``: the share of unit i's content words (stemmed, no stopwords) that unit j
    holds; the redundancy of i once j is chosen, counted in words rather than in meaning."""
    token_sets = [set(tokenize(u.text)) for u in units]
    return np.array(
        [[len(a & b) / len(a) if a else 0.0 for b in token_sets] for a in token_sets], dtype=np.float64
    )


def question_overlap(question: str, units: Sequence[Unit]) -> np.ndarray:
    """The share of the question's content words (``query_tokens``) each unit holds."""
    asked = set(query_tokens(question))
    if not asked:
        return np.zeros(len(units))
    return np.array([len(asked & set(tokenize(u.text))) / len(asked) for u in units], dtype=np.float64)


def _embedding_redundancy(units: Sequence[Unit], vectors: np.ndarray) -> np.ndarray:
    return (vectors @ vectors.T).astype(np.float64)


def _word_redundancy(units: Sequence[Unit], vectors: np.ndarray) -> np.ndarray:
    return word_overlap(units)


# How much of unit i unit j already says, chosen by name in ``OverviewSettings.redundancy``.
REDUNDANCIES: dict[str, Callable[[Sequence[Unit], np.ndarray], np.ndarray]] = {
    "embedding": _embedding_redundancy,
    "words": _word_redundancy,
}


def redundancy_of(units: Sequence[Unit], vectors: np.ndarray, name: str) -> np.ndarray:
    """``REDUNDANCIES[name]`` of the pool; ``ValueError`` naming the allowed names otherwise."""
    if name not in REDUNDANCIES:
        raise ValueError(f"overview redundancy must be one of {', '.join(REDUNDANCIES)}, not {name!r}")
    return REDUNDANCIES[name](units, vectors)


def _mmr_gain(relevance: np.ndarray, similarity: np.ndarray, chosen: list[int], lam: float) -> np.ndarray:
    redundancy = similarity[:, chosen].max(axis=1) if chosen else np.zeros(len(relevance))
    return lam * relevance - (1 - lam) * redundancy


def _coverage_gain(relevance: np.ndarray, similarity: np.ndarray, chosen: list[int], lam: float) -> np.ndarray:
    covered = similarity[:, chosen].max(axis=1) if chosen else np.zeros(len(relevance))
    # gain of adding j: sum_i rel_i * max(0, sim(i, j) - covered_i)
    return (relevance[:, None] * np.maximum(similarity - covered[:, None], 0.0)).sum(axis=0)


Objective = Callable[[np.ndarray, np.ndarray, list[int], float], np.ndarray]
# The two selection objectives, chosen by name in ``OverviewSettings.objective``.
OBJECTIVES: dict[str, Objective] = {"mmr": _mmr_gain, "coverage": _coverage_gain}


def select_units(
    units: Sequence[Unit],
    vectors: np.ndarray,
    settings: OverviewSettings,
    *,
    first: Unit | None = None,
    redundancy: np.ndarray | None = None,
    max_units: int | None = None,
) -> list[Unit]:
    """Choose the overview's units: ``first`` (when chosen) leads, the rest follow in document
    order (passage, then offset).

    Args:
        units: the pool (see ``passage_units``).
        vectors: unit-norm vectors of the pool, shape ``(len(units), dim)``.
        settings: budget, sentence counts, objective and its trade-off.
        first: a unit chosen before any other (the factoid answer's best sentence), when it fits.
        redundancy: ``redundancy[i, j]`` how much of unit i unit j already says; the cosine of
            their vectors when not given.
        max_units: at most this many units (overview items), e.g. the asked ``top_k``.

    Returns:
        At most ``settings.max_sentences`` sentences in all, their texts joined by single spaces
        within ``settings.max_chars``, at most one unit per passage, no two units overlapping.

    Raises:
        ValueError: ``settings.objective`` is not one of ``OBJECTIVES``.
    """
    if settings.objective not in OBJECTIVES:
        raise ValueError(f"overview objective must be one of {', '.join(OBJECTIVES)}, not {settings.objective!r}")
    if not units:
        return []
    gain_of = OBJECTIVES[settings.objective]
    relevance = np.array([u.relevance for u in units], dtype=np.float64)
    floor = settings.min_relevance_ratio * relevance.max()
    similarity = (vectors @ vectors.T).astype(np.float64) if redundancy is None else redundancy
    chosen: list[int] = []
    used_chars = -1  # the first unit needs no joining space
    used_sentences = 0
    open_ = {i for i, u in enumerate(units) if u.relevance >= floor}
    if first is not None and first in units:
        open_.add(units.index(first))

    def fits(i: int) -> bool:
        unit = units[i]
        return used_chars + 1 + len(unit.text) <= settings.max_chars and used_sentences + unit.sentences <= settings.max_sentences

    while open_ and (max_units is None or len(chosen) < max_units):
        if not chosen and first is not None and first in units and fits(units.index(first)):
            pick = units.index(first)
        else:
            candidates = [i for i in open_ if fits(i)]
            if not candidates:
                break
            gains = gain_of(relevance, similarity, chosen, settings.mmr_lambda)
            pick = max(candidates, key=lambda i: (gains[i], -i))
        chosen.append(pick)
        used_chars += 1 + len(units[pick].text)
        used_sentences += units[pick].sentences
        picked = units[pick]
        open_ = {
            i for i in open_
            if units[i].passage_id != picked.passage_id  # one unit per passage: spread the sources
            and not (settings.one_per_section and units[i].section == picked.section)
        }
    ordered = sorted((units[i] for i in chosen), key=lambda u: (u.passage_id, u.start))
    # The sentence read first is the answer: the factoid's best sentence leads (a person reads the
    # first sentence as the answer), the others follow in document order as its context.
    if first is not None and first in ordered:
        ordered.remove(first)
        ordered.insert(0, first)
    return ordered


def with_overview(
    answer: Answer,
    retriever: HybridRetriever,
    query_vector: np.ndarray,
    candidates: list[Candidate],
    settings: OverviewSettings,
    top_k: int | None = None,
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> Answer:
    """``answer`` (to a broad question) turned into an overview; unchanged when it was declined
    or fewer than two units are found (then the one-to-three-sentence answer says it better).

    ``encode`` (unit-norm vectors of texts) re-embeds the question (``answer.query``, the text
    ``query_vector`` was embedded from) and the pool's sentences; without it the index's stored
    sentence vectors and ``query_vector`` are read. The overview picks among near-tied sentences
    (``OverviewSettings.score_precision``), which int8 vectors reorder.

    ``Answer.text`` becomes the chosen units joined by spaces, ``sentences`` their texts,
    ``overview`` the cited items. ``top_k`` bounds the items, one passage each, and the citations
    are exactly the quoted passages (so an overview shows at most ``top_k`` sources, as a factoid
    answer does).
    """
    if answer.abstained or not answer.citations:
        return answer
    index = retriever.index
    passages = index.passages
    # a "Label Value" table row is no sentence to read in a list
    pool = [c for c in candidates[: settings.passages] if passages[c.passage_id].kind != "table_row"]
    vectors_of, question_vector = _pool_vectors(pool, index, query_vector, answer.query, encode)
    units: list[Unit] = []
    for candidate in pool:
        pid = candidate.passage_id
        cosine = vectors_of[pid] @ question_vector
        units.extend(passage_units(pid, passages[pid], cosine + settings.passage_weight * candidate.fused, settings.max_antecedents))
    if not units:
        return answer

    def sentence_vectors(pid: int, number: int) -> np.ndarray:
        return vectors_of[pid][number:]

    best = answer.citations[0]
    best_span = best.answer_spans[answer.best_sentence] if answer.best_sentence < len(best.answer_spans) else None
    vectors = _unit_vectors(units, sentence_vectors)
    units = _rescored(units, vectors, answer.question, settings)  # same units, same order
    first = None
    if settings.start_with_answer and best_span:
        first = next((u for u in units if u.end == best_span[1] and passages[u.passage_id].doc_id == best.doc_id), None)
    redundancy = redundancy_of(units, vectors, settings.redundancy)
    chosen = select_units(units, vectors, settings, first=first, redundancy=redundancy, max_units=top_k)
    if len(chosen) < 2:
        return answer
    fused = {c.passage_id: c.fused for c in candidates}
    citations, items = _cite(answer.citations, chosen, passages, fused)
    return replace(
        answer,
        text=" ".join(u.text for u in chosen),
        sentences=[u.text for u in chosen],
        best_sentence=chosen.index(first) if first in chosen else 0,
        citations=citations,
        overview=items,
    )


def _pool_vectors(
    pool: Sequence[Candidate],
    index: IndexData,
    query_vector: np.ndarray,
    query: str,
    encode: Callable[[list[str]], np.ndarray] | None,
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """(passage id -> its sentences' vectors, question vector): the index's stored vectors and
    ``query_vector``, or with ``encode`` the question and the pool's sentences embedded afresh
    (one call: a few dozen short texts)."""
    passages = index.passages
    if encode is None:
        stored = {}
        for candidate in pool:
            offset = int(index.sentence_offsets[candidate.passage_id])
            count = len(passages[candidate.passage_id].sentences)
            stored[candidate.passage_id] = np.asarray(index.sentence_vectors[offset : offset + count])
        return stored, query_vector
    texts = [p.text[s - p.start : e - p.start] for p in (passages[c.passage_id] for c in pool) for s, e in p.sentences]
    vectors = encode([query, *texts])
    fresh, row = {}, 1
    for candidate in pool:
        count = len(passages[candidate.passage_id].sentences)
        fresh[candidate.passage_id] = vectors[row : row + count]
        row += count
    return fresh, vectors[0]


def _rescored(units: list[Unit], vectors: np.ndarray, question: str, settings: OverviewSettings) -> list[Unit]:
    """The units with ``centrality_weight`` x LexRank centrality and ``question_weight`` x the share
    of the question's content words they hold added to their relevance."""
    extra = np.zeros(len(units))
    if settings.centrality_weight:
        extra += settings.centrality_weight * lexrank(vectors @ vectors.T)
    if settings.question_weight:
        extra += settings.question_weight * question_overlap(question, units)
    if not extra.any():
        return units
    return [replace(u, relevance=u.relevance + float(x)) for u, x in zip(units, extra, strict=True)]


def _cite(
    citations: list[Citation], chosen: list[Unit], passages: Sequence[Passage], fused: dict[int, float]
) -> tuple[list[Citation], list[OverviewItem]]:
    """The passages the overview quotes, one citation each with its ``answer_spans`` set to the
    quoted sentences: first those among ``citations`` (in their order, best first), then the rest
    by fused score; and the items, numbered by these citations."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for unit in chosen:
        passage = passages[unit.passage_id]
        spans.setdefault(unit.passage_id, []).extend(passage.sentences[unit.first : unit.last + 1])
    key_of = {(p.doc_id, p.start, p.end): pid for pid, p in ((u.passage_id, passages[u.passage_id]) for u in chosen)}
    cited: list[Citation] = []
    number_of: dict[int, int] = {}
    for citation in citations:
        pid = key_of.get((citation.doc_id, citation.start, citation.end))
        if pid is not None and pid not in number_of:
            cited.append(replace(citation, answer_spans=tuple(spans[pid]), supports_answer=True))
            number_of[pid] = len(cited)
    for pid in sorted(set(spans) - set(number_of), key=lambda p: -fused.get(p, 0.0)):
        cited.append(citation_for(passages[pid], fused.get(pid, 0.0), tuple(spans[pid])))
        number_of[pid] = len(cited)
    items = [
        OverviewItem(
            text=u.text,
            citation=number_of[u.passage_id],
            doc_id=passages[u.passage_id].doc_id,
            section=passages[u.passage_id].section,
            start=u.start,
            end=u.end,
        )
        for u in chosen
    ]
    return cited, items
