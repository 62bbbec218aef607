"""Building, saving, loading, verifying and incrementally updating the index of the real article.

All tests load the embedding model (``slow``); they share the session's built index
(``article_index``) and work on copies of it when they change the corpus or the index files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

import ctqa
from conftest import ARTICLE_NAME, BOILERPLATE_STRINGS, PROJECT_ROOT, BuiltArticle, without_paths
from ctqa.chunking import chunk_documents, split_sentences
from ctqa.config import MODEL_DIMENSION, MODEL_NAME, ChunkSettings
from ctqa.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import MANIFEST, IndexData, load_index, read_manifest
from ctqa.ingest.loader import load_corpus

pytestmark = pytest.mark.slow

TASK_FORCES_QUESTION = "How many Anti-Terrorism Task Forces did the US create?"


@pytest.fixture(scope="module")
def index(article_index: BuiltArticle) -> IndexData:
    return load_index(article_index.index_dir)


def build_dir(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir).build_dir


# -- build -> load round trip ---------------------------------------------------------------------


def test_first_build_report(article_index: BuiltArticle, index: IndexData) -> None:
    report = article_index.report
    assert report.added == [ARTICLE_NAME]
    assert report.changed == report.removed == report.unchanged == []
    assert report.skipped == {}
    assert report.passages == len(index.passages) == 33
    # every passage and every sentence is embedded once
    assert report.embedded == len(index.passages) + len(index.sentence_vectors)


def test_round_trip_same_passages(article_index: BuiltArticle, index: IndexData) -> None:
    (document,) = load_corpus(article_index.corpus_dir).documents
    expected = chunk_documents([document], ChunkSettings(), article_index.qa.embedder.count_tokens)
    assert index.passages == expected
    assert index.documents[ARTICLE_NAME].text == document.text
    assert index.documents[ARTICLE_NAME].blocks == document.blocks
    assert index.documents[ARTICLE_NAME].sections == document.sections


def test_round_trip_vector_counts(index: IndexData) -> None:
    n_sentences = sum(len(p.sentences) for p in index.passages)
    assert index.passage_index.ntotal == len(index.passages)
    assert index.passage_index.d == MODEL_DIMENSION
    assert index.sentence_vectors.shape == (n_sentences, MODEL_DIMENSION)
    assert index.sentence_vectors.dtype == np.float32
    assert index.sentence_offsets[0] == 0 and index.sentence_offsets[-1] == n_sentences
    assert index.manifest.counts == {"documents": 1, "passages": len(index.passages), "sentences": n_sentences}
    # vectors are unit norm (inner product = cosine)
    passage_vectors = index.passage_index.reconstruct_n(0, index.passage_index.ntotal)
    np.testing.assert_allclose(np.linalg.norm(passage_vectors, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(index.sentence_vectors, axis=1), 1.0, atol=1e-4)


def test_manifest_fields(article_index: BuiltArticle, index: IndexData) -> None:
    manifest = index.manifest
    assert manifest.model == {
        "name": MODEL_NAME, "dimension": 384, "backend": "onnx", "precision": "fp32", "sentence_vectors": "separate",
        "sentence_precision": "fp32",
    }
    assert MODEL_NAME == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest.chunking == asdict(ChunkSettings()) == {"max_tokens": 200, "split_on": "block"}
    assert manifest.chunking_fingerprint == ChunkSettings().fingerprint()
    article_bytes = (article_index.corpus_dir / ARTICLE_NAME).read_bytes()
    assert manifest.files == {ARTICLE_NAME: hashlib.sha256(article_bytes).hexdigest()}
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert manifest.ctqa_version == ctqa.__version__ == pyproject["project"]["version"]
    assert set(manifest.artifacts) == {
        "documents.json", "document_blocks.npy", "passages.npy", "passage_sentences.npy", "passage_fields.json", "passages.faiss",
        "sentences.npy", "derived.json",
        "passage_tokens.npy", "passage_token_offsets.npy", "sentence_tokens.npy", "sentence_token_offsets.npy",
        "context_tokens.npy", "context_token_offsets.npy", "bm25_data.npy", "bm25_indices.npy", "bm25_indptr.npy",
    }
    for name, digest in manifest.artifacts.items():
        assert hashlib.sha256((build_dir(article_index.index_dir) / name).read_bytes()).hexdigest() == digest


def test_index_folder_layout(article_index: BuiltArticle) -> None:
    names = {path.name for path in article_index.index_dir.iterdir() if not path.name.startswith(".")}
    assert names == {MANIFEST, read_manifest(article_index.index_dir).build_dir}


# -- what the passages are -------------------------------------------------------------------------


def test_no_passage_contains_boilerplate(index: IndexData) -> None:
    for passage in index.passages:
        for chrome in BOILERPLATE_STRINGS:
            assert chrome not in passage.text, (chrome, passage.text[:60])
            assert chrome not in passage.context_header()


def test_every_table_row_is_its_own_passage(index: IndexData) -> None:
    document = index.documents[ARTICLE_NAME]
    rows = [b for b in document.blocks if b.kind == "table_row"]
    assert len(rows) == 6
    for block in rows:
        (passage,) = [p for p in index.passages if p.start < block.end and block.start < p.end]
        assert (passage.start, passage.end, passage.kind) == (block.start, block.end, "table_row")
        assert passage.section == passage.table == "Characteristics / Values"
    task_forces = [p.text for p in index.passages if p.kind == "table_row"][3]
    assert task_forces == "Number of Anti-Terrorism Task Forces created by the U.S. 93"


def test_every_passage_starts_at_a_sentence_start(index: IndexData) -> None:
    document = index.documents[ARTICLE_NAME]
    starts = set()
    for block in document.blocks:
        if block.kind == "table_row":
            starts.add(block.start)
        else:
            starts.update(start for start, _ in split_sentences(document.text[block.start : block.end], block.start))
    for passage in index.passages:
        assert passage.start in starts
        assert passage.start == passage.sentences[0][0] and passage.end == passage.sentences[-1][1]
        assert passage.text == document.text[passage.start : passage.end]
        assert passage.text[0].isupper()


def test_passages_fit_the_model_window(article_index: BuiltArticle, index: IndexData) -> None:
    count = article_index.qa.embedder.count_tokens
    for passage in index.passages:
        assert count(passage.text) <= ChunkSettings().max_tokens


# -- staleness and rebuilding ----------------------------------------------------------------------


def test_edited_article_is_rebuilt_and_answers_from_the_new_text(
    article_copy: Callable[[], BuiltArticle], caplog: pytest.LogCaptureFixture
) -> None:
    copy = article_copy()
    article = copy.corpus_dir / ARTICLE_NAME
    original = article.read_text(encoding="utf-8")
    row = "Number of Anti-Terrorism Task Forces created by the U.S. 93"
    assert original.count("93 Anti-Terrorism Task Forces") == 2 and original.count(row) == 1
    edited = original.replace("93 Anti-Terrorism Task Forces", "77 Anti-Terrorism Task Forces").replace(
        row, "Number of Anti-Terrorism Task Forces created by the U.S. 77"
    )
    assert "93" not in edited.replace("2396", "")
    article.write_text(edited, encoding="utf-8")

    assert staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings()) == [f"changed file {ARTICLE_NAME}"]
    with caplog.at_level(logging.WARNING, logger="ctqa"):
        answer = copy.qa.ask(TASK_FORCES_QUESTION)
    assert any("rebuilding" in message for message in copy.qa.messages)
    # the log that says "rebuilding" (a warning: the index was stale) also says when it is done,
    # how long it took and what changed
    logged = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("rebuilding" in message for message in logged)
    done = [message for message in logged if re.fullmatch(
        rf"index in {re.escape(str(copy.index_dir))} rebuilt in \d+\.\d s \(0 added, 1 changed, 0 removed, 0 unchanged; "
        r"33 passages, \d+ texts embedded\); answering from it", message)]
    assert len(done) == 1 and done[0] in copy.qa.messages
    assert copy.qa.last_build is not None and copy.qa.last_build.changed == [ARTICLE_NAME]
    assert not answer.abstained
    assert "77" in answer.text
    assert answer.citations and "77" in answer.citations[0].text
    for citation in answer.citations:
        assert "93 Anti-Terrorism" not in citation.text
        assert "U.S. 93" not in citation.text
    assert staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings()) == []


def test_truncated_faiss_file_is_corrupt_and_auto_build_recovers(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    faiss_file = build_dir(copy.index_dir) / "passages.faiss"
    data = faiss_file.read_bytes()
    faiss_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match=r"passages\.faiss"):
        load_index(copy.index_dir)

    with pytest.raises(IndexCorruptError):
        ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False).ask(
            TASK_FORCES_QUESTION
        )
    answer = copy.qa.ask(TASK_FORCES_QUESTION)  # auto_build=True is the default
    assert any("rebuilding" in message for message in copy.qa.messages)
    assert not answer.abstained and "93" in answer.text
    assert load_index(copy.index_dir).passage_index.ntotal == 33


def test_manifest_with_another_model_dimension_is_stale(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    manifest_path = copy.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["model"]["dimension"] = 768
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    reasons = staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings())
    assert len(reasons) == 1 and "model" in reasons[0] and "768" in reasons[0]
    strict = ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)
    with pytest.raises(IndexStaleError, match="model"):
        strict.ask(TASK_FORCES_QUESTION)


def test_changed_chunking_settings_are_stale(article_index: BuiltArticle) -> None:
    reasons = staleness_reasons(article_index.index_dir, article_index.corpus_dir, ChunkSettings(max_tokens=100))
    assert reasons == ["chunking settings changed"]


def test_changed_corpus_raises_when_auto_build_is_off(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    strict = ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)
    assert not strict.ask(TASK_FORCES_QUESTION).abstained  # fresh: no error

    (copy.corpus_dir / "extra.md").write_text("# Extra\n\nA new note about border security.\n", encoding="utf-8")
    strict = ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)
    with pytest.raises(IndexStaleError, match="new file extra.md"):
        strict.ask(TASK_FORCES_QUESTION)

    (copy.corpus_dir / "extra.md").unlink()
    with (copy.corpus_dir / ARTICLE_NAME).open("a", encoding="utf-8") as stream:
        stream.write("\nOne more line.\n")
    strict = ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)
    with pytest.raises(IndexStaleError, match=f"changed file {ARTICLE_NAME}"):
        strict.ask(TASK_FORCES_QUESTION)


def test_removed_file_is_stale(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    (copy.corpus_dir / ARTICLE_NAME).rename(copy.corpus_dir / "renamed.txt")
    assert staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings()) == [
        "new file renamed.txt",
        f"removed file {ARTICLE_NAME}",
    ]


def test_missing_index_raises_when_auto_build_is_off(article_index: BuiltArticle, tmp_path: Path) -> None:
    qa = ctqa.DocumentQA(
        article_index.corpus_dir, tmp_path / "no-index", embedder=article_index.qa.embedder, auto_build=False
    )
    with pytest.raises(IndexMissingError):
        qa.ask(TASK_FORCES_QUESTION)


# -- incremental builds ----------------------------------------------------------------------------


def test_unchanged_corpus_rebuild_embeds_nothing(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    before = load_index(copy.index_dir)
    report = copy.qa.build()
    assert report.embedded == 0
    assert report.unchanged == [ARTICLE_NAME] and report.added == report.changed == report.removed == []
    after = load_index(copy.index_dir)
    # the same passages, cited where the copied corpus holds them
    assert without_paths(after.passages) == without_paths(before.passages)
    assert {p.path for p in after.passages} == {str(copy.corpus_dir / ARTICLE_NAME)}
    np.testing.assert_array_equal(after.sentence_vectors, before.sentence_vectors)
    np.testing.assert_array_equal(
        after.passage_index.reconstruct_n(0, after.passage_index.ntotal),
        before.passage_index.reconstruct_n(0, before.passage_index.ntotal),
    )


def test_adding_one_file_embeds_only_that_file(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    (copy.corpus_dir / "notes").mkdir()
    (copy.corpus_dir / "notes" / "border.md").write_text(
        "# Border Notes\n\nThe border has twelve crossings. Each crossing has a small office.\n", encoding="utf-8"
    )
    (copy.corpus_dir / "broken.txt").write_bytes(b"\xff\xfe not utf-8")
    report = copy.qa.build()
    assert report.added == ["notes/border.md"]
    assert report.unchanged == [ARTICLE_NAME]
    assert report.changed == report.removed == []
    assert list(report.skipped) == ["broken.txt"]
    assert report.embedded == 1 + 2  # one passage and its two sentences
    index = load_index(copy.index_dir)
    assert set(index.manifest.files) == {ARTICLE_NAME, "notes/border.md"}
    assert set(index.manifest.skipped) == {"broken.txt"}
    assert report.passages == len(index.passages) == 34
    # the skipped file does not make the index stale
    assert staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings()) == []
    answer = copy.qa.ask("How many crossings does the border have?")
    assert "twelve crossings" in answer.text and answer.citations[0].doc_id == "notes/border.md"
