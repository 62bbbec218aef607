"""Sentence vectors at their own precision (``EmbeddingSettings.sentence_precision``).

Fast tests use stand-in embedders; the slow ones run the real fp32 and int8 models.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ctqa
import ctqa.embedding
from ctqa.answering.overview import _pool_vectors
from ctqa.config import MODEL_DIMENSION, EmbeddingSettings, Settings, with_embedding
from ctqa.embedding import manifest_model, model_change, rescoring_embedder, sentence_embedder
from ctqa.embedding.contextual import PassageText, embed_passages
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import read_manifest
from ctqa.retrieval.hybrid import Candidate
from ctqa.types import Passage

PASSAGES = [
    PassageText("Mill — History\nThe mill closed. It reopened.", [(15, 31), (32, 44)]),
    PassageText("Town\nA short one.", [(5, 17)]),
]


class LengthEmbedder:
    """Stands in for the model at one precision: records the texts it encodes; a text's vector
    is the unit vector of its length (and the precision's sign, so the two are told apart)."""

    backend = "onnx"
    dimension = MODEL_DIMENSION

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.encoded: list[str] = []

    def encode(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        self.encoded.extend(texts)
        vectors = np.zeros((len(texts), MODEL_DIMENSION), np.float32)
        for row, text in enumerate(texts):
            vectors[row, len(text) % MODEL_DIMENSION] = 1.0 if self.precision == "fp32" else -1.0
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@pytest.fixture
def int8_model(monkeypatch: pytest.MonkeyPatch) -> list[LengthEmbedder]:
    """``shared_embedder`` replaced: each call gives a new int8 stand-in (listed, in order)."""
    made: list[LengthEmbedder] = []

    def shared(settings: EmbeddingSettings | None = None) -> LengthEmbedder:
        assert settings is not None and settings.precision == "int8"
        made.append(LengthEmbedder("int8"))
        return made[-1]

    monkeypatch.setattr(ctqa.embedding, "shared_embedder", shared)
    return made


def test_the_setting_is_checked_and_defaults_to_the_precision() -> None:
    with pytest.raises(ValueError, match=r"sentence precision must be one of fp32, int8, not 'int4'"):
        EmbeddingSettings(sentence_precision="int4")  # type: ignore[arg-type]
    assert EmbeddingSettings(precision="int8", sentence_precision=None).sentence_vector_precision == "int8"
    # the default: fp32 throughout (docs/embedding.md, "Sentence precision")
    assert (EmbeddingSettings().precision, EmbeddingSettings().sentence_vector_precision) == ("fp32", "fp32")
    assert EmbeddingSettings(precision="fp32", sentence_precision="int8").sentence_vector_precision == "int8"
    assert EmbeddingSettings(precision="int8", sentence_precision="fp32").sentence_vector_precision == "fp32"
    # torch runs fp32 only, whatever the sentence precision says
    assert EmbeddingSettings(backend="torch", sentence_precision="int8").sentence_vector_precision == "fp32"
    changed = with_embedding(Settings(), sentence_precision="fp32").embedding
    assert changed.sentence_precision == "fp32" and changed.precision == Settings().embedding.precision


def test_sentence_precision_is_in_the_manifest_and_a_change_makes_the_index_stale() -> None:
    int8_sentences = manifest_model(EmbeddingSettings(precision="fp32", sentence_precision="int8"))
    fp32 = manifest_model(EmbeddingSettings(precision="fp32", sentence_precision="fp32"))
    assert int8_sentences["precision"] == "fp32" and int8_sentences["sentence_precision"] == "int8"
    assert model_change(int8_sentences, int8_sentences) is None
    assert model_change(int8_sentences, fp32) == (
        "sentence vectors embedded at int8, the settings ask for fp32 (--sentence-precision)"
    )
    # a manifest without the entry embedded its sentences at its precision
    older = {k: v for k, v in fp32.items() if k != "sentence_precision"}
    assert model_change(older, fp32) is None
    assert model_change(older, int8_sentences) == (
        "sentence vectors embedded at fp32, the settings ask for int8 (--sentence-precision)"
    )
    older_int8 = {**older, "precision": "int8"}
    assert model_change(older_int8, manifest_model(EmbeddingSettings(precision="int8"))) is None


def test_sentences_go_to_the_model_of_their_precision_passages_stay(int8_model: list[LengthEmbedder]) -> None:
    fp32 = LengthEmbedder("fp32")
    vectors = embed_passages(fp32, PASSAGES, EmbeddingSettings(precision="fp32", sentence_precision="int8"))  # type: ignore[arg-type]
    sentences = [p.text[s:e] for p in PASSAGES for s, e in p.sentences]
    assert fp32.encoded == [p.text for p in PASSAGES]
    assert len(int8_model) == 1 and int8_model[0].encoded == sentences
    assert vectors.encoded == 5
    assert (vectors.passages.sum(axis=1) == 1.0).all() and (vectors.sentences.sum(axis=1) == -1.0).all()
    # the same precision: one model, one call, no other model loaded
    same = embed_passages(fp32, PASSAGES, EmbeddingSettings(precision="fp32", sentence_precision="fp32"))  # type: ignore[arg-type]
    assert len(int8_model) == 1 and (same.sentences.sum(axis=1) == 1.0).all()
    assert sentence_embedder(fp32, EmbeddingSettings(precision="fp32", sentence_precision=None)) is fp32  # type: ignore[arg-type]


def test_late_sentences_encoded_alone_use_the_sentence_precision(int8_model: list[LengthEmbedder]) -> None:
    from ctqa.embedding.pooling import TokenVectors

    class CutEmbedder(LengthEmbedder):
        """Token vectors that read no sentence whole (a window cut before the first)."""

        def token_vectors(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False):  # type: ignore[no-untyped-def]
            for number in range(len(texts)):
                offsets = np.array([[0, 0], [0, 4], [0, 0]], np.int64)
                vectors = np.ones((3, MODEL_DIMENSION), np.float32)
                yield number, TokenVectors(vectors, offsets, np.array([True, False, True]), truncated=True)

    fp32 = CutEmbedder("fp32")
    late = EmbeddingSettings(sentence_vectors="late", precision="fp32", sentence_precision="int8")
    vectors = embed_passages(fp32, PASSAGES, late)  # type: ignore[arg-type]
    assert fp32.encoded == [] and len(int8_model) == 1 and len(int8_model[0].encoded) == 3
    assert (vectors.sentences.sum(axis=1) == -1.0).all()


def test_an_index_with_sentences_of_another_precision_is_stale_and_rebuilt(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Notes\n\nThe mill was restored in 1988 by the town.\n", encoding="utf-8")
    index = tmp_path / "index"
    embedder = LengthEmbedder("int8")
    int8_sentences = Settings(embedding=EmbeddingSettings(precision="int8", sentence_precision="int8"))
    ctqa.DocumentQA(corpus, index, embedder=embedder, settings=int8_sentences).build()  # type: ignore[arg-type]
    assert read_manifest(index).model["sentence_precision"] == "int8"
    fp32_sentences = EmbeddingSettings(precision="int8", sentence_precision="fp32")
    assert staleness_reasons(index, corpus, Settings().chunk, fp32_sentences) == [
        "sentence vectors embedded at int8, the settings ask for fp32 (--sentence-precision)"
    ]
    assert staleness_reasons(index, corpus, Settings().chunk, int8_sentences.embedding) == []


def test_cli_refuses_an_unknown_sentence_precision(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ctqa.cli import app

    result = CliRunner().invoke(app, ["index", "--corpus", str(tmp_path), "--sentence-precision", "int4"])
    assert result.exit_code == 2
    assert "sentence precision must be one of fp32, int8, not 'int4'" in result.output


# -- the real models (slow) ------------------------------------------------------------------


def _article_passages() -> list[PassageText]:
    from conftest import ARTICLE_PATH
    from ctqa.chunking import chunk_documents
    from ctqa.config import ChunkSettings
    from ctqa.index.builder import passage_text
    from ctqa.ingest.loader import load_document

    document = load_document(ARTICLE_PATH, ARTICLE_PATH.parent)
    return [passage_text(p) for p in chunk_documents([document], ChunkSettings(), lambda text: len(text.split()))[:20]]


@pytest.mark.slow
def test_int8_sentence_vectors_agree_with_fp32_and_passages_are_unchanged() -> None:
    from ctqa.embedding import make_embedder

    article_passages = _article_passages()
    fp32 = make_embedder(EmbeddingSettings(precision="fp32"))
    mixed = embed_passages(fp32, article_passages, EmbeddingSettings(precision="fp32", sentence_precision="int8"))
    plain = embed_passages(fp32, article_passages, EmbeddingSettings(precision="fp32", sentence_precision="fp32"))
    np.testing.assert_allclose(mixed.passages, plain.passages, atol=1e-6)
    cosines = np.sum(mixed.sentences * plain.sentences, axis=1)
    assert len(cosines) > 40
    assert cosines.min() > 0.97 and cosines.mean() > 0.99
    assert cosines.mean() < 0.99999  # the sentences did come from the int8 model


@pytest.mark.slow
def test_a_question_loads_one_model(tmp_path: Path) -> None:
    """An index with int8 sentence vectors answers from a fresh process that loads only the fp32
    model (the sentence precision's model is needed at build time only)."""
    from conftest import ARTICLE_PATH, last_line_of_python

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / ARTICLE_PATH.name).write_text(ARTICLE_PATH.read_text(encoding="utf-8")[:6000], encoding="utf-8")
    settings = "ctqa.config.Settings(embedding=ctqa.config.EmbeddingSettings(precision='fp32', sentence_precision='int8'))"
    build = f"import ctqa, ctqa.config\nctqa.DocumentQA({str(corpus)!r}, {str(tmp_path / 'index')!r}, settings={settings}).build()\n"
    subprocess.run([sys.executable, "-c", build], capture_output=True, text=True, timeout=600, check=True)
    script = (
        "import ctqa, ctqa.config, ctqa.embedding\n"
        f"qa = ctqa.DocumentQA({str(corpus)!r}, {str(tmp_path / 'index')!r}, settings={settings}, auto_build=False)\n"
        "qa.ask('What does the Department of Justice do?')\n"
        "print(ctqa.embedding._shared.cache_info().currsize, qa.embedder.precision)\n"
    )
    assert last_line_of_python(script) == "1 fp32"


def test_the_overview_rescores_with_fp32_only_when_the_index_holds_int8(int8_model: list[LengthEmbedder]) -> None:
    fp32, int8 = LengthEmbedder("fp32"), LengthEmbedder("int8")
    # every vector already at fp32 (or torch, fp32 only), or rescoring off: the stored vectors
    assert rescoring_embedder(fp32, EmbeddingSettings(precision="fp32", sentence_precision="fp32"), "fp32") is None  # type: ignore[arg-type]
    assert rescoring_embedder(fp32, EmbeddingSettings(backend="torch"), "fp32") is None  # type: ignore[arg-type]
    assert rescoring_embedder(int8, EmbeddingSettings(precision="int8"), None) is None  # type: ignore[arg-type]
    # int8 sentences, fp32 questions: the question's own model re-embeds, nothing more is loaded
    assert rescoring_embedder(fp32, EmbeddingSettings(precision="fp32", sentence_precision="int8"), "fp32") is fp32  # type: ignore[arg-type]
    assert int8_model == []


def test_int8_everywhere_loads_the_fp32_model_for_the_overview(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[EmbeddingSettings] = []

    def shared(settings: EmbeddingSettings | None = None) -> LengthEmbedder:
        assert settings is not None
        asked.append(settings)
        return LengthEmbedder(settings.precision)

    monkeypatch.setattr(ctqa.embedding, "shared_embedder", shared)
    int8 = LengthEmbedder("int8")
    rescoring = rescoring_embedder(int8, EmbeddingSettings(precision="int8", query_threads=1), "fp32")  # type: ignore[arg-type]
    assert isinstance(rescoring, LengthEmbedder) and rescoring.precision == "fp32"
    assert asked == [EmbeddingSettings(precision="fp32", sentence_precision=None, query_threads=1)]


class _Index:
    """The parts of an index the overview's pool reads: passages, sentence rows and vectors."""

    def __init__(self) -> None:
        self.passages = [
            Passage("d", "T", "", "paragraph", 0, 9, "One. Two.", ((0, 4), (5, 9))),
            Passage("d", "T", "", "paragraph", 10, 16, "Three.", ((10, 16),)),
        ]
        self.sentence_offsets = np.array([0, 2, 3])
        self.sentence_vectors = np.eye(3, MODEL_DIMENSION, dtype=np.float32)


def test_the_pool_reads_stored_vectors_or_re_embeds_question_and_sentences() -> None:
    index = _Index()
    pool = [Candidate(1, 0.9, 1.0, 1.0, 1.0), Candidate(0, 0.5, 0.5, 0.5, 0.5)]
    query = np.ones(MODEL_DIMENSION, np.float32)
    stored, question = _pool_vectors(pool, index, query, "asked", None)  # type: ignore[arg-type]
    assert question is query
    np.testing.assert_array_equal(stored[0], index.sentence_vectors[:2])
    np.testing.assert_array_equal(stored[1], index.sentence_vectors[2:3])
    fp32 = LengthEmbedder("fp32")
    fresh, question = _pool_vectors(pool, index, query, "asked", fp32.encode)  # type: ignore[arg-type]
    # one call: the question, then the pool's sentences in pool order, verbatim
    assert fp32.encoded == ["asked", "Three.", "One.", "Two."]
    assert question[len("asked")] == 1.0
    assert [int(np.argmax(fresh[1][0])), int(np.argmax(fresh[0][0])), int(np.argmax(fresh[0][1]))] == [6, 4, 4]
