"""Find and read the documents of a corpus folder.

Each supported file becomes a ``Document`` whose ``doc_id`` is its path relative to the corpus
folder (POSIX form, e.g. ``"fighting-terrorism-diplomacy-cooperation.txt"``): stable across
runs and machines, readable in citations. Readers are chosen by file suffix in ``READERS``:

========================  ==========  ========================================================
suffix                    format      reader
========================  ==========  ========================================================
``.txt``                  text        plain text, structured by rules (``structure.py``)
``.md``, ``.markdown``    markdown    the same; ``#`` lines are headings
``.html``, ``.htm``       html        main text by trafilatura, headings kept (``html.py``)
``.pdf``                  pdf         pypdf, page number on every block (``pdf.py``)
``.docx``                 docx        python-docx, heading styles kept (``docx.py``)
========================  ==========  ========================================================

Plain text is read as UTF-8 (a byte order mark is allowed) or, when it is not UTF-8, in the
encoding ``charset_normalizer`` detects (Windows-1252, Latin-1, ...; ``encoding.py``); a file
with NUL bytes or control characters is binary, not text. Offsets are in the decoded text.

A file that cannot be read (damaged PDF, binary file renamed ``.txt``, empty file, ...) or is
larger than ``CorpusSettings.max_file_bytes`` is reported as a ``DocumentReadError`` naming the
file and the reason, and skipped, never stopping the rest of the corpus. A file of another type
(``.png``, ``.xlsx``, ``.zip``, no suffix) is not read and is reported with the suffixes ctqa
reads. What is no document at all is neither read nor reported (``NOT_DOCUMENTS``): hidden
files and folders, editor backups and swap files, Office lock files, Windows' folder files, and
ctqa's index folders.

**The corpus boundary.** Only what lies inside the corpus folder is read: a file or folder
symlink that resolves outside it is reported ("points outside the corpus; not indexed") and
skipped unless ``CorpusSettings.follow_outside_links`` is set. A folder symlink that resolves
inside the corpus is not followed (its files are listed under their own path), so no file is
read twice and a link to a parent folder cannot loop. Doc ids and ``Document.path`` always name
the file as it appears inside the corpus folder, never the link's target.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ctqa.config import INGEST, CorpusSettings
from ctqa.errors import CorpusError, DocumentReadError
from ctqa.index.layout import is_index_folder
from ctqa.ingest.docx import read_docx
from ctqa.ingest.encoding import decode_text
from ctqa.ingest.html import read_html
from ctqa.ingest.pdf import read_pdf
from ctqa.ingest.structure import StructuredText, structure_text
from ctqa.types import Document

logger = logging.getLogger(__name__)

Reader = Callable[[bytes, str], StructuredText]


def read_plain_text(data: bytes, fallback_title: str) -> StructuredText:
    """Reader for ``.txt`` and ``.md``: UTF-8 or a detected encoding (``encoding.decode_text``),
    structured by rules."""
    text, encoding = decode_text(data, detect=INGEST.detect_text_encoding)
    if encoding != "utf-8":
        logger.debug("%s: not UTF-8, read as %s", fallback_title, encoding)
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


def unsupported_type(path: Path) -> str:
    """The reason a file of a type without a reader is not read, with the types that are."""
    kind = f"unsupported file type {path.suffix.lower()}" if path.suffix else "no file type (no suffix)"
    return f"{kind} (ctqa reads: {', '.join(supported_suffixes())})"


@dataclass(frozen=True)
class NotDocument:
    """A kind of file or folder that is no document: the listing neither reads nor reports it."""

    what: str
    matches: Callable[[Path], bool]
    folders_only: bool = False


# What a corpus folder may hold that nobody put there to be read: tools write these beside the
# documents, and reporting each as "not indexed" would bury the files a user should look at.
# A folder that matches is left out with everything under it.
NOT_DOCUMENTS: tuple[NotDocument, ...] = (
    NotDocument("hidden file or folder (.git, .DS_Store, .ctqa-index)", lambda path: path.name.startswith(".")),
    NotDocument("editor backup (notes.txt~)", lambda path: path.name.endswith("~")),
    NotDocument("Vim swap file (.swp, .swo)", lambda path: path.suffix.lower() in {".swp", ".swo"}),
    NotDocument("Emacs auto-save file (#notes.txt#)", lambda path: path.name.startswith("#") and path.name.endswith("#")),
    NotDocument("Office lock file (~$report.docx)", lambda path: path.name.startswith("~$")),
    NotDocument("Windows thumbnail cache or folder settings (Thumbs.db, desktop.ini)", lambda path: path.name.lower() in {"thumbs.db", "desktop.ini"}),
    NotDocument("ctqa index folder (manifest.json beside build-* folders)", is_index_folder, folders_only=True),
)


def not_a_document(path: Path, *, folder: bool) -> str:
    """What ``path`` is when it is no document (``NOT_DOCUMENTS``), else ""."""
    for rule in NOT_DOCUMENTS:
        if (folder or not rule.folders_only) and rule.matches(path):
            return rule.what
    return ""


OUTSIDE_CORPUS = (
    "points outside the corpus; not indexed (set CorpusSettings.follow_outside_links, "
    "`ctqa index --follow-outside-links`, to read it)"
)


BROKEN_LINK = "broken link: target missing"


@dataclass
class LoadReport:
    """What ``load_corpus`` read: the documents, and the files it skipped with the reason.

    ``unread`` lists what is reported but never read: symlinks pointing outside the corpus,
    broken ones, and files of an unsupported type. They are not corpus files, so they take no
    part in the index's staleness check.
    """

    documents: list[Document] = field(default_factory=list)
    skipped: list[DocumentReadError] = field(default_factory=list)
    unread: list[DocumentReadError] = field(default_factory=list)


@dataclass(frozen=True)
class CorpusListing:
    """The files of a corpus folder: those to read, and those reported but never read."""

    files: tuple[Path, ...]
    outside: tuple[str, ...]  # relative POSIX paths of refused links (files or folders)
    broken: tuple[str, ...] = ()  # relative POSIX paths of links whose target does not exist
    unsupported: tuple[str, ...] = ()  # relative POSIX paths of files no reader takes

    def unread(self) -> dict[str, str]:
        """Every path listed but not read, with the reason, by relative path."""
        return {
            **{path: OUTSIDE_CORPUS for path in self.outside},
            **{path: BROKEN_LINK for path in self.broken},
            **{path: unsupported_type(Path(path)) for path in self.unsupported},
        }


def unindexed_files(corpus_dir: Path, settings: CorpusSettings) -> dict[str, str]:
    """The paths of ``corpus_dir`` that are never read (links outside the corpus or broken,
    files of an unsupported type), with the reason: reported by every listing of the corpus,
    not only by a build."""
    return list_corpus(corpus_dir, follow_outside_links=settings.follow_outside_links).unread()


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path``, with every symlink resolved, is ``root`` or lies under it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop resolves nowhere
        return False


def require_corpus_folder(corpus_dir: Path) -> None:
    """Raises ``CorpusError`` when ``corpus_dir`` is not a folder: checked before anything is
    written for it (a build must not leave an index folder behind for a mistyped path)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; create it and add documents")


def list_corpus(corpus_dir: Path, *, follow_outside_links: bool = False) -> CorpusListing:
    """Supported files under ``corpus_dir`` (recursively, sorted, ``NOT_DOCUMENTS`` left out),
    the symlinks found there that resolve outside it or nowhere (see the module docstring), and
    the files of an unsupported type.

    Raises:
        CorpusError: ``corpus_dir`` is not a folder.
    """
    require_corpus_folder(corpus_dir)
    root = corpus_dir.resolve()
    found: dict[str, list[Path]] = {"read": [], "outside": [], "broken": [], "unsupported": []}
    outside_folders: list[str] = []
    visited = {root}
    for folder, subfolders, names in os.walk(corpus_dir, followlinks=True):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in sorted(subfolders)
            if _walk_into(here / name, corpus_dir, root, follow_outside_links, visited, outside_folders)
        ]
        for name in names:
            kind = _file_kind(here / name, root, follow_outside_links)
            if kind:
                found[kind].append(here / name)

    def relative(kind: str) -> list[str]:
        return [path.relative_to(corpus_dir).as_posix() for path in found[kind]]

    return CorpusListing(
        files=tuple(sorted(found["read"])),
        outside=tuple(sorted([*outside_folders, *relative("outside")])),
        broken=tuple(sorted(relative("broken"))),
        unsupported=tuple(sorted(relative("unsupported"))),
    )


def _file_kind(path: Path, root: Path, follow_outside_links: bool) -> str:
    """What ``list_corpus`` does with the file ``path``: "read" it, report it ("outside",
    "broken", "unsupported"), or "" (no document: ``NOT_DOCUMENTS``, a socket or a pipe)."""
    if not_a_document(path, folder=False):
        return ""
    if _is_broken_link(path):  # no suffix: it may have been a folder
        return "broken" if is_supported(path) or not path.suffix else ""
    if not path.is_file():
        return ""
    if not is_supported(path):  # following a link would not make it readable: its type says why
        return "unsupported"
    if path.is_symlink() and not follow_outside_links and not is_inside(path, root):
        return "outside"
    return "read"


def _is_broken_link(path: Path) -> bool:
    """True for a symlink whose target does not exist (or that loops back on itself)."""
    try:
        return path.is_symlink() and not path.exists()
    except OSError:
        return True


def _walk_into(
    path: Path, corpus_dir: Path, root: Path, follow_outside_links: bool, visited: set[Path], outside: list[str]
) -> bool:
    """Whether ``list_corpus`` walks into subfolder ``path``: not hidden; a link only when it
    leaves the corpus and that is allowed (a link inside is listed under its own path already),
    and never twice (a loop); never into what is no document (``NOT_DOCUMENTS``). A refused
    outside link is added to ``outside``."""
    if not_a_document(path, folder=True):
        return False
    if not path.is_symlink():
        return True
    target_inside = is_inside(path, root)
    if not target_inside and not follow_outside_links:
        outside.append(path.relative_to(corpus_dir).as_posix())
        return False
    resolved = path.resolve()
    if target_inside or resolved in visited:
        return False
    visited.add(resolved)
    return True


def corpus_files(corpus_dir: Path, *, follow_outside_links: bool = False) -> list[Path]:
    """The files of ``corpus_dir`` to read (``list_corpus(...).files``)."""
    return list(list_corpus(corpus_dir, follow_outside_links=follow_outside_links).files)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def too_large(size: int, limit: int) -> str:
    """The reason a file of ``size`` bytes over ``limit`` is skipped, with how to raise the limit."""
    return (
        f"is {size / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit per file; split it or raise "
        "CorpusSettings.max_file_bytes (`ctqa index --max-file-mb N`)"
    )


def load_document(path: Path, corpus_dir: Path, *, max_bytes: int | None = None) -> Document:
    """Read one file into a ``Document``; raises ``DocumentReadError`` naming the file and reason.

    ``max_bytes`` (default ``CorpusSettings().max_file_bytes``) is the largest file read.
    """
    doc_id = path.relative_to(corpus_dir).as_posix()
    format_name, reader = READERS[path.suffix.lower()]
    limit = CorpusSettings().max_file_bytes if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DocumentReadError(doc_id, str(error)) from error
    if size > limit:
        raise DocumentReadError(doc_id, too_large(size, limit))
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


def load_corpus(
    corpus_dir: Path, *, show_progress: bool = False, settings: CorpusSettings | None = None
) -> LoadReport:
    """Read every supported file of ``corpus_dir``; unreadable ones are skipped and reported.

    Args:
        corpus_dir: the corpus folder.
        show_progress: show a progress bar over the files (on stderr).
        settings: the file size limit and whether links outside the corpus are read.

    Raises:
        CorpusError: ``corpus_dir`` is not a folder.
    """
    settings = settings or CorpusSettings()
    report = LoadReport()
    listing = list_corpus(corpus_dir, follow_outside_links=settings.follow_outside_links)
    for unread, reason in listing.unread().items():
        logger.info("skipped %s: %s", unread, reason)
        report.unread.append(DocumentReadError(unread, reason))
    for path in tqdm(listing.files, desc="Reading documents", unit="file", disable=not show_progress):
        try:
            report.documents.append(load_document(path, corpus_dir, max_bytes=settings.max_file_bytes))
        except DocumentReadError as error:
            # INFO: the caller reports every skipped file once (``BuildReport.skipped``)
            logger.info("skipped %s", error)
            report.skipped.append(error)
    return report
