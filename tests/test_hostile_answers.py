"""End to end on the article: negation pairs, one word = the question about it, decoy text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ctqa
from conftest import PROJECT_ROOT, BuiltArticle

PLANTED = PROJECT_ROOT / "eval" / "hostile_corpus"
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["NATO", "INTERPOL", "NEXUS"])
def test_one_word_is_answered_as_the_question_about_it(article_index: BuiltArticle, name: str) -> None:
    bare = article_index.qa.ask(name)
    full = article_index.qa.ask(f"What does the article say about {name}?")
    assert not full.abstained and not bare.abstained
    assert bare.text == full.text
    assert name in full.text
    assert any("Read as" in note for note in bare.notes)


def _planted_qa(article_index: BuiltArticle, tmp_path: Path, folder: str) -> ctqa.DocumentQA:
    corpus = tmp_path / "corpus"
    shutil.copytree(article_index.corpus_dir, corpus)
    shutil.copytree(PLANTED / folder, corpus / folder)
    return ctqa.DocumentQA(corpus, tmp_path / "index", embedder=article_index.qa.embedder)


def test_negated_and_plain_questions_get_their_own_sentence(article_index: BuiltArticle, tmp_path: Path) -> None:
    qa = _planted_qa(article_index, tmp_path, "pairs")
    negated = qa.ask("Which agreement does not require biometric data sharing?")
    plain = qa.ask("Which agreement requires biometric data sharing?")
    assert negated.sentences[0].startswith("Agreement B does not require")
    assert plain.sentences[0].startswith("Agreement A requires")


def test_a_decoy_about_the_answer_does_not_answer(article_index: BuiltArticle, tmp_path: Path) -> None:
    qa = _planted_qa(article_index, tmp_path, "decoys")
    answer = qa.ask("How many task forces did the US create?")
    assert "42" not in answer.text
    assert all(not citation.doc_id.startswith("decoys/") for citation in answer.citations)
