"""The broad/factoid rule table (``ctqa.answering.broad``): no model needed.

The factoid questions are every question of the eval sets that is not an FAQ-style question,
read from the files themselves, so a rule that starts matching one of them fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctqa.answering.broad import BROAD_RULES, broad_rule, is_broad

EVAL = Path(__file__).resolve().parents[1] / "eval"


def test_every_rule_matches_its_own_example() -> None:
    assert len({rule.name for rule in BROAD_RULES}) == len(BROAD_RULES)
    for rule in BROAD_RULES:
        assert broad_rule(rule.example) is rule, rule.name


@pytest.mark.parametrize(
    ("question", "rule"),
    [
        ("How can states cooperate to fight terrorists?", "how-do-actors"),
        ("how do governments use foreign aid to combat terrorist groups", "how-do-actors"),
        ("How does NATO fight terrorism?", "how-do-x-act"),
        ("How is foreign assistance used against terrorism?", "how-is-means-used"),
        ("How does foreign aid help countries combat terrorists?", "how-do-x-act"),
        ("In what ways can diplomacy be employed by states to counter terrorists?", "in-what-ways"),
        ("What are the main strategies against terrorism?", "in-what-ways"),
        ("What does the article say about NATO?", "what-do-documents-say"),
        ("Why do countries share intelligence?", "why-do-actors"),
        ("Why is diplomacy essential in the fight against terrorism?", "why-do-actors"),
        ("Tell me about aviation security", "overview-request"),
        ("counter-terrorism cooperation", "bare-topic"),
    ],
)
def test_broad_questions(question: str, rule: str) -> None:
    found = broad_rule(question)
    assert found is not None and found.name == rule


@pytest.mark.parametrize(
    "question",
    [
        "How many Anti-Terrorism Task Forces did the US create?",
        "How did NATO deliver its in-person counter-terrorism courses in the Gulf?",  # "counter-" is no verb
        "How did King Louis XV respond to British plans?",
        "In what way do idea strings transmit tension forces?",  # one mechanism, not ways
        "Why was Mazen Al Najjar ordered to be deported?",
        "Battlefield Evidence Policy",
        "transformational diplomacy",  # a topic word but no threat: a keyword query
        "What does WMD stand for?",
        "Where is COE-DAT located?",
    ],
)
def test_factoid_questions(question: str) -> None:
    assert not is_broad(question)


@pytest.mark.parametrize("name", ["article", "holdout", "blind1", "blind2"])
def test_no_factoid_question_of_the_eval_sets_is_broad(name: str) -> None:
    rows = [json.loads(line) for line in (EVAL / f"{name}_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    factoid = [row["question"] for row in rows if row["category"] != "faq"]
    assert factoid
    assert [q for q in factoid if is_broad(q)] == []


def test_every_broad_eval_question_is_broad() -> None:
    rows = [json.loads(line) for line in (EVAL / "broad_questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 15
    assert [row["question"] for row in rows if not is_broad(row["question"])] == []
