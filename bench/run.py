"""ctqa against the plain alternative on this machine: speed, memory, scaling and SQuAD quality.

    make bench                          # = .venv/bin/python bench/run.py  (about 16 min on a quiet 2-core machine)
    .venv/bin/python bench/run.py --quick   # reduced sizes, a few minutes

"Plain" is what one writes without ctqa: sentence-transformers ``model.encode`` (the same
all-MiniLM-L6-v2, its default batch size) and a FAISS ``IndexFlatIP`` over 500-character chunks
(``ctqa.evaluation.baselines.fixed_chunks``), answering with the top chunk. Measured in one run:

1. **Indexing throughput** — a full ctqa build (read, clean, chunk, embed every passage and
   sentence, write, checksum) of the article and of the SQuAD subset's 646 paragraphs, against
   raw ``model.encode`` of exactly the texts ctqa embeds; model loaded in both.
2. **Rebuild** of the article index: in process (model loaded) and as a fresh ``ctqa index``.
3. **Cold start, warm latency, peak memory** — ``bench/worker.py`` in fresh processes: process
   start to first answer, and peak resident memory (``VmHWM``) after answering every question
   once, per system; warm ``ask()`` p50 / p95 over the article's question set
   (``eval/article_questions.jsonl``) against query ``encode`` + FAISS search, both systems in
   one process, question by question, so that the other load on the machine hits both alike.
4. **Scaling** — the same on synthetic corpora of 10k and 100k chunks (``bench/synthetic.py``:
   real SQuAD sentences, vectors composed from their real embeddings, because embedding 100k
   chunks on 2 cores takes hours), questions from SQuAD; index writing is timed with the
   vectors given (no model).
5. **Flat vs HNSW** passage search (ctqa switches at ``HNSW_MIN_PASSAGES``): single-query
   latency and recall@10 / @50 of HNSW against exact search, on the synthetic vectors with real
   query vectors.
6. **SQuAD quality** on ``../shared/data/squad2-dev-16-articles.json``: ctqa, dense-only and
   BM25-only over the same paragraphs (``ctqa.evaluation.squad``).
7. **The BEIR path at a real size**: the same SQuAD paragraphs written as a BEIR folder (one
   document per paragraph, answerable questions as queries, the gold paragraph as the one
   relevant document) and scored by ``ctqa.evaluation.beir`` (nDCG@10, recall@10/@100, MRR@10).

Timings use ``time.perf_counter``; every timing is repeated and the median reported. Writes
``bench/results/latest.json`` and ``bench/results/latest.md``. The load average is recorded
before and after: other processes on the 2 cores make every timing slower.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ctqa.config import AnswerSettings, Settings
from ctqa.embedding import model_path, shared_embedder
from ctqa.evaluation.baselines import BM25Baseline, DenseBaseline, fixed_chunks
from ctqa.evaluation.beir import beir_settings, evaluate_beir, load_beir, write_beir_corpus
from ctqa.evaluation.dataset import load_questions
from ctqa.evaluation.squad import (
    SquadSet,
    evaluate_squad,
    evaluate_squad_baseline,
    write_squad_corpus,
)
from ctqa.index import store
from ctqa.index.builder import passage_embedding_text
from ctqa.index.store import load_index
from ctqa.ingest.loader import corpus_files
from ctqa.qa import DocumentQA

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from report import write_reports  # noqa: E402
from synthetic import make_corpus, pool_from_index, save_ctqa_index, write_files  # noqa: E402

SQUAD_FILE = ROOT.parent / "shared" / "data" / "squad2-dev-16-articles.json"
ARTICLE_CORPUS = ROOT / "corpus"
ARTICLE_QUESTIONS = ROOT / "eval" / "article_questions.jsonl"
RESULTS_DIR = BENCH_DIR / "results"
WORKER = BENCH_DIR / "worker.py"
PLAIN_TOP_K = 5


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Seconds taken by ``function(*args, **kwargs)`` (perf_counter), and its value."""
    tick = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - tick, value


def median(values: list[float]) -> float:
    return float(statistics.median(values))


# -- 1. indexing throughput -------------------------------------------------------------------------


def embedded_texts(index_dir: Path) -> tuple[list[str], int]:
    """The texts a ctqa build sends to the model (passages with their header, then sentences),
    and the number of corpus sentences."""
    index = load_index(index_dir)
    texts = [passage_embedding_text(p) for p in index.passages]
    sentences = [p.text[s - p.start : e - p.start] for p in index.passages for s, e in p.sentences]
    return texts + sentences, len(sentences)


def bench_indexing(name: str, corpus_dir: Path, work: Path, plain_model: Any, reps: int, warm_up: bool) -> dict:
    """Full ctqa builds into fresh folders vs ``plain_model.encode`` of the same texts, interleaved."""
    embedder = shared_embedder()
    if warm_up:
        DocumentQA(corpus_dir, work / f"{name}-index-warm-up", embedder=embedder).build()
    build_seconds, encode_seconds = [], []
    index_dir = work / f"{name}-index-0"
    texts: list[str] = []
    sentences = 0
    for rep in range(reps):
        index_dir = work / f"{name}-index-{rep}"
        qa = DocumentQA(corpus_dir, index_dir, embedder=embedder)
        seconds, report = timed(qa.build)
        build_seconds.append(seconds)
        if not texts:
            texts, sentences = embedded_texts(index_dir)
            assert report.embedded == len(texts)
        seconds, _ = timed(plain_model.encode, texts, normalize_embeddings=True)
        encode_seconds.append(seconds)
        log(f"indexing {name} rep {rep + 1}/{reps}: ctqa build {build_seconds[-1]:.2f} s, raw encode {seconds:.2f} s")
    ctqa_s, raw_s = median(build_seconds), median(encode_seconds)
    return {
        "corpus": name,
        "texts_embedded": len(texts),
        "sentences": sentences,
        "passages": len(texts) - sentences,
        "reps": reps,
        "ctqa_build_s": round(ctqa_s, 3),
        "raw_encode_s": round(raw_s, 3),
        "ctqa_build_s_each": [round(x, 3) for x in build_seconds],
        "raw_encode_s_each": [round(x, 3) for x in encode_seconds],
        "ctqa_sentences_per_s": round(sentences / ctqa_s, 1),
        "raw_sentences_per_s": round(sentences / raw_s, 1),
        "ctqa_texts_per_s": round(len(texts) / ctqa_s, 1),
        "raw_texts_per_s": round(len(texts) / raw_s, 1),
        "ratio": round(raw_s / ctqa_s, 3),
        "index_dir": str(index_dir),
    }


def bench_cold_rebuild(corpus_dir: Path, work: Path, reps: int) -> dict:
    """``ctqa index`` in a fresh process into an empty folder: model load + full build."""
    ctqa_command = Path(sys.executable).with_name("ctqa")
    seconds = []
    for rep in range(reps):
        target = work / f"cold-rebuild-{rep}"
        command = [str(ctqa_command), "index", "--corpus", str(corpus_dir), "--index", str(target)]
        elapsed, result = timed(subprocess.run, command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"ctqa index failed: {result.stderr[-2000:]}")
        seconds.append(elapsed)
        log(f"cold `ctqa index` rep {rep + 1}/{reps}: {elapsed:.2f} s")
    return {"reps": reps, "seconds": round(median(seconds), 3), "seconds_each": [round(s, 3) for s in seconds]}


# -- 3. cold start, warm latency, memory (subprocesses) ---------------------------------------------


def run_worker(arguments: list[str]) -> dict:
    """One cold ``bench/worker.py`` process: seconds from start to its first answer, and its report."""
    command = [sys.executable, str(WORKER), *arguments]
    tick = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    cold = time.perf_counter() - tick
    rest = process.stdout.read()
    error = process.stderr.read()
    if process.wait() != 0 or not first.strip():
        raise RuntimeError(f"worker {arguments[0]} failed: {error[-3000:]}")
    done = json.loads(rest.strip().splitlines()[-1])
    return {"cold_start_s": cold, **json.loads(first), **done}


def run_warm(arguments: list[str], reps: int) -> dict:
    """One ``bench/worker.py both`` process: warm latency of ctqa and plain, question by question."""
    command = [sys.executable, str(WORKER), "both", *arguments, "--warm-reps", str(reps)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"warm worker failed: {result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def plain_files(chunks: list[str], vectors: np.ndarray, folder: Path) -> list[str]:
    """Chunk texts (JSON) and their FAISS flat index on disk, as the plain worker loads them."""
    folder.mkdir(parents=True, exist_ok=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / "chunks.faiss"))
    (folder / "chunks.json").write_text(json.dumps(chunks), encoding="utf-8")
    return [str(folder / "chunks.json"), str(folder / "chunks.faiss")]


def bench_processes(
    label: str, ctqa_paths: list[str], plain_paths: list[str], questions_file: Path,
    cold_reps: int, warm_reps: int, warm_up: bool,
) -> dict:
    """Cold start (median of ``cold_reps`` fresh processes per system), peak memory (the largest),
    and warm p50 / p95 (both systems in one process, alternating question by question)."""
    arguments = {"ctqa": ["ctqa", *ctqa_paths, str(questions_file)], "plain": ["plain", *plain_paths, str(questions_file)]}
    if warm_up:  # the first process after a while reads torch and the model from disk
        for system_arguments in arguments.values():
            run_worker(system_arguments)
    runs: dict[str, list[dict]] = {"ctqa": [], "plain": []}
    for rep in range(cold_reps):
        for system, system_arguments in arguments.items():
            result = run_worker(system_arguments)
            runs[system].append(result)
            log(f"{label} {system} process {rep + 1}/{cold_reps}: first answer after {result['cold_start_s']:.2f} s, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB")
    warm = run_warm([*ctqa_paths, *plain_paths, str(questions_file)], warm_reps)
    log(f"{label} warm p50: ctqa {warm['ctqa']['p50_ms']:.2f} ms, plain {warm['plain']['p50_ms']:.2f} ms")
    summary = {}
    for system, results in runs.items():
        summary[system] = {
            "cold_start_s": round(median([r["cold_start_s"] for r in results]), 3),
            "cold_start_s_each": [round(r["cold_start_s"], 3) for r in results],
            "p50_ms": round(warm[system]["p50_ms"], 2),
            "p95_ms": round(warm[system]["p95_ms"], 2),
            "p50_ms_each_rep": [round(x, 2) for x in warm[system]["p50_ms_each_rep"]],
            "questions": warm["questions"],
            "warm_reps": warm["warm_reps"],
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results), 1),
        }
    return summary


# -- 5. flat vs HNSW --------------------------------------------------------------------------------


def bench_ann(vectors: np.ndarray, queries: np.ndarray, sizes: list[int]) -> list[dict]:
    """Single-query search latency (median) and recall of HNSW against exact flat search."""
    rows = []
    for size in sizes:
        data = np.ascontiguousarray(vectors[:size])
        flat = faiss.IndexFlatIP(data.shape[1])
        flat.add(data)
        hnsw = store.hnsw_passage_index(data.shape[1])
        build_s, _ = timed(hnsw.add, data)
        _, exact = flat.search(queries, 50)
        _, approximate = hnsw.search(queries, 50)
        recall10 = np.mean([len(set(a[:10]) & set(e[:10])) / 10 for a, e in zip(approximate, exact, strict=True)])
        recall50 = np.mean([len(set(a) & set(e)) / 50 for a, e in zip(approximate, exact, strict=True)])
        latencies: dict[str, list[float]] = {"flat": [], "hnsw": []}
        for _ in range(3):
            for name, index in (("flat", flat), ("hnsw", hnsw)):
                for query in queries:
                    seconds, _ = timed(index.search, query[None, :], 50)
                    latencies[name].append(seconds * 1000)
        row = {
            "passages": size,
            "flat_ms": round(median(latencies["flat"]), 3),
            "hnsw_ms": round(median(latencies["hnsw"]), 3),
            "recall@10": round(float(recall10), 4),
            "recall@50": round(float(recall50), 4),
            "hnsw_build_s": round(build_s, 2),
            "queries": len(queries),
        }
        row["speedup"] = round(row["flat_ms"] / row["hnsw_ms"], 2)
        log(f"ANN at {size}: flat {row['flat_ms']} ms, HNSW {row['hnsw_ms']} ms, recall@10 {row['recall@10']}")
        rows.append(row)
    return rows


# -- 6. SQuAD quality -------------------------------------------------------------------------------


def bench_squad_quality(squad: SquadSet, corpus_dir: Path, index_dir: Path, step: int) -> dict:
    """ctqa (abstention scored at the default threshold) and dense / BM25 over the same paragraphs."""
    questions = squad.questions[::step]
    embedder = shared_embedder()
    open_settings = Settings(answer=AnswerSettings(abstain_threshold=0.0))
    qa = DocumentQA(corpus_dir, index_dir, settings=open_settings, embedder=embedder)
    ctqa_scores = evaluate_squad(qa, questions, threshold=AnswerSettings().abstain_threshold)
    log(f"SQuAD ctqa: {ctqa_scores}")
    texts = [paragraph.text for paragraph in squad.paragraphs]
    dense = evaluate_squad_baseline(DenseBaseline(texts, embedder).search, questions, squad.paragraphs)
    log(f"SQuAD dense: {dense}")
    bm25 = evaluate_squad_baseline(BM25Baseline(texts).search, questions, squad.paragraphs)
    log(f"SQuAD BM25: {bm25}")
    return {"questions_step": step, "ctqa": ctqa_scores, "dense": dense, "bm25": bm25}


def squad_as_beir(squad: SquadSet, folder: Path, step: int) -> Path:
    """A BEIR folder from SQuAD: paragraphs as documents, answerable questions as queries."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    titles = {}
    for question in squad.questions:
        titles[question.doc_id] = question.article
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as stream:
        for paragraph in squad.paragraphs:
            record = {"_id": f"{paragraph.doc_id}#{paragraph.section}", "title": titles.get(paragraph.doc_id, ""),
                      "text": paragraph.text}
            stream.write(json.dumps(record) + "\n")
    questions = [q for q in squad.questions if not q.impossible][::step]
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as stream:
        for question in questions:
            stream.write(json.dumps({"_id": question.id, "text": question.question}) + "\n")
    lines = [f"{q.id}\t{q.doc_id}#{q.section}\t1\n" for q in questions]
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(lines), encoding="utf-8")
    return folder


def bench_beir(squad: SquadSet, work: Path, step: int) -> dict:
    """ctqa's BEIR reader and ir-measures scoring on SQuAD written as a BEIR folder."""
    folder = squad_as_beir(squad, work / "squad-beir", step)
    dataset = load_beir(folder)
    documents = write_beir_corpus(folder, work / "squad-beir-corpus")
    qa = DocumentQA(work / "squad-beir-corpus", work / "squad-beir-index", settings=beir_settings(),
                    embedder=shared_embedder())
    build_s, _ = timed(qa.build)
    scores = evaluate_beir(qa, dataset)
    log(f"BEIR (SQuAD paragraphs): {scores}")
    return {"documents": documents, "queries": len(dataset.queries), "build_s": round(build_s, 2), **scores}


# -- the run ----------------------------------------------------------------------------------------


def machine_info() -> dict:
    import torch
    from threadpoolctl import threadpool_info

    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), "")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "blas": [{k: v for k, v in info.items() if k in ("internal_api", "version", "num_threads", "architecture")}
                 for info in threadpool_info()],
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="reduced sizes and repetitions (a few minutes)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for latest.json / latest.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--sizes", help="synthetic corpus sizes, comma-separated (default 10000,100000; quick 10000)")
    parser.add_argument("--squad-step", type=int, help="ask every n-th SQuAD question (default 1; quick 10)")
    options = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(options)
    quick = args.quick
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else ([10_000] if quick else [10_000, 100_000])
    squad_step = args.squad_step or (10 if quick else 1)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python bench/run.py", *options]) if options else "make bench",
        "mode": "quick" if quick else "full",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_start": load_average(),
        "machine": machine_info(),
        "hnsw_min_passages": store.HNSW_MIN_PASSAGES,
    }
    log(f"mode {results['mode']}, load average {results['load_average_start']}")
    work = Path(tempfile.mkdtemp(prefix="ctqa-bench-"))
    try:
        from sentence_transformers import SentenceTransformer

        embedder = shared_embedder()
        plain_model = SentenceTransformer(model_path(), device="cpu")
        plain_model.encode(["warm up"], normalize_embeddings=True)

        # 1–2. indexing and rebuild
        article_corpus = work / "article" / "corpus"
        shutil.copytree(ARTICLE_CORPUS, article_corpus)
        article = bench_indexing("article", article_corpus, work, plain_model, reps=2 if quick else 5, warm_up=True)
        squad_titles = None
        if quick:
            all_titles = [a["title"].replace("_", " ") for a in json.loads(SQUAD_FILE.read_text())["data"]]
            squad_titles = all_titles[:3]
        squad = write_squad_corpus(SQUAD_FILE, work / "squad" / "corpus", articles=squad_titles)
        squad_indexing = bench_indexing(
            "squad", work / "squad" / "corpus", work, plain_model, reps=1 if quick else 3, warm_up=False
        )
        results["indexing"] = {"article": article, "squad": squad_indexing}
        results["rebuild"] = {
            "article_in_process_s": article["ctqa_build_s"],
            "article_cold_ctqa_index": bench_cold_rebuild(article_corpus, work, reps=1 if quick else 2),
        }

        # 3. article: cold start, warm latency, memory
        article_questions = [q.question for q in load_questions(ARTICLE_QUESTIONS)]
        questions_file = work / "article-questions.json"
        questions_file.write_text(json.dumps(article_questions), encoding="utf-8")
        texts = [path.read_text(encoding="utf-8") for path in corpus_files(article_corpus)]
        chunks = fixed_chunks(texts)
        plain_article = plain_files(chunks, plain_model.encode(chunks, normalize_embeddings=True), work / "plain-article")
        results["article"] = {
            "questions": len(article_questions),
            "plain_chunks": len(chunks),
            **bench_processes(
                "article", [str(article_corpus), article["index_dir"]], plain_article, questions_file,
                cold_reps=2 if quick else 3, warm_reps=2 if quick else 3, warm_up=True,
            ),
        }

        # 6. SQuAD quality (uses the SQuAD index built above)
        results["squad_quality"] = bench_squad_quality(
            squad, work / "squad" / "corpus", Path(squad_indexing["index_dir"]), step=squad_step
        )
        results["squad_quality"]["articles"] = len(squad.articles)
        results["squad_quality"]["paragraphs"] = len(squad.paragraphs)
        results["beir_squad"] = bench_beir(squad, work, step=squad_step)

        # 4–5. scaling and flat vs HNSW, on synthetic corpora
        pool = pool_from_index(load_index(Path(squad_indexing["index_dir"])))
        answerable = [q.question for q in squad.questions if not q.impossible]
        rng = np.random.default_rng(0)
        scale_questions = [answerable[i] for i in rng.choice(len(answerable), size=100, replace=False)]
        scale_file = work / "scale-questions.json"
        scale_file.write_text(json.dumps(scale_questions), encoding="utf-8")
        query_vectors = embedder.encode(scale_questions + answerable[-100:])
        scaling = {}
        for size in sizes:
            corpus = make_corpus(pool, size, seed=size)
            folder = work / f"synthetic-{size}"
            write_files(corpus, folder / "corpus")
            ctqa_write_s, _ = timed(save_ctqa_index, corpus, folder / "index", folder / "corpus")
            plain_write_s, plain_args = timed(plain_files, corpus.chunk_texts, corpus.passage_vectors, folder / "plain")
            kind = store.passage_index_kind(load_index(folder / "index").passage_index)
            log(f"synthetic {size}: ctqa index written in {ctqa_write_s:.1f} s ({kind}), plain {plain_write_s:.1f} s")
            scaling[str(size)] = {
                "chunks": size,
                "sentences": int(len(corpus.sentence_vectors)),
                "documents": len(corpus.documents),
                "passage_index": kind,
                "ctqa_index_write_s": round(ctqa_write_s, 2),
                "plain_index_write_s": round(plain_write_s, 2),
                **bench_processes(
                    f"synthetic {size}", [str(folder / "corpus"), str(folder / "index")], plain_args, scale_file,
                    cold_reps=1 if quick or size > 10_000 else 2, warm_reps=2, warm_up=False,
                ),
            }
            del corpus
            shutil.rmtree(folder, ignore_errors=True)
        results["scaling"] = scaling
        ann_sizes = sorted({10_000, store.HNSW_MIN_PASSAGES, max(sizes)})
        ann_vectors = make_corpus(pool, max(ann_sizes), seed=7).passage_vectors
        results["ann"] = bench_ann(ann_vectors, query_vectors, ann_sizes)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"work folder kept: {work}")
    results["load_average_end"] = load_average()
    results["seconds"] = round(time.perf_counter() - started, 1)
    for section in results["indexing"].values():
        section.pop("index_dir", None)
    json_path, md_path = write_reports(results, args.out)
    log(f"wrote {json_path} and {md_path} in {results['seconds']:.0f} s; load average {results['load_average_end']}")
    print(md_path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
