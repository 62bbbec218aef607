"""Run a question set through ``DocumentQA.ask`` (and the baselines) and score it.

Metrics (answerable questions unless said otherwise):

* **hit@1** — a gold evidence string is inside the answer text (and ctqa did not decline);
* **hit@3** — a gold evidence string is inside the answer or one of the top-3 citations;
* **MRR** — 1 / rank of the first citation holding the evidence (0 if none in the top-k);
* **first-sentence hit** — a gold evidence string is inside the answer's first sentence (the one
  that holds the answer);
* **answer-in-text** — the short gold answer span is inside the answer text; **token F1** —
  SQuAD token F1 between the answer text and the gold span; **short-answer EM / token F1** —
  the same on ``Answer.short_answer`` where given (the answer sentence otherwise);
* **abstention precision / recall** — over all questions, with "should decline" =
  ``answerable == false``; **false-abstain** — answerable questions declined;
* **follow-up accuracy** — hit@1 on the ``followup`` questions;
* answer length in sentences and characters, latency per question in ms.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from ctqa.config import AnswerSettings
from ctqa.evaluation.baselines import Search
from ctqa.evaluation.dataset import EvalQuestion
from ctqa.evaluation.metrics import contains_any, exact_match, rouge_l, token_f1
from ctqa.evaluation.squad import short_prediction
from ctqa.qa import DocumentQA


@dataclass
class QuestionResult:
    id: str
    category: str
    question: str
    answerable: bool
    abstained: bool
    confidence: float
    hit1: bool
    first_sentence_hit: bool
    hit3: bool
    reciprocal_rank: float
    answer_in_text: bool | None
    token_f1: float | None
    sentences: int
    characters: int
    latency_ms: float
    answer: str
    sections: list[str]
    query: str
    faq_f1: float | None = None
    faq_rouge_l: float | None = None
    short_answer: str | None = None
    short_em: float | None = None
    short_f1: float | None = None
    turn: int = 1


@dataclass
class EvalReport:
    """Per-question results plus the summary table (``summary``: metric name -> value)."""

    name: str
    results: list[QuestionResult]
    summary: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "summary": self.summary, "results": [asdict(r) for r in self.results]}


def _rank_of_evidence(texts: list[str], evidence: tuple[str, ...]) -> int | None:
    for rank, text in enumerate(texts, start=1):
        if contains_any(text, evidence):
            return rank
    return None


def evaluate(qa: DocumentQA, questions: list[EvalQuestion], *, name: str = "ctqa", top_k: int = AnswerSettings.top_k) -> EvalReport:
    """Ask every question (with its ``history``) and score the answers; returns an ``EvalReport``."""
    results = []
    for item in questions:
        answer = qa.ask(item.question, history=list(item.history) or None, top_k=top_k)
        texts = [c.text for c in answer.citations]
        rank = _rank_of_evidence(texts, item.evidence) if item.evidence else None
        hit1 = not answer.abstained and contains_any(answer.text, item.evidence)
        hit3 = hit1 or (not answer.abstained and rank is not None and rank <= 3)
        gold = item.answer
        short = short_prediction(answer)
        results.append(
            QuestionResult(
                id=item.id,
                category=item.category,
                question=item.question,
                answerable=item.answerable,
                abstained=answer.abstained,
                confidence=answer.confidence,
                hit1=hit1,
                first_sentence_hit=bool(answer.sentences) and not answer.abstained
                and contains_any(answer.sentences[0], item.evidence),
                hit3=hit3,
                reciprocal_rank=(1.0 / rank) if rank and not answer.abstained else 0.0,
                answer_in_text=(contains_any(answer.text, [gold]) and not answer.abstained) if gold else None,
                token_f1=token_f1(answer.text, gold) if gold and not answer.abstained else (0.0 if gold else None),
                sentences=0 if answer.abstained else len(answer.sentences),
                characters=0 if answer.abstained else len(answer.text),
                latency_ms=answer.latency_ms,
                answer=answer.text,
                sections=[c.section for c in answer.citations],
                query=answer.query,
                faq_f1=token_f1(answer.text, item.faq_answer) if item.faq_answer else None,
                faq_rouge_l=rouge_l(answer.text, item.faq_answer) if item.faq_answer else None,
                short_answer=answer.short_answer.text if answer.short_answer else None,
                short_em=exact_match(short, gold) if gold else None,
                short_f1=token_f1(short, gold) if gold else None,
            )
        )
    report = EvalReport(name, results)
    report.summary = summarize(results)
    return report


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 4) if values else float("nan")


def summarize(results: list[QuestionResult]) -> dict[str, float]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in answerable if not r.abstained]
    declined = [r for r in results if r.abstained]
    followups = [r for r in answerable if r.category == "followup"]
    spans = [r for r in answerable if r.answer_in_text is not None]
    latencies = sorted(r.latency_ms for r in results)
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "hit@1": _mean([float(r.hit1) for r in answerable]),
        "first-sentence hit": _mean([float(r.first_sentence_hit) for r in answerable]),
        "hit@3": _mean([float(r.hit3) for r in answerable]),
        "MRR": _mean([r.reciprocal_rank for r in answerable]),
        "answer-in-text": _mean([float(bool(r.answer_in_text)) for r in spans]),
        "token F1 (vs gold span)": _mean([r.token_f1 or 0.0 for r in spans]),
        "short-answer EM": _mean([r.short_em or 0.0 for r in spans]),
        "short-answer token F1": _mean([r.short_f1 or 0.0 for r in spans]),
        "abstention precision": _mean([float(not r.answerable) for r in declined]) if declined else float("nan"),
        "abstention recall": _mean([float(r.abstained) for r in unanswerable]),
        "false-abstain rate": _mean([float(r.abstained) for r in answerable]),
        "follow-up accuracy": _mean([float(r.hit1) for r in followups]),
        "median sentences": float(statistics.median([r.sentences for r in answered])) if answered else 0.0,
        "median characters": float(statistics.median([r.characters for r in answered])) if answered else 0.0,
        "latency p50 ms": round(latencies[len(latencies) // 2], 2) if latencies else 0.0,
        "latency p95 ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 2) if latencies else 0.0,
    }


def evaluate_baseline(search: Search, questions: list[EvalQuestion], *, name: str) -> dict[str, float]:
    """hit@1 / hit@3 / MRR of a retrieval-only baseline (answer = whole top chunk, never declines)."""
    hits1, hits3, reciprocal, characters = [], [], [], []
    answerable = [q for q in questions if q.answerable and q.evidence]
    for item in answerable:
        question = item.question
        texts = search(question, 3)
        rank = _rank_of_evidence(texts, item.evidence)
        hits1.append(float(rank == 1))
        hits3.append(float(rank is not None and rank <= 3))
        reciprocal.append(1.0 / rank if rank else 0.0)
        characters.append(len(texts[0]) if texts else 0)
    unanswerable = [q for q in questions if not q.answerable]
    return {
        "questions": len(questions),
        "answerable": len(answerable),
        "hit@1": _mean(hits1),
        "hit@3": _mean(hits3),
        "MRR": _mean(reciprocal),
        "abstention recall": 0.0 if unanswerable else float("nan"),
        "false-abstain rate": 0.0,
        "median characters": float(statistics.median(characters)) if characters else 0.0,
    }


def threshold_sweep(results: list[QuestionResult], thresholds: list[float]) -> list[dict[str, float]]:
    """For each threshold: the false-answer rate (unanswerable questions answered) and the
    false-abstain rate (answerable questions declined) that deciding at it would give, and
    hit@1 (answerable, answered and right). Run ``evaluate`` with abstention off (threshold 0)
    first, so every result carries its best sentence and that sentence's ``confidence``."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    rows = []
    for threshold in thresholds:
        rows.append(
            {
                "threshold": threshold,
                "false-answer rate": _mean([float(r.confidence >= threshold) for r in unanswerable]),
                "false-abstain rate": _mean([float(r.confidence < threshold) for r in answerable]),
                "hit@1": _mean([float(r.confidence >= threshold and r.hit1) for r in answerable]),
            }
        )
    return rows

