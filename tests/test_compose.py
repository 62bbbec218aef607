"""Composing the answer: the sentence that holds the answer first, context apart (no model)."""

from __future__ import annotations

from answering_fixtures import passage, scored, view
from ctqa.answering.compose import answer_sentences, compose_extract
from ctqa.config import AnswerSettings
from ctqa.retrieval.query import QueryPlan

SETTINGS = AnswerSettings()
DHS = passage(
    "The department has many offices. It guards the border. They also train police. Each office reports yearly",
    0,
)


def plan() -> QueryPlan:
    return QueryPlan(
        question="Who trains police?", dense_text="", sparse_tokens=[], focus_tokens=["train", "polic"],
        answer_type="other",
    )


def test_the_answer_opens_with_the_best_sentence_even_when_the_one_before_scores_near_it() -> None:
    # sentence 1 scores 0.95 of the best (sentence 2): near, but not a tie; it is not the answer
    order = [scored(0, 2, 0.9), scored(0, 1, 0.855), scored(0, 3, 0.2)]
    assert answer_sentences(order, DHS, SETTINGS) == (2, 2)


def test_sentences_after_the_best_join_while_they_score_the_neighbour_share() -> None:
    floor = 0.9 * SETTINGS.neighbour_ratio
    assert answer_sentences([scored(0, 1, 0.9), scored(0, 2, floor)], DHS, SETTINGS) == (1, 2)
    assert answer_sentences([scored(0, 1, 0.9), scored(0, 2, floor - 0.01)], DHS, SETTINGS) == (1, 1)
    # never more than max_sentences, and never past the passage's last sentence
    every = [scored(0, n, 0.9) for n in range(4)]
    assert answer_sentences(every, DHS, SETTINGS) == (0, SETTINGS.max_sentences - 1)
    assert answer_sentences([scored(0, 3, 0.9)], DHS, SETTINGS) == (3, 3)


def test_a_best_sentence_opening_with_a_pronoun_gets_the_one_before_as_context_not_as_answer() -> None:
    corpus = view(DHS)
    composed = compose_extract(plan(), [scored(0, 2, 0.9), scored(0, 1, 0.85)], [(0, 0.9)], corpus, SETTINGS, 3)
    assert composed.sentences[0] == "They also train police."
    assert composed.best_sentence == 0
    assert composed.text.startswith("They also train police.")
    assert composed.context == "It guards the border."
    assert "It guards the border." not in composed.text


def test_a_best_sentence_that_reads_alone_has_no_context() -> None:
    corpus = view(DHS)
    composed = compose_extract(plan(), [scored(0, 3, 0.9), scored(0, 2, 0.85)], [(0, 0.9)], corpus, SETTINGS, 3)
    assert composed.sentences == ["Each office reports yearly"]
    assert composed.context == ""


def test_the_answer_source_comes_first_whatever_its_score_then_the_rest_by_score_with_their_roles() -> None:
    other = passage("The table row says 93 task forces.", 200, kind="table_row", section="Table")
    far = passage("Bees make honey.", 400, section="Bees")
    corpus = view(DHS, other, far)
    scored_sentences = [scored(0, 2, 0.9), scored(1, 0, 0.99), scored(2, 0, 0.001)]
    ranked = [(1, 0.99), (0, 0.9), (2, 0.001)]
    composed = compose_extract(plan(), scored_sentences, ranked, corpus, SETTINGS, 3)
    assert [(c.start, c.score, c.role) for c in composed.citations] == [
        (0, 0.9, "answer"), (200, 0.99, "supporting"), (400, 0.001, "related")
    ]
