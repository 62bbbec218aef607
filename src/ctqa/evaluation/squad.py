"""SQuAD v1.1 / v2.0 JSON as a ctqa corpus and question set.

Each article becomes one markdown document; each paragraph is its own section ("Paragraph N"),
so a citation's section names the paragraph it came from. Questions keep their gold answers and
``is_impossible`` flag. Scoring: paragraph hit@k (the gold paragraph among the first k cited
passages), answer-sentence hit@1 (a gold answer inside the *first* answer sentence), answer-text
hit (inside the 1–3 answer sentences), SQuAD EM / token F1 of the answer text, and abstention on
unanswerable questions.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from ctqa.evaluation.metrics import contains_any, exact_match, token_f1
from ctqa.qa import DocumentQA


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    article: str
    doc_id: str
    section: str  # "Paragraph N" of the gold paragraph
    answers: tuple[str, ...]
    impossible: bool


@dataclass(frozen=True)
class SquadSet:
    articles: list[str]
    questions: list[SquadQuestion]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "article"


def paragraph_section(number: int) -> str:
    return f"Paragraph {number}"


def write_squad_corpus(squad_file: Path, corpus_dir: Path, *, articles: list[str] | None = None) -> SquadSet:
    """Write one ``.md`` per article of ``squad_file`` into ``corpus_dir``; return the questions.

    ``articles`` restricts to those titles (all when ``None``). Existing identical files are not
    rewritten, so an index over ``corpus_dir`` stays fresh between runs.
    """
    data = json.loads(squad_file.read_text(encoding="utf-8"))["data"]
    corpus_dir.mkdir(parents=True, exist_ok=True)
    titles, questions = [], []
    for article in data:
        title = article["title"].replace("_", " ")
        if articles is not None and title not in articles:
            continue
        titles.append(title)
        doc_id = f"{_slug(title)}.md"
        parts = [f"# {title}"]
        for number, paragraph in enumerate(article["paragraphs"], start=1):
            section = paragraph_section(number)
            parts.append(f"## {section}\n\n{' '.join(paragraph['context'].split())}")
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a["text"].strip()))
                questions.append(
                    SquadQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        article=title,
                        doc_id=doc_id,
                        section=section,
                        answers=answers,
                        impossible=bool(qa.get("is_impossible", False)) or not answers,
                    )
                )
        text = "\n\n".join(parts) + "\n"
        path = corpus_dir / doc_id
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return SquadSet(titles, questions)


def evaluate_squad(
    qa: DocumentQA, questions: list[SquadQuestion], *, threshold: float, top_k: int = 5
) -> dict[str, float]:
    """Score ``qa`` on SQuAD questions; returns the summary metrics (see module docstring).

    ``qa`` should not decline (``abstain_threshold=0``) so ranking metrics see every best
    sentence; abstention is then scored as ``confidence < threshold``, as ``ask`` would decide.
    """
    para1, para5, sent1, text_hit, em, f1, latency = [], [], [], [], [], [], []
    declined_impossible, declined_answerable = [], []
    for item in questions:
        answer = qa.ask(item.question, top_k=top_k)
        latency.append(answer.latency_ms)
        declines = answer.abstained or answer.confidence < threshold
        if item.impossible:
            declined_impossible.append(float(declines))
            continue
        declined_answerable.append(float(declines))
        cited = answer.citations or answer.closest
        ranks = [c.doc_id == item.doc_id and c.section == item.section for c in cited]
        para1.append(float(bool(ranks) and ranks[0]))
        para5.append(float(any(ranks[:5])))
        first = answer.sentences[0] if answer.sentences and not answer.abstained else ""
        sent1.append(float(contains_any(first, item.answers)))
        text_hit.append(float(not answer.abstained and contains_any(answer.text, item.answers)))
        em.append(max(exact_match(answer.text, gold) for gold in item.answers) if not answer.abstained else 0.0)
        f1.append(max(token_f1(answer.text, gold) for gold in item.answers) if not answer.abstained else 0.0)
    mean = lambda values: round(statistics.fmean(values), 4) if values else float("nan")  # noqa: E731
    latency.sort()
    return {
        "questions": len(questions),
        "answerable": len(para1),
        "paragraph hit@1": mean(para1),
        "paragraph hit@5": mean(para5),
        "answer-sentence hit@1": mean(sent1),
        "answer-text hit": mean(text_hit),
        "EM": mean(em),
        "token F1": mean(f1),
        "false-abstain rate": mean(declined_answerable),
        "abstention on unanswerable": mean(declined_impossible),
        "latency p50 ms": latency[len(latency) // 2] if latency else 0.0,
    }
