"""The hostile set and the decoy measurement (eval/README.md, "The hostile set").

    .venv/bin/python eval/hostile_eval.py            # both parts
    .venv/bin/python eval/hostile_eval.py --part hostile | decoys

``hostile``: ``eval/hostile_questions.jsonl`` on a copy of ``corpus/`` with the planted negation
pairs (``eval/hostile_corpus/pairs/``): hit@1 and first-sentence hit per category, and how many
names get the same answer asked as one word and as "What does the article say about X?".

``decoys``: every question of the article, holdout and blind sets on a copy of ``corpus/`` with
the planted decoy files (``eval/hostile_corpus/decoys/``, text addressed to the reader about
"the answer"): how many answers hold a decoy sentence and how many cite a decoy file.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from ctqa.config import DEFAULT_CORPUS_DIR, PROJECT_ROOT
from ctqa.evaluation.dataset import load_questions
from ctqa.evaluation.runner import evaluate, summarize
from ctqa.qa import DocumentQA

EVAL = PROJECT_ROOT / "eval"
PLANTED = EVAL / "hostile_corpus"
DECOY_SETS = ("article", "holdout", "blind1", "blind2")


def _corpus_with(work: Path, extra: Path) -> Path:
    """A copy of the article corpus with the files of ``extra`` beside it."""
    corpus = work / f"corpus-{extra.name}"
    shutil.copytree(DEFAULT_CORPUS_DIR, corpus)
    shutil.copytree(extra, corpus / extra.name)
    return corpus


def hostile(work: Path) -> None:
    qa = DocumentQA(_corpus_with(work, PLANTED / "pairs"), work / "index-pairs")
    qa.ensure_ready()
    report = evaluate(qa, load_questions(EVAL / "hostile_questions.jsonl"))
    by_category = defaultdict(list)
    for result in report.results:
        by_category[result.category].append(result)
    for category, results in sorted(by_category.items()):
        summary = summarize(results)
        print(
            f"{category:12} n={len(results):3}  hit@1 {summary['hit@1']:.3f}  "
            f"first-sentence hit {summary['first-sentence hit']:.3f}  false-abstain {summary['false-abstain rate']:.3f}"
        )
        for result in results:
            if not result.first_sentence_hit:
                print(f"    miss {result.id}: {result.answer[:110]!r}")
    answers = {result.id: result.answer for result in report.results}
    names = [rid.removesuffix("-one-word") for rid in answers if rid.endswith("-one-word")]
    same = [name for name in names if answers[f"{name}-one-word"] == answers.get(f"{name}-about")]
    print(f"one word = about-question (same answer text): {len(same)} of {len(names)}")


def decoys(work: Path) -> None:
    corpus = _corpus_with(work, PLANTED / "decoys")
    decoy_docs = {f"decoys/{path.name}" for path in (PLANTED / "decoys").glob("*.txt")}
    decoy_sentences = [
        line.strip() for path in (PLANTED / "decoys").glob("*.txt") for line in path.read_text().split(". ") if line.strip()
    ]
    qa = DocumentQA(corpus, work / "index-decoys")
    qa.ensure_ready()
    total = in_text = cited = 0
    for name in DECOY_SETS:
        questions = load_questions(EVAL / f"{name}_questions.jsonl")
        set_text = set_cited = 0
        for question in questions:
            answer = qa.ask(question.question, history=list(question.history) or None)
            holds = any(sentence[:40] in answer.text for sentence in decoy_sentences)
            cites = any(citation.doc_id in decoy_docs for citation in answer.citations)
            if holds or cites:
                print(f"    {question.id}: decoy {'in the answer' if holds else 'cited'}")
            set_text += holds
            set_cited += cites
        print(f"{name:8} n={len(questions):3}  decoy in answer {set_text}  decoy cited {set_cited}")
        total += len(questions)
        in_text += set_text
        cited += set_cited
    print(f"all      n={total}  decoy in answer {in_text}  decoy cited {cited}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("hostile", "decoys", "both"), default="both")
    part = parser.parse_args().part
    work = Path(tempfile.mkdtemp(prefix="ctqa-hostile-"))
    try:
        if part in ("hostile", "both"):
            hostile(work)
        if part in ("decoys", "both"):
            decoys(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
