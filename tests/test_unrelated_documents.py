"""Unrelated documents added to the article's corpus (tests/data/unrelated: a NATO history and a
NATO overview that give neither its Secretary General nor its member count nor its founding
date, a recipe, a text about the EU): a number, name or date is never taken from a sentence
about something else (the fresh-clone trial answered "30", "North Atlantic" and "2001")."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from conftest import PROJECT_ROOT, BuiltArticle

pytestmark = pytest.mark.slow

UNRELATED = PROJECT_ROOT / "tests" / "data" / "unrelated"


@pytest.fixture
def mixed(article_copy: Callable[[], BuiltArticle]) -> BuiltArticle:
    copy = article_copy()
    for path in UNRELATED.iterdir():
        shutil.copy(path, copy.corpus_dir / path.name)
    report = copy.qa.build()
    assert sorted(report.added) == sorted(path.name for path in UNRELATED.iterdir())
    return copy


@pytest.mark.parametrize(
    "question",
    ["How many members does NATO have?", "Who is the NATO Secretary General?", "When was NATO founded?"],
)
def test_a_fact_the_documents_do_not_give_is_declined(mixed: BuiltArticle, question: str) -> None:
    answer = mixed.qa.ask(question)
    assert answer.abstained, (answer.text, answer.short_answer)
    assert answer.citations == [] and answer.short_answer is None


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("How many COEs are accredited by NATO?", "30"),
        ("When did NATO invoke its collective defence clause?", "2001"),
        ("How many Anti-Terrorism Task Forces did the US create?", "93"),
        ("How many people does the red lentil soup serve?", "four"),
    ],
)
def test_facts_the_documents_give_are_still_answered(mixed: BuiltArticle, question: str, short: str) -> None:
    answer = mixed.qa.ask(question)
    assert not answer.abstained and answer.short_answer is not None and answer.short_answer.text == short
