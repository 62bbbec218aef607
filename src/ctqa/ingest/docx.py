"""Reader for Word documents (``.docx``), with python-docx.

The body is read in order — paragraphs and tables — and written out as markdown-like text for
``structure_text`` with explicit headings: the "Title" style and "Heading N" styles become
``#`` headings (sections), list styles become ``- `` items, and table rows become ``|``-separated
lines (``Label: Value`` rows after structuring). A .docx has no fixed pages, so blocks carry no
page number. The title is the first "Title"/heading line, else the document's core
``title`` property, else the file name.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from ctqa.ingest.structure import StructuredText, parse_table, structure_text

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_SPACE_RE = re.compile(r"\s+")
_HEADING_STYLE_RE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def read_docx(data: bytes, fallback_title: str) -> StructuredText:
    """Reader for ``.docx``: body paragraphs and tables in reading order.

    Raises:
        ValueError: not a Word document python-docx can open (e.g. a damaged file or an old
            binary ``.doc`` renamed to ``.docx``).
    """
    import docx
    from docx.table import Table

    if not data.strip():
        raise ValueError("empty file")
    try:
        document = docx.Document(io.BytesIO(data))
        pieces: list[str] = []
        for item in document.iter_inner_content():
            pieces.extend(_table_pieces(item) if isinstance(item, Table) else _paragraph_pieces(item))
        core_title = _clean(document.core_properties.title or "")
    except Exception as error:  # zipfile, lxml and python-docx errors all mean "unreadable"
        raise ValueError(f"not a readable Word document ({type(error).__name__}: {error})") from error
    return structure_text(
        "\n\n".join(pieces), fallback_title=core_title or fallback_title, explicit_headings=True
    )


def _clean(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _style_name(paragraph: Paragraph) -> str:
    style: Any = paragraph.style
    return str(style.name or "") if style is not None else ""


def _paragraph_pieces(paragraph: Paragraph) -> list[str]:
    text = _clean(paragraph.text)
    if not text:
        return []
    style = _style_name(paragraph)
    if style.lower() == "title":
        return [f"# {text}"]
    heading = _HEADING_STYLE_RE.match(style)
    if heading:
        return [f"{'#' * min(int(heading.group(1)) + 1, 6)} {text}"]
    is_list = style.lower().startswith("list") or paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    return [f"- {text}" if is_list else text]


def _table_pieces(table: Table) -> list[str]:
    """Rows as one ``a | b`` paragraph when ``structure_text`` reads them as a table, else one
    paragraph per row (cells joined with ``; ``); merged cells are counted once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = _clean(cell.text)
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(cells)
    lines = [" | ".join(cells) for cells in rows]
    if len(lines) >= 2 and parse_table(lines) is not None:
        return ["\n".join(lines)]
    return ["; ".join(cells) for cells in rows]
