"""The overview and the extractive oracle at several length budgets, on the broad set and the FAQ held out.

For each budget (``OverviewSettings.max_chars``) prints the mean token F1 / ROUGE-L / evidence
recall / characters of ctqa's overview and of the greedy oracle (``evaluation.broad.oracle_text``)
on ``eval/broad_questions.jsonl`` (FAQ in the index) and on the four FAQ questions of
``eval/article_questions.jsonl`` with the FAQ removed from the index (as ``ctqa eval
--holdout-faq``). Both indexes are built once in a temporary folder.

    python scripts/overview_budgets.py                       # budgets 400 500 600 700 800 1000
    python scripts/overview_budgets.py --budgets 500 600 --json out.json

Figures of this script are in docs/overview.md ("What extraction can reach on the FAQ").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from ctqa.evaluation.broad import Scores, oracle_text, prose_sentences, reference_of, scores_of
from ctqa.evaluation.cli import strip_faq
from ctqa.evaluation.dataset import EvalQuestion, load_questions
from ctqa.ingest.loader import corpus_files
from ctqa.qa import DocumentQA

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("token_f1", "rouge_l", "evidence_recall", "characters")


def _mean(rows: list[Scores]) -> dict[str, float]:
    return {m: round(statistics.fmean(getattr(r, m) for r in rows), 3) for m in METRICS}


def _overview(qa: DocumentQA, questions: list[EvalQuestion], budget: int) -> dict[str, float]:
    settings = replace(qa.settings, overview=replace(qa.settings.overview, max_chars=budget))
    budgeted = DocumentQA(qa.corpus_dir, qa.index_dir, settings=settings, embedder=qa.embedder, ranker=qa.ranker)
    return _mean([scores_of(budgeted.ask(q.question).text, reference_of(q)) for q in questions])


def _oracle(qa: DocumentQA, questions: list[EvalQuestion], budget: int) -> dict[str, float]:
    pool = prose_sentences(qa)
    return _mean([scores_of(oracle_text(pool, reference_of(q), budget), reference_of(q)) for q in questions])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[400, 500, 600, 700, 800, 1000])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="ctqa-budgets-"))
    try:
        held = work / "corpus"
        shutil.copytree(ROOT / "corpus", held)
        for path in corpus_files(held):
            path.write_text(strip_faq(path.read_text(encoding="utf-8")), encoding="utf-8")
        full_qa = DocumentQA(ROOT / "corpus", work / "index-full")
        full_qa.ensure_ready()
        held_qa = DocumentQA(held, work / "index-held", embedder=full_qa.embedder)
        held_qa.ensure_ready()
        broad = [q for q in load_questions(ROOT / "eval/broad_questions.jsonl") if reference_of(q)]
        faq = [q for q in load_questions(ROOT / "eval/article_questions.jsonl") if q.category == "faq"]
        rows = []
        for budget in args.budgets:
            row = {
                "budget": budget,
                "broad overview": _overview(full_qa, broad, budget),
                "broad oracle": _oracle(full_qa, broad, budget),
                "faq overview": _overview(held_qa, faq, budget),
                "faq oracle": _oracle(held_qa, faq, budget),
            }
            rows.append(row)
            print(budget, " | ".join(f"{k}: {v['token_f1']:.3f} / {v['rouge_l']:.3f}" for k, v in row.items() if k != "budget"),
                  flush=True)
        print(f"load average {os.getloadavg()[0]:.1f}")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
