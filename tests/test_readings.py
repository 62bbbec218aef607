"""Question readings: a bare term is the question about it; the about-frame is no topic (no model)."""

from __future__ import annotations

from ctqa.answering.readings import READING_RULES, about_topic, read_as


def test_rules_are_named() -> None:
    assert [rule.name for rule in READING_RULES] == ["bare_term"]


def test_a_bare_term_is_read_as_the_question_about_it() -> None:
    assert read_as("NATO") == ("What does the corpus say about NATO?", "bare_term")
    assert read_as(" COE-DAT? ") == ("What does the corpus say about COE-DAT?", "bare_term")
    assert read_as("INTERPOL")[0] == "What does the corpus say about INTERPOL?"


def test_questions_chat_and_question_words_are_read_as_they_are() -> None:
    for text in ("thanks!", "ok", "Why?", "What is NATO?", "NEXUS program members", "when"):
        assert read_as(text) == (text, None), text


def test_the_about_frame_leaves_the_topic() -> None:
    assert about_topic("What does the article say about INTERPOL?") == "INTERPOL"
    assert about_topic("what do the documents tell me about the Five Eyes") == "the Five Eyes"
    assert about_topic(read_as("NATO")[0]) == "NATO"
    assert about_topic("What does NATO say about Article 5?") is None
    assert about_topic("How many task forces did the US create?") is None
