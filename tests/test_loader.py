"""Finding and reading corpus files: ids, formats, hidden and unsupported files, broken files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ctqa.errors import CorpusError, DocumentReadError
from ctqa.ingest.loader import NOT_DOCUMENTS, corpus_files, list_corpus, load_corpus, load_document

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


READS = ".docx, .htm, .html, .markdown, .md, .pdf, .txt"


def test_files_of_other_types_are_listed_with_the_types_ctqa_reads(corpus: Path) -> None:
    write(corpus / "scans" / "page1.PNG", b"\x89PNG\r\n\x1a\n\x00")
    write(corpus / "archive.zip", b"PK\x03\x04")
    listing = list_corpus(corpus)
    assert listing.unsupported == ("README", "archive.zip", "notes.doc", "report.xlsx", "scans/page1.PNG")
    assert listing.unread() == {
        "README": f"no file type (no suffix) (ctqa reads: {READS})",
        "archive.zip": f"unsupported file type .zip (ctqa reads: {READS})",
        "notes.doc": f"unsupported file type .doc (ctqa reads: {READS})",
        "report.xlsx": f"unsupported file type .xlsx (ctqa reads: {READS})",
        "scans/page1.PNG": f"unsupported file type .png (ctqa reads: {READS})",
    }
    report = load_corpus(corpus)
    assert report.skipped == []  # nothing was read and failed
    assert {error.path: error.reason for error in report.unread} == listing.unread()


def test_what_is_no_document_is_neither_read_nor_reported(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "notes.txt", GOOD_TEXT)
    noise = [
        ".DS_Store", "notes.txt~", "notes.txt.swp", "drafts/plan.md.swo", "#notes.txt#", "~$report.docx",
        "Thumbs.db", "desktop.ini", ".git/config",
        # a ctqa index inside the corpus (hidden, or not) and a stray build folder
        ".ctqa-index/manifest.json", "index/manifest.json", "index/build-20250101T120000-42-1/documents.json",
        "index/README.md", "old/build-20240101T000000-7-2/sentences.npy",
    ]
    for name in noise:
        write(corpus / name, b"x")
    listing = list_corpus(corpus)
    assert [path.name for path in listing.files] == ["notes.txt"]
    assert (listing.outside, listing.broken, listing.unsupported) == ((), (), ())
    assert [rule.what for rule in NOT_DOCUMENTS] == [
        "hidden file or folder (.git, .DS_Store, .ctqa-index)",
        "editor backup (notes.txt~)",
        "Vim swap file (.swp, .swo)",
        "Emacs auto-save file (#notes.txt#)",
        "Office lock file (~$report.docx)",
        "Windows thumbnail cache or folder settings (Thumbs.db, desktop.ini)",
        "ctqa index folder (manifest.json beside build-* folders)",
    ]


def test_a_folder_with_a_manifest_but_no_build_is_read(tmp_path: Path) -> None:
    """Only a manifest beside a build folder makes an index: a user's folder that holds a file
    named manifest.json is read like any other."""
    corpus = tmp_path / "corpus"
    write(corpus / "project" / "manifest.json", b"{}")
    write(corpus / "project" / "notes.md", GOOD_MARKDOWN)
    listing = list_corpus(corpus)
    assert [path.relative_to(corpus).as_posix() for path in listing.files] == ["project/notes.md"]
    assert listing.unsupported == ("project/manifest.json",)


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
        ("binary.txt", b"Binary Notes\n\nSome\x00bytes\x00here.\n", "NUL"),
        # an image renamed .txt: binary (NUL bytes), not text to save as UTF-8
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "it looks like a binary file, not text"),
        # no NUL byte, not UTF-8, and a control character (0x1a) in every 8-bit encoding
        ("header.txt", b"\x89PNG\r\n\x1a\n\xff\xd8\xe0\xe1", "holds control characters"),
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
    write(tmp_path / "bad.txt", b"\x89PNG\r\n\x1a\n\xff\xd8 not text")
    with pytest.raises(DocumentReadError, match=r"bad\.txt: is not UTF-8 and holds control characters"):
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
