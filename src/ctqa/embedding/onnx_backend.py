"""The ONNX backend: ONNX Runtime + the model's fast tokenizer, without torch.

It computes what sentence-transformers computes for all-MiniLM-L6-v2 (``modules.json``:
Transformer → mean Pooling → Normalize): word pieces truncated at 256, token vectors from the
exported transformer, their mean over the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from ctqa.config import MODEL_MAX_TOKENS, QUERY_TEXTS, EmbeddingSettings
from ctqa.embedding import BATCH_SIZE, Embedder, model_path
from ctqa.embedding.export import INPUT_NAMES, OUTPUT_NAME, ensure_export
from ctqa.embedding.pooling import TokenVectors, mean_pool_normalise

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Encoding, Tokenizer


def load_tokenizers(model_dir: Path) -> tuple[Tokenizer, Tokenizer]:
    """(encoder, counter) from ``tokenizer.json``: the encoder truncates at 256 and does not pad
    (``OnnxEmbedder`` pads each batch to its longest text itself, after sorting the texts by
    word pieces); the counter neither truncates nor pads. The file itself asks for truncation and
    fixed padding at 128, which sentence-transformers overrides with its 256 too.
    """
    from tokenizers import Tokenizer

    encoder = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    encoder.enable_truncation(max_length=MODEL_MAX_TOKENS)
    encoder.no_padding()
    counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    counter.no_truncation()
    counter.no_padding()
    return encoder, counter


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

    def _run(self, session: onnxruntime.InferenceSession, encodings: list[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        """Token vectors ``(batch, longest, 384)`` and attention mask of one batch of encodings,
        padded here to the batch's longest (the tokenizer does not pad)."""
        longest = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)  # [PAD] is id 0
        mask = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = dict(zip(INPUT_NAMES, (ids, mask, np.zeros_like(ids)), strict=True))
        (token_vectors,) = session.run([OUTPUT_NAME], feeds)
        return token_vectors, mask

    def _batches(
        self, texts: list[str], batch_size: int, threads: int, show_progress: bool
    ) -> Iterator[tuple[list[int], list[Encoding], np.ndarray, np.ndarray]]:
        """(rows, encodings, token vectors, mask) per batch, longest texts first.

        Each text is tokenised once; texts are sorted by word pieces (what the model's time
        grows with), so a batch pads its texts to nearly the same length. The lock guards only
        the making of a session: ONNX Runtime's ``InferenceSession.run`` is thread-safe, so a
        question asked while a build embeds thousands of texts in the background runs beside
        the build's batches instead of waiting for the last of them.
        """
        encodings = self._encoder.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        with self._lock:
            session = self._session_for(threads)
        for start in tqdm(range(0, len(texts), batch_size), desc="Batches", unit="batch", disable=not show_progress):
            rows = order[start : start + batch_size]
            batch = [encodings[i] for i in rows]
            token_vectors, mask = self._run(session, batch)
            yield rows, batch, token_vectors, mask

    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        threads = self.settings.query_threads if len(texts) <= QUERY_TEXTS else self.settings.batch_threads
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, _, token_vectors, mask in self._batches(texts, batch_size, threads, show_progress):
            vectors[rows] = mean_pool_normalise(token_vectors, mask)
        return vectors

    def token_vectors(
        self, texts: list[str], *, batch_size: int = BATCH_SIZE, show_progress: bool = False
    ) -> Iterator[tuple[int, TokenVectors]]:
        for rows, batch, token_vectors, _ in self._batches(texts, batch_size, self.settings.batch_threads, show_progress):
            for row, encoding, vectors in zip(rows, batch, token_vectors, strict=True):
                length = len(encoding.ids)
                yield row, TokenVectors(
                    vectors=vectors[:length],
                    offsets=np.asarray(encoding.offsets, dtype=np.int64).reshape(length, 2),
                    special=np.asarray(encoding.special_tokens_mask, dtype=bool),
                    truncated=bool(encoding.overflowing),
                )

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)
