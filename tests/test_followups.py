"""The follow-up rules (``answering.followups``): which questions lean on the conversation and
which earlier turn they continue. A small corpus stand-in, no model."""

from __future__ import annotations

import re

import numpy as np
import pytest

from answering_fixtures import passage, view
from ctqa.answering.followups import (
    FOLLOWUP_RULES,
    CorpusTerms,
    FollowupContext,
    followup_topic,
    is_bare_ellipsis,
    is_ellipsis,
    is_interjection,
    leans_on_history,
    previous_topic,
    without_return_frame,
)
from ctqa.answering.scoring import _adjust_for_conversation, holds_own_words
from ctqa.config import AnswerSettings
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import fold, query_tokens
from ctqa.types import Passage

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
        ("what is ankara?", "defines_new_term", False),  # known, common in English, written lowercase
        ("what's ankara", "defines_new_term", False),
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


def test_a_bare_what_is_question_on_a_word_of_the_thread_or_with_an_article_leans_on_it() -> None:
    assert leans_on_history("what is nexus?", "How many members does NEXUS have?", CORPUS)  # the thread's own
    assert leans_on_history("what is the purpose?", "What is NEXUS?", CORPUS)  # "the": pointing back
    assert leans_on_history("what is it?", "What is NEXUS?", CORPUS)
    assert not leans_on_history("what is ankara?", "What does COE-DAT do?", CORPUS)
    assert leans_on_history("what is ankara?", "Where is COE-DAT? In Ankara.", CORPUS)


def test_interjections_are_chat_words_only() -> None:
    assert is_interjection("ok thanks") and is_interjection("Thank you so much!")
    assert is_interjection("lol") and is_interjection("haha ok") and is_interjection("hmm k")
    assert not is_interjection("ok, and why does the program rely on diplomacy?")
    assert not is_interjection("no members?")


def test_bare_ellipsis_may_follow_chat() -> None:
    assert is_bare_ellipsis("what about Canada?") and is_bare_ellipsis("ok, what about Canada?")
    assert not is_bare_ellipsis("And how many members does NEXUS have?")


@pytest.mark.parametrize(
    ("question", "elliptical"),
    [
        ("with canada specifically?", True),
        ("for aviation?", True),
        ("ok, in the gulf?", True),
        ("any multilateral stuff too?", True),
        ("NEXUS as well?", True),
        ("and the EU?", True),
        ("does the EU do that too?", False),  # a question of its own, opened by its verb
        ("with whom does NATO work?", False),  # a question word
        ("And how many members does NEXUS have?", False),
        ("how many members does it have?", False),
    ],
)
def test_fragments_continue_the_earlier_question(question: str, elliptical: bool) -> None:
    assert is_ellipsis(question) is elliptical
    if elliptical:
        assert deciding_rule(question, "What is NEXUS?") == "ellipsis"


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


def test_a_chain_keeps_a_turn_that_points_back_to_a_word_of_the_answer_it_followed() -> None:
    history = turns(
        ("What have the US and Canada done about the opioid crisis?", "Their joint action plan focuses on trafficking."),
        ("when was the plan launched?", "It was launched in January 2020."),
    )
    # "the plan" is a word of the answer shown before it, not of the first question: the chain
    # still reaches the first question, which holds the topic
    assert previous_topic(history, CORPUS) == (
        "What have the US and Canada done about the opioid crisis? when was the plan launched?"
    )
    without_plan = turns(
        ("What have the US and Canada done about the opioid crisis?", "They worked together."),
        ("when was the plan launched?", "It was launched in January 2020."),
    )
    assert previous_topic(without_plan, CORPUS) == "when was the plan launched?"


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


@pytest.mark.parametrize(
    ("question", "topic", "rule"),
    [
        # "ones" always points back, whatever comes before it
        ("how many people attended the 2021 and 2023 ones?", "who delivered the NATO courses?", "pronoun"),
        # a definite noun phrase whose noun the thread used
        ("what is the clause called?", "When did NATO invoke its collective defence clause?", "definite_reference"),
        ("When was the policy approved?", "What does NATO's battlefield evidence policy do?", "definite_reference"),
    ],
)
def test_reference_without_a_pronoun_continues_the_thread(question: str, topic: str, rule: str) -> None:
    assert deciding_rule(question, topic) == rule
    assert leans_on_history(question, topic, CORPUS)


def test_a_definite_noun_the_thread_never_used_is_no_reference() -> None:
    topic = "When did NATO invoke its collective defence clause?"
    assert deciding_rule("what is the capital of Australia?", topic) == "off_corpus"
    assert deciding_rule("how many members does the alliance have?", topic) is None
    assert not leans_on_history("how many members does the alliance have?", topic, CORPUS)


def test_a_definite_phrase_points_back_by_its_head_noun_not_a_modifier() -> None:
    topic = "how many COEs has nato accredited"
    # "the nato counter terrorism courses": its noun is "courses", which the thread never used
    assert deciding_rule("how many people attended the nato counter terrorism courses in 2021 and 2023", topic) != "definite_reference"
    assert deciding_rule("how many countries are in the nato alliance?", "when was nato alliance founded?") == "definite_reference"


def test_a_name_inside_the_wh_phrase_is_what_is_asked_when_a_pronoun_is_the_subject() -> None:
    corpus = CorpusTerms(
        names_of=lambda text: [name for name in ("UN", "NATO", "State Department") if re.search(rf"\b{name}\b", text)],
        knows=VOCABULARY.__contains__,
    )
    topic = "What are the three main areas of NATO's counter-terrorism work?"
    assert leans_on_history("which UN bodies does it work with?", topic, corpus)
    # the same name as the subject, or with no pronoun, is a topic of the question's own
    assert not leans_on_history("which bodies does the UN work with?", topic, corpus)
    assert not leans_on_history("back to the State Department: which report does it publish?", topic, corpus)


# -- how a follow-up's sentences are adjusted (answering.scoring) ---------------------------

SETTINGS = AnswerSettings()


def adjusted(
    question: str, followup_of: str, shown: str, passages: tuple[Passage, ...], *,
    answer_type: str = "thing", names: tuple[AskedName, ...] = (), english_zipf: dict[str, float] | None = None,
    rarity: dict[str, float] | None = None,
) -> dict[tuple[int, int], float]:
    """The probability each sentence of ``passages`` keeps from 1.0 after the conversation's
    adjustments (rarity 1 for every token not in ``rarity``)."""
    own = query_tokens(question)
    plan = QueryPlan(
        question, question, own, own + query_tokens(followup_of), answer_type,  # type: ignore[arg-type]
        own_tokens=own, followup_of=followup_of, already_shown=(" ".join(fold(shown).split()),), names=names,
        english_zipf=english_zipf or {},
    )
    corpus = view(*passages)
    keys = [(pid, number) for pid, p in enumerate(passages) for number in range(len(p.sentences))]
    probabilities = np.full(len(keys), 0.5)
    weights = {**dict.fromkeys([*plan.focus_tokens, *plan.own_tokens], 1.0), **(rarity or {})}
    _adjust_for_conversation(corpus, plan, keys, probabilities, SETTINGS, weights)
    return {key: float(p) for key, p in zip(keys, probabilities, strict=True)}


def test_a_sentence_off_the_thread_is_penalised_and_the_shown_one_only_mildly() -> None:
    actions = passage("NATO and the EU agreed on 34 new joint actions in mobility and security.", 0)
    areas = passage("NATO efforts are focused on three main areas of work.", 100)
    result = adjusted(
        "what areas do they cover?", "How many new joint actions did NATO and the EU agree to?",
        actions.text, (actions, areas),
    )
    assert result[(0, 0)] == pytest.approx(0.5 * SETTINGS.repeat_penalty)  # shown, without the user's words
    assert result[(1, 0)] == pytest.approx(0.5 * SETTINGS.off_thread_penalty)  # only "nato" of the topic


def test_what_about_does_not_get_the_lead_of_an_earlier_answer_again() -> None:
    faq = passage(
        "States use diplomacy to fight terrorists by strengthening law enforcement. "
        "States use foreign assistance to fight terrorists by building capabilities.", 0,
    )
    shown = faq.text  # both sentences were shown, the diplomacy one first
    question_of = "How do states use diplomacy to fight terrorists?"
    law = adjusted("What about law enforcement?", question_of, shown, (faq,))
    assert law[(0, 0)] == pytest.approx(0.5 * SETTINGS.repeat_penalty)  # it led the answer on diplomacy
    assistance = adjusted("And foreign assistance?", question_of, shown, (faq,))
    assert assistance[(0, 1)] == pytest.approx(0.5)  # shown after the lead, and it holds the new topic


def test_a_shown_sentence_with_a_span_of_the_specific_type_asked_answers_again() -> None:
    aviation = passage("NATO improved aviation security by working with organisations such as EUROCONTROL and ICAO.", 0)
    question_of = "how did NATO help with aviation security after 9/11?"
    asked = adjusted("which organisations did it partner with?", question_of, aviation.text, (aviation,), answer_type="organisation")
    assert asked[(0, 0)] == pytest.approx(0.5)
    # the same sentence for a question of no specific type is a repeat
    why = adjusted("why did it partner with them?", question_of, aviation.text, (aviation,), answer_type="reason")
    assert why[(0, 0)] == pytest.approx(0.5 * SETTINGS.repeat_penalty)


def test_a_sentence_without_the_follow_ups_own_new_name_is_penalised() -> None:
    un = AskedName("UN", ("un",))
    areas = passage("NATO efforts are focused on three main areas of counter-terrorism work.", 0)
    bodies = passage("NATO works closely with the UN Counter-Terrorism Committee.", 100)
    result = adjusted(
        "which UN bodies does it work with?", "What are the main areas of NATO's counter-terrorism work?",
        areas.text, (areas, bodies), names=(un,),
    )
    assert result[(0, 0)] == pytest.approx(0.5 * SETTINGS.new_thing_penalty * SETTINGS.repeat_penalty)
    assert result[(1, 0)] == pytest.approx(0.5)


def test_words_common_in_english_do_not_keep_a_shown_sentence_from_answering_again() -> None:
    visas = passage("The State Department deters threats to critical infrastructure, such as travel and energy.", 0)
    question, question_of = "which infrastructure does it want to protect?", "What does the State Department do abroad?"
    # wordfreq's Zipf frequencies of the question's words: "want" is phrasing, "infrastructure" a topic
    zipf = {"infrastructur": 4.6, "want": 6.4, "protect": 5.1}
    assert adjusted(question, question_of, visas.text, (visas,), english_zipf=zipf)[(0, 0)] == pytest.approx(0.5)
    # counted by rarity alone, "want" and "protect" outweigh "infrastructure": a repeat
    assert adjusted(question, question_of, visas.text, (visas,))[(0, 0)] == pytest.approx(0.5 * SETTINGS.repeat_penalty)


def test_a_pronoun_subject_continues_the_thread_whatever_new_name_follows_it() -> None:
    corpus = CorpusTerms(names_of=lambda text: [n for n in ("EU", "NATO") if re.search(rf"\b{n}\b", text)], knows=VOCABULARY.__contains__)
    topic = "what are NATO's counter terrorism efforts focused on"
    assert leans_on_history("how does it work with the EU?", topic, corpus)
    assert not leans_on_history("how does the EU work with others?", topic, corpus)


def test_a_definite_phrase_may_point_to_what_the_latest_answer_said() -> None:
    topic = "What does the policy help allies do?"
    shown = "This policy supports allies, as outlined in United Nations Security Council Resolution 2396."
    assert leans_on_history("whats the number of the resolution", topic, CORPUS, shown)
    assert not leans_on_history("whats the number of the resolution", topic, CORPUS)


def test_a_name_in_the_wh_phrase_of_a_question_opened_by_and_is_what_is_asked() -> None:
    corpus = CorpusTerms(names_of=lambda text: [n for n in ("US", "NATO") if re.search(rf"\b{n}\b", text)], knows=VOCABULARY.__contains__)
    topic = "How did NATO improve aviation security after 9/11? which organisations did it work with"
    assert leans_on_history("and which US agency was involved?", topic, corpus)
    assert not leans_on_history("which US agency was involved in the attacks?", topic, corpus)


@pytest.mark.parametrize(
    "question",
    [
        "back to the collective defence clause - which article is it",
        "going back to the responsible cooperators program, who can benefit from it",
        "ok, back to nato: what does it focus on?",
        "Let's go back to the policy. When was it approved?",
    ],
)
def test_a_return_to_a_named_topic_stands_alone(question: str) -> None:
    topic = "what about the battlefield evidence policy?"
    assert deciding_rule(question, topic) == "returns_to"
    assert not leans_on_history(question, topic, CORPUS)


def test_the_return_frame_is_no_word_to_search_for() -> None:
    assert without_return_frame("back to the state dept - do they do anything with visas") == (
        "the state dept - do they do anything with visas"
    )
    assert without_return_frame("ok, going back to NATO: who leads it?") == "NATO: who leads it?"
    assert without_return_frame("did they bring the money back to the US?") == "did they bring the money back to the US?"


def test_a_bare_ellipsis_needs_most_of_its_detail_and_an_and_question_one_word_of_it() -> None:
    diplomacy = passage("States use diplomacy to fight terrorists by strengthening law enforcement.", 0)
    groups = passage("The State Department works to prevent the acquisition of weapons by terrorist groups.", 100)
    question_of = "Does the State Department try to stop countries from getting weapons?"
    shown = "The State Department works to ensure that more countries do not obtain weapons."
    common = {"terrorist": 0.2}  # in most passages of an article on terrorism
    result = adjusted("and terrorist groups?", question_of, shown, (diplomacy, groups), rarity=common)
    assert result[(0, 0)] < result[(1, 0)]  # "terrorists" alone is not the detail "terrorist groups"
    assert result[(0, 0)] == pytest.approx(0.5 * SETTINGS.new_thing_penalty)
    # "and which ... ?" is a question of its own: one of its words is enough
    asked = adjusted("and which terrorist groups?", question_of, shown, (diplomacy, groups), rarity=common)
    assert asked[(0, 0)] != pytest.approx(0.5 * SETTINGS.new_thing_penalty)
