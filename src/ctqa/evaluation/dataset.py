"""Evaluation questions: the JSONL format of ``eval/article_questions.jsonl`` (see eval/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class EvalQuestion:
    """One question. ``evidence`` strings are exact corpus substrings; the answer is right when
    any of them is inside the answer text. ``answerable=False`` means ctqa should decline."""

    id: str
    question: str
    category: str
    answerable: bool
    evidence: tuple[str, ...] = ()
    answer: str | None = None
    section: str | None = None
    history: tuple[dict[str, str], ...] = ()
    faq_answer: str | None = None
    # A broad question's reference answer, as sentences of the corpus (eval/broad_questions.jsonl).
    reference: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL question file; raises ``ValueError`` naming the line of a malformed entry."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(data["id"]),
                    question=str(data["question"]),
                    category=str(data.get("category", "")),
                    answerable=bool(data.get("answerable", bool(data.get("evidence")))),
                    evidence=tuple(data.get("evidence") or ()),
                    answer=data.get("answer"),
                    section=data.get("section"),
                    history=tuple(data.get("history") or ()),
                    faq_answer=data.get("faq_answer"),
                    reference=tuple(data.get("reference") or ()),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a valid question ({error})") from error
    return questions
