"""Names and spelling (``retrieval.names``): spelling correction, word families and the names a
question uses, against the article's vocabulary (no model)."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import CORPUS_DIR
from ctqa.chunking import approximate_token_count, chunk_documents
from ctqa.config import ChunkSettings, NameSettings
from ctqa.ingest.loader import load_corpus
from ctqa.retrieval.acronyms import learn_acronyms, learn_initialisms
from ctqa.retrieval.names import Spelling, same_family
from ctqa.retrieval.query import QueryRewriter
from ctqa.retrieval.text import initialisms, tokenize, words


@pytest.fixture(scope="module")
def rewriter() -> QueryRewriter:
    """The rewriter the retriever builds for the article (vocabulary = words per passage)."""
    (article,) = load_corpus(CORPUS_DIR).documents
    vocabulary: Counter[str] = Counter()
    for passage in chunk_documents([article], ChunkSettings(), approximate_token_count):
        vocabulary.update(set(words(f"{passage.section} {passage.text}")))
    acronyms = learn_acronyms([article.text])
    return QueryRewriter(vocabulary, acronyms, initialisms=learn_initialisms([article.text], acronyms, vocabulary))


# -- spelling correction --------------------------------------------------------------------------


def test_misspelt_words_are_corrected_to_corpus_words(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.correct_word("terorism") == "terrorism"
    assert rewriter.spelling.correct_word("forses") == "forces"
    assert rewriter.spelling.correct_word("excelence") == "excellence"
    for corrected in ("terrorism", "forces", "excellence"):
        assert corrected in rewriter.vocabulary


def test_known_short_and_far_words_are_not_corrected(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.correct_word("nato") is None  # in the corpus
    assert rewriter.spelling.correct_word("nat") is None  # too short
    assert rewriter.spelling.correct_word("2001") is None  # a number
    assert rewriter.spelling.correct_word("sourdough") is None  # nothing within distance 2


def test_plan_records_corrections(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("How many task forses did the US set up against terorism?")
    assert plan.corrections == {"forses": "forces", "terorism": "terrorism"}
    assert plan.dense_text == "How many task forces did the US set up against terrorism"
    assert plan.describe() == "spelling: forses→forces, terorism→terrorism"
    assert plan.answer_type == "number"


def test_misspelt_hyphenated_word_is_corrected(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("How many anti-terorism task forces are there?")
    assert "terrorism" in plan.dense_text


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("How many people took part in NATO's 2021 and 2023 counter-terrorism courses?", "took"),
        ("Does the real-time information sharing cause delays at the border?", "cause"),
        ("Where does each Anti-Terrorism Task Force operate?", "operate"),
        ("Who is the current NATO Secretary General?", "general"),
    ],
)
def test_correctly_spelt_words_are_not_changed(rewriter: QueryRewriter, question: str, word: str) -> None:
    assert word not in rewriter.plan(question).corrections


# -- spelling by sound, question words, word families ------------------------------------------------


def test_a_word_two_edits_away_is_corrected_when_it_sounds_the_same(rewriter: QueryRewriter) -> None:
    # "lora" is two edits from "laura" and from "local"; only "laura" sounds alike (Metaphone)
    assert rewriter.plan("what did lora bush lead").corrections == {"lora": "laura"}


def test_a_word_two_edits_away_that_sounds_different_is_left() -> None:
    # "role" is two edits from "lora" but sounds different (RL / LR): no guess
    assert Spelling(Counter({"role": 50}), []).correct_word("lora") is None
    assert Spelling(Counter({"role": 50, "laura": 1}), []).correct_word("lora") == "laura"


@pytest.mark.parametrize(
    ("question", "typo", "fixed", "answer_type"),
    [
        ("wat does DHS focus on", "wat", "what", "phrase"),  # "what does X do": a phrase answers
        ("wen was the Battlefield Evidence Policy approved", "wen", "when", "date"),
        ("hwo leads the WMDT office", "hwo", "who", "leader"),
    ],
)
def test_misspelt_opening_question_word_is_read_as_the_question_word(
    rewriter: QueryRewriter, question: str, typo: str, fixed: str, answer_type: str
) -> None:
    plan = rewriter.plan(question)
    assert plan.corrections[typo] == fixed
    assert plan.answer_type == answer_type
    assert typo not in plan.focus_tokens and fixed not in plan.focus_tokens


def test_acronym_with_two_letters_swapped_is_corrected(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.correct_acronym("wdm") == "wmd"
    assert rewriter.spelling.correct_acronym("ntao") == "nato"
    assert rewriter.spelling.correct_acronym("wmd") is None  # already right
    assert rewriter.spelling.correct_acronym("fbi") is None  # no corpus acronym is one swap away
    plan = rewriter.plan("what does WDM stand for?")
    assert plan.corrections == {"wdm": "wmd"}
    assert "weapons of mass destruction" in plan.expansions


def test_a_question_word_inside_the_question_is_not_touched(rewriter: QueryRewriter) -> None:
    # only the first word is read as a question word: "wat" later is an ordinary word
    assert "wat" not in rewriter.plan("Tell me about the wat program").corrections.values()


def test_unknown_word_is_joined_to_its_corpus_family(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("where do US and Canadian officers work side by side")
    assert plan.word_forms == {"canadian": "canada"}
    assert plan.corrections == {}  # a word form is not a spelling mistake
    assert "canada" in plan.focus_tokens
    assert "word forms: canadian→canada" in plan.describe()


def test_word_family_needs_a_long_shared_prefix(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.related_form("organic") is None  # "organ..." but "organisation" is too different
    assert rewriter.spelling.related_form("operate") is None  # stemming already joins it with "operating"


# -- names the question uses ---------------------------------------------------------------------------


def test_asked_names_are_capitalised_runs(rewriter: QueryRewriter) -> None:
    names = rewriter.asked_names("How many task forces has Canada set up with the U.S. and Mexico?", {})
    # "How" only opens the sentence; "Mexico" is kept although the article never names it
    assert [name.text for name in names] == ["Canada", "US", "Mexico"]
    names = rewriter.asked_names("NATO's Centre of Excellence for Defence Against Terrorism", {})
    assert [name.text for name in names] == ["NATO's", "Centre of Excellence for Defence Against Terrorism"]
    assert names[1].initials == ("cedat", "coefdat")
    assert rewriter.asked_names("what is the responsible cooperators program", {}) == ()
    # a country typed in lowercase is a name all the same; "us" and "turkey" are words first
    names = rewriter.asked_names("how many task forces does canada have with us and mexico", {})
    assert [(name.text, name.in_corpus) for name in names] == [("Canada", True), ("Mexico", False)]
    # the pronoun "I" is no name, and a name written twice is one name
    names = rewriter.asked_names("I asked about Mexico. I mean Mexico, what does NATO do there?", {})
    assert [name.text for name in names] == ["Mexico", "NATO"]


def test_asked_name_is_found_by_its_family_initials_or_acronym(rewriter: QueryRewriter) -> None:
    (united_states,) = rewriter.asked_names("What did the United States do?", {})
    assert united_states.found_in({"us", "forc"}) and not united_states.found_in({"canada"})
    (wmds,) = rewriter.asked_names("Who stops WMDs?", {})
    assert wmds.found_in(set(tokenize("weapons of mass destruction")))
    (laura_bush,) = rewriter.asked_names("When did Laura Bush speak?", {})
    assert laura_bush.found_in({"bush"}) and not laura_bush.found_in({"laura"})
    (asian,) = rewriter.asked_names("Which Asian partners?", {})
    assert asian.found_in({"asia"}) and not asian.found_in({"africa"})
    (faq,) = rewriter.asked_names("What does the FAQ say?", {})
    assert faq.found_in(set(), initialisms(tokenize("Frequently Asked Questions")))


def test_asked_names_survive_combining_marks_and_skip_numbered_items(rewriter: QueryRewriter) -> None:
    assert [n.text for n in rewriter.asked_names("W̸h̷e̵r̶e̸ is C̵O̸E̴-̷D̵A̵T̶?", {})] == ["COE DAT"]
    assert [n.text for n in rewriter.asked_names("When did NATO invoke Article 5?", {})] == ["NATO"]
    (mexico,) = rewriter.asked_names("Is Mexico a partner?", {})
    assert not mexico.in_corpus


def test_same_family_joins_demonyms_but_not_unrelated_words() -> None:
    assert same_family("english", "england") and same_family("asian", "asia") and same_family("european", "europ")
    assert not same_family("national", "nato") and not same_family("terrorism", "territory")


def test_the_family_prefix_is_a_setting() -> None:
    # "canadian" and "canada" share 5 letters: joined at the default, not when 6 are asked for
    vocabulary = Counter({"canada": 3, "border": 2})
    assert Spelling(vocabulary, []).related_form("canadian") == "canada"
    assert Spelling(vocabulary, [], NameSettings(form_prefix=6)).related_form("canadian") is None


def test_a_common_english_word_is_never_corrected() -> None:
    vocabulary = Counter({"cause": 1, "causes": 1})
    assert Spelling(Counter({"caused": 1}), []).correct_word("cause") is None  # Zipf > 3
    assert Spelling(vocabulary, [], NameSettings(common_word_zipf=9.0)).correct_word("cauze") == "cause"


def test_chat_shorthand_is_read_as_its_word(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("how many ppl are members of the nexus program")
    assert plan.corrections == {"ppl": "people"}
    assert plan.dense_text == "how many people are members of the nexus program"
    assert rewriter.plan("who leads the state dept's work").corrections == {"dept": "department"}
    # a shorthand the corpus itself writes is left as it is
    assert Spelling(Counter({"info": 3}), []).informal_word("info") is None
    assert Spelling(Counter({"information": 3}), []).informal_word("info") == "information"


def test_a_follow_up_searches_the_earlier_question_as_corrected(rewriter: QueryRewriter) -> None:
    history = [
        {"role": "user", "content": "who does the state departmnet share battlefield info with"},
        {"role": "assistant", "content": "They also collaborate with the United Nations."},
    ]
    plan = rewriter.plan("what is it used for", history)
    assert plan.followup_of == "who does the state department share battlefield information with"
    assert "departmnet" not in plan.dense_text


def test_a_lowercase_plural_acronym_expands(rewriter: QueryRewriter) -> None:
    assert rewriter.expand_acronyms("does the state try to stop countries getting wmds") == ["weapons of mass destruction"]


def test_a_function_word_with_two_letters_swapped_is_read_as_itself(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.correct_function_word("wiht") == "with"
    assert rewriter.spelling.correct_function_word("thier") == "their"
    assert rewriter.spelling.correct_function_word("form") is None  # an English word
    assert rewriter.spelling.correct_function_word("teh") == "the"  # common, but far rarer than "the"
    assert rewriter.spelling.correct_function_word("fro") is None
    assert rewriter.plan("who do they work wiht").corrections == {"wiht": "with"}


def test_an_acronym_the_corpus_never_writes_expands_to_the_phrase_it_abbreviates(rewriter: QueryRewriter) -> None:
    assert "doj" not in rewriter.vocabulary and "ftttf" not in rewriter.vocabulary
    assert rewriter.expand_acronyms("who did the DOJ arrest as an example") == ["Department of Justice"]
    assert rewriter.expand_acronyms("what do the FTTTFs do") == ["Foreign Terrorist Tracking Task Force"]
    # only in capitals: a lowercase "doj" may be any typing
    assert rewriter.expand_acronyms("who did the doj arrest") == []
    # a defined acronym expands to its definition only
    assert rewriter.expand_acronyms("what does DHS do") == ["Department of Homeland Security"]
    # the phrase is not added twice when the question writes it
    assert rewriter.expand_acronyms("is the DOJ the Department of Justice") == []


def test_the_initials_table_never_expands_a_corpus_word_or_a_defined_acronym() -> None:
    table = {"art": "Army Research Team", "dhs": "Department of Home Services", "doj": "Department of Justice"}
    rewriter = QueryRewriter(Counter({"art": 1, "justice": 1}), {"DHS": "Department of Homeland Security"}, initialisms=table)
    assert rewriter.expand_acronyms("what did ART and DHS do") == ["Department of Homeland Security"]
    assert rewriter.abbreviations("what did ART, DHS and the DOJ do") == {"DOJ": "Department of Justice"}


def test_an_acronym_the_corpus_never_writes_is_found_as_its_phrase(rewriter: QueryRewriter) -> None:
    (doj,) = rewriter.asked_names("Who did the DOJ arrest as an example?", {})
    assert doj.in_corpus and doj.other_forms == (("depart", "justic"),)
    assert doj.found_in(set(tokenize("For example, the Department of Justice arrested Mazen Al Najjar")))
    assert not doj.found_in(set(tokenize("The Department of Homeland Security plays a crucial role")))
    plan = rewriter.plan("who did the DOJ arrest as an example")
    # searched and scored as the phrase: no passage writes "DOJ"
    assert plan.dense_text == "who did the Department of Justice arrest as an example"
    assert plan.own_tokens == ["depart", "justic", "arrest", "exampl"]
    assert plan.expansions == ["Department of Justice"]


def test_a_question_asking_what_an_unwritten_acronym_stands_for_searches_its_phrase(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("What does FTTTF stand for?")
    assert plan.answer_type == "acronym"
    # the acronym stays in the question (its phrase is the answer), its token is no corpus word
    assert plan.dense_text == "What does FTTTF stand for? Foreign Terrorist Tracking Task Force"
    assert plan.own_tokens == []
    assert plan.focus_tokens == ["foreign", "terrorist", "track", "task", "forc"]


def test_two_corpus_words_run_together_are_split(rewriter: QueryRewriter) -> None:
    assert rewriter.spelling.split_compound("taskforces") == "task forces"
    assert rewriter.spelling.split_compound("counterterrorism") is None  # the article writes it
    assert rewriter.spelling.split_compound("antithesis") is None  # an English word
    corrected, corrections, _ = rewriter.spelling.corrected("how many taskforces did the US make")
    assert corrected == "how many task forces did the US make" and corrections == {"taskforces": "task forces"}
    assert rewriter.spelling.corrected("Taskforces")[0] == "Taskforces"  # not typed in lowercase: a name
