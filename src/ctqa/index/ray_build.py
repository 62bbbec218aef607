"""Build the index on a Ray cluster: the model runs on Ray Data, the build is ``builder.build_index``.

A Ray build is a local build (``builder.build_index``: the same reading, change detection,
chunking, reuse of unchanged documents' vectors and atomic write) whose ``EmbedStep`` is
``RayEmbedding``: the new passages go to the cluster in batches, where a ``map_batches`` stage
with a fixed pool of actors (``ActorPoolStrategy``), each holding one embedding model loaded
once, runs ``builder.vectors_of_passages`` on each batch. The cluster is started (or joined) only
when a build has something to embed, so an unchanged corpus starts none. The folder written is
the one a local build writes: the same passages and offsets, vectors equal within float
tolerance (the model's batches differ).

A file that cannot be read is reported by name with its reason by the shared build; an actor
that dies is restarted by Ray and its batch retried (``RAY_RETRIES``).
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from tqdm.auto import tqdm

from ctqa.config import MODEL_DIMENSION, ChunkSettings, CorpusSettings, EmbeddingSettings
from ctqa.embedding import Embedder
from ctqa.embedding.contextual import PassageVectors
from ctqa.errors import CtqaError
from ctqa.index.builder import BuildReport, build_index, vectors_of_passages
from ctqa.index.reachable import connection_problem
from ctqa.types import Passage

logger = logging.getLogger(__name__)

# `--ray` without an address: start a local cluster for this build and stop it afterwards.
LOCAL_CLUSTER = "local"
# Passages per actor call (with their sentences, ~5 texts each): enough texts per model call to
# fill its batches, few enough that progress moves and one failed call repeats little work.
PASSAGES_PER_BATCH = 64
# Input blocks per actor (see RayEmbedding).
BLOCKS_PER_ACTOR = 4
# Restarts of a dead actor, and retries of the batch it held, before the build fails.
RAY_RETRIES = 3


class RayUnreachableError(CtqaError):
    """The Ray cluster at the given address cannot be reached, or Ray is not installed."""


class PassageWorker:
    """A Ray Data actor: one embedding model, loaded once, embeds batches of passages.

    Args:
        embedding: ``EmbeddingSettings`` as a dict (the driver's backend and precision).
        threads: math threads the model may use (cores of the node / actors on it).
    """

    def __init__(self, embedding: dict[str, Any], threads: int) -> None:
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:  # another embedding backend: OMP_NUM_THREADS (runtime_env) limits it
            pass
        from ctqa.embedding import shared_embedder

        settings = replace(EmbeddingSettings(**embedding), query_threads=threads, batch_threads=threads)
        self.embedder = shared_embedder(settings)
        self.settings = settings  # the sentence embedder (another precision) runs on these threads too

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        """Each row: ``number`` and ``passages`` (a pickled list) in, ``number`` and ``vectors``
        (pickled ``PassageVectors``, ``builder.vectors_of_passages``) out."""
        vectors = [
            pickle.dumps(vectors_of_passages(self.embedder, self.settings, pickle.loads(bytes(data))))
            for data in batch["passages"]
        ]
        return {"number": [int(n) for n in batch["number"]], "vectors": vectors}


def check_address(address: str) -> None:
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
    check_address(address)
    try:
        if address == LOCAL_CLUSTER:
            ray.init(num_cpus=workers, include_dashboard=False, configure_logging=False, log_to_driver=False)
        else:
            ray.init(address=address, configure_logging=False, log_to_driver=False)
    except Exception as error:  # ConnectionError, RuntimeError, ray's own errors
        raise RayUnreachableError(f"cannot start or join the Ray cluster at {address} ({error})") from error
    return ray


@dataclass(frozen=True)
class RayEmbedding:
    """The ``EmbedStep`` of a Ray build: ``builder.vectors_of_passages`` on an actor pool of ``workers``
    actors, on the cluster at ``address`` (started for the call and shut down after it)."""

    address: str
    workers: int
    embedding: EmbeddingSettings

    def __call__(self, passages: list[Passage], show_progress: bool) -> PassageVectors:
        batches = [passages[first : first + PASSAGES_PER_BATCH] for first in range(0, len(passages), PASSAGES_PER_BATCH)]
        items = [{"number": number, "passages": pickle.dumps(batch)} for number, batch in enumerate(batches)]
        ray = start_ray(self.address, self.workers)
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = show_progress
            cpus = int(ray.cluster_resources().get("CPU", self.workers))
            actors = min(self.workers, len(items))  # a model loaded for no batch is time lost
            threads = max(1, cpus // actors)
            # Several blocks per actor, so every actor gets work and progress moves block by block.
            blocks = min(len(items), actors * BLOCKS_PER_ACTOR)
            dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
                PassageWorker,
                fn_constructor_kwargs={"embedding": asdict(self.embedding), "threads": threads},
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=actors),
                num_cpus=1,
                runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}},
                max_restarts=RAY_RETRIES,
                max_task_retries=RAY_RETRIES,
            )
            results: dict[int, PassageVectors] = {}
            bar = tqdm(
                total=len(passages), desc=f"Embedding on Ray ({self.workers} workers)", unit="passage",
                disable=not show_progress,
            )
            for row in dataset.iter_rows():
                results[int(row["number"])] = pickle.loads(row["vectors"])
                bar.update(len(batches[int(row["number"])]))
            bar.close()
        finally:
            ray.shutdown()
        empty = np.zeros((0, MODEL_DIMENSION), dtype=np.float32)
        ordered = [results[number] for number in range(len(batches))]
        return PassageVectors(
            np.concatenate([empty, *(vectors.passages for vectors in ordered)]),
            np.concatenate([empty, *(vectors.sentences for vectors in ordered)]),
            sum(vectors.encoded for vectors in ordered),
        )


def build_index_ray(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkSettings,
    *,
    address: str = LOCAL_CLUSTER,
    workers: int | None = None,
    embedding: EmbeddingSettings | None = None,
    show_progress: bool = False,
    corpus: CorpusSettings | None = None,
) -> BuildReport:
    """Build or update the index of ``corpus_dir`` in ``index_dir``, embedding on Ray; the
    arguments are ``builder.build_index``'s (``embedder`` counts word pieces for chunking).

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
    workers = workers or (os.cpu_count() or 1 if address == LOCAL_CLUSTER else 2)
    check_address(address)  # before reading the corpus: an unreachable cluster is told at once
    embedding = embedding or EmbeddingSettings()
    report = build_index(
        corpus_dir,
        index_dir,
        embedder,
        chunking,
        embedding=embedding,
        show_progress=show_progress,
        corpus=corpus,
        embed=RayEmbedding(address, workers, embedding),
    )
    logger.info("index built on Ray (%s, %d workers): %s", address, workers, report.summary())
    return report
