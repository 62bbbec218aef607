"""Reader for saved web pages (``.html``, ``.htm``): main text only, title and headings kept.

trafilatura finds the main text of the page (navigation, sidebars, footers and comment threads
are dropped) and returns it as XML with ``<head>``, ``<p>``, ``<list>`` and ``<table>``
elements. That tree is written out as markdown-like text (``#`` headings, ``- `` list items,
``|``-separated table rows) and structured by ``structure_text`` with explicit headings, so the
page's own ``<h2>``/``<h3>`` headings become the sections and tables become ``Label: Value``
rows like in plain-text pages.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from ctqa.ingest.structure import StructuredText, parse_table, structure_text

_SPACE_RE = re.compile(r"\s+")
_HEADING_LEVEL_RE = re.compile(r"h([1-6])$")
# Markdown level written for a <head> without a level (trafilatura's rend="h2".."h6" is kept).
DEFAULT_HEADING_LEVEL = 2


def read_html(data: bytes, fallback_title: str) -> StructuredText:
    """Reader for ``.html``/``.htm``: the page's main text, structured by its headings.

    Raises:
        ValueError: trafilatura finds no main text (an empty page, or not HTML).
    """
    import trafilatura

    if not data.strip():
        raise ValueError("empty file")
    extracted = trafilatura.extract(
        data,
        output_format="xml",
        include_tables=True,
        include_comments=False,
        include_formatting=False,
        include_links=False,
        include_images=False,
        with_metadata=True,
        favor_recall=True,
    )
    if not extracted:
        raise ValueError("no main text found in the HTML page")
    root = ElementTree.fromstring(extracted)
    main = root.find("main")
    if main is None or not len(main):
        raise ValueError("no main text found in the HTML page")
    for line_break in main.iter("lb"):  # <br/>: a space, so the words either side stay apart
        line_break.text = " "
    title = _clean(root.get("title") or "")
    return structure_text(
        html_markdown(main, title), fallback_title=title or fallback_title, explicit_headings=True
    )


def html_markdown(main: Element, title: str) -> str:
    """The markdown-like text of trafilatura's ``<main>`` element, with ``# title`` first.

    The page's title goes first unless the main text already starts with its ``<h1>``, which
    then is the title (it is the heading readers see; ``<title>`` often carries the site name).
    """
    pieces: list[str] = []
    for element in main:
        pieces.extend(_element_pieces(element))
    if title and not (pieces and pieces[0].startswith("# ")):
        pieces.insert(0, f"# {title}")
    return "\n\n".join(piece for piece in pieces if piece.strip())


def _clean(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _text_of(element: Element) -> str:
    return _clean("".join(element.itertext()))


def _element_pieces(element: Element) -> list[str]:
    """Paragraph-sized pieces of one child of ``<main>``."""
    tag = element.tag
    if tag == "head":
        text = _text_of(element)
        match = _HEADING_LEVEL_RE.match(element.get("rend") or "")
        level = int(match.group(1)) if match else DEFAULT_HEADING_LEVEL
        return [f"{'#' * level} {text}"] if text else []
    if tag == "list":
        return [f"- {text}" for item in element.iter("item") if (text := _text_of(item))]
    if tag == "table":
        return _table_pieces(element)
    text = _text_of(element)
    return [text] if text else []


def _table_pieces(table: Element) -> list[str]:
    """A table as one paragraph of ``a | b`` rows when ``structure_text`` reads it as a table,
    else one paragraph per row (cells joined with ``; ``)."""
    rows = []
    for row in table.iter("row"):
        cells = [_text_of(cell) for cell in row.iter("cell")]
        cells = [cell for cell in cells if cell]
        if cells:
            rows.append(cells)
    if not rows:
        return []
    lines = [" | ".join(cells) for cells in rows]
    if parse_table(lines) is not None:
        return ["\n".join(lines)]
    return ["; ".join(cells) for cells in rows]
