"""Follow-up rules: whether a question leans on the conversation, and which earlier turn it
continues.

``FOLLOWUP_RULES`` is read in order; the first rule that decides wins:

* ``interjection`` — "thanks!", "ok": no question at all; it stands alone (and is declined) and
  does not break the thread;
* ``ellipsis`` — "what about Canada?", "and for the EU?": a follow-up that keeps the earlier
  question's shape with the new topic ("And how many …?" is a question of its own);
* ``new_topic`` — the question names something the corpus knows and the earlier user turns did
  not ("What is NEXUS?" after a question on COE-DAT): it stands alone;
* ``pronoun`` — "it", "they", "this", …: a follow-up of the most recent topic;
* ``too_short`` — fewer than two content words ("Why?", "Since when?"): a follow-up;
* otherwise the question stands alone.

The topic a follow-up borrows is the most recent user turn that was answered; a turn ctqa
declined (an off-topic interjection, "What's the capital of Australia?") or one without
content words ("thanks!") does not break the thread. When that turn was itself a follow-up,
the turn it continued comes along ("and its budget?" after "what is it?").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ctqa.retrieval.text import QUERY_STOPWORDS, fold, words

PRONOUNS = frozenset(
    ["it", "its", "they", "them", "their", "theirs", "he", "him", "his", "she", "her", "this", "that", "these", "those", "there", "such"]
)
ELLIPSIS_RE = re.compile(r"^\s*(?:and|what about|how about|what of|same for|and for|also)\b", re.I)
# "What about Canada?": a topic and nothing else, so it asks the earlier question again
BARE_ELLIPSIS_RE = re.compile(r"^\s*(?:what about|how about|what of|same for|and for)\b", re.I)
# Chat that asks nothing: thanks, greetings, acknowledgements.
INTERJECTION_RE = re.compile(
    r"^\W*(?:(?:many |great )?thanks?(?: you)?(?: (?:so|very) much)?|thx|ty|ok(?:ay)?|cool|great|nice|perfect|"
    r"awesome|wow|got it|i see|understood|hello|hi|hey|bye|goodbye|good|fine|sure|yes|no|yep|nope)"
    r"(?:\W+(?:thanks?|ok(?:ay)?|great|cool))*\W*$",
    re.I,
)
_WH_RE = re.compile(r"\b(?:what|which|where|when|who|whom|whose|why|how)\b", re.I)
# How a declined turn starts (``answering.declining.decline_text``): it answered nothing, so
# the question it declined is no topic to continue.
DECLINE_OPENING = "The documents do not say"

# The names in a text that the corpus knows (``QueryRewriter.known_names``).
NamesOf = Callable[[str], Sequence[str]]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in QUERY_STOPWORDS and w not in PRONOUNS]


@dataclass(frozen=True)
class FollowupRule:
    """``decide(question, earlier_user_text, names_of)``: True (a follow-up), False (stands
    alone) or None (the next rule decides)."""

    name: str
    decide: Callable[[str, str, NamesOf], bool | None]


def _interjection(question: str, earlier: str, names_of: NamesOf) -> bool | None:
    return False if is_interjection(question) else None


def _ellipsis(question: str, earlier: str, names_of: NamesOf) -> bool | None:
    if BARE_ELLIPSIS_RE.match(question):
        return True
    if ELLIPSIS_RE.match(question) and not _WH_RE.search(question):
        return True  # "And Canada?", but not "And how many members does NEXUS have?"
    return None


def _new_topic(question: str, earlier: str, names_of: NamesOf) -> bool | None:
    earlier_words = set(words(earlier))
    for name in names_of(question):
        if not set(words(name)) <= earlier_words:
            return False
    return None


def _pronoun(question: str, earlier: str, names_of: NamesOf) -> bool | None:
    return True if any(word in PRONOUNS for word in words(question)) else None


def _too_short(question: str, earlier: str, names_of: NamesOf) -> bool | None:
    return True if len(content_words(question)) < 2 else None


FOLLOWUP_RULES: tuple[FollowupRule, ...] = (
    FollowupRule("interjection", _interjection),
    FollowupRule("ellipsis", _ellipsis),
    FollowupRule("new_topic", _new_topic),
    FollowupRule("pronoun", _pronoun),
    FollowupRule("too_short", _too_short),
)


def _no_names(text: str) -> Sequence[str]:
    return ()


def is_interjection(question: str) -> bool:
    """Whether ``question`` is chat that asks nothing ("thanks!", "ok", "hi")."""
    return bool(INTERJECTION_RE.match(question))


def leans_on_history(question: str, earlier: str = "", names_of: NamesOf = _no_names) -> bool:
    """Whether ``question`` cannot stand alone after the user turns ``earlier`` (joined)."""
    for rule in FOLLOWUP_RULES:
        decision = rule.decide(question, earlier, names_of)
        if decision is not None:
            return decision
    return False


def _topical_turns(history: Sequence[dict[str, str]]) -> list[str]:
    """The user turns that were answered and ask something (content words or a pronoun, not
    "thanks!"), oldest first."""
    turns: list[str] = []
    for position, message in enumerate(history):
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, str):
            continue
        if is_interjection(content) or (not content_words(content) and not PRONOUNS & set(words(content))):
            continue
        reply = history[position + 1] if position + 1 < len(history) else {}
        replied = reply.get("content") if reply.get("role") == "assistant" else ""
        if isinstance(replied, str) and replied.startswith(DECLINE_OPENING):
            continue
        turns.append(content)
    return turns


def previous_topic(history: Sequence[dict[str, str]] | None, names_of: NamesOf = _no_names) -> str:
    """The text of the user turn(s) a follow-up continues ("" if none)."""
    turns = _topical_turns(history or [])
    if not turns:
        return ""
    topic = [turns[-1]]
    # A chain of follow-ups ("and its budget?" after "what is it?") needs the turn before too.
    if len(turns) > 1 and leans_on_history(turns[-1], " ".join(turns[:-1]), names_of):
        topic.insert(0, turns[-2])
    return " ".join(topic)


def earlier_user_text(history: Sequence[dict[str, str]] | None) -> str:
    return " ".join(
        m["content"] for m in history or [] if m.get("role") == "user" and isinstance(m.get("content"), str)
    )


def previous_answers(history: Sequence[dict[str, str]] | None) -> tuple[str, ...]:
    """The folded text of the assistant turns of ``history`` (a follow-up wants something new)."""
    return tuple(
        " ".join(fold(m["content"]).split())
        for m in history or []
        if m.get("role") == "assistant" and isinstance(m.get("content"), str) and m["content"].strip()
    )
