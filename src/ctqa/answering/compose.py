"""Compose an extractive answer from the reordered sentences: the exact fact first.

* The answer opens with the best sentence (after ``answering.reorder``), followed by the next
  sentences of its passage while they score at least ``neighbour_ratio`` of it (up to
  ``max_sentences``). A sentence before the best one is never part of the answer: read first, it
  would be taken for the answer.
* When the best sentence cannot be read alone (it opens with "They", "This", …), the sentence
  before it is returned as ``context``, apart from the answer, and shown as context.
* The short answer is chosen by ``answering.spans`` from the answer sentences; ``None`` for
  explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.duplicates import merge_duplicates
from ctqa.answering.scoring import ScoredSentence
from ctqa.answering.spans import choose_short_answer
from ctqa.config import AnswerSettings
from ctqa.retrieval.hybrid import Candidate
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import opens_with_reference
from ctqa.types import Citation, CitationRole, Passage, ShortAnswer


@dataclass(frozen=True)
class Composed:
    """An answer's content: ``text`` (the answer sentences, verbatim), the ``sentences``
    themselves (the best one first: ``best_sentence`` is 0), the ``context`` sentence before them
    ("" when the first reads alone), the ``short_answer`` and the ``citations`` (the first holds
    the answer sentences)."""

    text: str
    sentences: list[str]
    best_sentence: int
    context: str
    short_answer: ShortAnswer | None
    citations: list[Citation]


def answer_sentences(scored: list[ScoredSentence], passage: Passage, settings: AnswerSettings) -> tuple[int, int]:
    """First and last sentence numbers (inclusive) of the answer inside the best passage: the
    best sentence, then the sentences after it while they score at least ``neighbour_ratio`` of
    it (they continue the fact: "… 93 task forces. Each works in a district."). The answer opens
    with the best sentence: a sentence before it, read first, would be taken for the answer, and
    it holds the answer less often than the best one even when it scores within 2 % of it (on
    the SQuAD subset, docs/answering.md "The first sentence")."""
    best = scored[0]
    by_number = {s.number: s.probability for s in scored if s.passage_id == best.passage_id}
    floor = best.probability * settings.neighbour_ratio
    last = best.number
    while last - best.number + 1 < settings.max_sentences and last + 1 < len(passage.sentences):
        if by_number.get(last + 1, 0.0) < floor:
            break
        last += 1
    return best.number, last


def citation_for(
    passage: Passage,
    score: float,
    spans: tuple[tuple[int, int], ...] = (),
    *,
    supports: bool = True,
    role: CitationRole | Literal[""] = "",
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
        role=role,
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


def closest_passages(view: CorpusView, ranked: list[tuple[int, float]], top_k: int) -> list[Citation]:
    """The ``top_k`` nearest passages of a declined question, marked as not supporting an answer
    (a text held by several files once, naming them all)."""
    closest = [citation_for(view.passages[pid], score, supports=False, role="closest") for pid, score in ranked]
    return merge_duplicates(closest)[:top_k]


def compose_extract(
    plan: QueryPlan,
    scored: list[ScoredSentence],
    ranked: list[tuple[int, float]],
    view: CorpusView,
    settings: AnswerSettings,
    top_k: int,
) -> Composed:
    """The extractive answer: best sentence first, its short answer, context and citations."""
    best = scored[0]
    passage = view.passages[best.passage_id]
    first, last = answer_sentences(scored, passage, settings)
    spans = passage.sentences[first : last + 1]
    local = [(start - passage.start, end - passage.start) for start, end in spans]
    sentences = [passage.text[start:end] for start, end in local]
    context = ""
    if first > 0 and opens_with_reference(sentences[0]):
        context = view.sentence_text(best.passage_id, first - 1)
    # the answer's passage first, whatever its score (``Citation.role``), then the rest by score
    citations = [citation_for(passage, best.probability, tuple(spans), role="answer")]
    for pid, score in ranked:
        if pid != best.passage_id:
            supports = score >= settings.abstain_threshold
            role: CitationRole = "supporting" if supports else "related"
            citations.append(citation_for(view.passages[pid], score, supports=supports, role=role))
    # cut to top_k after a text held by several files is cited once, naming them all
    citations = merge_duplicates(citations)[:top_k]
    # the exact fact from the best sentence, else from its neighbours in the answer
    starts = [start for start, _ in spans]
    short = choose_short_answer(
        plan, sentences, starts, best.number - first, passage.doc_id, view.acronyms, settings, best.probability
    )
    return Composed(
        text=passage.text[local[0][0] : local[-1][1]],
        sentences=sentences,
        best_sentence=best.number - first,
        context=context,
        short_answer=short,
        citations=citations,
    )
