"""Time the splitting stage of a build (read, structure, sentence split, pack into passages) on
large generated text files: seconds per MB should be flat from kilobytes to megabytes.

Two shapes of file, both made of the article's sentences: one sentence per line with no blank
line (one paragraph, so one block of the whole file) and the whole text on a single line.
Embedding is not timed.

    .venv/bin/python scripts/split_speed.py 50000 500000 5000000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from ctqa.chunking import chunk_documents, split_sentences
from ctqa.config import ChunkSettings
from ctqa.embedding import shared_embedder
from ctqa.ingest.loader import load_corpus, load_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def article_sentences() -> list[str]:
    document = load_corpus(CORPUS).documents[0]
    return [
        document.text[start:end]
        for block in document.blocks
        for start, end in split_sentences(document.text[block.start : block.end], block.start)
    ]


def main(sizes: list[int]) -> None:
    sentences = article_sentences()
    count_tokens = shared_embedder().count_tokens  # the tokenizer a build counts with (no model run)
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder)
        for size in sizes:
            for shape, separator in (("one sentence per line", "\n"), ("single line", " ")):
                lines: list[str] = []
                total = 0
                while total < size:
                    sentence = sentences[len(lines) % len(sentences)]
                    lines.append(sentence)
                    total += len(sentence) + 1
                path = corpus / "big.txt"
                path.write_text("Big File\n\n" + separator.join(lines), encoding="utf-8")
                started = time.perf_counter()
                document = load_document(path, corpus)
                passages = chunk_documents([document], ChunkSettings(), count_tokens)
                seconds = time.perf_counter() - started
                megabytes = path.stat().st_size / 1e6
                print(
                    f"{megabytes:8.2f} MB  {shape:22s} {seconds:7.2f} s  {seconds / megabytes:6.2f} s/MB  "
                    f"{len(passages)} passages"
                )


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [50_000, 500_000, 5_000_000])
