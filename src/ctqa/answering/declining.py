"""Declining rules: when ctqa says the documents do not answer, and the reason it gives.

``DECLINE_RULES`` is checked in order on the best sentence after reordering; the first rule
that fires declines, and its ``reason`` (with the question's words filled in) is shown to the
user under the one-sentence decline.

* ``not_a_question`` — "thanks!", "ok": chat that asks nothing;
* ``nothing_found`` — no passage was retrieved at all;
* ``about_the_document`` — "Who wrote this article?", "When was the page published?": a question
  about the document itself, answered only by a sentence that speaks of its writing (an author,
  "published", "written by");
* ``names_missing`` — a name the question uses is not in the best sentence's passage
  (``require_asked_names``): "How many task forces has Canada set up?" is not answered by a
  passage about the US's task forces. A passage that names nothing of its own ("The light was
  automated in 1989") is about its document's subject, so a name its file uses in another
  section ("When was the Kessel Point light automated?") counts as mentioned;
* ``no_known_words`` — a question that stands alone (or a follow-up of nothing but punctuation,
  "???") has no content word the documents use (``" OR 1=1 --"``: a lone digit is no topic; "?!?"; a question in Chinese), so
  whatever was retrieved matched it by chance;
* ``low_confidence`` — the best sentence's probability is below ``abstain_threshold`` (checked
  after the two rules above: it declines most of what they decline, but cannot say why);
* ``asked_type_missing`` — the question asks for a required answer type (a number, date,
  age, amount, leader's name, country, reason, or a yes/no statement) and the best sentence has
  none (``require_answer_type``);
* ``subject_missing`` — a count question ("How many members does NATO have?") whose subject
  words (its own words less names, kind words and numbers) are all missing from the best
  passage: the row "Number of COEs accredited by NATO 30" does not answer it;
* ``fact_not_an_answer`` — every span of the asked type in the answer sentences is no answer
  (``NOT_AN_ANSWER``): it names the question's own subject ("North Atlantic" for "Who is the NATO
  Secretary General?"), it is a label ("Article 5" for "How many members …?") or a duration
  ("a term of four years"), or it names an institution where a person is asked for;
* ``nothing_new`` — a follow-up asking for more ("what other …?", "who else …?") or to list what
  the last answer counted ("can you list them?", "which ones are they?") whose best sentence is
  one the user was already shown, or (a list asked for) one that lists nothing: the documents
  say nothing beyond it; and one asking for more
  of a named kind ("which other countries belong to it?", ``NAMED_TYPES``) whose best sentence
  names only what the thread already named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ctqa.answering.answer_types import (
    BY_NAME,
    INSTITUTION_WORDS,
    LABEL_BEFORE_RE,
    MONTHS,
    QuestionType,
    Span,
    answer_spans,
    asks_what_leads,
    leading_bodies,
    lists,
)
from ctqa.answering.compose import answer_sentences
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.followups import ASKS_FOR_MORE_RE, ASKS_TO_LIST_RE, is_ellipsis, is_interjection
from ctqa.answering.scoring import ScoredSentence, was_shown
from ctqa.config import AnswerSettings
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import fold, initialisms, query_tokens, stem, tokenize


@dataclass(frozen=True)
class Decline:
    """Why an answer was declined: the rule's ``name`` and the ``reason`` shown to the user
    ("" when the rule has nothing more specific to say than the decline itself), and whether the
    closest passages are worth showing (``DeclineRule.shows_closest``)."""

    rule: str
    reason: str
    shows_closest: bool = True


@dataclass(frozen=True)
class DeclineContext:
    """What the rules read: the plan, the scored sentences (best first) and the corpus."""

    plan: QueryPlan
    scored: list[ScoredSentence]
    view: CorpusView
    settings: AnswerSettings

    @property
    def confidence(self) -> float:
        return self.scored[0].probability if self.scored else 0.0


Check = Callable[[DeclineContext], str | None]


@dataclass(frozen=True)
class DeclineRule:
    """``check`` returns the reason shown to the user when the rule declines, else ``None``.
    ``shows_closest``: whether the passages nearest the message are listed under the decline
    (not for "thanks!": chat asks nothing, so no passage is near what it asks)."""

    name: str
    check: Check
    shows_closest: bool = True


def _not_a_question(context: DeclineContext) -> str | None:
    return "" if is_interjection(context.plan.question) else None


# "Who wrote this article?", "when was the page published?": a question about the document
# itself, which its text rarely says; only a sentence that speaks of its writing answers it.
_ABOUT_DOCUMENT_RE = re.compile(
    r"^(?=.*\b(?:who|when|where|which year)\b)(?=.*\b(?:wrote|written|writes|authored|published|posted|updated)\b)"
    r"(?=.*\b(?:this|the)\s+(?:article|page|piece|text|document|post|site|website)\b)"
    r"|\bwho(?:'s|’s|\s+is|\s+was)\s+the\s+(?:author|writer|publisher)\b"
    r"|\b(?:author|writer|publisher|publication date|date of publication)\s+of\s+(?:this|the)\s+"
    r"(?:article|page|piece|text|document|post|site|website)\b",
    re.I,
)
_AUTHORSHIP_RE = re.compile(r"\b(?:wrote|written|writer|author\w*|published|publisher|posted|byline)\b", re.I)
ABOUT_DOCUMENT = "The documents do not say who wrote them or when."


def _about_the_document(context: DeclineContext) -> str | None:
    if not _ABOUT_DOCUMENT_RE.search(context.plan.question) or not context.scored:
        return None
    best = context.scored[0]
    sentence = context.view.sentence_text(best.passage_id, best.number)
    return None if _AUTHORSHIP_RE.search(sentence) else ABOUT_DOCUMENT


def _nothing_found(context: DeclineContext) -> str | None:
    return "" if not context.scored else None


def _low_confidence(context: DeclineContext) -> str | None:
    settings = context.settings
    threshold = settings.ellipsis_abstain_threshold if _names_the_new_detail(context) else settings.abstain_threshold
    return "" if context.confidence < threshold else None


def _names_the_new_detail(context: DeclineContext) -> bool:
    """Whether the question is an elliptical follow-up ("and resilience?", "what about remote
    ports") whose best sentence holds every word of the new detail: the detail is all the
    question says of its own, so the ranker, which weighs it against the whole thread, scores
    the sentence naming it lower than a question asked in full."""
    plan = context.plan
    if not (plan.followup_of and plan.own_tokens and context.scored and is_ellipsis(plan.question)):
        return False
    best = context.scored[0]
    return set(plan.own_tokens) <= set(context.view.sentence_context_tokens[best.passage_id][best.number])


def _names_missing(context: DeclineContext) -> str | None:
    if not context.settings.require_asked_names:
        return None
    unmentioned = missing_names(context.view, context.plan, context.scored[0])
    return names_note(unmentioned) if unmentioned else None


def _no_known_words(context: DeclineContext) -> str | None:
    plan = context.plan
    if plan.followup_of:
        # a follow-up's topic is the conversation's, not its own words'; "???" has no words at all
        return None if any(char.isalnum() for char in plan.question) else NO_WORD
    content = [token for token in plan.focus_tokens if is_content_token(token)]
    if any(token in context.view.vocabulary for token in content):
        return None
    if not content and any(char.isalpha() for char in plan.question) and not re.search(r"[A-Za-z]", plan.question):
        return NO_LATIN_WORDS  # "灯塔的灯能看多远？": the words are there, in a script ctqa does not read
    if not content:
        return NO_WORD
    return "The documents use none of the question's words; ask about something they mention."


NO_WORD = "The question has no word to look up in the documents; ask about something they mention."
# Words are looked up as written in Latin letters (accents folded: "lámpara" is "lampara").
NO_LATIN_WORDS = (
    "The question has no word in Latin letters, which is how ctqa looks words up; ask in the language of "
    "the documents."
)


def is_content_token(token: str) -> bool:
    """A token that can name a topic: one with a letter, or a number of two digits or more
    ("2001", "93"); a lone digit ("1" of "1=1") is no topic."""
    return len(token) >= 2 or token.isalpha()


_TYPE_MATCH = FEATURE_NAMES.index("type_match")
# What the closest passage lacks, by answer type, in the user's terms.
_LACKS = {
    "money": "an amount",
    "number": "a number",
    "date": "a date",
    "age": "a length of time or a date it dates from",
    "leader": "a person's name",
    "country": "a country it does not already name",
    "reason": "a reason",
    "yes_no": "that statement",
}


def _asked_type_missing(context: DeclineContext) -> str | None:
    answer_type = context.plan.answer_type
    if not context.settings.require_answer_type or not BY_NAME[answer_type].required:
        return None
    if context.scored[0].features[_TYPE_MATCH] >= 1.0:
        return None
    return f"The passage closest to the question does not give {_LACKS.get(answer_type, answer_type)}."


# -- the fact must be about what is asked -----------------------------------------------------

# Answer types whose short answer is one bare fact: a wrong one reads as a confident answer, so
# the answer must be about what the question asks (the fresh-clone trial: "30", "North Atlantic").
FACT_TYPES: frozenset[QuestionType] = frozenset({"number", "money", "date", "leader"})
# Fact types answered only by a span their detector finds: the ranker's evidence pattern for a
# leader takes any two capitalised words, so "The Secretary General is appointed by the member
# states …" passes it while naming no one (a NATO text added to the article; test_unrelated_documents).
NEEDS_A_SPAN: frozenset[QuestionType] = frozenset({"leader"})
# Question words that say which kind of fact is asked ("what year"), not what it is about.
_KIND_WORDS = frozenset(stem(word) for word in ("year", "date", "time", "day", "month", "number", "total", "amount", "exact"))
_INSTITUTION_RE = re.compile(rf"\b(?:{INSTITUTION_WORDS})\b")
# A number followed by a unit of time is a duration ("a term of four years"), not a count of
# what the question asks about, unless the question asks about that unit.
_TIME_UNIT = r"(?:second|minute|hour|day|week|month|year|decade|centur(?:y|ie))s?"
_DURATION_AFTER_RE = re.compile(rf"^[\s-]+{_TIME_UNIT}\b", re.I)
_TIME_UNIT_RE = re.compile(rf"\b{_TIME_UNIT}\b|\blong\b", re.I)


def asked_name_tokens(plan: QueryPlan) -> set[str]:
    """Every token of the names the question uses, their initials and their long or short forms."""
    tokens: set[str] = set()
    for name in plan.names:
        tokens.update(name.tokens)
        tokens.update(name.initials)
        for form in name.other_forms:
            tokens.update(form)
    return tokens


def subject_tokens(plan: QueryPlan) -> list[str]:
    """What a count question is about, beyond its names: "members" in "How many members does
    NATO have?" (the user's own words less the names, kind words such as "year", and numbers)."""
    names = asked_name_tokens(plan)
    return [t for t in dict.fromkeys(plan.own_tokens) if t not in names and t not in _KIND_WORDS and not t.isdigit()]


def _subject_missing(context: DeclineContext) -> str | None:
    """Declines a count whose passage uses none of the question's subject words. Counts only:
    the same check on dates and names declined 11 answerable SQuAD questions of 1,520 (their
    event verbs, "founded", "born", are paraphrased: "(1919–2001)"), and requiring the counted
    noun alone declined answerable article questions ("people" / "participants")."""
    plan = context.plan
    if not context.settings.require_answer_type or plan.answer_type not in ("number", "money") or plan.followup_of:
        return None
    subject = subject_tokens(plan)
    if not subject:
        return None
    best = context.scored[0]
    tokens = {*context.view.passage_tokens[best.passage_id], *context.view.sentence_context_tokens[best.passage_id][best.number]}
    if any(token in tokens for token in subject):
        return None
    return f"The passage closest to the question does not mention {' or '.join(_asked_words(plan, subject))}."


def _asked_words(plan: QueryPlan, tokens: list[str]) -> list[str]:
    """The question's own words behind ``tokens``, as the user wrote them."""
    wanted = set(tokens)
    found = (word for word in re.findall(r"[\w'’-]+", plan.question) if set(tokenize(word)) & wanted)
    return list(dict.fromkeys(found))


SpanCheck = Callable[[Span, str, QuestionType, set[str], str], bool]


def _names_the_subject(span: Span, sentence: str, answer_type: QuestionType, names: set[str], question: str) -> bool:
    # the question's names, or only its own words ("Secretary General" for "Who is the NATO
    # Secretary General?"): the same spans ``answering.spans`` never shows as the short answer
    tokens = set(tokenize(span.text))
    own = set(query_tokens(span.text))
    return bool(tokens) and (tokens <= names or (bool(own) and own <= set(query_tokens(question))))


# "what is the number of the resolution?", "which article number is it?": the label is what is asked
_ASKS_FOR_LABEL_RE = re.compile(
    r"\bnumber of (?:the|that|this|its|their)\s+\w+(?<!s)\s*(?:[?.!]|$)|\b(?:article|resolution|flight|case|bill)\s+number\b", re.I
)


def _is_a_label(span: Span, sentence: str, answer_type: QuestionType, names: set[str], question: str) -> bool:
    return (
        answer_type == "number"
        and LABEL_BEFORE_RE.search(sentence[: span.start]) is not None
        and _ASKS_FOR_LABEL_RE.search(question) is None
    )


def _is_a_duration(span: Span, sentence: str, answer_type: QuestionType, names: set[str], question: str) -> bool:
    return (
        answer_type == "number"
        and _DURATION_AFTER_RE.match(sentence[span.end :]) is not None
        and _TIME_UNIT_RE.search(question) is None
    )


def _is_an_institution(span: Span, sentence: str, answer_type: QuestionType, names: set[str], question: str) -> bool:
    if answer_type != "leader" or _INSTITUTION_RE.search(span.text) is None:
        return False
    # "who leads X?" is answered by the body the sentence says leads it
    return not (asks_what_leads(question) and any(body.text == span.text for body in leading_bodies(sentence, question)))


# Why a span of the asked type is no answer: (what it is, in the user's terms, check).
NOT_AN_ANSWER: tuple[tuple[str, SpanCheck], ...] = (
    ("names what the question asks about", _names_the_subject),
    ("is a label, not a count", _is_a_label),
    ("is a duration, not a count", _is_a_duration),
    ("names an institution, not a person", _is_an_institution),
)


def _fact_not_an_answer(context: DeclineContext) -> str | None:
    """Declines when the answer sentences hold spans of the asked type and none answers."""
    plan = context.plan
    if not context.settings.require_answer_type or plan.answer_type not in FACT_TYPES:
        return None
    best, view = context.scored[0], context.view
    first, last = answer_sentences(context.scored, view.passages[best.passage_id], context.settings)
    names = asked_name_tokens(plan)
    refused: list[str] = []
    for number in range(first, last + 1):
        sentence = view.sentence_text(best.passage_id, number)
        for span in answer_spans(sentence, plan.answer_type, plan.question, view.acronyms):
            why = next((what for what, check in NOT_AN_ANSWER if check(span, sentence, plan.answer_type, names, plan.question)), None)
            if why is None:
                return None
            refused.append(f"“{span.text}” {why}")
    if not refused:
        if plan.answer_type in NEEDS_A_SPAN:
            return f"The passage closest to the question does not give {_LACKS.get(plan.answer_type, plan.answer_type)}."
        return None
    return f"The passage closest to the question does not give {_LACKS.get(plan.answer_type, plan.answer_type)}: {refused[0]}."


NOTHING_NEW = "The documents say nothing more about it than the answer already given."


# The answer types that ask for names: "who else …?", "which other countries …?".
NAMED_TYPES: frozenset[QuestionType] = frozenset({"person", "leader", "organisation", "country", "place"})


def _nothing_new(context: DeclineContext) -> str | None:
    """Declines a follow-up asking for more, or for a list, that only an already shown sentence
    answers; or one asking for more of a named kind ("which other countries belong to it?")
    whose best sentence names only what the thread already named (the US and Canada, asked about)."""
    plan = context.plan
    asks_more = bool(ASKS_FOR_MORE_RE.search(plan.question))
    if not plan.already_shown or not (asks_more or ASKS_TO_LIST_RE.search(plan.question)):
        return None
    best, view = context.scored[0], context.view
    if was_shown(view, plan, best.passage_id, best.number):
        return NOTHING_NEW
    sentence = view.sentence_text(best.passage_id, best.number)
    if not asks_more and next(lists(sentence, plan.question, view.acronyms), None) is None:
        return NOTHING_NEW  # "can you list them?" is not answered by a sentence listing nothing
    if asks_more and plan.answer_type in NAMED_TYPES:
        thread = fold(" ".join([plan.followup_of, *plan.already_shown]))
        # the names of the kind asked for, else any name ("who are the other members?")
        names = answer_spans(sentence, plan.answer_type, plan.question, view.acronyms) or answer_spans(
            sentence, "organisation", plan.question, view.acronyms
        )
        if names and all(fold(re.sub(r"^the\s+", "", name.text, flags=re.I)) in thread for name in names):
            return NOTHING_NEW
    return None


DECLINE_RULES: tuple[DeclineRule, ...] = (
    DeclineRule("not_a_question", _not_a_question, shows_closest=False),
    DeclineRule("nothing_found", _nothing_found),
    DeclineRule("about_the_document", _about_the_document),
    # before low_confidence, which declines most of what they decline but says nothing of why
    DeclineRule("names_missing", _names_missing),
    DeclineRule("no_known_words", _no_known_words),
    DeclineRule("low_confidence", _low_confidence),
    DeclineRule("asked_type_missing", _asked_type_missing),
    DeclineRule("subject_missing", _subject_missing),
    DeclineRule("fact_not_an_answer", _fact_not_an_answer),
    DeclineRule("nothing_new", _nothing_new),
)


def decide(context: DeclineContext) -> Decline | None:
    """The first rule of ``DECLINE_RULES`` that declines, or ``None`` to answer."""
    for rule in DECLINE_RULES:
        reason = rule.check(context)
        if reason is not None:
            return Decline(rule.name, reason, rule.shows_closest)
    return None


def missing_names(view: CorpusView, plan: QueryPlan, sentence: ScoredSentence) -> list[AskedName]:
    """The names the question uses (``plan.names``) that neither ``sentence`` (with the acronym
    forms of its context), its passage (with its section header) nor the rest of its document
    mentions: a file about the Kessel Point light names it in one section and tells when the
    light was automated in another."""
    if not plan.names:
        return []
    passage_tokens = view.passage_tokens[sentence.passage_id]
    tokens = {*passage_tokens, *view.sentence_context_tokens[sentence.passage_id][sentence.number]}
    runs = initialisms(passage_tokens)
    unmentioned = [name for name in plan.names if not name.found_in(tokens, runs)]
    if not unmentioned or names_its_own_subject(view, sentence.passage_id, plan.question):
        return unmentioned
    # in the rest of the file, the name itself: every word as written, not a word of its family
    # ("BASE5" of "10BASE5" is not named by a file that says "based")
    document = view.document_tokens(view.passages[sentence.passage_id].doc_id)
    return [name for name in unmentioned if not (name.tokens and all(token in document for token in name.tokens))]


# A capitalised word inside a sentence (not its first word): a name, an acronym, a title.
_INNER_CAPITAL_RE = re.compile(r"(?<=\s)[A-Z][\w'’.-]*")
_MONTH_RE = re.compile(rf"(?:{MONTHS})\b")


def names_its_own_subject(view: CorpusView, passage_id: int, question: str) -> bool:
    """Whether passage ``passage_id`` names something the question does not (a capitalised word
    past a sentence's first, months aside): "… 93 Anti-Terrorism Task Forces, each within a US
    Attorney's district" is about the US, so a question about Canada's task forces is not
    answered by it, though the same file names Canada in another section. A passage naming
    nothing of its own ("The light was automated in 1989") speaks of its document's subject,
    named elsewhere in the file."""
    asked = set(tokenize(question))
    passage = view.passages[passage_id]
    for number in range(len(passage.sentences)):
        for match in _INNER_CAPITAL_RE.finditer(view.sentence_text(passage_id, number)):
            if not _MONTH_RE.match(match.group(0)) and not set(tokenize(match.group(0))) <= asked:
                return True
    return False


def names_note(unmentioned: list[AskedName]) -> str:
    """Why ctqa declined a question about names the answer's passage lacks, in the user's words."""
    never = [name.text for name in unmentioned if not name.in_corpus]
    elsewhere = [name.text for name in unmentioned if name.in_corpus]
    if never:
        return f"The documents never mention {' or '.join(never)}."
    return (
        f"The passage that best matches the question does not mention {' or '.join(elsewhere)}, "
        "so it does not answer it."
    )


_COPULA_RE = re.compile(
    r"^(?P<wh>(?:what|which|who|where|when|how many|how much)(?:\s+\w+)?)\s+(?P<verb>is|are|was|were)\s+(?P<rest>.+)$",
    re.I,
)


# The clause form needs a noun phrase after the verb ("what the capital of Australia is"); "how
# much was paid for …" would read "how much paid for … was".
_NOUN_PHRASE_START_RE = re.compile(r"(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose)\b|[A-Z0-9]")

NOT_A_QUESTION = "That is not a question about the documents; ask me one about them."


# A word that ends "what is X about/for/like?": its clause ("what X is about") would need the
# verb before it, so such a question is quoted.
_CLAUSE_END_RE = re.compile(r"\b(?:about|for|like|of|to|from|with|in|on|at|by)$", re.I)


def _reads_as_clause(rest: str) -> bool:
    """Whether the words after "what/who … is" make a clause with the verb moved to the end:
    a noun phrase ("the capital of Australia"), no participle ("paid for"), no closing
    preposition ("UNSCR 2396 about")."""
    return bool(_NOUN_PHRASE_START_RE.match(rest)) and not re.search(r"\b\w+ed\b", rest) and not _CLAUSE_END_RE.search(rest)


def decline_text(question: str, rule: str = "", quote_chars: int = AnswerSettings.decline_quote_chars) -> str:
    """The one-sentence decline: "The documents do not say what the capital of Australia is."
    A question the rule cannot turn into a clause is quoted as typed, up to ``quote_chars``: its
    own closing "?", "!" or "." ends the sentence, else a full stop follows the quote
    (“" OR 1=1 --”. is not given a question mark the user never typed)."""
    if rule == "not_a_question":
        return NOT_A_QUESTION
    typed = question.strip()
    bare = typed.rstrip("?!. ")
    if len(bare) > quote_chars or "\n" in bare:
        return "The documents do not say the answer to that question."
    match = _COPULA_RE.match(bare)
    if match and _reads_as_clause(match.group("rest")):
        clause = f"{match.group('wh')} {match.group('rest')} {match.group('verb')}"
        return f"The documents do not say {clause[0].lower()}{clause[1:]}."
    return f"The documents do not say the answer to “{typed}”" + ("" if typed.endswith(("?", "!", ".")) else ".")
