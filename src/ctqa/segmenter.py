"""pysbd's English sentence segmenter with its abbreviation pass made cheap, same output.

pysbd's ``AbbreviationReplacer.search_for_abbreviations_in_string`` protects the full stop of
each known abbreviation ("Dr.", "approx.") by running one regular-expression substitution over
the whole text per occurrence of the abbreviation's letters at a word start: "co" occurs in
every "company" and "control", "al" in every "also", so a paragraph costs hundreds of full-text
substitutions, each formatting a pattern string that Python's regex cache (512 entries) then
keeps evicting. ``FastAbbreviationReplacer`` gives the same text with:

- patterns compiled once per abbreviation and spelling (``_finder``, ``_replacer``);
- one substitution per distinct (rule, spelling) instead of one per occurrence: a substitution
  only turns full stops into "∯", which can never create a match for it again (every pattern
  needs a "." right after the abbreviation, or reads "." as any character), so repeating it
  changes nothing;
- no substitution at all when the text does not hold the abbreviation followed by a full stop.

Everything else — which rule applies to which occurrence, the order of abbreviations and of
spellings, pysbd's other passes — is pysbd's own code. ``tests/test_segmenter.py`` checks the
output against the stock segmenter.
"""

from __future__ import annotations

import re
from functools import cache

import pysbd
from pysbd.lang.english import English

# pysbd's placeholder for a full stop that does not end a sentence
_PROTECTED_STOP = "∯"


@cache
def _finder(stripped: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """pysbd's two patterns for abbreviation ``stripped``, as it writes them (unescaped, and the
    second with literal braces): its occurrences at a word start, and the character after them."""
    occurrences = re.compile(rf"(?:^|\s|\r|\n){stripped}", flags=re.IGNORECASE)
    next_word_start = re.compile(r"(?<={" + str(re.escape(stripped)) + "} ).{1}")
    return occurrences, next_word_start


@cache
def _replacer(rule: str, abbr: str) -> re.Pattern[str]:
    """The substitution pattern of pysbd's ``rule`` for one spelling ``abbr`` of an abbreviation."""
    if rule == "prepositive":  # pysbd.abbreviation_replacer.replace_prepositive_abbr
        return re.compile(rf"(?<=\s{abbr})\.(?=(\s|:\d+))")
    if rule == "number":  # replace_pre_number_abbr
        return re.compile(rf"(?<=\s{abbr})\.(?=(\s\d|\s+\())")
    # AbbreviationReplacer.replace_period_of_abbr
    return re.compile(
        rf"(?<=\s{re.escape(abbr)})\.(?=((\.|\:|-|\?|,)|(\s([a-z]|I\s|I'm|I'll|\d|\())))"
    )


@cache
def _stop_finder(stripped: str) -> re.Pattern[str]:
    return re.compile(re.escape(stripped) + r"\.", flags=re.IGNORECASE)


def _followed_by_stop(stripped: str, text: str, lowered: str, ascii_line: bool) -> bool:
    """Whether ``text`` holds a spelling of ``stripped`` (matched ignoring case, as pysbd finds
    them) followed by ".". On ASCII text that is a substring test of the lower-cased line;
    elsewhere case-insensitive matching also pairs ASCII letters with others ("ſ" with "s").
    """
    if ascii_line:
        return stripped + "." in lowered
    return _stop_finder(stripped).search(text) is not None


class FastAbbreviationReplacer(English.AbbreviationReplacer):  # type: ignore[misc]
    """``English.AbbreviationReplacer`` with the abbreviation search described in the module
    docstring; pysbd builds it from the language class (``Processor.abbreviations_replacer``)."""

    def search_for_abbreviations_in_string(self, text: str) -> str:
        abbreviation = self.lang.Abbreviation
        prepositive = abbreviation.PREPOSITIVE_ABBREVIATIONS
        number_abbreviations = abbreviation.NUMBER_ABBREVIATIONS
        lowered = text.lower()
        ascii_line = text.isascii()
        for abbr in abbreviation.ABBREVIATIONS:
            stripped = abbr.strip()
            if stripped not in lowered:
                continue
            # every rule needs a spelling of the abbreviation then "." (see the module
            # docstring); the loop only turns "." into "∯", so the line as first read tells
            if "." not in stripped and not _followed_by_stop(stripped, text, lowered, ascii_line):
                continue
            occurrences, next_word_start = _finder(stripped)
            matches = occurrences.findall(text)
            if not matches:
                continue
            # pysbd's pattern reads "{abbr} " literally, so it rarely finds anything
            following = next_word_start.findall(text) if "{" in text else []
            applied: set[tuple[str, str]] = set()
            for number, match in enumerate(matches):
                char = following[number] if number < len(following) else ""
                spelling = match.strip()
                lower = spelling.lower()
                if str(char).isupper() and lower not in prepositive:
                    continue
                rule = "prepositive" if lower in prepositive else "number" if lower in number_abbreviations else "period"
                if (rule, spelling) in applied:
                    continue
                applied.add((rule, spelling))
                # every pattern needs the spelling then a "." (literal unless pysbd left a "." of
                # the spelling unescaped, where it reads any character)
                literal = rule == "period" or "." not in spelling
                if literal and spelling + "." not in text:
                    continue
                text = _replacer(rule, spelling).sub(_PROTECTED_STOP, " " + text)[1:]
        return text


class FastEnglish(English):  # type: ignore[misc]
    """pysbd's English rules with ``FastAbbreviationReplacer``."""

    class AbbreviationReplacer(FastAbbreviationReplacer):
        pass


def english_segmenter() -> pysbd.Segmenter:
    """A pysbd English segmenter (no cleaning) using ``FastEnglish``."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    segmenter.language_module = FastEnglish
    return segmenter
