"""Find and read the documents of a corpus folder.

Each supported file becomes a ``Document`` whose ``doc_id`` is its path relative to the corpus
folder (POSIX form, e.g. ``"fighting-terrorism-diplomacy-cooperation.txt"``): stable across
runs and machines, readable in citations. Readers are chosen by file suffix in ``READERS``; a
file that cannot be read is reported as a ``DocumentReadError`` and skipped, never stopping the
rest of the corpus.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ctqa.errors import CorpusError, DocumentReadError
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
}


def register_reader(suffix: str, format_name: str, reader: Reader) -> None:
    """Add a reader for another file suffix (e.g. ``.html``); ``suffix`` includes the dot."""
    READERS[suffix.lower()] = (format_name, reader)


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
        and path.suffix.lower() in READERS
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


def load_corpus(corpus_dir: Path) -> LoadReport:
    """Read every supported file of ``corpus_dir``; unreadable ones are skipped and reported."""
    report = LoadReport()
    for path in corpus_files(corpus_dir):
        try:
            report.documents.append(load_document(path, corpus_dir))
        except DocumentReadError as error:
            logger.warning("skipped %s", error)
            report.skipped.append(error)
    return report
