"""Build the index on a Ray cluster: reading, cleaning, chunking and embedding run on Ray Data.

The driver hashes the corpus files and compares them with the previous build, exactly as
``builder.build_index`` does; only new and changed files (their bytes, so workers need not see
the driver's disk) go to the cluster. There a ``map_batches`` stage with a fixed pool of actors
(``ActorPoolStrategy``), each holding one embedding model loaded once, reads each file into a
``Document``, cuts its passages and embeds passages and sentences. The driver puts the results
in corpus order beside the reused documents and writes the same build a local build writes
(same passages and offsets; vectors equal within float tolerance, the batches differing).

A file that cannot be read is reported by name with its reason, as in a local build; an actor
that dies is restarted by Ray and its batch retried (``RAY_RETRIES``).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from tqdm.auto import tqdm

from ctqa.chunking import chunk_documents
from ctqa.config import MODEL_DIMENSION, ChunkSettings, EmbeddingSettings
from ctqa.embedding import manifest_model
from ctqa.embedding.contextual import embed_passages
from ctqa.errors import CorpusError, CtqaError, DocumentReadError, IndexWriteError
from ctqa.index.builder import (
    BuildReport,
    _all_passage_vectors,
    _passage_ids_by_document,
    _previous_index,
    _sha256_or_empty,
    index_lock,
    passage_text,
    write_problem,
)
from ctqa.index.reachable import connection_problem
from ctqa.index.store import check_index_folder, save_index
from ctqa.ingest.loader import corpus_files, load_document, supported_suffixes
from ctqa.types import Document, Passage

logger = logging.getLogger(__name__)

# `--ray` without an address: start a local cluster for this build and stop it afterwards.
LOCAL_CLUSTER = "local"
# Documents per actor call: enough texts per model call to fill its batches of 32, few enough
# that progress moves and one failed call repeats little work.
DOCUMENTS_PER_BATCH = 16
# Input blocks per actor (see run_on_ray).
BLOCKS_PER_ACTOR = 4
# Restarts of a dead actor, and retries of the batch it held, before the build fails.
RAY_RETRIES = 3


class RayUnreachableError(CtqaError):
    """The Ray cluster at the given address cannot be reached, or Ray is not installed."""


@dataclass(frozen=True)
class DocumentResult:
    """What a worker made of one file: the document, its passages and their vectors (rows of
    ``sentence_vectors`` follow the passages' sentences in order), or the reason it failed."""

    doc_id: str
    document: Document | None
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    error: str = ""

    @property
    def embedded(self) -> int:
        return len(self.passage_vectors) + len(self.sentence_vectors)


class DocumentWorker:
    """A Ray Data actor: one embedding model, loaded once, turns batches of files into results.

    Args:
        chunking: ``ChunkSettings`` as a dict.
        threads: math threads the model may use (cores of the node / actors on it).
    """

    def __init__(self, chunking: dict[str, Any], embedding: dict[str, Any], threads: int) -> None:
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:  # another embedding backend: OMP_NUM_THREADS (runtime_env) limits it
            pass
        from ctqa.embedding import shared_embedder

        # Each actor runs the driver's backend and precision on its share of the node's cores.
        settings = EmbeddingSettings(**embedding)
        self.embedder = shared_embedder(replace(settings, query_threads=threads, batch_threads=threads))
        self.chunking = ChunkSettings(**chunking)
        self.settings = settings

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        results = [self._read_and_chunk(str(d), bytes(b), str(p)) for d, b, p in zip(batch["doc_id"], batch["data"], batch["path"], strict=True)]
        self._embed(results)
        return {"doc_id": [r.doc_id for r in results], "result": [pickle.dumps(r) for r in results]}

    def _read_and_chunk(self, doc_id: str, data: bytes, driver_path: str) -> DocumentResult:
        empty = np.zeros((0, MODEL_DIMENSION), dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="ctqa-ray-") as folder:
            path = Path(folder) / doc_id
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            try:
                document = replace(load_document(path, Path(folder)), path=driver_path)
            except DocumentReadError as error:
                return DocumentResult(doc_id, None, [], empty, empty, error.reason)
        try:
            passages = chunk_documents([document], self.chunking, self.embedder.count_tokens)
        except Exception as error:  # one odd document must not stop the cluster's build
            return DocumentResult(doc_id, None, [], empty, empty, f"could not be split ({type(error).__name__}: {error})")
        return DocumentResult(doc_id, document, passages, empty, empty)

    def _embed(self, results: list[DocumentResult]) -> None:
        """Embed all passages and sentences of ``results`` in one call (``embedding.contextual``)."""
        texts = [passage_text(p) for result in results for p in result.passages]
        vectors = embed_passages(self.embedder, texts, self.settings)
        passage_row = sentence_row = 0
        for number, result in enumerate(results):
            count = sum(len(p.sentences) for p in result.passages)
            results[number] = replace(
                result,
                passage_vectors=vectors.passages[passage_row : passage_row + len(result.passages)],
                sentence_vectors=vectors.sentences[sentence_row : sentence_row + count],
            )
            passage_row += len(result.passages)
            sentence_row += count


def _check_address(address: str) -> None:
    """Fail fast when a ``host:port`` / ``ray://host:port`` address accepts no connection."""
    if address in (LOCAL_CLUSTER, "auto"):
        return
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise RayUnreachableError(f"--ray {address!r} is not a cluster address; give host:port or ray://host:port")
    problem = connection_problem(host, port)
    if problem:
        raise RayUnreachableError(
            f"cannot reach the Ray cluster at {address} ({problem}); start it "
            "(`ray start --head`) or pass another --ray address"
        )


def start_ray(address: str, workers: int) -> Any:
    """``ray`` connected to ``address`` (a new local cluster of ``workers`` CPUs for "local")."""
    try:
        import ray
    except ImportError as error:
        raise RayUnreachableError("building on Ray needs ray[data]: pip install 'ctqa[ray]'") from error
    _check_address(address)
    try:
        if address == LOCAL_CLUSTER:
            ray.init(num_cpus=workers, include_dashboard=False, configure_logging=False, log_to_driver=False)
        else:
            ray.init(address=address, configure_logging=False, log_to_driver=False)
    except Exception as error:  # ConnectionError, RuntimeError, ray's own errors
        raise RayUnreachableError(f"cannot start or join the Ray cluster at {address} ({error})") from error
    return ray


def run_on_ray(
    items: list[dict[str, Any]],
    chunking: ChunkSettings,
    embedding: EmbeddingSettings,
    address: str,
    workers: int,
    show_progress: bool,
) -> dict[str, DocumentResult]:
    """The result of each file in ``items`` (``doc_id``, ``data``, ``path``), keyed by doc id."""
    if not items:
        return {}
    ray = start_ray(address, workers)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = show_progress
        cpus = int(ray.cluster_resources().get("CPU", workers))
        actors = min(workers, len(items))  # a model loaded for no document is time lost
        threads = max(1, cpus // actors)
        # Several blocks per actor, so every actor gets work and progress moves block by block.
        blocks = min(len(items), actors * BLOCKS_PER_ACTOR)
        dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
            DocumentWorker,
            fn_constructor_kwargs={"chunking": asdict(chunking), "embedding": asdict(embedding), "threads": threads},
            batch_size=DOCUMENTS_PER_BATCH,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}},
            max_restarts=RAY_RETRIES,
            max_task_retries=RAY_RETRIES,
        )
        results: dict[str, DocumentResult] = {}
        bar = tqdm(total=len(items), desc=f"Embedding on Ray ({workers} workers)", unit="doc", disable=not show_progress)
        for row in dataset.iter_rows():
            result = pickle.loads(row["result"])
            results[result.doc_id] = result
            bar.update(1)
        bar.close()
        return results
    finally:
        ray.shutdown()


def build_index_ray(
    corpus_dir: Path,
    index_dir: Path,
    chunking: ChunkSettings,
    *,
    address: str = LOCAL_CLUSTER,
    workers: int | None = None,
    embedding: EmbeddingSettings | None = None,
    show_progress: bool = False,
) -> BuildReport:
    """Build or update the index of ``corpus_dir`` in ``index_dir`` on Ray; see the module doc.

    Args:
        address: "local" (start a local cluster for this build), "auto", or the address of a
            running cluster (``host:port``, ``ray://host:port``).
        workers: actors holding a model (default: the machine's cores for a local cluster, 2
            otherwise).

    Raises:
        CorpusError: the folder is missing or no file in it could be read.
        IndexWriteError: the index folder cannot be written.
        RayUnreachableError: the cluster cannot be started or reached.
    """
    started = time.perf_counter()
    workers = workers or (os.cpu_count() or 1 if address == LOCAL_CLUSTER else 2)
    check_index_folder(index_dir, corpus_dir)
    with index_lock(index_dir):
        files = corpus_files(corpus_dir)
        embedding = embedding or EmbeddingSettings()
        previous = _previous_index(index_dir, chunking, manifest_model(embedding))
        old_files = previous.manifest.files if previous else {}
        old_skipped = previous.manifest.skipped if previous else {}
        old_skipped_sha = previous.manifest.skipped_sha256 if previous else {}
        shas = {path.relative_to(corpus_dir).as_posix(): _sha256_or_empty(path) for path in files}
        items = []
        for path in files:
            doc_id = path.relative_to(corpus_dir).as_posix()
            if shas[doc_id] and shas[doc_id] in (old_files.get(doc_id), old_skipped_sha.get(doc_id)):
                continue
            try:
                items.append({"doc_id": doc_id, "data": path.read_bytes(), "path": str(path)})
            except OSError as error:
                items.append({"doc_id": doc_id, "data": b"", "path": str(path)})
                logger.warning("cannot read %s (%s)", doc_id, error)
        results = run_on_ray(items, chunking, embedding, address, workers, show_progress)

        report = BuildReport()
        documents: list[Document] = []
        passages: list[Passage] = []
        passage_rows: list[np.ndarray] = []
        sentence_rows: list[np.ndarray] = []
        skipped: dict[str, tuple[str, str]] = {}
        old_ids = _passage_ids_by_document(previous) if previous else {}
        old_vectors = _all_passage_vectors(previous) if previous else None
        for doc_id, sha in shas.items():
            result = results.get(doc_id)
            if result is None and doc_id in old_skipped:
                skipped[doc_id] = (old_skipped[doc_id], sha)
            elif result is None and previous is not None and old_vectors is not None:
                report.unchanged.append(doc_id)
                ids = old_ids.get(doc_id, [])
                documents.append(previous.documents[doc_id])
                passages.extend(previous.passages[i] for i in ids)
                passage_rows.append(old_vectors[ids])
                sentence_rows.extend(
                    previous.sentence_vectors[previous.sentence_offsets[i] : previous.sentence_offsets[i + 1]]
                    for i in ids
                )
            elif result is not None and result.document is not None:
                (report.changed if doc_id in old_files else report.added).append(doc_id)
                documents.append(result.document)
                passages.extend(result.passages)
                passage_rows.append(result.passage_vectors)
                sentence_rows.append(result.sentence_vectors)
                report.embedded += result.embedded
            else:
                reason = result.error if result is not None else "could not be read"
                logger.warning("skipped %s: %s", doc_id, reason)
                skipped[doc_id] = (reason, sha)
        report.skipped = {doc_id: reason for doc_id, (reason, _) in skipped.items()}
        if not documents:
            detail = "; ".join(f"{d}: {r}" for d, r in report.skipped.items()) or f"no {', '.join(supported_suffixes())} files"
            raise CorpusError(f"no readable document in {corpus_dir} ({detail})")
        report.removed = sorted(set(old_files) - {d.doc_id for d in documents})
        empty = np.zeros((0, MODEL_DIMENSION), dtype=np.float32)
        try:
            save_index(
                index_dir,
                documents=documents,
                passages=passages,
                passage_vectors=np.concatenate([empty, *passage_rows]),
                sentence_vectors=np.concatenate([empty, *sentence_rows]),
                chunking=chunking,
                skipped=skipped,
                model=manifest_model(embedding),
                corpus_dir=corpus_dir,
            )
        except OSError as error:
            raise IndexWriteError(write_problem(index_dir, error)) from error
    report.passages = len(passages)
    report.seconds = time.perf_counter() - started
    logger.info("index built on Ray (%s, %d workers): %s", address, workers, report.summary())
    return report
