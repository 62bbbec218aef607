"""Text normalisation and tokenisation shared by BM25, spelling correction and answer scoring.

``"NATO,"`` and ``"NATO"`` give the same token, so do ``"Türkiye"`` and ``"Turkiye"`` (accents
are folded), ``"U.S."`` and ``"US"`` (dotted initialisms are joined). A hyphenated word gives its
parts and the joined form (``"counter-terrorism"`` -> ``counter``, ``terrorism``,
``counterterrorism``), so either spelling matches. Tokens are Snowball-stemmed (PyStemmer), British
spellings first turned American (breame).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

from ctqa.config import NAMES

# Lucene's English stop words (the bm25s default) ...
DOCUMENT_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with"]
)
# ... plus the words that shape a question but carry no topic.
QUERY_STOPWORDS = DOCUMENT_STOPWORDS | frozenset(
    ["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much", "does", "do", "did", "doing", "done", "can", "could", "would", "should", "shall", "may", "might", "must", "has", "have", "had", "having", "were", "been", "being", "am", "i", "me", "my", "we", "our", "you", "your", "he", "she", "him", "her", "his", "its", "them", "those", "tell", "please", "about", "describe", "explain", "give", "list", "name", "some", "any", "anything", "something", "kind", "type", "sort", "s",
     # acronym questions ("what does EU stand for / mean?") and prepositions frame, not topic
     "stand", "stands", "mean", "means", "meaning", "from", "under", "over", "between", "within",
     "during", "through", "via", "per", "upon", "onto", "up", "out", "also"]
)

_DOTTED_INITIALISM_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_JOINER_RE = re.compile(r"[-']")


def fold(text: str) -> str:
    """Case-fold and strip accents: ``"Türkiye"`` -> ``"turkiye"``; curly quotes -> straight."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _DOTTED_INITIALISM_RE.sub(lambda m: m.group(0).replace(".", ""), text)
    if text.isascii():  # nothing to decompose or strip (most text)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    # only non-ASCII characters can be combining marks: look at those alone, not every character
    return _NON_ASCII_RE.sub(_drop_combining, decomposed).casefold()


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _drop_combining(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words, hyphenated words expanded to parts + joined form, possessive 's dropped."""
    result: list[str] = []
    for word in _WORD_RE.findall(fold(text)):
        if word.endswith("'s"):
            word = word[:-2]
        parts = _JOINER_RE.split(word) if "-" in word or "'" in word else [word]
        if len(parts) > 1:
            result.extend(part for part in parts if part)
            result.append("".join(parts))
        else:
            result.append(word)
    return result


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of ``word`` in its American spelling (breame), so "organisations" and
    "organizations", "centre" and "center", "labelled" and "labeled" give one token."""
    return str(_stemmer().stemWord(BRITISH_ENGLISH_SPELLINGS.get(word, word)))


def tokenize(text: str, *, stopwords: frozenset[str] = DOCUMENT_STOPWORDS) -> list[str]:
    """Stemmed tokens of ``text`` without ``stopwords`` (compared before stemming)."""
    return [stem(word) for word in words(text) if word not in stopwords]


def query_tokens(text: str) -> list[str]:
    """Tokens of a question: like ``tokenize`` but also without question words."""
    return tokenize(text, stopwords=QUERY_STOPWORDS)


# Two or more capitalised words, possibly joined by small words: "Centres of Excellence".
CAPITALISED_PHRASE_RE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|the|on|in|to)\s+)?[A-Z][a-z]+)+")


def phrase_words(phrase: str) -> list[str]:
    """The words of a capitalised phrase without the function words opening it, capitalised
    only because they open a sentence ("The Department of Justice", "In Canada")."""
    parts = phrase.split()
    while parts and fold(parts[0]) in QUERY_STOPWORDS:
        parts = parts[1:]
    return parts


def phrase_initials(words_of_phrase: list[str]) -> tuple[str, str]:
    """Folded initials of a phrase: of every word, and of its capitalised words only
    ("Centres of Excellence" -> "coe", "ce")."""
    every = "".join(word[0] for word in words_of_phrase).casefold()
    capitals = "".join(word[0] for word in words_of_phrase if word[0].isupper()).casefold()
    return every, capitals


def initialisms(tokens: list[str], longest: int = NAMES.acronym_max_letters) -> set[str]:
    """First letters of every run of 2 to ``longest`` consecutive ``tokens``: what an acronym of
    the text could be ("frequent ask question" -> "faq", among others)."""
    found = set()
    for start in range(len(tokens)):
        letters = ""
        for token in tokens[start : start + longest]:
            letters += token[:1]
            if len(letters) >= 2:
                found.add(letters)
    return found


_REFERENCE_START_RE = re.compile(
    r"^(?:this|these|that|those|they|their|it|its|he|she|his|her|such|both|the two|"
    r"for example|for instance|in particular|including)\b",
    re.IGNORECASE,
)


def opens_with_reference(sentence: str) -> bool:
    """Whether a sentence leans on the one before ("This includes ...", "They ...")."""
    return bool(_REFERENCE_START_RE.match(sentence.lstrip()))


# What code, queries and markup use and prose does not: statement ends, operators, braces,
# identifiers joined by underscores; and words in capitals (SQL's keywords, or acronyms).
_CODE_MARK_RE = re.compile(r"[;{}=<>*|`\\]|\b[A-Za-z]\w*_\w+")
_CAPITALS_RE = re.compile(r"\b[A-Z]{2,}\b")
_ANY_WORD_RE = re.compile(r"\w+")


def looks_like_code(sentence: str, min_marks: int, min_share: float) -> bool:
    """True when ``sentence`` is code rather than prose ("DROP TABLE users; CREATE TABLE …"): it
    holds at least ``min_marks`` code marks (``;``, ``=``, ``*``, ``{``, ``snake_case`` …), and code
    marks and words in capitals are at least ``min_share`` of its words."""
    marks = len(_CODE_MARK_RE.findall(sentence))
    if marks < min_marks:
        return False
    words_in = max(len(_ANY_WORD_RE.findall(sentence)), 1)
    return (marks + len(_CAPITALS_RE.findall(sentence))) / words_in >= min_share
