"""Identical passages from different files are cited once, naming every file that holds them."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from conftest import ARTICLE_NAME, BuiltArticle
from ctqa.answering.duplicates import merge_duplicates, normalised
from ctqa.types import Citation


def cite(doc_id: str, text: str, score: float) -> Citation:
    return Citation(doc_id=doc_id, title="T", section="S", start=0, end=len(text), text=text, score=score)


def test_normalised_ignores_case_and_white_space_only() -> None:
    assert normalised("The  Treaty\nwas signed.") == normalised("the treaty was signed.")
    assert normalised("The treaty was signed.") != normalised("The treaty was signed!")


def test_repeats_are_merged_into_the_best_ranked_citation() -> None:
    citations = [
        cite("a.txt", "NATO invoked Article 5.", 0.9),
        cite("b.txt", "Canada joined.", 0.8),
        cite("copy.txt", "NATO  invoked Article 5.", 0.7),
        cite("other.txt", "nato invoked article 5.", 0.6),
        cite("a.txt", "NATO invoked Article 5.", 0.5),  # the same file again: not named twice
    ]
    merged = merge_duplicates(citations)
    assert [(c.doc_id, c.also_in) for c in merged] == [("a.txt", ("copy.txt", "other.txt")), ("b.txt", ())]
    assert merged[0].score == 0.9
    assert Citation.from_dict(merged[0].to_dict()) == merged[0]


@pytest.mark.slow
def test_a_copied_document_is_cited_once_naming_both(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    shutil.copyfile(copy.corpus_dir / ARTICLE_NAME, copy.corpus_dir / "copy-of-the-article.txt")
    answer = copy.qa.ask("How many Anti-Terrorism Task Forces did the US create?", top_k=5)
    texts = [normalised(citation.text) for citation in answer.citations]
    assert len(texts) == len(set(texts)) == 5  # no text twice, and still five citations
    assert answer.citations[0].also_in == (
        "copy-of-the-article.txt" if answer.citations[0].doc_id == ARTICLE_NAME else ARTICLE_NAME,
    )
