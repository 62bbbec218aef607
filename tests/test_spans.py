"""Choosing the short answer among candidate spans (answering.spans; no model)."""

from __future__ import annotations

from dataclasses import replace

from ctqa.answering.answer_types import Span, answer_spans, asks_for_several, question_type
from ctqa.answering.spans import (
    apart,
    best_scored,
    choose_short_answer,
    commonness,
    completed,
    question_anchors,
    whole_list,
    with_label,
)
from ctqa.config import AnswerSettings
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import query_tokens

SETTINGS = AnswerSettings()


def plan_for(question: str) -> QueryPlan:
    tokens = query_tokens(question)
    return QueryPlan(question, question, tokens, tokens, question_type(question), own_tokens=tokens)


def short_of(plan: QueryPlan, sentence: str) -> str | None:
    """The short answer ``choose_short_answer`` gives in ``sentence`` alone, as text."""
    short = choose_short_answer(plan, [sentence], [0], 0, "doc.md", {}, SETTINGS)
    return short.text if short else None


def followup_plan(question: str, earlier: str) -> QueryPlan:
    """The plan of ``question`` asked after ``earlier``: the thread's words join its focus."""
    own = query_tokens(question)
    return QueryPlan(
        question, "", own, own + query_tokens(earlier), question_type(question), own_tokens=own, followup_of=earlier
    )


def test_the_count_beside_the_question_words_is_the_short_answer() -> None:
    sentences = [
        "The Responsible Cooperators Program was launched in 2003 with 12 partners.",
        "This includes the creation of 93 Anti-Terrorism Task Forces.",
    ]
    short = choose_short_answer(
        plan_for("How many Anti-Terrorism Task Forces did the US create?"), sentences, [0, 80], 1, "doc.md", {}, SETTINGS
    )
    assert short is not None and short.text == "93"
    assert (short.start, short.end) == (80 + sentences[1].index("93"), 80 + sentences[1].index("93") + 2)
    assert short.answer_type == "number"


def test_the_best_sentence_is_read_first_then_its_neighbours() -> None:
    sentences = ["It was founded by monks.", "The abbey dates from 1120."]
    short = choose_short_answer(plan_for("When was the abbey founded?"), sentences, [0, 25], 0, "doc.md", {}, SETTINGS)
    assert short is not None and short.text == "1120" and short.start == 25 + sentences[1].index("1120")


def test_of_two_names_the_one_among_more_question_words_wins() -> None:
    sentence = (
        "The American Football Conference (AFC) champion Denver Broncos defeated the National Football "
        "Conference (NFC) champion Carolina Panthers 24–10."
    )
    short = choose_short_answer(
        plan_for("Which NFL team represented the AFC at Super Bowl 50?"), [sentence], [0], 0, "doc.md", {}, SETTINGS
    )
    assert short is not None and short.text == "Denver Broncos"


def test_an_unread_type_needs_a_confident_sentence_and_a_read_type_does_not() -> None:
    thing = plan_for("What river was Petrela located by?")
    sentence = "Meanwhile, they occupied Petrela, the citadel of Mili at the banks of the river Deabolis."
    confident = choose_short_answer(thing, [sentence], [0], 0, "doc.md", {}, SETTINGS, probability=0.9)
    assert confident is not None and confident.text == "Deabolis"
    assert choose_short_answer(thing, [sentence], [0], 0, "doc.md", {}, SETTINGS, probability=SETTINGS.short_answer_floor - 0.1) is None
    count = plan_for("How many Anti-Terrorism Task Forces were created?")
    short = choose_short_answer(count, ["This includes the creation of 93 task forces."], [0], 0, "doc.md", {}, SETTINGS, probability=0.4)
    assert short is not None and short.text == "93"


def test_no_short_answer_for_an_explanation_or_a_span_of_the_question_words() -> None:
    why = plan_for("Why do states cooperate?")
    assert choose_short_answer(why, ["States cooperate because threats cross borders."], [0], 0, "doc.md", {}, SETTINGS) is None
    who = plan_for("Who did the US Department of Justice work with?")
    assert choose_short_answer(who, ["The US Department of Justice worked with partners."], [0], 0, "doc.md", {}, SETTINGS) is None


def test_no_short_answer_is_taken_from_code() -> None:
    sentences = [
        "DROP TABLE users; CREATE TABLE users (id INT PRIMARY KEY, name TEXT); INSERT INTO users SELECT * FROM import_2019 WHERE id > 100;",
        "The import then copies 4,200 rows from the archive server.",
    ]
    starts = [0, len(sentences[0]) + 1]
    assert choose_short_answer(plan_for("Which table is dropped?"), sentences[:1], starts[:1], 0, "db.md", {}, SETTINGS) is None
    # the prose sentence after it still gives its fact
    short = choose_short_answer(plan_for("How many rows are copied?"), sentences, starts, 0, "db.md", {}, SETTINGS)
    assert short is not None and short.text == "4,200" and short.start == starts[1] + sentences[1].index("4,200")
def ask(question: str, sentence: str, settings: AnswerSettings = SETTINGS) -> str | None:
    short = choose_short_answer(plan_for(question), [sentence], [100], 0, "doc.md", {}, settings, probability=0.9)
    if short is not None:  # a verbatim span, with offsets into the document
        assert sentence[short.start - 100 : short.end - 100] == short.text
    return short.text if short else None


def test_what_did_and_what_is_x_questions_get_the_phrase_beside_the_question_words() -> None:
    assert ask("What were the Normans famed for?", "The Normans were famed for their martial spirit and eventually for their Christian piety.") == "martial spirit"
    sentence = "Upper and lower bounds are usually stated using the big O notation, which hides constant factors and smaller terms."
    assert ask("What does a big O notation hide?", sentence) == "constant factors"
    sentence = "In 1979, the Soviet Union deployed its 40th Army into Afghanistan, attempting to suppress an Islamic rebellion."
    assert ask("What did the Soviet Union try to suppress with its army?", sentence) == "Islamic rebellion"
    sentence = "The input string for a computational problem is referred to as a problem instance, and should not be confused."
    assert ask("What is the name given to the input string of a computational problem?", sentence) == "problem instance"


def test_a_definition_question_has_no_short_answer() -> None:
    sentence = "The NEXUS program, with over 1.8 million members, allows pre-screened travelers expedited processing."
    assert ask("What is NEXUS?", sentence) is None  # "1.8 million members" is a fact about NEXUS, not what it is


def test_a_word_between_question_words_belongs_to_the_question() -> None:
    sentence = "The Yuan government used woodblocks to print paper money, but switched to bronze plates in 1275."
    assert ask("What did the Yuan use to print paper money?", sentence) == "woodblocks"
    # "government" is a commoner word than "woodblocks", so both rules must be off for it to win
    without = replace(SETTINGS, span_weights=replace(SETTINGS.span_weights, inside=0.0, common=0.0))
    assert ask("What did the Yuan use to print paper money?", sentence, without) == "government"


def test_a_phrase_far_from_every_question_word_is_no_answer() -> None:
    sentence = "Woodblocks were printed in the province, after years of war, famine and floods, by the new guild of carvers."
    anchors = question_anchors(sentence, query_tokens("What was printed?"))
    assert anchors == [(16, 23)]
    limit = SETTINGS.span_weights.max_distance
    near, far = Span("province", 31, 39, tier=2), Span("carvers", 101, 108, tier=2)
    assert far.start - anchors[0][1] > limit >= near.start - anchors[0][1]
    assert best_scored([near, far], anchors, sentence, SETTINGS) == near
    assert best_scored([far], anchors, sentence, SETTINGS) is None


def test_a_list_answers_a_question_about_several_things() -> None:
    sentence = "NATO's counter-terrorism efforts are focused on three main areas: awareness, capabilities, and engagement."
    assert ask("What are the three focus areas of NATO counter-terrorism?", sentence) == "awareness, capabilities, and engagement"


def weights(**values: float) -> AnswerSettings:
    return replace(SETTINGS, span_weights=replace(SETTINGS.span_weights, **values))


def test_a_phrase_of_everyday_words_is_a_worse_answer() -> None:
    assert commonness("trunnion") < commonness("thermal expansion") < commonness("various sources")
    assert commonness("") == 0.0
    sentence = (
        "Instead of valves, the entire cylinder rocks, or oscillates, such that one or more holes in the cylinder "
        "line up with holes in a fixed port face or in the pivot mounting (trunnion)."
    )
    assert ask("What is another term for the pivot mounting?", sentence) == "trunnion"
    assert ask("What is another term for the pivot mounting?", sentence, weights(common=0.0)) == "port face"


def test_a_question_naming_the_answers_siblings_gets_the_item_listed_beside_them() -> None:
    sentence = (
        "The major problem is the difficulty of sealing the rotors to make them steam-tight in the face of wear and "
        "thermal expansion; the resulting leakage made them very inefficient."
    )
    question = "Along with wear, what development makes it difficult to seal the rotors in an engine that lacks pistons?"
    assert ask(question, sentence) == "thermal expansion"
    assert ask(question, sentence, weights(sibling=0.0)) == "them steam-tight"
    sentence = "Steam engines saw widespread commercial use driving machinery in factories, mills and mines; powering pumping stations."
    assert ask("Along with mills and mines, in what industrial locations did steam drive machines?", sentence) == "factories"


def test_a_candidate_parted_by_punctuation_from_every_question_word_is_a_worse_answer() -> None:
    sentence = "Isaac surrendered and was confined with silver chains, because Richard had promised that he would not place him in irons."
    anchors = question_anchors(sentence, query_tokens("What were Isaac's chains made out of?"))
    silver = sentence.index("silver")
    richard = sentence.index("Richard")
    assert not apart(Span("silver", silver, silver + 6), anchors, sentence)
    assert apart(Span("Richard", richard, richard + 7), anchors, sentence)
    assert ask("What were Isaac's chains made out of?", sentence) == "silver"
    assert ask("What were Isaac's chains made out of?", sentence, weights(apart=0.0)) == "Richard"
    # a colon opens the list that answers: it does not part it from the question's words
    sentence = "NATO's counter-terrorism efforts are focused on three main areas: awareness, capabilities, and engagement."
    start = sentence.index("awareness")
    assert not apart(Span("awareness", start, start + 9), question_anchors(sentence, query_tokens("What are the focus areas?")), sentence)
def test_how_far_is_answered_by_the_long_way_not_the_height_beside_the_question_words() -> None:
    sentences = ["The lamp sits 42 metres above the sea and can be seen 27 kilometres out at sea."]
    short = choose_short_answer(plan_for("How far out at sea can the lamp be seen?"), sentences, [500], 0, "light.txt", {}, SETTINGS)
    assert short is not None and short.text == "27 kilometres" and short.answer_type == "distance"
    assert short.start == 500 + sentences[0].index("27 kilometres")


def test_what_does_x_do_has_no_short_answer() -> None:
    hub = "The COE-DAT serves as a hub for international dialogue and discussion on counter-terrorism."
    assert choose_short_answer(plan_for("What does COE-DAT do?"), [hub], [0], 0, "doc.md", {}, SETTINGS) is None


def test_where_is_answered_by_the_place_not_the_initiative_after_at() -> None:
    sentence = (
        "Additionally, NATO has delivered in-person counter-terrorism courses through Mobile Education and Training "
        "Teams at the NATO-Istanbul Cooperation Initiative (ICI) Regional Centre in Kuwait, benefiting participants "
        "from NATO partner countries in the Gulf."
    )
    short = choose_short_answer(plan_for("Where is the ICI Regional Centre?"), [sentence], [0], 0, "doc.md", {}, SETTINGS)
    assert short is not None and short.text == "Kuwait" and short.answer_type == "place"


def test_a_follow_ups_short_answer_stands_beside_the_users_own_words_not_the_threads() -> None:
    sentence = (
        "Furthermore, the State Department produces the annual Country Reports on Terrorism, which provides a "
        "congressionally mandated assessment of trends in international terrorism."
    )
    followup = followup_plan("What does it assess?", "What does the State Department produce every year?")
    short = choose_short_answer(followup, [sentence], [0], 0, "doc.md", {}, SETTINGS)
    assert short is not None and short.text == "trends in international terrorism"
    # the thread's words anchor the fact when the sentence holds none of the user's
    no_own = replace(followup, own_tokens=query_tokens("what is covered"))
    assert choose_short_answer(no_own, [sentence], [0], 0, "doc.md", {}, SETTINGS) is not None


def test_a_span_cut_short_gets_its_number_or_the_noun_its_possessive_modifies() -> None:
    sentence = "This policy supports allies, as outlined in United Nations Security Council Resolution 2396."
    name = "United Nations Security Council Resolution"
    span = Span(name, sentence.index(name), sentence.index(name) + len(name))
    assert completed(span, sentence).text == "United Nations Security Council Resolution 2396"
    sentence = "Each task force operates within a US Attorney's district, to integrate activities."
    span = Span("US Attorney's", sentence.index("US"), sentence.index("US") + len("US Attorney's"))
    done = completed(span, sentence)
    assert done.text == "US Attorney's district" and sentence[done.start : done.end] == done.text
    sentence = "NATO's Battlefield Evidence Policy was approved."
    assert completed(Span("NATO's", 0, 6), sentence).text == "NATO's Battlefield Evidence Policy"
    sentence = "It has 93 task forces."
    assert completed(Span("93", 7, 9), sentence).text == "93"  # a number is complete


def test_a_follow_ups_short_answer_is_not_the_threads_own_topic() -> None:
    sentence = "In this context, the US Department of Justice launched the Responsible Cooperators Program."
    followup = followup_plan("who launched it?", "tell me about the responsible cooperators program")
    short = choose_short_answer(followup, [sentence], [0], 0, "doc.md", {}, SETTINGS)
    assert short is not None and short.text == "the US Department of Justice"


def test_a_follow_ups_short_answer_does_not_run_across_the_verb() -> None:
    sentence = (
        "The success of the Responsible Cooperators Program relies on effective diplomacy and trust-building "
        "between government officials and non-citizen informants."
    )
    followup = followup_plan("what does its success depend on", "who launched the responsible cooperators program")
    short = choose_short_answer(followup, [sentence], [0], 0, "doc.md", {}, SETTINGS)
    assert short is not None and short.text.startswith("effective diplomacy")


def test_a_question_for_several_things_gets_the_whole_list_its_span_is_an_item_of() -> None:
    sentence = (
        "Terrorist groups such as ISIS, al-Qa'ida, and Hizballah pose a significant threat to global security."
    )
    short = choose_short_answer(plan_for("Which terrorist groups does the article name?"), [sentence], [0], 0, "d", {}, SETTINGS)
    assert short is not None and short.text == "ISIS, al-Qa'ida, and Hizballah"
    assert sentence[short.start : short.end] == short.text  # the offsets hold the list
    # the preposition before the first item is no part of the list
    war = "The State Department has been active in the global war, particularly against al-Qaeda and the Taliban."
    assert whole_list(Span("against al-Qaeda", 69, 85), war, "Which groups was it fighting?").text == "al-Qaeda and the Taliban"


def test_one_item_stays_alone_for_a_singular_question_a_named_sibling_or_a_phrase_that_is_no_item() -> None:
    sentence = "They work with the United Nations, INTERPOL, and the European Union on battlefield information."
    item = Span("the United Nations", 15, 33)
    assert whole_list(item, sentence, "Which organizations do they work with?").text.endswith("the European Union")
    assert whole_list(item, sentence, "Which organization do they work with first?") == item
    # the question names an item itself: it asks for the one it leaves out
    assert whole_list(item, sentence, "Along with INTERPOL, which organizations do they work with?") == item
    assert whole_list(item, sentence, "Which organizations besides the European Union do they work with?") == item
    # "what happens …" has no plural head noun
    steam = "The lead melts and the steam escapes."
    assert whole_list(Span("steam escapes", 23, 36), steam, "What happens after the lead melts?").text == "steam escapes"
    # a phrase sharing words with an item is not one
    strategies = "They formulate and implement international narcotics control strategies."
    phrase = Span("international narcotics control", 29, 60)
    assert whole_list(phrase, strategies, "which strategies does it formulate") == phrase


def test_asks_for_several_reads_the_plural_head_noun() -> None:
    assert asks_for_several("which terror groups does the article mention")
    assert asks_for_several("What kinds of places does DHS address threats to?")
    assert asks_for_several("which organizations play a key role")
    assert not asks_for_several("What does the State Department do?")
    assert not asks_for_several("Which group was it?")
    assert not asks_for_several("What results in out of order delivery?")
    assert not asks_for_several("How many members does NEXUS have?")


def test_a_number_keeps_the_label_word_before_it_and_a_slashed_date_stays_whole() -> None:
    sentence = "The US has also invoked NATO's collective defence clause (Article 5)."
    number = Span("5", sentence.index("5"), sentence.index("5") + 1)
    assert with_label(number, sentence).text == "Article 5"
    assert with_label(Span("93", 0, 2), "93 task forces were created.").text == "93"
    attacks = "NATO worked to enhance aviation security after the 9/11 terrorist attacks."
    assert short_of(plan_for("After which terrorist attacks did NATO improve aviation security?"), attacks) == "9/11"
    # "9/11" holds no count
    assert answer_spans("Nearly 3,000 died on 9/11.", "number", "How many died?", {})[0].text == "Nearly 3,000"
    assert [s.text for s in answer_spans("It runs 24/7 in 2 shifts.", "number", "How many shifts?", {})] == ["2"]


def test_what_does_x_verb_is_answered_by_what_follows_the_verb_not_its_subject() -> None:
    sentence = (
        "The Department of Justice's Responsible Cooperators Program offers immigration benefits to "
        "non-citizens who provide information."
    )
    assert short_of(followup_plan("What does it offer?", "What is the Responsible Cooperators Program?"), sentence) == (
        "immigration benefits"
    )
    # the verb may end on its particle: "focus on"
    plan = followup_plan("What does it focus on?", "When was the US-Canada joint action plan on opioids launched?")
    launched = (
        "Their joint action plan, launched in January 2020, focuses on combating opioid trafficking through "
        "enhanced law enforcement and border security cooperation."
    )
    assert short_of(plan, launched) == "opioid trafficking"
    # a candidate before the verb still answers when none follows it
    inverted = "Immigration benefits are what the program offers."
    assert short_of(plan_for("What does the program offer?"), inverted) == "Immigration benefits"
