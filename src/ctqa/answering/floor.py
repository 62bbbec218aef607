"""The relevance floor of an answer's sources: one rule for ``ctqa.ask()``, the CLI and the page.

An answer lists up to top-k sources; after the first (which holds the answer), a passage whose
score is under ``AnswerSettings.source_floor`` was listed only to fill top-k. ``DocumentQA.ask``
marks such a citation ``below_floor`` (the API keeps every source, marked); the CLI and the chat
page show an answer through ``above_floor``, which leaves the marked ones out and says so.

A declined answer is not marked (its closest passages are headed as not answering), nor is an
overview, whose items point at their sources by number.
"""

from __future__ import annotations

from dataclasses import replace

from ctqa.types import Answer


def _exempt(answer: Answer) -> bool:
    return answer.abstained or not answer.citations or bool(answer.overview)


def mark_floor(answer: Answer, floor: float) -> Answer:
    """``answer`` with every source after the first that scores under ``floor`` marked ``below_floor``."""
    if _exempt(answer):
        return answer
    first, *rest = answer.citations
    marked = [first, *(replace(c, below_floor=c.score < floor) for c in rest)]
    return replace(answer, citations=marked)


def above_floor(answer: Answer, top_k: int, floor: float) -> Answer:
    """``answer`` as shown to a person: the sources under ``floor`` left out, and a note saying
    how many of ``top_k`` are shown when fewer (the first source is always kept)."""
    if _exempt(answer):
        return answer
    marked = mark_floor(answer, floor)
    kept = [c for c in marked.citations if not c.below_floor]
    if len(kept) == len(answer.citations) and len(kept) >= top_k:
        return answer
    shown = f"{len(kept)} source{'s' if len(kept) != 1 else ''}"
    note = f"{shown} of the {top_k} asked for: the other passages score under the relevance floor ({floor:.0%})."
    return replace(answer, citations=kept, notes=[*answer.notes, note])
