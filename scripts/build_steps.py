"""Time a build's steps outside the model on a corpus folder: reading and structuring the files,
splitting passages (``chunking.chunk_documents``, word pieces counted by the build's tokenizer)
and the derived state (``retrieval.derived.derive_state``). Embedding is not timed.

    .venv/bin/python scripts/build_steps.py CORPUS_DIR [--segmenter stock] [--profile FILE]

``--segmenter stock`` splits with pysbd's own English segmenter instead of
``ctqa.segmenter.english_segmenter`` (same boundaries; for comparing their cost);
``--profile FILE`` writes a cProfile of the splitting and derive steps to FILE.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from pathlib import Path

import pysbd

from ctqa import chunking
from ctqa.config import ChunkSettings
from ctqa.embedding import shared_embedder
from ctqa.ingest.loader import load_corpus
from ctqa.retrieval.derived import derive_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--segmenter", choices=("ctqa", "stock"), default="ctqa")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    if args.segmenter == "stock":
        chunking._segmenter.cache_clear()
        chunking._segmenter = lambda: pysbd.Segmenter(language="en", clean=False)  # type: ignore[assignment]
    count_tokens = shared_embedder().count_tokens  # the tokenizer a build counts with (no model run)
    count_tokens("warm up")
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    documents = load_corpus(args.corpus).documents
    loaded = time.perf_counter()
    if profile:
        profile.enable()
    passages = chunking.chunk_documents(documents, ChunkSettings(), count_tokens)
    split = time.perf_counter()
    derive_state(documents, passages)
    derived = time.perf_counter()
    if profile:
        profile.disable()
        profile.dump_stats(str(args.profile))
    sentences = sum(len(p.sentences) for p in passages)
    print(
        f"{args.corpus.name}: {len(documents)} documents, {len(passages)} passages, {sentences} sentences; "
        f"segmenter {args.segmenter}: load {loaded - started:.2f} s, split {split - loaded:.2f} s, "
        f"derive {derived - split:.2f} s; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
