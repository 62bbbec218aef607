"""Benchmark of the scale-out engines: Ray builds with 1 and 2 local workers, and query latency of
the Milvus store (Milvus Lite) against the embedded FAISS store at 10k and 100k passages.

    .venv/bin/python bench/scale.py [--quick] [--sizes 10000,100000] [--out bench/results]

Writes ``scale.json`` and ``scale.md`` into ``--out``. The Ray builds index a quarter of the
SQuAD file (4 articles) from scratch: first in this process, then on a local Ray cluster started
for the build with 1 and with 2 model-holding actors (threads per actor = cores / actors), the
cluster start included. The query latency is measured on synthetic corpora (``bench/synthetic.py``:
real SQuAD sentences, composed vectors) with SQuAD questions: ``retrieve`` is one hybrid
retrieval, ``ask`` a whole answer; the Milvus copy's write time is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from synthetic import make_corpus, pool_from_index, save_ctqa_index, write_files  # noqa: E402

import ctqa  # noqa: E402
from ctqa.embedding import shared_embedder  # noqa: E402
from ctqa.evaluation.squad import write_squad_corpus  # noqa: E402
from ctqa.index.store import load_index  # noqa: E402

# The shared data beside the checkout (CTQA_SHARED_DATA overrides it, as for bench/peers.py).
SQUAD_FILE = Path(os.environ.get("CTQA_SHARED_DATA", ROOT.parent / "shared" / "data")) / "squad2-dev-16-articles.json"
SQUAD_QUARTER = ["Normans", "Computational complexity theory", "Huguenot", "Steam engine"]
RESULTS_DIR = BENCH_DIR / "results"
QUESTIONS = 100


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    return round(float(np.percentile(values, share * 100)), 2) if values else 0.0


def bench_ray_builds(corpus_dir: Path, work: Path) -> dict[str, Any]:
    """Seconds of a from-scratch build in process, and on Ray with 1 and 2 workers."""
    result: dict[str, Any] = {}
    embedder = shared_embedder()
    for name, options in (("in_process", {}), ("ray_1_worker", {"ray": "local", "ray_workers": 1}),
                          ("ray_2_workers", {"ray": "local", "ray_workers": 2})):
        index_dir = work / f"build-{name}"
        shutil.rmtree(index_dir, ignore_errors=True)
        qa = ctqa.DocumentQA(corpus_dir, index_dir, embedder=embedder, **options)  # type: ignore[arg-type]
        started = time.perf_counter()
        report = qa.build()
        seconds = time.perf_counter() - started
        result[name] = {"seconds": round(seconds, 1), "embedded": report.embedded, "passages": report.passages,
                        "load_average": list(os.getloadavg())}
        log(f"{name}: {seconds:.1f} s, {report.embedded} texts")
    return result


def bench_queries(qa: ctqa.DocumentQA, questions: list[str]) -> dict[str, float]:
    """p50 / p95 milliseconds of one whole answer, and of the retrieval inside it.

    The answer is asked first: the Milvus retriever fetches the candidates' sentence vectors
    while it retrieves and keeps them for the answer, so the retrieval timed after it is the
    search alone (``hybrid_search`` and the in-process fusion), and the answer holds all of it.
    """
    retriever = qa.ensure_ready()
    qa.ask(questions[0])  # warm up
    retrieve_ms, ask_ms = [], []
    for question in questions:
        ask_ms.append(qa.ask(question).latency_ms)
        plan = retriever.rewriter.plan(question, None)
        vector = retriever.embed_query(plan)
        started = time.perf_counter()
        retriever.retrieve(plan, vector, fusion=qa.fusion)
        retrieve_ms.append((time.perf_counter() - started) * 1000)
    return {"retrieve_p50_ms": percentile(retrieve_ms, 0.5), "retrieve_p95_ms": percentile(retrieve_ms, 0.95),
            "ask_p50_ms": percentile(ask_ms, 0.5), "ask_p95_ms": percentile(ask_ms, 0.95)}


def bench_stores(pool_index: Path, questions: list[str], sizes: list[int], work: Path) -> dict[str, Any]:
    pool = pool_from_index(load_index(pool_index))
    embedder = shared_embedder()
    result: dict[str, Any] = {}
    for size in sizes:
        corpus = make_corpus(pool, size, seed=size)
        folder = work / f"synthetic-{size}"
        write_files(corpus, folder / "corpus")
        save_ctqa_index(corpus, folder / "index", folder / "corpus")
        faiss_qa = ctqa.DocumentQA(folder / "corpus", folder / "index", embedder=embedder)
        faiss = bench_queries(faiss_qa, questions)
        milvus_qa = ctqa.DocumentQA(folder / "corpus", folder / "index", embedder=embedder, store="milvus")
        started = time.perf_counter()
        # copy the synthetic build into Milvus Lite as it is (a `build()` would re-read the files,
        # whose loader-cleaned text is not the synthetic documents' text)
        milvus_qa.store.after_build(folder / "index", show_progress=False)
        copy_s = time.perf_counter() - started
        milvus = bench_queries(milvus_qa, questions)
        result[str(size)] = {"passages": size, "sentences": int(len(corpus.sentence_vectors)), "faiss": faiss,
                             "milvus_lite": milvus, "milvus_copy_s": round(copy_s, 1),
                             "load_average": list(os.getloadavg())}
        log(f"{size}: faiss {faiss}, milvus {milvus}, copy {copy_s:.1f} s")
    return result


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Scale benchmark ({results['date']}, load average at start {results['load_average_start']})", "",
             f"Command: `{results['command']}`", "", "## Index build, SQuAD quarter (4 articles), from scratch", "",
             "| build | seconds | texts embedded | load average after |", "|---|---|---|---|"]
    for name, row in results["ray"].items():
        lines.append(f"| {name} | {row['seconds']} | {row['embedded']} | {row['load_average'][0]:.1f} |")
    lines += ["", "## Query latency, synthetic corpora (ms)", "",
              "| passages | store | retrieve p50 | retrieve p95 | ask p50 | ask p95 |", "|---|---|---|---|---|---|"]
    for size, row in results["stores"].items():
        for store in ("faiss", "milvus_lite"):
            q = row[store]
            lines.append(f"| {size} | {store} | {q['retrieve_p50_ms']} | {q['retrieve_p95_ms']} | "
                         f"{q['ask_p50_ms']} | {q['ask_p95_ms']} |")
    lines += ["", "Copy into Milvus Lite: " + ", ".join(f"{s} passages {r['milvus_copy_s']} s"
                                                      for s, r in results["stores"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k passages only, 30 questions")
    parser.add_argument("--sizes", help="synthetic sizes, comma-separated (default 10000,100000)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    options = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(options)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else ([10_000] if args.quick else [10_000, 100_000])
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python bench/scale.py", *options]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_start": list(os.getloadavg()),
        "cores": os.cpu_count(),
    }
    work = Path(tempfile.mkdtemp(prefix="ctqa-scale-"))
    try:
        squad = write_squad_corpus(SQUAD_FILE, work / "squad", articles=SQUAD_QUARTER)
        results["ray"] = bench_ray_builds(work / "squad", work)
        answerable = [q.question for q in squad.questions if not q.impossible]
        rng = np.random.default_rng(0)
        count = 30 if args.quick else QUESTIONS
        questions = [answerable[i] for i in rng.choice(len(answerable), size=count, replace=False)]
        results["stores"] = bench_stores(work / "build-in_process", questions, sizes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (args.out / "scale.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
