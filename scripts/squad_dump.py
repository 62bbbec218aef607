"""Run ctqa once over a SQuAD file and pickle, per question, what the short answer is chosen
from (the query plan, the answer sentences, the best passage's sentences, the corpus's
acronyms) with the gold answers, so short-answer rules can be measured offline in seconds
(scripts/short_answer_study.py).

    .venv/bin/python scripts/squad_dump.py /work/shared/data/squad2-dev-16-articles.json OUT.pkl
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import ctqa.qa as qa_module
from ctqa.answering.ranker import RANKERS
from ctqa.config import PROJECT_ROOT, AnswerSettings, Settings
from ctqa.evaluation.squad import write_squad_corpus
from ctqa.qa import DocumentQA


def main(squad_file: Path, out: Path) -> None:
    work = PROJECT_ROOT / ".cache" / f"squad-{squad_file.stem}"
    squad = write_squad_corpus(squad_file, work / "corpus")
    settings = replace(Settings(), answer=AnswerSettings(abstain_threshold=0.0))
    qa = DocumentQA(work / "corpus", work / "index", settings=settings, fusion="weighted", ranker=RANKERS["hand"]())
    qa.ensure_ready(show_progress=True)
    original = qa_module.compose_extract
    captured: dict[str, Any] = {}

    def capture(plan, scored, ranked, view, answer_settings, top_k):  # type: ignore[no-untyped-def]
        best = scored[0]
        passage = view.passages[best.passage_id]
        captured.update(
            plan=plan,
            passage_sentences=[passage.text[s - passage.start : e - passage.start] for s, e in passage.sentences],
            passage_offsets=list(passage.sentences),
            best_number=best.number,
            doc_id=passage.doc_id,
            section=passage.section,
            acronyms=dict(view.acronyms),
            top=[(s.passage_id, s.number, s.probability) for s in scored[:10]],
        )
        return original(plan, scored, ranked, view, answer_settings, top_k)

    qa_module.compose_extract = capture  # type: ignore[assignment]
    records = []
    for number, item in enumerate(squad.questions):
        captured.clear()
        answer = qa.ask(item.question, top_k=5)
        records.append(
            {
                "item": item,
                "abstained": answer.abstained,
                "sentences": list(answer.sentences),
                "best_sentence": answer.best_sentence,
                "short": answer.short_answer,
                "citations": [(c.doc_id, c.section) for c in answer.citations],
                **captured,
            }
        )
        if number % 500 == 0:
            print(number, flush=True)
    out.write_bytes(pickle.dumps(records))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
