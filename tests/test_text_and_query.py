"""Tokenisation, acronym learning and query rewriting (follow-ups, acronyms, spelling)."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from conftest import CORPUS_DIR
from ctqa.answering.answer_types import question_type
from ctqa.answering.followups import leans_on_history, previous_topic
from ctqa.chunking import approximate_token_count, chunk_documents
from ctqa.config import AnswerSettings, ChunkSettings
from ctqa.ingest.loader import load_corpus
from ctqa.retrieval.acronyms import learn_acronyms, learn_initialisms, schwartz_hearst_long_form
from ctqa.retrieval.query import QueryRewriter, clean_question
from ctqa.retrieval.text import fold, looks_like_code, query_tokens, tokenize, words
from ctqa.types import Document


@pytest.fixture(scope="module")
def article() -> Document:
    (document,) = load_corpus(CORPUS_DIR).documents
    return document


@pytest.fixture(scope="module")
def acronyms(article: Document) -> dict[str, str]:
    return learn_acronyms([article.text])


@pytest.fixture(scope="module")
def rewriter(article: Document, acronyms: dict[str, str]) -> QueryRewriter:
    """The rewriter the retriever builds for the article (vocabulary = words per passage)."""
    vocabulary: Counter[str] = Counter()
    for passage in chunk_documents([article], ChunkSettings(), approximate_token_count):
        vocabulary.update(set(words(f"{passage.section} {passage.text}")))
    return QueryRewriter(vocabulary, acronyms)


# -- tokenizer -------------------------------------------------------------------------------------


def test_british_and_american_spellings_give_one_token() -> None:
    assert tokenize("organisations centre labelled") == tokenize("organizations center labeled")


def test_punctuation_does_not_change_a_token() -> None:
    assert tokenize("NATO,") == tokenize("NATO") == tokenize("(NATO)") == ["nato"]


def test_accents_are_folded() -> None:
    assert fold("Türkiye") == "turkiye"
    assert tokenize("Ankara, Türkiye") == tokenize("Ankara, Turkiye")


def test_dotted_initialisms_are_joined() -> None:
    assert tokenize("U.S.") == tokenize("US") == ["us"]
    assert tokenize("the U.S. forged agreements") == tokenize("the US forged agreements")


def test_hyphenated_words_give_parts_and_joined_form() -> None:
    assert words("counter-terrorism") == ["counter", "terrorism", "counterterrorism"]
    assert set(tokenize("counterterrorism")) <= set(tokenize("counter-terrorism"))
    assert set(tokenize("counter terrorism")) <= set(tokenize("counter-terrorism"))


def test_possessive_and_curly_apostrophe() -> None:
    assert words("NATO’s efforts") == words("NATO's efforts") == ["nato", "efforts"]


def test_stemming_and_stopwords() -> None:
    assert tokenize("terrorists") == tokenize("terrorist")
    assert tokenize("the fight against terrorism") == ["fight", "against", "terror"]
    # question words are dropped from queries but not from documents
    assert query_tokens("How many task forces did the US create?") == tokenize("task forces US create")
    assert "how" in words("How many") and "mani" not in query_tokens("How many")


# -- acronyms ------------------------------------------------------------------------------------


def test_acronyms_learnt_from_the_article(acronyms: dict[str, str]) -> None:
    assert acronyms["WMD"] == "weapons of mass destruction"  # written "(WMDs)"
    assert acronyms["COE-DAT"] == "Centre of Excellence for Defence Against Terrorism"
    assert acronyms["DHS"] == "Department of Homeland Security"
    assert acronyms["ICAO"] == "International Civil Aviation Organization"
    assert acronyms["NATO"] == "North Atlantic Treaty Organization"
    assert acronyms["EU"] == "European Union"
    assert acronyms["UN"] == "United Nations"
    assert acronyms["WMDT"] == "Weapons of Mass Destruction Terrorism"


def test_article_5_is_not_an_acronym(acronyms: dict[str, str]) -> None:
    assert not any("Article" in key or "Article" in value for key, value in acronyms.items())
    assert not any("collective defence" in value for value in acronyms.values())
    assert learn_acronyms(["NATO's collective defence clause (Article 5) was invoked."]) == {}


def test_schwartz_hearst_rejects_letters_that_do_not_match() -> None:
    assert schwartz_hearst_long_form("DHS", "The Department of Homeland Security") == "Department of Homeland Security"
    assert schwartz_hearst_long_form("XYZ", "The Department of Homeland Security") is None


def test_first_definition_wins() -> None:
    found = learn_acronyms(["United Nations (UN) first.", "Unknown Name (UN) later."])
    assert found == {"UN": "United Nations"}


def test_initials_of_the_article_phrases_are_learnt(article: Document, acronyms: dict[str, str]) -> None:
    learnt = learn_initialisms([article.text], acronyms, words(article.text))
    assert learnt["doj"] == "Department of Justice"  # "The Department of Justice" opens a sentence
    assert learnt["ftttf"] == "Foreign Terrorist Tracking Task Force"
    assert learnt["csi"] == "Container Security Initiative"
    assert learnt["psi"] == "Proliferation Security Initiative"
    # a defined acronym and its long form are the definition's ("DHS"), a corpus word is a word
    assert "dhs" not in learnt and "dohs" not in learnt and "nato" not in learnt
    assert all(len(initials) >= 3 for initials in learnt)  # "dj" of "Department of Justice"


def test_initials_of_two_phrases_a_corpus_word_or_a_defined_acronym_are_not_learnt() -> None:
    texts = [
        "The Department of Justice met the Division of Jobs.",
        "The Central Task Force and the Central Task Forces met the Army Research Team.",
        "The Counter Terror Fund (CTF) pays. Xavier Quinn wrote about art.",
    ]
    vocabulary = words(" ".join(texts))
    # "doj" is two phrases; "art" a word of the corpus; "ctf" is defined ("CTF") for another
    # phrase; "xq" has two letters
    assert learn_initialisms(texts, learn_acronyms(texts), vocabulary) == {}
    # "Central Task Force" and "Central Task Forces" are one phrase; "art" is no word of this text
    assert learn_initialisms(texts[1:2], {}, words(texts[1])) == {"ctf": "Central Task Force", "art": "Army Research Team"}
    assert learn_initialisms(texts, {}, vocabulary, min_letters=2) == {"xq": "Xavier Quinn"}


# -- acronym expansion -----------------------------------------------------------------------------


def test_acronym_expands_to_long_form(rewriter: QueryRewriter) -> None:
    assert rewriter.expand_acronyms("What does WMD stand for?") == ["weapons of mass destruction"]
    assert rewriter.expand_acronyms("Where is COE-DAT located?") == [
        "Centre of Excellence for Defence Against Terrorism"
    ]
    assert "International Civil Aviation Organization" in rewriter.expand_acronyms("What is ICAO?")


def test_long_form_expands_to_acronym(rewriter: QueryRewriter) -> None:
    assert rewriter.expand_acronyms("abbreviation for the Department of Homeland Security") == ["DHS"]
    assert "WMD" in rewriter.expand_acronyms("how to stop terrorists getting weapons of mass destruction")


def test_no_expansion_when_both_forms_are_written(rewriter: QueryRewriter) -> None:
    assert rewriter.expand_acronyms("the Department of Homeland Security (DHS)") == []


def test_plan_adds_expansions_to_both_queries(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("What does DHS stand for?")
    assert plan.expansions == ["Department of Homeland Security"]
    assert plan.dense_text == "What does DHS stand for? Department of Homeland Security"
    assert {"depart", "homeland", "secur"} <= set(plan.sparse_tokens)


def test_expansion_stays_out_of_dense_query_unless_acronym_is_asked(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("What does DHS focus on?")
    assert plan.expansions == ["Department of Homeland Security"]
    assert plan.dense_text == "What does DHS focus on?"
    # BM25 still matches passages that only spell the long form out, at the lower weight
    assert plan.sparse_tokens.count("homeland") == 1 and plan.sparse_tokens.count("dhs") == 2


# -- follow-ups ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many members does it have?", True),
        ("what about Canada?", True),
        ("And Canada?", True),
        ("Who launched it?", True),
        ("Why?", True),
        ("How many Anti-Terrorism Task Forces did the US create?", False),
        ("Where is the Centre of Excellence for Defence Against Terrorism?", False),
    ],
)
def test_leans_on_history(question: str, expected: bool) -> None:
    assert leans_on_history(question) is expected


def test_followup_gets_the_previous_user_turn(rewriter: QueryRewriter) -> None:
    history = [
        {"role": "user", "content": "What is the Responsible Cooperators Program?"},
        {"role": "assistant", "content": "This program incentivises information sharing."},
    ]
    plan = rewriter.plan("Who launched it?", history)
    assert plan.followup_of == "What is the Responsible Cooperators Program?"
    assert "Responsible Cooperators Program" in plan.dense_text
    assert {"respons", "cooper", "program"} <= set(plan.sparse_tokens)
    # a question that stands alone ignores the history
    alone = rewriter.plan("How many Anti-Terrorism Task Forces did the US create?", history)
    assert alone.followup_of == "" and "Cooperators" not in alone.dense_text


def test_previous_topic_chains_follow_ups() -> None:
    history = [
        {"role": "user", "content": "What is COE-DAT?"},
        {"role": "assistant", "content": "A centre in Ankara."},
        {"role": "user", "content": "Where is it?"},
        {"role": "assistant", "content": "Ankara."},
    ]
    assert previous_topic(history) == "What is COE-DAT? Where is it?"
    assert previous_topic(None) == "" and previous_topic([{"role": "assistant", "content": "hi"}]) == ""


# -- cleaning and question types ------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t ", "\x00\x01"])
def test_empty_question_is_rejected(question: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        clean_question(question, 1000)


def test_question_is_normalised() -> None:
    assert clean_question("  How   many\ttask\nforces?\x07 ", 1000) == ("How many task forces?", [])


def test_long_question_is_truncated_with_a_note() -> None:
    question = "How many task forces " * 100  # 2100 characters
    text, notes = clean_question(question, 1000)
    assert 500 < len(text) <= 1000
    assert question.startswith(text)
    assert not text.endswith(" ")
    assert notes == ["The question was longer than 1000 characters and was truncated."]


def test_a_long_preamble_ending_in_a_question_reads_the_question() -> None:
    preamble = "I have been reading about counter-terrorism for my class and I have notes. " * 20
    text, notes = clean_question(preamble + "How many members does NEXUS have?", 1000)
    assert text == "How many members does NEXUS have?"
    assert notes == ["The message was longer than 1000 characters; its last question was read."]
    # a question within the first 1000 characters is the one read, as before
    text, _ = clean_question("What is NEXUS? " + preamble + "And COE-DAT?", 1000)
    assert text.startswith("What is NEXUS?")


def test_question_of_exactly_max_chars_is_not_truncated() -> None:
    question = "x" * 1000
    assert clean_question(question, 1000) == (question, [])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many Anti-Terrorism Task Forces did the US create?", "number"),
        ("What is the number of COEs accredited by NATO?", "number"),
        ("When was the Battlefield Evidence Policy approved?", "date"),
        ("In what year did NATO invoke Article 5?", "date"),
        ("Who led the initiative on the Taliban's oppression of women?", "person"),
        ("Where is COE-DAT located?", "place"),
        ("Which country hosts the ICI Regional Centre?", "country"),
        ("Which other nations are in the Five Eyes?", "country"),
        ("Which city hosts COE-DAT?", "place"),
        ("What does WMD stand for?", "acronym"),
        ("What is the abbreviation for the Department of Homeland Security?", "acronym"),
        ("Describe NATO's counter-terrorism efforts", "other"),
        ("How much does the US spend on counter-terrorism each year?", "money"),
        ("What is the annual budget of COE-DAT?", "money"),
        ("How much information do they share?", "number"),
        ("Which countries are in the Five Eyes?", "country"),
        ("What nations does COE-DAT engage with?", "country"),
        ("Who is the head of the Office of Weapons of Mass Destruction Terrorism?", "leader"),
        ("Who leads ISIS today?", "leader"),
        ("Who led a worldwide initiative to highlight the Taliban's oppression of women?", "person"),
        ("Who does DHS collaborate with?", "person"),
        # "when" / "where" joining a clause is no cue: the question's first wh-word is "what"/"how"
        ("What does the helper T cell release when it binds with the MHC?", "phrase"),
        ("How do members vote when there is a division?", "other"),
        ("When do the Treaties apply?", "date"),
        # reasons; yes/no questions (a request "can you …" and an embedded wh-word are not)
        ("Why was Ankara chosen?", "reason"),
        ("What was the reason for the ban?", "reason"),
        ("Did the plan lower the number of deaths?", "yes_no"),
        ("is COE-DAT in Ankara", "yes_no"),
        ("Can you list the groups the US designated?", "other"),
        ("Is it known when NATO was founded?", "date"),
    ],
)
def test_question_type(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_plan_records_how_common_each_word_is_in_english(rewriter: QueryRewriter) -> None:
    plan = rewriter.plan("Is diplomacy only about agreements between nations?")
    assert plan.english_zipf["onli"] > 6.0  # "only": a word of the phrasing
    assert plan.english_zipf["diplomaci"] < plan.english_zipf["onli"]


@pytest.mark.parametrize("word", ["under", "stand", "mean", "between", "through"])
def test_frame_words_and_prepositions_are_not_query_tokens(word: str) -> None:
    assert query_tokens(f"what does EU {word}") == ["eu"]


# -- sentence tokens carry both forms of a defined acronym ----------------------------------------


def test_sentence_tokens_get_the_other_form_of_a_defined_acronym(acronyms: dict[str, str]) -> None:
    from ctqa.retrieval.hybrid import AcronymForms

    forms = AcronymForms.from_definitions(acronyms)
    assert forms.by_short["dhs"] == tuple(tokenize("Department of Homeland Security"))
    short_form = forms.add_to(tokenize("DHS focuses on detection"))
    assert set(tokenize("Department of Homeland Security")) <= set(short_form)
    assert len(short_form) == len(set(short_form))  # nothing added twice
    long_form = forms.add_to(tokenize("The Department of Homeland Security plays a role"))
    assert "dhs" in long_form
    plain = tokenize("The program offers immigration benefits")
    assert forms.add_to(plain) == plain
    # a part of the long form alone is not the acronym
    assert "dhs" not in forms.add_to(tokenize("the Department of State"))



@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("<b>Where is COE-DAT?</b>", "Where is COE-DAT?"),
        ('<a href="http://x">What is NEXUS?</a><br/>', "What is NEXUS?"),
        ("<script>alert(1)</script>What is NATO?", "What is NATO?"),
        ("Where is <COE-DAT> located?", "Where is <COE-DAT> located?"),  # not an HTML element
        ("a<b where is COE-DAT located? c>d", "a<b where is COE-DAT located? c>d"),  # no tag syntax
        ("is a < b and c > d true", "is a < b and c > d true"),
    ],
)
def test_only_real_html_tags_are_removed_from_a_question(question: str, expected: str) -> None:
    assert clean_question(question, 1000)[0] == expected


def test_a_question_of_markup_only_is_refused_as_such() -> None:
    with pytest.raises(ValueError, match="only markup"):
        clean_question("<img src=x onerror=alert(1)>", 1000)


CODE_SETTINGS = AnswerSettings()


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("DROP TABLE users; CREATE TABLE users (id INT PRIMARY KEY, name TEXT); INSERT INTO users SELECT * FROM t;", True),
        ("for (i = 0; i < n; i++) { total += x[i]; }", True),
        ("config_value = load_settings(path); cache_size = 10;", True),
        ("NATO, the EU, the UN and the OSCE work with the US; COE-DAT trains their officers.", False),
        ("If T(n) = 7n2 + 15n + 40, in big O notation one would write T(n) = O(n2).", False),
        ("Patients were classified as high RDW group (RDW ≥ 16, n= 62) or low RDW group (RDW < 16, n= 110).", False),
    ],
)
def test_looks_like_code(sentence: str, code: bool) -> None:
    assert looks_like_code(sentence, CODE_SETTINGS.code_min_marks, CODE_SETTINGS.code_min_share) is code
@pytest.mark.parametrize(
    "text",
    [
        "Türkiye’s café: naïve résumé, Ångström, Øresund, Œuvre, ﬁne ½ β-catenin 10⁻³ µm",
        "e\u0301 a\u0300\u0323 combining marks after ASCII letters, and \u0301 after a space",
        "".join(chr(code) for code in range(0x80, 0x2000)),
    ],
)
def test_fold_drops_combining_marks_as_the_per_character_definition(text: str) -> None:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    expected = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    assert fold(text) == expected
    assert not any(unicodedata.combining(ch) for ch in fold(text))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is **NEXUS**?", "What is NEXUS?"),
        ("what is [NEXUS](https://example.org/nexus)?", "what is NEXUS?"),
        ("how many task forces did `the US` create?", "how many task forces did the US create?"),
        ("2*3*4 = ?", "2*3*4 = ?"),  # a single asterisk is no emphasis
        ("snake_case__name__x", "snake_case__name__x"),
    ],
)
def test_markdown_marks_are_dropped_from_a_question(question: str, expected: str) -> None:
    assert clean_question(question, 1000) == (expected, [])
