"""Overviews end to end on the real article (loads the model).

The expected facts were read off the article's sections, not off ctqa's output.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import BuiltArticle
from ctqa.config import OverviewSettings
from ctqa.qa import DocumentQA
from ctqa.types import Answer

pytestmark = pytest.mark.slow

COOPERATE = "How can states cooperate to fight terrorists?"
STRATEGIES = "What are the main strategies states use against terrorism?"


def _document(built: BuiltArticle, answer: Answer) -> str:
    retriever = built.qa.ensure_ready()
    return retriever.index.documents[answer.overview[0].doc_id].text


def test_a_broad_question_gets_a_cited_overview(article_index: BuiltArticle) -> None:
    answer = article_index.qa.ask(STRATEGIES)
    settings = OverviewSettings()
    assert not answer.abstained
    assert 2 <= len(answer.overview) <= settings.max_sentences
    assert len(answer.text) <= settings.max_chars
    assert answer.text == " ".join(item.text for item in answer.overview)
    assert answer.sentences == [item.text for item in answer.overview]
    text = _document(article_index, answer)
    sections = set()
    for item in answer.overview:
        assert text[item.start : item.end] == item.text  # verbatim at its offsets
        citation = answer.citations[item.citation - 1]
        assert citation.start <= item.start and item.end <= citation.end
        assert citation.supports_answer and citation.section == item.section
        sections.add(item.section)
        assert not item.text.startswith(("They ", "This ", "It ", "These "))
    assert len(sections) >= 2  # from across the article (intro, State Department, NATO), not one passage
    # the factoid answer's best sentence leads; the others follow in document order
    assert answer.best_sentence == 0
    rest = [i.start for i in answer.overview[1:]]
    assert rest == sorted(rest)
    assert Answer.from_dict(answer.to_dict()) == answer


def test_factoid_answers_do_not_change(article_index: BuiltArticle) -> None:
    question = "How many Anti-Terrorism Task Forces did the US create?"
    with_overviews = article_index.qa.ask(question)
    without = DocumentQA(
        article_index.corpus_dir, article_index.index_dir, embedder=article_index.qa.embedder,
        settings=replace(article_index.qa.settings, overview=OverviewSettings(enabled=False)),
    ).ask(question)
    assert with_overviews.overview == []
    assert replace(with_overviews, latency_ms=0.0) == replace(without, latency_ms=0.0)


def test_overviews_off_gives_the_short_answer(article_index: BuiltArticle) -> None:
    qa = DocumentQA(
        article_index.corpus_dir, article_index.index_dir, embedder=article_index.qa.embedder,
        settings=replace(article_index.qa.settings, overview=OverviewSettings(enabled=False)),
    )
    answer = qa.ask(COOPERATE)
    assert answer.overview == [] and 1 <= len(answer.sentences) <= 3


@pytest.mark.parametrize("top_k", [2, 3, 6])
def test_top_k_bounds_the_items_and_the_sources(article_index: BuiltArticle, top_k: int) -> None:
    answer = article_index.qa.ask(STRATEGIES, top_k=top_k)
    assert 2 <= len(answer.overview) <= top_k
    # every source is quoted by an item, each item's number points at its own source
    assert sorted({item.citation for item in answer.overview}) == list(range(1, len(answer.citations) + 1))
    assert all(c.supports_answer and c.answer_spans for c in answer.citations)
