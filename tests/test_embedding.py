"""The embedding backends: ONNX export cache, pooling, settings, manifest and vector agreement.

Fast tests use a stand-in exporter (bytes written by the test) or a stand-in embedder; the tests
that load the real model (torch and ONNX) are marked slow.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest

import ctqa
from conftest import ARTICLE_PATH, BuiltArticle, last_line_of_python
from ctqa.config import MODEL_DIMENSION, EmbeddingSettings, Settings, with_embedding
from ctqa.embedding import export as export_module
from ctqa.embedding import make_embedder, manifest_model, model_change
from ctqa.embedding.export import INPUT_NAMES, ensure_export, export_dir, onnx_file, verified_bytes
from ctqa.embedding.onnx_backend import OnnxEmbedder, mean_pool_normalise
from ctqa.errors import IndexStaleError
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import read_manifest

# -- settings -------------------------------------------------------------------------------


def test_unknown_precision_or_backend_is_refused_naming_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"precision must be one of fp32, int8, not 'int4'"):
        EmbeddingSettings(precision="int4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"backend must be one of onnx, torch, not 'tf'"):
        with_embedding(Settings(), backend="tf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision int8 needs backend onnx"):
        EmbeddingSettings(backend="torch", precision="int8")
    with pytest.raises(ValueError, match="query_threads must be at least 1"):
        EmbeddingSettings(query_threads=0)


def test_with_embedding_replaces_only_what_is_given() -> None:
    base = Settings()
    assert with_embedding(base) is base
    changed = with_embedding(base, precision="int8")
    assert changed.embedding.precision == "int8" and changed.embedding.backend == base.embedding.backend
    assert changed.chunk == base.chunk and changed.answer == base.answer


# -- pooling --------------------------------------------------------------------------------


def test_mean_pooling_ignores_padding_and_normalises() -> None:
    tokens = np.array([[[3.0, 4.0], [1.0, 0.0], [100.0, 100.0]], [[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]], np.float32)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    pooled = mean_pool_normalise(tokens, mask)
    # row 0: mean of (3,4) and (1,0) = (2,2) -> (0.7071, 0.7071); the padded (100,100) is ignored
    np.testing.assert_allclose(pooled, [[2**-0.5, 2**-0.5], [0.0, 1.0]], rtol=1e-6)
    assert pooled.dtype == np.float32


# -- manifest -------------------------------------------------------------------------------


def test_model_change_names_both_backends_and_precisions() -> None:
    int8 = manifest_model(EmbeddingSettings(backend="onnx", precision="int8"))
    fp32 = manifest_model(EmbeddingSettings(backend="onnx", precision="fp32"))
    assert model_change(int8, int8) is None
    assert model_change(int8, fp32) == (
        "embedded with onnx int8, the settings ask for onnx fp32 (--backend / --precision)"
    )
    # a manifest written before backend and precision were recorded was built by torch at fp32
    old = {"name": int8["name"], "dimension": MODEL_DIMENSION}
    assert model_change(old, manifest_model(EmbeddingSettings(backend="torch"))) is None
    assert "embedded with torch fp32" in (model_change(old, int8) or "")
    assert "built with model" in (model_change({**int8, "dimension": 768}, int8) or "")


class HashEmbedder:
    """Stands in for the model: unit vectors seeded by each text's sha256."""

    dimension = MODEL_DIMENSION

    def encode(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:16], 16)).standard_normal(384)
                for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), MODEL_DIMENSION)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_index_of_another_precision_is_stale_and_rebuilt(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Notes\n\nThe mill was restored in 1988 by the town.\n", encoding="utf-8")
    index = tmp_path / "index"
    embedder = HashEmbedder()
    ctqa.DocumentQA(corpus, index, embedder=embedder, precision="int8").build()  # type: ignore[arg-type]
    assert read_manifest(index).model == manifest_model(EmbeddingSettings(precision="int8"))
    fp32 = EmbeddingSettings(precision="fp32")
    assert staleness_reasons(index, corpus, Settings().chunk, fp32) == [
        "embedded with onnx int8, the settings ask for onnx fp32 (--backend / --precision)"
    ]
    assert staleness_reasons(index, corpus, Settings().chunk, EmbeddingSettings(precision="int8")) == []
    strict = ctqa.DocumentQA(corpus, index, embedder=embedder, precision="fp32", auto_build=False)  # type: ignore[arg-type]
    with pytest.raises(IndexStaleError, match="embedded with onnx int8"):
        strict.ensure_ready()
    rebuilding = ctqa.DocumentQA(corpus, index, embedder=embedder, precision="fp32")  # type: ignore[arg-type]
    rebuilding.ensure_ready()
    assert rebuilding.last_build is not None and rebuilding.last_build.embedded > 0  # no int8 vector reused
    assert read_manifest(index).model["precision"] == "fp32"


# -- export cache ---------------------------------------------------------------------------


@pytest.fixture
def fake_export(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Replace the torch export with one writing b"onnx-<n>"; returns the bytes written, in order."""
    written: list[bytes] = []

    def export_fp32(model_dir: Path, target: Path) -> None:
        written.append(f"onnx-{len(written)}".encode())
        target.write_bytes(written[-1])

    monkeypatch.setattr(export_module, "export_fp32", export_fp32)
    monkeypatch.setattr(export_module, "_source_record", lambda: {"source": "test"})
    return written


def test_export_is_cached_with_its_checksum_and_reused(tmp_path: Path, fake_export: list[bytes]) -> None:
    path, data = ensure_export("fp32", tmp_path, tmp_path / "cache")
    assert data == b"onnx-0" and path.read_bytes() == data
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["sha256"] == hashlib.sha256(b"onnx-0").hexdigest()
    assert ensure_export("fp32", tmp_path, tmp_path / "cache") == (path, b"onnx-0")
    assert fake_export == [b"onnx-0"]  # exported once


@pytest.mark.parametrize("damage", ["edit", "truncate", "drop_record"])
def test_a_damaged_export_is_exported_again_never_used(tmp_path: Path, fake_export: list[bytes], damage: str) -> None:
    path, _ = ensure_export("fp32", tmp_path, tmp_path / "cache")
    if damage == "edit":
        path.write_bytes(b"onnx-X")
    elif damage == "truncate":
        path.write_bytes(b"onn")
    else:
        path.with_suffix(".json").unlink()
    assert verified_bytes(path) is None
    again, data = ensure_export("fp32", tmp_path, tmp_path / "cache")
    assert again == path and data == b"onnx-1" == path.read_bytes()
    assert verified_bytes(path) == b"onnx-1"


def test_an_interrupted_export_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(model_dir: Path, target: Path) -> None:
        target.write_bytes(b"half a mod")
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "export_fp32", killed)
    monkeypatch.setattr(export_module, "_source_record", lambda: {"source": "test"})
    with pytest.raises(KeyboardInterrupt):
        ensure_export("fp32", tmp_path, tmp_path / "cache")
    folder = export_dir(tmp_path / "cache")
    assert not onnx_file(folder, "fp32").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["export.lock"]  # no temporary file left


def test_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTQA_MODEL_CACHE", str(tmp_path / "models"))
    assert export_dir().parent == tmp_path / "models"
    monkeypatch.delenv("CTQA_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert export_dir().parent == tmp_path / "xdg" / "ctqa" / "models"


# -- the real model -------------------------------------------------------------------------


def _texts() -> list[str]:
    article = ARTICLE_PATH.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in article.split("\n\n") if len(p.strip()) > 40]
    # short and long (one past 256 word pieces, so truncation is compared too), and a question
    return paragraphs[:40] + [article[:5000], "What does WMD stand for?", "NATO"]


@pytest.mark.slow
def test_onnx_vectors_agree_with_torch() -> None:
    texts = _texts()
    reference = make_embedder(EmbeddingSettings(backend="torch"))
    torch_vectors = reference.encode(texts)
    fp32 = make_embedder(EmbeddingSettings(backend="onnx", precision="fp32"))
    int8 = make_embedder(EmbeddingSettings(backend="onnx", precision="int8"))
    fp32_cosines = np.sum(torch_vectors * fp32.encode(texts), axis=1)
    int8_cosines = np.sum(torch_vectors * int8.encode(texts), axis=1)
    assert fp32_cosines.min() > 0.99999
    assert int8_cosines.min() > 0.97 and int8_cosines.mean() > 0.99
    # one text alone (the question path, its own thread count) gives the batch's vector
    np.testing.assert_allclose(fp32.encode(texts[-2:-1])[0], fp32.encode(texts)[-2], atol=1e-5)
    assert [fp32.count_tokens(t) for t in texts] == [reference.count_tokens(t) for t in texts]
    assert fp32.count_tokens(texts[-3]) > 256


@pytest.mark.slow
def test_answering_with_onnx_never_imports_torch(article_index: BuiltArticle) -> None:
    """A fresh process answers from the built index through ONNX Runtime alone."""
    script = (
        "import sys, ctqa\n"
        f"qa = ctqa.DocumentQA({str(article_index.corpus_dir)!r}, {str(article_index.index_dir)!r}, auto_build=False)\n"
        "answer = qa.ask('How many task forces does the Department of Justice have?')\n"
        "print(answer.abstained, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    assert last_line_of_python(script) == "False []"


@pytest.mark.parametrize("command", ["index", "ask"])
def test_cli_refuses_an_unknown_precision_with_the_allowed_values(tmp_path: Path, command: str) -> None:
    from typer.testing import CliRunner

    from ctqa.cli import app

    args = [command, *(["What is it?"] if command == "ask" else []), "--corpus", str(tmp_path), "--precision", "int4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "precision must be one of fp32, int8, not 'int4'" in result.output
    assert not (tmp_path / ".ctqa-index").exists()  # refused before anything is written


class _BlockingSession:
    """Stands in for an ONNX Runtime session: a batch of more than one text (a build's) waits
    until a question has been answered, as a long build would still be running."""

    def __init__(self) -> None:
        self.build_running = threading.Event()
        self.question_done = threading.Event()

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feeds[INPUT_NAMES[0]]
        if len(ids) > 1:
            self.build_running.set()
            self.question_done.wait(timeout=10)
        return [np.ones((*ids.shape, MODEL_DIMENSION), np.float32)]


def test_a_question_is_embedded_while_a_build_is_still_embedding() -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel({"[UNK]": 0, "word": 1}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    embedder = OnnxEmbedder.__new__(OnnxEmbedder)
    embedder.settings = EmbeddingSettings()
    embedder._encoder = tokenizer
    embedder._lock = threading.Lock()
    session = _BlockingSession()
    embedder._sessions = {2: session}  # type: ignore[dict-item]
    build = threading.Thread(target=embedder.encode, args=(["word word"] * 64,))
    build.start()
    assert session.build_running.wait(timeout=10)
    answered: list[np.ndarray] = []
    question = threading.Thread(target=lambda: answered.append(embedder.encode(["word"])))
    question.start()
    question.join(timeout=5)
    # the question was answered while the build's first batch was still running
    assert not question.is_alive() and answered[0].shape == (1, MODEL_DIMENSION)
    session.question_done.set()
    build.join(timeout=10)
    assert not build.is_alive()
