"""Sentence splitting and sentence-aware chunking.

Sentences come from pysbd (rule-based sentence boundary disambiguation, offline, handles
abbreviations such as "U.S." and "Dr."). A passage is a run of whole sentences of one block:
it never starts or ends inside a sentence, never crosses a block (so never a section), and fits
``ChunkSettings.max_tokens`` word pieces whenever its sentences do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import lru_cache

import pysbd

from ctqa.config import ChunkSettings
from ctqa.types import Block, Document, Passage

TokenCounter = Callable[[str], int]


def approximate_token_count(text: str) -> int:
    """Word-piece count estimate (~1.3 pieces per word for English), for tests and fallbacks."""
    return math.ceil(len(text.split()) * 1.3)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` as ``(start, end)`` offsets (plus ``offset``), in order.

    Spans exclude surrounding white space; each line of a multi-line text is split on its own,
    since a line break inside a block marks a boundary (a FAQ question above its answer).
    """
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        cursor = 0
        if line.strip():
            # Segmenter.segment would also locate each sentence by compiling it as a regex;
            # the processor's sentences are found below with str.find instead (a third faster).
            for piece in _segmenter().processor(line).process():
                piece = piece.strip()
                if not piece:
                    continue
                found = line.find(piece, cursor)
                if found < 0:  # pysbd kept the text, so this only guards against surprises
                    continue
                spans.append((offset + line_start + found, offset + line_start + found + len(piece)))
                cursor = found + len(piece)
        line_start += len(line) + 1
    return spans


def pack_sentences(
    spans: list[tuple[int, int]], text: str, max_tokens: int, count_tokens: TokenCounter
) -> list[list[tuple[int, int]]]:
    """Group consecutive sentence spans into chunks of at most ``max_tokens`` tokens each.

    Greedy filling gives the fewest chunks. A single sentence longer than ``max_tokens`` is a
    chunk of its own (the model reads its first 256 word pieces).
    """
    sizes = [count_tokens(text[start:end]) for start, end in spans]
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    current_size = 0
    for span, size in zip(spans, sizes, strict=True):
        if current and current_size + size > max_tokens:
            chunks.append(current)
            current, current_size = [], 0
        current.append(span)
        current_size += size
    if current:
        chunks.append(current)
    return chunks


def chunk_block(
    document: Document, block: Block, settings: ChunkSettings, count_tokens: TokenCounter
) -> list[Passage]:
    """Passages of one block, each with its sentence offsets into ``document.text``."""
    block_text = document.text[block.start : block.end]
    spans = split_sentences(block_text, offset=block.start)
    if block.kind == "table_row":  # a row is one unit whatever its punctuation
        spans = [(block.start, block.end)]
    passages = []
    for sentences in pack_sentences(spans, document.text, settings.max_tokens, count_tokens):
        start, end = sentences[0][0], sentences[-1][1]
        passages.append(
            Passage(
                doc_id=document.doc_id,
                title=document.title,
                section=block.section,
                kind=block.kind,
                start=start,
                end=end,
                text=document.text[start:end],
                sentences=tuple(sentences),
                table=block.table,
                page=block.page,
                path=document.path,
            )
        )
    return passages


def chunk_documents(
    documents: Iterable[Document],
    settings: ChunkSettings,
    count_tokens: TokenCounter = approximate_token_count,
) -> list[Passage]:
    """All passages of ``documents``, in document and reading order."""
    return [
        passage
        for document in documents
        for block in document.blocks
        for passage in chunk_block(document, block, settings, count_tokens)
    ]
