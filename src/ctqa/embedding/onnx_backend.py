"""The ONNX backend: ONNX Runtime + the model's fast tokenizer, without torch.

It computes what sentence-transformers computes for all-MiniLM-L6-v2 (``modules.json``:
Transformer → mean Pooling → Normalize): word pieces truncated at 256, token vectors from the
exported transformer, their mean over the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from ctqa.config import MODEL_MAX_TOKENS, QUERY_TEXTS, EmbeddingSettings
from ctqa.embedding import BATCH_SIZE, Embedder, model_path
from ctqa.embedding.export import INPUT_NAMES, OUTPUT_NAME, ensure_export

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer


def load_tokenizers(model_dir: Path) -> tuple[Tokenizer, Tokenizer]:
    """(encoder, counter) from ``tokenizer.json``: the encoder truncates at 256 and pads each
    batch to its longest text; the counter neither truncates nor pads. The file itself asks for
    truncation and fixed padding at 128, which sentence-transformers overrides with its 256 too.
    """
    from tokenizers import Tokenizer

    encoder = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    encoder.enable_truncation(max_length=MODEL_MAX_TOKENS)
    pad_id = encoder.token_to_id("[PAD]")
    encoder.enable_padding(pad_id=pad_id, pad_token="[PAD]")
    counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    counter.no_truncation()
    counter.no_padding()
    return encoder, counter


def mean_pool_normalise(token_vectors: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors over the mask, then unit length (sentence-transformers' Pooling
    and Normalize: the same clamps, 1e-9 on the count and 1e-12 on the norm).

    Args:
        token_vectors: ``(batch, sequence, 384)`` float32.
        attention_mask: ``(batch, sequence)``, 1 for real tokens.

    Returns:
        ``(batch, 384)`` float32, unit norm.
    """
    mask = attention_mask[..., None].astype(np.float32)
    summed = (token_vectors * mask).sum(axis=1)
    pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _session(model: bytes, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads sleep instead of spinning: on a shared 2-core machine a spinning
    # thread takes the core another process (or our own tokenizer) needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 on ONNX Runtime at ``settings.precision``.

    A call with at most ``QUERY_TEXTS`` texts (a question) runs on ``settings.query_threads``
    threads, longer ones on ``settings.batch_threads``; when the two differ, the batch session
    is made on the first batch, so answering questions never pays for it.
    """

    backend = "onnx"

    def __init__(self, settings: EmbeddingSettings | None = None) -> None:
        self.settings = settings or EmbeddingSettings(backend="onnx")
        self.precision = self.settings.precision
        folder = Path(model_path())
        self.onnx_path, self._model_bytes = ensure_export(self.precision, folder, self.settings.cache_dir)
        self._encoder, self._counter = load_tokenizers(folder)
        self._lock = threading.Lock()
        self._sessions: dict[int, onnxruntime.InferenceSession] = {}
        self._session_for(self.settings.query_threads)

    def _session_for(self, threads: int) -> onnxruntime.InferenceSession:
        if threads not in self._sessions:
            self._sessions[threads] = _session(self._model_bytes, threads)
        return self._sessions[threads]

    def _embed_batch(self, session: onnxruntime.InferenceSession, texts: list[str]) -> np.ndarray:
        encodings = self._encoder.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feeds = dict(zip(INPUT_NAMES, (ids, mask, types), strict=True))
        (token_vectors,) = session.run([OUTPUT_NAME], feeds)
        return mean_pool_normalise(token_vectors, mask)

    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        threads = self.settings.query_threads if len(texts) <= QUERY_TEXTS else self.settings.batch_threads
        # Longest first, as sentence-transformers does: texts of similar length share a batch,
        # so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            session = self._session_for(threads)
            for start in tqdm(
                range(0, len(texts), batch_size), desc="Batches", unit="batch", disable=not show_progress
            ):
                rows = order[start : start + batch_size]
                vectors[rows] = self._embed_batch(session, [texts[i] for i in rows])
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)
