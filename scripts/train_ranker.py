"""Learn the sentence ranker's weights on SQuAD 2.0 and report both halves.

The 16 articles of ``shared/data/squad2-dev-16-articles.json`` are the corpus (all of them, so
retrieval is as hard as at test time). Articles are sorted by title; the even-numbered 8 train a
logistic regression over ``FEATURE_NAMES`` (label: the sentence holds a gold answer and lies in
the gold paragraph), the odd-numbered 8 test it. The weights are written to
``src/ctqa/answering/squad_ranker.json``.

    .venv/bin/python scripts/train_ranker.py [--squad PATH] [--work .cache/squad]
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.ranker import WEIGHTS_FILE, SentenceRanker, hand_ranker
from ctqa.answering.scoring import score_sentences
from ctqa.config import AnswerSettings, Settings
from ctqa.evaluation.metrics import contains_any
from ctqa.evaluation.squad import SquadQuestion, evaluate_squad, write_squad_corpus
from ctqa.qa import DocumentQA

ROOT = Path(__file__).resolve().parents[1]


def features_and_labels(qa: DocumentQA, questions: list[SquadQuestion]) -> tuple[np.ndarray, np.ndarray]:
    retriever = qa.ensure_ready()
    view = CorpusView.of(retriever)
    rows, labels = [], []
    n_passages = qa.settings.retrieval.passages_for_answer
    for item in questions:
        if item.impossible:
            continue
        plan = retriever.rewriter.plan(item.question)
        vector = retriever.embed_query(plan)
        candidates = retriever.retrieve(plan, vector, fusion=qa.fusion)
        scored = score_sentences(view, plan, vector, candidates, qa.ranker, n_passages, qa.settings.answer)
        for sentence in scored:
            passage = retriever.index.passages[sentence.passage_id]
            start, end = passage.sentences[sentence.number]
            text = passage.text[start - passage.start : end - passage.start]
            gold_paragraph = passage.doc_id == item.doc_id and passage.section == item.section
            rows.append(sentence.features)
            labels.append(int(gold_paragraph and contains_any(text, item.answers)))
    return np.vstack(rows), np.array(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=ROOT.parent / "shared/data/squad2-dev-16-articles.json")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache/squad")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    squad = write_squad_corpus(args.squad, args.work / "corpus")
    titles = sorted(squad.articles)
    train_titles, test_titles = set(titles[0::2]), set(titles[1::2])
    train = [q for q in squad.questions if q.article in train_titles]
    test = [q for q in squad.questions if q.article in test_titles]
    no_abstain = Settings(answer=AnswerSettings(abstain_threshold=0.0))
    qa = DocumentQA(args.work / "corpus", args.work / "index", settings=no_abstain, ranker=hand_ranker(), fusion="weighted")
    qa.ensure_ready(show_progress=True)

    features, labels = features_and_labels(qa, train)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(features, labels)
    learned = SentenceRanker(model.coef_[0].astype(np.float32), float(model.intercept_[0]), "logistic regression, SQuAD 2.0 train half")
    print(f"trained on {len(train)} questions ({int(labels.sum())} positive of {len(labels)} sentences)")
    for name, weight in zip(FEATURE_NAMES, learned.weights, strict=False):
        print(f"  {name:18s} {weight:+.3f}")
    print(f"  {'bias':18s} {learned.bias:+.3f}")

    report = {"train_articles": sorted(train_titles), "test_articles": sorted(test_titles)}
    for ranker in (hand_ranker(), learned):
        qa.ranker = ranker
        for half, questions in (("train", train), ("test", test)):
            summary = evaluate_squad(qa, questions, threshold=AnswerSettings().abstain_threshold)
            report[f"{ranker.source} / {half}"] = summary
            print(ranker.source, half, json.dumps(summary))
    WEIGHTS_FILE.write_text(json.dumps(learned.to_dict(), indent=2) + "\n", encoding="utf-8")
    (ROOT / "eval/results").mkdir(parents=True, exist_ok=True)
    (ROOT / "eval/results/ranker_training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
