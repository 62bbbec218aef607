"""Question readings: a bare term is the question about it; the about-frame is no topic (no model)."""

from __future__ import annotations

import pytest

from ctqa.answering.readings import (
    READING_RULES,
    Reading,
    about_topic,
    asked_questions,
    read_as,
    unresolved_pronoun_note,
    without_document_frame,
)


def test_rules_are_named() -> None:
    assert [rule.name for rule in READING_RULES] == ["several_questions", "bare_term"]


def test_a_bare_term_is_read_as_the_question_about_it() -> None:
    assert read_as("NATO") == Reading(
        "What does the corpus say about NATO?", "bare_term", "Read as “What does the corpus say about NATO?”"
    )
    assert read_as(" COE-DAT? ").question == "What does the corpus say about COE-DAT?"
    assert read_as("INTERPOL").question == "What does the corpus say about INTERPOL?"
    # in a conversation one word may lean on it ("Canada?"): read as it is
    assert read_as("NATO", in_conversation=True) == Reading("NATO")


def test_questions_chat_and_question_words_are_read_as_they_are() -> None:
    for text in ("thanks!", "ok", "Why?", "What is NATO?", "NEXUS program members", "when", "Really? What is NATO?"):
        assert read_as(text) == Reading(text), text


def test_a_message_of_several_questions_is_read_as_its_first() -> None:
    message = "What is NEXUS? Who founded COE-DAT?"
    assert asked_questions(message) == ["What is NEXUS?", "Who founded COE-DAT?"]
    for in_conversation in (False, True):
        reading = read_as(message, in_conversation=in_conversation)
        assert reading.question == "What is NEXUS?" and reading.rule == "several_questions"
        assert reading.note == (
            "The message asks 2 questions; this answers the first. Ask the others one at a time: “Who founded COE-DAT?”"
        )
    three = read_as("Really? What is NEXUS? Who founded COE-DAT? When was NATO founded?")
    assert three.question == "What is NEXUS?" and three.note.startswith("The message asks 3 questions")


def test_the_about_frame_leaves_the_topic() -> None:
    assert about_topic("What does the article say about INTERPOL?") == "INTERPOL"
    assert about_topic("what do the documents tell me about the Five Eyes") == "the Five Eyes"
    assert about_topic(read_as("NATO").question) == "NATO"
    assert about_topic("What does NATO say about Article 5?") is None
    assert about_topic("How many task forces did the US create?") is None


def test_a_repeated_question_is_answered_once_and_a_long_list_is_named_in_part() -> None:
    repeated = read_as("Where is COE-DAT? " * 55)
    assert repeated.question == "Where is COE-DAT?"
    assert repeated.note == "The message repeats one question 55 times; this answers it once."
    # repeats (case and spacing aside) are named once; at most NOTE_NAMES_AT_MOST others are quoted
    many = read_as("What is NEXUS? who founded  COE-DAT? Who founded COE-DAT? " + " ".join(f"What is item {i}?" for i in range(5)))
    assert many.note == (
        "The message asks 7 questions; this answers the first. Ask the others one at a time: "
        "“who founded  COE-DAT?” “What is item 0?” “What is item 1?” and 3 more"
    )



def test_a_pronoun_with_nothing_before_it_is_named_with_what_was_searched() -> None:
    note = unresolved_pronoun_note("How many members does it have?", False, "How many members does it have?")
    assert note == (
        "“it” has nothing earlier in the conversation to refer to, so this searched for "
        "“How many members does it have?” as written; name what you mean for a surer answer."
    )
    assert unresolved_pronoun_note("What did they agree on?", False, "x").startswith("“they” has nothing")
    # a question naming its own topic, or holding no referring pronoun, gets no note
    assert unresolved_pronoun_note("Is it true that NATO has 30 members?", True, "x") == ""
    assert unresolved_pronoun_note("How many members does NEXUS have?", True, "x") == ""
    assert unresolved_pronoun_note("Is there a task force in Texas?", False, "x") == ""
    assert unresolved_pronoun_note("What does this article say about NATO?", True, "x") == ""
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which terrorist groups does the article mention?", "Which terrorist groups?"),
        ("what was a key part of al-Qaeda's philosophy according to the piece?", "what was a key part of al-Qaeda's philosophy?"),
        ("What is Article 5?", "What is Article 5?"),  # "Article 5" is a name, not the document
        ("Which treaty does the text describe", "Which treaty"),
        ("which terror groups does the article talk about", "which terror groups"),
        ("what programs are mentioned in this article", "what programs are mentioned"),
    ],
)
def test_the_document_as_speaker_is_no_topic(question: str, expected: str) -> None:
    assert without_document_frame(question) == expected


def test_a_run_of_one_letter_is_no_term_to_read_as_a_question() -> None:
    assert read_as("x" * 1000, in_conversation=False).rule == ""
