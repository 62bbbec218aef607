"""Learn acronym definitions ("long form (ACRONYM)") from the corpus.

Uses the Schwartz & Hearst (2003) algorithm: the acronym's letters must appear, in order and
from the end, in the words before the parenthesis, the first letter starting a word. So
"Centre of Excellence for Defence Against Terrorism (COE-DAT)" and "weapons of mass destruction
(WMDs)" are learnt, while "collective defence clause (Article 5)" is not.

The initials of the corpus's capitalised phrases (``learn_initialisms``) are learnt too: a
question may write "DOJ" where the corpus only writes "Department of Justice".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ctqa.config import NAMES
from ctqa.retrieval.text import CAPITALISED_PHRASE_RE, fold, phrase_initials, phrase_words, tokenize

_PAREN_RE = re.compile(r"\(([A-Z][A-Za-z0-9&\-]{1,11})\)")
_WORD_RE = re.compile(r"\S+")


def _normalise_acronym(acronym: str) -> str:
    """"WMDs" -> "WMD" (a plural s after capitals is not a letter of the long form)."""
    if len(acronym) > 2 and acronym.endswith("s") and acronym[:-1].isupper():
        return acronym[:-1]
    return acronym


def _is_acronym(candidate: str) -> bool:
    letters = [ch for ch in candidate if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) >= max(2, len(letters) - 1)


def schwartz_hearst_long_form(acronym: str, preceding: str) -> str | None:
    """The long form of ``acronym`` at the end of ``preceding`` text, or ``None``."""
    short = [ch.lower() for ch in acronym if ch.isalnum()]
    words = _WORD_RE.findall(preceding)
    window = " ".join(words[-min(len(short) + 5, len(short) * 2) :])
    long_form = window.lower()
    s_index, l_index = len(short) - 1, len(long_form) - 1
    while s_index >= 0:
        char = short[s_index]
        while l_index >= 0 and (
            long_form[l_index] != char
            or (s_index == 0 and l_index > 0 and long_form[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = window.rfind(" ", 0, l_index + 1) + 1
    result = window[start:].strip(" ,;:-")
    if not result or len(result.split()) > len(short) + 5:
        return None
    return result


def learn_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronym -> long form, from every "long form (ACRONYM)" in ``texts`` (first one wins)."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _PAREN_RE.finditer(text):
            raw = match.group(1)
            if not _is_acronym(raw):
                continue
            acronym = _normalise_acronym(raw)
            long_form = schwartz_hearst_long_form(acronym, text[: match.start()])
            if long_form and acronym not in found:
                found[acronym] = long_form
    return found


def learn_initialisms(
    texts: Iterable[str],
    acronyms: dict[str, str],
    vocabulary: Iterable[str],
    min_letters: int = NAMES.initialism_min_letters,
) -> dict[str, str]:
    """Folded initials -> the capitalised phrase of ``texts`` they abbreviate, for phrases of
    two or more words ("doj" -> "Department of Justice"; initials of every word and of the
    capitalised words, ``text.phrase_initials``).

    Initials are left out when they have fewer than ``min_letters`` letters, when they
    abbreviate two different phrases (compared by their tokens, so "Task Force" and "Task
    Forces" are one), when the corpus writes them as a word (``vocabulary``: folded words) or
    when they are an acronym the corpus defines (``acronyms``). The long form of a defined
    acronym is left to that acronym ("Department of Homeland Security" is "DHS", not "DOHS").
    """
    corpus_words = set(vocabulary)
    defined = {fold(acronym) for acronym in acronyms}
    defined_long_forms = {fold(long_form) for long_form in acronyms.values()}
    found: dict[str, str] = {}
    phrase_tokens: dict[str, tuple[str, ...]] = {}
    ambiguous: set[str] = set()
    for text in texts:
        for match in CAPITALISED_PHRASE_RE.finditer(text):
            parts = phrase_words(match.group())
            if len(parts) < 2 or fold(" ".join(parts)) in defined_long_forms:
                continue  # a defined acronym already stands for a defined long form
            phrase, tokens = " ".join(parts), tuple(tokenize(" ".join(parts)))
            for initials in dict.fromkeys(phrase_initials(parts)):
                if len(initials) < min_letters or initials in corpus_words or initials in defined:
                    continue
                if initials not in found:
                    found[initials], phrase_tokens[initials] = phrase, tokens
                elif phrase_tokens[initials] != tokens:
                    ambiguous.add(initials)
    return {initials: phrase for initials, phrase in found.items() if initials not in ambiguous}


AcronymForm = tuple[frozenset[str], tuple[str, ...]]


def acronym_forms_by_token(acronyms: dict[str, str]) -> dict[str, list[AcronymForm]]:
    """For each token an acronym is written as ("wmd", "wmds"), the (tokens of its long form,
    its own tokens): a question writing "wmds" is held by a sentence writing "weapons of mass
    destruction". Only this way round: a question writing the long form would give every
    sentence naming the acronym its many words and draw them all into the answer ("COE-DAT")."""
    forms: dict[str, list[AcronymForm]] = {}
    for acronym, long_form in acronyms.items():
        short = tuple(dict.fromkeys([*tokenize(acronym), *tokenize(acronym + "s")]))
        long = frozenset(tokenize(long_form))
        if short and long:
            for token in short:
                forms.setdefault(token, []).append((long, short))
    return forms
