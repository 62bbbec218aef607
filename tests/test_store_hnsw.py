"""The passage index kind: exact flat search below ``HNSW_MIN_PASSAGES``, an HNSW graph above.

No model is loaded: the index is written by ``save_index`` from random unit vectors, with the
switch lowered so that a few hundred passages cross it.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from ctqa.config import MODEL_DIMENSION, ChunkSettings, RetrievalSettings
from ctqa.errors import IndexCorruptError
from ctqa.index import store
from ctqa.index.store import load_index, passage_index_kind, read_manifest, save_index
from ctqa.retrieval.hybrid import HybridRetriever
from ctqa.types import Block, Document, Passage, Section

N_PASSAGES = 300


def _corpus(n: int) -> tuple[list[Document], list[Passage]]:
    sentences = [f"Passage number {i} talks about topic {i % 17} and item {i}." for i in range(n)]
    text = "\n\n".join(sentences)
    passages, start = [], 0
    for sentence in sentences:
        end = start + len(sentence)
        passages.append(Passage("doc.txt", "Doc", "Body", "paragraph", start, end, sentence, ((start, end),)))
        start = end + 2
    document = Document(
        "doc.txt", "Doc", "doc.txt", "text", text, "0" * 64,
        sections=(Section("Body", 0, len(text)),),
        blocks=tuple(Block("paragraph", p.start, p.end, "Body") for p in passages),
    )
    return [document], passages


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, MODEL_DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _save(index_dir: Path, n: int = N_PASSAGES) -> np.ndarray:
    documents, passages = _corpus(n)
    vectors = _vectors(n)
    save_index(
        index_dir, documents=documents, passages=passages, passage_vectors=vectors,
        sentence_vectors=vectors, chunking=ChunkSettings(), skipped={},
    )
    return vectors


def test_below_the_switch_the_index_is_exact_flat(tmp_path: Path) -> None:
    assert N_PASSAGES < store.HNSW_MIN_PASSAGES
    _save(tmp_path)
    index = load_index(tmp_path)
    assert passage_index_kind(index.passage_index) == "flat"
    assert isinstance(index.passage_index, faiss.IndexFlatIP)


def test_above_the_switch_hnsw_inner_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_MIN_PASSAGES", 100)
    vectors = _save(tmp_path)
    index = load_index(tmp_path)
    passage_index = index.passage_index
    assert passage_index_kind(passage_index) == "hnsw"
    assert passage_index.metric_type == faiss.METRIC_INNER_PRODUCT
    assert passage_index.hnsw.efSearch >= store.HNSW_EF_SEARCH >= RetrievalSettings().candidates_per_retriever
    # full vectors are kept: the retriever's reconstruct_n and the builder's reconstruct work
    assert np.allclose(passage_index.reconstruct_n(0, N_PASSAGES), vectors)
    assert np.allclose(passage_index.reconstruct(7), vectors[7])
    # a stored vector finds itself first, with its cosine as score
    scores, ids = passage_index.search(vectors[:20], 10)
    assert list(ids[:, 0]) == list(range(20))
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)


def test_hnsw_recall_against_flat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_MIN_PASSAGES", 100)
    vectors = _save(tmp_path)
    queries = _vectors(30, seed=1)
    _, approximate = load_index(tmp_path).passage_index.search(queries, 10)
    exact_ids = (queries @ vectors.T).argsort(axis=1)[:, ::-1][:, :10]
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact_ids, strict=True)])
    assert recall >= 0.95  # 300 vectors, efSearch 128: the graph search is nearly exhaustive


def test_hnsw_index_keeps_the_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_MIN_PASSAGES", 100)
    _save(tmp_path)
    faiss_file = tmp_path / read_manifest(tmp_path).build_dir / "passages.faiss"
    data = faiss_file.read_bytes()
    faiss_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(tmp_path)


class _NoModel:
    dimension = MODEL_DIMENSION


def test_hybrid_retriever_dense_side_on_hnsw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_MIN_PASSAGES", 100)
    vectors = _save(tmp_path)
    retriever = HybridRetriever(load_index(tmp_path), _NoModel(), RetrievalSettings())  # type: ignore[arg-type]
    assert np.allclose(retriever.passage_vectors(np.arange(len(vectors))), vectors)
    plan = retriever.rewriter.plan("item 42", None)
    candidates = retriever.retrieve(plan, vectors[42], fusion="dense")
    assert candidates[0].passage_id == 42
    assert candidates[0].dense == pytest.approx(1.0, abs=1e-5)
