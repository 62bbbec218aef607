"""Turn a plain-text or markdown page into cleaned text with sections, tables and FAQ blocks.

Input is the raw file text; output is a ``StructuredText``: the cleaned text (what every offset
in ctqa points into) and its ``Section``/``Block`` lists. The rules, in order:

* Boilerplate lines are dropped first (see ``boilerplate.py``).
* The first line is the title. A lower-case heading-like line right after it (a tag line or
  the search query the page was written for) is kept as a subtitle but is not a passage.
* Paragraphs are runs of non-blank lines; hard-wrapped lines are joined with a space.
* A **heading** is a one-line paragraph with no sentence punctuation at its end (or a markdown
  ``#`` line). Body text before the first heading belongs to the section "Introduction".
* A **table** is a paragraph of two or more "label value" lines whose value is a number, a
  year, a date or an amount (or that are split by tabs / ``|`` / two spaces), optionally under a
  short header line ("Characteristics Values"). Each row becomes one line in the cleaned text
  (as written when it is one phrase ending in its value, "Label: Value" when its cells were split
  by tabs or ``|``) and one ``table_row`` block; the table is a section named after its header
  columns ("Characteristics / Values").
* Under a heading such as "Frequently asked questions" / "FAQ", each paragraph is a ``faq``
  block (a question line ending in "?" is kept with the answer that follows it).

Two options serve the other readers (``html.py``, ``pdf.py``, ``docx.py``), which first turn
their format into this markdown-like text:

* ``explicit_headings=True``: only markdown ``#`` lines are headings, for formats that mark
  their headings (HTML ``<h2>``, Word "Heading 2"), so a short unpunctuated paragraph there
  stays body text.
* ``paged=True``: pages are separated by a form feed (``PAGE_BREAK``); a page break ends a
  paragraph, and every block records the 1-based page it is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ctqa.config import INGEST
from ctqa.ingest.boilerplate import boilerplate_lines
from ctqa.types import Block, BlockKind, Section

INTRODUCTION = "Introduction"
PAGE_BREAK = "\f"

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
# The value at the end of a flattened table row: "... October 2020", "... 93", "... $1.2 billion".
_ROW_VALUE_RE = re.compile(
    r"^(?P<label>.*?[A-Za-z].*?)\s+(?P<value>"
    rf"(?:(?:\d{{1,2}}\s+)?(?:{_MONTHS})\.?\s+(?:\d{{1,2}},\s+)?\d{{4}})"
    r"|(?:[$€£]\s?)?\d[\d,.]*(?:\s*(?:%|percent|million|billion|thousand|km|kg|years?))?"
    r"|yes|no|none|n/a)$",
    re.IGNORECASE,
)
_CELL_SPLIT_RE = re.compile(r"\t+|\s*\|\s*|\s{2,}")
_SENTENCE_END_RE = re.compile(r"[.!?:;,]['\")\]]*$")
_FAQ_HEADING_RE = re.compile(r"^(?:frequently\s+asked\s+questions|faqs?|q\s*&\s*a)\b", re.I)
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*$")
_MD_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class StructuredText:
    """Cleaned text plus where its title, sections and blocks are (offsets into ``text``)."""

    title: str
    text: str
    sections: tuple[Section, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class TableRow:
    """One row: its label, its value, and the text the cleaned document shows for it."""

    label: str
    value: str
    text: str


def split_table_row(line: str) -> TableRow | None:
    """Split a flattened table line into label and value, or ``None`` if it is not a row."""
    line = line.strip().strip("|").strip()
    # A table row is a short line; a long one is prose (and _ROW_VALUE_RE's lazy label would
    # take time quadratic in its length on a paragraph written as one line).
    if not line or line.endswith(".") or len(line) > INGEST.table_row_max_chars:
        return None
    cells = [cell for cell in _CELL_SPLIT_RE.split(line) if cell]
    if len(cells) >= 2:
        # cells split by tabs or pipes have no one way of reading: shown as "Label: Value"
        label, value = cells[0].strip(), " ".join(c.strip() for c in cells[1:])
        return TableRow(label, value, f"{label}: {value}")
    match = _ROW_VALUE_RE.match(line)
    if match and len(match.group("label").split()) >= 2:
        # a row written as one phrase ("Year NATO invoked its collective defence clause 2001")
        # stays word for word as the page has it, so a quote of the page is found in the answer
        return TableRow(match.group("label").strip(), match.group("value").strip(), line)
    return None


def table_name(header: str) -> str:
    """"Characteristics Values" -> "Characteristics / Values"; "A\tB" -> "A / B"."""
    cells = [c for c in _CELL_SPLIT_RE.split(header.strip().strip("|")) if c.strip()]
    if len(cells) < 2 and len(header.split()) == 2:
        cells = header.split()
    return " / ".join(c.strip() for c in cells) if cells else header.strip()


def parse_table(lines: list[str]) -> tuple[str, list[TableRow]] | None:
    """Parse a paragraph's lines as a table: returns ``(name, rows)`` or ``None``."""
    lines = [line for line in lines if not _MD_RULE_RE.match(line)]
    header = ""
    body = lines
    if lines and (split_table_row(lines[0]) is None or "|" in lines[0] or "\t" in lines[0]):
        first = lines[0]
        no_digits = not any(ch.isdigit() for ch in first)
        words_in_cells = first.replace("|", " ").split()
        if no_digits and len(words_in_cells) <= INGEST.table_header_max_words and not _SENTENCE_END_RE.search(first):
            header, body = first, lines[1:]
    rows = [split_table_row(line) for line in body]
    if len(rows) < 2 or any(row is None for row in rows):
        return None
    return table_name(header) if header else "Table", [row for row in rows if row is not None]


def is_heading(paragraph: list[str], *, explicit: bool = False) -> bool:
    """A one-line paragraph that is a heading; with ``explicit``, only a markdown ``#`` line."""
    if len(paragraph) != 1:
        return False
    line = paragraph[0].strip()
    if _MD_HEADING_RE.match(line):
        return True
    if explicit:
        return False
    return (
        0 < len(line.split()) <= INGEST.heading_max_words
        and not _SENTENCE_END_RE.search(line)
        and not line.startswith(("-", "*", "•"))
    )


def numbered_paragraphs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Paragraphs (runs of non-blank lines; a markdown heading is one of its own) as ``(number of
    their first line, lines)``."""
    paragraphs: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines):
        if _MD_HEADING_RE.match(line.strip()):  # a markdown heading is a paragraph of its own
            if current:
                paragraphs.append((first, current))
            paragraphs.append((number, [line.rstrip()]))
            current = []
        elif line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            paragraphs.append((first, current))
            current = []
    if current:
        paragraphs.append((first, current))
    return paragraphs


def split_lines(raw: str, *, paged: bool = False) -> tuple[list[str], list[int] | None]:
    """Lines of ``raw`` and, when ``paged``, the 1-based page of each line.

    Pages are separated by ``PAGE_BREAK``; a blank line is put at each break, so no paragraph
    runs across pages.
    """
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not paged:
        return raw.split("\n"), None
    lines: list[str] = []
    pages: list[int] = []
    for number, page in enumerate(raw.split(PAGE_BREAK), start=1):
        page_lines = [*page.split("\n"), ""]
        lines += page_lines
        pages += [number] * len(page_lines)
    return lines, pages


class _TextWriter:
    """Appends pieces of cleaned text and returns their offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def write(self, piece: str, separator: str = "\n\n") -> tuple[int, int]:
        if self.parts:
            self.parts.append(separator)
            self.length += len(separator)
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    def text(self) -> str:
        return "".join(self.parts)


def _heading_text(line: str) -> str:
    match = _MD_HEADING_RE.match(line.strip())
    return match.group("title").strip() if match else line.strip()


Numbered = list[tuple[int, list[str]]]


class _Structurer:
    """Walks the numbered paragraphs of one page, writing the cleaned text and recording its
    sections and blocks (``structure_text``)."""

    def __init__(self, line_pages: list[int] | None, explicit_headings: bool) -> None:
        self.line_pages = line_pages
        self.explicit_headings = explicit_headings
        self.writer = _TextWriter()
        self.blocks: list[Block] = []
        self.sections: list[Section] = []
        self.section_title = INTRODUCTION
        self.section_start = 0
        self.in_faq = False
        self.pending_question = ""

    def heading(self, paragraph: list[str]) -> bool:
        return is_heading(paragraph, explicit=self.explicit_headings)

    def title(self, numbered: Numbered, fallback_title: str) -> tuple[str, Numbered]:
        """The page title (its first heading line, else ``fallback_title``) and the paragraphs
        after it; a lower-case tag line or search query under the title is written but skipped."""
        if not (numbered and self.heading(numbered[0][1][:1])):
            return fallback_title, numbered
        first_line, first_paragraph = numbered[0]
        title = _heading_text(first_paragraph[0])
        self.writer.write(title)
        rest = [(first_line + 1, first_paragraph[1:])] if len(first_paragraph) > 1 else []
        numbered = [*rest, *numbered[1:]]
        first = numbered[0][1][0].strip() if numbered else ""
        if (
            not self.explicit_headings
            and first[:1].islower()
            and is_heading(numbered[0][1])
            and not _MD_HEADING_RE.match(first)
        ):
            self.writer.write(first)  # a lower-case tag line or search query: kept, but not a passage
            numbered = numbered[1:]
        return title, numbered

    def close_section(self) -> None:
        end = self.writer.length
        if any(b.section == self.section_title and b.start >= self.section_start for b in self.blocks):
            self.sections.append(Section(self.section_title, self.section_start, end))

    def add(self, line_number: int, paragraph: list[str]) -> None:
        """Write one paragraph: a heading opens a section, a table its rows, else a block."""
        page = self.line_pages[line_number] if self.line_pages is not None else None
        if self.heading(paragraph) and not (self.in_faq and paragraph[0].rstrip().endswith("?")):
            self.open_section(_heading_text(paragraph[0]))
            return
        table = parse_table(paragraph)
        if table is not None:
            self.add_table(*table, page=page)
            return
        self.add_block(paragraph, page)

    def open_section(self, heading_title: str) -> None:
        self.close_section()
        self.section_start, _ = self.writer.write(heading_title)
        self.section_title, self.in_faq = heading_title, bool(_FAQ_HEADING_RE.match(heading_title))
        self.pending_question = ""  # a question left without an answer does not leak onward

    def add_table(self, name: str, rows: list[TableRow], *, page: int | None) -> None:
        self.close_section()
        table_start, _ = self.writer.write(name)
        for row in rows:
            start, end = self.writer.write(row.text, separator="\n")
            self.blocks.append(Block("table_row", start, end, name, table=name, page=page))
        self.sections.append(Section(name, table_start, self.writer.length))
        self.section_start = self.writer.length

    def add_block(self, paragraph: list[str], page: int | None) -> None:
        text = " ".join(line.strip() for line in paragraph)
        if self.in_faq and text.endswith("?") and len(paragraph) == 1:
            self.pending_question = text  # an FAQ question: written with its answer
            return
        kind: BlockKind = "faq" if self.in_faq else "paragraph"
        if self.pending_question:
            text, self.pending_question = f"{self.pending_question}\n{text}", ""
        if text.lstrip().startswith(("- ", "* ", "• ")) and not self.in_faq:
            kind = "list_item"
        start, end = self.writer.write(text)
        self.blocks.append(Block(kind, start, end, self.section_title, page=page))


def structure_text(
    raw: str, *, fallback_title: str = "", explicit_headings: bool = False, paged: bool = False
) -> StructuredText:
    """Clean ``raw`` page text and find its title, sections, table rows and FAQ answers.

    Args:
        raw: the page text (plain text or markdown).
        fallback_title: the title when the page does not start with a heading line.
        explicit_headings: only markdown ``#`` lines are headings (HTML, DOCX).
        paged: ``raw`` holds pages separated by ``PAGE_BREAK``; blocks get their page number.
    """
    lines, line_pages = split_lines(raw, paged=paged)
    dropped = boilerplate_lines(lines)
    kept = ["" if number in dropped else line for number, line in enumerate(lines)]
    structurer = _Structurer(line_pages, explicit_headings)
    title, numbered = structurer.title(numbered_paragraphs(kept), fallback_title)
    structurer.section_start = structurer.writer.length
    for line_number, paragraph in numbered:
        structurer.add(line_number, paragraph)
    structurer.close_section()
    sections = sorted(structurer.sections, key=lambda section: section.start)
    return StructuredText(title or fallback_title, structurer.writer.text(), tuple(sections), tuple(structurer.blocks))
