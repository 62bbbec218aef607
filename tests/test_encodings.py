"""Plain text that is not UTF-8: decoded in its detected encoding, cited by offsets into the
decoded text, and still a changed file to the index when its bytes change (no model)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ctqa.config import INGEST, MODEL_DIMENSION, ChunkSettings
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import save_index
from ctqa.ingest import loader
from ctqa.ingest.encoding import PREFERRED_ENCODINGS, decode_text
from ctqa.ingest.loader import load_corpus, load_document
from ctqa.types import Passage

LATIN1_TEXT = "Café Notes\n\nThe café on the quay opens at nine and serves crème brûlée until noon.\n"
# Windows-1252 bytes that Latin-1 lacks: curly quotes (0x93, 0x94), the en dash (0x96), the euro (0x80).
CP1252_TEXT = "Price Notes\n\n“Lunch” costs 12 € – coffee included.\n"
# Short French text on which charset_normalizer ranks cp1250 first (it reads è as č).
FRENCH_TEXT = "Le gouvernement a décidé de réformer le système électoral. Les élections auront lieu en été."


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"plain ASCII", "plain ASCII", "utf-8"),
        ("caf\u00e9".encode(), "caf\u00e9", "utf-8"),
        (b"\xef\xbb\xbfwith a BOM", "with a BOM", "utf-8"),
        (LATIN1_TEXT.encode("latin-1"), LATIN1_TEXT, "cp1252"),
        (CP1252_TEXT.encode("cp1252"), CP1252_TEXT, "cp1252"),
        (FRENCH_TEXT.encode("cp1252"), FRENCH_TEXT, "cp1252"),
        ("Caf\u00e9 au lait.\n".encode("latin-1"), "Caf\u00e9 au lait.\n", "cp1252"),
    ],
)
def test_decode_text_reads_utf8_first_then_the_detected_encoding(data: bytes, text: str, encoding: str) -> None:
    assert decode_text(data) == (text, encoding)


def test_a_non_western_encoding_is_kept_when_cp1252_is_no_clean_reading() -> None:
    """The preference for Windows-1252 only breaks ties: Russian in Windows-1251 stays Russian."""
    russian = "Привет, как дела? Это тестовый текст на русском языке."
    assert PREFERRED_ENCODINGS == ("cp1252",)
    assert decode_text(russian.encode("cp1251")) == (russian, "cp1251")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\xff", "contains NUL bytes; it looks like a binary file, not text"),
        (b"\x89PNG\r\n\x1a\n\xff\xd8\xe0\xe1", "is not UTF-8 and holds control characters; it looks like a binary file, not text"),
        (bytes(range(128, 256)) * 3, "is not UTF-8 and no text encoding fits it; it looks like a binary file, not text"),
    ],
)
def test_bytes_that_look_binary_are_refused_as_binary(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError) as error:
        decode_text(data)
    assert str(error.value) == reason


def test_without_detection_only_utf8_is_read() -> None:
    with pytest.raises(ValueError) as error:
        decode_text(LATIN1_TEXT.encode("latin-1"), detect=False)
    assert str(error.value) == "not valid UTF-8 text (byte 3); save the file as UTF-8"
    assert decode_text(b"plain", detect=False) == ("plain", "utf-8")


def test_a_latin1_file_is_a_document_with_offsets_into_its_decoded_text(tmp_path: Path) -> None:
    raw = LATIN1_TEXT.encode("latin-1")
    (tmp_path / "cafe.txt").write_bytes(raw)
    (tmp_path / "cafe.md").write_bytes(b"# Caf\xe9 Menu\n\n## Desserts\n\nCr\xe8me br\xfbl\xe9e, six euros.\n")
    text = load_document(tmp_path / "cafe.txt", tmp_path)
    assert (text.title, text.format) == ("Café Notes", "text")
    assert text.text == "Café Notes\n\nThe café on the quay opens at nine and serves crème brûlée until noon."
    [block] = text.blocks
    assert text.text[block.start : block.end] == "The café on the quay opens at nine and serves crème brûlée until noon."
    assert (block.start, block.end) == (12, 82)
    # the same offsets as the same text saved as UTF-8 (where é, è, û take two bytes each)
    (tmp_path / "utf8.txt").write_text(LATIN1_TEXT, encoding="utf-8")
    utf8 = load_document(tmp_path / "utf8.txt", tmp_path)
    assert (utf8.text, utf8.blocks, utf8.sections) == (text.text, text.blocks, text.sections)
    assert text.sha256 == hashlib.sha256(raw).hexdigest()  # the file's fingerprint is its bytes
    markdown = load_document(tmp_path / "cafe.md", tmp_path)
    assert markdown.title == "Café Menu" and [s.title for s in markdown.sections] == ["Desserts"]
    assert [markdown.text[b.start : b.end] for b in markdown.blocks] == ["Crème brûlée, six euros."]


def test_with_detection_off_a_latin1_file_is_skipped_with_the_utf8_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cafe.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    monkeypatch.setattr(loader, "INGEST", replace(INGEST, detect_text_encoding=False))
    report = load_corpus(tmp_path)
    assert report.documents == []
    assert [(error.path, error.reason) for error in report.skipped] == [
        ("cafe.txt", "not valid UTF-8 text (byte 3); save the file as UTF-8")
    ]


def index_without_model(corpus_dir: Path, index_dir: Path) -> None:
    """An index of ``corpus_dir``'s documents as read by the loader (one passage each, zero vectors)."""
    documents = load_corpus(corpus_dir).documents
    passages = [
        Passage(d.doc_id, d.title, "Introduction", "paragraph", 0, len(d.text), d.text, ((0, len(d.text)),))
        for d in documents
    ]
    vectors = np.zeros((len(passages), MODEL_DIMENSION), dtype=np.float32)
    vectors[:, 0] = 1.0
    save_index(
        index_dir, documents=documents, passages=passages, passage_vectors=vectors, sentence_vectors=vectors,
        chunking=ChunkSettings(), skipped={}, corpus_dir=corpus_dir,
    )


def test_a_changed_latin1_file_makes_the_index_stale(tmp_path: Path) -> None:
    corpus_dir, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus_dir.mkdir()
    cafe = corpus_dir / "cafe.txt"
    cafe.write_bytes(LATIN1_TEXT.encode("latin-1"))
    index_without_model(corpus_dir, index_dir)
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings()) == []
    (corpus_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")  # never read: no part of the index
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings()) == []
    cafe.write_bytes(LATIN1_TEXT.replace("nine", "ten!").encode("latin-1"))  # same size, other bytes
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings()) == ["changed file cafe.txt"]


def test_an_index_read_without_detection_is_stale(tmp_path: Path) -> None:
    """The switch is a reader setting: an index built with the other choice is read again."""
    corpus_dir, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus_dir.mkdir()
    (corpus_dir / "cafe.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    index_without_model(corpus_dir, index_dir)
    other = replace(INGEST, detect_text_encoding=False)
    assert other.fingerprint() != INGEST.fingerprint()
    assert staleness_reasons(index_dir, corpus_dir, ChunkSettings(), ingest=other) == [
        "reader settings (IngestSettings) changed"
    ]
