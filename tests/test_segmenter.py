"""``ctqa.segmenter`` gives pysbd's own sentences, and so ``chunking.split_sentences`` its own
spans, on texts that exercise each abbreviation rule, quotes, brackets, lists and long lines."""

from __future__ import annotations

import pysbd
import pytest

from conftest import ARTICLE_NAME, CORPUS_DIR
from ctqa import chunking
from ctqa.segmenter import english_segmenter

TEXTS = [
    # prepositive titles, number abbreviations (No., pp., Art.), plain ones (approx., Corp.)
    "Dr. Smith met Mr. Jones and Mrs. Lee at 5 p.m. on Jan. 5. They spoke for approx. two hours.",
    "See No. 5 and pp. 12-14 of Art. 3. The court agreed. Capt. Hook and Gen. Lee left.",
    "Acme Corp. and its co. founder sold Co. shares. CO. staff left. The co. grew, e.g. in Ohio.",
    "The U.S. army moved. The U.S. Army moved. He lives in the U.K. He left the E.U. in 2020.",
    "Prof. Ng (Stanford Univ.) said: \"It works. It scales.\" Then he left. Fig. 3 shows it.",
    "Values rose (see Table 2. and Fig. 3.). The mean was 0.5 ± 0.1 (p < 0.05). All agreed.",
    "“Stop,” she said. “Now.” He stopped. ‘Why?’ he asked. [See ref. 4.] No reply came.",
    "1. First item. 2. Second item. a) one b) two. i. roman ii. also.",
    "He said... nothing. Wait . . . what? Really?! Yes! Mt. Everest vs. Mt. Fuji at 3 a.m. today.",
    "The Kelvin sign: 300 \u212a. Long s: the mſ. case and ms. Lee. Ms. Lee agreed. {al} Then. al. too.",
    # "ſ" matches "s" ignoring case: "mſ." is the abbreviation "ms" (pysbd finds it by regex)
    "The mſ. file and the msg log. Then a new line.",
    "Nos. 4 and 5 were late. nos. 6 too. Ave. B is closed. ave. C is open. St. Louis is far.",
    "Türkiye’s capital is Ankara. Its café serves naïve résumé writers, Dr. Öz said. D.Phil. holders agree.",
    " ".join(f"Sentence {n} mentions Dr. Who, approx. {n} items (No. {n}) and e.g. co. work." for n in range(60)),
]


@pytest.fixture(scope="module")
def stock() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _article_lines() -> list[str]:
    text = (CORPUS_DIR / ARTICLE_NAME).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("text", TEXTS)
def test_sentences_equal_pysbd(stock: pysbd.Segmenter, text: str) -> None:
    expected = stock.processor(text).process()
    assert english_segmenter().processor(text).process() == expected


def test_sentences_equal_pysbd_on_the_article(stock: pysbd.Segmenter) -> None:
    lines = _article_lines()
    assert len(lines) > 20
    fast = english_segmenter()
    for line in lines:
        assert fast.processor(line).process() == stock.processor(line).process()


def test_abbreviations_are_still_protected() -> None:
    # not a comparison: the rules really run (a replacer doing nothing would fail here)
    text = "Dr. Smith met Mr. Jones and Mrs. Lee at 5 p.m. on Jan. 5. They spoke for two hours."
    sentences = english_segmenter().processor(text).process()
    assert [s.strip() for s in sentences] == [
        "Dr. Smith met Mr. Jones and Mrs. Lee at 5 p.m. on Jan. 5.",
        "They spoke for two hours.",
    ]


def test_split_sentences_spans_equal_the_stock_segmenter(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*TEXTS, "\n".join(TEXTS), " ".join(_article_lines())]
    fast = [chunking.split_sentences(text, 7) for text in texts]
    monkeypatch.setattr(chunking, "_segmenter", lambda: pysbd.Segmenter(language="en", clean=False))
    assert fast == [chunking.split_sentences(text, 7) for text in texts]
    assert len(fast[-1]) > 50  # the article as one long line goes through several windows
