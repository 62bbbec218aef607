"""Reordering rules: which of several near-equal sentences answers first.

``REORDER_RULES`` is applied in order to the scored sentences (best first); each rule may move
one sentence to the top and never drops any.

* ``prose_over_table_row`` — a body sentence that states a winning table row's value ("… the
  creation of 93 Anti-Terrorism Task Forces …" over "Number of Anti-Terrorism Task Forces 93")
  answers with its context; it wins when it scores at least ``prose_over_table_ratio`` of the row.
* ``first_mention`` — among near-equal sentences (``same_fact_ratio``) stating the same fact,
  the first mention in the document, where the fact is introduced, answers; a recap does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.scoring import ScoredSentence
from ctqa.config import AnswerSettings

Rule = Callable[[list[ScoredSentence], CorpusView, AnswerSettings], list[ScoredSentence]]


@dataclass(frozen=True)
class ReorderRule:
    name: str
    apply: Rule


def _to_top(scored: list[ScoredSentence], position: int) -> list[ScoredSentence]:
    return [scored[position], *scored[:position], *scored[position + 1 :]]


def prefer_prose(scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings) -> list[ScoredSentence]:
    """Move a prose sentence ahead of a winning table row when it states the row's value."""
    if not scored or view.passages[scored[0].passage_id].kind != "table_row":
        return scored
    value = view.row_values[scored[0].passage_id]
    floor = scored[0].probability * settings.prose_over_table_ratio
    for position, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < floor:
            break
        text = view.sentence_text(sentence.passage_id, sentence.number)
        is_prose = view.passages[sentence.passage_id].kind != "table_row"
        if is_prose and value and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text):
            return _to_top(scored, position)
    return scored


def prefer_first_mention(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings
) -> list[ScoredSentence]:
    """Among near-equal sentences that state the same fact, answer with its first mention.

    A sentence counts as the same fact when it scores at least ``same_fact_ratio`` of the best,
    has the same numbers (the best sentence must hold one: without a number, "the same fact"
    cannot be told from a similar sentence on another point), and shares half of the best
    sentence's tokens.
    """
    if len(scored) < 2:
        return scored
    best = scored[0]
    best_tokens = set(view.sentence_tokens[best.passage_id][best.number])
    best_numbers = {t for t in best_tokens if t.isdigit()}
    if not best_numbers:
        return scored
    passages = view.passages

    def position(sentence: ScoredSentence) -> tuple[str, int]:
        passage = passages[sentence.passage_id]
        return passage.doc_id, passage.sentences[sentence.number][0]

    earlier = []
    for place, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < best.probability * settings.same_fact_ratio:
            break
        tokens = set(view.sentence_tokens[sentence.passage_id][sentence.number])
        shared = len(tokens & best_tokens) / max(1, len(best_tokens))
        same_doc = passages[sentence.passage_id].doc_id == passages[best.passage_id].doc_id
        if same_doc and shared >= 0.5 and best_numbers <= tokens and position(sentence) < position(best):
            earlier.append((place, sentence))
    if not earlier:
        return scored
    place, _ = min(earlier, key=lambda item: position(item[1]))
    return _to_top(scored, place)


REORDER_RULES: tuple[ReorderRule, ...] = (
    ReorderRule("prose_over_table_row", prefer_prose),
    ReorderRule("first_mention", prefer_first_mention),
)


def reorder(scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings) -> list[ScoredSentence]:
    """``scored`` after every rule of ``REORDER_RULES``, in order."""
    for rule in REORDER_RULES:
        scored = rule.apply(scored, view, settings)
    return scored
