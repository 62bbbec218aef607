"""Sentence splitting and sentence-aware chunking: offsets, block boundaries, token limits."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS_DIR
from ctqa.chunking import (
    approximate_token_count,
    chunk_block,
    chunk_documents,
    pack_sentences,
    split_sentences,
)
from ctqa.config import ChunkSettings
from ctqa.ingest.loader import load_corpus
from ctqa.ingest.structure import structure_text
from ctqa.types import Block, Document, Passage

SMALL = ChunkSettings(max_tokens=40)


def document_of(text: str, *, kind: str = "paragraph") -> Document:
    """A one-block document whose block is the whole ``text``."""
    return Document(
        doc_id="doc.txt",
        title="Doc",
        path="doc.txt",
        format="text",
        text=text,
        sha256="0" * 64,
        blocks=(Block(kind, 0, len(text), "Introduction"),),  # type: ignore[arg-type]
    )


def structured_document(raw: str) -> Document:
    structured = structure_text(raw)
    return Document(
        "page.txt",
        structured.title,
        "page.txt",
        "text",
        structured.text,
        "0" * 64,
        structured.sections,
        structured.blocks,
    )


def sentence_texts(text: str, spans: list[tuple[int, int]] | tuple[tuple[int, int], ...], offset: int = 0) -> list[str]:
    return [text[start - offset : end - offset] for start, end in spans]


@pytest.fixture(scope="module")
def article() -> Document:
    report = load_corpus(CORPUS_DIR)
    assert not report.skipped
    (document,) = report.documents
    return document


@pytest.fixture(scope="module", params=[ChunkSettings(), SMALL], ids=["default", "max40"])
def article_passages(request: pytest.FixtureRequest, article: Document) -> list[Passage]:
    return chunk_documents([article], request.param, approximate_token_count)


# -- sentence splitting --------------------------------------------------------------------------


def test_sentence_spans_slice_to_sentences() -> None:
    text = "The U.S. created 93 task forces. Dr. Smith led one of them. It worked well."
    assert sentence_texts(text, split_sentences(text)) == [
        "The U.S. created 93 task forces.",
        "Dr. Smith led one of them.",
        "It worked well.",
    ]


def test_us_initialism_does_not_end_a_sentence() -> None:
    text = "For example, the U.S. forged new cooperative agreements with Canada. NATO also works to counter terrorism."
    assert sentence_texts(text, split_sentences(text)) == [
        "For example, the U.S. forged new cooperative agreements with Canada.",
        "NATO also works to counter terrorism.",
    ]


def test_sentence_spans_with_offset() -> None:
    prefix = "Some earlier text.\n\n"
    sentence_block = "Dr. Smith met the minister in Ottawa. They agreed on a plan."
    full = prefix + sentence_block
    spans = split_sentences(sentence_block, offset=len(prefix))
    assert sentence_texts(full, spans) == ["Dr. Smith met the minister in Ottawa.", "They agreed on a plan."]
    assert spans[0][0] == len(prefix)


def test_sentence_spans_exclude_surrounding_white_space() -> None:
    text = "  Leading space here.   Trailing space here.  "
    spans = split_sentences(text)
    assert sentence_texts(text, spans) == ["Leading space here.", "Trailing space here."]


def test_line_break_is_a_sentence_boundary() -> None:
    text = "Is the guide free of charge\nYes, it is free for everyone."
    assert sentence_texts(text, split_sentences(text)) == [
        "Is the guide free of charge",
        "Yes, it is free for everyone.",
    ]


def test_decimal_numbers_do_not_split() -> None:
    text = "The NEXUS program has over 1.8 million members. It started long ago."
    assert sentence_texts(text, split_sentences(text)) == [
        "The NEXUS program has over 1.8 million members.",
        "It started long ago.",
    ]


# -- passages of the real article ---------------------------------------------------------------


def test_passage_text_is_the_document_slice(article: Document, article_passages: list[Passage]) -> None:
    assert article_passages
    for passage in article_passages:
        assert passage.text == article.text[passage.start : passage.end]
        assert passage.doc_id == article.doc_id and passage.title == article.title


def test_passages_start_and_end_on_sentence_boundaries(article: Document, article_passages: list[Passage]) -> None:
    sentences_of_blocks = {
        (block.start, block.end): (
            [(block.start, block.end)]
            if block.kind == "table_row"
            else split_sentences(article.text[block.start : block.end], offset=block.start)
        )
        for block in article.blocks
    }
    starts = {start for spans in sentences_of_blocks.values() for start, _ in spans}
    ends = {end for spans in sentences_of_blocks.values() for _, end in spans}
    for passage in article_passages:
        assert passage.start == passage.sentences[0][0] and passage.start in starts
        assert passage.end == passage.sentences[-1][1] and passage.end in ends
        # each passage of the article starts like a sentence and ends with sentence punctuation or a table value
        assert passage.text[0].isupper()
        assert passage.text[-1] in ".?!" or passage.kind == "table_row"


def test_passages_never_cross_blocks_or_sections(article: Document, article_passages: list[Passage]) -> None:
    for passage in article_passages:
        (block,) = [b for b in article.blocks if b.start <= passage.start < b.end]
        assert passage.end <= block.end
        assert passage.section == block.section and passage.kind == block.kind
        assert "\n\n" not in passage.text


def test_passages_cover_every_block_sentence_once_in_order(article: Document, article_passages: list[Passage]) -> None:
    expected = []
    for block in article.blocks:
        if block.kind == "table_row":
            expected.append((block.start, block.end))
        else:
            expected.extend(split_sentences(article.text[block.start : block.end], offset=block.start))
    assert [span for passage in article_passages for span in passage.sentences] == expected


def test_table_rows_are_single_passages(article: Document, article_passages: list[Passage]) -> None:
    rows = [p for p in article_passages if p.kind == "table_row"]
    assert [p.text for p in rows][3] == "Number of Anti-Terrorism Task Forces created by the U.S. 93"
    assert len(rows) == 6 and all(len(p.sentences) == 1 for p in rows)
    assert {p.table for p in rows} == {"Characteristics / Values"}


def test_default_settings_keep_article_paragraphs_whole(article: Document) -> None:
    # every body paragraph of the article is < 200 word pieces, so one paragraph = one passage
    passages = chunk_documents([article], ChunkSettings(), approximate_token_count)
    assert len(passages) == len(article.blocks) == 33


def test_small_settings_split_long_article_paragraphs(article: Document) -> None:
    passages = chunk_documents([article], SMALL, approximate_token_count)
    assert len(passages) > len(article.blocks)
    for passage in passages:
        if len(passage.sentences) > 1:
            assert approximate_token_count(passage.text) <= 40


# -- synthetic blocks --------------------------------------------------------------------------------


def test_long_block_is_split_into_chunks_within_the_limit() -> None:
    sentences = [
        f"Sentence number {word} has eight words in all."
        for word in ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    ]
    text = " ".join(sentences)
    document = document_of(text)
    passages = chunk_block(document, document.blocks[0], SMALL, approximate_token_count)
    # each sentence is 8 words = ceil(8 * 1.3) = 11 tokens: at most 3 sentences (33) fit in 40
    assert [len(p.sentences) for p in passages] == [3, 3, 3, 1]
    assert [s for p in passages for s in sentence_texts(text, p.sentences)] == sentences
    for passage in passages:
        assert sum(approximate_token_count(text[s:e]) for s, e in passage.sentences) <= 40
        assert passage.text == text[passage.start : passage.end]


def test_single_over_long_sentence_stays_one_chunk() -> None:
    long_sentence = "This " + " ".join(["very"] * 50) + " long sentence never ends early."
    text = f"A short opening sentence. {long_sentence} A short closing sentence."
    document = document_of(text)
    passages = chunk_block(document, document.blocks[0], SMALL, approximate_token_count)
    assert long_sentence in [p.text for p in passages]
    (long_passage,) = [p for p in passages if p.text == long_sentence]
    assert len(long_passage.sentences) == 1
    assert approximate_token_count(long_sentence) > 40
    assert [s for p in passages for s in sentence_texts(text, p.sentences)] == [
        "A short opening sentence.",
        long_sentence,
        "A short closing sentence.",
    ]


def test_passages_keep_their_section_and_table() -> None:
    document = structured_document(
        "Facts Page\n\nAn opening paragraph. It has two sentences.\n\nAlliance Numbers\n\n"
        "Characteristics Values\nNumber of member states 32\nYear of the founding treaty 1949\n"
    )
    passages = chunk_documents([document], ChunkSettings(), approximate_token_count)
    assert [(p.kind, p.section, p.table, p.text) for p in passages] == [
        ("paragraph", "Introduction", "", "An opening paragraph. It has two sentences."),
        ("table_row", "Characteristics / Values", "Characteristics / Values", "Number of member states 32"),
        ("table_row", "Characteristics / Values", "Characteristics / Values", "Year of the founding treaty 1949"),
    ]


def test_faq_question_and_answer_are_separate_sentences() -> None:
    document = structured_document(
        "Garden FAQ\n\nIntro text here.\n\nFAQ\n\nHow often should I water?\n\nEvery morning. Less in winter.\n"
    )
    (faq,) = [p for p in chunk_documents([document], ChunkSettings()) if p.kind == "faq"]
    assert sentence_texts(document.text, faq.sentences) == [
        "How often should I water?",
        "Every morning.",
        "Less in winter.",
    ]


def test_pack_sentences_fits_everything_in_one_chunk_when_small() -> None:
    text = "One two three. Four five six."
    spans = split_sentences(text)
    assert pack_sentences(spans, text, 40, approximate_token_count) == [spans]
    assert pack_sentences([], "", 40, approximate_token_count) == []


def test_pack_sentences_uses_the_fewest_chunks() -> None:
    sentences = [
        " ".join(["six"] * 5) + ".",  # 6 tokens with the counter below
        " ".join(["thirty-five"] * 34) + ".",  # 35
        " ".join(["four"] * 3) + ".",  # 4
    ]
    text = " ".join(sentences)
    spans = []
    cursor = 0
    for sentence in sentences:
        start = text.index(sentence, cursor)
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)

    def count(piece: str) -> int:
        return len(piece.split()) + 1

    assert [count(text[s:e]) for s, e in spans] == [6, 35, 4]
    chunks = pack_sentences(spans, text, 40, count)
    assert len(chunks) == 2


# -- property: chunking loses, repeats and reorders no sentence -----------------------------------

WORDS = [
    "tree",
    "river",
    "stone",
    "garden",
    "light",
    "water",
    "small",
    "green",
    "quickly",
    "under",
    "table",
    "window",
    "bird",
    "cloud",
    "road",
    "house",
    "seven",
    "blue",
    "winter",
    "harbour",
]

sentence_strategy = st.builds(
    lambda first, rest, end: " ".join([first.capitalize(), *rest]) + end,
    st.sampled_from(WORDS),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
    st.sampled_from([".", "!", "?"]),
)


@settings(max_examples=60, deadline=None)
@given(
    sentences=st.lists(sentence_strategy, min_size=1, max_size=12),
    max_tokens=st.integers(min_value=5, max_value=80),
)
def test_chunks_cover_every_sentence_exactly_once_in_order(sentences: list[str], max_tokens: int) -> None:
    text = " ".join(sentences)
    document = document_of(text)
    passages = chunk_block(document, document.blocks[0], ChunkSettings(max_tokens=max_tokens), approximate_token_count)
    assert [s for p in passages for s in sentence_texts(text, p.sentences)] == sentences
    for before, after in pairwise(passages):
        assert before.end < after.start
    for passage in passages:
        assert passage.text == text[passage.start : passage.end]
        if len(passage.sentences) > 1:
            assert sum(approximate_token_count(text[s:e]) for s, e in passage.sentences) <= max_tokens
