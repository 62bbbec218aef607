"""Broad questions with a reference answer: the overview against two baselines of its length.

For every question with a reference answer (``EvalQuestion.reference``, or the FAQ paragraph of
an ``faq`` question), three texts are scored against the reference:

* **overview** — ``DocumentQA.ask`` as configured (a broad question gets an overview);
* **answer** — the same question with overviews off: the one-to-three-sentence answer;
* **top-k passages** — the retrieved passages, best first, concatenated and cut (at a word
  boundary) to the overview's length, so both compete at the same number of characters;
* **oracle** — the greedy extractive oracle (``oracle_text``): the prose sentences of the index
  that score best against the reference itself within the overview's budget
  (``OverviewSettings.max_chars``), i.e. what sentence selection can reach at that length.

Metrics (docs/overview.md):

* **token F1** — SQuAD-normalised bag-of-words F1 (``metrics.token_f1``);
* **ROUGE-L** — F-measure of the longest common subsequence (``rouge-score``, no stemming);
* **evidence recall** — the share of the reference's sentences whose facts appear in the text: a
  reference sentence counts when at least ``EVIDENCE_SHARE`` of its distinct content words
  (SQuAD-normalised tokens that are not English stopwords) occur in the text.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from bm25s.stopwords import STOPWORDS_EN

from ctqa.answering.broad import broad_rule
from ctqa.chunking import split_sentences
from ctqa.evaluation.dataset import EvalQuestion
from ctqa.evaluation.metrics import rouge_l, squad_normalize, token_f1
from ctqa.qa import DocumentQA

# A reference sentence's facts are in the text when this share of its content words is.
EVIDENCE_SHARE = 0.6
# Passages fetched for the top-k baseline (more than any overview needs to reach its length).
BASELINE_PASSAGES = 10
# The oracle reads every prose sentence of the index; above this many it is left out (too slow).
ORACLE_MAX_SENTENCES = 2000
SYSTEMS = ("overview", "answer", "top-k passages", "oracle")
_STOPWORDS = frozenset(STOPWORDS_EN)


def content_words(text: str) -> set[str]:
    """Distinct SQuAD-normalised tokens of ``text`` that are not English stopwords."""
    return {token for token in squad_normalize(text).split() if token not in _STOPWORDS}


def evidence_recall(text: str, reference: list[str], share: float = EVIDENCE_SHARE) -> float:
    """Share of ``reference`` sentences at least ``share`` of whose content words are in ``text``."""
    found = content_words(text)
    counted = [words for words in (content_words(sentence) for sentence in reference) if words]
    if not counted:
        return 0.0
    return sum(len(words & found) / len(words) >= share for words in counted) / len(counted)


def reference_of(item: EvalQuestion) -> list[str]:
    """The reference answer as sentences: ``reference`` as given, else the FAQ paragraph split."""
    if item.reference:
        return list(item.reference)
    if item.faq_answer:
        return [item.faq_answer[start:end] for start, end in split_sentences(item.faq_answer)]
    return []


def cut_to(text: str, length: int) -> str:
    """``text`` cut to at most ``length`` characters, at a word boundary."""
    if len(text) <= length:
        return text
    cut = text[: length + 1]
    return cut[: cut.rfind(" ")] if " " in cut else cut[:length]


@dataclass(frozen=True)
class Scores:
    """One system's text for one question, and its scores against the reference."""

    text: str
    token_f1: float
    rouge_l: float
    evidence_recall: float
    characters: int


@dataclass(frozen=True)
class BroadResult:
    id: str
    question: str
    rule: str
    reference: list[str]
    systems: dict[str, Scores]


@dataclass
class BroadReport:
    """Per-question results and ``summary``: system -> metric -> mean over the questions."""

    results: list[BroadResult]
    summary: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"summary": self.summary, "results": [asdict(r) for r in self.results]}


def prose_sentences(qa: DocumentQA) -> list[str]:
    """Every sentence of the index's prose passages (table rows left out, as in an overview), in
    document order; empty when there are more than ``ORACLE_MAX_SENTENCES``."""
    passages = qa.ensure_ready().index.passages
    sentences = [
        p.text[start - p.start : end - p.start] for p in passages if p.kind != "table_row" for start, end in p.sentences
    ]
    return sentences if len(sentences) <= ORACLE_MAX_SENTENCES else []


def oracle_text(sentences: Sequence[str], reference: list[str], max_chars: int) -> str:
    """The best extractive text reachable from ``sentences`` against ``reference``: greedy oracle.

    Repeatedly adds the sentence (kept in the given order, i.e. document order) that raises the
    mean of token F1 and ROUGE-L most, while the sentences joined by spaces fit ``max_chars``;
    stops when no sentence raises it. Greedy selection is the usual extractive-summarisation
    oracle (Nallapati et al. 2017): an estimate of what any extractive overview can reach at that
    length, not a strict upper bound.
    """
    joined = " ".join(reference)

    def value(chosen: list[int]) -> float:
        text = " ".join(sentences[i] for i in sorted(chosen))
        return (token_f1(text, joined) + rouge_l(text, joined)) / 2

    chosen: list[int] = []
    best, used = 0.0, -1
    while True:
        options = [i for i in range(len(sentences)) if i not in chosen and used + 1 + len(sentences[i]) <= max_chars]
        scored = [(value([*chosen, i]), -i) for i in options]
        if not scored or max(scored)[0] <= best:
            break
        best, pick = max(scored)
        chosen.append(-pick)
        used += 1 + len(sentences[-pick])
    return " ".join(sentences[i] for i in sorted(chosen))


def scores_of(text: str, reference: list[str]) -> Scores:
    """``text`` scored against the reference sentences (token F1, ROUGE-L, evidence recall)."""
    joined = " ".join(reference)
    return Scores(text, round(token_f1(text, joined), 4), round(rouge_l(text, joined), 4),
                  round(evidence_recall(text, reference), 4), len(text))


def evaluate_broad(qa: DocumentQA, answer_qa: DocumentQA, questions: list[EvalQuestion]) -> BroadReport:
    """Score the overview (``qa``), the plain answer and the top-k passages (``answer_qa``, with
    overviews off) on the questions that have a reference answer."""
    pool = prose_sentences(qa)
    budget = qa.settings.overview.max_chars
    results = []
    for item in questions:
        reference = reference_of(item)
        if not reference:
            continue
        overview = qa.ask(item.question)
        plain = answer_qa.ask(item.question, top_k=BASELINE_PASSAGES)
        passages = plain.closest if plain.abstained else plain.citations
        top_k = cut_to(" ".join(c.text for c in passages), len(overview.text))
        rule = broad_rule(item.question)
        systems = {
            "overview": scores_of(overview.text, reference),
            "answer": scores_of(plain.text, reference),
            "top-k passages": scores_of(top_k, reference),
        }
        if pool:
            systems["oracle"] = scores_of(oracle_text(pool, reference, budget), reference)
        results.append(BroadResult(item.id, item.question, rule.name if rule else "", reference, systems))
    report = BroadReport(results)
    report.summary = {
        system: {
            metric: round(statistics.fmean(getattr(r.systems[system], metric) for r in results), 4)
            for metric in ("token_f1", "rouge_l", "evidence_recall", "characters")
        }
        for system in SYSTEMS
        if all(system in r.systems for r in results)
    } if results else {}
    return report
