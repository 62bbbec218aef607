"""Answer types as one named table: what a question asks for, and how a sentence answers it.

Each ``AnswerType`` entry holds:

* ``cue`` — the question words that ask for it ("how many" → number); the table is read in
  order and the first cue that matches wins;
* ``evidence`` — what the sentence ranker looks for (a sentence "has" the type when it holds a
  match the question does not already hold); ``None`` for types the ranker does not read;
* ``span`` — the short-answer detector: the verbatim span that answers ("93", "October 2020",
  "Ankara, Türkiye"); ``None`` when the question wants an explanation;
* ``miss_strength`` — the ``type_miss`` feature when the best sentence lacks the type; 1.0
  makes it **required** (``AnswerSettings.require_answer_type`` declines without it);
* ``inherited`` — whether a bare follow-up ("What about Canada?") keeps the type.

Rules, not an NER model: numbers, dates, amounts and countries are found reliably, names and
places less so (a "who" question may be answered by an organisation, a "where" one by "at small
ports of entry"), so those are not required.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ctqa.answering.countries import country_mentions, country_spans, mentions_country
from ctqa.config import NAMES, AnswerSettings
from ctqa.retrieval.text import CAPITALISED_PHRASE_RE, fold, phrase_initials, phrase_words, query_tokens

QuestionType = Literal[
    "money", "number", "date", "distance", "age", "duration", "leader", "person", "organisation", "country", "place", "thing", "reason",
    "acronym", "yes_no", "definition", "activity", "phrase", "other",
]

QUESTION_WORDS = ("what", "which", "where", "when", "who", "whom", "whose", "why", "how")

# "one" is left out: far more often a pronoun or determiner ("One key aspect") than a count.
NUMBER_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens"
)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion)s?|\s?%|\s+percent|\s+per cent)?"
_QUALIFIER = r"(?:(?:over|about|around|nearly|almost|approximately|roughly|some|more than|less than|fewer than|at least|up to)\s+)?"

# --- evidence patterns (what the sentence ranker reads) --------------------------------------
_DATE_RE = re.compile(
    rf"\b(?:{MONTHS})\b|\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b\d{{1,2}}/\d{{1,2}}\b|\bcentur(?:y|ies)\b"
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
INSTITUTION_WORDS = (
    "Department|Office|Organi[sz]ation|Council|Agency|Initiative|Program|Programme|Union|Nations|Force|Forces|"
    "Committee|Centre|Center|Policy|Reports?|Security|Treaty|Alliance|Group|Community|Ministry|Bureau|Service|"
    "Administration|Commission|Court|Bank|Fund|Dialogue|Agreement|Resolution|Act|Team|Teams|Terrorism"
)
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"  # "Jessé de Forest", "Françoise Lefèvre"
_PERSON_NAME_RE = re.compile(
    rf"\b(?!(?:{INSTITUTION_WORDS})\b)[{_UPPER}][{_LOWER}]+(?:\s+(?:al|bin|de|van|von|Al|[A-Z]\.)?\s*"
    rf"(?!(?:{INSTITUTION_WORDS})\b)[{_UPPER}][{_LOWER}]+)+\b(?!\s+(?:of\s+|for\s+|the\s+|and\s+)*[{_UPPER}])"
)
_MONEY_RE = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:million|billion|trillion|thousand)?\s*(?:dollars|euros|pounds|yen|USD|EUR|GBP)\b"
    r"|\b(?:USD|EUR|GBP)\s?\d",
    re.I,
)
# A place: a capitalised name after a preposition of place ("in Ankara", "within a US district");
# "of" is left out, as it introduces far more names that are no place ("Number of COEs").
_PLACE_PREPOSITIONS = r"\b(?:in|at|from|near|to|within|across|throughout|outside|inside)\s+(?:(?:the|a|an|each)\s+)?"
_PLACE_RE = re.compile(rf"{_PLACE_PREPOSITIONS}(?P<name>[A-Z][A-Za-zà-ÿ.]+)")
# A reason or a purpose: a causal connective, "to <verb>" of purpose, or a relative clause that
# explains ("…, which are interconnected and require a global response").
_REASON_RE = re.compile(
    r"\b(?:because|since|as a result|due to|owing to|so that|in order to|given that|recogni[sz]ing|"
    r"reasons?|aims?|aimed|purpose|thereby|thus|therefore|ensur\w*|allow\w*|enabl\w*|help\w*|"
    # "X is essential in fostering …": what something is needed for answers why it is needed
    r"essential|crucial|vital|necessary|critical|key to|"
    r"which|to [a-z]+)\b",
    re.I,
)

# --- span patterns (the short answer) ---------------------------------------------------------
# A number right after one of these words is a label, not a count: "Article 5", "Resolution 1373"
# (answering.declining reads it; answering.spans keeps the word with the number).
LABEL_BEFORE_RE = re.compile(
    r"\b(?:Article|Section|Chapter|Clause|Resolution|Title|Part|Annex|Amendment|Paragraph|Phase|Stage|"
    r"Level|Rule|Protocol|No\.)s?\s+$"
)
# Not a part of "9/11" or "24/7": a number joined to another by a slash is a date or a code.
_NUMBER_SPAN_RE = re.compile(
    rf"(?<!\d/)\b{_QUALIFIER}(?:\d[\d,.]*\d|\d|(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*){_SCALE}(?!\w|/\d)", re.I
)
_MONEY_SPAN_RE = re.compile(
    rf"{_QUALIFIER}(?:[$€£¥]\s?\d[\d,.]*{_SCALE}"
    r"|\b\d[\d,.]*\s*(?:million|billion|trillion|thousand)?\s*(?:dollars|euros|pounds|yen|USD|EUR|GBP)\b"
    r"|\b(?:USD|EUR|GBP)\s?\d[\d,.]*" + _SCALE + ")",
    re.I,
)
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DATE_SPAN_RE = re.compile(
    # a period: "from 1562 to 1598", "between 1621 and 1629", "1568–1609", "1973–74"
    rf"\b(?:from\s+{_YEAR}\s+to|between\s+{_YEAR}\s+and)\s+{_YEAR}\b|\b{_YEAR}\s?[–-]\s?(?:{_YEAR}|\d{{2}})\b"
    rf"|\b(?:(?:early|late|mid)[- ])?(?:\d{{1,2}}\s+)?(?:{MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\b"
    rf"|\b{_YEAR}s?\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b"
    r"|\b(?:(?:early|late|mid)[- ])?(?:(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"twenty-first|\d{1,2}(?:st|nd|rd|th))\s+centur(?:y|ies))\b",
    re.I,
)
# A capitalised run that may hold small joining words, and a comma-joined place ("Ankara, Türkiye").
_CAPITALISED = r"[A-Z][\w.'’&-]*(?:\s+(?:(?:of|for|the|and|on|de|al|bin|van|von)\s+)*[A-Z][\w.'’&-]*)*"
_NAME_SPAN_RE = re.compile(rf"(?<![\w])(?:the\s+)?{_CAPITALISED}")
# A person's full name, hyphenated first names included ("Augustin-Jean Fresnel"); a title is
# no name ("First Lady", "Prime Minister").
_TITLE_WORDS = "First|Lady|President|Secretary|Minister|Prime|Vice|General|Director|Chief|King|Queen|Prince|Princess|Pope|Saint|Sir"
_TITLE_ONLY_RE = re.compile(rf"(?:(?:{_TITLE_WORDS})\s*)+")
_PERSON_SPAN_RE = re.compile(
    rf"\b(?!(?:{INSTITUTION_WORDS}|{_TITLE_WORDS}|The|In|On|At|For|By)\b)[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?"
    rf"(?:\s+(?:al|bin|de|van|von|Al|[A-Z]\.)?\s*(?!(?:{INSTITUTION_WORDS})\b)[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?)+\b"
)
# A measure: a number with its unit ("27 kilometres", "42 metres", "ten seconds", "three-year").
# One-letter and ambiguous units ("m", "in") are left out: "93 in 2001" is no length.
_LENGTH_UNITS = (
    r"(?:kilometres?|kilometers?|km|miles?|metres?|meters?|feet|foot|ft|yards?|inch(?:es)?|centimetres?|centimeters?|cm|"
    r"millimetres?|millimeters?|mm|nautical\s+miles?|leagues?|light[- ]years?)"
)
_MEASURE_NUMBER = rf"{_QUALIFIER}(?:\d[\d,.]*\d|\d|one|(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*)"
_LENGTH_SPAN_RE = re.compile(rf"\b{_MEASURE_NUMBER}[\s-]?{_LENGTH_UNITS}(?!\w)", re.I)


# Units of a long way ("How far out at sea can the lamp be seen?" is answered by "27 kilometres",
# not by the "42 metres" the lamp stands above the sea).
_FAR_UNIT_RE = re.compile(r"(?:kilomet|km|mile|nautical|league|light)", re.I)
_ASKS_FAR_RE = re.compile(r"\bhow far\b|\bdistance\b|\brange\b", re.I)


def _lengths(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """Numbers of a unit of length ("42 metres", "27 kilometres"); for "how far" or "what
    distance", those in a unit of a long way first (a lower ``tier``)."""
    far = _ASKS_FAR_RE.search(question) is not None
    for span in _matches(_LENGTH_SPAN_RE)(sentence, question, acronyms):
        near = far and _FAR_UNIT_RE.search(span.text) is None
        yield Span(span.text, span.start, span.end, tier=1 if near else 0)


_PLACE_SPAN_RE = re.compile(rf"{_PLACE_PREPOSITIONS}(?P<name>{_CAPITALISED}(?:,\s+[A-Z][\w-]+)?)")
# Words that make a name an organisation's, not a place's: "at the NATO-Istanbul Cooperation
# Initiative (ICI) Regional Centre in Kuwait" sits after "at" but is no answer to "where". Names
# of buildings and sites ("Centre", "Court", "Bank", "Office") are left out: "the World Trade
# Center", "the West Bank" are places.
ORGANISATION_WORDS = (
    "Department|Organi[sz]ation|Council|Agency|Initiative|Program|Programme|Union|Nations|Force|Forces|"
    "Committee|Policy|Reports?|Treaty|Alliance|Group|Community|Ministry|Bureau|Service|Administration|"
    "Commission|Fund|Dialogue|Agreement|Resolution|Act|Team|Teams|Party|Company|Corporation"
)
_ORGANISATION_RE = re.compile(rf"\b(?:{ORGANISATION_WORDS})\b")


def _places(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """Places, best first: a name after a preposition of place ("in Kuwait", "in Ankara,
    Türkiye"; tier 0), then a country named elsewhere in the sentence ("Friedrich Ratzel of
    Germany", "in neighboring Pakistan"; tier 1), then an organisation's name after a preposition
    ("at the NATO-Istanbul Cooperation Initiative"; tier 2). On the SQuAD subset the countries
    gave 8 "where" questions a short answer where there was none (short-answer token F1 +0.001)."""
    after_preposition = list(_matches(_PLACE_SPAN_RE)(sentence, question, acronyms))
    for span in after_preposition:
        organisation = _ORGANISATION_RE.search(span.text) is not None and not country_spans(span.text)
        yield Span(span.text, span.start, span.end, tier=2 if organisation else 0)
    for start, end in country_spans(sentence):
        if not any(span.start <= start < span.end for span in after_preposition):
            yield Span(sentence[start:end], start, end, tier=1)


# "Weapons of Mass Destruction (WMD)": the words before a bracketed acronym
_DEFINITION_RE = re.compile(r"(?P<name>[A-Za-z][\w'’-]*(?:\s+[\w'’-]+){0,9}?)\s+\((?P<short>[A-Z][A-Za-z&-]{1,11})\)")


@dataclass(frozen=True)
class Span:
    """A verbatim span of a sentence: ``sentence[start:end] == text``. Of several candidates,
    those of the lowest ``tier`` are preferred (a person's full name over a lone capitalised
    word)."""

    text: str
    start: int
    end: int
    tier: int = 0


# (sentence, question, the corpus's acronym definitions {acronym: long form}) -> spans
Detector = Callable[[str, str, Mapping[str, str]], Iterator[Span]]


def _matches(pattern: re.Pattern[str]) -> Detector:
    """A detector yielding each match of ``pattern`` (its ``name`` group when it has one)."""

    def detect(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
        group = "name" if "name" in pattern.groupindex else 0
        for match in pattern.finditer(sentence):
            text = match.group(group)
            if text and text.strip():
                start = match.start(group)
                stripped = text.rstrip(" ,.;:")
                yield Span(stripped, start, start + len(stripped))

    return detect


# A year ("2021") is a date, not a count: "how many participants …?" is not answered by "the
# 2021 and 2023 courses", nor "how many countries …?" by "approved in October 2020". On the
# SQuAD subset 1 of 123 "how many" questions has a year-like gold answer ("2000" km).
_COUNT_LIKE_YEAR_RE = re.compile(r"(?:1[5-9]\d\d|20\d\d)")
_number_spans = _matches(_NUMBER_SPAN_RE)


def _counts(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """The numbers of ``sentence`` that can be a count or amount: not a bare year."""
    for span in _number_spans(sentence, question, acronyms):
        if not _COUNT_LIKE_YEAR_RE.fullmatch(span.text):
            yield span


def _tells_count(sentence: str, question: str) -> bool:
    """Whether ``sentence`` holds a count (``_counts``) that ``question`` does not already hold
    ("How many died on 9/11?" is not answered by "9/11") and that is not a capitalised number
    word inside the sentence, part of a name ("the Five Eyes")."""
    asked = question.casefold()
    return any(
        not already_asked(span.text, asked) and not (span.text[0].isupper() and span.start > 0)
        for span in _counts(sentence, question, {})
    )


def _names(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """Capitalised runs that do not open the sentence ("the Department of Justice", "NATO")."""
    for span in _matches(_NAME_SPAN_RE)(sentence, question, acronyms):
        if span.start == 0 and not span.text.split()[0].isupper():
            continue  # a sentence's first word is capitalised anyway
        yield span


_MONTH_RE = re.compile(rf"(?:{MONTHS})")


# A capitalised run inside a longer name is no person: "Responsible Cooperators" of "… Program",
# "Mass Destruction" of "Weapons of Mass Destruction Terrorism".
_INSTITUTION_AFTER_RE = re.compile(rf"\s+(?:(?:of|for|the|and)\s+)*(?:{INSTITUTION_WORDS})\b")
_NAME_OF_BEFORE_RE = re.compile(rf"[{_UPPER}][\w-]*\s+(?:of|for)\s+$")


def _inside_longer_name(sentence: str, span: Span) -> bool:
    return bool(_INSTITUTION_AFTER_RE.match(sentence, span.end) or _NAME_OF_BEFORE_RE.search(sentence[: span.start]))


def _people(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """People's full names first ("Augustin-Jean Fresnel"), then any other name."""
    people = [
        span for span in _matches(_PERSON_SPAN_RE)(sentence, question, acronyms) if not _inside_longer_name(sentence, span)
    ]
    yield from people
    for span in _names(sentence, question, acronyms):
        if _MONTH_RE.fullmatch(span.text):
            continue  # "on 11 November": a date, no one's name
        if not any(p.start <= span.start < p.end for p in people):
            yield Span(span.text, span.start, span.end, tier=1)


# A body that leads, as the sentence says it: "The Office of … Terrorism (WMDT) leads the efforts",
# "… is headed by the Secretariat". "Who leads X?" is answered by it as much as by a person.
_LEADING_VERBS = "leads|led|heads|headed|directs|directed|chairs|chaired|oversees|oversaw|coordinates|coordinated|commands|commanded"
_CAPITALISED_RUN = r"[A-Z][\w-]*(?:\s+(?:(?:of|for|the|and|on)\s+)?[A-Z][\w-]*)*"
_LEADING_BODY_RE = re.compile(
    rf"(?P<name>\b{_CAPITALISED_RUN})(?:\s+\((?P<acronym>[A-Z][\w-]*)\))?\s+(?:{_LEADING_VERBS})\b"
    rf"|\b(?:led|headed|run|directed|chaired|overseen|coordinated|commanded) by\s+(?:the\s+)?(?P<agent>{_CAPITALISED_RUN})"
)


def leading_bodies(sentence: str, question: str) -> Iterator[Span]:
    """The names the sentence says lead something, unless the question names them."""
    asked = question.casefold()
    for match in _LEADING_BODY_RE.finditer(sentence):
        group = "name" if match.group("name") else "agent"
        text = match.group(group)
        if text.split()[0] in ("The", "A", "An"):
            text = text.split(" ", 1)[1] if " " in text else ""
        acronym = match.group("acronym") or ""
        # "Who heads WMDT?" is not answered by "The Office of … (WMDT) leads …": that is WMDT
        if text and not already_asked(text, asked) and not (acronym and already_asked(acronym, asked)):
            end = match.end(group)
            yield Span(text, end - len(text), end)


# "Who leads X?" asks what leads it, a person or a body; "who is the head of X?" asks for a person.
_LEADING_VERB_QUESTION_RE = re.compile(r"\bwho (?:leads|heads|runs|directs|chairs|oversees|coordinates|commands)\b", re.I)


def asks_what_leads(question: str) -> bool:
    """Whether ``question`` asks who leads something with a verb ("who leads X?"), which a body
    that leads answers as well as a person."""
    return bool(_LEADING_VERB_QUESTION_RE.search(question))


# "Who founded X?" is answered by a sentence on a founding, not by one naming a person who led
# something else ("Laura Bush led a worldwide initiative … al-Qaeda's philosophy").
_ASKS_FOUNDER_RE = re.compile(r"\b(?:founded|founder|founders|co-?founded)\b", re.I)
_TELLS_FOUNDING_RE = re.compile(
    r"\b(?:found(?:ed|er|ers|ing)?|co-?founded|establish\w*|creat\w*|start\w*|form(?:ed|ing)?|set up|launch\w*)\b", re.I
)


# "Who leads X?", "who is the leader of X?": the words after the verb or "of" name what is led.
_LED_IN_QUESTION_RE = re.compile(
    r"\bwho (?:leads|heads|runs|directs|chairs|oversees|coordinates|commands)\s+(?P<led>.+)"
    r"|\bwho(?:'s|’s|\s+is|\s+was)\s+(?:the\s+)?(?:current\s+)?(?:leader|head|chief|boss|director|chair(?:man|woman|person)?)"
    r"\s+of\s+(?P<of>.+)",
    re.I,
)
# A person the sentence says leads something: "Laura Bush, led a worldwide initiative …", "The
# First Lady, Laura Bush, led …" (a name in apposition between); what the verb's object names
# up to a clause or purpose ("to highlight the Taliban's …"), at most LED_OBJECT_WORDS words, is
# what that person leads.
LED_OBJECT_WORDS = 8
_PERSON_LEADS_RE = re.compile(
    rf"\s*,?\s*(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*\s*,\s*)?(?:who\s+)?(?:has\s+|had\s+)?(?:{_LEADING_VERBS})"
    rf"\s+(?!by\b)(?P<led>(?:(?!(?:to|that|which|who|where|when|while|because)\b)[^\s,;:.]+\s*){{1,{LED_OBJECT_WORDS}}})"
)


def _leads_something_else(person: re.Match[str], sentence: str, question: str) -> bool:
    """Whether the sentence says ``person`` leads something the question does not ask about:
    "Laura Bush, led a worldwide initiative to highlight the Taliban's oppression …" does not
    answer "who leads al-Qaeda today?"."""
    asked = _LED_IN_QUESTION_RE.search(question)
    says = _PERSON_LEADS_RE.match(sentence, person.end())
    if asked is None or says is None:
        return False
    return not set(query_tokens(asked.group("led") or asked.group("of"))) & set(query_tokens(says.group("led")))


def _leader_named(sentence: str, question: str) -> bool:
    """A person's name (for "who leads X?" or "who is the leader of X?", not one the sentence
    says leads something else); for "who leads X?", also a body the sentence says leads; for
    "who founded X?", only in a sentence on a founding (``_TELLS_FOUNDING_RE``)."""
    if _ASKS_FOUNDER_RE.search(question) and not _TELLS_FOUNDING_RE.search(sentence):
        return False
    asked = question.casefold()
    if any(
        not already_asked(m.group(0), asked) and not _leads_something_else(m, sentence, question)
        for m in _PERSON_NAME_RE.finditer(sentence)
    ):
        return True
    return asks_what_leads(question) and next(leading_bodies(sentence, question), None) is not None


def _leaders(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """For "who leads X?", the body the sentence says leads, if any; else people (``_people``)."""
    bodies = list(leading_bodies(sentence, question)) if asks_what_leads(question) else []
    yield from bodies or _people(sentence, question, acronyms)


def _countries(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """All the countries the question does not name, as one span from the first to the last."""
    asked = {name.casefold() for name in country_mentions(question)}
    found = [(start, end) for start, end in country_spans(sentence) if sentence[start:end].casefold() not in asked]
    if found:
        start, end = found[0][0], found[-1][1]
        yield Span(sentence[start:end], start, end)


# A length of time: "380 years", "five to ten years", "up to four minutes", "every four years",
# "seven months old"; or its bound: "since the 1950s", "until 1796", "into the nineteenth century".
_COUNT = rf"(?:\d[\d,.]*|(?:{NUMBER_WORDS}|one|a|an|several|a few|a couple of)(?:[- ](?:{NUMBER_WORDS}))*)"
_TIME_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies)|generations?)"
_DURATION_SPAN_RE = re.compile(
    rf"\b(?:(?:every|each|over|under|almost|nearly|about|around|some|up to|less than|more than|at least|at most)\s+)?"
    rf"{_COUNT}(?:\s+(?:to|or|and)\s+{_COUNT})?\s+{_TIME_UNITS}(?:\s+old)?\b",
    re.I,
)
_BOUND_SPAN_RE = re.compile(
    rf"\b(?:(?:well\s+)?(?:since|until|till|into)(?:\s+at\s+least)?\s+(?:the\s+)?)"
    rf"(?:(?:early|late|mid)[- ])?(?:{_YEAR}s?|\d{{1,2}}(?:st|nd|rd|th)[- ]centur(?:y|ies)|\w+(?:-\w+)?\s+centur(?:y|ies))\b",
    re.I,
)


def _durations(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """A length of time or its bound (tier 0), then a length ("How long is the tunnel?"
    "1.5 kilometres"; tier 1), then a date (a period: "from 1870 to 1939"; tier 2), then a bare
    number ("How old was he?" "13"; tier 3)."""
    yield from _matches(_DURATION_SPAN_RE)(sentence, question, acronyms)
    yield from _matches(_BOUND_SPAN_RE)(sentence, question, acronyms)
    for span in _matches(_LENGTH_SPAN_RE)(sentence, question, acronyms):
        yield Span(span.text, span.start, span.end, tier=1)
    for tier, pattern in ((2, _DATE_SPAN_RE), (3, _NUMBER_SPAN_RE)):
        for span in _matches(pattern)(sentence, question, acronyms):
            yield Span(span.text, span.start, span.end, tier=tier)


def _ages(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """How long something has existed: a length of time or its bound ("for 70 years", "since the
    1950s"; tier 0), then a date it dates from ("founded in 1949"; tier 1). A bare number or a
    length is no age."""
    yield from _matches(_DURATION_SPAN_RE)(sentence, question, acronyms)
    yield from _matches(_BOUND_SPAN_RE)(sentence, question, acronyms)
    for span in _matches(_DATE_SPAN_RE)(sentence, question, acronyms):
        if span.text[0].isupper() or any(c.isdigit() for c in span.text):  # "may", "march": no month
            yield Span(span.text, span.start, span.end, tier=1)


def _tells_age(sentence: str, question: str) -> bool:
    """Whether ``sentence`` holds a length of time, its bound or a date that ``question`` does
    not: the evidence of an age question."""
    asked = question.casefold()
    return any(
        not already_asked(match.group(0), asked)
        for pattern in (_DURATION_SPAN_RE, _BOUND_SPAN_RE, _DATE_RE)
        for match in pattern.finditer(sentence)
    )


def _expansions(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """The long form of an acronym the question asks about, or the acronym of a long form:
    first from the corpus's definitions, then from a "Long Form (LF)" in the sentence."""
    folded_question, folded_sentence = question.casefold(), sentence.casefold()
    for acronym, long_form in acronyms.items():
        asks_short = _writes_acronym(question, acronym, plural=True)
        if asks_short and (at := folded_sentence.find(long_form.casefold())) >= 0:
            yield Span(sentence[at : at + len(long_form)], at, at + len(long_form))
        elif long_form.casefold() in folded_question and (found := re.search(rf"(?<!\w){re.escape(acronym)}(?!\w)", sentence)):
            yield Span(acronym, found.start(), found.end())
    for match in _DEFINITION_RE.finditer(sentence):
        short = match.group("short")
        if _writes_acronym(question, short):
            yield from _long_form(sentence, match, short)
        else:
            yield Span(short, match.start("short"), match.end("short"))
    yield from _abbreviated_phrases(sentence, question)


def _writes_acronym(question: str, acronym: str, *, plural: bool = False) -> bool:
    """Whether ``question``, which asks what an acronym stands for, writes ``acronym`` (with a
    plural "s" when ``plural``), in any case, as chat is typed ("what does icao stand for", "what
    does eu stand for")."""
    return re.search(rf"(?<!\w){re.escape(acronym)}{'s?' if plural else ''}(?!\w)", question, re.I) is not None


# An acronym a question writes in capitals ("FTTTF", "DOJs"), of at least the learnt initials' length
_ASKED_CAPITALS_RE = re.compile(rf"\b([A-Z]{{{NAMES.initialism_min_letters},}})s?\b")


def _abbreviated_phrases(sentence: str, question: str) -> Iterator[Span]:
    """The capitalised phrases of ``sentence`` whose initials spell an acronym the question
    writes: "Foreign Terrorist Tracking Task Force" for "What does FTTTF stand for?" where the
    documents never write "FTTTF" (``retrieval.acronyms.learn_initialisms``)."""
    asked = {fold(short) for short in _ASKED_CAPITALS_RE.findall(question)}
    if not asked:
        return
    for match in CAPITALISED_PHRASE_RE.finditer(sentence):
        parts = phrase_words(match.group())
        if len(parts) >= 2 and asked.intersection(phrase_initials(parts)):
            words = list(re.finditer(r"\S+", match.group()))
            start = match.start() + words[len(words) - len(parts)].start()
            yield Span(sentence[start : match.end()], start, match.end())


_JOINING_WORDS = frozenset(["of", "for", "the", "and", "on", "in", "to", "&"])


def _long_form(sentence: str, match: re.Match[str], short: str) -> Iterator[Span]:
    """The last words before "(WMD)" whose initials spell it ("Weapons of Mass Destruction"),
    with or without the small joining words ("Centre of Excellence …" for "COE-DAT")."""
    words = list(re.finditer(r"[\w'’-]+", match.group("name")))
    letters = "".join(c for c in short.casefold() if c.isalpha())
    for count in range(1, len(words) + 1):
        suffix = [w.group(0) for w in words[-count:]]
        every = "".join(w[0] for w in suffix).casefold()
        significant = "".join(w[0] for w in suffix if w.casefold() not in _JOINING_WORDS).casefold()
        if letters in (every, significant) and suffix[0].casefold() not in _JOINING_WORDS:
            start = match.start("name") + words[-count].start()
            end = match.start("name") + words[-1].end()
            yield Span(sentence[start:end], start, end)
            return


# --- phrases (the short answer of "what/which X" questions) -----------------------------------
# A phrase of more than AnswerSettings.phrase_max_words words is no short answer.
# A word of the sentence, with numbers ("1,000", "24–10"), initials ("U.S.") and possessives.
_PHRASE_WORD_RE = re.compile(r"[$€£]?\w+(?:[.,'’–-]\w+)*\.?%?")
# Between two words, these end a phrase: a clause or list boundary.
_PHRASE_BREAK_RE = re.compile(r"[,;:()\"“”—]|\s[–-]\s")
# Words a phrase never spans (a verb of being or having, a clause opener): the phrase stops there.
_CLAUSE_WORDS = frozenset(
    ["is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "will", "would", "can", "could", "may", "might", "shall", "should", "must", "which", "that", "who", "whom", "whose", "where", "when", "while", "how", "because", "although", "though", "whereas", "if", "unless", "after", "before", "since", "until", "it", "they", "he", "she", "we", "i", "you", "this", "these", "those", "there", "also", "not"]
)
# Words a phrase does not start or end with (determiners, prepositions, conjunctions, adverbs).
_EDGE_WORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "by", "for", "with", "from", "as", "and", "or", "but", "nor", "into", "onto", "over", "under", "about", "than", "its", "their", "his", "her", "our", "your", "my", "such", "both", "each", "every", "all", "some", "any", "more", "most", "other", "another", "very", "only", "also", "then", "so", "up", "out", "off", "per", "via", "among", "between", "during", "through", "within", "without", "upon"]
)


# A lower-case participle, gerund or adverb ("used", "classifying", "usually") opens a predicate,
# not the phrase that answers.
_VERB_LIKE_RE = re.compile(r"[a-z][a-z-]*(?:ed|ing|ly)")


def _phrase_words(sentence: str) -> list[re.Match[str]]:
    words = list(_PHRASE_WORD_RE.finditer(sentence))
    return [w for w in words if w.group(0).rstrip(".")] or words


def phrases(sentence: str, question: str, acronyms: Mapping[str, str], longest: int = AnswerSettings.phrase_max_words) -> Iterator[Span]:
    """The sentence cut into short phrases: runs of words between punctuation, clause words and
    the question's own words, without edge words or an opening participle, of at most
    ``longest`` words."""
    asked = {w.casefold() for w in re.findall(r"\w+", question)}
    run: list[re.Match[str]] = []
    words = _phrase_words(sentence)
    for number, word in enumerate(words):
        text = word.group(0).rstrip(".").casefold()
        gap = sentence[words[number - 1].end() : word.start()] if number else ""
        if run and _PHRASE_BREAK_RE.search(gap):
            yield from _trimmed(sentence, run, longest)
            run = []
        if text in _CLAUSE_WORDS or (text in asked and text not in _EDGE_WORDS):
            yield from _trimmed(sentence, run, longest)
            run = []
            continue
        run.append(word)
    yield from _trimmed(sentence, run, longest)


def _trimmed(sentence: str, run: list[re.Match[str]], longest: int) -> Iterator[Span]:
    def edge(word: re.Match[str]) -> bool:
        return word.group(0).casefold() in _EDGE_WORDS

    def verb(word: re.Match[str]) -> bool:  # "used", "classifying", "usually": no answer opens so
        return _VERB_LIKE_RE.fullmatch(word.group(0)) is not None

    while run and (edge(run[0]) or verb(run[0])):
        run = run[1:]
    while run and edge(run[-1]):
        run = run[:-1]
    if not run or len(run) > longest:
        return
    start, end = run[0].start(), run[-1].end()
    text = sentence[start:end].rstrip(".")
    yield Span(text, start, start + len(text))


def _typed_phrases(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """Phrases by how likely they answer a "what/which X": a phrase with the question's head
    noun and the name before it ("Levi's Stadium" for "the name of the stadium") tier 0, names
    and numbers tier 1, other phrases tier 2; none when the head noun asks for an explanation."""
    if head_kind(question) == "explanation":
        return
    yield from _head_names(sentence, question)
    names = [s for s in _names(sentence, question, acronyms) if len(s.text) > 1]
    dates = list(_matches(_DATE_SPAN_RE)(sentence, question, acronyms))  # "the 10th century"
    names += dates + [
        s for s in _matches(_NUMBER_SPAN_RE)(sentence, question, acronyms)
        if not s.text[0].isupper() and not any(d.start <= s.start < d.end for d in dates)
    ]
    fits = _head_kind_spans(question, dates, names)
    yield from fits
    yield from lists(sentence, question, acronyms)
    for span in names:
        if not any(f.start == span.start and f.end == span.end for f in fits):
            yield Span(span.text, span.start, span.end, tier=1)
    for span in clause_phrases(sentence, question, acronyms):
        if not any(n.start == span.start and n.end == span.end for n in names):
            yield Span(span.text, span.start, span.end, tier=2)


# Head nouns that name the kind of fact asked: "In what century …?" wants a date, "At what
# pressure …?" a number.
HEAD_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"centur(?:y|ies)|decades?|years?|era|period|months?|days?|dates?|seasons?", re.I)),
    ("number", re.compile(
        r"numbers?|amounts?|percent(?:age)?|degrees?|levels?|temperatures?|pressures?|speeds?|rates?|sizes?|"
        r"distances?|lengths?|heights?|weights?|ages?|prices?|costs?|populations?|totals?|ratios?|scores?",
        re.I,
    )),
    # "What role does X play …?", "What impact …?": the answer is the sentence, no phrase of it
    # ("crucial" for "What role does the State Department play in stopping terrorist financing?")
    ("explanation", re.compile(
        r"roles?|purposes?|importance|significance|impacts?|effects?|ways?|functions?|responsibilit(?:y|ies)|"
        r"benefits?|advantages?",
        re.I,
    )),
)


def head_kind(question: str) -> str | None:
    """The kind of fact the question's head noun asks for (``HEAD_KINDS``), or None."""
    match = _HEAD_RE.search(question)
    if match is None:
        return None
    return next((name for name, pattern in HEAD_KINDS if pattern.fullmatch(match.group("head"))), None)


def _head_kind_spans(question: str, dates: list[Span], names: list[Span]) -> list[Span]:
    """The dates (or numbers) among the candidates, tier 0, when the question's head noun asks
    for that kind of fact ("In what century …?"); empty otherwise."""
    kind = head_kind(question)
    if kind == "date":
        return [Span(s.text, s.start, s.end, tier=0) for s in dates]
    if kind == "number":
        return [Span(s.text, s.start, s.end, tier=0) for s in names if any(c.isdigit() for c in s.text)]
    return []


# --- clause phrases (the short answer of "what is X?", "what did X use?") -----------------------
# Prepositions and conjunctions inside a run: a candidate also ends (or starts) there, so that
# "martial spirit" is a candidate of "their martial spirit in battle" as well as the whole run.
_INNER_BREAKS = frozenset(
    ["of", "in", "on", "at", "to", "by", "for", "with", "from", "as", "and", "or", "but", "into", "than", "over", "under", "about", "during", "through", "against", "between", "among", "within", "without", "across", "towards", "toward", "upon", "after", "before", "until", "since"]
)


# Verbs that are rarely a noun, as written: a candidate phrase never spans one ("uses", "is
# called", "tells us"), since the answer is the noun phrase beside it.
VERB_FORMS = frozenset(
    ["include", "includes", "included", "uses", "define", "defines", "defined", "consider", "considers", "considered", "call", "calls", "called", "describe", "describes", "described", "refer", "refers", "referred", "allow", "allows", "allowed", "require", "requires", "required", "provide", "provides", "provided", "create", "creates", "created", "develop", "develops", "developed", "establish", "establishes", "established", "produce", "produces", "produced", "involve", "involves", "involved", "contain", "contains", "contained", "represent", "represents", "represented", "remain", "remains", "remained", "follow", "follows", "followed", "become", "becomes", "became", "make", "makes", "made", "take", "takes", "took", "taken", "give", "gives", "gave", "given", "say", "says", "said", "tell", "tells", "told", "know", "knows", "knew", "known", "show", "shows", "showed", "shown", "find", "finds", "found", "think", "thinks", "thought", "seem", "seems", "seemed", "want", "wants", "wanted", "need", "needs", "needed", "get", "gets", "got", "gotten", "keep", "keeps", "kept", "bring", "brings", "brought", "begin", "begins", "began", "begun", "lead", "leads", "led", "write", "writes", "wrote", "written", "grow", "grows", "grew", "grown", "lose", "loses", "lost", "build", "builds", "built", "understand", "understands", "understood", "capture", "captures", "captured", "compute", "computes", "computed", "solve", "solves", "solved", "determine", "determines", "determined", "apply", "applies", "applied", "occur", "occurs", "occurred", "exist", "exists", "existed", "introduce", "introduces", "introduced", "announce", "announces", "announced", "believe", "believes", "believed", "suggest", "suggests", "suggested", "argue", "argues", "argued", "prove", "proves", "proved", "proven", "tend", "tends", "tended", "help", "helps", "helped", "serve", "serves", "served", "receive", "receives", "received", "claim", "claims", "claimed", "caused", "causes", "led", "rely", "relies", "relied", "depend", "depends", "depended"]
)
# Sentence adverbs and connectives: they open a sentence or a clause, never an answer.
CONNECTIVES = frozenset(
    ["similarly", "thus", "however", "therefore", "again", "moreover", "furthermore", "instead", "also", "still", "yet", "hence", "indeed", "notably", "meanwhile", "otherwise", "finally", "first", "firstly", "second", "secondly", "then", "today", "now", "stated"]
)


def clause_phrases(sentence: str, question: str, acronyms: Mapping[str, str], longest: int = AnswerSettings.phrase_max_words) -> Iterator[Span]:
    """Candidate answers to "what is X?" / "what did X use?": the runs of the sentence's words
    between punctuation, clause words and the question's own words (stemmed, so "founded" is
    the question's "found"), each whole and cut at a preposition or conjunction inside it, without
    edge words, of at most ``longest`` words (``Span.tier`` 2: a phrase, no name or number)."""
    asked = set(query_tokens(question))
    seen: set[tuple[int, int]] = set()
    yield from _named_terms(sentence)
    yield from lists(sentence, question, acronyms)
    for run in _runs(sentence, asked):
        for part in _cuts(run):
            for span in _trimmed(sentence, part, longest):
                if (span.start, span.end) not in seen:
                    seen.add((span.start, span.end))
                    yield Span(span.text, span.start, span.end, tier=2)


# "… are called randomized algorithms", "is referred to as a problem instance": the term named.
_NAMED_TERM_RE = re.compile(
    r"\b(?:called|known as|referred to as|termed|named|dubbed)\s+(?:(?:a|an|the)\s+)?"
    r"(?P<name>[\w'’-]+(?:\s+(?!(?:and|or|that|which|who|is|are|was|were|in|of|for|by|to|with)\b)[\w'’-]+){0,3})"
)


def _named_terms(sentence: str) -> Iterator[Span]:
    """The term after "called", "known as", "referred to as" (tier 0: it names what the
    question describes, the question's words included)."""
    for match in _NAMED_TERM_RE.finditer(sentence):
        text = match.group("name").rstrip(".")
        yield Span(text, match.start("name"), match.start("name") + len(text), tier=0)


# A list's items: "awareness, capabilities, and engagement", "the G7 and the North American Drug
# Dialogue". An item is at most LIST_ITEM_WORDS words.
LIST_ITEM_WORDS = 5
_CONJUNCTION_RE = re.compile(r",?\s+(?:and|or)\s+")
_LIST_STOP = _CLAUSE_WORDS | VERB_FORMS | CONNECTIVES | _INNER_BREAKS - {"and", "or"}


def lists(sentence: str, question: str, acronyms: Mapping[str, str]) -> Iterator[Span]:
    """Lists of two or more short items joined by commas and a final "and"/"or", from the first
    item to the last (tier 1: a list answers "what are the three …?" whole)."""
    for conjunction in _CONJUNCTION_RE.finditer(sentence):
        last = _list_item(sentence[conjunction.end() :], forward=True)
        if last is None:
            continue
        start = conjunction.start()
        items = 0
        for segment in reversed(re.split(r"(,\s+)", sentence[:start])[::2]):
            item = _list_item(segment, forward=False)
            if item is None:
                break
            items, start = items + 1, start - len(item)
            if len(item) < len(segment):
                break  # the first item ends a longer clause: the list opens there
            start -= 2  # the ", " before this item
        if items:
            end = conjunction.end() + len(last)
            yield Span(sentence[start:end], start, end, tier=1)


def _list_item(text: str, *, forward: bool) -> str | None:
    """The item at the start (``forward``) or end of ``text``: up to LIST_ITEM_WORDS words, none a
    clause word, verb, preposition or adverb; ``None`` when there is none."""
    words = list(re.finditer(r"[\w'’.-]+|[^\w\s]", text))
    picked: list[re.Match[str]] = []
    for word in words if forward else reversed(words):
        folded = word.group(0).casefold()
        adverb = word.group(0).endswith("ly") and word.group(0).islower()  # "and eventually"
        if not re.match(r"[\w'’-]", folded) or folded in _LIST_STOP or adverb or len(picked) == LIST_ITEM_WORDS:
            break
        if forward and picked and picked[0].group(0)[0].isupper() and word.group(0)[0].islower():
            break  # "… and Hizballah pose a threat": a name ends where the lower-case words start
        picked.append(word)
    if not picked:
        return None
    return text[: picked[-1].end()].rstrip(".") if forward else text[picked[-1].start() :]


def _runs(sentence: str, asked: set[str]) -> Iterator[list[re.Match[str]]]:
    """Maximal runs of words that are no question word and no clause word, between punctuation."""
    run: list[re.Match[str]] = []
    words = _phrase_words(sentence)
    for number, word in enumerate(words):
        gap = sentence[words[number - 1].end() : word.start()] if number else ""
        if run and _PHRASE_BREAK_RE.search(gap):
            yield run
            run = []
        text = word.group(0).rstrip(".").casefold()
        if text in _CLAUSE_WORDS or text in VERB_FORMS or text in CONNECTIVES or asked & set(query_tokens(text)):
            if run:
                yield run
            run = []
            continue
        run.append(word)
    if run:
        yield run


def _cuts(run: list[re.Match[str]]) -> Iterator[list[re.Match[str]]]:
    """The run, and its pieces before and after each preposition or conjunction in it."""
    yield run
    inner = [n for n, word in enumerate(run) if 0 < n < len(run) - 1 and word.group(0).casefold() in _INNER_BREAKS]
    for n in inner:
        yield run[:n]
        yield run[n + 1 :]


# "what/which [kind of] X", "what is the name of the X": X is the head noun of the answer.
_HEAD_RE = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+(?:the\s+)?names?\s+of\s+(?:the\s+|a\s+|an\s+)?)?"
    r"(?:(?:kind|type|sort|form|name)s?\s+of\s+)?(?P<head>\w+)(?:\s+(?P<second>\w+))?",
    re.I,
)


# Verbs that follow "what" as its verb, not a plural noun it asks for ("what happens after …?",
# "what results in out-of-order delivery?"; SQuAD subset).
WHAT_VERBS = frozenset(
    ["happens", "results", "causes", "occurs", "matters", "remains", "follows", "comes", "goes", "appears", "seems",
     "exists", "means", "counts", "makes", "leads", "determines", "explains", "prevents", "allows", "helps", "changes"]
)
# "Along with mills and mines, in what locations …?": the question names some items of the list
# itself and asks for the one it leaves out, listed beside them ("factories, mills and mines").
SIBLING_CUE_RE = re.compile(r"\b(?:along with|besides|other than|in addition to|apart from|aside from|as well as)\b", re.I)


def asks_for_several(question: str) -> bool:
    """Whether ``question`` asks for several things by a plural head noun ("which terrorist
    groups …?", "which organizations play …?", "what kinds of places …?"): its answer is the
    whole list the sentence gives, not one item of it (unless the question names some of the
    items itself: "Along with mills and mines, …?")."""
    match = _HEAD_RE.search(question)
    if match is None or SIBLING_CUE_RE.search(question):
        return False
    heads = [match.group("head"), match.group("second") or ""]
    if heads[0].casefold() in _CLAUSE_WORDS or heads[0].casefold() in WHAT_VERBS:
        return False  # "what does …", "what happens …": no head noun
    return any(_is_plural_noun(word) for word in heads)


def _is_plural_noun(word: str) -> bool:
    folded = word.casefold()
    return (
        len(folded) > 3
        and folded.endswith("s")
        and not folded.endswith(("ss", "us", "is", "'s", "’s"))
        and folded not in _CLAUSE_WORDS
        and folded not in VERB_FORMS
        and folded not in WHAT_VERBS
    )


# The words right before a head noun (its modifiers: "marine triple expansion engines"), at most
# this many.
HEAD_MODIFIER_WORDS = 3
# A word may hold a slash ("the 9/11 terrorist attacks": "9/11", not "11").
_MODIFIER_RE = re.compile(rf"(?<![\w/-])(?P<words>[\w/-]+(?:\s+[\w/-]+){{0,{HEAD_MODIFIER_WORDS - 1}}})\s+$")


def _head_names(sentence: str, question: str) -> Iterator[Span]:
    """The name beside a word of the question's head noun phrase in the sentence: "Levi's
    Stadium" for "What is the name of the stadium …?", "Deabolis" in "the river Deabolis" for
    "What river …?"; else the word that modifies it ("non-deterministic" for "What type of
    Turing machine …?")."""
    match = _HEAD_RE.search(question)
    if match is None:
        return
    heads = {w.casefold().rstrip("s") for w in (match.group("head"), match.group("second")) if w}
    heads -= {w.rstrip("s") for w in _CLAUSE_WORDS | _EDGE_WORDS}
    named: set[int] = set()
    for word in _PHRASE_WORD_RE.finditer(sentence):
        bare = word.group(0).rstrip(".")  # "engines." ends the sentence
        if bare.casefold().rstrip("s") not in heads:
            continue
        end = word.start() + len(bare)
        if bare[0].isupper() and (whole := _name_around(sentence, word.start(), end)):
            if whole.start not in named:  # "US" and "Department" are both in the name
                named.add(whole.start)
                yield whole  # "the US Department of Justice" for "Which US department …?"
            continue
        before = re.search(rf"(?:{_CAPITALISED})\s+$", sentence[: word.start()])
        after = re.match(rf"\s+(?:of\s+)?(?P<name>{_CAPITALISED})", sentence[end:])
        if after and word.group(0)[0].islower():  # "the river Deabolis", "the city of Ankara"
            start, name = end + after.start("name"), after.group("name").rstrip(".")
            yield Span(name, start, start + len(name))
        elif before and before.start() > 0:
            yield Span(sentence[before.start() : end], before.start(), end)
        elif (modifier := _MODIFIER_RE.search(sentence[: word.start()])) and head_kind(question) != "date":
            # "a non-deterministic Turing machine" for "what type of Turing machine"; a date head
            # ("In what century …?") is answered by the whole date, not "11th"
            yield from _modifiers(sentence, modifier, question)


def _name_around(sentence: str, start: int, end: int) -> Span | None:
    """The capitalised name that holds the word at ``start``–``end`` and more ("the US Department
    of Justice" around "Department"), or None."""
    for match in _NAME_SPAN_RE.finditer(sentence):
        if match.start() <= start and end <= match.end() and (match.start(), match.end()) != (start, end):
            text = match.group(0).rstrip(".")
            return Span(text, match.start(), match.start() + len(text)) if match.start() > 0 else None
    return None


def _modifiers(sentence: str, modifier: re.Match[str], question: str) -> Iterator[Span]:
    """The words of ``modifier`` (the words before a head noun) from the last back to the
    first that is an edge or clause word, a verb or a word of the question: "marine triple
    expansion" of "used on some marine triple expansion engines"."""
    words = list(re.finditer(r"[\w-]+", modifier.group("words")))
    kept: list[re.Match[str]] = []
    for word in reversed(words):
        folded = word.group(0).casefold()
        if folded in _EDGE_WORDS | _CLAUSE_WORDS | VERB_FORMS or re.search(rf"\b{re.escape(folded)}\b", question, re.I):
            break
        kept.insert(0, word)
    if kept:
        start, end = modifier.start("words") + kept[0].start(), modifier.start("words") + kept[-1].end()
        yield Span(sentence[start:end], start, end)


# "What is X?" where X is a name or a noun without a preposition ("the Responsible Cooperators
# Program", "a Turing machine"), not "the capital of Australia"; nor a possessive or a naming
# verb, which ask for one fact ("What is William Rankine's nationality?", "What is the Rankine
# cycle sometimes called?", "What is a term that means …?").
_DEFINITION_CUE = (
    r"^\W*what(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(?!.*(?:['’]s\b|\b(?:called|named|known|termed|that|which|who)\b))"
    r"(?:(?:a|an|the)\s+)?"
    rf"(?!(?:{'|'.join(sorted(_INNER_BREAKS))})\b)[\w'’-]+(?:\s+(?!(?:{'|'.join(sorted(_INNER_BREAKS))})\b)[\w'’-]+){{0,4}}\s*\??\s*$"
)
# "Who is Mazen Al Najjar?", "who was warsz": who someone is, answered by the sentence that
# introduces them (a name picked from it, "the Department of Justice", would be someone else).
# Not "who is the head of …", "who is responsible", "who was arrested" nor "who was Robert's
# son?", which ask for a person: the words after the verb are no article, pronoun, verb form
# (-ed, -ing), preposition or possessive.
_NON_NAME_WORDS = frozenset(
    ["a", "an", "the", "this", "that", "these", "those", "it", "he", "she", "they", "him", "her", "them", "there",
     "its", "their", "his", "our", "your", "my", "responsible", "behind", "involved", "accountable", "not", "also",
     "still", "now", "known", "said"]
)
_NAME_WORD = rf"(?!(?:{'|'.join(sorted(_NON_NAME_WORDS | _INNER_BREAKS))})\b)(?![\w.-]*(?:ed|ing)\b)[\w.-]+"
WHO_IS_NAME_TAIL = rf"(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}\s*\??\s*$"


@dataclass(frozen=True)
class AnswerType:
    """One answer type (see the module docstring for each field)."""

    name: QuestionType
    cue: re.Pattern[str] | None
    evidence: re.Pattern[str] | Callable[[str, str], bool] | None
    span: Detector | None
    miss_strength: float
    inherited: bool = False
    scored: bool = False

    @property
    def required(self) -> bool:
        return self.miss_strength >= 1.0


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# In cue order: the first entry whose cue matches is the question's type.
ANSWER_TYPES: tuple[AnswerType, ...] = (
    # "Did X lead to Y?" (but "Can you list …?" is a request, not a yes/no question)
    AnswerType(
        "yes_no",
        _cue(r"^\W*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b(?!\s+(?:you|i|we)\b)"),
        None, None, 1.0,
    ),
    AnswerType(
        "acronym",
        _cue(r"\b(?:stands? for|full form|abbreviat|acronym|short for)|^what does [A-Z][A-Za-z-]{1,10} mean\b"),
        lambda sentence, question: "(" in sentence, _expansions, 0.4,
    ),
    AnswerType(
        "money",
        _cue(
            r"\bhow much\b.*\b(?:spend|spent|cost|pay|paid|fund|funded|budget|earn|invest|money|worth|price)"
            r"|\bwhat(?:'s| is| was| are| were)\b.*\b(?:budget|cost|price|funding|revenue|salary)\b"
        ),
        _MONEY_RE, _matches(_MONEY_SPAN_RE), 1.0, inherited=True,
    ),
    AnswerType(
        "number",
        _cue(r"\b(?:how many|how much|number of|what number|what percentage|how large|how big)\b"),
        _tells_count, _counts, 1.0, inherited=True,
    ),
    # "How long has X existed / been around?": how old a thing is. Unlike other durations it is
    # required: a sentence with no length of time, bound or date cannot answer it (the article
    # says what COE-DAT does, not since when), and a date it dates from answers it.
    AnswerType(
        "age",
        _cue(
            r"\bhow long\s+(?:has|have|had)\b.*\b(?:existed|been (?:around|in existence|in operation|operating|"
            r"operational|active|in business))\b"
        ),
        _tells_age, _ages, 1.0,
    ),
    # "How long …?", "How old …?", "How often …?": a length of time; not read by the ranker and
    # not required (the answer may be a bound, "since the 1950s", or a bare number)
    AnswerType("duration", _cue(r"\bhow (?:long|old|often)\b|\bwhat (?:(?:is|was) (?:the )?)?duration\b"), None, _durations, 0.0),
    AnswerType(
        "date",
        _cue(r"\b(?:when|what year|which year|what date|in what year|what month|since when)\b"),
        _DATE_RE, _matches(_DATE_SPAN_RE), 1.0, inherited=True,
    ),
    # A number with its unit. Not read by the ranker (its features are unchanged) and not required:
    # only the short answer looks for the measure ("27 kilometres" for "How far out at sea can the
    # lamp be seen?").
    AnswerType(
        "distance",
        _cue(
            r"\bhow (?:far|tall|high|deep|wide|thick)\b"
            r"|\bwhat (?:(?:is|was|are|were) (?:the )?)?(?:distance|length|height|depth|width|altitude|elevation)\b"
        ),
        None, _lengths, 0.0, inherited=True,
    ),
    # "Who heads X?" wants a person's name, where "who does X work with?" is often answered by
    # an organisation
    AnswerType(
        "leader",
        _cue(
            r"\bwho\b.*\b(?:head|leader|chief|director|president|chair(?:man|woman|person)?|secretary(?:[- ]general)?|"
            r"minister|commander|founder|ceo)s?\b|\bwho (?:leads|heads|runs|directs|chairs|founded|commands)\b"
            r"|\bname of (?:the |its |their |his |her )?(?:head|leader|chief|director|president|chair(?:man|woman|person)?|"
            r"secretary[- ]general|minister|commander|founder|ceo)s?\b"
        ),
        _leader_named, _leaders, 1.0,
    ),
    AnswerType(
        "person", _cue(rf"\b(?:who(?!{WHO_IS_NAME_TAIL})|whom|whose|which person|which official)\b"), _PERSON_RE, _people, 0.2,
        scored=True,
    ),
    # Not read by the ranker (no ``evidence``): only the short answer looks for the name.
    AnswerType(
        "organisation",
        _cue(r"\b(?:which|what) (?:organi[sz]ations?|agency|agencies|body|bodies|institutions?|group|alliance|department)\b"),
        None, _names, 0.0,
    ),
    AnswerType(
        "country",
        _cue(r"\b(?:which|what) (?:other |two |three |four |five )?(?:country|countries|nations?)\b"),
        lambda sentence, question: mentions_country(sentence, besides=question), _countries, 1.0,
    ),
    AnswerType(
        "place",
        _cue(r"\b(?:where|(?:which|what) (?:city|cities|places?|regions?)|in what place)\b"),
        _PLACE_RE, _places, 0.4,
    ),
    AnswerType(
        "reason",
        _cue(r"^\W*why\b|\bfor what reason\b|\bhow come\b|\bwhat (?:is|was|are|were) the (?:reasons?|causes?|purpose)\b"),
        _REASON_RE, None, 1.0,
    ),
    # Not read by the ranker, and last, so that it takes only questions no type above takes:
    # "what/which X" and "what is the name of X" find the phrase, preferring names and the
    # question's head noun.
    AnswerType(
        "thing",
        _cue(
            r"\b(?:what|which)\s+(?!(?:about|of|if|else|is|was|are|were|do|does|did|has|have|had|can|could|will|would|"
            r"should|might|may|must)\b)\w+|\bwhat (?:is|was|are|were) the names? of\b|^\W*name (?:a|an|one|the)\b"
        ),
        None, _typed_phrases, 0.0, scored=True,
    ),
    # "What is NEXUS?", "What is a Turing machine?": a bare definition question, answered by the
    # sentence (a phrase picked from it would be one fact about X, not what X is).
    AnswerType("definition", _cue(rf"{_DEFINITION_CUE}|^\W*who{WHO_IS_NAME_TAIL}"), None, None, 0.0),
    # "What does COE-DAT do?", "What did DECnet originally do?": the question asks for an activity,
    # answered by the sentence ("hub" of "serves as a hub for international dialogue" is no
    # answer). A question whose verb names what is asked ("What does X stand for / produce /
    # cost?", "What did they return to do?") is no "do" question and keeps its type. On the SQuAD
    # subset the phrases picked for 8 such questions matched the gold less well than their
    # sentence does (short-answer token F1 +0.0003 without them).
    AnswerType("activity", _cue(r"^\W*what\s+(?:do|does|did)\b.*(?<!\bto )\bdo\b"), None, None, 0.0),
    # "What is X?", "What did X use?", and a question that ends in its "what" or "called" ("The
    # aim of the law was to do what?", "The practice was called?"): the phrase of the best
    # sentence beside the question's words, chosen by answering.spans; not read by the ranker.
    AnswerType(
        "phrase",
        _cue(
            r"\bwhat\s+(?:is|was|are|were|do|does|did|has|have|had|can|could|will|would|should|might|may|must)\b"
            r"|\b(?:what|called)\W*$"
        ),
        None, clause_phrases, 0.0, scored=True,
    ),
)
OTHER = AnswerType("other", None, None, None, 0.0)
BY_NAME: dict[str, AnswerType] = {t.name: t for t in (*ANSWER_TYPES, OTHER)}

# "when", "where", "who" also join clauses ("What does the T cell release when it binds?"): as a
# cue they must be the question's first wh-word.
_CLAUSE_CUES = frozenset(["when", "where", "who", "whom"])
_WH_WORD_RE = re.compile(rf"\b(?:{'|'.join(QUESTION_WORDS)})\b", re.I)


def question_type(question: str) -> QuestionType:
    """The expected answer type from cue words ("how many" -> number, "when" -> date, ...)."""
    first_wh = _WH_WORD_RE.search(question)
    for answer_type in ANSWER_TYPES:
        if answer_type.name == "yes_no" and first_wh is not None:
            continue  # "Is it known when …?" asks for the date
        assert answer_type.cue is not None
        for match in answer_type.cue.finditer(question):
            clause_word = match.group(0).casefold() in _CLAUSE_CUES
            if clause_word and first_wh is not None and first_wh.start() < match.start():
                continue
            return answer_type.name
    return "other"


def ranked_type(answer_type: QuestionType) -> QuestionType:
    """The type as the sentence ranker reads it: "other" for types it has no evidence for."""
    entry = BY_NAME[answer_type]
    return answer_type if entry.evidence is not None or answer_type == "yes_no" else "other"


def has_answer_type(sentence: str, answer_type: QuestionType, question: str = "") -> bool:
    """Whether ``sentence`` holds a span of the expected type (rules, not an NER model) that
    ``question`` does not already hold: "How many died on 9/11?" is not answered by "9/11"."""
    evidence = BY_NAME[answer_type].evidence
    if evidence is None:
        return False
    if not isinstance(evidence, re.Pattern):
        return evidence(sentence, question)
    asked = question.casefold()
    for match in evidence.finditer(sentence):
        found = match.group("name") if "name" in evidence.groupindex else match.group(0)
        if not already_asked(found, asked):
            return True
    return False


def already_asked(span: str, asked: str) -> bool:
    """Whether the folded question ``asked`` holds ``span``: a name as a whole word ("US" is
    not in "focus"), a digit sequence anywhere ("1" is part of "9/11")."""
    folded = span.casefold()
    if folded[:1].isalpha():
        return re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", asked) is not None
    return folded in asked


def answer_spans(
    sentence: str, answer_type: QuestionType, question: str, acronyms: Mapping[str, str] | None = None
) -> list[Span]:
    """The candidate short answers of ``answer_type`` in ``sentence`` that the question does not
    already hold, in order (empty for explanation types)."""
    detector = BY_NAME[answer_type].span
    if detector is None:
        return []
    asked, acronyms = question.casefold(), acronyms or {}
    spans = []
    for span in detector(sentence, question, acronyms):
        bare = re.sub(r"^the\s+", "", span.text, flags=re.I)
        if already_asked(bare, asked) or already_asked(span.text, asked):
            continue
        if answer_type == "number" and span.text[0].isupper() and span.start > 0:
            continue  # "the Five Eyes"
        if answer_type != "acronym" and spells_asked_acronym(span.text, question):
            continue  # "American Football Conference" when the question says "AFC"
        if _TITLE_ONLY_RE.fullmatch(span.text):
            continue  # "Lady" of "First Lady Laura Bush": a title names no one
        spans.append(span)
    return spans


def spells_asked_acronym(text: str, question: str) -> bool:
    """Whether ``text`` is the long form of an acronym the question uses: the initials of its
    capitalised words ("American Football Conference") spell one ("AFC")."""
    initials = "".join(word[0] for word in re.findall(r"\b[A-Z][\w'’-]*", text))
    return len(initials) >= 2 and re.search(rf"(?<!\w){initials}s?(?!\w)", question) is not None
