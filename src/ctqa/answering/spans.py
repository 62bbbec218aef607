"""Choose the short answer: of the candidate spans the answer-type table finds in the answer
sentences, the one closest to the question's own words.

* Candidates come from ``answer_types.answer_spans`` (the detector of the asked type), in the
  best sentence first, then in its neighbours in the answer.
* A span made only of the user's own words repeats the question ("the US" in "… did the US …").
* For a type with few candidates (a number, a date, a place), the lowest ``tier`` wins (a
  full name over a lone capitalised word), then the one with the most question words close by,
  then the one nearest a question word (the sliding-window and proximity heuristics of
  extractive reading comprehension: the answer sits beside the words the question shares with
  its sentence).
* For a type with many candidates (``AnswerType.scored``: the phrases of "what is X?", "what
  did X use?", "what/which X", the names of "who"), each candidate gets a score from the same
  cues plus its length and whether it holds a name or a number (``config.SpanWeights``), and
  the highest wins; a candidate far from every question word is none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from wordfreq import zipf_frequency

from ctqa.answering.answer_types import (
    BY_NAME,
    LABEL_BEFORE_RE,
    SIBLING_CUE_RE,
    Span,
    answer_spans,
    asks_for_several,
    lists,
    ranked_type,
)
from ctqa.config import AnswerSettings
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import looks_like_code, query_tokens
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
        if looks_like_code(sentences[n], settings.code_min_marks, settings.code_min_share):
            continue  # a span of code ("CREATE TABLE") is no fact to show bold
        span = best_span(plan, sentences[n], acronyms, settings)
        if span is not None:
            span = whole_list(with_label(span, sentences[n]), sentences[n], plan.question)
            return ShortAnswer(span.text, starts[n] + span.start, starts[n] + span.end, doc_id, plan.answer_type)
    return None


# Words that introduce a list or an item rather than belong to it ("like the Proliferation
# Security Initiative, …", "against al-Qaeda and the Taliban"); an article belongs to its item.
_LIST_INTRO_RE = re.compile(
    r"^(?:(?:like|including|particularly|especially|such as|as|against|with|by|from|to|for|in|on|at|of)\s+)+", re.I
)
_ARTICLE_RE = re.compile(r"^(?:the|a|an)\s+", re.I)
# "… threats posed by nation-states": a participle before "by" opens a modifier, not an item.
_PASSIVE_END_RE = re.compile(r"\s+[a-z]+ed$")


def _bare_item(text: str) -> str:
    return _ARTICLE_RE.sub("", _LIST_INTRO_RE.sub("", text)).casefold()


def with_label(span: Span, sentence: str) -> Span:
    """A bare number with the label word before it (``LABEL_BEFORE_RE``): "5" of "(Article 5)"
    is "Article 5", "3" of "Stage 3" is "Stage 3" — the number alone names nothing. Applied to
    the chosen span only: the label is often the question's own word ("Which article …?"),
    which would count against it among the candidates."""
    if span.text.isdigit() and (label := LABEL_BEFORE_RE.search(sentence[: span.start])):
        return replace(span, text=sentence[label.start() : span.end], start=label.start())
    return span


def whole_list(span: Span, sentence: str, question: str) -> Span:
    """The list of ``sentence`` that ``span`` is one item of, when ``question`` asks for several
    things (``asks_for_several``): "which terrorist groups …?" is answered by "ISIS, al-Qa'ida,
    and Hizballah", not by "Hizballah" alone. The span must be a whole item (a preposition or
    article before it aside): a phrase that only shares words with one is not one of them; and
    no item may be one the question names ("During what years was William Ellery Channing
    President …?" is not answered by "William Ellery Channing and Ralph Waldo Emerson")."""
    if not asks_for_several(question):
        return span
    item = _bare_item(span.text)
    asked = set(query_tokens(question))
    for listed in lists(sentence, question, {}):
        if not (listed.start < span.end and span.start < listed.end):
            continue
        items = {_bare_item(part) for part in _COORDINATION_RE.split(listed.text)}
        if item not in items or len(items) < 2:
            continue
        if any(named and named <= asked for named in (set(query_tokens(other)) for other in items)):
            return span  # an item the question names is what it asks about, not an answer
        intro = _LIST_INTRO_RE.match(listed.text)
        start = listed.start + (intro.end() if intro else 0)
        end = listed.end
        if sentence[end:].startswith(" by ") and (passive := _PASSIVE_END_RE.search(sentence, start, end)):
            end = passive.start()
        return Span(sentence[start:end], start, end, listed.tier)
    return span


def best_span(plan: QueryPlan, sentence: str, acronyms: Mapping[str, str], settings: AnswerSettings) -> Span | None:
    """The span of the asked type in ``sentence``: for a type with many candidates
    (``AnswerType.scored``) the best by ``span_score``; otherwise of the lowest tier, the one
    with the most question words within ``short_answer_window`` characters, then the closest to
    one; ``None`` when there is none."""
    window = settings.short_answer_window
    spans = answer_spans(sentence, plan.answer_type, plan.question, acronyms)
    # a span made of the question's words is what is asked about, not the answer; in a follow-up
    # so is one made of the thread's ("who launched it?" after a question on the Responsible
    # Cooperators Program is not answered by "the Responsible Cooperators Program")
    asked = set(plan.own_tokens) | set(query_tokens(plan.followup_of))
    spans = [completed(span, sentence) for span in spans if not set(query_tokens(span.text)) <= asked]
    if not spans:
        return None
    if plan.answer_type == "acronym":
        return spans[0]  # the corpus's own definition comes first, and is made of asked words
    # A follow-up's fact stands beside the user's own words ("what does it focus on?" ->
    # "focuses on combating opioid trafficking"), not beside the thread's ("launched in January
    # 2020" answered the question before); the thread's words anchor it only when the sentence
    # holds none of the user's.
    anchors = question_anchors(sentence, plan.own_tokens) or question_anchors(sentence, plan.focus_tokens)
    spans = _objects_of_the_asked_verb(spans, sentence, plan.question)
    if BY_NAME[plan.answer_type].scored:
        return best_scored(spans, anchors, sentence, settings, question=plan.question)

    def preference(span: Span) -> tuple[int, int, int, int]:
        return (span.tier, -density(span, anchors, sentence, window), distance(span, anchors), span.start)

    return min(spans, key=preference)


# "What does it offer?", "what did NATO create?", "what does it focus on?": "what" is the object
# of the question's last verb (with its particle), so the answer follows that verb in the sentence.
_ASKS_OBJECT_RE = re.compile(
    r"^\W*what\s+(?:does|do|did)\s+(?:[\w'’-]+\s+){1,4}?(?P<verb>[a-z]+)"
    r"(?:\s+(?:on|in|at|for|with|about|to|from|of|into|against|up|out))?\W*$",
    re.I,
)


def _objects_of_the_asked_verb(spans: list[Span], sentence: str, question: str) -> list[Span]:
    """For "what does X <verb>?", the candidates after that verb in the sentence when there are
    any: one before it is the verb's subject ("The Department of Justice's Responsible
    Cooperators Program offers immigration benefits …" answers "What does it offer?" with
    "immigration benefits")."""
    asked = _ASKS_OBJECT_RE.match(question)
    if asked is None:
        return spans
    verb = query_tokens(asked.group("verb"))
    found = question_anchors(sentence, verb) if verb else []
    if not found:
        return spans  # the sentence does not write the asked verb
    after = [span for span in spans if span.start >= found[0][1]]
    return after or spans


_POSSESSIVE_END_RE = re.compile(r"\w['’]s$")
# What a span cut short lacks: the number after a name ("Resolution 2396", "Article 5"), and the
# noun a possessive modifies ("US Attorney's district", "NATO's Battlefield Evidence Policy").
_NUMBER_AFTER_NAME_RE = re.compile(r"\s\d+(?:\.\d+)?\b")
_NOUN_AFTER_POSSESSIVE_RE = re.compile(r"\s(?:[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*|[a-z][\w-]*)")


def completed(span: Span, sentence: str) -> Span:
    """``span`` with what it was cut short of (``_NUMBER_AFTER_NAME_RE``,
    ``_NOUN_AFTER_POSSESSIVE_RE``): "United Nations Security Council Resolution" -> "…
    Resolution 2396", "US Attorney's" -> "US Attorney's district"."""
    words = span.text.split()
    if not words:
        return span
    if _POSSESSIVE_END_RE.search(span.text):
        rest = _NOUN_AFTER_POSSESSIVE_RE.match(sentence, span.end)
    elif words[-1][:1].isupper():
        rest = _NUMBER_AFTER_NAME_RE.match(sentence, span.end)
    else:
        rest = None
    return replace(span, text=sentence[span.start : rest.end()], end=rest.end()) if rest else span


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


def best_scored(
    spans: list[Span], anchors: list[tuple[int, int]], sentence: str, settings: AnswerSettings, *, question: str = ""
) -> Span | None:
    """The candidate with the highest ``span_score``; ``None`` when none stands within
    ``SpanWeights.max_distance`` characters of a question word (a phrase far from every word the
    question shares with the sentence is a guess, and a wrong bold answer misleads)."""
    if not anchors:
        return None
    near = [span for span in spans if distance(span, anchors) <= settings.span_weights.max_distance]
    siblings = SIBLING_CUE_RE.search(question) is not None
    return max(near, key=lambda span: span_score(span, anchors, sentence, settings, siblings=siblings)) if near else None


def span_score(
    span: Span, anchors: list[tuple[int, int]], sentence: str, settings: AnswerSettings, *, siblings: bool = False
) -> float:
    """How likely ``span`` answers (``SpanWeights``): its tier, the question words near it, its
    distance to the nearest one, its length against the usual answer's, and whether it holds a
    name (a capital past the sentence's first letter) or a number, and how common its words are
    in English (``commonness``); when the question names the answer's ``siblings`` ("Along with
    mills and mines, …?"), whether it is listed beside a question word (``coordinated``); and
    whether punctuation parts it from every question word (``apart``)."""
    weights = settings.span_weights
    bonus = {0: weights.tier0, 1: weights.tier1}.get(span.tier, 0.0)
    named = any(c.isupper() for c in (span.text[1:] if span.start == 0 else span.text))
    number = any(c.isdigit() for c in span.text)
    return (
        bonus
        + weights.density * density(span, anchors, sentence, settings.short_answer_window)
        - weights.distance * distance(span, anchors)
        - weights.length * abs(len(span.text.split()) - weights.words)
        + weights.name * named
        + weights.number * number
        - weights.inside * sandwiched(span, anchors)
        - weights.common * commonness(span.text)
        + weights.sibling * (siblings and coordinated(span, anchors, sentence))
        - weights.apart * apart(span, anchors, sentence)
    )


# Punctuation that ends a clause or a list item; a colon is left out, as it opens the answer
# ("three main areas: awareness, capabilities, and engagement").
_CLAUSE_BREAK_RE = re.compile(r"[,;()]")


def apart(span: Span, anchors: list[tuple[int, int]], sentence: str) -> bool:
    """Whether punctuation stands between ``span`` and every question word: no word the
    question shares with the sentence is in the candidate's clause or list item."""
    for start, end in anchors:
        if start < span.end and end > span.start:
            return False
        gap = sentence[end : span.start] if end <= span.start else sentence[span.end : start]
        if _CLAUSE_BREAK_RE.search(gap) is None:
            return False
    return True


# Between two items of a list: ", ", " and ", ", or ", with a repeated preposition (", for road
# engines").
_COORDINATION_RE = re.compile(r",?\s+(?:and|or)\s+(?:(?:the|a|an|for|in|of|on|to|with|by)\s+)?|,\s+(?:(?:the|a|an|for|in|of|on|to|with|by)\s+)?")


def coordinated(span: Span, anchors: list[tuple[int, int]], sentence: str) -> bool:
    """Whether ``span`` and a question word stand as two items of a list ("wear and thermal
    expansion", "factories, mills")."""
    return any(
        _COORDINATION_RE.fullmatch(sentence[end : span.start]) is not None or _COORDINATION_RE.fullmatch(sentence[span.end : start]) is not None
        for start, end in anchors
        if end <= span.start or start >= span.end
    )


def commonness(text: str) -> float:
    """The mean Zipf frequency in English (wordfreq; 0 for an unknown word, about 7 for "the")
    of the words of ``text``: an answer names something ("thermal expansion", "trunnion"), where
    a phrase of everyday words ("different", "rather", "various sources") rarely answers."""
    words = _WORD_RE.findall(text)
    return sum(zipf_frequency(word, "en") for word in words) / len(words) if words else 0.0


def sandwiched(span: Span, anchors: list[tuple[int, int]]) -> bool:
    """Whether question words stand right before and right after ``span`` ("the Yuan
    government used" for "What did the Yuan use …?"): a word inside the question's own phrase."""
    before = any(0 <= span.start - end <= 2 for _, end in anchors)
    after = any(0 <= start - span.end <= 2 for start, _ in anchors)
    return before and after
