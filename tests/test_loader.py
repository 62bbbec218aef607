"""Finding and reading corpus files: ids, formats, hidden and unsupported files, broken files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ctqa.errors import CorpusError, DocumentReadError
from ctqa.ingest.loader import corpus_files, load_corpus, load_document

GOOD_TEXT = "Tomato Notes\n\nTomatoes need six hours of sun a day.\n"
GOOD_MARKDOWN = "# Pepper Notes\n\nPeppers like warm soil.\n\n## Watering\n\nWater them twice a week.\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "tomatoes.txt", GOOD_TEXT)
    write(root / "peppers.md", GOOD_MARKDOWN)
    write(
        root / "guides" / "herbs" / "basil_growing-tips.txt", "Basil grows fast in warm weather. Pick the top leaves.\n"
    )
    write(root / ".hidden.txt", "Hidden Notes\n\nThis file must not be read.\n")
    write(root / ".git" / "notes.txt", "Git Notes\n\nNot a document either.\n")
    write(root / "drafts" / ".secret" / "plan.md", "# Plan\n\nNot read: inside a hidden folder.\n")
    write(root / "report.xlsx", b"PK\x03\x04 not supported")
    write(root / "notes.doc", b"\xd0\xcf\x11\xe0 not supported (old binary Word)")
    write(root / "README", "No suffix, not read.\n")
    return root


def test_supported_files_found_recursively_sorted_hidden_excluded(corpus: Path) -> None:
    found = [path.relative_to(corpus).as_posix() for path in corpus_files(corpus)]
    assert found == ["guides/herbs/basil_growing-tips.txt", "peppers.md", "tomatoes.txt"]


def test_load_corpus_reads_txt_and_md(corpus: Path) -> None:
    report = load_corpus(corpus)
    assert report.skipped == []
    documents = {d.doc_id: d for d in report.documents}
    assert sorted(documents) == ["guides/herbs/basil_growing-tips.txt", "peppers.md", "tomatoes.txt"]

    tomatoes = documents["tomatoes.txt"]
    assert (tomatoes.title, tomatoes.format) == ("Tomato Notes", "text")
    assert tomatoes.text == "Tomato Notes\n\nTomatoes need six hours of sun a day."
    assert tomatoes.sha256 == hashlib.sha256(GOOD_TEXT.encode()).hexdigest()
    assert Path(tomatoes.path) == corpus / "tomatoes.txt"

    peppers = documents["peppers.md"]
    assert (peppers.title, peppers.format) == ("Pepper Notes", "markdown")
    assert [s.title for s in peppers.sections] == ["Introduction", "Watering"]
    assert [peppers.text[b.start : b.end] for b in peppers.blocks] == [
        "Peppers like warm soil.",
        "Water them twice a week.",
    ]


def test_doc_id_is_relative_posix_path_and_fallback_title_from_file_name(corpus: Path) -> None:
    document = load_document(corpus / "guides" / "herbs" / "basil_growing-tips.txt", corpus)
    assert document.doc_id == "guides/herbs/basil_growing-tips.txt"
    # the first line is a sentence, not a title: the title comes from the file name
    assert document.title == "basil growing tips"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "bom.txt", "\ufeffBOM Notes\n\nA file saved with a byte order mark.\n".encode())
    document = load_document(tmp_path / "bom.txt", tmp_path)
    assert document.title == "BOM Notes"
    assert "\ufeff" not in document.text


@pytest.mark.parametrize(
    ("name", "data", "reason_part"),
    [
        ("latin1.txt", "Caf\xe9 Notes\n\nThe caf\xe9 opens at nine.\n".encode("latin-1"), "UTF-8"),
        ("binary.txt", b"Binary Notes\n\nSome\x00bytes\x00here.\n", "NUL"),
        # an image renamed .txt: binary (NUL bytes), not text to save as UTF-8
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "it looks like a binary file, not text"),
        ("empty.txt", b"", "no text"),
        ("blank.md", b"\n\n   \n", "no text"),
        (
            "chrome.txt",
            b"sitename\n\nsitename\n\nWritten by\nJane Doe\nShare this post\nPrint\n",
            "no text",
        ),
    ],
)
def test_broken_file_is_skipped_and_reported(tmp_path: Path, name: str, data: bytes, reason_part: str) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", GOOD_TEXT)
    write(corpus / name, data)
    report = load_corpus(corpus)
    assert [d.doc_id for d in report.documents] == ["good.txt"]
    (error,) = report.skipped
    assert isinstance(error, DocumentReadError)
    assert error.path == name
    assert reason_part in error.reason
    assert name in str(error)


def test_load_document_raises_document_read_error(tmp_path: Path) -> None:
    write(tmp_path / "bad.txt", b"\xff\xfe\xfa not text")
    with pytest.raises(DocumentReadError, match=r"bad\.txt: not valid UTF-8"):
        load_document(tmp_path / "bad.txt", tmp_path)


def test_missing_corpus_folder_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "no-such-folder")


def test_corpus_path_that_is_a_file_is_a_corpus_error(tmp_path: Path) -> None:
    file = write(tmp_path / "file.txt", GOOD_TEXT)
    with pytest.raises(CorpusError):
        corpus_files(file)


def test_empty_corpus_folder_loads_nothing(tmp_path: Path) -> None:
    report = load_corpus(tmp_path)
    assert report.documents == [] and report.skipped == []
