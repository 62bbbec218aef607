"""Reader for ``.pdf`` files: the text of every page, with page numbers kept.

pypdf extracts each page in its layout mode, which keeps the vertical gaps between paragraphs
as blank lines (its plain mode runs every line of a page together). The text is then tidied
for ``structure_text``, which gives every block the page it is on:

* **Running headers and footers** — the first or last line of a page that recurs (digits aside)
  at the top or bottom of another page ("Chapter 2: Parsing  14"), and bare page numbers ("12",
  "Page 3 of 9", "- 4 -") there, are dropped; so are table-of-contents lines with dot leaders.
* **Spacing** — layout mode pads words with extra spaces to keep columns; a gap of at least
  ``IngestSettings.pdf_cell_gap`` spaces is kept as a table-cell gap (two spaces, which ``structure_text`` splits
  rows on), shorter runs become one space.
* **Paragraph starts** — an indented line after a line that ends a sentence starts a new
  paragraph (books and LaTeX documents mark paragraphs by indentation, not by gaps).
* **Headings without a gap** — a short line without end punctuation, after a sentence end or
  a gap and before a capitalised line or a gap, is set apart as its own paragraph, where
  ``structure_text`` reads it as a heading.
* **Hyphenation** — a word broken at a line end ("conti-" / "nued") is joined again.

Pages are separated by ``PAGE_BREAK``, so a paragraph never runs across a page; its page is
exact, at the cost of a sentence that continues on the next page being cut in two.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from typing import TYPE_CHECKING

from ctqa.config import INGEST
from ctqa.ingest.structure import PAGE_BREAK, StructuredText, structure_text

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

logger = logging.getLogger(__name__)

# pypdf logs a warning for every defect it repairs while reading ("EOF marker not found", ...);
# a file it cannot read is reported by the loader with the reason, so those are not shown.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Running lines, cell gaps, paragraph indents and inline headings: ``config.IngestSettings``.

_PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$"  # 12, Page 3, 3 of 9, 3/9
    r"|^[-–—]\s*\d{1,4}\s*[-–—]$"  # - 4 -
    r"|^(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$",  # roman page numbers of a preface
    re.IGNORECASE,
)
_LONG_GAP_RE = re.compile(rf" {{{INGEST.pdf_cell_gap},}}")
_SHORT_GAP_RE = re.compile(r"\s+")
_SENTENCE_END_RE = re.compile(r"[.!?:;]['\"’”)\]]*$")
_HYPHENATED_RE = re.compile(r"[A-Za-z]{2}-$")
_DOT_LEADER_RE = re.compile(r"(?:\s?\.){4,}\s*[\divxlc]+$", re.IGNORECASE)


def read_pdf(data: bytes, fallback_title: str) -> StructuredText:
    """Reader for ``.pdf``: every page's text; each block records its 1-based page.

    The title is the first line when it looks like a heading, else the PDF's ``/Title``, else
    ``fallback_title``.

    Raises:
        ValueError: not a PDF pypdf can read, encrypted, or no page has extractable text (a
            scanned PDF needs OCR first).
    """
    from pypdf import PdfReader

    if not data.strip():
        raise ValueError("empty file")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("the PDF is encrypted; save a copy without a password")
        pages = [_page_text(page, number) for number, page in enumerate(reader.pages, start=1)]
        metadata_title = _metadata_title(reader)
    except ValueError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files; all mean "unreadable"
        raise ValueError(f"not a readable PDF ({type(error).__name__}: {error})") from error
    if not any(line.strip() for page in pages for line in page):
        raise ValueError("no extractable text in the PDF (a scanned PDF needs OCR first)")
    pages = drop_running_lines(pages)
    text = PAGE_BREAK.join("\n".join(tidy_page(page)) for page in pages)
    return structure_text(text, fallback_title=metadata_title or fallback_title, paged=True)


def _page_text(page: PageObject, number: int) -> list[str]:
    """Lines of one page in layout mode (plain mode if layout fails); [] if neither works."""
    for mode in ("layout", "plain"):
        try:
            text = page.extract_text(extraction_mode=mode)
        except Exception as error:  # a broken page must not lose the other pages
            logger.debug("page %d: %s extraction failed: %s", number, mode, error)
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n").replace(PAGE_BREAK, "\n").split("\n")
    return []


def _metadata_title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        title = str(metadata.title or "") if metadata else ""
    except Exception:  # a damaged info dictionary only costs the title
        return ""
    return " ".join(title.split())


def _line_key(line: str) -> str:
    """A line compared across pages: case, spacing and numbers ignored."""
    return re.sub(r"\d+", "#", " ".join(line.split()).casefold())


def _edge_lines(page: list[str]) -> list[int]:
    """Numbers of the first and last non-blank lines of a page."""
    filled = [number for number, line in enumerate(page) if line.strip()]
    return sorted({filled[0], filled[-1]}) if filled else []


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without their running headers/footers and page-number lines (see module doc)."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_line_key(page[number]) for number in _edge_lines(page)})
    cleaned = []
    for page in pages:
        drop = {
            number
            for number in _edge_lines(page)
            if counts[_line_key(page[number])] >= INGEST.pdf_running_line_min_pages or _PAGE_NUMBER_RE.match(page[number].strip())
        }
        cleaned.append(["" if number in drop else line for number, line in enumerate(page)])
    return cleaned


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def tidy_page(lines: list[str]) -> list[str]:
    """One page's layout lines made ready for ``structure_text`` (see module doc)."""
    lines = ["" if _DOT_LEADER_RE.search(line) else line for line in lines]
    indents = Counter(_indent(line) for line in lines if line.strip())
    margin = min(indents, key=lambda indent: (-indents[indent], indent)) if indents else 0
    out: list[str] = []
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        indent = _indent(line)
        cells = [_SHORT_GAP_RE.sub(" ", cell).strip() for cell in _LONG_GAP_RE.split(line.strip())]
        tidy = "  ".join(cell for cell in cells if cell)
        previous = out[-1] if out else ""
        if previous and margin + 2 <= indent <= margin + INGEST.pdf_paragraph_indent_max and _SENTENCE_END_RE.search(previous):
            out.append("")
        elif previous and _HYPHENATED_RE.search(previous) and tidy[:1].islower():
            word, _, rest = tidy.partition(" ")
            out[-1] = previous[:-1] + word
            if not rest:
                continue
            tidy = rest
        out.append(tidy)
    return _set_apart_headings(out)


def _set_apart_headings(lines: list[str]) -> list[str]:
    """Blank lines around short unpunctuated lines standing between sentences (module doc)."""
    lengths = sorted(len(line) for line in lines if line)
    usual = lengths[len(lengths) // 2] if lengths else 0
    out: list[str] = []
    for number, line in enumerate(lines):
        previous = lines[number - 1] if number else ""
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if (
            line
            and (not previous or _SENTENCE_END_RE.search(previous))
            and (not following or following[:1].isupper())
            and not _SENTENCE_END_RE.search(line)
            and len(line.split()) <= INGEST.pdf_inline_heading_max_words
            and len(line) < INGEST.pdf_inline_heading_max_length_share * usual
        ):
            out += ["", line, ""]
        else:
            out.append(line)
    return out
