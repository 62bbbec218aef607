"""Features of a candidate answer sentence, all scaled to roughly [0, 1].

A sentence is judged by what the question asks (its words, their rarity, the expected answer
type) and by where it sits (the retrieval scores of its passage). ``FEATURE_NAMES`` is the
column order of the ranker's weight vector.
"""

from __future__ import annotations

import re

import numpy as np

from ctqa.answering.countries import mentions_country
from ctqa.retrieval.query import QuestionType

FEATURE_NAMES = (
    "dense_sentence",  # cosine(question, sentence)
    "dense_passage",  # cosine(question, passage with its header)
    "bm25_passage",  # BM25 of the passage / best BM25 for this question
    "overlap_sentence",  # idf-weighted share of question tokens found in the sentence
    "overlap_passage",  # the same share over the passage and its header
    "bigram_sentence",  # share of the question's token bigrams found in the sentence
    "passage_rank",  # 1 / (1 + fused rank of the passage)
    "type_match",  # the question wants a number/date/name/place/reason and the sentence has one
    "type_miss",  # it wants one and the sentence has none: MISS_STRENGTH of the type
    "query_unknown",  # idf-weighted share of question tokens that occur nowhere in the corpus
    "length",  # sentence length in tokens / 40, capped at 1
)

# Numbers, dates, amounts, people's names after "who heads", countries and reasons are found
# reliably by rules, names and places less so (a "who" question may be answered by an
# organisation, a "where" one by "at small ports of entry"), so those count less. A type of
# strength 1 is required: AnswerSettings.require_answer_type declines without it.
MISS_STRENGTH = {"money": 1.0, "number": 1.0, "date": 1.0, "leader": 1.0, "country": 1.0, "reason": 1.0, "yes_no": 1.0, "person": 0.2, "place": 0.4, "acronym": 0.4, "other": 0.0}

# A yes/no question is answered by a sentence that states its proposition: at least this share
# of the question's weighted words must be in it. On the four article question sets, answerable
# yes/no questions had 0.55 or more, the unanswerable ones ("Did the opioid plan lower the number
# of overdose deaths?") 0.46 or less.
YES_NO_MIN_OVERLAP = 0.5

# "one" is left out: far more often a pronoun or determiner ("One key aspect") than a count.
_NUMBER_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_NUMBER_RE = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_DATE_RE = re.compile(
    rf"\b(?:{_MONTHS})\b|\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b\d{{1,2}}/\d{{1,2}}\b|\bcentur(?:y|ies)\b"
)
# A name: two or more capitalised words (not at the sentence start), or an acronym (an
# organisation answers many "who" questions: "the Department of Justice", "NATO").
_PERSON_RE = re.compile(
    r"(?<=[a-z,;:] )[A-Z][a-z]+(?:\s+(?:of\s+|for\s+|the\s+)?(?:[A-Z][a-z]+|[A-Z]\.|al|bin|de|van|von|Al))+"
    r"|\b[A-Z]{2,}\b"
)
# A person's name: a whole run of two or more capitalised words, none of them a word that names an
# institution ("Domestic Nuclear Detection Office" is no name, nor is any part of it), and not
# the start of a longer title ("Mobile Education and Training Teams").
_INSTITUTION_WORDS = (
    "Department|Office|Organi[sz]ation|Council|Agency|Initiative|Program|Programme|Union|Nations|Force|Forces|"
    "Committee|Centre|Center|Policy|Reports?|Security|Treaty|Alliance|Group|Community|Ministry|Bureau|Service|"
    "Administration|Commission|Court|Bank|Fund|Dialogue|Agreement|Resolution|Act|Team|Teams|Terrorism"
)
_PERSON_NAME_RE = re.compile(
    rf"\b(?!(?:{_INSTITUTION_WORDS})\b)[A-Z][a-z]+(?:\s+(?:al|bin|de|van|von|Al|[A-Z]\.)?\s*"
    rf"(?!(?:{_INSTITUTION_WORDS})\b)[A-Z][a-z]+)+\b(?!\s+(?:of\s+|for\s+|the\s+|and\s+)*[A-Z])"
)
_MONEY_RE = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:million|billion|trillion|thousand)?\s*(?:dollars|euros|pounds|yen|USD|EUR|GBP)\b"
    r"|\b(?:USD|EUR|GBP)\s?\d",
    re.I,
)
# A place: a capitalised name after a preposition of place ("in Ankara", "within a US district");
# "of" is left out, as it introduces far more names that are no place ("Number of COEs").
_PLACE_RE = re.compile(
    r"\b(?:in|at|from|near|to|within|across|throughout|outside|inside)\s+(?:(?:the|a|an|each)\s+)?"
    r"(?P<name>[A-Z][A-Za-zà-ÿ.]+)"
)


# A reason or a purpose: a causal connective, "to <verb>" of purpose, or a relative clause that
# explains ("…, which are interconnected and require a global response").
_REASON_RE = re.compile(
    r"\b(?:because|since|as a result|due to|owing to|so that|in order to|given that|recogni[sz]ing|"
    r"reasons?|aims?|aimed|purpose|thereby|thus|therefore|ensur\w*|allow\w*|enabl\w*|help\w*|"
    r"which|to [a-z]+)\b",
    re.I,
)
_TYPE_RES = {"reason": _REASON_RE, "money": _MONEY_RE, "leader": _PERSON_NAME_RE, "number": _NUMBER_RE, "date": _DATE_RE, "person": _PERSON_RE, "place": _PLACE_RE}


def has_answer_type(sentence: str, answer_type: QuestionType, question: str = "") -> bool:
    """Whether ``sentence`` holds a span of the expected type (rules, not an NER model) that
    ``question`` does not already hold: "How many died on 9/11?" is not answered by "9/11"."""
    if answer_type == "acronym":
        return "(" in sentence
    if answer_type == "country":
        return mentions_country(sentence, besides=question)
    pattern = _TYPE_RES.get(answer_type)
    if pattern is None:
        return False
    asked = question.casefold()
    for match in pattern.finditer(sentence):
        found = match.group("name") if "name" in pattern.groupindex else match.group(0)
        if _already_asked(found, asked):
            continue
        # "the Five Eyes": a capitalised number word inside a sentence is part of a name
        if answer_type == "number" and found[0].isupper() and match.start() > 0:
            continue
        return True
    return False


def _already_asked(span: str, asked: str) -> bool:
    """Whether the folded question ``asked`` holds ``span``: a name as a whole word ("US" is
    not in "focus"), a digit sequence anywhere ("1" is part of "9/11")."""
    folded = span.casefold()
    if folded[:1].isalpha():
        return re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", asked) is not None
    return folded in asked


def weighted_overlap(query: list[str], tokens: set[str], idf: dict[str, float]) -> float:
    """Share of the query's idf mass whose tokens appear in ``tokens`` (0 when no query)."""
    unique = set(query)
    total = sum(idf[t] for t in unique)
    if total <= 0:
        return 0.0
    return sum(idf[t] for t in unique if t in tokens) / total


def bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def sentence_features(
    *,
    dense_sentence: float,
    dense_passage: float,
    bm25_passage: float,
    query: list[str],
    sentence_tokens: list[str],
    passage_tokens: set[str],
    sentence_text: str,
    passage_rank: int,
    answer_type: QuestionType,
    idf: dict[str, float],
    query_unknown: float,
    question: str = "",
) -> np.ndarray:
    """One feature row (``FEATURE_NAMES`` order), float32. ``question`` is the user's text (a
    span of the answer type it already holds does not count as the answer)."""
    typed = answer_type != "other"
    overlap = weighted_overlap(query, set(sentence_tokens), idf)
    if answer_type == "yes_no":
        matched = overlap >= YES_NO_MIN_OVERLAP
    else:
        matched = typed and has_answer_type(sentence_text, answer_type, question)
    query_bigrams = bigrams(query)
    bigram_share = (
        len(query_bigrams & bigrams(sentence_tokens)) / len(query_bigrams) if query_bigrams else 0.0
    )
    return np.array(
        [
            dense_sentence,
            dense_passage,
            bm25_passage,
            overlap,
            weighted_overlap(query, passage_tokens, idf),
            bigram_share,
            1.0 / (1.0 + passage_rank),
            1.0 if matched else 0.0,
            (MISS_STRENGTH[answer_type] if typed and not matched else 0.0),
            query_unknown,
            min(len(sentence_tokens) / 40.0, 1.0),
        ],
        dtype=np.float32,
    )
