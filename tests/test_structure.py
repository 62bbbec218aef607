"""The structure parser on the real article (title, sections, table rows, FAQ, no chrome) and on
small synthetic pages (markdown headings, tab / pipe tables, FAQ questions, hard-wrapped text)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from conftest import ARTICLE_PATH, BOILERPLATE_STRINGS
from ctqa.ingest.structure import StructuredText, structure_text

ARTICLE_TITLE = "Fighting Terrorism: States' Strategies Of Diplomacy And Cooperation"
ARTICLE_SUBTITLE = "how have states used diplomacy or cooperation to fight terrorists"
TABLE = "Characteristics / Values"
HEADINGS = [
    "The US Department of State works with international partners to counter terrorism",
    "NATO's counter-terrorism efforts include information sharing and cooperation with the EU and UN",
    "The US Department of Justice launched the Responsible Cooperators Program to incentivise information sharing",
    "The US has agreements with Canada to protect borders and prevent terrorist entry",
    "The US State Department works to prevent terrorists from acquiring WMDs",
]
FAQ = "Frequently asked questions"
TABLE_ROWS = [
    "Number of COEs accredited by NATO 30",
    "Year of approval of NATO Battlefield Evidence Policy October 2020",
    "Year NATO invoked its collective defence clause 2001",
    "Number of Anti-Terrorism Task Forces created by the U.S. 93",
    "Year Osama bin Laden financed the development of a highly-addictive liquid heroin 2001",
    "Number of participants in the 2021 and 2023 NATO counter-terrorism courses 50",
]
FAQ_OPENINGS = [
    "States can cooperate to fight terrorists by sharing information",
    "States use diplomacy to fight terrorists by promoting stability",
    "States use foreign assistance to fight terrorists by building",
    "States use law enforcement to fight terrorists by tracking them down",
]


@pytest.fixture(scope="module")
def raw_article() -> str:
    return ARTICLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article(raw_article: str) -> StructuredText:
    return structure_text(raw_article, fallback_title="fallback")


def block_texts(structured: StructuredText, kind: str | None = None) -> list[str]:
    return [structured.text[b.start : b.end] for b in structured.blocks if kind is None or b.kind == kind]


# -- the real article ----------------------------------------------------------------------------


def test_article_title(article: StructuredText) -> None:
    assert article.title == ARTICLE_TITLE
    assert article.text.startswith(ARTICLE_TITLE + "\n\n")


def test_article_subtitle_is_kept_but_is_no_block(article: StructuredText) -> None:
    assert ARTICLE_SUBTITLE in article.text
    assert not any(ARTICLE_SUBTITLE in text for text in block_texts(article))


def test_article_section_titles_in_order(article: StructuredText) -> None:
    # "Introduction" + the table + the 6 headings of the page (the 6th is the FAQ heading)
    assert [s.title for s in article.sections] == ["Introduction", TABLE, *HEADINGS, FAQ]


def test_article_sections_are_ordered_and_do_not_overlap(article: StructuredText) -> None:
    for before, after in pairwise(article.sections):
        assert before.start < before.end <= after.start < after.end
    assert article.sections[-1].end == len(article.text)


def test_article_headed_sections_start_with_their_heading(article: StructuredText) -> None:
    for section in article.sections[1:]:
        assert article.text[section.start :].startswith(section.title), section.title


def test_article_table_rows(article: StructuredText) -> None:
    rows = [b for b in article.blocks if b.kind == "table_row"]
    assert [article.text[b.start : b.end] for b in rows] == TABLE_ROWS
    assert {b.section for b in rows} == {TABLE}
    assert {b.table for b in rows} == {TABLE}
    # the rows are consecutive lines under the table name
    table_section = next(s for s in article.sections if s.title == TABLE)
    assert article.text[table_section.start : table_section.end] == "\n".join([TABLE, *TABLE_ROWS])


def test_article_faq_blocks(article: StructuredText) -> None:
    faqs = [b for b in article.blocks if b.kind == "faq"]
    assert len(faqs) == 4
    assert {b.section for b in faqs} == {FAQ}
    texts = [article.text[b.start : b.end] for b in faqs]
    for text, opening in zip(texts, FAQ_OPENINGS, strict=True):
        assert text.startswith(opening)
    assert texts[3].endswith("having established ties to terrorist organizations.")


def test_article_has_no_boilerplate(article: StructuredText) -> None:
    for chrome in BOILERPLATE_STRINGS:
        assert chrome not in article.text, chrome


def test_article_paragraph_blocks_are_the_body_paragraphs_verbatim(raw_article: str, article: StructuredText) -> None:
    # The article is not hard-wrapped: each body paragraph is one long line ending with a period.
    body = [line for line in raw_article.splitlines() if line.endswith(".") and len(line.split()) > 20]
    assert len(body) == 27  # intro 1 + 3 + 5 + 5 + 5 + 4 section paragraphs + 4 FAQ answers
    assert block_texts(article, "paragraph") + block_texts(article, "faq") == body
    assert block_texts(article, "paragraph")[0].startswith("Diplomacy and cooperation are essential tools")
    assert block_texts(article, "paragraph")[-1].startswith("The Department of Homeland Security (DHS)")


def test_article_block_counts_per_section(article: StructuredText) -> None:
    counts = {title: 0 for title in ["Introduction", TABLE, *HEADINGS, FAQ]}
    for block in article.blocks:
        counts[block.section] += 1
    assert list(counts.values()) == [1, 6, 3, 5, 5, 5, 4, 4]


def test_article_every_block_lies_inside_its_section(article: StructuredText) -> None:
    sections = {s.title: s for s in article.sections}
    for block in article.blocks:
        section = sections[block.section]
        assert section.start <= block.start < block.end <= section.end
        assert article.text[block.start : block.end].strip() == article.text[block.start : block.end]


def test_article_blocks_do_not_overlap(article: StructuredText) -> None:
    for before, after in pairwise(article.blocks):
        assert before.end < after.start


# -- synthetic pages ----------------------------------------------------------------------------


def test_markdown_headings() -> None:
    raw = (
        "# Garden Guide\n\n"
        "This guide covers the basics of a small garden.\n\n"
        "## Soil\n\n"
        "Use loose soil with plenty of compost in it.\n\n"
        "### What about pots?\n\n"
        "Pots need holes in the bottom for drainage.\n"
    )
    result = structure_text(raw)
    assert result.title == "Garden Guide"
    assert "#" not in result.text
    assert [s.title for s in result.sections] == ["Introduction", "Soil", "What about pots?"]
    assert [(b.section, result.text[b.start : b.end]) for b in result.blocks] == [
        ("Introduction", "This guide covers the basics of a small garden."),
        ("Soil", "Use loose soil with plenty of compost in it."),
        ("What about pots?", "Pots need holes in the bottom for drainage."),
    ]


def test_markdown_heading_directly_followed_by_text() -> None:
    raw = "# Garden Guide\n\nIntro text of the guide.\n\n## Soil\nUse loose soil with plenty of compost.\n"
    result = structure_text(raw)
    assert [s.title for s in result.sections] == ["Introduction", "Soil"]
    assert block_texts(result) == ["Intro text of the guide.", "Use loose soil with plenty of compost."]


def test_tab_separated_table_without_header() -> None:
    raw = "Alliance Facts\n\nSome facts about the alliance follow.\n\nMembers\t32\nFounded\t1949\nHeadquarters\tBrussels\n"
    result = structure_text(raw)
    assert block_texts(result, "table_row") == ["Members: 32", "Founded: 1949", "Headquarters: Brussels"]


def test_tab_separated_table_with_header() -> None:
    raw = (
        "Alliance Facts\n\nSome facts about the alliance follow.\n\nCharacteristic\tValue\nMembers\t32\nFounded\t1949\n"
    )
    result = structure_text(raw)
    assert block_texts(result, "table_row") == ["Members: 32", "Founded: 1949"]
    assert {b.table for b in result.blocks if b.kind == "table_row"} == {"Characteristic / Value"}


def test_markdown_pipe_table() -> None:
    raw = (
        "Alliance Facts\n\n"
        "Some facts about the alliance follow.\n\n"
        "| Characteristic | Value |\n"
        "|---|---|\n"
        "| Members | 32 |\n"
        "| Year founded | 1949 |\n"
    )
    result = structure_text(raw)
    rows = [b for b in result.blocks if b.kind == "table_row"]
    assert [result.text[b.start : b.end] for b in rows] == ["Members: 32", "Year founded: 1949"]
    assert {(b.section, b.table) for b in rows} == {("Characteristic / Value", "Characteristic / Value")}
    assert "|" not in result.text and "---" not in result.text


def test_markdown_pipe_table_with_three_columns() -> None:
    raw = (
        "Countries\n\n"
        "Two countries of Europe.\n\n"
        "| Country | Capital | Population |\n"
        "|---|---|---|\n"
        "| France | Paris | 68 million |\n"
        "| Spain | Madrid | 48 million |\n"
    )
    result = structure_text(raw)
    rows = block_texts(result, "table_row")
    assert len(rows) == 2
    assert not any(row.startswith("Country") for row in rows)


def test_faq_with_explicit_question_lines() -> None:
    raw = (
        "Garden Questions\n\n"
        "Answers to questions readers send us.\n\n"
        "Frequently asked questions\n\n"
        "How often should I water tomatoes?\n\n"
        "Water them every morning in summer.\n\n"
        "Do tomatoes need full sun?\n\n"
        "Yes, they need at least six hours of sun a day.\n"
    )
    result = structure_text(raw)
    faqs = [b for b in result.blocks if b.kind == "faq"]
    assert [result.text[b.start : b.end] for b in faqs] == [
        "How often should I water tomatoes?\nWater them every morning in summer.",
        "Do tomatoes need full sun?\nYes, they need at least six hours of sun a day.",
    ]
    assert {b.section for b in faqs} == {"Frequently asked questions"}


def test_unanswered_faq_question_does_not_leak_into_next_section() -> None:
    raw = (
        "Garden Questions\n\n"
        "Answers to questions readers send us.\n\n"
        "FAQ\n\n"
        "Is the guide free?\n\n"
        "Contact\n\n"
        "Write to us at the garden office.\n"
    )
    result = structure_text(raw)
    contact = [result.text[b.start : b.end] for b in result.blocks if b.section == "Contact"]
    assert contact == ["Write to us at the garden office."]


def test_hard_wrapped_paragraphs_are_joined() -> None:
    raw = (
        "Garden Notes\n\n"
        "Tomatoes need at least six hours of sun a day\n"
        "and a deep pot with good drainage. Water them\n"
        "every morning.\n\n"
        "Watering\n\n"
        "Use rain water when you can, because it is soft\n"
        "and warm.\n"
    )
    result = structure_text(raw)
    assert [(b.kind, b.section, result.text[b.start : b.end]) for b in result.blocks] == [
        (
            "paragraph",
            "Introduction",
            "Tomatoes need at least six hours of sun a day and a deep pot with good drainage. Water them every morning.",
        ),
        ("paragraph", "Watering", "Use rain water when you can, because it is soft and warm."),
    ]


def test_fallback_title_when_first_line_is_a_sentence() -> None:
    result = structure_text("This page starts with a sentence.\n\nAnd goes on.\n", fallback_title="my notes")
    assert result.title == "my notes"
    assert block_texts(result) == ["This page starts with a sentence.", "And goes on."]


def test_windows_line_endings() -> None:
    result = structure_text("Title\r\n\r\nFirst paragraph here.\r\n\r\nHeading\r\n\r\nSecond one.\r\n")
    assert result.title == "Title"
    assert "\r" not in result.text
    assert [s.title for s in result.sections] == ["Introduction", "Heading"]
