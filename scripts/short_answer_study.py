"""Short answers on SQuAD by question kind, offline, from scripts/squad_dump.py's pickle.

Per question kind: questions, share with a short answer, token F1 of the given short answers,
token F1 of the best sentence, the short-answer metric (short answer where given, the sentence
otherwise), and how often the gold answer is in the best sentence / the answer sentences / the
first cited paragraph. The tuning half (the first 8 articles) and the test half are reported
apart; ``--sweep`` lists the precision/coverage trade-off of ``AnswerSettings.short_answer_floor``,
``--span-sweep`` the F1 of each ``SpanWeights`` value on the tuning half (the questions whose type
scores its spans), ``--recorded`` scores the short answers the dump holds (the code that made it).

    .venv/bin/python scripts/short_answer_study.py DUMP.pkl [--sweep | --span-sweep] [--show KIND] [--recorded]
"""

from __future__ import annotations

import pickle
import re
import statistics
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ctqa.answering.answer_types import BY_NAME, question_type
from ctqa.answering.spans import choose_short_answer
from ctqa.config import AnswerSettings
from ctqa.evaluation.metrics import contains_any, exact_match, token_f1

KINDS = (
    ("how many/much", r"\bhow (?:many|much)\b"),
    ("when/what year", r"\bwhen\b|\bwhat (?:year|century|decade|date|month|day)\b|\bwhich (?:year|century)\b"),
    ("who", r"\bwho(?:m|se)?\b"),
    ("where", r"\bwhere\b"),
    ("how long/old/often", r"\bhow (?:long|old|often)\b"),
    ("why/how", r"\bwhy\b|\bhow\b"),
    ("what/which + noun", r"\b(?:what|which)\s+(?!(?:is|was|are|were|did|does|do|has|had|have|can|could|will|would)\b)\w+"),
    ("what is/did …", r"\bwhat\b"),
)


def kind_of(question: str) -> str:
    for name, pattern in KINDS:
        if re.search(pattern, question, re.I):
            return name
    return "other"


def best_f1(text: str, answers: tuple[str, ...]) -> float:
    return max(token_f1(text, gold) for gold in answers) if text else 0.0


def short_for(record: dict, settings: AnswerSettings) -> str | None:
    if "--recorded" in sys.argv:  # the short answer ctqa gave when the dump was made
        return record["short"].text if record["short"] and not record["abstained"] else None
    if record["abstained"] or not record["sentences"] or "plan" not in record:
        return None
    # the plan as the current question-type table reads it (SQuAD questions are no follow-ups)
    plan = replace(record["plan"], answer_type=question_type(record["plan"].question))
    short = choose_short_answer(
        plan, record["sentences"], [0] * len(record["sentences"]), record["best_sentence"],
        record["doc_id"], record["acronyms"], settings, record["top"][0][2],
    )
    return short.text if short else None


def answered(records: list[dict], settings: AnswerSettings) -> Iterator[tuple[dict, str, str | None, str]]:
    """Each answerable record with its best sentence, its short answer and what is scored (the
    short answer where given, the sentence otherwise)."""
    for record in records:
        if record["item"].impossible:
            continue
        sentence = "" if record["abstained"] or not record["sentences"] else record["sentences"][record["best_sentence"]]
        short = short_for(record, settings)
        yield record, sentence, short, short if short is not None else sentence


def table(records: list[dict], settings: AnswerSettings, title: str) -> float:
    rows: dict[str, list[tuple[float, ...]]] = {}
    for record, sentence, short, predicted in answered(records, settings):
        item = record["item"]
        row = (
            float(short is not None),
            best_f1(short, item.answers) if short else float("nan"),
            best_f1(sentence, item.answers),
            best_f1(predicted, item.answers),
            max(exact_match(predicted, gold) for gold in item.answers) if predicted else 0.0,
            float(contains_any(sentence, item.answers)),
            float(contains_any(" ".join(record["sentences"]), item.answers)),
            float(bool(record["citations"]) and record["citations"][0] == (item.doc_id, item.section)),
        )
        rows.setdefault(kind_of(item.question), []).append(row)
        rows.setdefault("ALL", []).append(row)
    print(f"\n{title}")
    print(f"{'kind':20} {'n':>5} {'given':>6} {'F1giv':>6} {'F1sent':>6} {'F1':>6} {'EM':>6} {'sent@1':>6} {'text':>6} {'para@1':>6}")
    for kind, values in sorted(rows.items(), key=lambda kv: -len(kv[1])):
        columns = list(zip(*values, strict=True))
        means = [statistics.fmean([v for v in col if v == v]) if any(v == v for v in col) else float("nan") for col in columns]
        print(f"{kind:20} {len(values):5d} " + " ".join(f"{m:6.3f}" for m in means))
    all_rows = list(zip(*rows["ALL"], strict=True))
    return statistics.fmean(all_rows[3])


# The values tried for each of SpanWeights' weights, one weight at a time, the others at default.
SPAN_SWEEP = {
    "tier0": (0.0, 1.0, 3.0, 5.0, 8.0),
    "tier1": (0.0, 0.5, 1.0, 2.0),
    "density": (0.0, 0.25, 0.5, 1.0),
    "distance": (0.0, 0.05, 0.1, 0.2),
    "length": (0.25, 0.5, 1.0, 2.0),
    "words": (1, 2, 3, 4, 6),
    "name": (0.0, 1.0, 2.0, 3.0),
    "number": (-1.0, 0.0, 1.0, 2.0),
    "inside": (0.0, 1.0, 2.0, 4.0),
    "max_distance": (10, 30, 60, 200),
    "common": (0.0, 0.5, 1.0, 1.5),
    "sibling": (0.0, 2.0, 4.0, 8.0),
    "apart": (0.0, 0.5, 1.0, 2.0),
}


def span_sweep(records: list[dict], settings: AnswerSettings) -> None:
    """Short-answer token F1 of the questions whose type scores its spans, per SpanWeights value."""
    scored = [r for r in records if "plan" in r and BY_NAME[question_type(r["plan"].question)].scored]
    answerable = sum(not r['item'].impossible for r in scored)
    print(f"{answerable} answerable questions of a scored type (tuning half)")
    for name, values in SPAN_SWEEP.items():
        cells = []
        for value in values:
            trial = replace(settings, span_weights=replace(settings.span_weights, **{name: value}))
            cells.append(f"{value}: {_quiet_f1(scored, trial):.4f}")
        print(f"{name:13} " + "  ".join(cells))


def _quiet_f1(records: list[dict], settings: AnswerSettings) -> float:
    return statistics.fmean(best_f1(predicted, record["item"].answers) for record, _, _, predicted in answered(records, settings))


def main() -> None:
    records = pickle.loads(Path(sys.argv[1]).read_bytes())
    articles = list(dict.fromkeys(r["item"].article for r in records))
    tune = [r for r in records if r["item"].article in articles[:8]]
    test = [r for r in records if r["item"].article not in articles[:8]]
    settings = AnswerSettings()
    if "--span-sweep" in sys.argv:
        span_sweep(tune, settings)
        return
    if "--sweep" in sys.argv:
        for floor in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            table(tune, replace(settings, short_answer_floor=floor), f"tune half, short_answer_floor={floor}")
        return
    if "--show" in sys.argv:
        kind = sys.argv[sys.argv.index("--show") + 1]
        for record in tune:
            item = record["item"]
            if item.impossible or kind_of(item.question) != kind or record["abstained"]:
                continue
            sentence = record["sentences"][record["best_sentence"]]
            if not contains_any(sentence, item.answers):
                continue
            print(f"Q: {item.question} [{record['plan'].answer_type}]\n  gold: {item.answers[0]!r}  short: {short_for(record, settings)!r}\n  S: {sentence}")
        return
    table(tune, settings, f"tune half (articles 1-8: {', '.join(articles[:8])})")
    table(test, settings, "test half (articles 9-16)")
    table(records, settings, "all")


if __name__ == "__main__":
    main()
