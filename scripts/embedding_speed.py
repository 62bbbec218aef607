"""Time the embedding backends on the same texts: throughput, one-question latency, agreement.

The texts are passages and sentences as ``ctqa index`` embeds them: those of the project's
article, then those of the SQuAD subset's articles (``--squad``, default the shared 16-article
file) up to ``--texts`` in all; the questions are those of ``eval/article_questions.jsonl``. Every variant (torch; ONNX fp32 and int8 at 1 and
2 intra-op threads) embeds the same texts once, in one process, one after the other; the load
average is printed with the figures, since the machine may be shared.

    python scripts/embedding_speed.py                    # every variant
    python scripts/embedding_speed.py --variants onnx-int8 --threads 1 2
    python scripts/embedding_speed.py --json out.json

Columns: texts/s of a build-sized batch, p50 / p95 ms of one question, and the cosine of each
vector with torch's (min / mean). Figures of this script are in docs/embedding.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ctqa.chunking import chunk_documents  # noqa: E402
from ctqa.config import DEFAULT_CORPUS_DIR, ChunkSettings, EmbeddingSettings  # noqa: E402
from ctqa.embedding import Embedder, make_embedder  # noqa: E402
from ctqa.evaluation.squad import write_squad_corpus  # noqa: E402
from ctqa.index.builder import passage_embedding_text  # noqa: E402
from ctqa.ingest.loader import load_corpus  # noqa: E402

SQUAD_FILE = ROOT.parent / "shared" / "data" / "squad2-dev-16-articles.json"
if not SQUAD_FILE.exists():
    SQUAD_FILE = Path("/work/shared/data/squad2-dev-16-articles.json")
VARIANTS = {
    "torch": EmbeddingSettings(backend="torch"),
    "onnx-fp32": EmbeddingSettings(backend="onnx", precision="fp32"),
    "onnx-int8": EmbeddingSettings(backend="onnx", precision="int8"),
}


def corpus_texts(corpus: Path) -> list[str]:
    """Passage texts (with their context header) then sentence texts, as a build embeds them."""
    passages = chunk_documents(load_corpus(corpus).documents, ChunkSettings())
    texts = [passage_embedding_text(p) for p in passages]
    texts += [p.text[s - p.start : e - p.start] for p in passages for s, e in p.sentences]
    return texts


def build_texts(squad_file: Path | None, count: int) -> list[str]:
    texts = corpus_texts(DEFAULT_CORPUS_DIR)
    if squad_file is not None and len(texts) < count:
        with tempfile.TemporaryDirectory() as folder:
            write_squad_corpus(squad_file, Path(folder))
            texts += corpus_texts(Path(folder))
    return texts[:count]


def questions() -> list[str]:
    lines = (ROOT / "eval" / "article_questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def time_variant(embedder: Embedder, texts: list[str], asked: list[str]) -> dict[str, float | np.ndarray]:
    embedder.encode(texts[:8])  # first call: sessions and allocations are warm after it
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    seconds = time.perf_counter() - started
    latencies = []
    for question in asked:
        started = time.perf_counter()
        embedder.encode([question])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "texts/s": len(texts) / seconds,
        "query p50 ms": statistics.median(latencies),
        "query p95 ms": latencies[int(0.95 * (len(latencies) - 1))],
        "vectors": vectors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="ONNX intra-op threads to try")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--squad", type=Path, default=SQUAD_FILE, help="SQuAD JSON whose articles add texts")
    parser.add_argument("--texts", type=int, default=1000, help="texts embedded per variant")
    args = parser.parse_args()
    texts, asked = build_texts(args.squad if args.squad.exists() else None, args.texts), questions()
    print(f"{len(texts)} texts, {len(asked)} questions; load average {os.getloadavg()[0]:.2f} at start")
    reference: np.ndarray | None = None
    rows = []
    for name in args.variants:
        settings = VARIANTS[name]
        for threads in args.threads:
            if settings.backend == "torch":
                import torch

                torch.set_num_threads(threads)
            embedder = make_embedder(replace(settings, query_threads=threads, batch_threads=threads))
            figures = time_variant(embedder, texts, asked)
            vectors = figures.pop("vectors")
            assert isinstance(vectors, np.ndarray)
            if name == "torch":
                reference = vectors
            cosines = (reference * vectors).sum(axis=1) if reference is not None else None
            row = {
                "variant": name,
                "threads": threads,
                **{k: round(float(v), 2) for k, v in figures.items() if not isinstance(v, np.ndarray)},
                "cosine min": round(float(cosines.min()), 4) if cosines is not None else None,
                "cosine mean": round(float(cosines.mean()), 4) if cosines is not None else None,
                "load average": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
