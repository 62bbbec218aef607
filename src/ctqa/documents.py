"""The documents of a corpus as the chat page manages them: list, add (uploads), remove.

Adding or removing a document changes the corpus folder and rebuilds the index (incrementally:
only the new document is embedded). Both keep what is already indexed safe:

* **Add.** Each upload is checked (allowed suffix, at most ``MAX_UPLOAD_BYTES``, a safe file
  name) and copied into a hidden staging folder inside the corpus folder (hidden folders are
  never read as corpus), where the loader reads it exactly as a build would. Only a file that
  loads is moved into the corpus, under a name no other file has (``notes.md``, then
  ``notes-2.md``, ...; ``os.link`` never overwrites), atomically. If the index build then fails,
  the new files are removed again and the index is checked against the corpus (and rebuilt if
  needed), so the previous documents stay answerable.
* **Remove.** The file is moved into a hidden folder first; only when the index is rebuilt
  without it is it deleted, otherwise it is moved back.

A build writes a fresh index folder and switches the manifest atomically (``index/store.py``),
so a failure half-way never leaves a half-written index.

The allowed file types are the loader's ``READERS`` at the time of the call, so a reader
added to ``ctqa.ingest.loader`` is accepted here without a change.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ctqa.errors import CtqaError, DocumentReadError
from ctqa.index.builder import BuildReport, staleness_reasons
from ctqa.index.passage_table import passage_doc_ids
from ctqa.ingest.loader import READERS, corpus_files, load_document, unindexed_files
from ctqa.qa import DocumentQA

logger = logging.getLogger(__name__)

# Largest upload accepted: a long report as PDF (most of such a file is fonts and images).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Longest cleaned text accepted (about 170,000 words, a 400-page book). Indexing time grows with
# the text, not the file: this is roughly 10,000 sentences and passages to embed, minutes on 2
# cores (questions are answered from the previous index meanwhile, ``DocumentQA.build``).
MAX_UPLOAD_TEXT_CHARS = 1_000_000
# Longest file name kept (the stem is cut, the suffix kept); far under every file system's 255.
MAX_NAME_CHARS = 100
# Prefixes of the hidden folders used while adding and removing (ignored by the loader).
STAGING_PREFIX = ".ctqa-upload-"
TRASH_PREFIX = ".ctqa-removed-"

# Progress callback: (fraction done in [0, 1], what is happening).
Progress = Callable[[float, str], None]

_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._ -]+")

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class UploadError(CtqaError):
    """An upload or removal was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class DocumentInfo:
    """One file of the corpus as the page lists it.

    ``passages`` is the number of indexed passages (0 when the file was skipped); ``problem``
    is why the file is not indexed ("" when it is).
    """

    doc_id: str
    title: str
    format: str
    passages: int
    size_bytes: int
    problem: str = ""
    # False for what is never read (a link outside the corpus or broken, a file of an
    # unsupported type): not a corpus document
    removable: bool = True


@dataclass
class AddReport:
    """What ``add_documents`` did: the doc ids added, and each refused upload with the reason."""

    added: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    build: BuildReport | None = None


def allowed_suffixes() -> list[str]:
    """The file suffixes that can be uploaded (those the loader reads), e.g. ``[".md", ".txt"]``."""
    return sorted(READERS)


def _no_progress(fraction: float, description: str) -> None:
    """The default progress callback: nothing is shown."""


@contextmanager
def _corpus_lock(corpus_dir: Path) -> Iterator[None]:
    """One add/remove at a time per corpus folder in this process (builds lock the index too)."""
    key = corpus_dir.resolve()
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        yield


def safe_file_name(name: str) -> str:
    """A file name for an upload called ``name``: no folders, no hidden names, plain characters.

    Only the last path component is kept (``"../../etc/x.md"`` → ``"x.md"``, backslashes count
    as separators too), accents are dropped, characters other than letters, digits, ``.``, ``_``,
    ``-`` and space become ``-``, leading dots and dashes are removed (no hidden files, no option
    look-alikes) and the stem is cut to ``MAX_NAME_CHARS``. The suffix is lower-cased.

    Raises:
        UploadError: the suffix is not one the loader reads.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    suffix = Path(base).suffix.lower()
    allowed = allowed_suffixes()
    if suffix not in allowed:
        shown = suffix or "no suffix"
        raise UploadError(f"{shown} files cannot be added; allowed types are {', '.join(allowed)}")
    stem = base[: -len(suffix)]
    stem = re.sub(r"-{2,}", "-", _UNSAFE_CHARACTERS.sub("-", stem))
    stem = " ".join(stem.split())
    stem = stem.strip(" .-_")[:MAX_NAME_CHARS].strip(" .-_") or "document"
    return stem + suffix


def _claim_name(source: Path, corpus_dir: Path, name: str) -> Path:
    """Move ``source`` into ``corpus_dir`` as ``name``, or ``stem-2.ext``, ``stem-3.ext``, ... when
    taken. ``os.link`` is atomic and fails when the target exists, so nothing is overwritten even
    by a file that appears meanwhile; where hard links are not supported, the name is checked
    and the file renamed (callers hold the corpus lock)."""
    suffix = Path(name).suffix
    stem = name[: -len(suffix)]
    number = 1
    candidate = corpus_dir / name
    while True:
        try:
            os.link(source, candidate)
            source.unlink()
            return candidate
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not candidate.exists():
                os.rename(source, candidate)
                return candidate
        number += 1
        candidate = corpus_dir / f"{stem}-{number}{suffix}"


def _restore_index(qa: DocumentQA) -> None:
    """After a failed change: make sure the index matches the corpus again (rebuild if not)."""
    try:
        if staleness_reasons(
            qa.index_dir, qa.corpus_dir, qa.settings.chunk, qa.settings.embedding, qa.settings.corpus
        ):
            qa.build()
    except Exception as error:  # the original failure is the one reported to the user
        logger.warning("the index could not be checked or restored (%s); it is rebuilt when next used", error)


def add_documents(
    qa: DocumentQA,
    uploads: Sequence[tuple[Path, str]],
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_text_chars: int = MAX_UPLOAD_TEXT_CHARS,
    progress: Progress = _no_progress,
) -> AddReport:
    """Add uploaded files to ``qa``'s corpus folder and index them.

    Args:
        qa: the corpus and index to add to.
        uploads: ``(path of the uploaded bytes, the name the user gave the file)`` pairs.
        max_bytes: largest file accepted.
        max_text_chars: longest cleaned text accepted (what the index would embed).
        progress: called with the fraction done and a description, for a progress bar.

    Returns:
        ``AddReport``: the doc ids added (the file names in the corpus, which may carry a
        ``-2`` suffix when the name was taken), each refused upload with the reason, and the
        index build's report.

    Raises:
        UploadError: the index could not be built with the new files; they were removed again
            and the previous documents stay indexed.
    """
    report = AddReport()
    corpus_dir = qa.corpus_dir
    corpus_files(corpus_dir)  # raises CorpusError when the folder is missing
    with _corpus_lock(corpus_dir):
        staging = corpus_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        added_paths: list[Path] = []
        try:
            for number, (source, original_name) in enumerate(uploads):
                shown_name = Path(str(original_name)).name or str(original_name)
                progress(0.3 * number / max(len(uploads), 1), f"Checking {shown_name}")
                try:
                    outside = _outside_link(Path(source), qa.settings.corpus.follow_outside_links)
                    if outside:
                        raise UploadError(outside)
                    added_paths.append(
                        _admit(Path(source), original_name, corpus_dir, staging, max_bytes, max_text_chars)
                    )
                except UploadError as error:
                    report.rejected[shown_name] = str(error)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.added = [path.relative_to(corpus_dir).as_posix() for path in added_paths]
        if not added_paths:
            return report
        progress(0.35, f"Indexing {len(added_paths)} new document(s)")
        try:
            report.build = qa.build(show_progress=True)
        except Exception as error:
            for path in added_paths:
                path.unlink(missing_ok=True)
            _restore_index(qa)
            raise UploadError(
                f"indexing failed ({error}); the new files were removed and the previous documents are unchanged"
            ) from error
        progress(1.0, "Done")
        logger.info("added %s: %s", ", ".join(report.added), report.build.summary())
        return report


def _outside_link(source: Path, follow_outside_links: bool) -> str:
    """Why ``source`` is refused as a symlink (the corpus boundary), or "" when it may be read.

    The file added is always a copy, never a link; a symlink given as the file to add is the
    same case as one placed in the corpus, so the same setting decides.
    """
    if follow_outside_links or not source.is_symlink():
        return ""
    return (
        "it is a symlink pointing outside the corpus; not added (add the file itself, or allow "
        "links with CorpusSettings.follow_outside_links / `--follow-outside-links`)"
    )


def _admit(
    source: Path, original_name: str, corpus_dir: Path, staging: Path, max_bytes: int, max_text_chars: int
) -> Path:
    """Check one upload, read it with the loader in ``staging``, then link it into the corpus."""
    name = safe_file_name(str(original_name))
    try:
        size = source.stat().st_size
    except OSError as error:
        raise UploadError(f"the uploaded file cannot be read ({error})") from error
    if size > max_bytes:
        raise UploadError(f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    if size == 0:
        raise UploadError("the file is empty")
    staged = staging / name
    shutil.copyfile(source, staged)
    try:
        document = load_document(staged, corpus_dir)
    except DocumentReadError as error:
        raise UploadError(f"it cannot be read: {error.reason}") from error
    if len(document.text) > max_text_chars:
        raise UploadError(
            f"its text is {len(document.text):,} characters; the limit is {max_text_chars:,} "
            "(split it into smaller files)"
        )
    return _claim_name(staged, corpus_dir, name)


def _document_path(corpus_dir: Path, doc_id: str) -> Path:
    """The file of ``doc_id``, which must be one of the corpus's documents."""
    known = {path.relative_to(corpus_dir).as_posix(): path for path in corpus_files(corpus_dir)}
    if doc_id not in known:
        raise UploadError(f"{doc_id!r} is not a document of the corpus")
    return known[doc_id]


def remove_document(qa: DocumentQA, doc_id: str, *, progress: Progress = _no_progress) -> BuildReport:
    """Delete the document ``doc_id`` from the corpus folder and its passages from the index.

    Raises:
        UploadError: ``doc_id`` is not a corpus document, it is the last one (an index needs
            at least one document), or the index could not be rebuilt without it (the file is
            then put back).
    """
    corpus_dir = qa.corpus_dir
    with _corpus_lock(corpus_dir):
        path = _document_path(corpus_dir, doc_id)
        if len(corpus_files(corpus_dir)) == 1:
            raise UploadError("the corpus needs at least one document; add another before removing this one")
        trash = corpus_dir / f"{TRASH_PREFIX}{uuid.uuid4().hex}"
        trash.mkdir()
        parked = trash / path.name
        os.replace(path, parked)
        progress(0.2, f"Removing {doc_id} from the index")
        try:
            report = qa.build(show_progress=True)
        except Exception as error:
            os.replace(parked, path)
            shutil.rmtree(trash, ignore_errors=True)
            _restore_index(qa)
            raise UploadError(f"the index could not be rebuilt without {doc_id} ({error}); it was kept") from error
        shutil.rmtree(trash, ignore_errors=True)
        progress(1.0, "Done")
        logger.info("removed %s: %s", doc_id, report.summary())
        return report


def list_documents(qa: DocumentQA) -> list[DocumentInfo]:
    """Every file of the corpus with its indexed passage count, sorted by doc id.

    The counts are those of the loaded index (``DocumentQA.ensure_ready``), which the next answer
    uses. A file the loader could not read, a symlink that is never read (outside the corpus,
    or broken), and a file of an unsupported type are listed with their ``problem``.
    """
    index = qa.ensure_ready().index
    counts = Counter(passage_doc_ids(index.passages))
    skipped = index.manifest.skipped
    infos = []
    for path in corpus_files(qa.corpus_dir, follow_outside_links=qa.settings.corpus.follow_outside_links):
        doc_id = path.relative_to(qa.corpus_dir).as_posix()
        document = index.documents.get(doc_id)
        infos.append(
            DocumentInfo(
                doc_id=doc_id,
                title=document.title if document else "",
                format=document.format if document else READERS.get(path.suffix.lower(), ("?",))[0],
                passages=counts.get(doc_id, 0),
                size_bytes=path.stat().st_size,
                problem="" if document else skipped.get(doc_id, "not indexed yet"),
            )
        )
    for doc_id, reason in unindexed_files(qa.corpus_dir, qa.settings.corpus).items():
        infos.append(_unread_info(qa.corpus_dir / doc_id, doc_id, reason))
    return sorted(infos, key=lambda info: info.doc_id)


def _unread_info(path: Path, doc_id: str, reason: str) -> DocumentInfo:
    """A path the loader never reads, as the page lists it: a link (outside the corpus, or
    broken) or a file of an unsupported type, whose format is its suffix ("png")."""
    suffix = path.suffix.lower()
    if path.is_symlink():
        return DocumentInfo(doc_id, "", READERS[suffix][0] if suffix in READERS else "link", 0, 0, reason, False)
    try:
        size = path.stat().st_size
    except OSError:  # removed since it was listed
        size = 0
    return DocumentInfo(doc_id, "", suffix.lstrip(".") or "unknown", 0, size, reason, False)
