"""The plain baselines ctqa is compared with in ``ctqa eval``.

* **dense-fixed**: the tutorial pipeline — the raw file text cut into 500-character windows
  (50 overlapping), embedded with the same model, searched with a FAISS flat index; the answer
  is the whole top chunk and it never declines.
* **bm25-fixed**: BM25 (bm25s, same tokenizer as ctqa) over the same windows.

Both are built from the same texts ctqa sees, with the same model, so the difference is ctqa's
own work (cleaning, structure, sentence answers, fusion, abstention).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

from ctqa.embedding import Embedder
from ctqa.retrieval.sparse import BM25Retriever
from ctqa.retrieval.text import query_tokens, tokenize

CHUNK_CHARS = 500
CHUNK_OVERLAP = 50

Search = Callable[[str, int], list[str]]


def fixed_chunks(texts: list[str], size: int = CHUNK_CHARS, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """Character windows of ``size`` with ``overlap``, as a tutorial text splitter makes them."""
    chunks = []
    for text in texts:
        step = size - overlap
        for start in range(0, max(len(text) - overlap, 1), step):
            piece = text[start : start + size].strip()
            if piece:
                chunks.append(piece)
    return chunks


@dataclass
class DenseBaseline:
    """Dense-only retrieval over ``chunks``; ``search(q, k)`` returns the top-k chunk texts."""

    chunks: list[str]
    embedder: Embedder

    def __post_init__(self) -> None:
        self.index = faiss.IndexFlatIP(self.embedder.dimension)
        if self.chunks:
            self.index.add(self.embedder.encode(self.chunks))

    def search(self, question: str, k: int) -> list[str]:
        vector = self.embedder.encode([question])
        _, ids = self.index.search(vector, min(k, len(self.chunks)))
        return [self.chunks[i] for i in ids[0] if i >= 0]


@dataclass
class BM25Baseline:
    """BM25-only retrieval over ``chunks``."""

    chunks: list[str]

    def __post_init__(self) -> None:
        self.bm25 = BM25Retriever([tokenize(chunk) for chunk in self.chunks])

    def search(self, question: str, k: int) -> list[str]:
        scores = self.bm25.scores(query_tokens(question))
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.chunks[i] for i in order]
