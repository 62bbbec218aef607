"""From a user's question (and chat history) to the query the retrievers run.

Three rewrites, each recorded in the ``QueryPlan`` so the user can see what was searched:

* **Follow-ups** — a question that leans on the conversation (a pronoun such as "it"/"they",
  an elliptical "what about Canada?", or too few words of its own) gets the content words of
  the previous user turn appended. A question that stands alone is left untouched.
* **Acronyms** — both ways, from definitions learnt in the corpus: "WMD" adds "weapons of mass
  destruction", and "weapons of mass destruction" adds "WMD".
* **Spelling** — a word that is neither in the corpus vocabulary nor a common English word
  (wordfreq) is replaced by the closest corpus word (Levenshtein distance 1 for words of 4–6
  letters, 2 for longer ones; rapidfuzz; one edit more when the two sound alike by Metaphone,
  jellyfish). Hyphenated words are corrected part by part; a misspelt question word opening the
  question ("wat", "wich") is read as that question word; a corpus acronym typed with two
  neighbouring letters swapped ("WDM") is read as the acronym ("WMD").
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein
from wordfreq import zipf_frequency

from ctqa.answering.answer_types import BY_NAME, QUESTION_WORDS, QuestionType, question_type
from ctqa.answering.followups import (
    BARE_ELLIPSIS_RE,
    earlier_user_text,
    leans_on_history,
    previous_answers,
    previous_topic,
)
from ctqa.answering.readings import about_topic
from ctqa.retrieval.text import DOCUMENT_STOPWORDS, QUERY_STOPWORDS, fold, query_tokens, stem, tokenize, words

# Words of one family share at least this many first letters (see QueryRewriter.related_form).
FORM_PREFIX = 5
# Names are matched more loosely (demonyms: "Asian", "Western"): this many first letters.
FAMILY_PREFIX = 4
# A word at least this common in English (Zipf scale: 3 = once per million words) is spelt on
# purpose even when the corpus lacks it ("took", "cause"), so it is never "corrected".
COMMON_WORD_ZIPF = 3.0
# C0/C1 control characters and lone UTF-16 surrogates (from bad JSON or a broken paste): the
# tokenizer cannot encode a surrogate, so each becomes a space.
# Two or more capitalised words, possibly joined by small words: "Centres of Excellence".
_CAPITALISED_PHRASE_RE = re.compile(
    r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|the|on|in|to)\s+)?[A-Z][a-z]+)+"
)
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
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

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
    if not text:
        raise ValueError("the question holds only markup (HTML tags); type a question about the documents")
    notes = []
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars]
        notes.append(f"The question was longer than {max_chars} characters and was truncated.")
    return text, notes


@dataclass(frozen=True)
class AskedName:
    """A name the question uses ("Canada", "Proliferation Security Initiative", "NATO").

    ``tokens`` are its corpus tokens (after spelling correction); ``initials`` the folded
    initialisms it may be written as in the corpus ("United States" -> "us", "Centres of
    Excellence" -> "ce", "coe"); ``other_forms`` the tokens of its acronym or long form as the
    corpus defines them ("WMDs" -> weapons of mass destruction).
    """

    text: str
    tokens: tuple[str, ...]
    initials: tuple[str, ...] = ()
    other_forms: tuple[tuple[str, ...], ...] = ()
    # whether any passage of the corpus uses one of its words
    in_corpus: bool = True

    def found_in(self, tokens: set[str], initialisms: set[str] | frozenset[str] = frozenset()) -> bool:
        """Whether a passage with these tokens mentions the name: its last word and at least
        half of its words ("Sullivan" for "Raymond Sullivan"), each as written or as a word of
        its family ("Asian" / "Asia", "English" / "England"), or its initials ("US"). An acronym
        is also found as the ``initialisms`` of the passage's word runs ("FAQ" in "Frequently
        Asked Questions", see ``text.initialisms``)."""
        if any(initials in tokens or initials + "s" in tokens for initials in self.initials):
            return True
        if self.text.isupper() and len(self.text) > 1 and fold(self.text) in initialisms:
            return True
        if any(form and all(t in tokens for t in form) for form in self.other_forms):
            return True
        found = [t in tokens or any(same_family(t, u) for u in tokens) for t in self.tokens]
        return bool(found) and found[-1] and 2 * sum(found) >= len(found)


def same_family(a: str, b: str, prefix: int = FAMILY_PREFIX) -> bool:
    """Whether two words are forms of one word: a shared beginning of at least ``prefix`` letters
    that leaves at most 3 letters of either ("asian"/"asia", "english"/"england")."""
    shared = len(os.path.commonprefix([a, b]))
    return shared >= prefix and shared >= max(len(a), len(b)) - 3


def phrase_initials(words_of_phrase: list[str]) -> tuple[str, str]:
    """Folded initials of a phrase: of every word, and of its capitalised words only
    ("Centres of Excellence" -> "coe", "ce")."""
    every = "".join(word[0] for word in words_of_phrase).casefold()
    capitals = "".join(word[0] for word in words_of_phrase if word[0].isupper()).casefold()
    return every, capitals


# A run of capitalised words, "of"/"for"/"the"/"on" allowed inside ("Centre of Excellence for
# Defence Against Terrorism"); "and" ends it, as it joins two names.
# A possessive ends a name ("Temur Khan's Chinese-style name").
_NAME_RE = re.compile(r"[A-Z][\w]*(?:'s\b|(?:\s+(?:(?:of|for|the|on)\s+)*[A-Z]\w*)*(?:'s\b)?)")
_DOTTED_INITIALISM_RE = re.compile(r"\b(?:[A-Z]\.){2,}")
_NUMBER_AFTER_RE = re.compile(r"\s+\d")
_NAME_JOINERS = frozenset(["of", "for", "the", "on"])


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
    """

    def __init__(self, vocabulary: Counter[str], acronyms: dict[str, str]) -> None:
        self.vocabulary = vocabulary
        self._choices = [word for word in vocabulary if len(word) >= 3 and not word.isdigit()]
        self._stems = {stem(word) for word in vocabulary}
        self._by_prefix: dict[str, list[str]] = {}
        for word in self._choices:
            if len(word) >= FORM_PREFIX and word.isalpha():
                self._by_prefix.setdefault(word[:FORM_PREFIX], []).append(word)
        self.acronyms = acronyms
        self._long_forms = {fold(long): acronym for acronym, long in acronyms.items()}
        # Lookups from a question's tokens to the acronyms they write, so that expand_acronyms
        # costs a few dictionary lookups per token instead of a pass over every acronym.
        self._acronym_order = {acronym: number for number, acronym in enumerate(acronyms)}
        self._acronyms_by_fold: dict[str, list[str]] = {}
        for acronym in acronyms:
            if len(acronym) >= 3:
                self._acronyms_by_fold.setdefault(fold(acronym), []).append(acronym)
        self._folded_acronyms = sorted({fold(acronym) for acronym in acronyms})

    def correct_word(self, word: str) -> str | None:
        """The closest corpus word to an unknown ``word``, or ``None``."""
        if len(word) < 4 or word.isdigit() or word in self.vocabulary or word in QUERY_STOPWORDS:
            return None
        if zipf_frequency(word, "en") >= COMMON_WORD_ZIPF:
            return None
        limit = 1 if len(word) <= 6 else 2
        matches = process.extract(
            word, self._choices, scorer=Levenshtein.distance, score_cutoff=limit + 1, limit=16
        )
        # One more edit is allowed for a word that sounds the same (Metaphone): "lora" -> "laura"
        # but not -> "local", which is as many edits away.
        sound = jellyfish.metaphone(word)
        matches = [m for m in matches if m[1] <= limit or jellyfish.metaphone(m[0]) == sound]
        if not matches:
            return None
        best_distance = min(distance for _, distance, _ in matches)
        closest = [choice for choice, distance, _ in matches if distance == best_distance]
        return max(closest, key=lambda choice: (self.vocabulary[choice], choice))

    def correct_acronym(self, word: str) -> str | None:
        """A corpus acronym that an unknown ``word`` spells with two neighbouring letters swapped
        ("wdm" -> "wmd", "ntao" -> "nato"), or ``None``. Acronyms are too short for
        ``correct_word``, and a swap is the usual slip when typing one."""
        if not 3 <= len(word) <= 6 or word in self.vocabulary or zipf_frequency(word, "en") >= COMMON_WORD_ZIPF:
            return None
        for acronym in self._folded_acronyms:
            if len(acronym) == len(word) and acronym != word and OSA.distance(word, acronym) == 1:
                return acronym
        return None

    def related_form(self, word: str) -> str | None:
        """A corpus word of the same family as an unknown ``word``: "canadian" -> "canada",
        "diplomats" -> "diplomacy" (a shared prefix of at least 5 letters that leaves at most 3
        letters of either word), or ``None``. Stemming cannot join these; the corpus decides."""
        if len(word) < FORM_PREFIX + 1 or not word.isalpha() or stem(word) in self._stems:
            return None  # stemming already joins "operate" and "operating"
        best: tuple[int, int, str] | None = None
        for candidate in self._by_prefix.get(word[:FORM_PREFIX], []):
            if same_family(word, candidate, FORM_PREFIX):
                shared = len(os.path.commonprefix([word, candidate]))
                key = (shared, self.vocabulary[candidate], candidate)
                best = max(best, key) if best else key
        return best[2] if best else None

    def asked_names(self, question: str, replacements: dict[str, str]) -> tuple[AskedName, ...]:
        """The names in ``question``: runs of capitalised words, and an all-capitals first word
        ("NATO's …"); any other first word is capitalised only because it opens the sentence.
        ``replacements`` maps folded words to their corrected form ("canadian" -> "canada").
        A name the corpus never uses ("Mexico" in an article on the US and Canada) is kept: no
        passage mentions it, so nothing in the corpus answers a question about it."""
        names = []
        # combining marks ("Z̸a̷l̵g̶o̸") and invisible format characters would split a name
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKC", question) if unicodedata.category(ch) not in ("Mn", "Cf")
        )
        text = _DOTTED_INITIALISM_RE.sub(lambda m: m.group(0).replace(".", ""), plain).replace("-", " ")
        for match in _NAME_RE.finditer(text):
            parts = match.group(0).split()
            if len(parts) == 1 and _NUMBER_AFTER_RE.match(text, match.end()):
                continue  # "Article 5", "Resolution 2396": a numbered item, which a text may call otherwise
            opening = parts[0].removesuffix("'s")
            if match.start() == 0 and not (opening.isupper() and len(opening) > 1):
                parts = parts[1:]
                while parts and parts[0] in _NAME_JOINERS:
                    parts = parts[1:]
            if not parts or parts[0].casefold() in QUESTION_WORDS:
                continue
            if len(parts) == 1 and len(parts[0]) < 3 and not parts[0].isupper():
                continue  # "Jr", "Mr": abbreviations of titles, not names
            tokens = tuple(
                token
                for word in words(" ".join(parts))
                for token in tokenize(replacements.get(word, word), stopwords=DOCUMENT_STOPWORDS)
            )
            initials = tuple(sorted({i for i in phrase_initials(parts) if len(i) >= 2})) if len(parts) >= 2 else ()
            name = " ".join(parts)
            other_forms = tuple(tuple(tokenize(form)) for form in self.expand_acronyms(name))
            in_corpus = any(token in self._stems for token in tokens) or bool(other_forms)
            names.append(AskedName(name, tokens, initials, other_forms, in_corpus))
        return tuple(names)

    def known_names(self, text: str) -> list[str]:
        """The names of ``text`` that the corpus uses (see ``asked_names``)."""
        return [name.text for name in self.asked_names(text, {}) if name.in_corpus]

    def correct_question_word(self, word: str) -> str | None:
        """A misspelt question word opening a question ("wat", "wich", "hwo") -> the word."""
        if word in QUERY_STOPWORDS or word in self.vocabulary or not word.isalpha():
            return None
        for question_word in QUESTION_WORDS:
            if OSA.distance(word, question_word, score_cutoff=1) <= 1:
                return question_word
        return None

    def expand_acronyms(self, text: str) -> list[str]:
        """Long forms for acronyms in ``text`` and acronyms for long forms in it."""
        found = []
        folded_text = fold(text)
        tokens = set(re.findall(r"[A-Za-z][A-Za-z0-9&\-]*", text))
        # An acronym is written as itself, with a plural "s", or (3+ letters) in any case.
        written = {t for t in tokens if t in self.acronyms}
        written |= {t[:-1] for t in tokens if t.endswith("s") and t[:-1] in self.acronyms}
        written |= {a for t in tokens for a in self._acronyms_by_fold.get(fold(t), ())}
        for acronym in sorted(written, key=self._acronym_order.__getitem__):
            long_form = self.acronyms[acronym]
            if fold(long_form) not in folded_text:
                found.append(long_form)
        for long_folded, acronym in self._long_forms.items():
            if long_folded in folded_text and acronym not in tokens:
                found.append(acronym)
        found.extend(a for a in self.initialisms(text) if a not in found and a not in tokens)
        return found

    def initialisms(self, text: str) -> list[str]:
        """Corpus words that abbreviate a capitalised phrase of ``text`` although the corpus
        never defines them: "Centres of Excellence" -> "COEs" when the corpus writes "COEs"."""
        found = []
        for phrase in _CAPITALISED_PHRASE_RE.findall(text):
            for initials in dict.fromkeys(phrase_initials(phrase.split())):
                for candidate in (initials, initials + "s"):
                    if candidate in self.vocabulary and zipf_frequency(candidate, "en") < COMMON_WORD_ZIPF:
                        found.append(candidate.upper() if candidate == initials else initials.upper() + "s")
        return found

    def corrected(self, question: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """The question with misspelt words corrected and unknown words replaced by a corpus
        word of their family, with the corrections and the word forms used."""
        corrections: dict[str, str] = {}
        word_forms: dict[str, str] = {}
        corrected_words = []
        for position, word in enumerate(re.findall(r"\S+", question)):
            parts = fold(word).strip(".,;:!?\"'()[]").split("-")
            opening = self.correct_question_word(parts[0]) if position == 0 and len(parts) == 1 else None
            fixed_parts = (
                [opening]
                if opening
                else [(self.correct_word(p) or self.correct_acronym(p)) if p.isalpha() else None for p in parts]
            )
            for number, part in enumerate(parts):
                form = None if fixed_parts[number] or not part.isalpha() else self.related_form(part)
                if form:
                    fixed_parts[number] = form
                    word_forms[part] = form
            if any(fixed_parts):
                for part, fixed in zip(parts, fixed_parts, strict=False):
                    if fixed and part not in word_forms:
                        corrections[part] = fixed
                corrected_words.append("-".join(f or p for p, f in zip(parts, fixed_parts, strict=False)))
            else:
                corrected_words.append(word)
        return " ".join(corrected_words), corrections, word_forms

    def plan(self, question: str, history: list[dict[str, str]] | None = None) -> QueryPlan:
        """Build the ``QueryPlan`` of a cleaned question."""
        followup_of = ""
        if history and leans_on_history(question, earlier_user_text(history), self.known_names):
            followup_of = previous_topic(history, self.known_names)
        # "What does the article say about X?" searches X: the frame's words are no topic.
        own_text, corrections, word_forms = self.corrected(about_topic(question) or question)
        expansions = self.expand_acronyms(own_text + " " + followup_of)
        answer_type = question_type(own_text)
        if followup_of and answer_type == "other" and BARE_ELLIPSIS_RE.match(own_text):
            # "What about Canada?" after "How many task forces did the US create?" asks for a
            # number too; after "Who does the State Department partner with?" it asks for more
            # than a name, so only a count, date or amount is carried over.
            earlier = question_type(followup_of)
            answer_type = earlier if BY_NAME[earlier].inherited else answer_type
        # An expansion is the topic only when the question asks what an acronym means; otherwise
        # it would pull every sentence that defines a common acronym ("NATO") to the top.
        asks_acronym = answer_type == "acronym"
        dense_parts = [own_text, " ".join(expansions) if asks_acronym else "", followup_of]
        own_tokens = query_tokens(own_text)
        english_zipf: dict[str, float] = {}
        for word in words(f"{own_text} {followup_of}"):
            for token in query_tokens(word):
                english_zipf[token] = max(english_zipf.get(token, 0.0), zipf_frequency(word, "en"))
        expansion_tokens = [t for t in query_tokens(" ".join(expansions)) if t not in own_tokens]
        topic_tokens = [t for t in query_tokens(followup_of) if t not in own_tokens]
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
        )
