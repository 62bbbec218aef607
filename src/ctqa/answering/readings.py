"""Question readings: what a message that is not written as a question is read as, and which
words of a question frame the topic rather than name it.

``READING_RULES`` is read in order; the first rule that gives a reading wins:

* ``several_questions`` — a message of two questions or more ("What is NEXUS? Who founded
  COE-DAT?") is read as its first one, and the note names the others to ask one at a time:
  searched together, their words match no passage well and both go unanswered;
* ``bare_term`` — one word that is no question word and no chat ("NATO", "INTERPOL",
  "COE-DAT") is read as "What does the corpus say about NATO?", so it gets the same answer as
  the full question about it (the first message only: in a conversation it may be a follow-up).

``unresolved_pronoun_note`` tells the user when a first message leans on a pronoun ("How many
members does it have?") that nothing before it names: the answer is then a guess at "it".

``without_document_frame`` removes the document named as the speaker ("Which terrorist groups
does the article mention?", "… according to the piece?"). ``about_topic`` removes the frame of a
question about what the documents say ("What does the
article say about INTERPOL?", "What do the documents tell about NATO?"): the words "article",
"say", "documents" are no part of the topic, and counting them as asked words lowers every
sentence's overlap until the question is declined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ctqa.answering.followups import REFERRING_PRONOUNS, content_words, is_interjection

TOPIC_QUESTION = "What does the corpus say about {term}?"
# One word, hyphens, dots and ampersands inside ("COE-DAT", "U.S.", "AT&T"), an optional "?".
_ONE_WORD_RE = re.compile(r"^\s*([^\W_](?:[\w.&'’-]*[^\W_])?)\s*[?.!]?\s*$")
ABOUT_FRAME_RE = re.compile(
    r"^\s*(?:what|which\s+things?)\s+(?:does|do|did|can)\s+(?:the\s+|this\s+|these\s+|your\s+)?"
    r"(?:article|corpus|document|documents|text|texts|page|pages|report|source|sources|files?)\s+"
    r"(?:say|tell(?:\s+me)?|write|state|mention|report)\s+(?:about|on|regarding|concerning)\s+(?P<topic>.+?)\s*[?.!]*\s*$",
    re.I,
)


# "Which terrorist groups does the article mention?", "… according to the piece?": the document
# named as the speaker frames the question; "article" would match "Article 5".
DOCUMENT_FRAME_RE = re.compile(
    r"\s*\b(?:according\s+to|in)\s+(?:the|this)\s+(?:article|piece|text|document|page|report)\b"
    r"|\b(?:does|do|did)\s+(?:the|this)\s+(?:article|piece|text|document|page|author)\s+"
    r"(?:mention|name|list|say|cite|describe|discuss|talk\s+about|cover|refer\s+to|bring\s+up|single\s+out)\b",
    re.I,
)


@dataclass(frozen=True)
class ReadingRule:
    """``read(question)``: the question the message is read as, or None (the next rule decides).
    ``note(question, reading)`` is what the user is told; ``in_conversation``: the rule applies
    to a message with history too."""

    name: str
    read: Callable[[str], str | None]
    note: Callable[[str, str], str]
    in_conversation: bool


# A question of a message: up to a question mark followed by white space or the end.
_QUESTION_RE = re.compile(r"[^?]*\?(?=\s|$)")


# The note names at most this many of the other questions (a pasted list can hold hundreds).
NOTE_NAMES_AT_MOST = 3


def asked_questions(message: str) -> list[str]:
    """The questions of ``message``: its parts ending with "?" that hold two words or more and a
    content word ("Really?" is no question of its own)."""
    parts = [part.strip() for part in _QUESTION_RE.findall(message)]
    return [part for part in parts if len(part.split()) >= 2 and content_words(part)]


def _distinct(questions: list[str]) -> list[str]:
    """``questions`` without repeats (case and spacing aside), in their order."""
    seen: set[str] = set()
    distinct = []
    for question in questions:
        key = " ".join(question.casefold().split())
        if key not in seen:
            seen.add(key)
            distinct.append(question)
    return distinct


def _first_of_several(question: str) -> str | None:
    questions = asked_questions(question)
    return questions[0] if len(questions) >= 2 else None


def _several_note(question: str, reading: str) -> str:
    asked = asked_questions(question)
    others = _distinct(asked)[1:]
    if not others:
        return f"The message repeats one question {len(asked)} times; this answers it once."
    shown = " ".join(f"“{other}”" for other in others[:NOTE_NAMES_AT_MOST])
    more = len(others) - NOTE_NAMES_AT_MOST
    shown += f" and {more} more" if more > 0 else ""
    return f"The message asks {len(others) + 1} questions; this answers the first. Ask the others one at a time: {shown}"


# A "word" longer than this is no term a user asks about (a held-down key, a pasted hash).
BARE_TERM_MAX_CHARS = 60


def _bare_term(question: str) -> str | None:
    match = _ONE_WORD_RE.match(question)
    if not match or is_interjection(question) or not content_words(match.group(1)) or len(match.group(1)) > BARE_TERM_MAX_CHARS:
        return None
    return TOPIC_QUESTION.format(term=match.group(1))


READING_RULES: tuple[ReadingRule, ...] = (
    ReadingRule("several_questions", _first_of_several, _several_note, in_conversation=True),
    ReadingRule("bare_term", _bare_term, lambda question, reading: f"Read as “{reading}”", in_conversation=False),
)


@dataclass(frozen=True)
class Reading:
    """What a message is read as: ``question``, the ``rule`` that read it ("" when read as it is)
    and the ``note`` telling the user ("" then)."""

    question: str
    rule: str = ""
    note: str = ""


def read_as(question: str, *, in_conversation: bool = False) -> Reading:
    """What ``question`` is read as; ``in_conversation``: the message has history."""
    for rule in READING_RULES:
        if in_conversation and not rule.in_conversation:
            continue
        reading = rule.read(question)
        if reading is not None:
            return Reading(reading, rule.name, rule.note(question, reading))
    return Reading(question)


# The personal pronouns (``followups.REFERRING_PRONOUNS``); "this", "that", "there" are left
# out: far more often a determiner or "there is" than a reference.
_REFERRING_RE = re.compile(rf"\b(?:{'|'.join(REFERRING_PRONOUNS)})\b", re.I)


def unresolved_pronoun_note(question: str, has_names: bool, searched: str) -> str:
    """The note for a first message whose pronoun has nothing earlier to refer to ("How many
    members does it have?" with no conversation before it): which word, and what was searched
    instead. "" when the question names its topic itself (``has_names``: "Is it true that NATO
    …?") or holds no such pronoun."""
    match = _REFERRING_RE.search(question)
    if match is None or has_names:
        return ""
    return (
        f"“{match.group(0)}” has nothing earlier in the conversation to refer to, so this searched "
        f"for “{searched}” as written; name what you mean for a surer answer."
    )


def about_topic(question: str) -> str | None:
    """The topic of "What does the article say about X?" (X), or None for any other question."""
    match = ABOUT_FRAME_RE.match(question)
    return match.group("topic") if match else None


def without_document_frame(question: str) -> str:
    """``question`` without words naming the document as its speaker: "Which terrorist groups
    does the article mention?" -> "Which terrorist groups?"."""
    return _SPACE_BEFORE_MARK_RE.sub(r"\1", " ".join(DOCUMENT_FRAME_RE.sub(" ", question).split()))


# "Which terrorist groups ?" once the frame is out: the mark goes back against the last word.
_SPACE_BEFORE_MARK_RE = re.compile(r"\s+([?.!,;:])")
