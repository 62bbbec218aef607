"""The declining rules: which rule declines, and the reason and sentence the user reads (no model)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from answering_fixtures import passage, scored, view
from ctqa.answering.declining import DECLINE_RULES, DeclineContext, decide, decline_text
from ctqa.config import AnswerSettings
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan

US = passage("The US created 93 task forces. They work in every district.", 0)
SETTINGS = AnswerSettings()


def plan(answer_type: str = "number", names: tuple[AskedName, ...] = ()) -> QueryPlan:
    return QueryPlan(
        question="How many task forces?", dense_text="", sparse_tokens=[], focus_tokens=["task", "forc"],
        answer_type=answer_type, names=names,  # type: ignore[arg-type]
    )


def test_rules_are_checked_in_their_named_order() -> None:
    assert [rule.name for rule in DECLINE_RULES] == ["not_a_question", "nothing_found", "low_confidence", "names_missing", "asked_type_missing"]


def test_nothing_retrieved_declines() -> None:
    decision = decide(DeclineContext(plan(), [], view(US), SETTINGS))
    assert decision is not None and decision.rule == "nothing_found"


def test_low_confidence_declines_below_the_threshold_only() -> None:
    low = decide(DeclineContext(plan(), [scored(0, 0, SETTINGS.abstain_threshold - 0.01)], view(US), SETTINGS))
    assert low is not None and low.rule == "low_confidence" and low.reason == ""
    assert decide(DeclineContext(plan(), [scored(0, 0, SETTINGS.abstain_threshold)], view(US), SETTINGS)) is None


def test_a_name_the_passage_lacks_declines_with_the_name_as_reason() -> None:
    canada = AskedName("Canada", ("canada",), in_corpus=True)
    decision = decide(DeclineContext(plan(names=(canada,)), [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert decision is not None and decision.rule == "names_missing"
    assert "does not mention Canada" in decision.reason
    australia = AskedName("Australia", ("australia",), in_corpus=False)
    decision = decide(DeclineContext(plan(names=(australia,)), [scored(0, 0, 0.9)], view(US), SETTINGS))
    assert decision is not None and decision.reason == "The documents never mention Australia."
    off = replace(SETTINGS, require_asked_names=False)
    assert decide(DeclineContext(plan(names=(canada,)), [scored(0, 0, 0.9)], view(US), off)) is None


def test_a_required_type_the_best_sentence_lacks_declines() -> None:
    decision = decide(DeclineContext(plan("date"), [scored(0, 0, 0.9, type_match=False)], view(US), SETTINGS))
    assert decision is not None and decision.rule == "asked_type_missing"
    assert decision.reason == "The passage closest to the question does not give a date."
    # a person's name is not required: "who" is often answered by an organisation
    assert decide(DeclineContext(plan("person"), [scored(0, 0, 0.9, type_match=False)], view(US), SETTINGS)) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the capital of Australia?", "The documents do not say what the capital of Australia is."),
        ("who is the Secretary General of NATO", "The documents do not say who the Secretary General of NATO is."),
        ("When was COE-DAT founded?", "The documents do not say the answer to “When was COE-DAT founded?”"),
    ],
)
def test_decline_text_is_one_sentence(question: str, expected: str) -> None:
    assert decline_text(question) == expected
