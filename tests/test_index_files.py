"""How a load verifies the build's files, and the staleness check the corpus files: size and
modification time against the manifest's record, a full sha256 only when they differ (or with
``full_check``), so an untouched index is not read whole on every load and a changed file is
still caught. And the passages saved as arrays (``ctqa.index.passage_table``).

No model is loaded: the article is saved with random unit vectors (``test_derived_state``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import ARTICLE_NAME, CORPUS_DIR
from ctqa.chunking import chunk_documents
from ctqa.config import ChunkSettings
from ctqa.errors import IndexCorruptError
from ctqa.index import builder, document_table, passage_table, store
from ctqa.index.builder import staleness_reasons
from ctqa.index.document_table import DocumentTable
from ctqa.index.file_rows import FileRows
from ctqa.index.passage_table import PassageTable
from ctqa.index.store import MANIFEST, load_index, read_manifest
from ctqa.ingest.loader import load_corpus
from ctqa.qa import DocumentQA
from ctqa.types import Passage
from test_derived_state import _HashEmbedder, _save_article


@pytest.fixture()
def index_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    _save_article(CORPUS_DIR, folder)
    return folder


def _hashed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files ``store`` hashes from now on."""
    hashed: list[str] = []
    real = hashlib.file_digest

    def counting(stream, digest):  # type: ignore[no-untyped-def]
        hashed.append(Path(stream.name).name)
        return real(stream, digest)

    monkeypatch.setattr(store.hashlib, "file_digest", counting)
    return hashed


def _build(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir).build_dir


def test_the_manifest_records_size_and_time_of_every_file(index_dir: Path) -> None:
    manifest = read_manifest(index_dir)
    assert set(manifest.artifact_stats) == set(manifest.artifacts) == store.BUILD_FILES
    for name, (size, mtime_ns) in manifest.artifact_stats.items():
        stat = (_build(index_dir) / name).stat()
        assert (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def test_an_untouched_index_is_loaded_without_hashing(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = _hashed_files(monkeypatch)
    index = load_index(index_dir)
    assert hashed == []
    assert index.passage_index.ntotal == len(index.passages) > 20
    load_index(index_dir, full_check=True)
    assert sorted(hashed) == sorted(store.BUILD_FILES)


def test_a_copy_with_new_times_is_hashed_and_loads(index_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy, copy_function=shutil.copyfile)  # contents only, new times
    hashed = _hashed_files(monkeypatch)
    index = load_index(copy)
    assert sorted(hashed) == sorted(store.BUILD_FILES)
    assert [p.text for p in index.passages] == [p.text for p in load_index(index_dir).passages]


def test_an_edit_of_the_same_size_fails_its_checksum(index_dir: Path) -> None:
    path = _build(index_dir) / "sentences.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"sentences\.npy does not match its checksum.*run `ctqa index`"):
        load_index(index_dir)


def test_an_edit_that_keeps_size_and_time_is_caught_by_a_full_check(index_dir: Path) -> None:
    path = _build(index_dir) / "bm25_data.npy"
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    load_index(index_dir)  # the fast check trusts size and time: ctqa never edits a build in place
    with pytest.raises(IndexCorruptError, match=r"bm25_data\.npy does not match its checksum"):
        load_index(index_dir, full_check=True)


def test_a_truncated_file_is_corrupt(index_dir: Path) -> None:
    path = _build(index_dir) / "passages.faiss"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match=r"passages\.faiss does not match its checksum"):
        load_index(index_dir)


def test_a_manifest_without_recorded_times_hashes_every_file(index_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["artifact_stats"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    hashed = _hashed_files(monkeypatch)
    assert len(load_index(index_dir).passages) > 20
    assert sorted(hashed) == sorted(store.BUILD_FILES)


def test_recorded_times_of_the_wrong_kind_make_the_manifest_corrupt(index_dir: Path) -> None:
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["artifact_stats"] = ["not", "an", "object"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="artifact_stats"):
        load_index(index_dir)


# -- passages saved as arrays (ctqa.index.passage_table) -------------------------------------------


def _rewrite(index_dir: Path, name: str, data: bytes) -> None:
    """Replace one build file and its manifest record (checksum, size, time): a consistent edit."""
    path = _build(index_dir) / name
    path.write_bytes(data)
    manifest_path = index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["artifacts"][name] = hashlib.sha256(data).hexdigest()
    stat = path.stat()
    manifest["artifact_stats"][name] = [stat.st_size, stat.st_mtime_ns]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def _article_passages() -> list[Passage]:
    return chunk_documents(load_corpus(CORPUS_DIR).documents, ChunkSettings())


def test_passages_read_back_equal_to_those_saved(index_dir: Path) -> None:
    saved = _article_passages()
    loaded = load_index(index_dir).passages
    assert isinstance(loaded, PassageTable)
    assert len(loaded) == len(saved) > 20
    assert list(loaded) == saved
    assert [loaded[number] for number in range(len(saved))] == saved
    assert loaded[-1] == saved[-1] and loaded[2:5] == saved[2:5]
    assert loaded.doc_ids() == [p.doc_id for p in saved]
    assert any(p.kind == "table_row" for p in saved) and list(loaded.kinds()) == [p.kind for p in saved]
    with pytest.raises(IndexError, match=f"passage {len(saved)} of {len(saved)}"):
        loaded[len(saved)]


def test_the_passage_files_are_arrays_without_the_text(index_dir: Path) -> None:
    build = _build(index_dir)
    rows = np.load(build / passage_table.ROWS, allow_pickle=False)
    sentences = np.load(build / passage_table.SENTENCES, allow_pickle=False)
    saved = _article_passages()
    assert rows.shape == (len(saved), len(passage_table.COLUMNS)) and rows.dtype == np.int64
    assert sentences.shape == (sum(len(p.sentences) for p in saved), 2)
    fields = json.loads((build / passage_table.FIELDS).read_text(encoding="utf-8"))
    assert set(fields) == set(passage_table.STRING_COLUMNS)
    assert "Anti-Terrorism Task Forces" not in (build / passage_table.FIELDS).read_text(encoding="utf-8")


def test_a_truncated_passage_file_is_a_clear_error_and_is_rebuilt(index_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / ARTICLE_NAME, corpus / ARTICLE_NAME)
    qa = DocumentQA(corpus, index_dir, embedder=_HashEmbedder())  # type: ignore[arg-type]
    qa.build()
    built = list(load_index(index_dir).passages)
    data = (_build(index_dir) / passage_table.SENTENCES).read_bytes()
    _rewrite(index_dir, passage_table.SENTENCES, data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match=r"cannot be read .*run `ctqa index`"):
        load_index(index_dir)
    fresh = DocumentQA(corpus, index_dir, embedder=_HashEmbedder())  # type: ignore[arg-type]
    retriever = fresh.ensure_ready()
    assert any("cannot be read" in message and "rebuilding" in message for message in fresh.messages)
    assert list(retriever.index.passages) == built


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        (passage_table.COLUMNS.index("end"), 10**9, "passage 3 in .* does not match the text of"),
        (passage_table.COLUMNS.index("section"), 10**6, "passage 3 has no section"),
        (passage_table.COLUMNS.index("sentences"), 50, "the passages count .* sentences, the file holds"),
    ],
)
def test_passage_rows_that_do_not_fit_are_corrupt(index_dir: Path, column: int, value: int, error: str) -> None:
    rows = np.load(_build(index_dir) / passage_table.ROWS, allow_pickle=False).copy()
    rows[3, column] = value
    _rewrite(index_dir, passage_table.ROWS, _npy(rows))
    with pytest.raises(IndexCorruptError, match=error):
        load_index(index_dir)


def test_a_sentence_outside_its_passage_is_corrupt(index_dir: Path) -> None:
    sentences = np.load(_build(index_dir) / passage_table.SENTENCES, allow_pickle=False).copy()
    sentences[0] = (sentences[0, 0], sentences[0, 0] + 10**6)
    _rewrite(index_dir, passage_table.SENTENCES, _npy(sentences))
    with pytest.raises(IndexCorruptError, match="passage 0 in .* does not match the text of"):
        load_index(index_dir)


# -- the staleness check's fast path over the corpus files ------------------------------------------


def _aged(corpus: Path, seconds: float = 60.0) -> None:
    """Give every file of ``corpus`` a modification time ``seconds`` ago (an existing corpus)."""
    for path in corpus.iterdir():
        old = path.stat().st_mtime - seconds
        os.utime(path, (old, old))


def _built_copy(tmp_path: Path, *, age: bool = True) -> tuple[Path, Path]:
    corpus, index = tmp_path / "corpus", tmp_path / "built-index"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / ARTICLE_NAME, corpus / ARTICLE_NAME)
    (corpus / "notes.txt").write_text("NATO was founded in 1949 by twelve countries.\n", encoding="utf-8")
    if age:
        _aged(corpus)
    DocumentQA(corpus, index, embedder=_HashEmbedder()).build()  # type: ignore[arg-type]
    return corpus, index


def _hashed_corpus_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    hashed: list[str] = []
    real = builder.file_sha256

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(builder, "file_sha256", counting)
    return hashed


def test_the_manifest_records_each_corpus_files_size_and_time(tmp_path: Path) -> None:
    corpus, index = _built_copy(tmp_path)
    stats = read_manifest(index).file_stats
    for name in (ARTICLE_NAME, "notes.txt"):
        stat = (corpus / name).stat()
        assert stats[name] == [stat.st_size, stat.st_mtime_ns]


def test_unchanged_corpus_files_are_not_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = _built_copy(tmp_path)
    hashed = _hashed_corpus_files(monkeypatch)
    assert staleness_reasons(index, corpus, ChunkSettings()) == []
    assert hashed == []


@pytest.mark.parametrize("keep_size", [True, False])
def test_an_edited_corpus_file_is_hashed_and_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   keep_size: bool) -> None:
    corpus, index = _built_copy(tmp_path)
    notes = corpus / "notes.txt"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("1949", "1950") if keep_size else text + "It has 32 members.\n", encoding="utf-8")
    hashed = _hashed_corpus_files(monkeypatch)
    assert staleness_reasons(index, corpus, ChunkSettings()) == ["changed file notes.txt"]
    assert hashed == ["notes.txt"]


def test_a_touched_but_unchanged_file_is_hashed_and_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = _built_copy(tmp_path)
    os.utime(corpus / "notes.txt")  # now: another time, the same bytes
    hashed = _hashed_corpus_files(monkeypatch)
    assert staleness_reasons(index, corpus, ChunkSettings()) == []
    assert hashed == ["notes.txt"]


def test_files_written_just_before_the_build_are_not_recorded(tmp_path: Path) -> None:
    _, index = _built_copy(tmp_path, age=False)
    assert read_manifest(index).file_stats == {}


# -- documents: text and sections in JSON, blocks as arrays (ctqa.index.document_table) -------------


def test_documents_read_back_equal_to_those_saved(index_dir: Path) -> None:
    (saved,) = load_corpus(CORPUS_DIR).documents
    documents = load_index(index_dir).documents
    assert isinstance(documents, DocumentTable)
    assert list(documents) == [ARTICLE_NAME] and len(documents) == 1
    assert documents[ARTICLE_NAME] == saved and documents.get(ARTICLE_NAME) == saved
    assert len(saved.blocks) > 20 and documents.texts == {ARTICLE_NAME: saved.text}
    assert documents.get("missing.txt") is None
    rows = np.load(_build(index_dir) / document_table.BLOCKS, allow_pickle=False)
    assert rows.shape == (len(saved.blocks), len(document_table.COLUMNS))


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda rows: rows[:-1], r"document blocks of shape \(\d+, 6\) for \d+ blocks"),
        (lambda rows: rows[:, :4], r"document blocks of shape \(\d+, 4\)"),
        (lambda rows: np.where(np.arange(rows.shape[1]) == 1, 999, rows), "a document block has no section"),
    ],
)
def test_document_blocks_that_do_not_fit_are_corrupt(index_dir: Path, edit, error: str) -> None:  # type: ignore[no-untyped-def]
    rows = np.load(_build(index_dir) / document_table.BLOCKS, allow_pickle=False)
    _rewrite(index_dir, document_table.BLOCKS, _npy(np.ascontiguousarray(edit(rows))))
    with pytest.raises(IndexCorruptError, match=f"cannot be read .*{error}"):
        load_index(index_dir)


# -- sentence vectors read by row range (ctqa.index.file_rows) --------------------------------------


def test_sentence_rows_read_back_equal_to_the_saved_array(index_dir: Path) -> None:
    saved = np.load(_build(index_dir) / "sentences.npy", allow_pickle=False)
    rows = load_index(index_dir).sentence_vectors
    assert isinstance(rows, FileRows)
    assert rows.shape == saved.shape and len(rows) == len(saved) > 50 and rows.ndim == 2
    np.testing.assert_array_equal(rows[3:9], saved[3:9])
    np.testing.assert_array_equal(rows[np.int64(5) : np.int64(7)], saved[5:7])
    np.testing.assert_array_equal(rows[-1], saved[-1])
    np.testing.assert_array_equal(np.asarray(rows), saved)
    np.testing.assert_array_equal(rows[[0, 4]], saved[[0, 4]])
    assert rows[7:7].shape == (0, saved.shape[1])
    with pytest.raises(IndexError, match=f"row {len(saved)} of {len(saved)}"):
        rows[len(saved)]


def test_sentence_rows_are_not_memory_mapped(index_dir: Path) -> None:
    rows = load_index(index_dir).sentence_vectors
    rows[0:10]
    assert str(_build(index_dir) / "sentences.npy") not in Path("/proc/self/maps").read_text()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (lambda saved: _npy(saved)[:-100], r"sentences\.npy is \d+ bytes, its header says \d+"),
        (lambda saved: _npy(saved.astype(np.float64)), r"float64 array .* not rows of float32"),
        (lambda saved: _npy(saved[:, 0].copy()), r"of shape \(\d+,\), not rows of float32"),
    ],
)
def test_a_sentence_file_of_the_wrong_size_or_kind_is_corrupt(index_dir: Path, data, error: str) -> None:  # type: ignore[no-untyped-def]
    saved = np.load(_build(index_dir) / "sentences.npy", allow_pickle=False)
    _rewrite(index_dir, "sentences.npy", data(saved))
    with pytest.raises(IndexCorruptError, match=f"cannot be read .*{error}"):
        load_index(index_dir)
