"""The reordering rules: prose over a table row, first mention over a recap, an acronym's
definition for what it stands for (no model)."""

from __future__ import annotations

from dataclasses import replace

from answering_fixtures import passage, scored, view
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.reorder import REORDER_RULES, holds_question_words, many_word_names, reorder, restates
from ctqa.config import AnswerSettings

SETTINGS = AnswerSettings()
ROW = passage("Number of task forces created by the US: 93", 0, kind="table_row")
BODY = passage("The US created 93 task forces in 2001. Each works in a district.", 100)
RECAP = passage("In short, the US created 93 task forces in 2001.", 300)


def test_rules_are_named_and_ordered() -> None:
    assert [rule.name for rule in REORDER_RULES] == [
        "meta_text", "all_question_words", "prose_over_table_row", "first_mention", "definition_first_mention",
        "polarity", "acronym_definition", "asked_name", "restated_question", "named_antecedent",
    ]


def test_a_sentence_stating_the_row_value_answers_before_the_row() -> None:
    corpus = view(ROW, BODY, row_values=("93", ""))
    order = reorder([scored(0, 0, 0.9), scored(1, 1, 0.8), scored(1, 0, 0.6)], corpus, SETTINGS)
    assert [(s.passage_id, s.number) for s in order] == [(1, 0), (0, 0), (1, 1)]


def test_the_row_stays_first_when_the_prose_states_its_number_about_something_else() -> None:
    courses = passage("Number of participants in the NATO counter-terrorism courses 50", 0, kind="table_row")
    hub = passage("The hub engages with over 50 countries on counter-terrorism.", 100)
    corpus = view(courses, hub, row_values=("50", ""))
    order = reorder([scored(0, 0, 0.9), scored(1, 0, 0.8)], corpus, SETTINGS)
    assert order[0].passage_id == 0


def test_the_row_stays_first_when_the_prose_scores_too_low() -> None:
    corpus = view(ROW, BODY, row_values=("93", ""))
    floor = 0.9 * SETTINGS.prose_over_table_ratio
    order = reorder([scored(0, 0, 0.9), scored(1, 0, floor - 0.01)], corpus, SETTINGS)
    assert order[0].passage_id == 0


def test_the_first_mention_of_a_fact_answers_before_its_recap() -> None:
    corpus = view(BODY, RECAP)
    order = reorder([scored(1, 0, 0.9), scored(0, 0, 0.89)], corpus, SETTINGS)
    assert (order[0].passage_id, order[0].number) == (0, 0)
    # not near-equal: the recap keeps its place
    order = reorder([scored(1, 0, 0.9), scored(0, 0, 0.5)], corpus, SETTINGS)
    assert order[0].passage_id == 1


OFFICE = passage("The Office of Weapons of Mass Destruction Terrorism (WMDT) leads the effort.", 0)
DEFINED = passage("States work to keep weapons of mass destruction (WMDs) from terrorists.", 200)
WMD = {"WMD": "weapons of mass destruction", "WMDT": "Office of Weapons of Mass Destruction Terrorism"}


def test_the_sentence_defining_the_asked_acronym_answers_what_it_stands_for() -> None:
    corpus = replace(view(OFFICE, DEFINED), acronyms=WMD)
    near = 0.9 * SETTINGS.acronym_definition_ratio
    order = reorder([scored(0, 0, 0.9), scored(1, 0, near)], corpus, SETTINGS, "What does WMD stand for?")
    assert order[0].passage_id == 1
    # too far below the best, or a question that is no acronym question: the order stays
    order = reorder([scored(0, 0, 0.9), scored(1, 0, near - 0.01)], corpus, SETTINGS, "What does WMD stand for?")
    assert order[0].passage_id == 0
    order = reorder([scored(0, 0, 0.9), scored(1, 0, near)], corpus, SETTINGS, "Who fights WMD terrorism?")
    assert order[0].passage_id == 0


def test_a_question_naming_the_long_form_asks_for_the_acronym_and_is_left_alone() -> None:
    corpus = replace(view(OFFICE, DEFINED), acronyms=WMD)
    question = "What is the abbreviation for weapons of mass destruction (WMD)?"
    order = reorder([scored(0, 0, 0.9), scored(1, 0, 0.89)], corpus, SETTINGS, question)
    assert order[0].passage_id == 0


DIALOGUE = passage("Their partnership includes an expanded US-Canada Arctic Dialogue.", 0)
COUNCIL = passage("The two countries also work through the multilateral Arctic Council.", 200)
ARCTIC = "What do the US and Canada do through the Arctic Council?"


def _winner(corpus: CorpusView, question: str, runner_up: float) -> int:
    """The passage answering first when passage 0 scores 0.9 and passage 1 ``runner_up``."""
    return reorder([scored(0, 0, 0.9), scored(1, 0, runner_up)], corpus, SETTINGS, question)[0].passage_id


def test_many_word_names_leave_out_question_words_and_single_words() -> None:
    assert many_word_names(ARCTIC) == ["Arctic Council"]
    assert many_word_names("What Does the Foreign Terrorist Tracking Task Force do?") == ["Foreign Terrorist Tracking Task Force"]
    assert many_word_names("Which alliance are the US and Canada part of?") == []


def test_the_sentence_writing_the_asked_name_answers_before_one_sharing_a_word_of_it() -> None:
    corpus = view(DIALOGUE, COUNCIL)
    near = 0.9 * SETTINGS.asked_name_ratio
    assert _winner(corpus, ARCTIC, near) == 1
    # too far below the best, or a question without a many-word name: the order stays
    assert _winner(corpus, ARCTIC, near - 0.01) == 0
    assert _winner(corpus, "What does the Arctic work cover?", near) == 0
    # a best sentence with no word of the name may refer to it ("They …"): it keeps its place
    assert _winner(view(passage("They also work on shared challenges.", 0), COUNCIL), ARCTIC, near) == 0


ANNOUNCED = passage(
    "The State Department has also worked to strengthen cooperation against terrorism. "
    "This includes new agreements with Canada. NATO shares data.",
    0,
)
STRENGTHENED = "How has the State Department strengthened cooperation against terrorism?"


def test_the_sentence_after_a_restated_question_answers_when_it_leans_on_it() -> None:
    assert restates("The State Department has also worked to strengthen cooperation against terrorism.", STRENGTHENED, 0.75)
    assert not restates("NATO shares data on terrorism with the State Department.", STRENGTHENED, 0.75)
    corpus = view(ANNOUNCED)
    order = reorder([scored(0, 0, 0.9), scored(0, 2, 0.5), scored(0, 1, 0.4)], corpus, SETTINGS, STRENGTHENED)
    assert [(s.passage_id, s.number) for s in order][:2] == [(0, 1), (0, 0)]
    # a "what is …" question is answered by its restatement, which names the thing asked for
    order = reorder([scored(0, 0, 0.9), scored(0, 2, 0.5), scored(0, 1, 0.4)], corpus, SETTINGS, "What has the State Department also worked to strengthen against terrorism?")
    assert order[0].number == 0
    # a best sentence that is no restatement keeps its place
    order = reorder([scored(0, 0, 0.9), scored(0, 1, 0.4)], corpus, SETTINGS, "How did it strengthen ties with Canada?")
    assert order[0].number == 0


def test_a_restated_question_stays_first_when_the_next_sentence_stands_alone() -> None:
    corpus = view(ANNOUNCED)
    question = "How does it include new agreements with Canada?"
    assert restates("This includes new agreements with Canada.", question, 0.75)
    # "NATO shares data." does not lean on the sentence before it
    order = reorder([scored(0, 1, 0.9), scored(0, 2, 0.5)], corpus, SETTINGS, question)
    assert order[0].number == 1


ROLE = passage("The Department of Homeland Security (DHS) plays a crucial role against terrorism.", 0)
FOCUS = passage("DHS focuses on detection and prevention.", 200)
DHS = {"DHS": "Department of Homeland Security"}


def test_a_near_tied_sentence_holding_every_question_word_answers_first() -> None:
    corpus = replace(view(ROLE, FOCUS), acronyms=DHS)
    question = "What does the Department of Homeland Security focus on?"
    # "DHS" stands for the words of its long form
    assert holds_question_words({"dhs", "focus"}, {"depart", "homeland", "secur", "focus"}, DHS)
    assert not holds_question_words({"focus"}, {"homeland", "focus"}, DHS)
    near = 0.9 * SETTINGS.all_words_ratio
    assert _winner(corpus, question, near) == 1
    # no near tie: the best stays; a misspelt word ("focsu") the corpus lacks is no test
    assert _winner(corpus, question, near - 0.01) == 0
    assert _winner(corpus, "wat does the Homeland Security focsu on", near) == 0


INTRO = passage(
    "Organizations like the United Nations, NATO, and the State Department play a crucial role. "
    "By fostering cooperation among nations, these organizations help to enhance global security.", 0,
)


def test_the_sentence_naming_what_these_organizations_refers_to_answers_which_organisations() -> None:
    question = "which organisations help countries work together?"
    order = reorder([scored(0, 1, 0.96), scored(0, 0, 0.65)], view(INTRO), SETTINGS, question)
    assert (order[0].passage_id, order[0].number) == (0, 0)
    # too far below the best, or asked about something else, it stays second
    order = reorder([scored(0, 1, 0.96), scored(0, 0, 0.4)], view(INTRO), SETTINGS, question)
    assert (order[0].passage_id, order[0].number) == (0, 1)
    order = reorder([scored(0, 1, 0.96), scored(0, 0, 0.65)], view(INTRO), SETTINGS, "which nations cooperate?")
    assert (order[0].passage_id, order[0].number) == (0, 1)


def test_a_question_asking_for_a_kind_keeps_the_sentence_saying_these() -> None:
    # "what cells …?" asks for a kind: "these cells …" may answer it, and one name before is no list
    cells = passage("Leukocytes are white blood cells. These cells act as independent organisms.", 0)
    order = reorder([scored(0, 1, 0.96), scored(0, 0, 0.9)], view(cells), SETTINGS, "What cells act independently?")
    assert (order[0].passage_id, order[0].number) == (0, 1)


INTRODUCED = passage(
    "In this context, the Department launched the Responsible Cooperators Program, which rewards informants. "
    "This program offers immigration benefits.", 0,
)
RESTATED = passage("The Responsible Cooperators Program is part of a broader strategy of the Department.", 300)
DEFINED_ROW = passage("Responsible Cooperators Program start year 2001", 0, kind="table_row")


def test_a_definition_question_is_answered_where_the_document_introduces_the_term() -> None:
    corpus = view(INTRODUCED, RESTATED)
    order = reorder([scored(1, 0, 0.994), scored(0, 0, 0.991)], corpus, SETTINGS, "what's the responsible cooperators program")
    assert (order[0].passage_id, order[0].number) == (0, 0)
    # not near-equal, or not a definition question: the best keeps its place
    assert reorder([scored(1, 0, 0.99), scored(0, 0, 0.8)], corpus, SETTINGS, "What is the Responsible Cooperators Program?")[0].passage_id == 1
    assert reorder([scored(1, 0, 0.994), scored(0, 0, 0.991)], corpus, SETTINGS, "Who runs the Responsible Cooperators Program?")[0].passage_id == 1
    # a table row is a label, no introduction
    rows = view(DEFINED_ROW, RESTATED)
    assert reorder([scored(1, 0, 0.994), scored(0, 0, 0.993)], rows, SETTINGS, "What is the Responsible Cooperators Program?")[0].passage_id == 1
