"""Question readings: what a message that is not written as a question is read as, and which
words of a question frame the topic rather than name it.

``READING_RULES`` is read in order; the first rule that gives a reading wins:

* ``bare_term`` — one word that is no question word and no chat ("NATO", "INTERPOL",
  "COE-DAT") is read as "What does the corpus say about NATO?", so it gets the same answer as
  the full question about it.

``about_topic`` removes the frame of a question about what the documents say ("What does the
article say about INTERPOL?", "What do the documents tell about NATO?"): the words "article",
"say", "documents" are no part of the topic, and counting them as asked words lowers every
sentence's overlap until the question is declined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ctqa.answering.followups import content_words, is_interjection

TOPIC_QUESTION = "What does the corpus say about {term}?"
# One word, hyphens, dots and ampersands inside ("COE-DAT", "U.S.", "AT&T"), an optional "?".
_ONE_WORD_RE = re.compile(r"^\s*([^\W_](?:[\w.&'’-]*[^\W_])?)\s*[?.!]?\s*$")
ABOUT_FRAME_RE = re.compile(
    r"^\s*(?:what|which\s+things?)\s+(?:does|do|did|can)\s+(?:the\s+|this\s+|these\s+|your\s+)?"
    r"(?:article|corpus|document|documents|text|texts|page|pages|report|source|sources|files?)\s+"
    r"(?:say|tell(?:\s+me)?|write|state|mention|report)\s+(?:about|on|regarding|concerning)\s+(?P<topic>.+?)\s*[?.!]*\s*$",
    re.I,
)


@dataclass(frozen=True)
class ReadingRule:
    """``read(question)``: the question the message is read as, or None (the next rule decides)."""

    name: str
    read: Callable[[str], str | None]


def _bare_term(question: str) -> str | None:
    match = _ONE_WORD_RE.match(question)
    if not match or is_interjection(question) or not content_words(match.group(1)):
        return None
    return TOPIC_QUESTION.format(term=match.group(1))


READING_RULES: tuple[ReadingRule, ...] = (ReadingRule("bare_term", _bare_term),)


def read_as(question: str) -> tuple[str, str | None]:
    """The question ``question`` is read as, and the name of the rule that read it (None: as is)."""
    for rule in READING_RULES:
        reading = rule.read(question)
        if reading is not None:
            return reading, rule.name
    return question, None


def about_topic(question: str) -> str | None:
    """The topic of "What does the article say about X?" (X), or None for any other question."""
    match = ABOUT_FRAME_RE.match(question)
    return match.group("topic") if match else None
