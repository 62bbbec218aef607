"""The declining rules: which rule declines, and the reason and sentence the user reads (no model)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from answering_fixtures import passage, scored, view
from ctqa.answering.declining import (
    ABOUT_DOCUMENT,
    DECLINE_RULES,
    NO_LATIN_WORDS,
    DeclineContext,
    decide,
    decline_text,
    missing_names,
    names_its_own_subject,
)
from ctqa.config import AnswerSettings
from ctqa.retrieval.acronyms import learn_initialisms
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan, QueryRewriter
from ctqa.retrieval.text import query_tokens, words

US = passage("The US created 93 task forces. They work in every district.", 0)
SETTINGS = AnswerSettings()


def plan(answer_type: str = "number", names: tuple[AskedName, ...] = ()) -> QueryPlan:
    return QueryPlan(
        question="How many task forces?", dense_text="", sparse_tokens=[], focus_tokens=["task", "forc"],
        answer_type=answer_type, names=names,  # type: ignore[arg-type]
    )


def test_rules_are_checked_in_their_named_order() -> None:
    assert [rule.name for rule in DECLINE_RULES] == [
        "not_a_question", "nothing_found", "about_the_document", "names_missing", "no_known_words", "low_confidence",
        "asked_type_missing", "subject_missing", "fact_not_an_answer", "nothing_new",
    ]


def test_chat_is_declined_without_closest_passages_and_a_real_miss_with_them() -> None:
    thanks = replace(plan(), question="thanks!")
    chat = decide(DeclineContext(thanks, [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert chat is not None and chat.rule == "not_a_question" and not chat.shows_closest
    low = decide(DeclineContext(plan(), [scored(0, 0, 0.01)], view(US), SETTINGS))
    assert low is not None and low.rule == "low_confidence" and low.shows_closest


def test_nothing_retrieved_declines() -> None:
    decision = decide(DeclineContext(plan(), [], view(US), SETTINGS))
    assert decision is not None and decision.rule == "nothing_found"


def test_low_confidence_declines_below_the_threshold_only() -> None:
    low = decide(DeclineContext(plan(), [scored(0, 0, SETTINGS.abstain_threshold - 0.01)], view(US), SETTINGS))
    assert low is not None and low.rule == "low_confidence" and low.reason == ""
    assert decide(DeclineContext(plan(), [scored(0, 0, SETTINGS.abstain_threshold)], view(US), SETTINGS)) is None


def test_an_elliptical_follow_up_naming_its_detail_is_declined_only_below_its_own_threshold() -> None:
    between = (SETTINGS.ellipsis_abstain_threshold + SETTINGS.abstain_threshold) / 2
    followup = QueryPlan(
        question="and every district?", dense_text="", sparse_tokens=[], focus_tokens=["district"],
        answer_type="other", own_tokens=query_tokens("every district"), followup_of="How many task forces?",
    )
    # the second sentence holds "district": answered between the two thresholds
    assert decide(DeclineContext(followup, [scored(0, 1, between)], view(US), SETTINGS)) is None
    below = decide(DeclineContext(followup, [scored(0, 1, SETTINGS.ellipsis_abstain_threshold - 0.01)], view(US), SETTINGS))
    assert below is not None and below.rule == "low_confidence"
    # the first sentence lacks it, and a question asked in full keeps the usual threshold
    lacking = decide(DeclineContext(followup, [scored(0, 0, between)], view(US), SETTINGS))
    assert lacking is not None and lacking.rule == "low_confidence"
    full = replace(followup, question="where do the task forces work?", own_tokens=query_tokens("task forces work"))
    asked = decide(DeclineContext(full, [scored(0, 1, between)], view(US), SETTINGS))
    assert asked is not None and asked.rule == "low_confidence"


def test_a_name_the_passage_lacks_declines_with_the_name_as_reason() -> None:
    canada = AskedName("Canada", ("canada",), in_corpus=True)
    decision = decide(DeclineContext(plan(names=(canada,)), [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert decision is not None and decision.rule == "names_missing"
    assert "does not mention Canada" in decision.reason
    australia = AskedName("Australia", ("australia",), in_corpus=False)
    decision = decide(DeclineContext(plan(names=(australia,)), [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert decision is not None and decision.reason == "The documents never mention Australia."
    off = replace(SETTINGS, require_asked_names=False)
    assert decide(DeclineContext(plan(names=(canada,)), [scored(0, 0, 0.9)], view(US), off)) is None


def test_an_acronym_the_documents_never_write_is_found_as_the_phrase_they_write() -> None:
    text = (
        "States use law enforcement to fight terrorists. For example, the Department of Justice arrested "
        "Mazen Al Najjar after he was ordered to be deported."
    )
    najjar = passage(text, 0)
    vocabulary = Counter(words(text))
    rewriter = QueryRewriter(vocabulary, {}, initialisms=learn_initialisms([text], {}, vocabulary))
    asked_plan = rewriter.plan("who did the DOJ arrest as an example")
    assert decide(DeclineContext(asked_plan, [scored(0, 1, 0.9)], view(najjar), SETTINGS)) is None
    # without the learnt initials, "DOJ" is a name the documents never mention
    bare = QueryRewriter(vocabulary, {}).plan("who did the DOJ arrest as an example")
    decision = decide(DeclineContext(bare, [scored(0, 1, 0.9)], view(najjar), SETTINGS))
    assert decision is not None and decision.rule == "names_missing"
    assert decision.reason == "The documents never mention DOJ."


KESSEL = passage("Kessel Point was first lit in 1871. Three ships were lost on the reef.", 0, section="History", doc_id="light.txt")
KEEPERS = passage("The light was automated in 1989. The last keeper left that year.", 80, section="Keepers", doc_id="light.txt")
CANADA = passage("Canada and the US share a long border.", 200, section="Borders", doc_id="doc.txt")


def test_a_name_another_section_of_the_same_file_uses_counts_when_the_passage_names_nothing_else() -> None:
    kessel = AskedName("Kessel Point", ("kessel", "point"), in_corpus=True)
    automated = replace(plan("date", (kessel,)), question="When was the Kessel Point light automated?")
    corpus = view(KESSEL, KEEPERS, US, CANADA)
    # the Keepers passage never says "Kessel Point", its file does, and it names nothing else
    assert missing_names(corpus, automated, scored(1, 0, 0.9)) == []
    assert decide(DeclineContext(automated, [scored(1, 0, 0.9)], corpus, SETTINGS)) is None
    # the US passage names its own subject (the US): Canada, named elsewhere in its file, is missing
    canada = AskedName("Canada", ("canada",), in_corpus=True)
    task_forces = replace(plan(names=(canada,)), question="How many task forces has Canada set up?")
    assert missing_names(corpus, task_forces, scored(2, 0, 0.9)) == [canada]
    # a name only another file uses is missing, and so is one the file has only a relative of
    assert missing_names(corpus, replace(automated, names=(canada,)), scored(1, 0, 0.9)) == [canada]
    reefs = AskedName("Reefs", ("reefs",), in_corpus=True)  # the History section says "reef"
    assert missing_names(corpus, replace(automated, names=(reefs,)), scored(1, 0, 0.9)) == [reefs]
    assert names_its_own_subject(corpus, 2, task_forces.question)
    assert not names_its_own_subject(corpus, 1, automated.question)


def own_words_plan(question: str, *, followup_of: str = "") -> QueryPlan:
    tokens = query_tokens(question)
    return QueryPlan(question, question, tokens, tokens, "other", own_tokens=tokens, followup_of=followup_of)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ('" OR 1=1 --', "The question has no word to look up in the documents; ask about something they mention."),
        ("sourdough croissants?", "The documents use none of the question's words; ask about something they mention."),
        ("?!?.,;", "The question has no word to look up in the documents; ask about something they mention."),
        ("灯塔的灯能看多远？", NO_LATIN_WORDS),
    ],
)
def test_a_question_without_a_word_the_documents_use_declines(question: str, reason: str) -> None:
    decision = decide(DeclineContext(own_words_plan(question), [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert decision is not None and decision.rule == "no_known_words" and decision.reason == reason


def test_one_known_word_or_a_follow_up_is_not_declined_for_its_words() -> None:
    assert decide(DeclineContext(own_words_plan("What about the forces?"), [scored(0, 0, 0.9)], view(US), SETTINGS)) is None
    # a number of two digits is a topic ("93"); a follow-up's topic comes from the conversation
    assert decide(DeclineContext(own_words_plan("93?"), [scored(0, 0, 0.9)], view(US), SETTINGS)) is None
    followup = own_words_plan("And why?", followup_of="How many task forces did the US create?")
    assert decide(DeclineContext(followup, [scored(0, 0, 0.9)], view(US), SETTINGS)) is None


def test_a_required_type_the_best_sentence_lacks_declines() -> None:
    decision = decide(DeclineContext(plan("date"), [scored(0, 0, 0.9, type_match=False)], view(US), SETTINGS))
    assert decision is not None and decision.rule == "asked_type_missing"
    assert decision.reason == "The passage closest to the question does not give a date."
    age = decide(DeclineContext(plan("age"), [scored(0, 0, 0.9, type_match=False)], view(US), SETTINGS))
    assert age is not None and age.reason == "The passage closest to the question does not give a length of time or a date it dates from."
    # a person's name is not required: "who" is often answered by an organisation
    assert decide(DeclineContext(plan("person"), [scored(0, 0, 0.9, type_match=False)], view(US), SETTINGS)) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the capital of Australia?", "The documents do not say what the capital of Australia is."),
        ("who is the Secretary General of NATO", "The documents do not say who the Secretary General of NATO is."),
        ("When was COE-DAT founded?", "The documents do not say the answer to “When was COE-DAT founded?”"),
        # quoted as typed: no question mark added, the user's own punctuation kept
        ('" OR 1=1 --', "The documents do not say the answer to “\" OR 1=1 --”."),
        ("when was COE-DAT founded!!", "The documents do not say the answer to “when was COE-DAT founded!!”"),
        # no noun phrase after the verb: no clause ("how much paid for the façade was")
        ("How much was paid for the façade?", "The documents do not say the answer to “How much was paid for the façade?”"),
        # a closing preposition would be stranded ("what UNSCR 2396 about is")
        ("what is UNSCR 2396 about", "The documents do not say the answer to “what is UNSCR 2396 about”."),
    ],
)
def test_decline_text_is_one_sentence(question: str, expected: str) -> None:
    assert decline_text(question) == expected


# -- a fact must be about what the question asks (the fresh-clone trial's wrong answers) ----------

NATO = AskedName("NATO", ("nato",), other_forms=(("north", "atlant", "treati", "organ"),))
NATO_ROLE = AskedName(
    "NATO Secretary General", ("nato", "secretari", "general"), other_forms=(("north", "atlant", "treati", "organ"),)
)


def asked(question: str, answer_type: str, *names: AskedName) -> QueryPlan:
    tokens = query_tokens(question)
    return QueryPlan(
        question=question, dense_text=question, sparse_tokens=tokens, focus_tokens=tokens,
        answer_type=answer_type, own_tokens=tokens, names=names,  # type: ignore[arg-type]
    )


def decided(question: str, answer_type: str, text: str, *names: AskedName) -> tuple[str, str] | None:
    decision = decide(DeclineContext(asked(question, answer_type, *names), [scored(0, 0, 0.9)], view(passage(text, 0)), SETTINGS))
    return None if decision is None else (decision.rule, decision.reason)


def test_a_count_from_a_passage_about_something_else_declines() -> None:
    question = "How many members does NATO have?"
    assert decided(question, "number", "Number of COEs accredited by NATO 30", NATO) == (
        "subject_missing",
        "The passage closest to the question does not mention members.",
    )
    assert decided(question, "number", "NATO has 32 members.", NATO) is None
    # only the counted noun is required: a date question's event verb is often paraphrased
    assert decided("When was NATO founded?", "date", "NATO came into being in 1949.", NATO) is None


def test_a_number_that_is_a_label_is_not_a_count() -> None:
    treaty = "Article 5 of the NATO treaty states that an armed attack against one member is an attack against them all."
    assert decided("How many members does NATO have?", "number", treaty, NATO) == (
        "fact_not_an_answer",
        "The passage closest to the question does not give a number: “5” is a label, not a count.",
    )
    assert decided("How many members does NATO have?", "number", "In 2024 NATO had 32 members.", NATO) is None
    term = "The NATO Secretary General is appointed by the member states for a term of four years."
    assert decided("How many members does NATO have?", "number", term, NATO) == (
        "fact_not_an_answer",
        "The passage closest to the question does not give a number: “four” is a duration, not a count.",
    )
    assert decided("How many years does a NATO term last?", "number", term, NATO) is None


def test_a_leader_answer_must_be_a_person_not_the_asked_name_or_an_institution() -> None:
    no_name = "The alliance is led by its Secretary General, a diplomat who chairs the North Atlantic Council."
    rule, reason = decided("Who is the NATO Secretary General?", "leader", no_name, NATO_ROLE) or ("", "")
    assert rule == "fact_not_an_answer"
    assert reason == (
        "The passage closest to the question does not give a person's name: "
        "“the North Atlantic Council” names an institution, not a person."
    )
    named = "The alliance is led by its Secretary General, Mark Rutte, who chairs the North Atlantic Council."
    assert decided("Who is the NATO Secretary General?", "leader", named, NATO_ROLE) is None


def test_a_leader_answer_naming_only_the_office_is_declined() -> None:
    # the office is made of the question's own words and no person is named
    office_only = "The Secretary General is appointed by the member states for a term of four years."
    rule, reason = decided("Who is the NATO Secretary General?", "leader", office_only, NATO_ROLE) or ("", "")
    assert rule == "fact_not_an_answer"
    assert reason == "The passage closest to the question does not give a person's name."


def test_asking_for_more_than_the_shown_sentence_declines() -> None:
    shown = ("the us created 93 task forces.",)

    def followup(question: str, already_shown: tuple[str, ...] = shown) -> QueryPlan:
        return replace(plan("other"), question=question, already_shown=already_shown)

    for question in ("what other task forces are there?", "can you list them?", "which ones are they?", "Which ones?"):
        decision = decide(DeclineContext(followup(question), [scored(0, 0, 0.9)], view(US), SETTINGS))
        assert decision is not None and decision.rule == "nothing_new", question
    # a sentence not shown yet answers; so does the shown one when nothing more is asked
    assert decide(DeclineContext(followup("what other task forces are there?"), [scored(0, 1, 0.9)], view(US), SETTINGS)) is None
    assert decide(DeclineContext(followup("where do they work?"), [scored(0, 0, 0.9)], view(US), SETTINGS)) is None
    # no conversation: nothing was shown
    assert decide(DeclineContext(followup("what other task forces are there?", ()), [scored(0, 0, 0.9)], view(US), SETTINGS)) is None


def test_a_question_without_a_known_word_says_why_even_at_low_confidence() -> None:
    # low_confidence would decline it too, but with no reason for the user
    low = [scored(0, 0, SETTINGS.abstain_threshold / 2)]
    decision = decide(DeclineContext(own_words_plan("?!?"), low, view(US), SETTINGS))
    assert decision is not None and decision.rule == "no_known_words"
    australia = AskedName("Australia", ("australia",), in_corpus=False)
    named = replace(own_words_plan("What is the capital of Australia?"), names=(australia,))
    decision = decide(DeclineContext(named, low, view(US), SETTINGS))
    assert decision is not None and decision.reason == "The documents never mention Australia."


def test_a_follow_up_of_only_punctuation_is_declined_and_one_with_words_is_not() -> None:
    high = [scored(0, 0, 0.9)]
    thread = "What is NEXUS?"
    decision = decide(DeclineContext(own_words_plan("?!?!...,,", followup_of=thread), high, view(US), SETTINGS))
    assert decision is not None and decision.rule == "no_known_words"
    assert decision.reason.startswith("The question has no word to look up")
    # "why?" has a word: its topic is the conversation's
    assert decide(DeclineContext(own_words_plan("why?", followup_of=thread), high, view(US), SETTINGS)) is None


def test_asking_for_more_of_a_named_kind_declines_when_only_the_thread_names_are_there() -> None:
    groups = passage("The US and Canada collaborate within multilateral groups. Mexico joined them later.", 0)

    def followup(question: str) -> QueryPlan:
        return replace(
            plan("country"), question=question, followup_of="what alliance are the US and Canada part of?",
            already_shown=("they are both members of the five eyes community.",),
        )

    decision = decide(DeclineContext(followup("which other countries belong to it?"), [scored(0, 0, 0.9)], view(groups), SETTINGS))
    assert decision is not None and decision.rule == "nothing_new"
    # a sentence naming a country the thread did not name answers
    assert decide(DeclineContext(followup("which other countries belong to it?"), [scored(0, 1, 0.9)], view(groups), SETTINGS)) is None
    # without "other", the US and Canada may be the answer
    assert decide(DeclineContext(followup("which countries belong to it?"), [scored(0, 0, 0.9)], view(groups), SETTINGS)) is None


def test_a_question_about_the_document_itself_needs_a_sentence_on_its_writing() -> None:
    topical = "The State Department works with NATO and the European Union to counter terrorism."
    assert decided("who wrote this article", "person", topical) == ("about_the_document", ABOUT_DOCUMENT)
    assert decided("When was the page published?", "date", topical) == ("about_the_document", ABOUT_DOCUMENT)
    assert decided("Who is the author?", "person", topical) == ("about_the_document", ABOUT_DOCUMENT)
    byline = "This article was written by Jane Doe for the Policy Review in 2021."
    assert decided("who wrote this article", "person", byline) is None
    # a question on who wrote something the documents are about is no question on the page
    assert decided("Who wrote the Country Reports on Terrorism?", "person", topical) != ("about_the_document", ABOUT_DOCUMENT)


def test_a_list_asked_for_is_not_answered_by_a_sentence_listing_nothing() -> None:
    shown = ("they have designated 39 entities as terrorist organizations.",)
    question = replace(plan("other"), question="can you list them", already_shown=shown, followup_of="how many groups has it designated")
    reports = passage("The State Department produces the annual Country Reports on Terrorism.", 0)
    named = passage("The designated groups include ISIS, al-Qa'ida, and Hizballah.", 0)
    decision = decide(DeclineContext(question, [scored(0, 0, 0.9)], view(reports), SETTINGS))
    assert decision is not None and decision.rule == "nothing_new"
    assert decide(DeclineContext(question, [scored(0, 0, 0.9)], view(named), SETTINGS)) is None


def test_who_leads_is_answered_by_the_body_the_sentence_says_leads() -> None:
    office = "The Office of Weapons of Mass Destruction Terrorism (WMDT) leads the efforts by coordinating policy."
    assert decided("who leads the state department's work against wmd terrorism", "leader", office) is None
    # "who is the head …" asks for a person: the office is no answer
    rule, _ = decided("who is the head of the state department's wmd office?", "leader", "The Office of Counterterrorism leads the efforts.") or ("", "")
    assert rule == "fact_not_an_answer"
