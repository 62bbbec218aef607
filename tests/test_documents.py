"""Adding and removing documents (the chat page's uploads): safe names, limits, atomicity, rollback."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ARTICLE_NAME, BuiltArticle
from ctqa import documents
from ctqa.config import Settings
from ctqa.documents import (
    DocumentInfo,
    UploadError,
    add_documents,
    list_documents,
    remove_document,
    safe_file_name,
)
from ctqa.index.builder import BuildReport
from ctqa.index.store import read_manifest
from ctqa.ingest.loader import READERS
from ctqa.qa import DocumentQA
from test_encodings import LATIN1_TEXT, index_without_model

BEES = """# Beekeeping Notes

Notes from the apiary on the hill.

## Hives

The apiary on the hill keeps 14 hives of Carniolan bees.

## Queens

The queen of hive seven was marked with a blue dot in May.
"""

KILNS = """Pottery Kilns

Firing

The studio kiln fires stoneware at 1280 degrees Celsius for nine hours.
"""


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica 12 pt) showing ``lines``, one per line; "" leaves a gap."""

    def literal(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    operators = ["BT", "/F1 12 Tf", "16 TL", "72 720 Td", *[f"({literal(line)}) Tj T*" for line in lines], "ET"]
    stream = "\n".join(operators).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# One fact per paragraph, each under its heading ("" lines leave the gaps between paragraphs).
GLASS_PDF_LINES = [
    "Glassblowing Guide",
    "",
    "Furnaces",
    "",
    "The studio furnace holds molten glass at 1150 degrees Celsius.",
    "",
    "Annealing",
    "",
    "Annealing takes 12 hours in the lehr, a long cooling oven.",
]
GLASS_QUESTION = "What temperature does the studio furnace hold molten glass at?"


@dataclass
class StubQA:
    """Stands in for ``DocumentQA`` in fast tests: a corpus folder and a build that can fail."""

    corpus_dir: Path
    index_dir: Path
    fail_builds: int = 0
    builds: list[list[str]] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def build(self, *, show_progress: bool = False) -> BuildReport:
        self.builds.append(sorted(p.name for p in self.corpus_dir.iterdir() if not p.name.startswith(".")))
        if self.fail_builds:
            self.fail_builds -= 1
            raise RuntimeError("disk full")
        return BuildReport()


@pytest.fixture
def stub(tmp_path: Path) -> StubQA:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kilns.txt").write_text(KILNS, encoding="utf-8")
    return StubQA(corpus, tmp_path / "index")


def upload(tmp_path: Path, name: str, data: bytes | str) -> tuple[Path, str]:
    """An uploaded file as Gradio hands it over: a temporary path whose last part is the name."""
    folder = tmp_path / "gradio-upload" / str(len(list(tmp_path.glob("gradio-upload/*"))))
    folder.mkdir(parents=True)
    path = folder / "upload.bin"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path, name


def corpus_names(corpus: Path) -> list[str]:
    return sorted(path.name for path in corpus.iterdir())


# -- fast: names, limits, staging, rollback ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/report.TXT", "report.txt"),
        (".hidden.md", "hidden.md"),
        ("--rm -rf.txt", "rm -rf.txt"),
        ("Résumé été.md", "Resume ete.md"),
        ("a<b>|c?.md", "a-b-c.md"),
        ("....md", "document.md"),
        ("  spaced   name .txt", "spaced name.txt"),
    ],
)
def test_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_safe_file_name_cuts_long_names_and_keeps_the_suffix() -> None:
    name = safe_file_name("x" * 500 + ".md")
    assert name == "x" * documents.MAX_NAME_CHARS + ".md"


@pytest.mark.parametrize("name", ["virus.exe", "archive.tar.gz", "noextension", "notes.md.sh", ""])
def test_safe_file_name_refuses_types_the_loader_cannot_read(name: str) -> None:
    with pytest.raises(UploadError, match="allowed types are"):
        safe_file_name(name)


def test_allowed_suffixes_follow_the_loader() -> None:
    assert documents.allowed_suffixes() == sorted(READERS)
    assert {".txt", ".md"} <= set(documents.allowed_suffixes())


def test_add_documents_moves_readable_uploads_in_and_builds_once(stub: StubQA, tmp_path: Path) -> None:
    uploads = [upload(tmp_path, "bees.md", BEES), upload(tmp_path, "../../outside.txt", KILNS)]
    fractions: list[float] = []
    report = add_documents(stub, uploads, progress=lambda fraction, _: fractions.append(fraction))  # type: ignore[arg-type]
    assert report.added == ["bees.md", "outside.txt"] and report.rejected == {}
    assert corpus_names(stub.corpus_dir) == ["bees.md", "kilns.txt", "outside.txt"]  # no staging left
    assert not (tmp_path / "outside.txt").exists()
    assert (stub.corpus_dir / "bees.md").read_text(encoding="utf-8") == BEES
    assert stub.builds == [["bees.md", "kilns.txt", "outside.txt"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_add_documents_never_overwrites_a_file(stub: StubQA, tmp_path: Path) -> None:
    first = add_documents(stub, [upload(tmp_path, "kilns.txt", BEES.replace("#", ""))])  # type: ignore[arg-type]
    second = add_documents(stub, [upload(tmp_path, "kilns.txt", BEES.replace("#", ""))])  # type: ignore[arg-type]
    assert first.added == ["kilns-2.txt"] and second.added == ["kilns-3.txt"]
    assert (stub.corpus_dir / "kilns.txt").read_text(encoding="utf-8") == KILNS


def test_add_documents_rejects_bad_uploads_and_keeps_the_good_ones(stub: StubQA, tmp_path: Path) -> None:
    uploads = [
        upload(tmp_path, "big.md", "word " * 400),
        upload(tmp_path, "empty.txt", b""),
        upload(tmp_path, "latin1.txt", "Caf\xe9 au lait.\n".encode("latin-1")),
        upload(tmp_path, "binary.md", b"\x00\x01\x02 binary"),
        upload(tmp_path, "tool.exe", b"MZ"),
        upload(tmp_path, "bees.md", BEES),
    ]
    report = add_documents(stub, uploads, max_bytes=1000)  # type: ignore[arg-type]
    assert report.added == ["latin1.txt", "bees.md"]  # Latin-1 text is text: read in its encoding
    assert set(report.rejected) == {"big.md", "empty.txt", "binary.md", "tool.exe"}
    assert "limit" in report.rejected["big.md"] and "empty" in report.rejected["empty.txt"]
    assert "binary file" in report.rejected["binary.md"] and "allowed types" in report.rejected["tool.exe"]
    assert corpus_names(stub.corpus_dir) == ["bees.md", "kilns.txt", "latin1.txt"]


def test_add_documents_refuses_too_much_text(stub: StubQA, tmp_path: Path) -> None:
    report = add_documents(stub, [upload(tmp_path, "bees.md", BEES)], max_text_chars=50)  # type: ignore[arg-type]
    assert report.added == [] and "limit is 50" in report.rejected["bees.md"]
    assert corpus_names(stub.corpus_dir) == ["kilns.txt"]


def test_add_documents_without_a_readable_upload_does_not_build(stub: StubQA, tmp_path: Path) -> None:
    report = add_documents(stub, [upload(tmp_path, "tool.exe", b"MZ")])  # type: ignore[arg-type]
    assert report.added == [] and stub.builds == [] and report.build is None


def test_failed_build_removes_the_new_files(stub: StubQA, tmp_path: Path) -> None:
    stub.fail_builds = 1
    with pytest.raises(UploadError, match="indexing failed .*disk full.*previous documents are unchanged"):
        add_documents(stub, [upload(tmp_path, "bees.md", BEES)])  # type: ignore[arg-type]
    assert corpus_names(stub.corpus_dir) == ["kilns.txt"]
    assert (stub.corpus_dir / "kilns.txt").read_text(encoding="utf-8") == KILNS


def test_remove_document_deletes_the_file_and_rebuilds(stub: StubQA, tmp_path: Path) -> None:
    add_documents(stub, [upload(tmp_path, "bees.md", BEES)])  # type: ignore[arg-type]
    remove_document(stub, "bees.md")  # type: ignore[arg-type]
    assert corpus_names(stub.corpus_dir) == ["kilns.txt"]
    assert stub.builds[-1] == ["kilns.txt"]


@pytest.mark.parametrize("doc_id", ["missing.md", "../corpus/kilns.txt", "/etc/passwd", ".ctqa-upload-x/a.md"])
def test_remove_document_only_removes_corpus_documents(stub: StubQA, tmp_path: Path, doc_id: str) -> None:
    add_documents(stub, [upload(tmp_path, "bees.md", BEES)])  # type: ignore[arg-type]
    with pytest.raises(UploadError, match="not a document of the corpus"):
        remove_document(stub, doc_id)  # type: ignore[arg-type]
    assert corpus_names(stub.corpus_dir) == ["bees.md", "kilns.txt"]


def test_the_last_document_is_not_removed(stub: StubQA) -> None:
    with pytest.raises(UploadError, match="at least one document"):
        remove_document(stub, "kilns.txt")  # type: ignore[arg-type]
    assert corpus_names(stub.corpus_dir) == ["kilns.txt"]


def test_failed_rebuild_puts_the_removed_file_back(stub: StubQA, tmp_path: Path) -> None:
    add_documents(stub, [upload(tmp_path, "bees.md", BEES)])  # type: ignore[arg-type]
    stub.fail_builds = 1
    with pytest.raises(UploadError, match="was kept"):
        remove_document(stub, "bees.md")  # type: ignore[arg-type]
    assert corpus_names(stub.corpus_dir) == ["bees.md", "kilns.txt"]
    assert (stub.corpus_dir / "bees.md").read_text(encoding="utf-8") == BEES


# -- slow: a real index --------------------------------------------------------------------------


@pytest.mark.slow
def test_uploads_become_answerable_and_are_recorded_in_the_manifest(
    article_copy: Callable[[], BuiltArticle], tmp_path: Path
) -> None:
    built = article_copy()
    qa = built.qa
    before = read_manifest(built.index_dir).files
    uploads = [upload(tmp_path, "bees.md", BEES), upload(tmp_path, "kilns.txt", KILNS)]
    report = add_documents(qa, uploads)
    assert report.added == ["bees.md", "kilns.txt"]
    assert report.build is not None and report.build.unchanged == list(before)  # the article is not re-embedded
    manifest = read_manifest(built.index_dir)
    assert set(manifest.files) == {*before, "bees.md", "kilns.txt"}
    answer = qa.ask("How many hives does the apiary keep?")
    assert "14 hives" in answer.text and answer.citations[0].doc_id == "bees.md"
    assert "1280 degrees" in qa.ask("At what temperature does the kiln fire stoneware?").text
    counts = {info.doc_id: info.passages for info in list_documents(qa)}
    assert counts["bees.md"] >= 1 and counts["kilns.txt"] >= 1
    assert counts[ARTICLE_NAME] == built.report.passages

    remove_document(qa, "bees.md")
    assert "bees.md" not in read_manifest(built.index_dir).files
    assert all(p.doc_id != "bees.md" for p in qa.ensure_ready().index.passages)
    assert not (built.corpus_dir / "bees.md").exists()
    assert "14 hives" not in qa.ask("How many hives does the apiary keep?").text


@pytest.mark.slow
def test_pdf_upload_is_answerable_with_its_page(article_copy: Callable[[], BuiltArticle], tmp_path: Path) -> None:
    if ".pdf" not in READERS:
        pytest.skip("no .pdf reader in ctqa.ingest.loader.READERS yet (issue 6)")
    built = article_copy()
    report = add_documents(built.qa, [upload(tmp_path, "glass.pdf", tiny_pdf(GLASS_PDF_LINES))])
    assert report.added == ["glass.pdf"], report.rejected
    assert "glass.pdf" in read_manifest(built.index_dir).files
    answer = built.qa.ask(GLASS_QUESTION)
    assert "1150 degrees" in answer.text
    assert answer.citations[0].doc_id == "glass.pdf" and answer.citations[0].page == 1


@pytest.mark.slow
def test_an_upload_that_fails_to_index_loses_nothing(
    article_copy: Callable[[], BuiltArticle], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = article_copy()
    qa = built.qa
    question = "How many Anti-Terrorism Task Forces did the US create?"
    expected = qa.ask(question).text
    manifest_before = json.loads((built.index_dir / "manifest.json").read_text(encoding="utf-8"))

    def broken_encode(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory while embedding")

    monkeypatch.setattr(qa.embedder, "encode", broken_encode)
    with pytest.raises(UploadError, match="out of memory"):
        add_documents(qa, [upload(tmp_path, "bees.md", BEES)])
    monkeypatch.undo()
    assert not (built.corpus_dir / "bees.md").exists()
    assert json.loads((built.index_dir / "manifest.json").read_text(encoding="utf-8")) == manifest_before
    assert qa.ask(question).text == expected


def test_the_documents_list_names_files_of_other_types_and_reads_latin1(tmp_path: Path) -> None:
    """The page's table (no model: the index is written by hand): a Latin-1 note is a document
    with its decoded title; a picture is listed, not indexed, with the types ctqa reads."""
    corpus_dir, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus_dir.mkdir()
    (corpus_dir / "cafe.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    index_without_model(corpus_dir, index_dir)
    (corpus_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (corpus_dir / "cafe.txt.swp").write_bytes(b"b0VIM 9.0")  # an editor's swap file: not listed
    assert list_documents(DocumentQA(corpus_dir, index_dir)) == [
        DocumentInfo("cafe.txt", "Café Notes", "text", 1, 83, "", True),
        DocumentInfo(
            "photo.png", "", "png", 0, 9,
            "unsupported file type .png (ctqa reads: .docx, .htm, .html, .markdown, .md, .pdf, .txt)", False,
        ),
    ]
