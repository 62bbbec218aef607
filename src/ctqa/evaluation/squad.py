"""SQuAD v1.1 / v2.0 JSON as a ctqa corpus and question set, and its scoring.

Each article becomes one markdown document; each paragraph is its own section ("Paragraph N"),
so a citation's section names the paragraph it came from. A paragraph's whitespace is collapsed
to single spaces (a blank line inside a context would otherwise split it); every gold answer's
``answer_start`` is carried through that change, so ``SquadQuestion.answer_spans`` are offsets
into the paragraph text as written (``paragraph.text[start:end] == answer``). Questions keep
their gold answers and ``is_impossible`` flag.

Scoring (answerable questions unless said otherwise):

* **paragraph hit@1 / hit@5** — the gold paragraph is the first / among the first 5 cited
  passages; **MRR** — 1 / rank of the gold paragraph among them (0 when absent);
* **answer-sentence hit@1** — a gold answer inside the *best* answer sentence (``Answer.best_sentence``); **answer-text
  hit** — inside the 1–3 answer sentences;
* **EM / token F1** — SQuAD-normalised (lower case, no punctuation, no articles) exact match and
  token F1 of the answer text (whole sentences) against the best gold answer;
* **short-answer EM / token F1** — the same on ``Answer.short_answer`` where given, on the answer
  sentence otherwise; **short answer given** — the share of answerable questions with one;
* **abstention on unanswerable** — share of ``is_impossible`` questions declined;
  **false-abstain rate** — share of answerable questions declined.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctqa.evaluation.metrics import contains_any, exact_match, token_f1
from ctqa.qa import DocumentQA
from ctqa.types import Answer

# Cited passages looked at for paragraph hit@k and MRR.
TOP_K = 5


@dataclass(frozen=True)
class SquadQuestion:
    """One SQuAD question. ``answer_spans[i]`` is ``(start, end)`` of ``answers[i]`` in its
    paragraph's text as written to the corpus (whitespace collapsed), ``None`` when the file's
    ``answer_start`` does not point at the answer."""

    id: str
    question: str
    article: str
    doc_id: str
    section: str  # "Paragraph N" of the gold paragraph
    answers: tuple[str, ...]
    impossible: bool
    answer_spans: tuple[tuple[int, int] | None, ...] = ()


@dataclass(frozen=True)
class SquadRecord:
    """One question as ctqa answered it, for error analysis (``ctqa eval --format squad --json``):
    whether it declined, whether the first cited passage is the gold paragraph and the best
    sentence holds a gold answer, the best sentence, the short answer (``None`` when none is
    given) and its type, and the short-answer EM / token F1 (short answer where given, the
    sentence otherwise; ``None`` for an unanswerable question)."""

    id: str
    question: str
    article: str
    answers: tuple[str, ...]
    impossible: bool
    declined: bool
    paragraph_hit: bool
    sentence_hit: bool
    best_sentence: str
    short_answer: str | None
    answer_type: str | None
    short_em: float | None
    short_f1: float | None


@dataclass(frozen=True)
class SquadParagraph:
    """A paragraph as written to the corpus: the document and section it is in, and its text."""

    doc_id: str
    section: str
    text: str


@dataclass(frozen=True)
class SquadSet:
    articles: list[str]
    questions: list[SquadQuestion]
    paragraphs: tuple[SquadParagraph, ...] = ()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "article"


def paragraph_section(number: int) -> str:
    return f"Paragraph {number}"


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace made one space, ends stripped."""
    return " ".join(text.split())


def _answer_span(context: str, written: str, answer: dict) -> tuple[int, int] | None:
    """Offsets of a gold answer in the collapsed paragraph, from its ``answer_start``."""
    text, start = answer["text"], int(answer.get("answer_start", -1))
    if start < 0 or context[start : start + len(text)] != text:
        return None
    start += len(text) - len(text.lstrip())
    # Where the answer's first character lands: the collapsed prefix, with a marker in its place.
    first = len(collapse_whitespace(context[:start] + "x")) - 1
    span = (first, first + len(collapse_whitespace(text)))
    return span if written[span[0] : span[1]] == collapse_whitespace(text) else None


def write_squad_corpus(squad_file: Path, corpus_dir: Path, *, articles: list[str] | None = None) -> SquadSet:
    """Write one ``.md`` per article of ``squad_file`` into ``corpus_dir``; return the questions.

    ``articles`` restricts to those titles (all when ``None``). Existing identical files are not
    rewritten, so an index over ``corpus_dir`` stays fresh between runs.
    """
    data = json.loads(squad_file.read_text(encoding="utf-8"))["data"]
    corpus_dir.mkdir(parents=True, exist_ok=True)
    titles, questions, paragraphs = [], [], []
    for article in data:
        title = article["title"].replace("_", " ")
        if articles is not None and title not in articles:
            continue
        titles.append(title)
        doc_id = f"{_slug(title)}.md"
        parts = [f"# {title}"]
        for number, paragraph in enumerate(article["paragraphs"], start=1):
            section = paragraph_section(number)
            context = paragraph["context"]
            written = collapse_whitespace(context)
            paragraphs.append(SquadParagraph(doc_id, section, written))
            parts.append(f"## {section}\n\n{written}")
            for qa in paragraph["qas"]:
                kept: dict[str, tuple[int, int] | None] = {}
                for gold in qa.get("answers", []):
                    if gold["text"].strip() and gold["text"] not in kept:
                        kept[gold["text"]] = _answer_span(context, written, gold)
                questions.append(
                    SquadQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        article=title,
                        doc_id=doc_id,
                        section=section,
                        answers=tuple(kept),
                        impossible=bool(qa.get("is_impossible", False)) or not kept,
                        answer_spans=tuple(kept.values()),
                    )
                )
        text = "\n\n".join(parts) + "\n"
        path = corpus_dir / doc_id
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return SquadSet(titles, questions, tuple(paragraphs))


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 4) if values else float("nan")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2) if ordered else 0.0


def short_prediction(answer: Answer) -> str:
    """What short-answer EM / F1 score: the short answer when there is one, else the answer
    sentence ("" for a decline)."""
    if answer.abstained:
        return ""
    if answer.short_answer is not None:
        return answer.short_answer.text
    return answer.sentences[answer.best_sentence] if answer.sentences else answer.text


def evaluate_squad(
    qa: DocumentQA,
    questions: list[SquadQuestion],
    *,
    threshold: float,
    top_k: int = TOP_K,
    records: list[SquadRecord] | None = None,
) -> dict[str, float]:
    """Score ``qa`` on SQuAD questions; returns the summary metrics (see module docstring) and
    appends one ``SquadRecord`` per question to ``records`` when given.

    ``qa`` should not decline (``abstain_threshold=0``) so ranking metrics see every best
    sentence; abstention is then scored as ``confidence < threshold``, as ``ask`` would decide.
    """
    para1, para5, reciprocal, sent1, text_hit, em, f1, latency = [], [], [], [], [], [], [], []
    short_em, short_f1, short_given = [], [], []
    declined_impossible, declined_answerable = [], []
    for item in questions:
        answer = qa.ask(item.question, top_k=top_k)
        latency.append(answer.latency_ms)
        declines = answer.abstained or answer.confidence < threshold
        record = squad_record(item, answer, declines, top_k)
        if records is not None:
            records.append(record)
        if item.impossible:
            declined_impossible.append(float(declines))
            continue
        declined_answerable.append(float(declines))
        cited = answer.citations or answer.closest
        ranks = [c.doc_id == item.doc_id and c.section == item.section for c in cited[:top_k]]
        para1.append(float(record.paragraph_hit))
        para5.append(float(any(ranks[:5])))
        reciprocal.append(1.0 / (ranks.index(True) + 1) if True in ranks else 0.0)
        sent1.append(float(record.sentence_hit))
        text_hit.append(float(not answer.abstained and contains_any(answer.text, item.answers)))
        em.append(max(exact_match(answer.text, gold) for gold in item.answers) if not answer.abstained else 0.0)
        f1.append(max(token_f1(answer.text, gold) for gold in item.answers) if not answer.abstained else 0.0)
        short_given.append(float(record.short_answer is not None))
        short_em.append(record.short_em or 0.0)
        short_f1.append(record.short_f1 or 0.0)
    return {
        "questions": len(questions),
        "answerable": len(para1),
        "paragraph hit@1": _mean(para1),
        "paragraph hit@5": _mean(para5),
        "MRR": _mean(reciprocal),
        "answer-sentence hit@1": _mean(sent1),
        "answer-text hit": _mean(text_hit),
        "EM": _mean(em),
        "token F1": _mean(f1),
        "short-answer EM": _mean(short_em),
        "short-answer token F1": _mean(short_f1),
        "short answer given": _mean(short_given),
        "false-abstain rate": _mean(declined_answerable),
        "abstention on unanswerable": _mean(declined_impossible),
        "latency p50 ms": _percentile(latency, 0.5),
    }


def squad_record(item: SquadQuestion, answer: Answer, declines: bool, top_k: int = TOP_K) -> SquadRecord:
    """The ``SquadRecord`` of ``item`` answered by ``answer``."""
    cited = (answer.citations or answer.closest)[:top_k]
    best = answer.sentences[answer.best_sentence] if answer.sentences and not answer.abstained else ""
    short = short_prediction(answer)
    scored = not item.impossible
    return SquadRecord(
        id=item.id,
        question=item.question,
        article=item.article,
        answers=item.answers,
        impossible=item.impossible,
        declined=declines,
        paragraph_hit=bool(cited) and (cited[0].doc_id, cited[0].section) == (item.doc_id, item.section),
        sentence_hit=scored and contains_any(best, item.answers),
        best_sentence=best,
        short_answer=answer.short_answer.text if answer.short_answer and not answer.abstained else None,
        answer_type=answer.short_answer.answer_type if answer.short_answer else None,
        short_em=(max(exact_match(short, gold) for gold in item.answers) if short else 0.0) if scored else None,
        short_f1=(max(token_f1(short, gold) for gold in item.answers) if short else 0.0) if scored else None,
    )


def evaluate_squad_baseline(
    search: Callable[[str, int], list[str]],
    questions: list[SquadQuestion],
    paragraphs: tuple[SquadParagraph, ...] | list[SquadParagraph],
    *,
    top_k: int = TOP_K,
) -> dict[str, float]:
    """Score a retrieval-only baseline whose chunks are the SQuAD paragraphs themselves.

    ``search(question, k)`` returns the top-k paragraph texts (see ``evaluation.baselines``). The
    answer is the whole top paragraph and the baseline never declines, so abstention on
    unanswerable questions is 0 and answer-sentence hit@1 is undefined (NaN: there is no
    sentence); EM / F1 compare the whole paragraph with the gold span.
    """
    where: dict[str, set[tuple[str, str]]] = {}
    for paragraph in paragraphs:
        where.setdefault(paragraph.text, set()).add((paragraph.doc_id, paragraph.section))
    para1, para5, reciprocal, text_hit, em, f1 = [], [], [], [], [], []
    unanswerable = 0
    for item in questions:
        if item.impossible:
            unanswerable += 1
            continue
        texts = search(item.question, top_k)
        ranks = [(item.doc_id, item.section) in where.get(text, set()) for text in texts[:top_k]]
        para1.append(float(bool(ranks) and ranks[0]))
        para5.append(float(any(ranks[:5])))
        reciprocal.append(1.0 / (ranks.index(True) + 1) if True in ranks else 0.0)
        top = texts[0] if texts else ""
        text_hit.append(float(contains_any(top, item.answers)))
        em.append(max(exact_match(top, gold) for gold in item.answers))
        f1.append(max(token_f1(top, gold) for gold in item.answers))
    return {
        "questions": len(questions),
        "answerable": len(para1),
        "paragraph hit@1": _mean(para1),
        "paragraph hit@5": _mean(para5),
        "MRR": _mean(reciprocal),
        "answer-sentence hit@1": float("nan"),
        "answer-text hit": _mean(text_hit),
        "EM": _mean(em),
        "token F1": _mean(f1),
        "false-abstain rate": 0.0,
        "abstention on unanswerable": 0.0 if unanswerable else float("nan"),
    }
