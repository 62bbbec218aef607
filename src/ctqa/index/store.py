"""The persisted index: vectors, passage metadata and a manifest, in one folder.

Layout of ``index_dir``::

    manifest.json          written last, atomically: names the current build folder
    build-<stamp>/         one complete build
        documents.json     cleaned text, title, path, sections of every document
        document_blocks.npy
                           their blocks as rows of integers (``ctqa.index.document_table``)
        passages.npy, passage_sentences.npy, passage_fields.json
                           every passage as a row of integers (string ids, offsets), its
                           sentences' offsets, and the string tables; a passage's text is its
                           document's text at its offsets (``ctqa.index.passage_table``);
                           memory-mapped, a passage is made when it is read
        passages.faiss     FAISS index of passage vectors (unit norm: inner product = cosine):
                           exact IndexFlatIP, or IndexHNSWFlat above HNSW_MIN_PASSAGES passages;
                           its vectors are loaded memory-mapped
        sentences.npy      float32 (n_sentences, 384) sentence vectors, in passage order; read
                           by row range (``ctqa.index.file_rows``), never mapped whole
        derived.json       token list, BM25 column tokens, acronyms and word counts
        *_tokens.npy, *_token_offsets.npy, bm25_*.npy
                           the rest of the state retrieval derives from the text at build time
                           (``ctqa.retrieval.derived``): passage, sentence and context tokens,
                           BM25 term weights; loaded memory-mapped, never recomputed
    .lock                  a file lock held while a build writes

A reader never sees a half-written build: artifacts go into a fresh folder, and only then is
``manifest.json`` replaced (``os.replace`` is atomic), so the manifest always points at a
complete folder. The manifest records the sha256 of every artifact, and its size and
modification time as written: a load hashes a file only when its size or modification time
differs from the recorded ones (a copy that did not keep the times, an edit), so a truncated or
edited file is detected (``IndexCorruptError``) instead of being used, and an untouched build is
not read whole on every load (hundreds of MB at 100k passages). ``load_index(..., full_check=True)``
hashes every file regardless.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ctqa import __version__
from ctqa.config import INGEST, MODEL_DIMENSION, ChunkSettings, EmbeddingSettings
from ctqa.embedding import manifest_model
from ctqa.errors import IndexCorruptError, IndexMissingError, IndexWriteError
from ctqa.index import document_table, passage_table
from ctqa.index.document_table import DocumentTable
from ctqa.index.file_rows import FileRows
from ctqa.index.layout import BUILD_NAME_RE, LOCK, MANIFEST
from ctqa.index.passage_table import PassageMismatch, PassageTable
from ctqa.retrieval.derived import DerivedState, TokenTable, derive_state
from ctqa.retrieval.sparse import BM25State
from ctqa.types import Document, Passage

# 2: builds of format 1 with several documents could pair passages with another document's
# vectors (fixed in the builder); a format-1 index is rebuilt in full, never reused.
# 3: a table row written as one phrase keeps its words ("… by NATO 30", not "… by NATO: 30").
# 4: the state retrieval derives from the text (tokens, BM25 weights, acronyms, vocabulary) is
#    saved in the build and loaded, instead of being recomputed on every load; a format-3
#    index has none of it and is rebuilt.
# 5: passages and document blocks are saved as arrays (``passage_table``, ``document_table``),
#    not JSON lists of objects; a format-4 index is rebuilt.
# 6: BM25 reads a short document's title (``RetrievalSettings.bm25_title_max_passages``) and its
#    columns are in sorted token order; a format-5 index is rebuilt.
# 7: the derived state holds the initials of the corpus's capitalised phrases
#    (``DerivedState.initialisms``); a format-6 index has none and is rebuilt.
FORMAT_VERSION = 7

# Passage search switches from exact flat search to an approximate HNSW graph (inner product)
# at this many passages. Measured by `make bench` (docs/benchmarks.md; bench/results/latest.md): one
# flat query reads all n × 384 floats, several ms from 10k passages and tens of ms at 50k–100k on
# 2 busy cores, while an HNSW query stays under 1 ms. Below the switch flat search is cheap and
# exact; from it on HNSW, whose recall@10 against flat the benchmark reports at the switch.
HNSW_MIN_PASSAGES = 50_000
# Graph degree (FAISS's usual 32), build depth and search depth. Measured on 100k composed
# vectors with SQuAD questions (bench/synthetic.py), recall@10 vs flat: efConstruction 80 /
# efSearch 128 gave 0.86, 200 / 128 gave 0.93, 200 / 256 gave 0.975 at 0.7 ms a query.
# HNSW_EF_SEARCH must exceed the retriever's dense depth (candidates_per_retriever = 50).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256


@dataclass
class Manifest:
    """What an index was built from; compared with the corpus and settings on every load."""

    format_version: int
    ctqa_version: str
    model: dict[str, Any]
    chunking: dict[str, Any]
    chunking_fingerprint: str
    files: dict[str, str]  # doc_id -> sha256 of the source file, for indexed documents
    skipped: dict[str, str]  # doc_id -> reason, for files that could not be read
    skipped_sha256: dict[str, str]
    build_dir: str
    artifacts: dict[str, str]  # artifact file name -> sha256
    counts: dict[str, int]
    created_unix: float = field(default_factory=time.time)
    # The corpus folder the index was built from (resolved); "" in indexes written before it was
    # recorded. An index read for another folder is stale (``builder.staleness_reasons``).
    corpus_dir: str = ""
    # artifact file name -> [size in bytes, st_mtime_ns] as written; a file that still has both
    # is not hashed again on load ({} in indexes written before they were recorded: all hashed).
    artifact_stats: dict[str, list[int]] = field(default_factory=dict)
    # doc_id -> [size, st_mtime_ns] of the source file, taken before the build read it: a file
    # that still has both is not hashed again by the staleness check ({}: every file hashed).
    file_stats: dict[str, list[int]] = field(default_factory=dict)
    # The reader settings (``config.IngestSettings``) the documents were read with, and their
    # fingerprint: a change makes the index stale ("" in indexes written before they were
    # recorded, which are stale too: what they were read with is unknown).
    ingest: dict[str, Any] = field(default_factory=dict)
    ingest_fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IndexData:
    """An index in memory. ``sentence_vectors`` rows follow passages' sentences in order;
    ``sentence_offsets[i]`` is the row of passage ``i``'s first sentence. ``derived`` is what
    retrieval derives from the text (tokens, BM25 weights, acronyms, vocabulary); its arrays and
    ``sentence_vectors`` are read from the build folder: the arrays memory-mapped, the sentence
    vectors row range by row range (``FileRows``)."""

    manifest: Manifest
    documents: Mapping[str, Document]  # a ``DocumentTable`` when loaded from disk
    passages: Sequence[Passage]  # a ``PassageTable`` when loaded from disk
    passage_index: faiss.Index
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray
    derived: DerivedState


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sentence_offsets(passages: Sequence[Passage]) -> np.ndarray:
    """Row of each passage's first sentence in the sentence matrix, plus the total at the end."""
    if isinstance(passages, PassageTable):
        return passages.sentence_offsets
    counts = [len(passage.sentences) for passage in passages]
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def save_index(
    index_dir: Path,
    *,
    documents: list[Document],
    passages: Sequence[Passage],
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    chunking: ChunkSettings,
    skipped: dict[str, tuple[str, str]],
    derived: DerivedState | None = None,
    model: dict[str, Any] | None = None,
    corpus_dir: Path | None = None,
    file_stats: dict[str, list[int]] | None = None,
) -> Manifest:
    """Write a complete build and switch ``manifest.json`` to it; returns the new manifest.

    ``skipped`` maps doc id -> (reason, sha256) of unreadable files, so they are reported again
    but do not make the index look stale. ``derived`` is computed from ``documents`` and
    ``passages`` (``derive_state``) when not given. ``model`` is the manifest's model entry (name,
    dimension, embedding backend and precision; default: those of ``EmbeddingSettings()``).
    ``file_stats`` maps doc id -> [size, st_mtime_ns] of source files, each taken before the file
    was read (``builder.corpus_file_stats``). Callers hold the index lock.
    """
    if derived is None:
        derived = derive_state(documents, passages)
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    build = index_dir / f"build-{stamp}"
    staging = index_dir / f".staging-{stamp}"
    staging.mkdir()
    try:
        rows, sentences, fields = passage_table.passage_arrays(passages)
        documents_json, block_rows = document_table.documents_bytes(documents)
        artifacts = {
            "documents.json": documents_json,
            document_table.BLOCKS: _npy_bytes(block_rows),
            passage_table.ROWS: _npy_bytes(rows),
            passage_table.SENTENCES: _npy_bytes(sentences),
            passage_table.FIELDS: passage_table.fields_bytes(fields),
        }
        passage_index = new_passage_index(len(passage_vectors))
        if len(passage_vectors):
            passage_index.add(np.ascontiguousarray(passage_vectors, dtype=np.float32))
        artifacts["passages.faiss"] = faiss.serialize_index(passage_index).tobytes()
        buffer = _npy_bytes(np.ascontiguousarray(sentence_vectors, dtype=np.float32))
        artifacts["sentences.npy"] = buffer
        artifacts.update(_derived_artifacts(derived))
        for name, data in artifacts.items():
            (staging / name).write_bytes(data)
        stats = {name: size_and_time(staging / name) for name in artifacts}
        os.replace(staging, build)  # renaming the folder keeps its files' modification times
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        ctqa_version=__version__,
        model=model if model is not None else manifest_model(EmbeddingSettings()),
        chunking=asdict(chunking),
        chunking_fingerprint=chunking.fingerprint(),
        files={d.doc_id: d.sha256 for d in documents},
        skipped={doc_id: reason for doc_id, (reason, _) in skipped.items()},
        skipped_sha256={doc_id: sha for doc_id, (_, sha) in skipped.items()},
        build_dir=build.name,
        corpus_dir=str(corpus_dir.resolve()) if corpus_dir is not None else "",
        artifacts={name: _sha256(data) for name, data in artifacts.items()},
        artifact_stats=stats,
        file_stats=file_stats or {},
        ingest=asdict(INGEST),
        ingest_fingerprint=INGEST.fingerprint(),
        counts={
            "documents": len(documents),
            "passages": len(passages),
            "sentences": int(len(sentence_vectors)),
        },
    )
    atomic_write_bytes(index_dir / MANIFEST, json.dumps(manifest.to_dict(), indent=2).encode())
    _remove_old_builds(index_dir, keep=build.name)
    return manifest


def new_passage_index(n_passages: int, dimension: int = MODEL_DIMENSION) -> faiss.Index:
    """An empty FAISS inner-product index suited to ``n_passages`` vectors.

    Exact ``IndexFlatIP`` below ``HNSW_MIN_PASSAGES``; ``IndexHNSWFlat`` (inner product) from
    there on. Both answer ``search`` and ``reconstruct_n`` (HNSW keeps the full vectors).
    """
    if n_passages < HNSW_MIN_PASSAGES:
        return faiss.IndexFlatIP(dimension)
    return hnsw_passage_index(dimension)


def hnsw_passage_index(dimension: int = MODEL_DIMENSION) -> faiss.IndexHNSWFlat:
    """An empty HNSW inner-product index with ctqa's settings (``HNSW_M``, ``HNSW_EF_*``)."""
    index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def read_passage_index(path: Path) -> faiss.Index:
    """The passage index in ``path``, its vectors memory-mapped (``IO_FLAG_MMAP_IFC``): a load
    does not copy them (154 MB at 100k passages), a search pages in the vectors it compares."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)


def passage_index_kind(index: faiss.Index) -> str:
    """``"hnsw"`` for an HNSW graph, else ``"flat"``."""
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    stream = io.BytesIO()
    np.save(stream, array, allow_pickle=False)
    return stream.getvalue()


# Derived-state arrays: artifact name -> (table, field) of ``DerivedState``.
_TOKEN_TABLES = ("passage_tokens", "sentence_tokens", "context_tokens")
_DERIVED_ARRAYS = {
    **{f"{table}.npy": (table, "ids") for table in _TOKEN_TABLES},
    **{f"{table[: -len('tokens')]}token_offsets.npy": (table, "offsets") for table in _TOKEN_TABLES},
    "bm25_data.npy": ("bm25", "data"),
    "bm25_indices.npy": ("bm25", "indices"),
    "bm25_indptr.npy": ("bm25", "indptr"),
}
DERIVED_JSON = "derived.json"


def _derived_artifacts(derived: DerivedState) -> dict[str, bytes]:
    """The files holding ``derived``: one .npy per array, the strings and counts in JSON."""
    artifacts = {
        name: _npy_bytes(np.ascontiguousarray(getattr(getattr(derived, table), field_name)))
        for name, (table, field_name) in _DERIVED_ARRAYS.items()
    }
    artifacts[DERIVED_JSON] = json.dumps(
        {
            "tokens": list(derived.passage_tokens.tokens),
            "bm25_size": derived.bm25.size,
            "bm25_columns": derived.bm25.columns,
            "acronyms": derived.acronyms,
            "initialisms": derived.initialisms,
            "vocabulary": derived.vocabulary,
        }
    ).encode()
    return artifacts


def load_derived(build: Path, manifest: Manifest, full_check: bool = False) -> DerivedState:
    """Read ``DerivedState`` back from a build folder (arrays memory-mapped, files verified)."""
    meta = json.loads(_read_artifact(build, DERIVED_JSON, manifest, full_check))
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for name, (table, field_name) in _DERIVED_ARRAYS.items():
        arrays.setdefault(table, {})[field_name] = _mapped_array(build, name, manifest, full_check)
    tokens = meta["tokens"]
    tables = {table: TokenTable(tokens, arrays[table]["ids"], arrays[table]["offsets"]) for table in _TOKEN_TABLES}
    bm25 = BM25State(size=int(meta["bm25_size"]), columns=meta["bm25_columns"], **arrays["bm25"])
    return DerivedState(
        **tables, bm25=bm25, acronyms=meta["acronyms"], initialisms=meta["initialisms"], vocabulary=meta["vocabulary"]
    )


# The files every ctqa build folder holds; a folder named build-* without them is not ctqa's.
BUILD_FILES = frozenset(
    ["documents.json", document_table.BLOCKS, passage_table.ROWS, passage_table.SENTENCES, passage_table.FIELDS, "passages.faiss", "sentences.npy", DERIVED_JSON, *_DERIVED_ARRAYS]
)


def is_ctqa_build(path: Path) -> bool:
    """Whether ``path`` is a build (or staging) folder written by ``save_index``: its name has
    ctqa's stamp and it holds nothing but ctqa's artifacts."""
    if not (path.is_dir() and BUILD_NAME_RE.match(path.name)):
        return False
    return all(child.name in BUILD_FILES for child in path.iterdir())


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for path in index_dir.iterdir():
        if path.name != keep and is_ctqa_build(path):
            shutil.rmtree(path, ignore_errors=True)


# Files that may sit in an index folder besides ctqa's own (the project's index/README.md).
_ALLOWED_IN_INDEX = frozenset([MANIFEST, LOCK, "README.md", ".gitignore", ".gitkeep"])


def check_index_folder(index_dir: Path, corpus_dir: Path) -> None:
    """Refuse an index folder where writing could lose the user's files.

    Raises:
        IndexWriteError: ``index_dir`` is the corpus folder or a visible folder inside it (its
            files would be read as documents and the manifest could replace a user's file), or
            it holds no ctqa build and no ctqa manifest but other files.
    """
    index_path, corpus_path = index_dir.resolve(), corpus_dir.resolve()
    if index_path == corpus_path or (
        index_path.is_relative_to(corpus_path)
        and not any(part.startswith(".") for part in index_path.relative_to(corpus_path).parts)
    ):
        raise IndexWriteError(
            f"the index folder {index_dir} is inside the corpus folder {corpus_dir}; choose another "
            "--index (a hidden folder such as CORPUS/.ctqa-index is fine)"
        )
    if not index_path.is_dir() or any(is_ctqa_build(child) for child in index_path.iterdir()):
        return  # ctqa's own folder (a damaged manifest in it is rebuilt, that is no user file)
    try:
        read_manifest(index_path)
        return  # a ctqa manifest whose build folder is gone: rebuilt too
    except (IndexMissingError, IndexCorruptError):
        pass
    # No ctqa build here: a manifest.json too is somebody else's file.
    foreign = sorted(child.name for child in index_path.iterdir() if child.name not in _ALLOWED_IN_INDEX - {MANIFEST})
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise IndexWriteError(
            f"the index folder {index_dir} already holds files that are not a ctqa index ({shown}); "
            "choose a new or empty folder for --index, so none of them is overwritten or removed"
        )


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of ``index_dir``; raises ``IndexMissingError`` or ``IndexCorruptError``.

    A manifest that is not JSON is "unreadable"; one that is JSON but not a manifest (not an
    object, fields missing or unknown, a field of the wrong kind) says which, by name.
    """
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"no index in {index_dir}", "run `ctqa index` to build one")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"{path} is unreadable ({error})", REBUILD_ADVICE) from error
    try:
        manifest = Manifest(**_manifest_fields(data))
        _check_manifest(manifest)
    except ValueError as error:
        raise IndexCorruptError(f"index manifest {path} {error}", REBUILD_ADVICE) from error
    return manifest


REBUILD_ADVICE = "run `ctqa index` to rebuild the index"
# What a JSON document that is not an object holds, in JSON's own terms.
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false", type(None): "null"}


def _manifest_fields(data: object) -> dict[str, Any]:
    """``data`` as ``Manifest`` keyword arguments; ``ValueError`` saying what is wrong with it
    ("is missing fields build_dir, files") when it is not an object of the manifest's fields."""
    if not isinstance(data, dict):
        raise ValueError(f"is not a JSON object (it holds {_JSON_KINDS.get(type(data), 'a value')})")
    known = {f.name: f for f in fields(Manifest)}
    required = [name for name, f in known.items() if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"is missing fields {', '.join(missing)}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"has fields a manifest does not have: {', '.join(unknown)}")
    return data


def _check_manifest(manifest: Manifest) -> None:
    """Raise ``ValueError`` when a field has the wrong type, or ``build_dir`` is not a plain folder name."""
    for name in ("model", "chunking", "files", "skipped", "skipped_sha256", "artifacts", "counts", "artifact_stats",
                 "file_stats", "ingest"):
        if not isinstance(getattr(manifest, name), dict):
            raise ValueError(f"has a field {name!r} that is not an object")
    build_dir = manifest.build_dir
    if not isinstance(build_dir, str) or build_dir in ("", ".", "..") or Path(build_dir).name != build_dir:
        raise ValueError(f"has build_dir {build_dir!r}, which is not a folder name")


def _check_consistency(index_dir: Path, manifest: Manifest, index: IndexData) -> None:
    """Raise ``IndexCorruptError`` unless the vectors have the manifest's dimension. (That each
    passage lies inside its document's text, so nothing is cited that the indexed documents do
    not hold at the cited offsets, ``read_passages`` checks.)"""
    dimension = manifest.model.get("dimension")
    vectors = index.sentence_vectors
    widths = {
        "passages.faiss": index.passage_index.d,
        "sentences.npy": vectors.shape[1] if vectors.ndim == 2 else None,
    }
    for name, width in widths.items():
        if width != dimension:
            shown = f"{width}-dimensional vectors" if width is not None else f"an array of shape {vectors.shape}"
            raise IndexCorruptError(
                f"{name} in {index_dir} holds {shown} but the manifest says {dimension} "
                "(files from another model?)",
                "run `ctqa index` to rebuild",
            )


def read_documents_and_passages(
    index_dir: Path, manifest: Manifest, full_check: bool = False
) -> tuple[DocumentTable, PassageTable]:
    """The documents of a build and its passages (memory-mapped, made when read).

    Raises:
        IndexCorruptError: a file fails its check, or a passage is not inside its document's
            text; a file that does not parse raises what its parser raises.
    """
    build = index_dir / manifest.build_dir
    documents = DocumentTable(
        json.loads(_read_artifact(build, "documents.json", manifest, full_check)),
        _mapped_array(build, document_table.BLOCKS, manifest, full_check),
    )
    rows = _mapped_array(build, passage_table.ROWS, manifest, full_check)
    sentences = _mapped_array(build, passage_table.SENTENCES, manifest, full_check)
    fields = json.loads(_read_artifact(build, passage_table.FIELDS, manifest, full_check))
    try:
        passages = PassageTable(rows, sentences, fields, documents.texts)
    except PassageMismatch as mismatch:
        raise IndexCorruptError(
            f"passage {mismatch.number} in {index_dir} does not match the text of {mismatch.doc_id}",
            "run `ctqa index` to rebuild",
        ) from mismatch
    return documents, passages


def _read_artifact(build: Path, name: str, manifest: Manifest, full_check: bool = False) -> bytes:
    """The bytes of a verified artifact (builds are never changed in place once written)."""
    path = _verified_path(build, name, manifest, full_check)
    try:
        return path.read_bytes()
    except OSError as error:
        raise IndexCorruptError(f"{path} is missing or unreadable ({error})", "run `ctqa index`") from error


def size_and_time(path: Path) -> list[int]:
    """``[size in bytes, st_mtime_ns]`` of ``path``: what the manifest records of a file so that
    an unchanged one is not hashed again (raises ``OSError`` when it cannot be read)."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _verified_path(build: Path, name: str, manifest: Manifest, full_check: bool = False) -> Path:
    """``build / name`` once it matches the manifest: the recorded size and modification time,
    else (or with ``full_check``) its sha256, read in blocks, never whole in memory."""
    path = build / name
    try:
        stat = size_and_time(path)
        if not full_check and stat == manifest.artifact_stats.get(name):
            return path
        with path.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as error:
        raise IndexCorruptError(f"{path} is missing or unreadable ({error})", "run `ctqa index`") from error
    if digest != manifest.artifacts.get(name):
        raise IndexCorruptError(
            f"{path} does not match its checksum in the manifest (truncated or edited)",
            "run `ctqa index` to rebuild",
        )
    return path


def _mapped_array(build: Path, name: str, manifest: Manifest, full_check: bool = False) -> np.ndarray:
    """A verified .npy artifact, memory-mapped read-only: a query pages in only the rows it reads."""
    return np.load(_verified_path(build, name, manifest, full_check), mmap_mode="r", allow_pickle=False)


def load_index(index_dir: Path, *, full_check: bool = False) -> IndexData:
    """Load and verify the index in ``index_dir``; with ``full_check`` every file is hashed,
    else only those whose size or modification time differs from the manifest's record.

    Raises:
        IndexMissingError: nothing was built yet.
        IndexCorruptError: a file is missing, truncated, fails its checksum or does not parse,
            or the vectors do not match the passages (count, dimension) or the passages their
            documents' text.
    """
    manifest = read_manifest(index_dir)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"index format {manifest.format_version} is not {FORMAT_VERSION}", "run `ctqa index`"
        )
    build = index_dir / manifest.build_dir
    try:
        documents, passages = read_documents_and_passages(index_dir, manifest, full_check)
        passage_index = read_passage_index(_verified_path(build, "passages.faiss", manifest, full_check))
        if isinstance(passage_index, faiss.IndexHNSW):
            passage_index.hnsw.efSearch = max(int(passage_index.hnsw.efSearch), HNSW_EF_SEARCH)
        sentence_vectors = FileRows(_verified_path(build, "sentences.npy", manifest, full_check))
        derived = load_derived(build, manifest, full_check)
    except IndexCorruptError:
        raise
    except Exception as error:  # any parse failure of a file that passed its checksum
        raise IndexCorruptError(f"index in {index_dir} cannot be read ({error})", "run `ctqa index`") from error
    offsets = sentence_offsets(passages)
    if (
        passage_index.ntotal != len(passages)
        or len(sentence_vectors) != offsets[-1]
        or len(derived.passage_tokens) != len(passages)
        or derived.bm25.size != len(passages)
        or len(derived.sentence_tokens) != offsets[-1]
        or len(derived.context_tokens) != offsets[-1]
    ):
        raise IndexCorruptError(
            f"index in {index_dir} has {passage_index.ntotal} vectors for {len(passages)} passages",
            "run `ctqa index`",
        )
    index = IndexData(
        manifest=manifest,
        documents=documents,
        passages=passages,
        passage_index=passage_index,
        sentence_vectors=sentence_vectors,  # type: ignore[arg-type]  # answers rows[a:b] as an ndarray does
        sentence_offsets=offsets,
        derived=derived,
    )
    _check_consistency(index_dir, manifest, index)
    return index
