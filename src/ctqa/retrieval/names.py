"""Names and spelling: how the words of a question are matched to the words of the corpus.

* **Spelling** (``Spelling``) — a word that is neither in the corpus vocabulary nor a common
  English word (wordfreq) is replaced by the closest corpus word (Levenshtein distance 1 for
  words of 4–6 letters, 2 for longer ones; rapidfuzz; one edit more when the two sound alike by
  Metaphone, jellyfish). Hyphenated words are corrected part by part; a misspelt question word
  opening the question ("wat", "wich") is read as that question word; a corpus acronym typed
  with two neighbouring letters swapped ("WDM") is read as the acronym ("WMD"); an unknown word
  is joined to a corpus word of its family ("canadian" -> "canada"); chat shorthand is read as
  its word ("dept" -> "department", ``INFORMAL_WORDS``).
* **Names** (``asked_names``) — the runs of capitalised words a question uses ("Canada",
  "Centre of Excellence for Defence Against Terrorism", "NATO"), each with the forms a passage
  may write it in (``AskedName.found_in``: a word of its family, its initials, its acronym).

The thresholds are ``NameSettings`` (``ctqa.config``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein
from wordfreq import zipf_frequency

from ctqa.answering.answer_types import QUESTION_WORDS
from ctqa.answering.countries import capitalised_countries
from ctqa.config import NAMES, NameSettings
from ctqa.retrieval.text import DOCUMENT_STOPWORDS, QUERY_STOPWORDS, fold, phrase_initials, stem, tokenize, words


def same_family(a: str, b: str, prefix: int = NAMES.family_prefix) -> bool:
    """Whether two words are forms of one word: a shared beginning of at least ``prefix`` letters
    that leaves at most ``NameSettings.family_tail`` letters of either ("asian"/"asia",
    "english"/"england")."""
    shared = len(os.path.commonprefix([a, b]))
    return shared >= prefix and shared >= max(len(a), len(b)) - NAMES.family_tail


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


# -- spelling ----------------------------------------------------------------------------------------

# The words that shape a question, by their letters in order (``Spelling.correct_function_word``:
# a word with two letters swapped has the same letters).
def _by_letters(words_of_table: Iterable[str]) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for word in sorted(words_of_table):
        table.setdefault("".join(sorted(word)), []).append(word)
    return {letters: tuple(anagrams) for letters, anagrams in table.items()}


_FUNCTION_WORDS_BY_LETTERS = _by_letters(QUERY_STOPWORDS)

# Shorthand people type in a chat, read as the word it stands for when the corpus does not use
# the shorthand itself ("ppl" -> "people", "dept" -> "department"). Only shorthand with one
# reading: "us" (the US or the pronoun) and "doc" are left alone. Spelling correction cannot
# find these: they are too short or too far from their word, and many are common in English.
INFORMAL_WORDS: dict[str, str] = {
    "abt": "about",
    "admin": "administration",
    "approx": "approximately",
    "bc": "because",
    "cuz": "because",
    "dept": "department",
    "depts": "departments",
    "govt": "government",
    "govts": "governments",
    "gov": "government",
    "hq": "headquarters",
    "info": "information",
    "intel": "intelligence",
    "intl": "international",
    "mgmt": "management",
    "natl": "national",
    "org": "organisation",
    "orgs": "organisations",
    "ppl": "people",
    "thx": "thanks",
    "ur": "your",
    "yr": "year",
    "yrs": "years",
    # a question word run into its verb: "whats the name …" asks "what is the name …"
    "whats": "what is",
    "whos": "who is",
    "wheres": "where is",
    "hows": "how is",
}


class Spelling:
    """Corrects the words of a question against one corpus vocabulary.

    Args:
        vocabulary: folded corpus word -> number of passages containing it.
        acronyms: the acronyms the corpus defines (for ``correct_acronym``).
        settings: the thresholds (``NameSettings``).
    """

    def __init__(self, vocabulary: Counter[str], acronyms: list[str], settings: NameSettings = NAMES) -> None:
        self.vocabulary = vocabulary
        self.settings = settings
        self._choices = [word for word in vocabulary if len(word) >= settings.choice_min_letters and not word.isdigit()]
        self.stems = {stem(word) for word in vocabulary}
        self._by_prefix: dict[str, list[str]] = {}
        for word in self._choices:
            if len(word) >= settings.form_prefix and word.isalpha():
                self._by_prefix.setdefault(word[: settings.form_prefix], []).append(word)
        self._folded_acronyms = sorted({fold(acronym) for acronym in acronyms})

    def is_common_english(self, word: str) -> bool:
        """Whether ``word`` is common enough in English to be spelt on purpose."""
        return zipf_frequency(word, "en") >= self.settings.common_word_zipf

    def correct_word(self, word: str) -> str | None:
        """The closest corpus word to an unknown ``word``, or ``None``."""
        if len(word) < self.settings.correct_min_letters or word.isdigit() or word in self.vocabulary or word in QUERY_STOPWORDS:
            return None
        if self.is_common_english(word):
            return None
        limit = 1 if len(word) <= self.settings.one_edit_max_letters else 2
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
        shortest, longest = self.settings.acronym_min_letters, self.settings.acronym_max_letters
        if not shortest <= len(word) <= longest or word in self.vocabulary or self.is_common_english(word):
            return None
        for acronym in self._folded_acronyms:
            if len(acronym) == len(word) and acronym != word and OSA.distance(word, acronym) == 1:
                return acronym
        return None

    def related_form(self, word: str) -> str | None:
        """A corpus word of the same family as an unknown ``word``: "canadian" -> "canada",
        "diplomats" -> "diplomacy" (a shared prefix of at least ``form_prefix`` letters that
        leaves at most ``family_tail`` letters of either word), or ``None``. Stemming cannot
        join these; the corpus decides."""
        prefix = self.settings.form_prefix
        if len(word) < prefix + 1 or not word.isalpha() or stem(word) in self.stems:
            return None  # stemming already joins "operate" and "operating"
        best: tuple[int, int, str] | None = None
        for candidate in self._by_prefix.get(word[:prefix], []):
            if same_family(word, candidate, prefix):
                shared = len(os.path.commonprefix([word, candidate]))
                key = (shared, self.vocabulary[candidate], candidate)
                best = max(best, key) if best else key
        return best[2] if best else None

    def correct_function_word(self, word: str) -> str | None:
        """A function word typed with two neighbouring letters swapped ("wiht" -> "with", "teh"
        -> "the"), or ``None``: too short or too common for ``correct_word``, and a slip that
        would otherwise count as a word the corpus lacks."""
        if len(word) < 3 or word in self.vocabulary:
            return None
        anagrams = _FUNCTION_WORDS_BY_LETTERS.get("".join(sorted(word)), ())
        frequency = zipf_frequency(word, "en")
        return next(
            (
                function_word
                for function_word in anagrams
                if OSA.distance(word, function_word) == 1
                and (
                    frequency < self.settings.common_word_zipf
                    or zipf_frequency(function_word, "en") - frequency >= self.settings.function_word_zipf_gap
                )
            ),
            None,
        )

    def split_compound(self, word: str) -> str | None:
        """Two corpus words, both common in English, that an unknown ``word`` rare in English
        runs together ("taskforces" -> "task forces"), the split whose rarer part the corpus uses
        most; ``None`` when there is none."""
        shortest = self.settings.compound_part_min_letters
        if (
            len(word) < 2 * shortest
            or word in self.vocabulary
            or not word.isalpha()
            or zipf_frequency(word, "en") >= self.settings.compound_max_zipf
        ):
            return None
        splits = [
            (min(self.vocabulary[word[:cut]], self.vocabulary[word[cut:]]), word[:cut], word[cut:])
            for cut in range(shortest, len(word) - shortest + 1)
            if word[:cut] in self.vocabulary and word[cut:] in self.vocabulary
            and word[:cut] not in QUERY_STOPWORDS and word[cut:] not in QUERY_STOPWORDS
            # both everyday words: "coatomer" is no "coat mer", "supracellular" no "supra cellular"
            and min(zipf_frequency(word[:cut], "en"), zipf_frequency(word[cut:], "en")) >= self.settings.compound_part_min_zipf
        ]
        if not splits:
            return None
        _, left, right = max(splits)
        return f"{left} {right}"

    def correct_question_word(self, word: str) -> str | None:
        """A misspelt question word opening a question ("wat", "wich", "hwo") -> the word."""
        if word in QUERY_STOPWORDS or word in self.vocabulary or not word.isalpha():
            return None
        for question_word in QUESTION_WORDS:
            if OSA.distance(word, question_word, score_cutoff=1) <= 1:
                return question_word
        return None

    def _fixed_parts(self, parts: list[str], opening: bool, lowercase: bool = True) -> list[str | None]:
        """The correction of each part of one hyphenated word (``None``: left as it is); a word
        not typed in lowercase (a name: "Boleslaw") is not split into two words."""
        question_word = None
        if opening and len(parts) == 1:
            question_word = self.informal_word(parts[0]) or self.correct_question_word(parts[0])
        if question_word:
            return [question_word]
        return [
            (
                self.informal_word(p)
                or (self.split_compound(p) if lowercase else None)
                or self.correct_word(p)
                or self.correct_acronym(p)
                or self.correct_function_word(p)
            )
            if p.isalpha()
            else None
            for p in parts
        ]

    def informal_word(self, word: str) -> str | None:
        """The word a chat shorthand stands for (``INFORMAL_WORDS``), unless the corpus uses the
        shorthand itself."""
        return None if word in self.vocabulary else INFORMAL_WORDS.get(word)

    def corrected(self, question: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """The question with misspelt words corrected and unknown words replaced by a corpus
        word of their family, with the corrections and the word forms used."""
        corrections: dict[str, str] = {}
        word_forms: dict[str, str] = {}
        corrected_words = []
        for position, word in enumerate(re.findall(r"\S+", question)):
            bare = fold(word).strip(".,;:!?\"'()[]")
            # A possessive is left as written ("Celeron's" names someone the corpus may spell
            # otherwise on purpose), except chat shorthand ("dept's" -> "department's").
            possessive = next((end for end in ("'s", "’s") if bare.endswith(end) and len(bare) > 2), "")
            parts = bare.removesuffix(possessive).split("-")
            if possessive:
                fixed_parts = [self.informal_word(part) for part in parts]
            else:
                fixed_parts = self._fixed_parts(parts, opening=position == 0, lowercase=word.islower())
            for number, part in enumerate(parts):
                form = None if fixed_parts[number] or possessive or not part.isalpha() else self.related_form(part)
                if form:
                    fixed_parts[number] = form
                    word_forms[part] = form
            if not any(fixed_parts):
                corrected_words.append(word)
                continue
            for part, fixed in zip(parts, fixed_parts, strict=False):
                if fixed and part not in word_forms:
                    corrections[part] = fixed
            corrected_words.append("-".join(f or p for p, f in zip(parts, fixed_parts, strict=False)) + possessive)
        return " ".join(corrected_words), corrections, word_forms


# -- names -------------------------------------------------------------------------------------------

# A run of capitalised words, "of"/"for"/"the"/"on" allowed inside ("Centre of Excellence for
# Defence Against Terrorism"); "and" ends it, as it joins two names.
# A possessive ends a name ("Temur Khan's Chinese-style name").
_NAME_RE = re.compile(r"[A-Z][\w]*(?:'s\b|(?:\s+(?:(?:of|for|the|on)\s+)*[A-Z]\w*)*(?:'s\b)?)")
_DOTTED_INITIALISM_RE = re.compile(r"\b(?:[A-Z]\.){2,}")
_NUMBER_AFTER_RE = re.compile(r"\s+\d")
_NAME_JOINERS = frozenset(["of", "for", "the", "on"])


def _plain(question: str) -> str:
    """``question`` without combining marks ("Z̸a̷l̵g̶o̸") and invisible format characters, which
    would split a name, with dotted initialisms closed up ("U.S." -> "US") and hyphens as spaces."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKC", question) if unicodedata.category(ch) not in ("Mn", "Cf")
    )
    return _DOTTED_INITIALISM_RE.sub(lambda m: m.group(0).replace(".", ""), plain).replace("-", " ")


def _name_words(text: str, match: re.Match[str]) -> list[str]:
    """The words of one capitalised run that make a name ([] when it is none)."""
    parts = match.group(0).split()
    if len(parts) == 1 and _NUMBER_AFTER_RE.match(text, match.end()):
        return []  # "Article 5", "Resolution 2396": a numbered item, which a text may call otherwise
    opening = parts[0].removesuffix("'s")
    if match.start() == 0 and not (opening.isupper() and len(opening) > 1):
        # any other first word is capitalised only because it opens the sentence
        parts = parts[1:]
        while parts and parts[0] in _NAME_JOINERS:
            parts = parts[1:]
    if not parts or parts[0].casefold() in QUESTION_WORDS:
        return []
    if len(parts) == 1 and len(parts[0]) < 3 and not parts[0].isupper():
        return []  # "Jr", "Mr": abbreviations of titles, not names
    if parts == ["I"]:
        return []  # the pronoun
    return parts


def asked_names(
    question: str,
    replacements: dict[str, str],
    corpus_stems: set[str],
    other_forms_of: Callable[[str], list[str]],
) -> tuple[AskedName, ...]:
    """The names in ``question``: runs of capitalised words, and an all-capitals first word
    ("NATO's …"). ``replacements`` maps folded words to their corrected form ("canadian" ->
    "canada"); ``corpus_stems`` are the stems of the corpus vocabulary; ``other_forms_of`` gives
    the acronym or long forms of a name. A name the corpus never uses ("Mexico" in an article on
    the US and Canada) is kept: no passage mentions it, so nothing in the corpus answers a
    question about it."""
    names = []
    text = capitalised_countries(_plain(question))
    for match in _NAME_RE.finditer(text):
        parts = _name_words(text, match)
        if not parts:
            continue
        tokens = tuple(
            token
            for word in words(" ".join(parts))
            for token in tokenize(replacements.get(word, word), stopwords=DOCUMENT_STOPWORDS)
        )
        initials = tuple(sorted({i for i in phrase_initials(parts) if len(i) >= 2})) if len(parts) >= 2 else ()
        name = " ".join(parts)
        other_forms = tuple(tuple(tokenize(form)) for form in other_forms_of(name))
        in_corpus = any(token in corpus_stems for token in tokens) or bool(other_forms)
        names.append(AskedName(name, tokens, initials, other_forms, in_corpus))
    # a name written twice is asked about once
    return tuple({name.text: name for name in names}.values())
