"""Milvus as the passage store: passages and sentence vectors in two collections.

The index folder keeps what answering reads as text (manifest, documents, passages, written by
``index.store.save_index`` as for the embedded store); the vectors and the BM25 index live in
Milvus, so a serving process holds no vector in memory:

``<prefix>_passages``
    one row per passage: ``key`` (sha1 of doc id and start offset), ``doc_id``, ``section``,
    ``start``/``end``/``page``, ``text``, ``bm25_text`` (ctqa's own BM25 tokens, so Milvus's
    BM25 function scores the same terms as bm25s), ``sparse`` (filled by Milvus's BM25 function)
    and ``vector`` (the dense passage vector, inner product = cosine).
``<prefix>_sentences``
    one row per sentence: ``key`` (sha1 of doc id, passage start and sentence start),
    ``passage_key``, ``number`` and ``vector``; answering fetches only the sentences of its few
    candidate passages, by primary key.

``milvus.json`` in the index folder records what was copied (URI, collections, model, the build
and each document's sha256), so a re-index sends only new and changed documents, and a load
detects a copy that is missing, from another build, of another model or dimension, or short of
rows (``IndexStaleError`` / ``IndexCorruptError``: rebuilt like the embedded store).

A URI that is a file path is Milvus Lite (Milvus's engine embedded, one local file); an
``http(s)://host:port`` URI is a Milvus server or cluster, with a token when it needs one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
from tqdm.auto import tqdm

from ctqa.config import MODEL_DIMENSION, MODEL_NAME, StoreSettings
from ctqa.errors import CtqaError, IndexCorruptError, IndexMissingError, IndexStaleError
from ctqa.index.reachable import CONNECT_TIMEOUT, connection_problem
from ctqa.index.store import (
    FORMAT_VERSION,
    IndexData,
    Manifest,
    _check_consistency,
    atomic_write_bytes,
    load_derived,
    read_documents_and_passages,
    read_manifest,
    sentence_offsets,
)
from ctqa.retrieval.text import tokenize
from ctqa.types import Document, Passage

if TYPE_CHECKING:
    from pymilvus import MilvusClient

logger = logging.getLogger(__name__)
# Milvus Lite serves gRPC inside this process and logs every call pymilvus makes that it does not
# implement (AllocTimestamp, which pymilvus falls back from) as an ERROR with a traceback.
logging.getLogger("grpc._server").setLevel(logging.CRITICAL)

STATE_FILE = "milvus.json"
DEFAULT_LITE_FILE = "milvus.db"
# Written into each collection's properties with the model; a copy of another layout is rebuilt.
LAYOUT_VERSION = 1
LAYOUT_PROPERTY = "ctqa.layout"
# Rows per insert call: well under Milvus's 64 MB message limit (a passage row is ~3 kB).
INSERT_BATCH = 1000
# Doc ids per delete filter, so one expression stays short.
DELETE_BATCH = 200
# Milvus VARCHAR limits are in bytes; a passage is at most 256 word pieces, far below them.
MAX_TEXT_BYTES = 65_535
MAX_NAME_BYTES = 4_096
# How long a sync waits for Milvus to index the rows it wrote before serving anyway.
INDEX_WAIT_SECONDS = 600.0
# bm25s's defaults (Lucene variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5))), so Milvus's BM25
# scores the same tokens as the embedded store's retrieval.sparse.BM25Retriever.
BM25_K1 = 1.5
BM25_B = 0.75


class StoreUnreachableError(CtqaError):
    """The Milvus server (or Milvus Lite file) cannot be reached or opened."""


@dataclass(frozen=True)
class MilvusTarget:
    """Where the Milvus copy of an index lives.

    Args:
        uri: a file path (Milvus Lite) or ``http(s)://host:port`` (a server or cluster).
        token: ``user:password`` or an API key, for servers that need one (never recorded).
        prefix: collection names are ``<prefix>_passages`` and ``<prefix>_sentences``.
    """

    uri: str
    token: str = ""
    prefix: str = "ctqa"

    @classmethod
    def for_index(cls, index_dir: Path, settings: StoreSettings) -> MilvusTarget:
        """The target of ``settings``; the URI defaults to ``INDEX_DIR/milvus.db`` (Milvus Lite)."""
        uri = settings.milvus_uri or str(index_dir / DEFAULT_LITE_FILE)
        return cls(uri=uri, token=settings.milvus_token, prefix=settings.milvus_collection)

    @property
    def is_server(self) -> bool:
        return urlsplit(self.uri).scheme in ("http", "https", "tcp", "grpc", "unix")

    @property
    def passages(self) -> str:
        return f"{self.prefix}_passages"

    @property
    def sentences(self) -> str:
        return f"{self.prefix}_sentences"


def passage_key(passage: Passage) -> str:
    """Primary key of a passage: stable across builds while its document is unchanged."""
    return hashlib.sha1(f"{passage.doc_id}\x00{passage.start}".encode()).hexdigest()


def _sentence_key(passage: Passage, start: int) -> str:
    return hashlib.sha1(f"{passage.doc_id}\x00{passage.start}\x00{start}".encode()).hexdigest()


def bm25_text(passage: Passage) -> str:
    """The text Milvus's BM25 function reads: ctqa's BM25 tokens (stemmed, acronyms joined)
    joined by spaces, the same terms ``HybridRetriever`` gives bm25s."""
    return " ".join(tokenize(f"{passage.section_header()} {passage.text}"))


def _description() -> str:
    return json.dumps({"ctqa_layout": LAYOUT_VERSION, "model": MODEL_NAME, "dimension": MODEL_DIMENSION})


def _clip(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _quoted(values: Iterable[str]) -> str:
    """A Milvus filter list of string literals (JSON escaping is Milvus's string escaping)."""
    return "[" + ", ".join(json.dumps(value, ensure_ascii=False) for value in values) + "]"


def _check_reachable(target: MilvusTarget) -> None:
    """Fail fast (``StoreUnreachableError``) when a server URI does not accept connections."""
    if not target.is_server:
        folder = Path(target.uri).expanduser().parent
        if not folder.is_dir():
            raise StoreUnreachableError(
                f"cannot open Milvus Lite at {target.uri}: the folder {folder} does not exist; "
                "create it or pass another --milvus-uri"
            )
        return
    parts = urlsplit(target.uri)
    host, port = parts.hostname or "localhost", parts.port or 19530
    problem = connection_problem(host, port)
    if problem:
        raise StoreUnreachableError(
            f"cannot reach Milvus at {target.uri} ({problem}); start the server "
            "(docs/scaling.md) or pass another --milvus-uri"
        )


def check_server(target: MilvusTarget) -> None:
    """For a server URI, ``StoreUnreachableError`` unless it accepts connections (a Lite file
    is checked when it is opened: its folder may be the index folder a build creates)."""
    if target.is_server:
        _check_reachable(target)


def connect(target: MilvusTarget) -> MilvusClient:
    """A client for ``target``.

    Raises:
        StoreUnreachableError: the server does not answer, or the Lite file cannot be opened
            (the message names the URI, never the token).
    """
    try:
        from pymilvus import MilvusClient
    except ImportError as error:
        raise StoreUnreachableError(
            "the Milvus store needs pymilvus and milvus-lite: pip install 'ctqa[milvus]'"
        ) from error
    _check_reachable(target)
    try:
        return MilvusClient(uri=target.uri, token=target.token, timeout=CONNECT_TIMEOUT * 2)
    except Exception as error:  # pymilvus raises MilvusException, grpc errors or OSError
        raise StoreUnreachableError(f"cannot connect to Milvus at {target.uri} ({error})") from error


def _create_collections(client: MilvusClient, target: MilvusTarget) -> None:
    from pymilvus import DataType, Function, FunctionType

    passages = client.create_schema(auto_id=False, description=_description())
    passages.add_field("key", DataType.VARCHAR, is_primary=True, max_length=40)
    passages.add_field("doc_id", DataType.VARCHAR, max_length=MAX_NAME_BYTES)
    passages.add_field("section", DataType.VARCHAR, max_length=MAX_NAME_BYTES)
    passages.add_field("start", DataType.INT64)
    passages.add_field("end", DataType.INT64)
    passages.add_field("page", DataType.INT64)  # -1: not a paged format
    passages.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
    passages.add_field(
        "bm25_text",
        DataType.VARCHAR,
        max_length=MAX_TEXT_BYTES,
        enable_analyzer=True,
        # ctqa's tokens are lowercase letters and digits, which the standard tokenizer keeps
        # whole (Milvus Lite has no whitespace tokenizer).
        analyzer_params={"tokenizer": "standard"},
    )
    passages.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=MODEL_DIMENSION)
    passages.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25, input_field_names=["bm25_text"], output_field_names=["sparse"]
        )
    )
    passage_indexes = client.prepare_index_params()
    passage_indexes.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
    passage_indexes.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    passage_indexes.add_index("doc_id", index_type="INVERTED")
    client.create_collection(
        target.passages, schema=passages, index_params=passage_indexes, consistency_level="Strong"
    )

    sentences = client.create_schema(auto_id=False, description=_description())
    sentences.add_field("key", DataType.VARCHAR, is_primary=True, max_length=40)
    sentences.add_field("passage_key", DataType.VARCHAR, max_length=40)
    sentences.add_field("doc_id", DataType.VARCHAR, max_length=MAX_NAME_BYTES)
    sentences.add_field("number", DataType.INT64)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=MODEL_DIMENSION)
    sentence_indexes = client.prepare_index_params()
    # Never searched by similarity (fetched by key); FLAT is the cheapest index to keep.
    sentence_indexes.add_index("vector", index_type="FLAT", metric_type="IP")
    sentence_indexes.add_index("passage_key", index_type="INVERTED")
    client.create_collection(
        target.sentences, schema=sentences, index_params=sentence_indexes, consistency_level="Strong"
    )
    # Milvus Lite drops schema descriptions; collection properties are kept everywhere.
    for name in (target.passages, target.sentences):
        client.alter_collection_properties(name, properties={LAYOUT_PROPERTY: _description()})
        client.load_collection(name)


def _layout_problem(client: MilvusClient, target: MilvusTarget) -> str:
    """Why the collections cannot hold this index ("" when they can)."""
    for name in (target.passages, target.sentences):
        if not client.has_collection(name):
            return f"collection {name} is missing in {target.uri}"
        info = client.describe_collection(name)
        try:
            layout = json.loads((info.get("properties") or {}).get(LAYOUT_PROPERTY) or "{}")
        except ValueError:
            layout = {}
        if layout.get("model") != MODEL_NAME or layout.get("ctqa_layout") != LAYOUT_VERSION:
            return f"collection {name} in {target.uri} was written by another model or layout ({layout or 'unknown'})"
        dimensions = [
            field.get("params", {}).get("dim") for field in info.get("fields", []) if field.get("name") == "vector"
        ]
        if [int(d) for d in dimensions if d is not None] != [MODEL_DIMENSION]:
            return f"collection {name} in {target.uri} holds {dimensions} dimensional vectors, not {MODEL_DIMENSION}"
    return ""


def _count(client: MilvusClient, collection: str) -> int:
    rows = client.query(collection, filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"]) if rows else 0


@dataclass(frozen=True)
class SyncState:
    """What ``milvus.json`` records about the Milvus copy of an index (never the token)."""

    uri: str
    prefix: str
    model: str
    dimension: int
    build_dir: str
    files: dict[str, str]
    passages: int
    sentences: int

    @classmethod
    def read(cls, index_dir: Path) -> SyncState | None:
        try:
            return cls(**json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, index_dir: Path) -> None:
        atomic_write_bytes(index_dir / STATE_FILE, json.dumps(asdict(self), indent=2).encode())


@dataclass(frozen=True)
class SyncReport:
    """What a sync sent to Milvus: documents deleted and inserted, rows inserted."""

    deleted: int
    inserted: int
    rows: int
    rebuilt: str  # why the collections were recreated, "" when they were reused


def sync_index(index_dir: Path, index: IndexData, target: MilvusTarget, *, show_progress: bool = False) -> SyncReport:
    """Make the Milvus copy match the local build ``index``: delete the rows of removed and
    changed documents, insert those of new and changed ones (all of them when the collections
    are missing, of another model or layout, or hold another number of rows than recorded)."""
    client = connect(target)
    try:
        state = SyncState.read(index_dir)
        problem = _layout_problem(client, target)
        if not problem and (state is None or state.uri != target.uri or state.prefix != target.prefix):
            problem = f"no record of what {target.uri} holds"
        if not problem and state is not None:
            counts = (_count(client, target.passages), _count(client, target.sentences))
            if counts != (state.passages, state.sentences):
                problem = f"{target.passages} holds {counts[0]} passages and {counts[1]} sentences, {state.passages} and {state.sentences} were written"
        if problem:
            logger.info("rewriting the Milvus copy: %s", problem)
            for name in (target.passages, target.sentences):
                if client.has_collection(name):
                    client.drop_collection(name)
            _create_collections(client, target)
            synced: dict[str, str] = {}
        else:
            synced = state.files if state is not None else {}
        current = index.manifest.files
        stale = sorted(doc for doc, sha in synced.items() if current.get(doc) != sha)
        fresh = {doc for doc, sha in current.items() if synced.get(doc) != sha}
        for batch in _batches(stale, DELETE_BATCH):
            expression = f"doc_id in {_quoted(batch)}"
            client.delete(target.passages, filter=expression)
            client.delete(target.sentences, filter=expression)
        rows = _insert(client, target, index, fresh, show_progress)
        if rows or stale:
            _wait_for_indexes(client, target)
        SyncState(
            uri=target.uri,
            prefix=target.prefix,
            model=MODEL_NAME,
            dimension=MODEL_DIMENSION,
            build_dir=index.manifest.build_dir,
            files=dict(current),
            passages=len(index.passages),
            sentences=int(index.sentence_offsets[-1]),
        ).write(index_dir)
        return SyncReport(deleted=len(stale), inserted=len(fresh), rows=rows, rebuilt=problem)
    finally:
        client.close()


def _wait_for_indexes(client: MilvusClient, target: MilvusTarget) -> None:
    """Seal the rows just written and wait until every index covers them, so the first
    questions search indexed segments instead of scanning growing ones (on Milvus Lite a search
    during that catch-up took seconds instead of milliseconds, ``bench/scale.py``)."""
    deadline = time.monotonic() + INDEX_WAIT_SECONDS
    for name in (target.passages, target.sentences):
        client.flush(name)
        for index_name in client.list_indexes(name):
            while True:
                info = client.describe_index(name, index_name) or {}
                if int(info.get("pending_index_rows", 0)) == 0 and info.get("state", "Finished") == "Finished":
                    break
                if time.monotonic() > deadline:
                    logger.warning("index %s of %s is still being built; questions may be slow until it is", index_name, name)
                    return
                time.sleep(0.5)


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def _insert(client: MilvusClient, target: MilvusTarget, index: IndexData, docs: set[str], show_progress: bool) -> int:
    """Insert the passages and sentences of ``docs``; returns the number of passage rows."""
    ids = [number for number, passage in enumerate(index.passages) if passage.doc_id in docs]
    if not ids:
        return 0
    vectors = np.asarray(index.passage_index.reconstruct_n(0, index.passage_index.ntotal), dtype=np.float32)
    bar = tqdm(total=len(ids), desc="Copying to Milvus", unit="passage", disable=not show_progress)
    for batch in _batches(ids, INSERT_BATCH):
        passage_rows, sentence_rows = [], []
        for number in batch:
            passage = index.passages[number]
            key = passage_key(passage)
            passage_rows.append(
                {
                    "key": key,
                    "doc_id": passage.doc_id,
                    "section": _clip(passage.section, MAX_NAME_BYTES),
                    "start": passage.start,
                    "end": passage.end,
                    "page": -1 if passage.page is None else passage.page,
                    "text": _clip(passage.text, MAX_TEXT_BYTES),
                    "bm25_text": _clip(bm25_text(passage), MAX_TEXT_BYTES),
                    "vector": vectors[number].tolist(),
                }
            )
            first = int(index.sentence_offsets[number])
            for k, (start, _) in enumerate(passage.sentences):
                sentence_rows.append(
                    {
                        "key": _sentence_key(passage, start),
                        "passage_key": key,
                        "doc_id": passage.doc_id,
                        "number": k,
                        "vector": np.asarray(index.sentence_vectors[first + k], dtype=np.float32).tolist(),
                    }
                )
        client.insert(target.passages, passage_rows)
        for sentence_batch in _batches(sentence_rows, INSERT_BATCH):
            client.insert(target.sentences, list(sentence_batch))
        bar.update(len(batch))
    bar.close()
    return len(ids)


# -- serving -------------------------------------------------------------------------------


class EmptyPassageIndex:
    """Stands where ``IndexData.passage_index`` holds FAISS: the vectors are in Milvus, so it
    has the dimension but no row (``HybridRetriever`` then keeps no passage matrix)."""

    ntotal = 0

    def __init__(self, dimension: int) -> None:
        self.d = dimension

    def reconstruct_n(self, first: int, count: int) -> np.ndarray:
        return np.zeros((0, self.d), dtype=np.float32)


class MilvusSentenceVectors:
    """The sentence matrix of an index, read from Milvus one candidate passage at a time.

    Answers ``vectors[first:end]`` (rows of one passage's sentences, ``first`` being
    ``sentence_offsets[passage_id]``) as ``np.ndarray`` of shape ``(end - first, 384)``;
    ``prefetch`` reads the sentences of several passages in one query.
    """

    ndim = 2

    def __init__(self, store: MilvusPassages, passages: Sequence[Passage], offsets: np.ndarray) -> None:
        self.store = store
        self.passages = passages
        self.offsets = offsets
        self.shape = (int(offsets[-1]), MODEL_DIMENSION)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.shape[0]

    def prefetch(self, passage_ids: Sequence[int]) -> None:
        """Read the sentence vectors of ``passage_ids`` (one query); earlier ones are dropped."""
        wanted = [pid for pid in dict.fromkeys(passage_ids) if pid not in self._cache]
        fetched = self.store.sentence_vectors([self.passages[pid] for pid in wanted])
        self._cache = {pid: self._cache[pid] for pid in passage_ids if pid in self._cache}
        self._cache.update(zip(wanted, fetched, strict=True))

    def __getitem__(self, rows: slice) -> np.ndarray:
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("Milvus sentence vectors are read one passage at a time (a slice)")
        first = rows.start or 0
        pid = int(np.searchsorted(self.offsets, first, side="right") - 1)
        if pid not in self._cache:
            self.prefetch([pid])
        vectors = self._cache[pid]
        local = first - int(self.offsets[pid])
        stop = len(self) if rows.stop is None else rows.stop
        return vectors[local : local + stop - first]


@dataclass(frozen=True)
class Hit:
    """One passage found by ``hybrid_search``: its key, the ranker's score and its vector."""

    key: str
    score: float
    vector: np.ndarray


class MilvusPassages:
    """Searches of a loaded index's collections (one open client)."""

    def __init__(self, client: MilvusClient, target: MilvusTarget) -> None:
        self.client = client
        self.target = target

    def hybrid_search(
        self, vector: np.ndarray, tokens: list[str], depth: int, ranker: Any, doc_ids: Sequence[str] | None
    ) -> list[Hit]:
        """Top ``depth`` passages by the dense vector and top ``depth`` by BM25 over ``tokens``,
        merged by ``ranker`` (``WeightedRanker`` / ``RRFRanker``), best first."""
        from pymilvus import AnnSearchRequest

        expression = "" if doc_ids is None else f"doc_id in {_quoted(doc_ids)}"
        requests = [AnnSearchRequest(data=[vector.astype(np.float32).tolist()], anns_field="vector", param={}, limit=depth, expr=expression)]
        text = " ".join(tokens)
        if text:
            requests.append(
                AnnSearchRequest(data=[text], anns_field="sparse", param={}, limit=depth, expr=expression)
            )
        else:  # no BM25 side: the ranker still needs one weight per request
            ranker = _single_side_ranker(ranker)
        results = self.client.hybrid_search(
            self.target.passages, requests, ranker, limit=2 * depth, output_fields=["vector"]
        )
        # pymilvus 2.x names the primary key "id" in a hit, 3.x by its field name ("key").
        return [
            Hit(
                str(hit["key"] if "key" in hit else hit["id"]),
                float(hit["distance"]),
                np.asarray(hit["entity"]["vector"], dtype=np.float32),
            )
            for hit in results[0]
        ]

    def sentence_vectors(self, passages: Sequence[Passage]) -> list[np.ndarray]:
        """Sentence vectors of each passage, shape ``(len(passage.sentences), 384)``, in order."""
        if not passages:
            return []
        # By primary key (derived from the passage, as at insert): a key lookup, where a
        # ``passage_key in [...]`` filter scans the scalar index (several times slower on Lite).
        keys = [[_sentence_key(p, start) for start, _ in p.sentences] for p in passages]
        rows = self.client.get(self.target.sentences, ids=[key for group in keys for key in group], output_fields=["vector"])
        # pymilvus 2.x names the primary key "id" in a row, 3.x by its field name ("key").
        found = {str(row["key"] if "key" in row else row["id"]): row["vector"] for row in rows}
        result = []
        for group, passage in zip(keys, passages, strict=True):
            vectors = [found[key] for key in group if key in found]
            if len(vectors) != len(group):
                raise IndexCorruptError(
                    f"{self.target.sentences} in {self.target.uri} holds {len(vectors)} of the "
                    f"{len(group)} sentences of a passage of {passage.doc_id}",
                    "run `ctqa index --store milvus` to rewrite it",
                )
            result.append(np.asarray(vectors, dtype=np.float32).reshape(-1, MODEL_DIMENSION))
        return result


def _single_side_ranker(ranker: Any) -> Any:
    from pymilvus import WeightedRanker

    return WeightedRanker(1.0)


def load_milvus_index(index_dir: Path, target: MilvusTarget) -> tuple[IndexData, MilvusPassages]:
    """The index's text from ``index_dir`` and a handle on its vectors in Milvus.

    Raises:
        IndexMissingError: nothing was built, or the index was never copied to Milvus.
        IndexStaleError: the Milvus copy is of another build, URI or collection prefix.
        IndexCorruptError: a local file fails its checks, or a collection is missing, of
            another model, layout or dimension, or short of rows.
        StoreUnreachableError: Milvus cannot be reached.
    """
    client = connect(target)  # an unreachable server is told before anything is rebuilt
    try:
        passages, documents, manifest = _read_text(index_dir, target, client)
    except BaseException:
        client.close()
        raise
    store = MilvusPassages(client, target)
    offsets = sentence_offsets(passages)
    index = IndexData(
        manifest=manifest,
        documents=documents,
        passages=passages,
        passage_index=EmptyPassageIndex(MODEL_DIMENSION),  # type: ignore[arg-type]
        sentence_vectors=MilvusSentenceVectors(store, passages, offsets),  # type: ignore[arg-type]
        sentence_offsets=offsets,
        # the tokens and BM25 weights answering reads stay local (the build folder, memory-mapped)
        derived=load_derived(index_dir / manifest.build_dir, manifest),
    )
    _check_consistency(index_dir, manifest, index)
    return index, store


def _read_text(
    index_dir: Path, target: MilvusTarget, client: MilvusClient
) -> tuple[Sequence[Passage], Mapping[str, Document], Manifest]:
    """The build's passages and documents, once the Milvus copy is checked to be of this build."""
    manifest = read_manifest(index_dir)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(f"index format {manifest.format_version} is not {FORMAT_VERSION}", "run `ctqa index`")
    state = SyncState.read(index_dir)
    advice = "run `ctqa index --store milvus`"
    if state is None:
        raise IndexMissingError(f"the index in {index_dir} has no Milvus copy", advice)
    if (state.uri, state.prefix) != (target.uri, target.prefix):
        raise IndexStaleError(
            f"the Milvus copy of {index_dir} is in {state.uri} ({state.prefix}_*), not {target.uri} ({target.prefix}_*)",
            advice,
        )
    if state.build_dir != manifest.build_dir or state.files != manifest.files:
        raise IndexStaleError(f"the Milvus copy in {target.uri} is of another build of {index_dir}", advice)
    try:
        documents, passages = read_documents_and_passages(index_dir, manifest)
    except IndexCorruptError:
        raise
    except Exception as error:
        raise IndexCorruptError(f"index in {index_dir} cannot be read ({error})", "run `ctqa index`") from error
    problem = _layout_problem(client, target) or _count_problem(client, target, passages)
    if problem:
        raise IndexCorruptError(problem, advice)
    return passages, documents, manifest


def _count_problem(client: MilvusClient, target: MilvusTarget, passages: Sequence[Passage]) -> str:
    """Why the collections' row counts do not match the index's passages and sentences ("" if they do)."""
    for name in (target.passages, target.sentences):
        client.load_collection(name)  # a no-op when loaded; servers release on restart
    counts = (_count(client, target.passages), _count(client, target.sentences))
    if counts != (len(passages), int(sentence_offsets(passages)[-1])):
        return f"{target.passages} in {target.uri} holds {counts[0]} passages, the index has {len(passages)}"
    return ""
