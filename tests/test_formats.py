"""Readers of every format: HTML, PDF, DOCX (and .txt/.md alongside), broken files, and answers
with the right citation (document, section, page) from a corpus holding one file of each format.

The fast tests read files only; the ``slow`` ones build an index of the five-format corpus once
per module (the model is loaded once per session) and ask a question about each document.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ctqa
from ctqa.cli import app
from ctqa.ingest.docx import read_docx
from ctqa.ingest.html import read_html
from ctqa.ingest.loader import READERS, corpus_files, load_corpus, load_document
from ctqa.ingest.pdf import drop_running_lines, read_pdf, tidy_page
from make_documents import (
    BAKERY_SECTIONS,
    BAKERY_TABLE,
    FORMAT_QUESTIONS,
    GLACIER_PAGES,
    LIGHTHOUSES_HTML,
    FormatQuestion,
    simple_docx,
    simple_pdf,
    write_format_corpus,
)


def blocks_text(structured) -> list[str]:
    return [structured.text[b.start : b.end] for b in structured.blocks]


# -- HTML ----------------------------------------------------------------------------------------


def test_html_keeps_title_headings_and_main_text_only() -> None:
    page = read_html(LIGHTHOUSES_HTML.encode(), "fallback")
    assert page.title == "Lighthouses of the North"
    assert [s.title for s in page.sections] == ["Introduction", "Lenses", "Keepers", "Station / Height"]
    for chrome in ("Home", "Maps", "Subscribe", "Copyright", "Coast Guide"):
        assert chrome not in page.text
    lenses = next(b for b in page.blocks if b.section == "Lenses")
    assert page.text[lenses.start : lenses.end].startswith("The Fresnel lens was invented")
    # <br> keeps the words apart; table rows become "Label: Value" rows
    assert "families. They trimmed" in page.text
    rows = [page.text[b.start : b.end] for b in page.blocks if b.kind == "table_row"]
    assert rows == ["Skerry Point: 41 metres", "Gull Rock: 28 metres"]
    assert all(b.page is None for b in page.blocks)


def test_html_short_paragraph_is_not_a_heading_and_lists_are_items() -> None:
    html = (
        "<html><head><title>Notes</title></head><body><article>"
        "<p>A first paragraph that is long enough to be kept as the main text of the page.</p>"
        "<p>Short line without a full stop</p>"
        "<ul><li>First item of the list.</li><li>Second item of the list.</li></ul>"
        "</article></body></html>"
    )
    page = read_html(html.encode(), "fallback")
    assert page.title == "Notes"
    assert [s.title for s in page.sections] == ["Introduction"]
    assert blocks_text(page)[1] == "Short line without a full stop"
    assert [b.kind for b in page.blocks][-2:] == ["list_item", "list_item"]


def test_html_in_a_declared_legacy_encoding_is_decoded() -> None:
    body = "<p>" + "The café opens at nine in the morning and closes late at night. " * 3 + "</p>"
    html = f"<html><head><meta charset='windows-1252'><title>Café</title></head><body>{body}</body></html>"
    page = read_html(html.encode("cp1252"), "fallback")
    assert "The café opens at nine" in page.text


# -- PDF -----------------------------------------------------------------------------------------


def test_pdf_pages_sections_and_clean_text() -> None:
    document = read_pdf(simple_pdf(GLACIER_PAGES, title="Glacier Survey 2019"), "fallback")
    assert document.title == "Glacier Survey"  # the first line; /Title is the fallback
    assert [s.title for s in document.sections] == ["Introduction", "Ice Thickness", "Retreat"]
    pages = {document.text[b.start : b.end][:30]: b.page for b in document.blocks}
    assert pages == {
        "This report sums up the measur": 1,
        "Radar soundings show that the ": 1,
        "The Morteratsch glacier retrea": 2,
        "Summer heat waves are the main": 2,
    }
    # running header and page numbers dropped; hard-wrapped lines joined; hyphenation undone
    assert "Survey Report" not in document.text
    assert "180 metres thick at its centre." in document.text
    assert "according to the survey team" in document.text


def test_pdf_title_falls_back_to_metadata_then_file_name() -> None:
    pages = [[("p", "the survey began in spring and ended in autumn."), ("gap", ""), ("p", "More text here.")]]
    assert read_pdf(simple_pdf(pages, title="Survey Notes"), "file name").title == "Survey Notes"
    assert read_pdf(simple_pdf(pages), "file name").title == "file name"


def test_running_lines_and_page_numbers_are_dropped() -> None:
    pages = [
        ["Annual Report 2020", "", "Body text of page one.", "", "Page 1 of 3"],
        ["Annual Report 2020", "", "Body text of page two.", "", "Page 2 of 3"],
        ["Annual Report 2020", "", "Body text of page three.", "", "- 3 -"],
    ]
    cleaned = drop_running_lines(pages)
    assert [[line for line in page if line] for page in cleaned] == [
        ["Body text of page one."],
        ["Body text of page two."],
        ["Body text of page three."],
    ]


def test_tidy_page_spacing_indents_and_cells() -> None:
    lines = [
        "  The first  paragraph ends  here.",
        "     A new paragraph starts with an indent and runs on to a",
        "  second line.",
        "  Queen lifespan          5 years",
    ]
    assert tidy_page(lines) == [
        "The first paragraph ends here.",
        "",
        "A new paragraph starts with an indent and runs on to a",
        "second line.",
        "Queen lifespan  5 years",
    ]


def test_encrypted_and_textless_pdfs_are_reported() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(simple_pdf(GLACIER_PAGES))))
    writer.encrypt("secret", algorithm="RC4-128")
    stream = io.BytesIO()
    writer.write(stream)
    with pytest.raises(ValueError, match="encrypted"):
        read_pdf(stream.getvalue(), "x")

    blank = PdfWriter()
    blank.add_blank_page(612, 792)
    stream = io.BytesIO()
    blank.write(stream)
    with pytest.raises(ValueError, match="no extractable text"):
        read_pdf(stream.getvalue(), "x")


# -- DOCX ----------------------------------------------------------------------------------------


def test_docx_title_heading_styles_lists_and_table() -> None:
    document = read_docx(simple_docx("Village Bakery", BAKERY_SECTIONS, BAKERY_TABLE), "fallback")
    assert document.title == "Village Bakery"
    assert [s.title for s in document.sections] == ["Opening Hours", "Bread", "Bread / Price"]
    assert [(b.kind, document.text[b.start : b.end]) for b in document.blocks] == [
        ("paragraph", "The bakery opens at 6 am on weekdays and at 8 am on Sundays."),
        ("paragraph", "The sourdough rye is baked in a wood-fired oven every morning."),
        ("list_item", "- Rye loaf"),
        ("list_item", "- Spelt rolls"),
        ("table_row", "Rye loaf: 4 euros"),
        ("table_row", "Spelt roll: 1 euro"),
    ]


# -- the loader: formats, metadata, broken files -----------------------------------------------


def test_every_format_is_registered() -> None:
    assert {suffix: READERS[suffix][0] for suffix in (".txt", ".md", ".html", ".htm", ".pdf", ".docx")} == {
        ".txt": "text",
        ".md": "markdown",
        ".html": "html",
        ".htm": "html",
        ".pdf": "pdf",
        ".docx": "docx",
    }


def test_each_document_records_path_title_and_format(tmp_path: Path) -> None:
    corpus = write_format_corpus(tmp_path / "corpus")
    (corpus / "old.htm").write_text(LIGHTHOUSES_HTML, encoding="utf-8")
    report = load_corpus(corpus)
    assert report.skipped == []
    found = {d.doc_id: (d.title, d.format, Path(d.path)) for d in report.documents}
    assert found == {
        "bakery.docx": ("Village Bakery", "docx", corpus / "bakery.docx"),
        "bees.txt": ("Honey Bees", "text", corpus / "bees.txt"),
        "garden.md": ("Tomato Garden", "markdown", corpus / "garden.md"),
        "glaciers.pdf": ("Glacier Survey", "pdf", corpus / "glaciers.pdf"),
        "lighthouses.html": ("Lighthouses of the North", "html", corpus / "lighthouses.html"),
        "old.htm": ("Lighthouses of the North", "html", corpus / "old.htm"),
    }
    pdf = next(d for d in report.documents if d.format == "pdf")
    assert {b.page for b in pdf.blocks} == {1, 2}
    assert all(b.page is None for d in report.documents if d.format != "pdf" for b in d.blocks)


BROKEN_FILES = [
    ("bad.pdf", b"%PDF-1.4\nthis is not really a PDF", "not a readable PDF"),
    ("truncated.pdf", simple_pdf(GLACIER_PAGES)[:300], "not a readable PDF"),
    ("empty.pdf", b"", "empty file"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it looks like a binary file"),
    ("empty.txt", b"", "no text"),
    ("empty.html", b"", "empty file"),
    ("nothing.html", b"<html><body><script>var x = 1;</script></body></html>", "no main text"),
    ("fake.docx", b"PK\x03\x04 not a zip archive", "not a readable Word document"),
    ("empty.docx", b"", "empty file"),
]


@pytest.mark.parametrize(("name", "data", "reason_part"), BROKEN_FILES)
def test_broken_file_is_reported_by_name_and_skipped(tmp_path: Path, name: str, data: bytes, reason_part: str) -> None:
    corpus = write_format_corpus(tmp_path / "corpus")
    (corpus / name).write_bytes(data)
    report = load_corpus(corpus)
    assert sorted(d.doc_id for d in report.documents) == [
        "bakery.docx",
        "bees.txt",
        "garden.md",
        "glaciers.pdf",
        "lighthouses.html",
    ]
    (error,) = report.skipped
    assert error.path == name
    assert reason_part in error.reason
    assert str(error).startswith(f"{name}: ")


def test_a_reader_crash_is_a_read_error_not_a_failed_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(data: bytes, fallback_title: str):
        raise RuntimeError("parser bug")

    monkeypatch.setitem(READERS, ".html", ("html", crash))
    corpus = write_format_corpus(tmp_path / "corpus")
    report = load_corpus(corpus)
    assert [e.path for e in report.skipped] == ["lighthouses.html"]
    assert "RuntimeError: parser bug" in report.skipped[0].reason
    assert len(report.documents) == 4


def test_unsupported_suffixes_are_not_corpus_files(tmp_path: Path) -> None:
    corpus = write_format_corpus(tmp_path / "corpus")
    for name in ("sheet.xlsx", "photo.png", "old.doc", "README"):
        (corpus / name).write_bytes(b"data")
    names = [p.name for p in corpus_files(corpus)]
    assert names == ["bakery.docx", "bees.txt", "garden.md", "glaciers.pdf", "lighthouses.html"]


def test_load_document_of_a_pdf_with_upper_case_suffix(tmp_path: Path) -> None:
    (tmp_path / "SCAN.PDF").write_bytes(simple_pdf(GLACIER_PAGES))
    document = load_document(tmp_path / "SCAN.PDF", tmp_path)
    assert (document.doc_id, document.format) == ("SCAN.PDF", "pdf")


# -- slow: one question per format, answered with the right citation ---------------------------


@pytest.fixture(scope="module")
def format_qa(tmp_path_factory: pytest.TempPathFactory) -> ctqa.DocumentQA:
    root = tmp_path_factory.mktemp("formats")
    corpus = write_format_corpus(root / "corpus")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    qa = ctqa.DocumentQA(corpus, root / "index")
    report = qa.build()
    assert sorted(report.added) == ["bakery.docx", "bees.txt", "garden.md", "glaciers.pdf", "lighthouses.html"]
    assert list(report.skipped) == ["broken.pdf"]
    return qa


@pytest.mark.slow
@pytest.mark.parametrize("case", FORMAT_QUESTIONS, ids=lambda case: case.doc_id)
def test_question_about_each_format_is_answered_with_its_citation(
    format_qa: ctqa.DocumentQA, case: FormatQuestion
) -> None:
    answer = format_qa.ask(case.question)
    assert not answer.abstained, answer
    assert case.answer_part in answer.text
    first = answer.citations[0]
    assert (first.doc_id, first.section, first.page) == (case.doc_id, case.section, case.page)
    assert Path(first.path) == format_qa.corpus_dir / case.doc_id
    document = format_qa.ensure_ready().index.documents[case.doc_id]
    assert first.title == document.title
    assert document.text[first.start : first.end] == first.text


@pytest.mark.slow
def test_ask_restricted_to_documents(format_qa: ctqa.DocumentQA) -> None:
    answer = format_qa.ask("Who invented the Fresnel lens?", documents=["glaciers.pdf", "bees.txt"])
    assert all(c.doc_id in {"glaciers.pdf", "bees.txt"} for c in [*answer.citations, *answer.closest])
    answer = format_qa.ask("How many metres did the glacier retreat?", documents=["glaciers.pdf"])
    best = (answer.citations or answer.closest)[0]
    assert (best.doc_id, best.section, best.page) == ("glaciers.pdf", "Retreat", 2)
    with pytest.raises(ValueError, match="unknown document"):
        format_qa.ask("Who invented the Fresnel lens?", documents=["broken.pdf"])


@pytest.mark.slow
def test_cli_ask_prints_the_page_of_a_pdf_citation(format_qa: ctqa.DocumentQA) -> None:
    result = CliRunner().invoke(
        app,
        [
            "ask",
            "How many metres did the Morteratsch glacier retreat in 2019?",
            "--corpus",
            str(format_qa.corpus_dir),
            "--index",
            str(format_qa.index_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "glaciers.pdf, page 2" in result.stdout


# -- structure_text options used by the readers --------------------------------------------------


def test_explicit_headings_only_take_markdown_heading_lines() -> None:
    from ctqa.ingest.structure import structure_text

    raw = "# Page Title\n\nshort tag line\n\n## Real Heading\n\nBody sentence here.\n\nShort line\n\nMore body.\n"
    loose = structure_text(raw)
    explicit = structure_text(raw, explicit_headings=True)
    assert [s.title for s in loose.sections] == ["Real Heading", "Short line"]
    assert explicit.title == "Page Title"
    assert [s.title for s in explicit.sections] == ["Introduction", "Real Heading"]
    assert blocks_text(explicit) == ["short tag line", "Body sentence here.", "Short line", "More body."]


def test_paged_text_gives_every_block_its_page_and_breaks_paragraphs() -> None:
    from ctqa.ingest.structure import PAGE_BREAK, structure_text

    raw = f"Report Title\n\nFirst page text.\n{PAGE_BREAK}continues on page two.\n\nHeading\n\nThird.{PAGE_BREAK}\n\n"
    result = structure_text(raw, paged=True)
    assert [(result.text[b.start : b.end], b.page, b.section) for b in result.blocks] == [
        ("First page text.", 1, "Introduction"),
        ("continues on page two.", 2, "Introduction"),
        ("Third.", 2, "Heading"),
    ]
    assert all(b.page is None for b in structure_text(raw.replace(PAGE_BREAK, "\n")).blocks)


def test_html_title_goes_before_a_page_that_opens_with_a_subheading() -> None:
    html = (
        "<html><head><title>Field Guide</title></head><body><article><h2>Owls</h2>"
        "<p>Barn owls hunt at night over open fields and hedgerows, listening for voles.</p>"
        "</article></body></html>"
    )
    page = read_html(html.encode(), "fallback")
    assert page.title == "Field Guide"
    assert [s.title for s in page.sections] == ["Owls"]
