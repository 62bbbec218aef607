"""The reader settings (``IngestSettings``) in the manifest: a change makes the index stale and
keeps the next build from reusing passages read with the old ones (no model)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from ctqa.config import INGEST, MODEL_DIMENSION, ChunkSettings, EmbeddingSettings
from ctqa.embedding import manifest_model
from ctqa.index import builder
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import MANIFEST, read_manifest, save_index
from ctqa.ingest.loader import file_sha256
from ctqa.types import Block, Document, Passage, Section

TEXT = "The light was automated in 1989."


def _built(tmp_path: Path) -> tuple[Path, Path]:
    corpus_dir, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus_dir.mkdir()
    source = corpus_dir / "light.txt"
    source.write_text(TEXT, encoding="utf-8")
    passage = Passage("light.txt", "Light", "Body", "paragraph", 0, len(TEXT), TEXT, ((0, len(TEXT)),))
    document = Document(
        "light.txt", "Light", str(source), "text", TEXT, file_sha256(source),
        sections=(Section("Body", 0, len(TEXT)),), blocks=(Block("paragraph", 0, len(TEXT), "Body"),),
    )
    vectors = np.zeros((1, MODEL_DIMENSION), dtype=np.float32)
    vectors[0, 0] = 1.0
    save_index(
        index_dir, documents=[document], passages=[passage], passage_vectors=vectors, sentence_vectors=vectors,
        chunking=ChunkSettings(), skipped={}, corpus_dir=corpus_dir,
    )
    return corpus_dir, index_dir


def test_the_manifest_records_the_reader_settings(tmp_path: Path) -> None:
    _, index_dir = _built(tmp_path)
    manifest = read_manifest(index_dir)
    assert manifest.ingest == asdict(INGEST) and manifest.ingest["heading_max_words"] == INGEST.heading_max_words
    assert manifest.ingest_fingerprint == INGEST.fingerprint() != replace(INGEST, heading_max_words=5).fingerprint()


def test_changed_reader_settings_make_the_index_stale(tmp_path: Path) -> None:
    corpus_dir, index_dir = _built(tmp_path)
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings()) == []
    changed = replace(INGEST, heading_max_words=INGEST.heading_max_words + 1)
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings(), ingest=changed) == [
        "reader settings (IngestSettings) changed"
    ]


def test_an_index_without_recorded_reader_settings_is_stale(tmp_path: Path) -> None:
    corpus_dir, index_dir = _built(tmp_path)
    data = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    del data["ingest"], data["ingest_fingerprint"]
    (index_dir / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings()) == ["reader settings not recorded"]


def test_passages_read_with_other_reader_settings_are_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, index_dir = _built(tmp_path)
    model = manifest_model(EmbeddingSettings())
    assert builder._previous_index(index_dir, ChunkSettings(), model) is not None
    monkeypatch.setattr(builder, "INGEST", replace(INGEST, table_row_max_chars=200))
    assert builder._previous_index(index_dir, ChunkSettings(), model) is None
