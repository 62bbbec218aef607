"""From a user's question (and chat history) to the query the retrievers run.

Three rewrites, each recorded in the ``QueryPlan`` so the user can see what was searched:

* **Follow-ups** — a question that leans on the conversation (a pronoun such as "it"/"they",
  an elliptical "what about Canada?", or too few words of its own) gets the content words of
  the previous user turn appended. A question that stands alone is left untouched.
* **Acronyms** — both ways, from definitions learnt in the corpus: "WMD" adds "weapons of mass
  destruction", and "weapons of mass destruction" adds "WMD". An acronym the corpus neither
  writes nor defines adds the capitalised phrase of the corpus it abbreviates: "DOJ" adds
  "Department of Justice" (``acronyms.learn_initialisms``).
* **Spelling** — misspelt words are corrected and unknown words joined to their corpus family
  (``retrieval.names``, which also finds the names a question uses).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from ctqa.answering.answer_types import BY_NAME, QuestionType, question_type
from ctqa.answering.followups import (
    CorpusTerms,
    followup_topic,
    is_bare_ellipsis,
    previous_answers,
    without_return_frame,
)
from ctqa.answering.readings import about_topic, without_document_frame
from ctqa.config import NAMES, NameSettings
from ctqa.retrieval.names import AskedName, Spelling, asked_names
from ctqa.retrieval.text import CAPITALISED_PHRASE_RE, fold, phrase_initials, query_tokens, stem, words

__all__ = ["QueryPlan", "QueryRewriter", "clean_question"]

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Markup pasted with a question: real HTML element names only, so "<COE-DAT>" or "a<b" stay text.
_HTML_ELEMENTS = (
    "a|abbr|b|blockquote|body|br|code|dd|div|dl|dt|em|font|h[1-6]|head|hr|html|i|iframe|img|input|"
    "label|li|link|meta|ol|p|pre|q|s|small|span|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul"
)
_TAG_RE = re.compile(
    rf"<(?:script|style)\b[^>]*>.*?</(?:script|style)\s*>"
    rf"|</?(?:{_HTML_ELEMENTS})(?:\s+[\w:-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))?)*\s*/?>",
    re.I | re.S,
)
# C0/C1 control characters and lone UTF-16 surrogates (from bad JSON or a broken paste): the
# tokenizer cannot encode a surrogate, so each becomes a space.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Markdown pasted with a question: "What is **NEXUS**?", "`COE-DAT`", "[NEXUS](https://…)" ask
# about the words, not the marks.
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]\n]+)\]\([^)\s]*\)")
_MARKDOWN_EMPHASIS_RE = re.compile(r"(?<!\w)(\*\*|__|`)(?=\S)(.+?)(?<=\S)\1(?!\w)")

def clean_question(question: str, max_chars: int) -> tuple[str, list[str]]:
    """Normalise white space, control characters and lone surrogates; truncate with a note when too long.

    Raises ``ValueError`` for an empty or whitespace-only question, or one of HTML tags only.
    """
    if not isinstance(question, str):
        raise ValueError(f"the question must be text, not {type(question).__name__}")
    text = unicodedata.normalize("NFC", _CONTROL_RE.sub(" ", _ANSI_RE.sub(" ", question)))
    if not text.strip():
        raise ValueError("the question is empty; type a question about the documents")
    text = " ".join(_TAG_RE.sub(" ", text).split())  # "<b>Where is X?</b>" asks where X is
    text = _MARKDOWN_EMPHASIS_RE.sub(r"\2", _MARKDOWN_LINK_RE.sub(r"\1", text))
    if not text:
        raise ValueError("the question holds only markup (HTML tags); type a question about the documents")
    notes = []
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        head = text[: cut if cut > max_chars // 2 else max_chars]
        last = _last_question(text)
        if "?" not in head and last and len(last) <= max_chars:
            # a long preamble ending in the question: the question is what is asked
            notes.append(f"The message was longer than {max_chars} characters; its last question was read.")
            return last, notes
        text = head
        notes.append(f"The question was longer than {max_chars} characters and was truncated.")
    return text, notes


_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")


def _last_question(text: str) -> str:
    """The last sentence of ``text`` when it ends with a question mark, else ""."""
    if not text.rstrip().endswith("?"):
        return ""
    return _SENTENCE_END_RE.split(text.rstrip())[-1]


@dataclass(frozen=True)
class QueryPlan:
    """The queries sent to the retrievers.

    ``dense_text`` is embedded; ``sparse_tokens`` go to BM25 (a token may repeat, which weighs
    it more); ``focus_tokens`` are the tokens that score answer sentences (the user's own words
    after rewriting, plus a follow-up's topic); ``own_tokens`` only the user's own words.
    """

    question: str
    dense_text: str
    sparse_tokens: list[str]
    focus_tokens: list[str]
    answer_type: QuestionType
    own_tokens: list[str] = field(default_factory=list)
    followup_of: str = ""
    # For a follow-up: the earlier assistant answers, folded, so the answer is not a repeat.
    already_shown: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    # unknown words replaced by a corpus word of their family ("canadian" -> "canada")
    word_forms: dict[str, str] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # token -> Zipf frequency in English of the question word it came from (wordfreq)
    english_zipf: dict[str, float] = field(default_factory=dict)
    # names the question uses that the corpus knows (see QueryRewriter.asked_names)
    names: tuple[AskedName, ...] = ()
    # the question as typed with its spelling and chat shorthand corrected (frame and all)
    corrected_question: str = ""

    def describe(self) -> str:
        """A one-line account of the query rewriting (empty when nothing was rewritten)."""
        parts = []
        if self.followup_of:
            parts.append(f"follow-up of: {self.followup_of}")
        if self.corrections:
            parts.append("spelling: " + ", ".join(f"{a}→{b}" for a, b in self.corrections.items()))
        if self.word_forms:
            parts.append("word forms: " + ", ".join(f"{a}→{b}" for a, b in self.word_forms.items()))
        if self.expansions:
            parts.append("acronyms: " + ", ".join(self.expansions))
        return "; ".join(parts)


class QueryRewriter:
    """Rewrites questions against one corpus (its vocabulary and acronym definitions).

    Args:
        vocabulary: folded corpus word -> number of passages containing it.
        acronyms: acronym -> long form, learnt from the corpus.
        initialisms: folded initials -> the capitalised phrase of the corpus they abbreviate,
            learnt from the corpus (``acronyms.learn_initialisms``).
    """

    def __init__(
        self,
        vocabulary: Counter[str],
        acronyms: dict[str, str],
        names: NameSettings = NAMES,
        initialisms: dict[str, str] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.spelling = Spelling(vocabulary, list(acronyms), names)
        # what the follow-up rules ask of this corpus (``answering.followups``)
        self.corpus_terms = CorpusTerms(
            names_of=self.known_names,
            knows=self.knows,
            is_rare=lambda word: not self.spelling.is_common_english(word),
        )
        self.acronyms = acronyms
        self.initialisms_of_phrases = initialisms or {}
        self._min_initials = names.initialism_min_letters
        self._defined = {fold(acronym) for acronym in acronyms}
        self._long_forms = {fold(long): acronym for acronym, long in acronyms.items()}
        # Lookups from a question's tokens to the acronyms they write, so that expand_acronyms
        # costs a few dictionary lookups per token instead of a pass over every acronym.
        self._acronym_order = {acronym: number for number, acronym in enumerate(acronyms)}
        self._acronyms_by_fold: dict[str, list[str]] = {}
        for acronym in acronyms:
            if len(acronym) >= NAMES.acronym_min_letters:
                self._acronyms_by_fold.setdefault(fold(acronym), []).append(acronym)

    def asked_names(self, question: str, replacements: dict[str, str]) -> tuple[AskedName, ...]:
        """The names in ``question`` (``names.asked_names``), with the acronym forms this corpus
        defines; ``replacements`` maps folded words to their corrected form."""
        return asked_names(question, replacements, self.spelling.stems, self.expand_acronyms)

    def knows(self, word: str) -> bool:
        """Whether the corpus uses the folded ``word``, as written, by its stem, misspelt or as
        another form of a corpus word ("canadian")."""
        spelling = self.spelling
        if word in self.vocabulary or stem(word) in spelling.stems:
            return True
        return bool(spelling.correct_word(word) or spelling.correct_acronym(word) or spelling.related_form(word))

    def known_names(self, text: str) -> list[str]:
        """The names of ``text`` that the corpus uses (see ``asked_names``)."""
        return [name.text for name in self.asked_names(text, {}) if name.in_corpus]

    def expand_acronyms(self, text: str) -> list[str]:
        """Long forms for acronyms in ``text`` and acronyms for long forms in it."""
        found = []
        folded_text = fold(text)
        tokens = set(re.findall(r"[A-Za-z][A-Za-z0-9&\-]*", text))
        # An acronym is written as itself, with a plural "s", or (3+ letters) in any case.
        written = {t for t in tokens if t in self.acronyms}
        written |= {t[:-1] for t in tokens if t.endswith("s") and t[:-1] in self.acronyms}
        written |= {a for t in tokens for a in self._acronyms_by_fold.get(fold(t), ())}
        # a plural in any case ("wmds"), unless it is an English word ("acts", "aids", "loss")
        written |= {
            a
            for t in tokens
            if t.endswith("s") and not self.spelling.is_common_english(fold(t))
            for a in self._acronyms_by_fold.get(fold(t[:-1]), ())
        }
        for acronym in sorted(written, key=self._acronym_order.__getitem__):
            long_form = self.acronyms[acronym]
            if fold(long_form) not in folded_text:
                found.append(long_form)
        for long_folded, acronym in self._long_forms.items():
            if long_folded in folded_text and acronym not in tokens:
                found.append(acronym)
        found.extend(a for a in self.initialisms(text) if a not in found and a not in tokens)
        found.extend(p for p in self.abbreviated_phrases(text) if p not in found and fold(p) not in folded_text)
        return found

    def abbreviated_phrases(self, text: str) -> list[str]:
        """The capitalised phrases of the corpus that the all-capitals words of ``text``
        abbreviate when the corpus neither writes nor defines them: "DOJ" or "DOJs" ->
        "Department of Justice" (``initialisms_of_phrases``)."""
        return list(dict.fromkeys(self.abbreviations(text).values()))

    def abbreviations(self, text: str) -> dict[str, str]:
        """The all-capitals words of ``text`` that abbreviate a capitalised phrase of the corpus
        (see ``abbreviated_phrases``), each with its phrase."""
        found: dict[str, str] = {}
        for word in dict.fromkeys(re.findall(r"[A-Za-z][A-Za-z0-9&\-]*", text)):
            bare = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
            folded = fold(bare)
            if (
                not (bare.isalpha() and bare.isupper())
                or len(bare) < self._min_initials
                or fold(word) in self.vocabulary
                or folded in self.vocabulary
                or folded in self._defined
            ):
                continue
            phrase = self.initialisms_of_phrases.get(folded)
            if phrase:
                found[word] = phrase
        return found

    def own_words(self, own_text: str, asks_acronym: bool) -> tuple[str, list[str]]:
        """The text searched for the user's own words and their tokens.

        An abbreviation the corpus never writes ("DOJ", ``abbreviations``) is read as its phrase
        ("Department of Justice"): no sentence holds the abbreviation, and every sentence naming
        what it names holds the phrase. A question asking what it stands for keeps it in its
        text, without its token: the phrase is the answer, searched among the expansions."""
        abbreviations = self.abbreviations(own_text)
        if not abbreviations:
            return own_text, query_tokens(own_text)
        if asks_acronym:
            unwritten = set(query_tokens(" ".join(abbreviations)))
            return own_text, [t for t in query_tokens(own_text) if t not in unwritten]
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, abbreviations)) + r")\b")
        read_text = pattern.sub(lambda match: abbreviations[match.group()], own_text)
        return read_text, query_tokens(read_text)

    def initialisms(self, text: str) -> list[str]:
        """Corpus words that abbreviate a capitalised phrase of ``text`` although the corpus
        never defines them: "Centres of Excellence" -> "COEs" when the corpus writes "COEs"."""
        found = []
        for phrase in CAPITALISED_PHRASE_RE.findall(text):
            for initials in dict.fromkeys(phrase_initials(phrase.split())):
                for candidate in (initials, initials + "s"):
                    if candidate in self.vocabulary and not self.spelling.is_common_english(candidate):
                        found.append(candidate.upper() if candidate == initials else initials.upper() + "s")
        return found

    def plan(self, question: str, history: list[dict[str, str]] | None = None) -> QueryPlan:
        """Build the ``QueryPlan`` of a cleaned question."""
        followup_of = followup_topic(question, history, self.corpus_terms) if history else ""
        # the earlier question is searched as the user meant it too ("departmnet", "info")
        followup_of = self.spelling.corrected(followup_of)[0] if followup_of else ""
        # "What does the article say about X?" searches X: the frame's words are no topic.
        own_text, corrections, word_forms = self.spelling.corrected(
            about_topic(question) or without_document_frame(without_return_frame(question))
        )
        expansions = self.expand_acronyms(own_text + " " + followup_of)
        answer_type = question_type(own_text)
        if followup_of and answer_type == "other" and is_bare_ellipsis(own_text):
            # "What about Canada?" after "How many task forces did the US create?" asks for a
            # number too; after "Who does the State Department partner with?" it asks for more
            # than a name, so only a count, date or amount is carried over.
            earlier = question_type(followup_of)
            answer_type = earlier if BY_NAME[earlier].inherited else answer_type
        # An expansion is the topic only when the question asks what an acronym means; otherwise
        # it would pull every sentence that defines a common acronym ("NATO") to the top.
        asks_acronym = answer_type == "acronym"
        read_text, own_tokens = self.own_words(own_text, asks_acronym)
        dense_parts = [read_text, " ".join(expansions) if asks_acronym else "", followup_of]
        english_zipf: dict[str, float] = {}
        for word in words(f"{read_text} {followup_of}"):
            for token in query_tokens(word):
                english_zipf[token] = max(english_zipf.get(token, 0.0), zipf_frequency(word, "en"))
        expansion_tokens = [t for t in query_tokens(" ".join(expansions)) if t not in own_tokens]
        topic_tokens = [t for t in query_tokens(without_document_frame(followup_of)) if t not in own_tokens]
        return QueryPlan(
            question=question,
            dense_text=" ".join(part for part in dense_parts if part),
            # the user's own words count twice, acronym expansions and the previous topic once
            sparse_tokens=own_tokens * 2 + expansion_tokens + topic_tokens,
            focus_tokens=own_tokens + (expansion_tokens if asks_acronym else []) + topic_tokens,
            own_tokens=own_tokens,
            answer_type=answer_type,
            followup_of=followup_of,
            already_shown=previous_answers(history) if followup_of else (),
            corrections=corrections,
            word_forms=word_forms,
            expansions=expansions,
            english_zipf=english_zipf,
            names=self.asked_names(question, {**corrections, **word_forms}),
            corrected_question=self.spelling.corrected(question)[0] if corrections else question,
        )
