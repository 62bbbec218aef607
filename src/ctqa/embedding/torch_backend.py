"""The torch backend: sentence-transformers on torch, the reference the ONNX vectors are tested against."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from ctqa.config import MODEL_DIMENSION, MODEL_MAX_TOKENS
from ctqa.embedding import BATCH_SIZE, Embedder, model_path
from ctqa.embedding.pooling import TokenVectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@contextmanager
def quiet_model_loading() -> Iterator[None]:
    """No "Loading weights" progress bar and no INFO lines while the packaged model loads.

    transformers draws that bar unless its progress bars are off; they are switched off through
    its own ``transformers.utils.logging`` API for the load and restored afterwards, so a program
    that imports ctqa keeps its own setting. Warnings still show.
    """
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


class TorchEmbedder(Embedder):
    """all-MiniLM-L6-v2 through ``SentenceTransformer(model_path(), device="cpu")``, fp32."""

    backend = "torch"
    precision = "fp32"

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        with quiet_model_loading():
            self._model: SentenceTransformer = SentenceTransformer(model_path(), device="cpu")
        self._model.max_seq_length = MODEL_MAX_TOKENS
        self._lock = threading.Lock()
        dimension = self._model.get_embedding_dimension()
        if dimension != MODEL_DIMENSION:
            raise RuntimeError(f"packaged model has dimension {dimension}, expected {MODEL_DIMENSION}")

    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def token_vectors(
        self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False
    ) -> Iterator[tuple[int, TokenVectors]]:
        """sentence-transformers' ``output_value="token_embeddings"`` (each text's rows up to its
        last real token, [CLS] and [SEP] included), with offsets from the same fast tokenizer."""
        tokenizer = self._model.tokenizer
        for first in range(0, len(texts), batch_size):
            batch = texts[first : first + batch_size]
            with self._lock:
                outputs = self._model.encode(
                    batch, batch_size=batch_size, output_value="token_embeddings", convert_to_numpy=False
                )
            encoded = tokenizer(
                batch,
                truncation=True,
                max_length=MODEL_MAX_TOKENS,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
            )
            for number, (text, vectors) in enumerate(zip(batch, outputs, strict=True)):
                rows = np.asarray(vectors.float().cpu().numpy(), dtype=np.float32)
                offsets = np.asarray(encoded["offset_mapping"][number], dtype=np.int64).reshape(-1, 2)
                if len(rows) != len(offsets):
                    raise RuntimeError(f"{len(rows)} token vectors for {len(offsets)} word pieces")
                yield first + number, TokenVectors(
                    vectors=rows,
                    offsets=offsets,
                    special=np.asarray(encoded["special_tokens_mask"][number], dtype=bool),
                    truncated=self.count_tokens(text) + 2 > MODEL_MAX_TOKENS,
                )

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))
