"""Broad questions: the ones answered with an extractive overview instead of one to three sentences.

A broad question asks how or why something is done in general ("How do states use diplomacy to
fight terrorists?"), in what ways, or what the documents say about a topic; its answer gathers
facts from several passages and sections. A factoid question asks for one fact (a number, a
date, a name, one sentence's reason) and keeps the one-to-three-sentence answer.

The rules are one table of named entries; ``broad_rule`` returns the first that matches, or
``None`` for a factoid question. Each entry's cue names who acts in general terms (states,
countries, governments), a means (diplomacy, foreign aid) or a request for an overview, so a
question about one named actor's one action ("How did NATO deliver its courses in the Gulf?")
stays factoid. Measured on every question file in ``eval/`` and the SQuAD sample
(docs/overview.md): no factoid question there matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Who acts, in general terms: the subject of a broad "how/why do X ..." question.
_ACTORS = (
    r"(?:the\s+)?(?:states|countries|nations|governments|allies|partners|"
    r"international\s+(?:organi[sz]ations|partners|community)|the\s+international\s+community|"
    r"democracies|authorities|policy\s*makers)"
)
# Verbs of acting against a threat or of working together: "how does NATO fight terrorism?"
# (never "counter-terrorism courses": the verb is a whole word).
_ACTING = r"(?:fight|counter|combat|tackle|confront|prevent|work\s+(?:together\s+)?against|deal\s+with)(?![-\w])"
# Words of a means or a strategy in a bare topic ("counter-terrorism cooperation").
_MEANS = r"(?:cooperation|collaboration|diplomacy|strateg(?:y|ies)|efforts?|approach(?:es)?|measures|role|tools?|ways?|methods?)"
_THREAT = r"(?:terror\w*|counter-?terror\w*|extremis\w*|threats?|crime|attacks)"
_QUESTION_WORD = r"(?:how|why|what|which|who|whom|whose|when|where|is|are|do|does|did|can|could|will|would|should|has|have)"


@dataclass(frozen=True)
class BroadRule:
    """One cue of a broad question: ``pattern`` is searched in the cleaned question (case folded)."""

    name: str
    pattern: re.Pattern[str]
    example: str


def _rule(name: str, pattern: str, example: str) -> BroadRule:
    return BroadRule(name, re.compile(pattern, re.IGNORECASE), example)


BROAD_RULES: tuple[BroadRule, ...] = (
    _rule(
        "how-do-actors",
        rf"^\s*how\s+(?:do|does|can|could|did|should|might|may|would|have|has)\s+{_ACTORS}\b",
        "How do states use diplomacy to fight terrorists?",
    ),
    _rule(
        "how-do-x-act",
        # the object must be a threat: "How did X respond to Washington?" (SQuAD) is factoid
        rf"^\s*how\s+(?:do|does|can|could|did|should|have|has)\s+(?:\S+\s+){{1,6}}?{_ACTING}\s+(?:\S+\s+){{0,2}}?{_THREAT}",
        "How does NATO fight terrorism?",
    ),
    _rule(
        "how-is-means-used",
        r"^\s*how\s+(?:is|are|can|could)\s+(?:\S+\s+){1,4}?(?:be\s+)?(?:used|employed|applied)\b",
        "How is foreign assistance used against terrorism?",
    ),
    _rule(
        "how-helps-actors",
        rf"^\s*how\s+(?:do|does|can|could)\s+(?:\S+\s+){{1,4}}?(?:help|allow|enable)\s+{_ACTORS}\b",
        "How can foreign assistance help governments?",
    ),
    _rule(
        "in-what-ways",
        # plural only: "in what way do strings transmit forces?" (SQuAD) asks for one mechanism
        r"^\s*(?:in\s+)?(?:what|which)\s+ways\b|^\s*what\s+are\s+(?:the\s+)?(?:main\s+|different\s+|some\s+)?"
        r"(?:ways|strategies|methods|means|approaches|tools)\b",
        "In what ways can diplomacy be employed by states to counter terrorists?",
    ),
    _rule(
        "what-do-documents-say",
        r"^\s*what\s+(?:does|do|did)\s+(?:the\s+|this\s+)?(?:article|corpus|document|documents|text|page|author|report)s?\s+"
        r"(?:say|tell|write|state|cover|describe|discuss)\b",
        "What does the article say about NATO?",
    ),
    _rule(
        "why-do-actors",
        rf"^\s*why\s+(?:do|does|did|should|must|would|are|is\s+it\s+important\s+for)\s+{_ACTORS}\b"
        rf"|^\s*why\s+(?:is|are)\s+(?:\S+\s+){{1,4}}?(?:important|essential|crucial|needed|necessary)\b",
        "Why do states cooperate against terrorism?",
    ),
    _rule(
        "overview-request",
        r"^\s*(?:please\s+)?(?:tell\s+me\s+about|give\s+(?:me\s+)?an?\s+overview|overview\s+of|summari[sz]e)\b",
        "Tell me about counter-terrorism cooperation",
    ),
    _rule(
        "bare-topic",
        # No question word, at most six words, a means word and a threat word, no capital letter
        # after the first (no name):
        # "counter-terrorism cooperation", "diplomacy against terrorism".
        rf"^(?!\s*{_QUESTION_WORD}\b)(?=(?:\s*\S+){{1,6}}\s*$)(?=.*\b{_MEANS}\b)(?=.*\b{_THREAT})\s*\S(?-i:[^A-Z?]*)$",
        "diplomacy and cooperation against terrorism",
    ),
)


def broad_rule(question: str) -> BroadRule | None:
    """The first rule of ``BROAD_RULES`` the question matches, or ``None`` (a factoid question)."""
    text = " ".join(question.split())
    for rule in BROAD_RULES:
        if rule.pattern.search(text):
            return rule
    return None


def is_broad(question: str) -> bool:
    """Whether ``question`` is answered with an overview (see ``BROAD_RULES``)."""
    return broad_rule(question) is not None
