"""End-to-end answers about the real article, and the invariants every ``Answer`` must keep.

The expected evidence strings and sections were read off the article
(``corpus/fighting-terrorism-diplomacy-cooperation.txt``), not off ctqa's output.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import ARTICLE_NAME, BuiltArticle
from ctqa.answering.declining import decline_text
from ctqa.answering.features import FEATURE_NAMES, has_answer_type, sentence_features
from ctqa.index.store import IndexData, load_index
from ctqa.qa import DocumentQA
from ctqa.retrieval.query import QuestionType
from ctqa.retrieval.text import tokenize
from ctqa.types import Answer

pytestmark = pytest.mark.slow

TABLE = "Characteristics / Values"
STATE = "The US Department of State works with international partners to counter terrorism"
NATO = "NATO's counter-terrorism efforts include information sharing and cooperation with the EU and UN"
DOJ = "The US Department of Justice launched the Responsible Cooperators Program to incentivise information sharing"
CANADA = "The US has agreements with Canada to protect borders and prevent terrorist entry"
WMD = "The US State Department works to prevent terrorists from acquiring WMDs"
FAQ = "Frequently asked questions"

TASK_FORCES_QUESTION = "How many Anti-Terrorism Task Forces did the US create?"

# (question, evidence that must be in answer.text, section of citations[0])
QUESTIONS: list[tuple[str, str, str]] = [
    ("Which terrorist groups pose a threat to global security?", "ISIS, al-Qa'ida, and Hizballah", "Introduction"),
    ("How many COEs has NATO accredited?", "Number of COEs accredited by NATO 30", TABLE),
    (
        "In what year did Osama bin Laden finance the development of liquid heroin?",
        "Year Osama bin Laden financed the development of a highly-addictive liquid heroin 2001",
        TABLE,
    ),
    ("Which annual report on terrorism does the State Department produce?", "Country Reports on Terrorism", STATE),
    ("Where is the Centre of Excellence for Defence Against Terrorism located?", "in Ankara, Türkiye", NATO),
    ("How many countries does COE-DAT engage with?", "over 50 countries and 40 organisations", NATO),
    ("Where did NATO deliver in-person counter-terrorism courses?", "Regional Centre in Kuwait", NATO),
    (
        "Which UN Security Council resolution supports holding foreign fighters accountable?",
        "United Nations Security Council Resolution 2396",
        NATO,
    ),
    (
        "Which organisations did NATO work with to improve civil-military coordination of air traffic control?",
        "EUROCONTROL, the International Civil Aviation Organization (ICAO)",
        NATO,
    ),
    ("How many new actions did NATO and the EU agree on?", "agreeing on 34 new actions", NATO),
    ("How many members does the NEXUS program have?", "for over 1.8 million members", CANADA),
    ("When was the US-Canada joint action plan on opioids launched?", "launched in January 2020", CANADA),
    (
        "Which intelligence alliance are the US and Canada both members of?",
        "members of the Five Eyes community",
        CANADA,
    ),
    (
        "How many entities has the US State Department designated as terrorist organizations?",
        "designated 39 entities as terrorist organizations",
        WMD,
    ),
    (
        "Who led a worldwide initiative to highlight the Taliban's oppression of women?",
        "The First Lady, Laura Bush, led a worldwide initiative",
        WMD,
    ),
    ("What does DHS focus on?", "DHS focuses on detection, prevention, and response capabilities", WMD),
    ("What does WMD stand for?", "weapons of mass destruction (WMDs)", WMD),
    (
        "How do states use foreign assistance to fight terrorists?",
        "building the capabilities necessary to prevent, degrade, detect, and respond to terrorist threats",
        FAQ,
    ),
    (
        "Who did the Department of Justice arrest after he was ordered to be deported?",
        "the Department of Justice arrested Mazen Al Najjar",
        FAQ,
    ),
]

UNANSWERABLE = ["What is the capital of Australia?", "How do I bake sourdough bread?"]

COE_DAT_HISTORY = [
    {"role": "user", "content": "What is NATO's Centre of Excellence for Defence Against Terrorism?"},
    {
        "role": "assistant",
        "content": "One key aspect of NATO's counter-terrorism efforts is the establishment of the Centre of "
        "Excellence for Defence Against Terrorism (COE-DAT) in Ankara, Türkiye.",
    },
]
PROGRAM_HISTORY = [
    {"role": "user", "content": "What is the Responsible Cooperators Program?"},
    {
        "role": "assistant",
        "content": "This program incentivises information sharing by offering immigration benefits to "
        "non-citizens who provide information that helps apprehend terrorists or prevent terrorist attacks.",
    },
]
FOLLOW_UPS = [
    (
        "who launched it?",
        PROGRAM_HISTORY,
        "the US Department of Justice launched the Responsible Cooperators Program",
        DOJ,
    ),
    ("how many countries does it engage with?", COE_DAT_HISTORY, "over 50 countries and 40 organisations", NATO),
]


@pytest.fixture(scope="module")
def index(article_index: BuiltArticle) -> IndexData:
    return load_index(article_index.index_dir)


@pytest.fixture(scope="module")
def answers(article_index: BuiltArticle) -> dict[str, Answer]:
    """Every question of this module asked once (the invariant test checks all of them)."""
    qa = article_index.qa
    asked = {question: qa.ask(question) for question, _, _ in QUESTIONS}
    asked[TASK_FORCES_QUESTION] = qa.ask(TASK_FORCES_QUESTION)
    asked.update({question: qa.ask(question) for question in UNANSWERABLE})
    asked.update({question: qa.ask(question, history=history) for question, history, _, _ in FOLLOW_UPS})
    return asked


# -- the answers ---------------------------------------------------------------------------------


def test_task_forces_acceptance(answers: dict[str, Answer]) -> None:
    answer = answers[TASK_FORCES_QUESTION]
    assert not answer.abstained
    assert "93 Anti-Terrorism Task Forces" in answer.text
    assert answer.citations[0].section == DOJ
    assert answer.short_answer is not None and answer.short_answer.text == "93"


def test_task_forces_answer_holds_the_number(answers: dict[str, Answer]) -> None:
    # whatever passage wins, the fact must be right and cited
    answer = answers[TASK_FORCES_QUESTION]
    assert not answer.abstained
    assert "93" in answer.text and "Anti-Terrorism Task Forces" in answer.text
    assert answer.citations[0].section in {DOJ, WMD, TABLE}


@pytest.mark.parametrize(("question", "evidence", "section"), QUESTIONS, ids=[q for q, _, _ in QUESTIONS])
def test_answer(answers: dict[str, Answer], question: str, evidence: str, section: str) -> None:
    answer = answers[question]
    assert not answer.abstained
    assert evidence in answer.text
    assert answer.citations[0].section == section
    assert answer.citations[0].doc_id == ARTICLE_NAME


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_off_topic_question_is_declined(answers: dict[str, Answer], question: str) -> None:
    answer = answers[question]
    assert answer.abstained
    assert answer.citations == []
    assert answer.text == decline_text(question)
    assert answer.sentences == []
    assert answer.closest and all(not c.supports_answer for c in answer.closest)


@pytest.mark.parametrize(("question", "history", "evidence", "section"), FOLLOW_UPS, ids=[f[0] for f in FOLLOW_UPS])
def test_follow_up_uses_history(
    answers: dict[str, Answer], question: str, history: list[dict[str, str]], evidence: str, section: str
) -> None:
    answer = answers[question]
    assert not answer.abstained
    assert evidence in answer.text
    assert answer.citations[0].section == section
    assert history[0]["content"] in answer.query
    assert any(f"follow-up of: {history[0]['content']}" in note for note in answer.notes)


# -- invariants of every answer ----------------------------------------------------------------


ALL_QUESTIONS = [q for q, _, _ in QUESTIONS] + [TASK_FORCES_QUESTION] + UNANSWERABLE + [f[0] for f in FOLLOW_UPS]


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_answer_invariants(answers: dict[str, Answer], index: IndexData, question: str) -> None:
    answer = answers[question]
    assert 0.0 <= answer.confidence <= 1.0
    assert answer.question == question
    for citation in [*answer.citations, *answer.closest]:
        document = index.documents[citation.doc_id]
        assert citation.text == document.text[citation.start : citation.end]
        assert citation.title == document.title
    if answer.abstained:
        assert answer.citations == [] and answer.text.startswith("The documents do not say")
        return
    if answer.overview:  # a broad question: its invariants in tests/test_overview_article.py
        assert answer.text == " ".join(item.text for item in answer.overview)
        for item in answer.overview:
            assert index.documents[item.doc_id].text[item.start : item.end] == item.text
            assert answer.citations[item.citation - 1].supports_answer
        return

    assert 1 <= len(answer.citations) <= 3
    assert len({(c.doc_id, c.start) for c in answer.citations}) == len(answer.citations)  # no duplicates
    assert answer.citations[0].supports_answer  # later citations may be related, not supporting
    scores = [c.score for c in answer.citations[1:]]
    assert scores == sorted(scores, reverse=True)

    first = answer.citations[0]
    document = index.documents[first.doc_id]
    spans = first.answer_spans
    assert 1 <= len(spans) <= 3 and len(answer.sentences) == len(spans)
    for start, end in spans:
        assert first.start <= start < end <= first.end
    # the answer sentences are contiguous sentences of the cited passage
    (passage,) = [p for p in index.passages if (p.doc_id, p.start, p.end) == (first.doc_id, first.start, first.end)]
    k = passage.sentences.index(spans[0])
    assert tuple(passage.sentences[k : k + len(spans)]) == tuple(spans)
    # the answer text is verbatim document text
    assert answer.text == document.text[spans[0][0] : spans[-1][1]]
    assert answer.text in document.text
    assert answer.sentences == [document.text[s:e] for s, e in spans]


def test_answer_survives_json_round_trip(answers: dict[str, Answer]) -> None:
    for answer in answers.values():
        assert Answer.from_dict(json.loads(json.dumps(answer.to_dict()))) == answer


# -- input errors and options ---------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_raises(article_index: BuiltArticle, question: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        article_index.qa.ask(question)


@pytest.mark.parametrize("top_k", [0, 11])
def test_top_k_out_of_range_raises(article_index: BuiltArticle, top_k: int) -> None:
    with pytest.raises(ValueError, match="top_k"):
        article_index.qa.ask(TASK_FORCES_QUESTION, top_k=top_k)


def test_top_k_limits_citations(article_index: BuiltArticle) -> None:
    assert len(article_index.qa.ask(TASK_FORCES_QUESTION, top_k=1).citations) == 1
    assert len(article_index.qa.ask(TASK_FORCES_QUESTION, top_k=5).citations) == 5
    # no top_k: the settings' default (AnswerSettings.top_k, 3)
    assert len(article_index.qa.ask(TASK_FORCES_QUESTION).citations) == article_index.qa.settings.answer.top_k == 3


def test_documents_filter(article_index: BuiltArticle) -> None:
    answer = article_index.qa.ask("How many members does the NEXUS program have?", documents=[ARTICLE_NAME])
    assert "1.8 million members" in answer.text
    with pytest.raises(ValueError, match="unknown document"):
        article_index.qa.ask("How many members does the NEXUS program have?", documents=["nope.txt"])


def test_over_long_question_is_truncated_with_a_note(article_index: BuiltArticle) -> None:
    question = "How many members does the NEXUS program have? " + "please " * 300
    answer = article_index.qa.ask(question)
    assert len(answer.question) <= 1000
    assert any("truncated" in note for note in answer.notes)


# -- answer-type cues ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "answer_type", "question", "expected"),
    [
        ("It was approved in October 2020.", "date", "When was the policy approved?", True),
        ("NATO changed after the 9/11 attacks.", "number", "How many people died on 9/11?", False),
        ("About 3,000 people died on 9/11.", "number", "How many people died on 9/11?", True),
        ("They are both members of the Five Eyes community.", "number", "How many members?", False),
        ("One key aspect is the Centre.", "number", "How many centres?", False),
        ("Thirty allies signed it.", "number", "How many allies signed?", True),
        ("The budget is $5 million a year.", "money", "What is the budget?", True),
        ("There are 93 task forces.", "money", "How much does it cost?", False),
        # "who heads ...?" wants a person's name; an office or a programme is none
        ("The Office of Weapons of Mass Destruction Terrorism (WMDT) leads the efforts.", "leader", "Who heads WMDT?", False),
        ("The US launched the Domestic Nuclear Detection Office.", "leader", "Who heads the office?", False),
        ("NATO Secretary General Jens Stoltenberg said so.", "leader", "Who is NATO's Secretary General?", True),
        ("The First Lady, Laura Bush, led a worldwide initiative.", "leader", "Who was the leader?", True),
        # a reason: a causal connective or "to <verb>" of purpose
        ("The office was set up to detect nuclear material.", "reason", "Why was the office set up?", True),
        ("COE-DAT is in Ankara, Türkiye.", "reason", "Why is COE-DAT in Ankara?", False),
        # a capitalised run that goes on into a longer title is a title, not a person
        ("NATO ran courses through Mobile Education and Training Teams.", "leader", "Who directs them?", False),
        # "which countries" wants a country the question does not name already (or its demonym)
        ("The ICI Regional Centre in Kuwait opened.", "country", "In which country is the ICI Centre?", True),
        ("The US and Canada are both in the Five Eyes.", "country", "Which countries besides the US and Canada are in it?", False),
        ("The State Department lists state sponsors of terrorism.", "country", "Which countries are state sponsors?", False),
        ("Japanese imports led the market.", "country", "Which country's cars sold best?", True),
        ("The Canadian border is long.", "country", "Which countries border Canada?", False),
        ("The Christian church grew.", "country", "Which country converted?", False),
    ],
)
def test_answer_type_needs_a_span_the_question_does_not_hold(
    sentence: str, answer_type: QuestionType, question: str, expected: bool
) -> None:
    assert has_answer_type(sentence, answer_type, question) is expected


# -- questions the earlier rules got wrong (each one a kind of question, see eval/README.md) -------


@pytest.mark.parametrize(
    ("question", "evidence"),
    [
        # the title's words ("states", "cooperate", "fight") are in every passage header: BM25
        # must still see them in the FAQ answer that uses them
        ("How can states cooperate to fight terrorists?", "States can cooperate to fight terrorists by sharing"),
        # "Canadian" is not in the article, "Canada" is
        ("where do US and Canadian officers work side by side", "co-location of officers at small and remote"),
        # "EU" is defined in the article; "stand for" is the question's frame, not its topic
        ("What does EU stand for?", "European Union (EU)"),
        # "DHS" in the sentence answers "Department of Homeland Security" in the question
        ("wat does the Departmnet of Homeland Securty focus on", "DHS focuses on detection"),
    ],
)
def test_answered_from_the_right_sentence(article_index: BuiltArticle, question: str, evidence: str) -> None:
    answer = article_index.qa.ask(question)
    assert not answer.abstained, answer.confidence
    assert evidence in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "When was the Department of Homeland Security created?",  # no date in the DHS paragraph
        "How much does the US spend on counter-terrorism each year?",  # 93 task forces is no amount
        # the office "leads the efforts": no person's name in the sentence
        "Who is the head of the Office of Weapons of Mass Destruction Terrorism?",
        # the Country Reports sentence names state sponsors of terrorism but no country
        "Which countries does the US list as state sponsors of terrorism?",
        # the article says what COE-DAT does, not how long it has existed nor when it was founded
        "How long has COE-DAT existed?",
    ],
)
def test_typed_question_without_a_typed_answer_is_declined(article_index: BuiltArticle, question: str) -> None:
    answer = article_index.qa.ask(question)
    assert answer.abstained
    assert answer.citations == [] and answer.closest  # the closest passages are still shown


@pytest.mark.parametrize(
    ("question", "name"),
    [
        # the task forces are the US's: no passage about them mentions Canada
        ("How many Anti-Terrorism Task Forces did Canada create?", "Canada"),
        # the article never names Mexico at all
        ("Does Mexico take part in the opioid action plan?", "Mexico"),
    ],
)
def test_question_about_a_name_the_best_passage_lacks_is_declined(
    article_index: BuiltArticle, question: str, name: str
) -> None:
    answer = article_index.qa.ask(question)
    assert answer.abstained
    assert any(name in note for note in answer.notes), answer.notes


def test_decline_note_tells_a_name_the_documents_lack_from_one_they_hold_elsewhere(
    article_index: BuiltArticle,
) -> None:
    mexico = article_index.qa.ask("Does Mexico take part in the opioid action plan?")
    assert "The documents never mention Mexico." in mexico.notes
    canada = article_index.qa.ask("How many Anti-Terrorism Task Forces did Canada create?")
    assert any(note.startswith("The passage that best matches") and "Canada" in note for note in canada.notes)


def test_numbered_item_is_not_a_name_the_passage_must_repeat(article_index: BuiltArticle) -> None:
    # the table row says "collective defence clause", the body "(Article 5)"
    answer = article_index.qa.ask("What year did NATO invoke Article 5?")
    assert not answer.abstained
    assert "2001" in answer.text


def test_bare_follow_up_keeps_the_count_the_first_question_asked(article_index: BuiltArticle) -> None:
    history = [
        {"role": "user", "content": "How many Anti-Terrorism Task Forces did the US create?"},
        {"role": "assistant", "content": "This includes the creation of 93 Anti-Terrorism Task Forces."},
    ]
    # no sentence gives Canada a number of task forces
    assert article_index.qa.ask("What about Canada?", history=history).abstained


def test_typed_decline_can_be_switched_off(article_index: BuiltArticle) -> None:
    settings = replace(article_index.qa.settings, answer=replace(article_index.qa.settings.answer, require_answer_type=False))
    qa = DocumentQA(article_index.qa.corpus_dir, article_index.qa.index_dir, settings=settings)
    answer = qa.ask("Who is the head of the Office of Weapons of Mass Destruction Terrorism?")
    assert not answer.abstained  # the ranker alone finds the office's sentence good enough
    assert "Office of Weapons of Mass Destruction Terrorism (WMDT) leads" in answer.text


def test_elliptical_follow_up_answers_about_the_new_topic(article_index: BuiltArticle) -> None:
    history = [
        {"role": "user", "content": "Who does the State Department partner with to promote stability and cooperation?"},
        {
            "role": "assistant",
            "content": "The State Department also works with partners like NATO and the European Union to "
            "promote stability and cooperation on global issues, including counterterrorism.",
        },
    ]
    answer = article_index.qa.ask("What about Canada?", history=history)
    assert not answer.abstained
    best = answer.sentences[answer.best_sentence]
    assert "Canada" in best or "two countries" in best.lower()
    assert "NATO and the European Union to promote stability" not in answer.text


def test_yes_no_question_needs_a_sentence_stating_most_of_it() -> None:
    idf = {"plan": 1.0, "lower": 1.0, "overdos": 1.0, "death": 1.0}
    query = list(idf)

    def type_miss(sentence: str) -> float:
        row = sentence_features(
            dense_sentence=0.5, dense_passage=0.5, bm25_passage=1.0, query=query,
            sentence_tokens=tokenize(sentence), passage_tokens=set(), sentence_text=sentence,
            passage_rank=0, answer_type="yes_no", idf=idf, query_unknown=0.0,
        )
        return float(row[FEATURE_NAMES.index("type_miss")])

    assert type_miss("The joint plan focuses on opioid trafficking.") == 1.0  # 1 of 4 words
    assert type_miss("The plan lowered overdose deaths.") == 0.0


# (question, what the first answer sentence opens with, the context sentence it leans on or "")
FIRST_SENTENCES: list[tuple[str, str, str]] = [
    # the sentence before the best one scores 0.73 of it: it stays out of the answer
    (
        "Which US initiatives aim to detect and disrupt the movement of WMD-related materials?",
        "The US has also launched initiatives like the Proliferation Security Initiative",
        "",
    ),
    # the answer sentence opens with "They": the sentence naming them is context, not answer
    (
        "What intelligence alliance are both the US and Canada members of?",
        "They are both members of the Five Eyes community",
        "Beyond border security, the US and Canada collaborate within multilateral groups",
    ),
]


@pytest.mark.parametrize(("question", "opening", "context"), FIRST_SENTENCES)
def test_the_first_answer_sentence_holds_the_answer(
    article_index: BuiltArticle, question: str, opening: str, context: str
) -> None:
    answer = article_index.qa.ask(question)
    assert not answer.abstained and answer.best_sentence == 0
    assert answer.sentences[0].startswith(opening) and answer.text.startswith(opening)
    assert answer.context.startswith(context) if context else answer.context == ""
    assert not context or context not in answer.text
