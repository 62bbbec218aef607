"""The passage stores ``DocumentQA`` can serve from, chosen once by name (``STORES``).

Every store shares the index folder's build (manifest, documents, passages); they differ in
where vectors and BM25 are searched:

- "faiss": FAISS and bm25s in the serving process (the default; nothing else to run).
- "milvus": two Milvus collections (``index.milvus_store``); a build copies new and changed
  documents there after writing the folder, and a load checks the copy matches the build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ctqa.config import STORE_KINDS, RetrievalSettings, StoreSettings
from ctqa.embedding import Embedder
from ctqa.index.store import IndexData, load_index
from ctqa.retrieval.hybrid import HybridRetriever


class PassageStore(Protocol):
    """What ``DocumentQA`` asks of a store."""

    @property
    def name(self) -> str:
        """The store's name in ``STORE_KINDS``."""
        ...

    def check_reachable(self, index_dir: Path) -> None:
        """Raise ``StoreUnreachableError`` when the store's server does not answer (before a
        build spends its time embedding)."""
        ...

    def after_build(self, index_dir: Path, *, show_progress: bool = False) -> str:
        """Bring the store up to the build just written; returns a line for the user ("" if none)."""
        ...

    def load(self, index_dir: Path) -> IndexData:
        """The index of ``index_dir``, checked (``IndexError_`` subclasses when it cannot serve)."""
        ...

    def retriever(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings) -> HybridRetriever:
        """The retriever over a loaded ``index``."""
        ...


@dataclass(frozen=True)
class FaissStore:
    """Vectors in FAISS, BM25 in bm25s, both in this process."""

    name: str = "faiss"

    def check_reachable(self, index_dir: Path) -> None:
        return None

    def after_build(self, index_dir: Path, *, show_progress: bool = False) -> str:
        return ""

    def load(self, index_dir: Path) -> IndexData:
        return load_index(index_dir)

    def retriever(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings) -> HybridRetriever:
        return HybridRetriever(index, embedder, settings)


@dataclass(frozen=True)
class MilvusStore:
    """Vectors and BM25 in Milvus (Lite file or server), see ``index.milvus_store``."""

    settings: StoreSettings
    name: str = "milvus"

    def _target(self, index_dir: Path):  # type: ignore[no-untyped-def]
        from ctqa.index.milvus_store import MilvusTarget

        return MilvusTarget.for_index(index_dir, self.settings)

    def check_reachable(self, index_dir: Path) -> None:
        from ctqa.index.milvus_store import check_server

        check_server(self._target(index_dir))

    def after_build(self, index_dir: Path, *, show_progress: bool = False) -> str:
        from ctqa.index.milvus_store import sync_index

        target = self._target(index_dir)
        report = sync_index(index_dir, load_index(index_dir), target, show_progress=show_progress)
        rewritten = f" (written anew: {report.rebuilt})" if report.rebuilt else ""
        return (
            f"Milvus {target.uri}: {report.deleted} documents deleted, {report.inserted} inserted "
            f"({report.rows} passages){rewritten}"
        )

    def load(self, index_dir: Path) -> IndexData:
        from ctqa.index.milvus_store import load_milvus_index

        index, _ = load_milvus_index(index_dir, self._target(index_dir))
        return index

    def retriever(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings) -> HybridRetriever:
        from ctqa.index.milvus_store import MilvusSentenceVectors
        from ctqa.retrieval.milvus import MilvusRetriever

        vectors = index.sentence_vectors
        if not isinstance(vectors, MilvusSentenceVectors):
            raise TypeError("a Milvus retriever needs an index loaded by MilvusStore.load")
        return MilvusRetriever(index, embedder, settings, vectors.store)


def passage_store(settings: StoreSettings) -> PassageStore:
    """The store named by ``settings.kind``.

    Raises:
        ValueError: the kind is not one of ``STORE_KINDS``.
    """
    make = STORES.get(settings.kind)
    if make is None:
        raise ValueError(f"store must be {' or '.join(STORE_KINDS)}, not {settings.kind!r}")
    return make(settings)


# Each store kind and how it is made from the settings.
STORES: dict[str, Callable[[StoreSettings], PassageStore]] = {
    "faiss": lambda settings: FaissStore(),
    "milvus": MilvusStore,
}
