"""Sentence vectors pooled from their passage's token vectors ("late chunking").

Fast tests check the span arithmetic (``embedding.pooling.TokenVectors``) on synthetic token
vectors and offsets, and ``embed_passages`` with a stand-in embedder; the slow tests run the real
model on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctqa.config import MODEL_DIMENSION, EmbeddingSettings
from ctqa.embedding import manifest_model, model_change
from ctqa.embedding.contextual import PassageText, embed_passages
from ctqa.embedding.pooling import TokenVectors, normalise
from ctqa.index.builder import passage_text
from ctqa.types import Passage


def words_of(text: str, dim: int = 4, seed: int = 0) -> TokenVectors:
    """[CLS], one token per whitespace-separated word of ``text``, [SEP]; random vectors."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, char in enumerate(text + " "):
        if not char.isspace() and start is None:
            start = i
        elif char.isspace() and start is not None:
            spans.append((start, i))
            start = None
    offsets = np.array([(0, 0), *spans, (0, 0)], dtype=np.int64)
    special = np.array([True] + [False] * len(spans) + [True])
    vectors = np.random.default_rng(seed).standard_normal((len(offsets), dim)).astype(np.float32)
    return TokenVectors(vectors, offsets, special, truncated=False)


def test_a_span_is_the_mean_of_the_words_starting_inside_it() -> None:
    text = "The mill closed. It reopened in 1988."
    tokens = words_of(text)
    spans = [(0, 16), (17, 37)]
    vectors, pooled = tokens.span_vectors(spans)
    # words 1-3 ("The mill closed.") and 4-7; rows 0 and 8 are [CLS] and [SEP]
    np.testing.assert_allclose(vectors[0], normalise(tokens.vectors[1:4].mean(axis=0)), rtol=1e-5)
    np.testing.assert_allclose(vectors[1], normalise(tokens.vectors[4:8].mean(axis=0)), rtol=1e-5)
    assert pooled.tolist() == [True, True]
    # the text's vector is the mean over every token, [CLS] and [SEP] included (as encode gives)
    np.testing.assert_allclose(tokens.text_vector(), normalise(tokens.vectors.mean(axis=0)), rtol=1e-5)


def test_the_passage_share_is_taken_off_the_span_mean_before_normalising() -> None:
    tokens = words_of("The mill closed. It reopened in 1988.")
    vectors, _ = tokens.span_vectors([(0, 16)], passage_share=0.4)
    expected = tokens.vectors[1:4].mean(axis=0) - 0.4 * tokens.vectors.mean(axis=0)
    np.testing.assert_allclose(vectors[0], normalise(expected), rtol=1e-5)


def test_a_span_holding_no_word_piece_is_not_pooled() -> None:
    tokens = words_of("one two")
    vectors, pooled = tokens.span_vectors([(3, 4), (0, 3)])
    assert pooled.tolist() == [False, True]
    assert not vectors[0].any()


def test_spans_past_the_window_of_a_cut_text_are_not_pooled() -> None:
    full = words_of("a b c d e")
    # the model read [CLS] a b c [SEP]: the text went on
    cut = TokenVectors(
        np.concatenate([full.vectors[:4], full.vectors[-1:]]),
        np.concatenate([full.offsets[:4], full.offsets[-1:]]),
        np.array([True, False, False, False, True]),
        truncated=True,
    )
    _, pooled = cut.span_vectors([(0, 3), (4, 7), (8, 9)])
    # "a b" is whole; "c d" was cut after "c"; "e" was never read. Only "a b" is pooled: a word
    # piece read after it shows the cut came later.
    assert pooled.tolist() == [True, False, False]


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=6), min_size=1, max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=29), max_size=6),
)
def test_pooled_spans_equal_the_direct_mean_of_their_tokens(words: list[str], cuts: list[int]) -> None:
    text = " ".join(words)
    tokens = words_of(text, dim=3, seed=len(text))
    word_starts = tokens.offsets[1:-1, 0]
    # sentences: the words split at the given word numbers, each span from its first word's
    # start to its last word's end
    bounds = sorted({0, *(c for c in cuts if c < len(words)), len(words)})
    spans = [
        (int(word_starts[a]), int(tokens.offsets[1 + b - 1, 1])) for a, b in zip(bounds, bounds[1:], strict=False) if b > a
    ]
    vectors, pooled = tokens.span_vectors(spans)
    assert pooled.all()
    for (a, b), vector in zip(zip(bounds, bounds[1:], strict=False), vectors, strict=True):
        expected = normalise(tokens.vectors[1 + a : 1 + b].astype(np.float64).mean(axis=0))
        np.testing.assert_allclose(vector, expected, rtol=1e-4, atol=1e-6)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


LATE_PLAIN = EmbeddingSettings(sentence_vectors="late", late_passage_share=0.0)


class WordEmbedder:
    """Stands in for the model: a fixed random vector per word, no context."""

    backend = "onnx"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def _word(self, word: str) -> np.ndarray:
        return np.random.default_rng(sum(map(ord, word))).standard_normal(MODEL_DIMENSION).astype(np.float32)

    def token_vectors(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False):  # type: ignore[no-untyped-def]
        for number, text in enumerate(texts):
            self.encoded.append(text)
            base = words_of(text, dim=MODEL_DIMENSION)
            rows = [np.ones(MODEL_DIMENSION, np.float32)]
            rows += [self._word(text[s:e]) for s, e in base.offsets[1:-1]]
            rows.append(np.ones(MODEL_DIMENSION, np.float32))
            yield number, TokenVectors(np.array(rows), base.offsets, base.special, truncated=False)

    def encode(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        self.encoded.extend(texts)
        return normalise(np.array([np.mean([self._word(w) for w in t.split()], axis=0) for t in texts]))

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_late_sentence_vectors_run_the_model_once_per_passage() -> None:
    passages = [
        PassageText("Mill — History\nThe mill closed. It reopened.", [(15, 31), (32, 44)]),
        PassageText("Town\nA short one.", [(5, 17)]),
    ]
    embedder = WordEmbedder()
    late = embed_passages(embedder, passages, LATE_PLAIN)  # type: ignore[arg-type]
    assert embedder.encoded == [p.text for p in passages] and late.encoded == 2
    assert late.passages.shape == (2, MODEL_DIMENSION) and late.sentences.shape == (3, MODEL_DIMENSION)
    # with context-free word vectors, the pooled sentence equals the sentence encoded alone
    separate = embed_passages(WordEmbedder(), passages, EmbeddingSettings(sentence_vectors="separate"))  # type: ignore[arg-type]
    assert separate.encoded == 5
    np.testing.assert_allclose(late.sentences, separate.sentences, atol=1e-5)


def test_a_text_repeated_in_a_build_is_encoded_once_and_every_row_gets_its_vector() -> None:
    passages = [
        PassageText("Footer line. The mill closed.", [(0, 12), (13, 29)]),
        PassageText("Footer line. The mill reopened.", [(0, 12), (13, 31)]),
        PassageText("Footer line. The mill closed.", [(0, 12), (13, 29)]),
    ]
    embedder = WordEmbedder()
    separate = embed_passages(embedder, passages, EmbeddingSettings(sentence_vectors="separate"))  # type: ignore[arg-type]
    # 3 passages + 6 sentences, of which 2 passages and 3 sentences are distinct
    assert separate.encoded == 5 and len(embedder.encoded) == 5 and len(set(embedder.encoded)) == 5
    assert separate.passages.shape == (3, MODEL_DIMENSION) and separate.sentences.shape == (6, MODEL_DIMENSION)
    np.testing.assert_array_equal(separate.passages[0], separate.passages[2])
    np.testing.assert_array_equal(separate.sentences[0], separate.sentences[2])
    np.testing.assert_allclose(separate.sentences[3], WordEmbedder().encode(["The mill reopened."])[0], atol=1e-6)
    assert not np.allclose(separate.sentences[1], separate.sentences[3])


def test_passage_text_places_sentence_spans_after_the_header() -> None:
    text = "Intro words. The mill closed in 1988."
    passage = Passage(
        doc_id="doc", title="Mills", section="History", kind="paragraph",
        start=100, end=100 + len(text), text=text, sentences=((100, 112), (113, 100 + len(text))),
    )
    read = passage_text(passage)
    assert read.text.endswith("\n" + text)
    assert [read.text[s:e] for s, e in read.sentences] == ["Intro words.", "The mill closed in 1988."]


def test_the_sentence_vector_method_is_in_the_manifest_and_a_change_makes_the_index_stale() -> None:
    late = manifest_model(EmbeddingSettings(sentence_vectors="late", late_passage_share=0.4))
    separate = manifest_model(EmbeddingSettings(sentence_vectors="separate"))
    assert late["sentence_vectors"] == "late, passage share 0.4"
    assert model_change(late, separate) == (
        "sentence vectors made late, passage share 0.4, the settings ask for separate "
        "(EmbeddingSettings.sentence_vectors)"
    )
    other_share = manifest_model(EmbeddingSettings(sentence_vectors="late", late_passage_share=0.25))
    assert "passage share 0.25" in (model_change(late, other_share) or "")
    # a manifest without the entry encoded each sentence on its own
    older = {k: v for k, v in separate.items() if k != "sentence_vectors"}
    assert model_change(older, separate) is None and model_change(older, late)
    with pytest.raises(ValueError, match="sentence_vectors must be one of separate, late, not 'early'"):
        EmbeddingSettings(sentence_vectors="early")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="late_passage_share must be at least 0 and below 1, not 1.5"):
        EmbeddingSettings(late_passage_share=1.5)


# -- the real model (slow) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def article_passages() -> list[PassageText]:
    from conftest import ARTICLE_PATH
    from ctqa.chunking import chunk_documents
    from ctqa.config import ChunkSettings
    from ctqa.ingest.loader import load_document

    document = load_document(ARTICLE_PATH, ARTICLE_PATH.parent)
    passages = chunk_documents([document], ChunkSettings(), lambda text: len(text.split()))
    texts = [passage_text(p) for p in passages[:12]]
    # one passage longer than the 256-piece window: its last sentences are encoded alone
    long_text = " ".join(f"Sentence number {n} says the mill at Aldbury ground wheat for the town." for n in range(40))
    spans, start = [], 0
    for _n in range(40):
        end = long_text.index(".", start) + 1
        spans.append((start, end))
        start = end + 1
    return [*texts, PassageText(long_text, spans)]


@pytest.mark.slow
def test_late_vectors_agree_between_onnx_and_torch_and_keep_the_passage_vectors(
    article_passages: list[PassageText],
) -> None:
    from ctqa.embedding import make_embedder

    onnx = make_embedder(EmbeddingSettings(backend="onnx"))
    torch = make_embedder(EmbeddingSettings(backend="torch"))
    late = EmbeddingSettings(sentence_vectors="late", sentence_precision="fp32")  # torch runs fp32 only
    onnx_late = embed_passages(onnx, article_passages, late)
    torch_late = embed_passages(torch, article_passages, late)
    np.testing.assert_allclose(onnx_late.passages, torch_late.passages, atol=1e-5)
    np.testing.assert_allclose(onnx_late.sentences, torch_late.sentences, atol=1e-5)
    # the passage vectors are encode's, whichever way the sentences are made
    np.testing.assert_allclose(onnx_late.passages, onnx.encode([p.text for p in article_passages]), atol=1e-6)
    # sentences past the window of the long passage were encoded on their own
    sentences = [p.text[s:e] for p in article_passages for s, e in p.sentences]
    assert len(article_passages) < onnx_late.encoded < len(article_passages) + 40
    alone = onnx.encode(sentences[-3:])
    np.testing.assert_allclose(onnx_late.sentences[-3:], alone, atol=1e-6)
    # pooled sentences are unit vectors that differ from the sentence read alone
    cosines = np.sum(onnx_late.sentences[:-40] * onnx.encode(sentences[:-40]), axis=1)
    assert np.allclose(np.linalg.norm(onnx_late.sentences, axis=1), 1.0, atol=1e-5)
    assert cosines.min() > 0.3 and cosines.mean() < 0.999
