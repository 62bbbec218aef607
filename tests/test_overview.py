"""Overview selection (``ctqa.answering.overview``) on hand-made passages and vectors: no model.

Checks the budget, the sentence counts, one unit per passage, redundancy, pronoun handling and
that every unit is its document's text verbatim at its offsets.
"""

from __future__ import annotations

import numpy as np
import pytest

from ctqa.answering.overview import (
    Unit,
    lexrank,
    passage_units,
    question_overlap,
    redundancy_of,
    select_units,
    word_overlap,
)
from ctqa.config import OverviewSettings
from ctqa.types import Passage

DOCUMENT = (
    "NATO shares information with the EU. They also train partners in Kuwait. "
    "Canada and the US share border data. The NEXUS program speeds travel. "
    "This includes 1.8 million members. "
    "The State Department counters terrorist financing. It also tracks narcotics."
)


def _passage(first: str, last: str, section: str) -> Passage:
    start = DOCUMENT.index(first)
    end = DOCUMENT.index(last) + len(last)
    sentences, position = [], start
    while position < end:
        stop = DOCUMENT.index(". ", position) + 1 if ". " in DOCUMENT[position:end] else end
        sentences.append((position, stop))
        position = stop + 1
    return Passage("doc.txt", "Doc", section, "paragraph", start, end, DOCUMENT[start:end], tuple(sentences))


PASSAGES = [
    _passage("NATO shares", "in Kuwait.", "NATO"),
    _passage("Canada and", "million members.", "Canada"),
    _passage("The State Department counters", "tracks narcotics.", "State"),
]


def _units(relevance: list[list[float]]) -> list[Unit]:
    return [u for pid, (p, r) in enumerate(zip(PASSAGES, relevance, strict=True)) for u in passage_units(pid, p, r)]


def test_units_are_verbatim_and_carry_the_sentence_they_lean_on() -> None:
    units = _units([[0.9, 0.8], [0.7, 0.6, 0.5], [0.4, 0.3]])
    for unit in units:
        assert DOCUMENT[unit.start : unit.end] == unit.text
    leaning = [u for u in units if u.text.startswith("NATO shares") and u.sentences == 2]
    assert leaning and leaning[0].text.endswith("in Kuwait.")
    assert leaning[0].relevance == pytest.approx(0.8)  # the relevance of the leaning sentence
    # "This includes 1.8 million members." carries "The NEXUS program speeds travel."
    assert any(u.text == "The NEXUS program speeds travel. This includes 1.8 million members." for u in units)
    assert not any(u.text.startswith(("They", "This", "It")) for u in units)


def test_a_leaning_sentence_that_opens_its_passage_is_skipped() -> None:
    start = DOCUMENT.index("They also")
    end = DOCUMENT.index("in Kuwait.") + len("in Kuwait.")
    alone = Passage("doc.txt", "Doc", "NATO", "paragraph", start, end, DOCUMENT[start:end], ((start, end),))
    assert passage_units(0, alone, [1.0]) == []


def _vectors(units: list[Unit], same: set[int] = frozenset()) -> np.ndarray:
    """One orthogonal vector per unit, except the units in ``same`` which share one."""
    vectors = np.eye(len(units) + 1, dtype=np.float32)[: len(units)]
    for i in same:
        vectors[i] = np.eye(len(units) + 1, dtype=np.float32)[len(units)]
    return vectors


def test_one_unit_per_passage_in_document_order_within_budget() -> None:
    units = _units([[0.9, 0.85], [0.7, 0.6, 0.5], [0.8, 0.75]])
    settings = OverviewSettings(max_chars=600, min_relevance_ratio=0.0)
    chosen = select_units(units, _vectors(units), settings)
    assert [u.passage_id for u in chosen] == [0, 1, 2]
    assert len(" ".join(u.text for u in chosen)) <= 600
    assert [u.start for u in chosen] == sorted(u.start for u in chosen)


def test_budget_and_sentence_limit_are_kept() -> None:
    units = _units([[0.9, 0.85], [0.7, 0.6, 0.5], [0.8, 0.75]])
    tight = select_units(units, _vectors(units), OverviewSettings(max_chars=80, min_relevance_ratio=0.0))
    assert tight and len(" ".join(u.text for u in tight)) <= 80
    few = select_units(units, _vectors(units), OverviewSettings(max_sentences=2, min_relevance_ratio=0.0))
    assert sum(u.sentences for u in few) <= 2


@pytest.mark.parametrize("objective", ["mmr", "coverage"])
def test_a_redundant_unit_loses_to_a_new_one(objective: str) -> None:
    units = _units([[0.9, 0.1], [0.85, 0.1, 0.1], [0.75, 0.1]])
    names = [u.text[:12] for u in units]
    nato, canada, state = names.index("NATO shares "), names.index("Canada and t"), names.index("The State De")
    # Canada's first sentence says the same as NATO's (same vector): the less relevant but new
    # State sentence is chosen.
    vectors = _vectors(units, same={nato, canada})
    settings = OverviewSettings(max_sentences=2, objective=objective, min_relevance_ratio=0.0)
    chosen = select_units(units, vectors, settings)
    assert {u.text[:12] for u in chosen} == {names[nato], names[state]}


def test_first_unit_is_kept_and_low_relevance_is_dropped() -> None:
    units = _units([[0.9, 0.1], [0.2, 0.1, 0.1], [0.3, 0.1]])
    state = next(u for u in units if u.text.startswith("The State Department"))
    chosen = select_units(units, _vectors(units), OverviewSettings(min_relevance_ratio=0.6), first=state)
    assert state in chosen
    assert all(u.relevance >= 0.54 or u is state for u in chosen)
    assert not any(u.text.startswith("Canada") for u in chosen)


def test_the_first_unit_leads_and_the_rest_follow_in_document_order() -> None:
    units = _units([[0.9, 0.85], [0.7, 0.6, 0.5], [0.8, 0.75]])
    last_passage = next(u for u in units if u.passage_id == 2)
    chosen = select_units(units, _vectors(units), OverviewSettings(min_relevance_ratio=0.0), first=last_passage)
    # the answer's best sentence is read first; the others keep the document's order
    assert chosen[0] is last_passage
    assert [u.passage_id for u in chosen] == [2, 0, 1]


def test_an_unknown_objective_is_named() -> None:
    units = _units([[0.9, 0.1], [0.2, 0.1, 0.1], [0.3, 0.1]])
    with pytest.raises(ValueError, match="objective must be one of mmr, coverage"):
        select_units(units, _vectors(units), OverviewSettings(objective="lead"))


def test_max_units_bounds_the_items() -> None:
    units = _units([[0.9, 0.85], [0.7, 0.6, 0.5], [0.8, 0.75]])
    settings = OverviewSettings(min_relevance_ratio=0.0)
    assert len(select_units(units, _vectors(units), settings)) == 3
    two = select_units(units, _vectors(units), settings, max_units=2)
    assert len(two) == 2
    assert {u.passage_id for u in two} == {0, 2}  # the two most relevant passages


def test_word_redundancy_counts_shared_content_words() -> None:
    units = _units([[0.9, 0.1], [0.85, 0.1, 0.1], [0.75, 0.1]])
    overlap = word_overlap(units)
    names = [u.text[:12] for u in units]
    canada, nexus = names.index("Canada and t"), names.index("The NEXUS pr")
    assert overlap[canada, canada] == pytest.approx(1.0)
    # the NEXUS unit ("... speeds travel. This includes 1.8 million members.") has no word of
    # "Canada and the US share border data."
    assert overlap[nexus, canada] == 0.0
    # a unit that repeats another's words is redundant by words, whatever its vector says
    chosen = select_units(
        units, _vectors(units), OverviewSettings(max_sentences=2, min_relevance_ratio=0.0),
        redundancy=np.where(np.eye(len(units)) > 0, 1.0, 0.0) + _pair(len(units), names.index("NATO shares "), canada),
    )
    assert {u.text[:12] for u in chosen} == {"NATO shares ", "The State De"}


def _pair(n: int, i: int, j: int) -> np.ndarray:
    matrix = np.zeros((n, n))
    matrix[i, j] = matrix[j, i] = 1.0
    return matrix


def test_question_overlap_is_the_share_of_question_words_held() -> None:
    units = _units([[0.9, 0.1], [0.85, 0.1, 0.1], [0.75, 0.1]])
    share = question_overlap("How do Canada and the US share data?", units)
    by_text = {u.text[:12]: x for u, x in zip(units, share, strict=True)}
    assert by_text["Canada and t"] == pytest.approx(1.0)  # canada, us, share, data
    assert by_text["The State De"] == 0.0


def test_lexrank_ranks_the_unit_others_resemble_first() -> None:
    similarity = np.array([[1.0, 0.9, 0.8], [0.9, 1.0, 0.1], [0.8, 0.1, 1.0]])
    rank = lexrank(similarity)
    assert rank.max() == pytest.approx(1.0)
    assert int(np.argmax(rank)) == 0 and rank[1] < 1.0 and rank[2] < 1.0



def test_redundancy_by_name_and_an_unknown_one_is_named() -> None:
    units = _units([[0.9, 0.1], [0.85, 0.1, 0.1], [0.75, 0.1]])
    vectors = _vectors(units)
    assert np.array_equal(redundancy_of(units, vectors, "words"), word_overlap(units))
    assert np.allclose(redundancy_of(units, vectors, "embedding"), np.eye(len(units)))
    with pytest.raises(ValueError, match="redundancy must be one of embedding, words, not 'bleu'"):
        redundancy_of(units, vectors, "bleu")
