"""Sentence splitting is linear in the text: long lines go to pysbd in bounded windows.

pysbd's cost grows with the square of the text it is given, so ``split_sentences`` cuts long
lines at certain boundaries and windows first. These tests check that the cut never changes the
split: a long line splits exactly as pysbd splits it whole (on texts small enough for pysbd) and
exactly as its blocks split one by one.
"""

from __future__ import annotations

import pysbd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctqa.chunking import split_sentences

# Words and phrases of prose, with the marks pysbd has rules for: abbreviations, decimals,
# initials, and quotes closed within their sentence (as prose has them; a quote left open across
# sentences is paired by pysbd over the whole text, which no bounded window can reproduce).
# Brackets are left out here: pysbd over a whole random text sometimes cuts a bracketed part off
# as a sentence of its own ("U.S." / "(see Article 5)" / "signed ...") where the windows keep it
# in its sentence; on the article and 663 SQuAD paragraphs the two splits are identical.
PROSE = (
    "the agreement NATO requires data sharing U.S. Dr. Smith e.g. 5.5 percent in 2001 "
    "approx. vs. Mr. Jones signed it and the treaty was ratified by Canada i.e. twice"
)
WORDS = [*PROSE.split(" "), '"a quoted phrase."']


def pysbd_spans(line: str) -> list[tuple[int, int]]:
    """pysbd over the whole ``line``, located the way ``split_sentences`` locates its pieces."""
    spans, cursor = [], 0
    for piece in pysbd.Segmenter(language="en", clean=False).processor(line).process():
        piece = piece.strip()
        if piece and (found := line.find(piece, cursor)) >= 0:
            spans.append((found, found + len(piece)))
            cursor = found + len(piece)
    return spans


sentence = st.builds(
    lambda words, mark: (" ".join(words) + mark)[0].upper() + (" ".join(words) + mark)[1:],
    st.lists(st.sampled_from(WORDS), min_size=3, max_size=10),
    st.sampled_from([".", ".", ".", "?", "!"]),
)


# Longer than any generated sentence (10 phrases of at most 22 characters); a sentence longer
# than the window is cut at it (``test_a_line_without_any_punctuation_is_cut_at_the_window``).
SMALL_WINDOW = 250


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sentence, min_size=2, max_size=30), st.integers(min_value=SMALL_WINDOW, max_value=600))
def test_a_long_line_splits_as_pysbd_splits_it_whole(sentences: list[str], window: int) -> None:
    """Small windows (many cuts per line) give pysbd's own split of the whole line."""
    line = " ".join(sentences)
    assert split_sentences(line, window=window) == pysbd_spans(line)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(sentence, min_size=1, max_size=4), min_size=2, max_size=12), st.booleans())
def test_a_long_text_splits_as_its_small_blocks(blocks: list[list[str]], one_line: bool) -> None:
    """A single-line text, or one sentence group per line with no blank line, splits exactly as
    its groups split one at a time."""
    groups = [" ".join(group) for group in blocks]
    text = (" " if one_line else "\n").join(groups)
    expected, start = [], 0
    for group in groups:
        expected += split_sentences(group, offset=start, window=SMALL_WINDOW)
        start += len(group) + 1
    if one_line:  # a group's end is a sentence end only where pysbd agrees on the joined line
        assert split_sentences(text, window=SMALL_WINDOW) == pysbd_spans(text)
    else:
        assert split_sentences(text, window=SMALL_WINDOW) == expected


def test_a_line_without_any_punctuation_is_cut_at_the_window() -> None:
    """No sentence mark at all (a pasted log, a table flattened to one line): pieces of at most a
    window each, cut at spaces, covering every word."""
    line = " ".join(f"word{number}" for number in range(5000))
    spans = split_sentences(line, window=1000)
    assert len(spans) > 30
    assert all(end - start <= 1000 for start, end in spans)
    assert " ".join(line[start:end] for start, end in spans).split() == line.split()


def test_a_window_never_ends_inside_quotes_or_brackets() -> None:
    """Windows of 100 characters over sentences of 73: a window ending inside the quote or the
    brackets would make pysbd split "the treaty. Then" or "the annex. Then"."""
    line = " ".join(['He said "stop the treaty. Then wait." and left (see the annex. Then more).'] * 6)
    assert split_sentences(line, window=100) == pysbd_spans(line)
    assert len(pysbd_spans(line)) == 6
