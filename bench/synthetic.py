"""Synthetic corpora of any size for the scaling part of ``bench/run.py``, without the model.

Embedding 100k chunks on 2 CPU cores takes hours, so the chunks' vectors are *composed* from a
pool of real sentences that were embedded once (the SQuAD paragraphs' sentences and their
all-MiniLM-L6-v2 vectors from a ctqa index):

* a chunk is two consecutive pool sentences plus one drawn at random (real English text, mostly
  on one topic, and almost never the same text twice);
* a sentence's vector is its pool vector plus small Gaussian noise, renormalised;
* a chunk's vector is the mean of its sentences' vectors plus noise, renormalised (close to what
  the model gives for the concatenation).

The result is a complete ctqa index (documents, passages, passage and sentence vectors) written
with ``ctqa.index.store.save_index`` over real files, so ``DocumentQA`` loads it as fresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctqa.config import ChunkSettings
from ctqa.index.store import IndexData, save_index, size_and_time
from ctqa.types import Block, Document, Passage, Section

CHUNKS_PER_DOCUMENT = 50
CHUNKS_PER_SECTION = 10
# Standard deviation of the noise per dimension; 0.01 × sqrt(384) ≈ 0.2 of a unit vector's norm.
NOISE = 0.01


@dataclass(frozen=True)
class SentencePool:
    """Real sentences and their unit vectors, shape ``(n, 384)``."""

    sentences: list[str]
    vectors: np.ndarray


@dataclass
class SyntheticCorpus:
    """Documents, passages and vectors of a synthetic corpus; ``files`` maps doc id -> file text."""

    documents: list[Document]
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    files: dict[str, str]

    @property
    def chunk_texts(self) -> list[str]:
        return [passage.text for passage in self.passages]


def pool_from_index(index: IndexData) -> SentencePool:
    """Every sentence of a loaded ctqa index with its stored vector."""
    sentences = [
        passage.text[start - passage.start : end - passage.start]
        for passage in index.passages
        for start, end in passage.sentences
    ]
    return SentencePool(sentences, np.asarray(index.sentence_vectors, dtype=np.float32))


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make_corpus(pool: SentencePool, n_chunks: int, *, seed: int = 0) -> SyntheticCorpus:
    """``n_chunks`` passages of three sentences in documents of ``CHUNKS_PER_DOCUMENT`` passages."""
    rng = np.random.default_rng(seed)
    size = len(pool.sentences)
    first = rng.integers(0, size - 1, n_chunks)
    extra = rng.integers(0, size, n_chunks)
    picks = np.stack([first, first + 1, extra], axis=1)  # (n_chunks, 3) pool rows
    dimension = pool.vectors.shape[1]
    sentence_vectors = _unit(
        pool.vectors[picks.ravel()] + rng.normal(0, NOISE, (picks.size, dimension)).astype(np.float32)
    )
    means = sentence_vectors.reshape(n_chunks, 3, dimension).mean(axis=1)
    passage_vectors = _unit(means + rng.normal(0, NOISE, means.shape).astype(np.float32))

    documents: list[Document] = []
    passages: list[Passage] = []
    files: dict[str, str] = {}
    for first_chunk in range(0, n_chunks, CHUNKS_PER_DOCUMENT):
        number = first_chunk // CHUNKS_PER_DOCUMENT
        doc_id = f"doc-{number:05d}.md"
        title = f"Synthetic report {number}"
        parts = [f"# {title}\n\n"]
        length = len(parts[0])
        sections, blocks, doc_passages = [], [], []
        chunks = range(first_chunk, min(first_chunk + CHUNKS_PER_DOCUMENT, n_chunks))
        for position, chunk in enumerate(chunks):
            if position % CHUNKS_PER_SECTION == 0:
                section_title = f"Part {position // CHUNKS_PER_SECTION + 1}"
                heading = f"## {section_title}\n\n"
                sections.append([section_title, length, length])
                parts.append(heading)
                length += len(heading)
            offsets, pieces, cursor = [], [], length
            for row in picks[chunk]:
                sentence = pool.sentences[int(row)]
                offsets.append((cursor, cursor + len(sentence)))
                pieces.append(sentence)
                cursor += len(sentence) + 1
            text = " ".join(pieces)
            start, end = length, length + len(text)
            doc_passages.append(
                Passage(doc_id, title, section_title, "paragraph", start, end, text, tuple(offsets))
            )
            blocks.append(Block("paragraph", start, end, section_title))
            parts.append(text + "\n\n")
            length += len(text) + 2
            sections[-1][2] = end
        content = "".join(parts)
        files[doc_id] = content
        documents.append(
            Document(
                doc_id=doc_id,
                title=title,
                path=doc_id,
                format="markdown",
                text=content,
                sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
                sections=tuple(Section(t, s, e) for t, s, e in sections),
                blocks=tuple(blocks),
            )
        )
        passages.extend(doc_passages)
    return SyntheticCorpus(documents, passages, passage_vectors, sentence_vectors, files)


def write_files(corpus: SyntheticCorpus, corpus_dir: Path) -> None:
    """Write the documents' files (their sha256 is what the index manifest records)."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for doc_id, content in corpus.files.items():
        (corpus_dir / doc_id).write_bytes(content.encode("utf-8"))


def save_ctqa_index(corpus: SyntheticCorpus, index_dir: Path, corpus_dir: Path) -> None:
    """The ctqa index of ``corpus`` (flat or HNSW by size, as ``save_index`` decides), whose files
    ``write_files`` wrote into ``corpus_dir``.

    The manifest records the files' size and modification time, as a ctqa build does for files
    older than ``builder.RECENT_WRITE_S`` (these were just written, and nothing writes them again).
    """
    file_stats = {doc_id: size_and_time(corpus_dir / doc_id) for doc_id in corpus.files}
    save_index(
        index_dir,
        documents=corpus.documents,
        passages=corpus.passages,
        passage_vectors=corpus.passage_vectors,
        sentence_vectors=corpus.sentence_vectors,
        chunking=ChunkSettings(),
        skipped={},
        file_stats=file_stats,
    )
