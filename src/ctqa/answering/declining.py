"""Declining rules: when ctqa says the documents do not answer, and the reason it gives.

``DECLINE_RULES`` is checked in order on the best sentence after reordering; the first rule
that fires declines, and its ``reason`` (with the question's words filled in) is shown to the
user under the one-sentence decline.

* ``not_a_question`` — "thanks!", "ok": chat that asks nothing;
* ``nothing_found`` — no passage was retrieved at all;
* ``low_confidence`` — the best sentence's probability is below ``abstain_threshold``;
* ``names_missing`` — a name the question uses is not in the best sentence's passage
  (``require_asked_names``): "How many task forces has Canada set up?" is not answered by a
  passage about the US's task forces;
* ``asked_type_missing`` — the question asks for a required answer type (a number, date,
  amount, leader's name, country, reason, or a yes/no statement) and the best sentence has none
  (``require_answer_type``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ctqa.answering.answer_types import BY_NAME
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.followups import is_interjection
from ctqa.answering.scoring import ScoredSentence
from ctqa.config import AnswerSettings
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import initialisms


@dataclass(frozen=True)
class Decline:
    """Why an answer was declined: the rule's ``name`` and the ``reason`` shown to the user
    ("" when the rule has nothing more specific to say than the decline itself)."""

    rule: str
    reason: str


@dataclass(frozen=True)
class DeclineContext:
    """What the rules read: the plan, the scored sentences (best first) and the corpus."""

    plan: QueryPlan
    scored: list[ScoredSentence]
    view: CorpusView
    settings: AnswerSettings

    @property
    def confidence(self) -> float:
        return self.scored[0].probability if self.scored else 0.0


Check = Callable[[DeclineContext], str | None]


@dataclass(frozen=True)
class DeclineRule:
    """``check`` returns the reason shown to the user when the rule declines, else ``None``."""

    name: str
    check: Check


def _not_a_question(context: DeclineContext) -> str | None:
    return "" if is_interjection(context.plan.question) else None


def _nothing_found(context: DeclineContext) -> str | None:
    return "" if not context.scored else None


def _low_confidence(context: DeclineContext) -> str | None:
    return "" if context.confidence < context.settings.abstain_threshold else None


def _names_missing(context: DeclineContext) -> str | None:
    if not context.settings.require_asked_names:
        return None
    unmentioned = missing_names(context.view, context.plan, context.scored[0])
    return names_note(unmentioned) if unmentioned else None


_TYPE_MATCH = FEATURE_NAMES.index("type_match")
# What the closest passage lacks, by answer type, in the user's terms.
_LACKS = {
    "money": "an amount",
    "number": "a number",
    "date": "a date",
    "leader": "a person's name",
    "country": "a country it does not already name",
    "reason": "a reason",
    "yes_no": "that statement",
}


def _asked_type_missing(context: DeclineContext) -> str | None:
    answer_type = context.plan.answer_type
    if not context.settings.require_answer_type or not BY_NAME[answer_type].required:
        return None
    if context.scored[0].features[_TYPE_MATCH] >= 1.0:
        return None
    return f"The passage closest to the question does not give {_LACKS.get(answer_type, answer_type)}."


DECLINE_RULES: tuple[DeclineRule, ...] = (
    DeclineRule("not_a_question", _not_a_question),
    DeclineRule("nothing_found", _nothing_found),
    DeclineRule("low_confidence", _low_confidence),
    DeclineRule("names_missing", _names_missing),
    DeclineRule("asked_type_missing", _asked_type_missing),
)


def decide(context: DeclineContext) -> Decline | None:
    """The first rule of ``DECLINE_RULES`` that declines, or ``None`` to answer."""
    for rule in DECLINE_RULES:
        reason = rule.check(context)
        if reason is not None:
            return Decline(rule.name, reason)
    return None


def missing_names(view: CorpusView, plan: QueryPlan, sentence: ScoredSentence) -> list[AskedName]:
    """The names the question uses (``plan.names``) that neither ``sentence`` (with the acronym
    forms of its context) nor its passage (with its section header) mentions."""
    if not plan.names:
        return []
    passage_tokens = view.passage_tokens[sentence.passage_id]
    tokens = {*passage_tokens, *view.sentence_context_tokens[sentence.passage_id][sentence.number]}
    runs = initialisms(passage_tokens)
    return [name for name in plan.names if not name.found_in(tokens, runs)]


def names_note(unmentioned: list[AskedName]) -> str:
    """Why ctqa declined a question about names the answer's passage lacks, in the user's words."""
    never = [name.text for name in unmentioned if not name.in_corpus]
    elsewhere = [name.text for name in unmentioned if name.in_corpus]
    if never:
        return f"The documents never mention {' or '.join(never)}."
    return (
        f"The passage that best matches the question does not mention {' or '.join(elsewhere)}, "
        "so it does not answer it."
    )


_COPULA_RE = re.compile(
    r"^(?P<wh>(?:what|which|who|where|when|how many|how much)(?:\s+\w+)?)\s+(?P<verb>is|are|was|were)\s+(?P<rest>.+)$",
    re.I,
)


# A question longer than this is not repeated in the decline sentence (it would bury it).
DECLINE_QUOTE_CHARS = 150
NOT_A_QUESTION = "That is not a question about the documents; ask me one about them."


def decline_text(question: str, rule: str = "") -> str:
    """The one-sentence decline: "The documents do not say what the capital of Australia is."
    A question the rule cannot turn into a clause is quoted instead."""
    if rule == "not_a_question":
        return NOT_A_QUESTION
    bare = question.strip().rstrip("?!. ")
    if len(bare) > DECLINE_QUOTE_CHARS or "\n" in bare:
        return "The documents do not say the answer to that question."
    match = _COPULA_RE.match(bare)
    if match and not re.search(r"\b\w+ed\b", match.group("rest")):
        clause = f"{match.group('wh')} {match.group('rest')} {match.group('verb')}"
        return f"The documents do not say {clause[0].lower()}{clause[1:]}."
    return f"The documents do not say the answer to “{bare}?”"
