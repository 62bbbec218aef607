"""Sentence splitting and sentence-aware chunking.

Sentences come from pysbd (rule-based sentence boundary disambiguation, offline, handles
abbreviations such as "U.S." and "Dr."), run through ``ctqa.segmenter`` (the same boundaries
at a fraction of pysbd's cost). A passage is a run of whole sentences of one block:
it never starts or ends inside a sentence, never crosses a block (so never a section), and fits
``ChunkSettings.max_tokens`` word pieces whenever its sentences do.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import pysbd

from ctqa.config import ChunkSettings
from ctqa.segmenter import english_segmenter
from ctqa.types import Block, Document, Passage

TokenCounter = Callable[[str], int]


def approximate_token_count(text: str) -> int:
    """Word-piece count estimate (~1.3 pieces per word for English), for tests and fallbacks."""
    return math.ceil(len(text.split()) * 1.3)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return english_segmenter()


# pysbd's cost grows with the square of the text it is given (its abbreviation replacer rescans
# the whole text per abbreviation found), so a long line is never given to it whole: it is cut
# at boundaries no splitter could dispute (``_CERTAIN_BOUNDARY_RE``), and runs of other text
# longer than this go through ``_window_split``. 2,000 characters is about ten sentences: pysbd
# costs the same per MB on windows from 500 to 2,000 characters (measured on the article) and
# grows beyond that.
SPLIT_WINDOW_CHARS = 2000

# A boundary every splitter agrees on: a lower-case word of four or more letters, a full stop,
# "!" or "?", white space, then a capitalised word ("... the treaty. The ..."). Abbreviations of
# that shape ("approx.", "dept.") are excluded below with pysbd's own list.
_CERTAIN_BOUNDARY_RE = re.compile(r"(?<![A-Za-z])([a-z]{4,})[.!?]\s+(?=[A-Z][a-z])")
# A piece holding none of these but its final mark is one sentence: nothing in it for pysbd to
# split on or to protect (quotes and brackets change what pysbd splits).
_AMBIGUOUS_RE = re.compile(r"[.!?\u2026\u3002\uff0e\uff01\uff1f;:()\[\]{}\"\u201c\u201d\u00ab\u00bb\n]")


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    from pysbd.lang.english import English

    return frozenset(word.lower() for word in English.Abbreviation.ABBREVIATIONS)


def _certain_cuts(line: str) -> list[int]:
    """Offsets in ``line`` where a sentence surely starts (see ``_CERTAIN_BOUNDARY_RE``)."""
    abbreviations = _abbreviations()
    depth = 0  # an open bracket or quote protects what follows in pysbd: no cut inside one
    straight_quotes = 0
    cuts = []
    last = 0
    for match in _CERTAIN_BOUNDARY_RE.finditer(line):
        between = line[last : match.start()]
        depth = max(depth + sum(between.count(c) for c in "([{\u201c\u2018") - sum(between.count(c) for c in ")]}\u201d\u2019"), 0)
        straight_quotes += between.count('"')
        last = match.start()
        if depth or straight_quotes % 2 or match.group(1) in abbreviations:
            continue
        cuts.append(match.end())
    return cuts


def _pysbd_pieces(text: str) -> list[str]:
    return _segmenter().processor(text).process()


def _window_split(text: str, window: int) -> list[tuple[int, int]]:
    """pysbd sentence spans of ``text`` (relative), computed on windows of at most ``window``
    characters: each window's last sentence may be cut by the window's end, so the next window
    starts where that sentence starts. A sentence longer than a window is cut at the last space
    before the window's end (the model reads 256 word pieces of it anyway)."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        piece_end = _window_end(text, start, window)
        found = _locate(text, start, piece_end, _pysbd_pieces(text[start:piece_end]))
        if piece_end == len(text) or not found:
            spans.extend(found)
            break
        if len(found) > 1:
            spans.extend(found[:-1])
            start = found[-1][0]
            continue
        # one sentence fills the whole window: cut it at a space
        cut = text.rfind(" ", found[0][0] + 1, piece_end)
        cut = cut if cut > found[0][0] else piece_end
        spans.append((found[0][0], len(text[:cut].rstrip())))
        start = cut
    return [(a, b) for a, b in spans if b > a]


_PAIRED_RE = re.compile(r"[()\[\]{}\"\u201c\u201d\u2018\u2019\s]")


def _window_end(text: str, start: int, window: int) -> int:
    """Where the window from ``start`` ends: the last white space within ``window`` characters
    outside brackets and quotes (pysbd protects a bracketed or quoted part, so a window cut
    inside one would be split differently), else ``start + window``."""
    limit = start + window
    if limit >= len(text):
        return len(text)
    depth, quotes, best = 0, 0, limit
    for match in _PAIRED_RE.finditer(text, start, limit):
        mark = match.group()
        if mark in "([{\u201c\u2018":
            depth += 1
        elif mark in ")]}\u201d\u2019":
            depth = max(depth - 1, 0)
        elif mark == '"':
            quotes += 1
        elif not depth and not quotes % 2 and match.start() > start:
            best = match.start()
    return best


def _locate(text: str, start: int, end: int, pieces: list[str]) -> list[tuple[int, int]]:
    """Spans of pysbd's ``pieces`` of ``text[start:end]``, found in order (white space trimmed)."""
    spans = []
    cursor = start
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:  # pysbd kept the text, so this only guards against surprises
            continue
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    return spans


def _split_line(line: str, window: int) -> list[tuple[int, int]]:
    """Sentence spans of one line (relative to it): cut at certain boundaries first; a piece
    between two cuts with nothing ambiguous in it is one sentence, and runs of the other pieces
    (at most ``window`` characters each) go to pysbd."""
    cuts = [0, *_certain_cuts(line), len(line)]
    spans: list[tuple[int, int]] = []
    run_start = run_end = 0  # the run of ambiguous pieces waiting for pysbd
    for piece_start, piece_end in itertools.pairwise(cuts):
        piece = line[piece_start:piece_end]
        if len(piece) > window or _AMBIGUOUS_RE.search(piece.rstrip()[:-1]):
            if run_end > run_start and piece_end - run_start > window:
                spans.extend(_run_spans(line, run_start, run_end, window))
                run_start = piece_start
            run_end = piece_end
            continue
        spans.extend(_run_spans(line, run_start, run_end, window))
        run_start = run_end = piece_end
        left = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((piece_start + left, piece_start + len(piece.rstrip())))
    spans.extend(_run_spans(line, run_start, run_end, window))
    return spans


def _run_spans(line: str, start: int, end: int, window: int) -> list[tuple[int, int]]:
    if end <= start or not line[start:end].strip():
        return []
    return [(start + a, start + b) for a, b in _window_split(line[start:end], window)]


def split_sentences(text: str, offset: int = 0, *, window: int = SPLIT_WINDOW_CHARS) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` as ``(start, end)`` offsets (plus ``offset``), in order.

    Spans exclude surrounding white space; each line of a multi-line text is split on its own,
    since a line break inside a block marks a boundary (a FAQ question above its answer). Time
    is linear in the length of ``text``: pysbd never sees more than ``window`` characters.
    """
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        if line.strip():
            base = offset + line_start
            spans.extend((base + start, base + end) for start, end in _split_line(line, window))
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
    *,
    advance: Callable[[int], object] | None = None,
) -> list[Passage]:
    """All passages of ``documents``, in document and reading order.

    ``advance``, when given, is called after each block with the number of characters of text
    split (for a progress bar whose estimate holds inside one long document).
    """
    passages = []
    for document in documents:
        for block in document.blocks:
            passages.extend(chunk_block(document, block, settings, count_tokens))
            if advance is not None:
                advance(block.end - block.start)
    return passages
