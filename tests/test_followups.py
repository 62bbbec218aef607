"""The follow-up rules (``answering.followups``): which questions lean on the conversation and
which earlier turn they continue. A small corpus stand-in, no model."""

from __future__ import annotations

import pytest

from ctqa.answering.followups import (
    FOLLOWUP_RULES,
    CorpusTerms,
    FollowupContext,
    followup_topic,
    is_bare_ellipsis,
    is_interjection,
    leans_on_history,
    previous_topic,
)
from ctqa.answering.scoring import holds_own_words

# What a corpus on NATO, NEXUS and the State Department would know.
VOCABULARY = frozenset(
    ["nato", "nexus", "members", "program", "state", "department", "report", "publish", "annual", "megaports", "initiative", "centres", "excellence", "terrorism", "deals", "accredited", "coe", "dat", "ankara", "where", "many"]
)
NAMES = ("NATO", "NEXUS", "COE-DAT", "State Department", "Megaports Initiative")


def names_of(text: str) -> list[str]:
    return [name for name in NAMES if name.casefold() in text.casefold()]


CORPUS = CorpusTerms(names_of=names_of, knows=VOCABULARY.__contains__, is_rare={"megaports", "nexus"}.__contains__)


def turns(*exchanges: tuple[str, str]) -> list[dict[str, str]]:
    history = []
    for question, answer in exchanges:
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return history


def deciding_rule(question: str, topic: str) -> str | None:
    context = FollowupContext(question, topic, CORPUS)
    return next((rule.name for rule in FOLLOWUP_RULES if rule.decide(context) is not None), None)


@pytest.mark.parametrize(
    ("question", "rule", "leans"),
    [
        ("hi there", "interjection", False),
        ("thanks, that's helpful", "interjection", False),
        ("what about the Megaports Initiative?", "ellipsis", True),
        ("Great, and for NATO?", "ellipsis", True),
        ("What is NEXUS?", "own_topic", False),
        ("and what other task force was set up?", "asks_for_more", True),
        ("who else works with the State Department?", "own_topic", False),
        ("How many members does it have?", "pronoun", True),
        ("which one deals with terrorism?", "pronoun", True),
        ("can you tell me a joke?", "off_corpus", False),
        ("Megaports", "lone_term", False),
        ("how often?", "too_short", True),
        ("Why?", "too_short", True),
    ],
)
def test_each_rule_decides_its_case(question: str, rule: str, leans: bool) -> None:
    topic = "How many centres of excellence has NATO accredited?"
    assert deciding_rule(question, topic) == rule
    assert leans_on_history(question, topic, CORPUS) is leans


def test_a_lone_word_of_the_thread_or_of_plain_english_still_leans_on_it() -> None:
    assert leans_on_history("members?", "What is NEXUS?", CORPUS)  # not rare: a follow-up word
    assert leans_on_history("NEXUS?", "How many members does NEXUS have?", CORPUS)  # the thread's own


def test_interjections_are_chat_words_only() -> None:
    assert is_interjection("ok thanks") and is_interjection("Thank you so much!")
    assert not is_interjection("ok, and why does the program rely on diplomacy?")
    assert not is_interjection("no members?")


def test_bare_ellipsis_may_follow_chat() -> None:
    assert is_bare_ellipsis("what about Canada?") and is_bare_ellipsis("ok, what about Canada?")
    assert not is_bare_ellipsis("And how many members does NEXUS have?")


def test_pronoun_follows_the_most_recent_topic_not_a_declined_interjection() -> None:
    history = turns(
        ("What does COE-DAT do?", "It serves as a hub."),
        ("What is NEXUS?", "NEXUS promotes secure travel."),
        ("can you tell me a joke?", "The documents do not say the answer."),
    )
    assert followup_topic("How many members does it have?", history, CORPUS) == "What is NEXUS?"


def test_a_name_from_an_earlier_turn_returns_to_it_and_stands_alone() -> None:
    history = turns(
        ("What does the State Department do?", "It works with partners."),
        ("What does the Megaports Initiative do?", "It detects WMD materials."),
    )
    question = "back to the State Department: which report does it publish every year?"
    assert followup_topic(question, history, CORPUS) == ""
    # while a name of the latest turn with a pronoun still continues it
    assert followup_topic("when did the Megaports Initiative start it?", history, CORPUS) != ""


def test_what_about_asks_the_latest_question_that_is_no_ellipsis() -> None:
    history = turns(
        ("How do states use diplomacy to fight terrorists?", "By promoting stability."),
        ("And foreign assistance?", "By building capabilities."),
    )
    assert followup_topic("What about law enforcement?", history, CORPUS) == (
        "How do states use diplomacy to fight terrorists?"
    )
    # a pronoun follow-up keeps the whole chain
    assert previous_topic(history, CORPUS) == "How do states use diplomacy to fight terrorists? And foreign assistance?"


def test_without_a_corpus_no_name_is_found_and_every_word_is_known() -> None:
    # "joke" counts as known, so the turn is only too short, and "NEXUS" is no name to stand on
    assert leans_on_history("can you tell me a joke?")
    assert leans_on_history("and NEXUS?", "What is COE-DAT?")
    assert not leans_on_history("can you tell me a joke?", "What is COE-DAT?", CORPUS)


def test_a_shown_sentence_holding_the_rare_own_words_still_answers() -> None:
    # "What infrastructure does it try to protect?": "infrastructure" is rare, "try" and
    # "protect" are not, so a sentence with "infrastructure" holds most of the question
    rarity = {"infrastructur": 4.0, "tri": 0.2, "protect": 1.5}
    own = set(rarity)
    assert holds_own_words(own, {"critic", "infrastructur", "travel"}, rarity, 0.5)
    assert not holds_own_words(own, {"protect", "travel"}, rarity, 0.5)
    assert not holds_own_words(set(), {"protect"}, rarity, 0.5)  # no own words: nothing held
