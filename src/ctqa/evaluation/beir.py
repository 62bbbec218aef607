"""BEIR folders as a ctqa corpus, and retrieval scored with ir-measures.

A BEIR dataset folder holds ``corpus.jsonl`` (``{"_id", "title", "text"}`` per line),
``queries.jsonl`` (``{"_id", "text"}``) and ``qrels/<split>.tsv`` (``query-id``, ``corpus-id``,
``score``, with a header line). See Thakur et al., "BEIR: A Heterogeneous Benchmark for
Zero-shot Evaluation of Information Retrieval Models", NeurIPS 2021.

Each BEIR document becomes one markdown file, ``# title`` then its text, so ctqa chunks, embeds
and cites it like any other document. The file's name is the BEIR id, percent-encoded
(``beir_doc_id(ctqa_doc_id)`` gives it back), in one of 256 sub-folders chosen by a hash of the
id so that no folder holds more than a few thousand files.

Every query is run through ctqa's retrieval (query rewriting, dense + BM25, fusion) with
``RETRIEVAL_DEPTH`` candidates per retriever; a document's score is the best score of its
passages. nDCG@10, recall@10, recall@100 and MRR@10 are computed by ``ir_measures`` (which runs
``pytrec_eval``), not here. As in BEIR's own evaluation, a document whose id equals the query id
is dropped from that query's ranking (ArguAna, Quora).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote

import ir_measures
from ir_measures import RR, R, nDCG

from ctqa.config import Settings
from ctqa.qa import DocumentQA
from ctqa.retrieval.hybrid import Fusion

logger = logging.getLogger(__name__)

# Passages taken from each retriever per query: recall@100 needs at least 100 distinct documents.
RETRIEVAL_DEPTH = 100
# Documents kept per query in the run (the deepest cut-off scored is @100).
RUN_DEPTH = 100
MEASURES = (nDCG @ 10, R @ 10, R @ 100, RR @ 10)
MEASURE_NAMES = {nDCG @ 10: "nDCG@10", R @ 10: "recall@10", R @ 100: "recall@100", RR @ 10: "MRR@10"}
CORPUS_SUFFIX = ".md"

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]


class BeirFormatError(ValueError):
    """A BEIR folder is missing a file or has a malformed line (the message says which)."""


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR split in memory: queries (id -> text) and graded relevance judgements."""

    name: str
    queries: dict[str, str]
    qrels: Qrels


def ctqa_doc_id(beir_id: str) -> str:
    """The corpus-relative path ctqa uses for BEIR document ``beir_id`` (reversible)."""
    name = quote(beir_id, safe="")
    if name.startswith("."):  # a leading dot would make the file hidden, and skipped
        name = "%2E" + name[1:]
    bucket = hashlib.sha1(beir_id.encode("utf-8")).hexdigest()[:2]
    return f"{bucket}/{name}{CORPUS_SUFFIX}"


def beir_doc_id(doc_id: str) -> str:
    """The BEIR id of a ctqa doc id made by ``ctqa_doc_id``."""
    name = doc_id.rsplit("/", 1)[-1]
    return unquote(name.removesuffix(CORPUS_SUFFIX))


def _jsonl(path: Path) -> Iterator[dict]:
    if not path.is_file():
        raise BeirFormatError(f"{path} is missing; a BEIR folder holds corpus.jsonl, queries.jsonl, qrels/")
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                _ = record["_id"]
            except (ValueError, KeyError, TypeError) as error:
                raise BeirFormatError(f"{path}:{number} is not a JSON object with an _id ({error})") from error
            yield record


def _document_text(record: dict) -> str:
    title = " ".join(str(record.get("title") or "").split())
    body = " ".join(str(record.get("text") or "").split())
    # The first line is the document title; an untitled document is titled by its id.
    heading = title or str(record["_id"])
    return f"# {heading}\n\n{body or title}\n"


def write_beir_corpus(dataset_dir: Path, corpus_dir: Path) -> int:
    """Write every document of ``dataset_dir/corpus.jsonl`` as a file under ``corpus_dir``.

    Files whose content is unchanged are not rewritten (an index over ``corpus_dir`` stays fresh);
    files of documents no longer in the corpus are removed. Returns the number of documents.
    """
    corpus_dir.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    for record in _jsonl(dataset_dir / "corpus.jsonl"):
        path = corpus_dir / ctqa_doc_id(str(record["_id"]))
        text = _document_text(record)
        wanted.add(path)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in corpus_dir.rglob(f"*{CORPUS_SUFFIX}"):
        if path not in wanted:
            path.unlink()
    return len(wanted)


def read_qrels(path: Path) -> Qrels:
    """``qrels/<split>.tsv``: query id -> {doc id: relevance}; the header line is skipped."""
    if not path.is_file():
        raise BeirFormatError(f"{path} is missing; BEIR keeps judgements in qrels/<split>.tsv")
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for number, row in enumerate(csv.reader(stream, delimiter="\t"), start=1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue
            if len(row) < 3:
                raise BeirFormatError(f"{path}:{number}: expected query-id, corpus-id, score")
            query_id, doc_id, score = row[0], row[1], row[-1]
            try:
                qrels.setdefault(query_id, {})[doc_id] = int(score)
            except ValueError as error:
                raise BeirFormatError(f"{path}:{number}: score {score!r} is not an integer") from error
    return qrels


def load_beir(dataset_dir: Path, *, split: str = "test") -> BeirDataset:
    """Queries and qrels of one split; only queries that have judgements are kept."""
    qrels = read_qrels(dataset_dir / "qrels" / f"{split}.tsv")
    queries = {str(r["_id"]): str(r.get("text", "")) for r in _jsonl(dataset_dir / "queries.jsonl")}
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise BeirFormatError(f"qrels name queries not in queries.jsonl: {', '.join(missing[:5])}")
    return BeirDataset(dataset_dir.name, {q: queries[q] for q in queries if q in qrels}, qrels)


def retrieve_runs(
    qa: DocumentQA,
    queries: dict[str, str],
    fusions: tuple[Fusion, ...] = ("weighted",),
    *,
    depth: int = RUN_DEPTH,
    ignore_identical_ids: bool = True,
) -> dict[Fusion, Run]:
    """Rank documents for every query with ctqa's retriever, once per fusion in ``fusions``.

    The query is planned and embedded once; ``"weighted"`` is ctqa's ranking, ``"dense"`` and
    ``"bm25"`` rank the same candidates by one side only. Returns fusion -> run
    (query id -> {BEIR doc id: score}, at most ``depth`` documents).
    """
    retriever = qa.ensure_ready()
    passages = retriever.index.passages
    runs: dict[Fusion, Run] = {fusion: {} for fusion in fusions}
    for query_id, text in queries.items():
        plan = retriever.rewriter.plan(text or " ", None)
        vector = retriever.embed_query(plan)
        for fusion in fusions:
            scores: dict[str, float] = {}
            for candidate in retriever.retrieve(plan, vector, fusion=fusion):
                doc = beir_doc_id(passages[candidate.passage_id].doc_id)
                if ignore_identical_ids and doc == query_id:
                    continue
                if doc not in scores and len(scores) < depth:
                    scores[doc] = float(candidate.fused)  # candidates come best first
            runs[fusion][query_id] = scores
    return runs


def score_run(qrels: Qrels, run: Run) -> dict[str, float]:
    """nDCG@10, recall@10, recall@100, MRR@10 of ``run`` (ir_measures), plus the query count.

    A judged query missing from ``run`` counts 0 on every measure (it is given an empty ranking
    with one unjudged placeholder, since ``pytrec_eval`` would otherwise skip it).
    """
    complete = {query: run.get(query) or {"\x00none": 0.0} for query in qrels}
    values = ir_measures.calc_aggregate(list(MEASURES), qrels, complete)
    summary = {MEASURE_NAMES[measure]: round(float(values[measure]), 4) for measure in MEASURES}
    return {"queries": float(len(qrels)), **summary}


def evaluate_beir(
    qa: DocumentQA,
    dataset: BeirDataset,
    *,
    fusions: tuple[Fusion, ...] = ("weighted", "dense", "bm25"),
    limit: int | None = None,
) -> dict[Fusion, dict[str, float]]:
    """Retrieve every judged query of ``dataset`` and score each fusion; fusion -> summary.

    ``limit`` keeps about that many queries (every n-th, in file order).
    """
    queries = dataset.queries
    if limit:
        step = max(1, len(queries) // limit)
        queries = dict(list(queries.items())[::step])
    qrels = {query: dataset.qrels[query] for query in queries}
    runs = retrieve_runs(qa, queries, fusions)
    return {fusion: score_run(qrels, run) for fusion, run in runs.items()}


def beir_settings(base: Settings | None = None) -> Settings:
    """``base`` (default ``Settings()``) with ``RETRIEVAL_DEPTH`` candidates per retriever."""
    base = base or Settings()
    return replace(base, retrieval=replace(base.retrieval, candidates_per_retriever=RETRIEVAL_DEPTH))
