"""Sentence scoring (``answering.scoring``) on a hand-built corpus view: no model."""

from __future__ import annotations

import numpy as np

from answering_fixtures import passage, view
from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.ranker import hand_ranker
from ctqa.answering.scoring import score_sentences
from ctqa.config import AnswerSettings
from ctqa.retrieval.hybrid import Candidate
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import tokenize

TYPE_MATCH = FEATURE_NAMES.index("type_match")
ROW = "Number of participants in the 2021 and 2023 NATO counter-terrorism courses 50"
DATED_ROW = "Year NATO invoked its collective defence clause 2001"


def type_matches(question: str, answer_type: str) -> list[float]:
    tokens = tokenize(question)
    plan = QueryPlan(question, question, tokens, tokens, answer_type, own_tokens=tokens)  # type: ignore[arg-type]
    corpus = view(
        passage(ROW, 0, kind="table_row"), passage(DATED_ROW, 100, kind="table_row"), row_values=("50", "2001")
    )
    candidates = [Candidate(0, 0.5, 1.0, 1.0, 1.0), Candidate(1, 0.5, 1.0, 1.0, 0.5)]
    scored = score_sentences(corpus, plan, np.ones(4, np.float32), candidates, hand_ranker(), 2, AnswerSettings())
    by_passage = {s.passage_id: float(s.features[TYPE_MATCH]) for s in scored}
    return [by_passage[0], by_passage[1]]


def test_a_table_row_answers_with_its_value_not_a_date_or_number_of_its_label() -> None:
    # the row of a count holds no date: its "2021 and 2023" only name the courses
    assert type_matches("when was it set up", "date") == [0.0, 1.0]
    # and the row of a year holds no count
    assert type_matches("how many people took part", "number") == [1.0, 0.0]
