"""Choose the short answer: of the candidate spans the answer-type table finds in the answer
sentences, the one closest to the question's own words.

* Candidates come from ``answer_types.answer_spans`` (the detector of the asked type), in the
  best sentence first, then in its neighbours in the answer.
* A span made only of the user's own words repeats the question ("the US" in "… did the US …").
* Of the rest, the lowest ``tier`` wins (a full name over a lone capitalised word), then the
  one with the most question words close by, then the one nearest a question word (the
  sliding-window and proximity heuristics of extractive reading comprehension: the answer sits
  beside the words the question shares with its sentence).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ctqa.answering.answer_types import Span, answer_spans, ranked_type
from ctqa.config import AnswerSettings
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import query_tokens
from ctqa.types import ShortAnswer

_WORD_RE = re.compile(r"[\w'’-]+")


def choose_short_answer(
    plan: QueryPlan,
    sentences: Sequence[str],
    starts: Sequence[int],
    best: int,
    doc_id: str,
    acronyms: Mapping[str, str],
    settings: AnswerSettings,
    probability: float = 1.0,
) -> ShortAnswer | None:
    """The short answer in ``sentences`` (``starts``: where each begins in the document; ``best``:
    the best sentence's index, ``probability`` its score), looked for in the best sentence first;
    ``None`` when none fits, or when the type is one the sentence ranker does not read ("what/which
    X", an organisation) and the best sentence scores below ``short_answer_floor`` (a wrong fact
    shown bold misleads more than none)."""
    if probability < settings.short_answer_floor and ranked_type(plan.answer_type) == "other":
        return None  # the ranker did not look for the type: the sentence vouches less for a span
    order = [best, *[n for n in range(len(sentences)) if n != best]]
    for n in order:
        span = best_span(plan, sentences[n], acronyms, settings.short_answer_window)
        if span is not None:
            return ShortAnswer(span.text, starts[n] + span.start, starts[n] + span.end, doc_id, plan.answer_type)
    return None


def best_span(plan: QueryPlan, sentence: str, acronyms: Mapping[str, str], window: int) -> Span | None:
    """The span of the asked type in ``sentence`` with the most question words within
    ``window`` characters, then the closest to one; ``None`` when there is none."""
    spans = answer_spans(sentence, plan.answer_type, plan.question, acronyms)
    own = set(plan.own_tokens)
    spans = [span for span in spans if not set(query_tokens(span.text)) <= own]
    if not spans:
        return None
    if plan.answer_type == "acronym":
        return spans[0]  # the corpus's own definition comes first, and is made of asked words
    anchors = question_anchors(sentence, plan.focus_tokens)
    if plan.answer_type in SCORED_TYPES:
        return best_phrase(spans, anchors, sentence, window)

    def preference(span: Span) -> tuple[int, int, int, int]:
        return (span.tier, -density(span, anchors, sentence, window), distance(span, anchors), span.start)

    return min(spans, key=preference)


def density(span: Span, anchors: list[tuple[int, int]], sentence: str, window: int) -> int:
    """How many different question words stand within ``window`` characters of ``span``."""
    near = {
        sentence[start:end].casefold()
        for start, end in anchors
        if (end <= span.start and span.start - end <= window) or (start >= span.end and start - span.end <= window)
    }
    return len(near)


def question_anchors(sentence: str, focus_tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Offsets of the sentence's words that the question uses (after stemming)."""
    asked = set(focus_tokens)
    return [m.span() for m in _WORD_RE.finditer(sentence) if asked & set(query_tokens(m.group(0)))]


def distance(span: Span, anchors: list[tuple[int, int]]) -> int:
    """Characters between ``span`` and the nearest question word in the sentence outside it."""
    outside = [a for a in anchors if a[1] <= span.start or a[0] >= span.end]
    if not outside:
        return 0
    return min(span.start - end if end <= span.start else start - span.end for start, end in outside)


SCORED_TYPES = ("phrase", "thing", "person")
PHRASE_WEIGHTS = {"tier0": 5.0, "tier1": 0.5, "density": 0.25, "distance": 0.1, "after": 0.0, "length": 1.0, "target": 3.0, "name": 2.0, "number": 1.0, "max_distance": 60}


def best_phrase(spans: list[Span], anchors: list[tuple[int, int]], sentence: str, window: int) -> Span | None:
    w = PHRASE_WEIGHTS

    def score(span: Span) -> float:
        near = distance(span, anchors)
        after = any(0 <= span.start - end <= 6 for _, end in anchors)
        named = any(c.isupper() for c in (span.text[1:] if span.start == 0 else span.text))
        number = any(c.isdigit() for c in span.text)
        return (
            w["density"] * density(span, anchors, sentence, window)
            - w["distance"] * near
            + w["after"] * after
            - w["length"] * abs(len(span.text.split()) - w["target"])
            + w.get(f"tier{span.tier}", 0.0)
            + w["name"] * named
            + w["number"] * number
        )

    if not anchors:
        return None
    spans = [s for s in spans if distance(s, anchors) <= w["max_distance"]]
    return max(spans, key=score) if spans else None
