"""How the chat page's sources floor (``AnswerSettings.source_floor``) was chosen.

Asks every answerable question of the four article question sets with top-k 10 and sorts each
source after the first into *related* (from the gold evidence's section, or holding one of its
evidence strings) or *unrelated*, then prints how many of each a floor keeps. Usage::

    .venv/bin/python scripts/source_floor.py [--corpus corpus] [--index index]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import ctqa

SETS = ("article", "holdout", "blind1", "blind2")
FLOORS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
TOP_K = 10


def related(citation: ctqa.Citation, item: dict) -> bool:
    section = item.get("section")
    if section and section.lower() in (citation.section or "").lower():
        return True
    text = " ".join(citation.text.split())
    return any(" ".join(evidence.split()) in text for evidence in item.get("evidence", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=None)
    options = parser.parse_args()
    qa = ctqa.DocumentQA(options.corpus, options.index)
    scores: dict[bool, list[float]] = {True: [], False: []}
    for name in SETS:
        path = Path("eval") / f"{name}_questions.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if not item.get("answerable"):
                continue
            answer = qa.ask(item["question"], history=item.get("history"), top_k=TOP_K)
            for citation in answer.citations[1:]:
                scores[related(citation, item)].append(citation.score)
    print(f"extra sources (top-k {TOP_K}): {len(scores[True])} related, {len(scores[False])} unrelated")
    print("| floor | related kept | unrelated kept |")
    print("|---|---|---|")
    for floor in FLOORS:
        kept = {key: sum(score >= floor for score in values) for key, values in scores.items()}
        print(
            f"| {floor} | {kept[True]} of {len(scores[True])} ({kept[True] / max(len(scores[True]), 1):.0%}) "
            f"| {kept[False]} of {len(scores[False])} ({kept[False] / max(len(scores[False]), 1):.0%}) |"
        )


if __name__ == "__main__":
    main()
