"""Build the index from a corpus folder, incrementally, and tell whether an index is stale.

A build reads the corpus, reuses the passages and vectors of every document whose file hash is
unchanged since the last build (same model, embedding backend and precision, and chunking
settings), embeds only new and changed
documents, and writes a new build atomically under a file lock, so two builds at once cannot
interleave their writes.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from ctqa.chunking import chunk_documents
from ctqa.config import INGEST, MODEL_DIMENSION, ChunkSettings, CorpusSettings, EmbeddingSettings, IngestSettings
from ctqa.embedding import Embedder, manifest_model, model_change
from ctqa.embedding.contextual import PassageText, PassageVectors, embed_passages
from ctqa.errors import CorpusError, IndexBusyError, IndexError_, IndexWriteError
from ctqa.index.store import (
    LOCK,
    IndexData,
    check_index_folder,
    load_index,
    read_manifest,
    save_index,
    sentence_offsets,
    size_and_time,
)
from ctqa.ingest.loader import corpus_files, file_sha256, load_corpus, supported_suffixes
from ctqa.retrieval.derived import DerivedState, PreviousState, derive_state
from ctqa.types import Document, Passage

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did. ``embedded`` counts texts sent to the model (passages + sentences)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    passages: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def counts(self) -> str:
        """``"N added, M changed, K removed, J unchanged; P passages, E texts embedded"``."""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged; {self.passages} passages, {self.embedded} texts embedded"
        )

    def summary(self) -> str:
        """``counts()`` followed by each skipped file with the reason."""
        text = self.counts()
        if self.skipped:
            text += "; skipped " + "; ".join(f"{doc}: {why}" for doc, why in self.skipped.items())
        return text


def passage_embedding_text(passage: Passage) -> str:
    """What the model reads for a passage: its context header, then its text."""
    return f"{passage.context_header()}\n{passage.text}"


def staleness_reasons(
    index_dir: Path,
    corpus_dir: Path,
    chunking: ChunkSettings,
    embedding: EmbeddingSettings | None = None,
    corpus: CorpusSettings | None = None,
    ingest: IngestSettings = INGEST,
) -> list[str]:
    """Why the index in ``index_dir`` does not match ``corpus_dir`` and the settings ([] if fresh).

    ``embedding`` defaults to ``EmbeddingSettings()``; ``ingest`` are the reader settings the
    next build would read the files with (``config.INGEST``). Raises ``IndexMissingError`` /
    ``IndexCorruptError`` when there is no readable manifest.
    """
    corpus = corpus or CorpusSettings()
    manifest = read_manifest(index_dir)
    reasons = []
    if manifest.corpus_dir and Path(manifest.corpus_dir) != corpus_dir.resolve():
        # an index copied from elsewhere: its documents' paths name the other folder
        reasons.append(f"built for the corpus folder {manifest.corpus_dir}, not {corpus_dir.resolve()}")
    change = model_change(manifest.model, manifest_model(embedding or EmbeddingSettings()))
    if change:
        reasons.append(change)
    if manifest.chunking_fingerprint != chunking.fingerprint():
        reasons.append("chunking settings changed")
    if manifest.ingest_fingerprint != ingest.fingerprint():
        reasons.append("reader settings (IngestSettings) changed" if manifest.ingest_fingerprint else "reader settings not recorded")
    listed = corpus_files(corpus_dir, follow_outside_links=corpus.follow_outside_links)
    known = {**manifest.files, **manifest.skipped_sha256}
    current = {}
    for path in listed:
        doc_id = path.relative_to(corpus_dir).as_posix()
        unchanged = doc_id in known and _size_and_time(path) == manifest.file_stats.get(doc_id)
        current[doc_id] = known[doc_id] if unchanged else _sha256_or_empty(path)
    for doc_id in sorted(set(current) - set(known)):
        reasons.append(f"new file {doc_id}")
    for doc_id in sorted(set(known) - set(current)):
        reasons.append(f"removed file {doc_id}")
    for doc_id in sorted(set(current) & set(known)):
        if current[doc_id] != known[doc_id]:
            reasons.append(f"changed file {doc_id}")
    return reasons


# A file modified this recently (seconds) when its stat is taken may be written again within the
# same tick of a coarse file-system clock without its time changing: its stat is not recorded,
# so the staleness check hashes it (as git treats "racily clean" entries).
RECENT_WRITE_S = 2.0


def _size_and_time(path: Path) -> list[int] | None:
    """``store.size_and_time``, or None when the file vanished or cannot be read."""
    try:
        return size_and_time(path)
    except OSError:
        return None


def corpus_file_stats(corpus_dir: Path, corpus: CorpusSettings) -> dict[str, list[int]]:
    """doc id -> [size, st_mtime_ns] of every corpus file, for the manifest. Taken before the
    files are read: a file changed after this differs from its record, so it is hashed again."""
    newest = (time.time() - RECENT_WRITE_S) * 1e9
    stats = {}
    for path in corpus_files(corpus_dir, follow_outside_links=corpus.follow_outside_links):
        stat = _size_and_time(path)
        if stat is not None and stat[1] < newest:
            stats[path.relative_to(corpus_dir).as_posix()] = stat
    return stats


def _sha256_or_empty(path: Path) -> str:
    """sha256 of the file, or "" when it vanished or cannot be read (a build then skips it)."""
    try:
        return file_sha256(path)
    except OSError:
        return ""


def write_problem(index_dir: Path, error: OSError) -> str:
    """The message of an ``IndexWriteError``: what failed, and what to do."""
    return (
        f"cannot write the index in {index_dir} ({error}); make the folder writable, free disk "
        "space, or use another index folder (--index DIR)"
    )


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the build lock of ``index_dir`` (created if missing); logs when another build holds it.

    Raises:
        IndexWriteError: the folder cannot be created or the lock file cannot be written.
    """
    lock = FileLock(str(index_dir / LOCK))
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            logger.info("another build holds %s; waiting for it to finish", index_dir / LOCK)
            lock.acquire()
    except OSError as error:
        raise IndexWriteError(write_problem(index_dir, error)) from error
    try:
        yield
    finally:
        lock.release()


# How long a reader waits for another process's build before giving up with ``IndexBusyError``:
# an incremental build of one added document takes seconds, a first build of a large corpus
# can take many minutes, and a question should not hang that long.
BUILD_WAIT_SECONDS = 120.0


def wait_for_running_build(index_dir: Path, timeout: float | None = None) -> bool:
    """Wait until no other build holds ``index_dir``'s lock; True when one did (the index may
    have changed since it was read), False when none was running. ``timeout`` defaults to
    ``BUILD_WAIT_SECONDS``.

    Raises:
        IndexBusyError: the other build still runs after ``timeout`` seconds.
    """
    timeout = BUILD_WAIT_SECONDS if timeout is None else timeout
    lock = FileLock(str(index_dir / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        pass
    except OSError:  # no lock file can be made here: no build can be running either
        return False
    else:
        lock.release()
        return False
    logger.info("another process is building the index in %s; waiting up to %.0f s", index_dir, timeout)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexBusyError(
            f"another process has been building the index in {index_dir} for over {timeout:.0f} s",
            "ask again when that build has finished",
        ) from None
    lock.release()
    return True


def _previous_index(index_dir: Path, chunking: ChunkSettings, model: dict[str, Any]) -> IndexData | None:
    """The existing index if its vectors can be reused (same model entry and chunking), else None."""
    try:
        previous = load_index(index_dir)
    except IndexError_:
        return None
    manifest = previous.manifest
    if model_change(manifest.model, model) or manifest.chunking_fingerprint != chunking.fingerprint():
        return None
    if manifest.ingest_fingerprint != INGEST.fingerprint():
        return None  # the files read with other reader settings: their passages may differ
    return previous


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkSettings,
    *,
    embedding: EmbeddingSettings | None = None,
    show_progress: bool = False,
    corpus: CorpusSettings | None = None,
    embed: EmbedStep | None = None,
) -> BuildReport:
    """Build or update the index of ``corpus_dir`` in ``index_dir``; returns a ``BuildReport``.

    ``embedding`` (default ``EmbeddingSettings()``) names the backend and precision recorded in
    the manifest: those ``embedder`` runs. ``corpus`` holds the per-file limits and the corpus
    boundary (default ``CorpusSettings()``): a file over a limit or a link outside the corpus is
    skipped and named in ``report.skipped``. An interrupted build (Ctrl-C) writes nothing: the
    previous index stays in use. ``embed`` runs the model on the new passages (default
    ``embed_in_process(embedder)``; ``index.ray_build`` passes one that runs on a Ray cluster);
    ``embedder`` still counts the word pieces that cut passages.

    Raises:
        CorpusError: the folder is missing or no file in it could be read.
        IndexWriteError: the index folder cannot be written (the previous build stays valid), or
            writing there could lose the user's files (``index.store.check_index_folder``).
    """
    started = time.perf_counter()
    check_index_folder(index_dir, corpus_dir)
    with index_lock(index_dir):
        corpus = corpus or CorpusSettings()
        file_stats = corpus_file_stats(corpus_dir, corpus)
        loaded = load_corpus(corpus_dir, show_progress=show_progress, settings=corpus)
        if not loaded.documents:
            detail = "; ".join(str(e) for e in loaded.skipped) or f"no {', '.join(supported_suffixes())} files"
            raise CorpusError(f"no readable document in {corpus_dir} ({detail})")
        model = manifest_model(embedding or EmbeddingSettings())
        previous = _previous_index(index_dir, chunking, model)
        old_files = previous.manifest.files if previous else {}
        old_passages = _passage_ids_by_document(previous) if previous else {}
        old_vectors = _all_passage_vectors(previous) if previous else None
        report = BuildReport(skipped={e.path: e.reason for e in [*loaded.unread, *loaded.skipped]})
        over_limit: dict[str, tuple[str, str]] = {}

        def reusable(document: Document) -> bool:
            return old_vectors is not None and old_files.get(document.doc_id) == document.sha256

        passages: list[Passage] = []
        kept_rows: list[int | None] = []  # each passage's row in the previous index when kept
        passage_rows: list[np.ndarray] = []
        sentence_rows: list[np.ndarray] = []
        to_embed = []
        # progress in characters, not documents: one long file then shows an honest estimate
        splitting = tqdm(
            total=sum(len(d.text) for d in loaded.documents if not reusable(d)),
            desc="Splitting passages",
            unit="char",
            unit_scale=True,
            disable=not show_progress,
        )
        for document in loaded.documents:
            old_sha = old_files.get(document.doc_id)
            if previous is not None and old_vectors is not None and reusable(document):
                report.unchanged.append(document.doc_id)
                ids = old_passages.get(document.doc_id, [])
                # the same file read from another folder (a moved corpus): cite where it is now
                passages.extend(replace(previous.passages[i], path=document.path) for i in ids)
                kept_rows.extend(ids)
                passage_rows.append(old_vectors[ids])
                sentence_rows.extend(
                    previous.sentence_vectors[previous.sentence_offsets[i] : previous.sentence_offsets[i + 1]]
                    for i in ids
                )
                continue
            new_passages = chunk_documents([document], chunking, embedder.count_tokens, advance=splitting.update)
            if len(new_passages) > corpus.max_passages_per_file:
                reason = too_many_passages(len(new_passages), corpus.max_passages_per_file)
                logger.warning("skipped %s: %s", document.doc_id, reason)
                report.skipped[document.doc_id] = reason
                over_limit[document.doc_id] = (reason, document.sha256)
                continue
            (report.changed if old_sha else report.added).append(document.doc_id)
            to_embed.append((len(passages), new_passages))
            passages.extend(new_passages)
            kept_rows.extend([None] * len(new_passages))
            passage_rows.append(np.zeros((len(new_passages), MODEL_DIMENSION), dtype=np.float32))
            sentence_rows.append(
                np.zeros((sum(len(p.sentences) for p in new_passages), MODEL_DIMENSION), np.float32)
            )
        splitting.close()
        documents = [d for d in loaded.documents if d.doc_id not in over_limit]
        report.removed = sorted(set(old_files) - {d.doc_id for d in documents})

        passage_vectors = np.concatenate(passage_rows) if passage_rows else np.zeros((0, MODEL_DIMENSION))
        sentence_vectors = np.concatenate(sentence_rows) if sentence_rows else np.zeros((0, MODEL_DIMENSION))
        report.embedded = _fill_new_vectors(
            embed or embed_in_process(embedder, embedding or EmbeddingSettings()),
            passages,
            to_embed,
            passage_vectors,
            sentence_vectors,
            show_progress,
        )

        skipped = dict(over_limit)
        for error in loaded.skipped:
            path = corpus_dir / error.path
            skipped[error.path] = (error.reason, _sha256_or_empty(path))
        try:
            save_index(
                index_dir,
                documents=documents,
                passages=passages,
                passage_vectors=passage_vectors,
                sentence_vectors=sentence_vectors,
                chunking=chunking,
                skipped=skipped,
                model=model,
                corpus_dir=corpus_dir,
                derived=_derived_state(documents, passages, previous, kept_rows),
                file_stats=file_stats,
            )
        except OSError as error:  # read-only folder, disk full: the previous build stays in use
            raise IndexWriteError(write_problem(index_dir, error)) from error
    report.passages = len(passages)
    report.seconds = time.perf_counter() - started
    logger.info("index built: %s", report.summary())
    return report


def _derived_state(
    documents: list[Document], passages: list[Passage], previous: IndexData | None, kept_rows: list[int | None]
) -> DerivedState:
    """The build's derived state; the tokens of passages kept from ``previous`` are read from it,
    not recomputed (``retrieval.derived.derive_state``)."""
    if previous is None:
        return derive_state(documents, passages)
    kept = PreviousState(previous.derived, previous.passages, previous.sentence_offsets, kept_rows)
    return derive_state(documents, passages, kept)


def too_many_passages(count: int, limit: int) -> str:
    """The reason a file that gives ``count`` passages over ``limit`` is skipped."""
    return (
        f"gives {count:,} passages, over the limit of {limit:,} per file; split it or raise "
        "CorpusSettings.max_passages_per_file (`ctqa index --max-passages N`)"
    )


def _passage_ids_by_document(previous: IndexData) -> dict[str, list[int]]:
    """Row numbers of each document's passages in the previous index (one pass, not one per document)."""
    ids: dict[str, list[int]] = defaultdict(list)
    for number, passage in enumerate(previous.passages):
        ids[passage.doc_id].append(number)
    return ids


def _all_passage_vectors(previous: IndexData) -> np.ndarray:
    """The previous passage vectors, shape ``(n_passages, 384)``, read from FAISS in one call."""
    total = previous.passage_index.ntotal
    if total == 0:
        return np.zeros((0, MODEL_DIMENSION), dtype=np.float32)
    return np.asarray(previous.passage_index.reconstruct_n(0, total), dtype=np.float32)


def passage_text(passage: Passage) -> PassageText:
    """The passage as the model reads it, with its sentences' spans in that text."""
    text = passage_embedding_text(passage)
    shift = len(text) - len(passage.text) - passage.start  # the header and newline come first
    return PassageText(text, [(start + shift, end + shift) for start, end in passage.sentences])


class EmbedStep(Protocol):
    """How a build turns its new passages into vectors: in this process or on a cluster."""

    def __call__(self, passages: list[Passage], show_progress: bool) -> PassageVectors:
        """The passage vectors of ``passages``, shape ``(len(passages), 384)``, and their sentence
        vectors, one row per sentence in passage order (``vectors_of_passages``)."""
        ...


def vectors_of_passages(
    embedder: Embedder, settings: EmbeddingSettings, passages: list[Passage], show_progress: bool = False
) -> PassageVectors:
    """Passage vectors ``(len(passages), 384)`` and sentence vectors (one row per sentence, in
    passage order) of ``passages``, made as ``settings.sentence_vectors`` says
    (``embedding.contextual``): what every build, local or on Ray, stores for new passages."""
    texts = [passage_text(passage) for passage in passages]
    return embed_passages(embedder, texts, settings, show_progress=show_progress)


def embed_in_process(embedder: Embedder, settings: EmbeddingSettings) -> EmbedStep:
    """The build's default ``EmbedStep``: ``vectors_of_passages`` with ``embedder``, in this process."""
    return partial(vectors_of_passages, embedder, settings)


def _fill_new_vectors(
    embed: EmbedStep,
    passages: list[Passage],
    to_embed: list[tuple[int, list[Passage]]],
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    show_progress: bool,
) -> int:
    """Embed the passages of ``to_embed`` (first row, passages) with ``embed`` and write their
    rows of ``passage_vectors`` and ``sentence_vectors`` in place; returns the texts encoded."""
    new = [passage for _, group in to_embed for passage in group]
    if not new:
        return 0
    vectors = embed(new, show_progress)
    rows = np.concatenate([np.arange(first, first + len(group)) for first, group in to_embed])
    offsets = sentence_offsets(passages)
    sentence_rows = np.concatenate([np.arange(offsets[row], offsets[row + 1]) for row in rows])
    passage_vectors[rows] = vectors.passages
    sentence_vectors[sentence_rows] = vectors.sentences
    return vectors.encoded


