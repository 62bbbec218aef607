"""Find and read the documents of a corpus folder.

Each supported file becomes a ``Document`` whose ``doc_id`` is its path relative to the corpus
folder (POSIX form, e.g. ``"fighting-terrorism-diplomacy-cooperation.txt"``): stable across
runs and machines, readable in citations. Readers are chosen by file suffix in ``READERS``:

========================  ==========  ========================================================
suffix                    format      reader
========================  ==========  ========================================================
``.txt``                  text        UTF-8 text, structured by rules (``structure.py``)
``.md``, ``.markdown``    markdown    the same; ``#`` lines are headings
``.html``, ``.htm``       html        main text by trafilatura, headings kept (``html.py``)
``.pdf``                  pdf         pypdf, page number on every block (``pdf.py``)
``.docx``                 docx        python-docx, heading styles kept (``docx.py``)
========================  ==========  ========================================================

A file that cannot be read (damaged PDF, non-UTF-8 text, empty file, ...) is reported as a
``DocumentReadError`` naming the file and the reason, and skipped, never stopping the rest of
the corpus.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ctqa.errors import CorpusError, DocumentReadError
from ctqa.ingest.docx import read_docx
from ctqa.ingest.html import read_html
from ctqa.ingest.pdf import read_pdf
from ctqa.ingest.structure import StructuredText, structure_text
from ctqa.types import Document

logger = logging.getLogger(__name__)

Reader = Callable[[bytes, str], StructuredText]


def read_plain_text(data: bytes, fallback_title: str) -> StructuredText:
    """Reader for ``.txt`` and ``.md``: UTF-8 text (a BOM is allowed), structured by rules."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 text (byte {error.start}); save the file as UTF-8") from error
    if "\x00" in text:
        raise ValueError("contains NUL bytes; it looks like a binary file")
    return structure_text(text, fallback_title=fallback_title)


READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("text", read_plain_text),
    ".md": ("markdown", read_plain_text),
    ".markdown": ("markdown", read_plain_text),
    ".html": ("html", read_html),
    ".htm": ("html", read_html),
    ".pdf": ("pdf", read_pdf),
    ".docx": ("docx", read_docx),
}


def supported_suffixes() -> list[str]:
    """The file suffixes a corpus may hold, e.g. ``[".docx", ".htm", ...]``."""
    return sorted(READERS)


def is_supported(path: Path) -> bool:
    """True when ``path``'s suffix has a reader (case-insensitive: ``REPORT.PDF`` counts)."""
    return path.suffix.lower() in READERS


@dataclass
class LoadReport:
    """What ``load_corpus`` read: the documents, and the files it skipped with the reason."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[DocumentReadError] = field(default_factory=list)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files under ``corpus_dir`` (recursively), sorted, hidden files excluded."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; create it and add documents")
    return sorted(
        path
        for path in corpus_dir.rglob("*")
        if path.is_file()
        and is_supported(path)
        and not any(part.startswith(".") for part in path.relative_to(corpus_dir).parts)
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path, corpus_dir: Path) -> Document:
    """Read one file into a ``Document``; raises ``DocumentReadError`` naming the file and reason."""
    doc_id = path.relative_to(corpus_dir).as_posix()
    format_name, reader = READERS[path.suffix.lower()]
    try:
        data = path.read_bytes()
        structured = reader(data, path.stem.replace("-", " ").replace("_", " "))
    except (OSError, ValueError) as error:
        raise DocumentReadError(doc_id, str(error)) from error
    except Exception as error:  # a parser bug on one odd file must not stop the whole build
        logger.debug("reader for %s failed", doc_id, exc_info=True)
        raise DocumentReadError(doc_id, f"could not be parsed ({type(error).__name__}: {error})") from error
    if not structured.blocks:
        raise DocumentReadError(doc_id, "no text found (empty file or only boilerplate)")
    return Document(
        doc_id=doc_id,
        title=structured.title,
        path=str(path),
        format=format_name,
        text=structured.text,
        sha256=hashlib.sha256(data).hexdigest(),
        sections=structured.sections,
        blocks=structured.blocks,
    )


def load_corpus(corpus_dir: Path, *, show_progress: bool = False) -> LoadReport:
    """Read every supported file of ``corpus_dir``; unreadable ones are skipped and reported.

    Args:
        corpus_dir: the corpus folder.
        show_progress: show a progress bar over the files (on stderr).

    Raises:
        CorpusError: ``corpus_dir`` is not a folder.
    """
    report = LoadReport()
    files = corpus_files(corpus_dir)
    for path in tqdm(files, desc="Reading documents", unit="file", disable=not show_progress):
        try:
            report.documents.append(load_document(path, corpus_dir))
        except DocumentReadError as error:
            logger.warning("skipped %s", error)
            report.skipped.append(error)
    return report
