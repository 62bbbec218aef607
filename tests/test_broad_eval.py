"""The broad-question metrics' oracle (``ctqa.evaluation.broad.oracle_text``): no model."""

from __future__ import annotations

from ctqa.evaluation.broad import evidence_recall, oracle_text
from ctqa.evaluation.metrics import rouge_l, token_f1

SENTENCES = [
    "NATO shares information with the EU.",
    "The weather in Ankara is mild in spring.",
    "Canada and the US share border data.",
    "The State Department counters terrorist financing.",
]
REFERENCE = ["States share information and border data.", "They counter terrorist financing."]


def _value(text: str) -> float:
    joined = " ".join(REFERENCE)
    return (token_f1(text, joined) + rouge_l(text, joined)) / 2


def test_oracle_keeps_the_budget_and_document_order_and_skips_noise() -> None:
    text = oracle_text(SENTENCES, REFERENCE, 200)
    assert len(text) <= 200
    assert "weather" not in text
    picked = [s for s in SENTENCES if s in text]
    assert text == " ".join(picked)  # verbatim sentences in the given order
    # no single sentence or any other pair beats it
    for sentence in SENTENCES:
        assert _value(text) >= _value(sentence)


def test_oracle_within_a_tight_budget_takes_one_sentence() -> None:
    text = oracle_text(SENTENCES, REFERENCE, 60)
    assert text in SENTENCES
    assert text == max((s for s in SENTENCES if len(s) <= 60), key=_value)


def test_evidence_recall_counts_reference_sentences_whose_words_are_present() -> None:
    assert evidence_recall("The State Department counters terrorist financing.", REFERENCE) == 0.5
