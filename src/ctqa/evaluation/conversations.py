"""Conversations: every turn asked with the history of the turns before, as ctqa answered them.

``eval/conversations.jsonl`` holds one conversation a line: ``{"id", "turns": [{"question",
"answerable", "evidence", "kind"}]}`` (see eval/README.md). A turn is right when ctqa declines
an unanswerable one, or answers an answerable one with a gold evidence string in the answer
text. The history a turn sees is the earlier questions and ctqa's own answers to them, as in
the chat page, so one wrong turn can mislead the next. First turns and later turns are scored
apart, and the later ones by ``kind`` (pronoun, ellipsis, shift, return, interjection).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from ctqa.evaluation.metrics import contains_any
from ctqa.qa import DocumentQA

KINDS = ("first", "pronoun", "ellipsis", "shift", "return", "interjection")


@dataclass(frozen=True)
class Turn:
    question: str
    answerable: bool
    evidence: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class TurnResult:
    conversation: str
    number: int
    kind: str
    question: str
    right: bool
    answer: str
    query: str


def is_conversation_file(path: Path) -> bool:
    """Whether ``path`` is a conversation set (its first entry has "turns")."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            return '"turns"' in line
    return False


def load_conversations(path: Path) -> list[Conversation]:
    """Read a conversation JSONL file; ``ValueError`` names the line of a malformed entry."""
    conversations = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            turns = tuple(
                Turn(str(t["question"]), bool(t["answerable"]), tuple(t.get("evidence") or ()), str(t["kind"]))
                for t in data["turns"]
            )
            if not turns or any(t.kind not in KINDS or (t.answerable and not t.evidence) for t in turns):
                raise ValueError(f"turns need a kind among {', '.join(KINDS)} and answerable ones evidence")
            conversations.append(Conversation(str(data["id"]), turns))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a valid conversation ({error})") from error
    return conversations


def evaluate_conversations(qa: DocumentQA, conversations: list[Conversation]) -> list[TurnResult]:
    results = []
    for conversation in conversations:
        history: list[dict[str, str]] = []
        for number, turn in enumerate(conversation.turns, start=1):
            answer = qa.ask(turn.question, history=history or None)
            if turn.answerable:
                right = not answer.abstained and contains_any(answer.text, turn.evidence)
            else:
                right = answer.abstained
            results.append(
                TurnResult(conversation.id, number, turn.kind, turn.question, right, answer.text, answer.query)
            )
            history += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": answer.text}]
    return results


def summarize_turns(results: list[TurnResult]) -> dict[str, float]:
    """Share of turns right: first turns, later turns, and later turns by kind."""

    def share(rows: list[TurnResult]) -> float:
        return round(statistics.fmean(float(r.right) for r in rows), 4) if rows else float("nan")

    first = [r for r in results if r.number == 1]
    later = [r for r in results if r.number > 1]
    summary = {
        "conversations": float(len(first)),
        "turns": float(len(results)),
        "first turns right": share(first),
        "later turns right": share(later),
    }
    for kind in KINDS[1:]:
        summary[f"later turns right: {kind}"] = share([r for r in later if r.kind == kind])
    return summary
