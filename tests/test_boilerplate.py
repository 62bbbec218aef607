"""The three boilerplate rules (site-name lines, "see also" teasers, footer), one by one, on
made-up pages, plus the cases where a rule must NOT fire."""

from __future__ import annotations

from ctqa.ingest.boilerplate import (
    boilerplate_lines,
    footer_lines,
    see_also_lines,
    site_name_lines,
)
from ctqa.ingest.structure import structure_text

# A made-up gardening page with the same kind of chrome as the real article.
PAGE = """\
Growing Tomatoes At Home: A Short Guide
how do I grow tomatoes on a balcony

Tomatoes need at least six hours of sun a day and a deep pot with good drainage.

Greenleafy

Watering

Water the plants every morning so that the soil stays moist but never soaked.

Best Pepper Varieties for Small Gardens
You might also like

Greenleafy

Feeding

Use a balanced fertiliser once a month from the first flowers until the end of summer.

Ten Herbs That Grow Anywhere
See also

Greenleafy

Written by
Jane Doe
Reviewed by
John Smith
Share this post
Print
Did this article help you?
"""
LINES = PAGE.split("\n")


def numbers_of(*texts: str) -> set[int]:
    """Line numbers of every line of PAGE equal to one of ``texts``."""
    return {number for number, line in enumerate(LINES) if line in texts}


def line_number(text: str) -> int:
    (number,) = [n for n, line in enumerate(LINES) if line == text]
    return number


# -- rule 1: site-name lines -------------------------------------------------------------------


def test_repeated_short_line_is_a_site_name() -> None:
    assert site_name_lines(LINES) == numbers_of("Greenleafy")
    assert len(numbers_of("Greenleafy")) == 3


def test_site_name_match_ignores_case_and_surrounding_space() -> None:
    lines = ["Title line", "", "GreenLeafy", "Body text that says something useful.", "  greenleafy  ", "More."]
    assert site_name_lines(lines) == {2, 4}


def test_one_off_short_line_is_kept() -> None:
    # "Watering" and "Feeding" are short headings that occur once: content, not chrome.
    assert line_number("Watering") not in site_name_lines(LINES)
    assert line_number("Feeding") not in site_name_lines(LINES)
    assert line_number("Watering") not in boilerplate_lines(LINES)


def test_repeated_line_with_sentence_punctuation_is_kept() -> None:
    lines = ["Q and A", "", "Yes.", "", "Is it safe to eat the leaves of the plant?", "", "Yes.", ""]
    assert site_name_lines(lines) == set()


def test_repeated_line_longer_than_three_words_is_kept() -> None:
    lines = ["Tips For The Garden", "Body text.", "Tips For The Garden"]
    assert site_name_lines(lines) == set()


# -- rule 2: "see also" teasers ----------------------------------------------------------------


def test_see_also_markers_and_teaser_titles_above_them() -> None:
    expected = {
        line_number("Best Pepper Varieties for Small Gardens"),
        line_number("You might also like"),
        line_number("Ten Herbs That Grow Anywhere"),
        line_number("See also"),
    }
    assert see_also_lines(LINES) == expected


def test_teaser_title_above_a_blank_line_is_dropped_too() -> None:
    lines = [
        "Body paragraph that ends here.",
        "",
        "Spam Texts: Should You Reply or Ignore?",
        "",
        "You may want to see also",
    ]
    assert see_also_lines(lines) == {2, 4}


def test_sentence_above_a_see_also_marker_is_kept() -> None:
    lines = ["The harvest starts in late July in most of Europe.", "Read more"]
    assert see_also_lines(lines) == {1}


def test_long_line_above_a_see_also_marker_is_kept() -> None:
    long_line = " ".join(["word"] * 17)  # more than IngestSettings.teaser_title_max_words, no final period
    assert see_also_lines([long_line, "Related articles"]) == {1}


def test_see_also_words_inside_a_sentence_are_not_a_marker() -> None:
    lines = ["Intro", "See also the chapter on pruning, which explains when to cut the side shoots."]
    assert see_also_lines(lines) == set()


# -- rule 3: footer ----------------------------------------------------------------------------


def test_footer_runs_from_first_footer_line_to_the_end() -> None:
    first = line_number("Written by")
    assert footer_lines(LINES) == set(range(first, len(LINES)))
    # the author names after "Written by" / "Reviewed by" go with the footer
    assert {line_number("Jane Doe"), line_number("John Smith")} <= footer_lines(LINES)


def test_print_inside_a_long_paragraph_is_kept() -> None:
    lines = [
        "Seed Packets",
        "",
        "Print the order form and bring it to the shop with your receipt.",
        "Print",
        "Please print the label on thick paper so that the ink does not run in the rain at all.",
    ]
    # the one-word "Print" line is followed by a long line, so it was content: nothing is cut
    assert footer_lines(lines) == set()


def test_footer_line_followed_by_a_long_paragraph_is_not_cut() -> None:
    lines = [
        "Reader Questions",
        "",
        "Comments",
        "",
        "Readers asked many questions about watering, and the editors answered every one of them below.",
        "",
        "Written by",
        "Jane Doe",
    ]
    # "Comments" is a section heading here (a long line follows); the real footer starts later
    assert footer_lines(lines) == {6, 7}


def test_no_footer_line_no_footer() -> None:
    assert footer_lines(["Title", "", "Body text of the page.", "Jane Doe"]) == set()


# -- all rules through the structure parser ---------------------------------------------------


def test_cleaned_page_has_content_and_no_chrome() -> None:
    structured = structure_text(PAGE)
    for chrome in (
        "Greenleafy",
        "You might also like",
        "Best Pepper Varieties",
        "See also",
        "Ten Herbs",
        "Written by",
        "Jane Doe",
        "John Smith",
        "Share this post",
        "Did this article help you",
    ):
        assert chrome not in structured.text, chrome
    assert structured.title == "Growing Tomatoes At Home: A Short Guide"
    assert [s.title for s in structured.sections] == ["Introduction", "Watering", "Feeding"]
    assert "Use a balanced fertiliser once a month from the first flowers until the end of summer." in structured.text
