"""Country names in a sentence, for questions that ask "which countries …?".

The names come from ISO 3166 (pycountry: current and historic countries, their common and
official names, and the short name before the comma of "Iran, Islamic Republic of"), plus the
everyday names that ISO does not use ("US", "Britain", "Russia", "Turkey", …). A demonym
answers such a question too ("Which country's cars sold best?" — "Japanese imports"): a
capitalised word with a demonym ending that starts like a country name ("Japan-ese",
"Brit-ish"), or one of the irregular ones.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry

from ctqa.config import NAMES

# Everyday English names and abbreviations ISO 3166 leaves out.
EVERYDAY_NAMES = (
    "US", "U.S.", "USA", "U.S.A.", "America", "UK", "U.K.", "Britain", "Great Britain", "England",
    "Scotland", "Wales", "Northern Ireland", "Russia", "Turkey", "Czech Republic", "Holland",
    "Burma", "Ivory Coast", "East Germany", "West Germany", "Soviet Union", "USSR", "Yugoslavia",
    "Czechoslovakia", "Persia", "Siam", "Zaire", "Vatican", "Macedonia", "Swaziland", "Congo",
    "Korea", "Palestine", "Prussia", "Ottoman Empire", "Rhodesia", "Ceylon",
)

IRREGULAR_DEMONYMS = (
    "French", "Dutch", "Spanish", "Danish", "Swiss", "Welsh", "Irish", "Swedish", "Finnish",
    "Polish", "Filipino", "Thai", "Greek", "Scots", "Arab", "Persian",
)
_IRREGULAR_DEMONYM_RE = re.compile(r"\b(?:" + "|".join(IRREGULAR_DEMONYMS) + r")\b")
# Words that look like demonyms of a country and are not ("Christian" — Christmas Island).
NOT_DEMONYMS = frozenset(["Christian", "Christians"])
# Demonyms share their first letters with the country: "Japanese" / "Japan", "British" / "Britain"
# (as many as a name's family shares, ``NameSettings.family_prefix``).
DEMONYM_PREFIX = NAMES.family_prefix
_DEMONYM_RE = re.compile(r"\b[A-Z][a-z]+(?:ese|ish|ian|ians|an|ans|i|is|ic)\b")


@cache
def _iso_names(attributes: tuple[str, ...] = ("name", "common_name", "official_name")) -> frozenset[str]:
    names: set[str] = set()
    for country in [*pycountry.countries, *pycountry.historic_countries]:
        for attribute in attributes:
            name = getattr(country, attribute, None)
            if name:
                names.add(name)
                names.add(name.split(",")[0].strip())
    return frozenset(names)


@cache
def _country_re() -> re.Pattern[str]:
    names = sorted(_iso_names() | set(EVERYDAY_NAMES), key=len, reverse=True)
    # Case-sensitive: "Chad" and "Turkey" are names, "chad" and "turkey" are not.
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


# Country names that, written in lowercase, are everyday English words first: "us", "turkey".
LOWERCASE_WORDS = frozenset(["us", "turkey", "chad", "china", "jordan", "georgia", "guinea", "niger", "wales"])


@cache
def _lowercase_countries() -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern of country names written in lowercase ("canada", "united states") and each
    one's usual spelling, leaving out ``LOWERCASE_WORDS``."""
    spelling = {
        name.casefold(): name
        for name in sorted(_iso_names(("name", "common_name")) | set(EVERYDAY_NAMES))
        if name.casefold() not in LOWERCASE_WORDS and re.fullmatch(r"[A-Za-z ]+", name)
    }
    names = sorted(spelling, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])"), spelling


def capitalised_countries(text: str) -> str:
    """``text`` with the country names typed in lowercase written as usual ("how many task forces
    does canada have" -> "… does Canada have"): chat is typed in lowercase, and a country asked
    about is a name all the same."""
    pattern, spelling = _lowercase_countries()
    return pattern.sub(lambda match: spelling[match.group(0)], text)


@cache
def _country_prefixes() -> frozenset[str]:
    # Short names only: official ones open with "Islamic Republic of", "Kingdom of", …
    short_names = _iso_names(("name", "common_name")) | set(EVERYDAY_NAMES)
    return frozenset(name[:DEMONYM_PREFIX] for name in short_names if len(name) > DEMONYM_PREFIX)


def country_mentions(text: str) -> list[str]:
    """Country names in ``text``, in order of appearance (longest name wins: "South Korea", not
    "Korea"). Returns ``list[str]`` as written in ``text``."""
    return [match.group(0) for match in _country_re().finditer(text)]


def country_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each country name in ``text`` (see ``country_mentions``)."""
    return [match.span() for match in _country_re().finditer(text)]


def mentions_country(text: str, besides: str = "") -> bool:
    """Whether ``text`` names a country, or uses a demonym ("Japanese", "French"), that
    ``besides`` (the question) does not."""
    asked = {name.casefold() for name in country_mentions(besides)} | set(besides.casefold().split())
    if any(name.casefold() not in asked for name in country_mentions(text)):
        return True
    # "Canadian" is the asked country again when the question names Canada
    asked_prefixes = {word[:DEMONYM_PREFIX].casefold() for word in asked}
    demonyms = [
        found
        for found in (m.group(0) for m in _DEMONYM_RE.finditer(text))
        if found[:DEMONYM_PREFIX] in _country_prefixes() and found not in NOT_DEMONYMS
    ]
    demonyms += _IRREGULAR_DEMONYM_RE.findall(text)
    return any(
        word.casefold() not in asked and word[:DEMONYM_PREFIX].casefold() not in asked_prefixes
        for word in demonyms
    )
