"""Country names and demonyms for "which countries …?" questions."""

from __future__ import annotations

import pytest

from ctqa.answering.countries import capitalised_countries, country_mentions, mentions_country


def test_country_mentions_keep_order_and_prefer_the_longer_name() -> None:
    text = "Talks between South Korea, the U.S., Türkiye and the Syrian Arab Republic."
    assert country_mentions(text) == ["South Korea", "U.S.", "Türkiye", "Syrian Arab Republic"]


def test_country_names_are_case_sensitive() -> None:
    assert country_mentions("roast turkey for the chad") == []
    assert country_mentions("Turkey and Chad") == ["Turkey", "Chad"]


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        ("Trading posts of the Portuguese", "Which country had trading posts?", True),
        ("French troops landed.", "Which country sent troops?", True),
        ("Islamic art and Asian trade", "Which country traded?", False),
        # the question's own country (or its demonym) is no answer
        ("US officers and Canadian officers", "Which countries work with the US and Canada?", False),
        ("US officers and Mexican officers", "Which countries work with the US?", True),
    ],
)
def test_mentions_country_counts_new_names_and_demonyms(text: str, question: str, expected: bool) -> None:
    assert mentions_country(text, besides=question) is expected


def test_lowercase_country_names_are_written_as_names_but_not_everyday_words() -> None:
    assert capitalised_countries("does canada work with the united states") == "does Canada work with the United States"
    assert capitalised_countries("tell us about turkey in china") == "tell us about turkey in china"
    assert capitalised_countries("canadian ports") == "canadian ports"  # a country's name only
