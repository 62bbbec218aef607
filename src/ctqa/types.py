"""Typed values that cross module boundaries: documents, passages, sentences, answers.

All offsets (`start`, `end`) are character offsets into a document's *cleaned* text
(`Document.text`), half-open: ``document.text[start:end]`` is exactly the cited text.
Every value is a frozen dataclass with ``to_dict()`` / ``from_dict()`` so it can be stored in
the index metadata and printed as JSON by the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["paragraph", "table_row", "faq", "list_item"]
CitationRole = Literal["answer", "supporting", "related", "closest"]
# What each role means to a reader, as the chat page and the CLI label a source.
CITATION_ROLE_LABELS: dict[str, str] = {
    "answer": "holds the answer",
    "supporting": "also relevant",
    "related": "related; does not state the answer",
    "closest": "does not support an answer",
}


@dataclass(frozen=True)
class Section:
    """A headed region of a document: ``text[start:end]`` covers the heading and its body."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """One unit of body text found by the structure parser (a paragraph, a table row, ...).

    ``table`` is the table's name for table rows (e.g. ``"Characteristics / Values"``), else ``""``.
    ``page`` is the 1-based page number for paged formats (PDF), else ``None``.
    """

    kind: BlockKind
    start: int
    end: int
    section: str
    table: str = ""
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """A cleaned corpus document.

    ``text`` is the cleaned text (boilerplate removed, table rows split into cells rewritten as ``"Label: Value"``);
    ``blocks`` index into it. ``sha256`` is the hash of the *source file* bytes, used by the
    index manifest to detect changes.
    """

    doc_id: str
    title: str
    path: str
    format: str
    text: str
    sha256: str
    sections: tuple[Section, ...] = ()
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A retrievable chunk: whole sentences of one block, never crossing a section.

    ``sentences`` holds ``(start, end)`` offsets of each sentence inside the document text.
    """

    doc_id: str
    title: str
    section: str
    kind: BlockKind
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    table: str = ""
    page: int | None = None
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        data = dict(data)
        data["sentences"] = tuple(tuple(pair) for pair in data["sentences"])
        return cls(**data)

    def context_header(self) -> str:
        """The title/section/table line prepended to the passage for embedding."""
        return " — ".join(part for part in (self.title, self.section_header()) if part)

    def section_header(self) -> str:
        """The section/table part of ``context_header`` (what BM25 reads with a passage of a long
        document: its title, repeated in every passage, would zero its words' idf;
        ``retrieval.derived._bm25_header``)."""
        parts = [self.section]
        if self.table and self.table != self.section:
            parts.append(self.table)
        return " — ".join(part for part in parts if part)


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from.

    ``start``/``end`` are character offsets of the cited passage in the cleaned document text;
    ``answer_spans`` are the offsets of the answer sentences inside that same text (a subset of
    the passage). ``score`` is the retrieval score of the passage (higher is better, not
    calibrated); ``supports_answer`` is false for "closest passages" shown with a declined answer;
    ``below_floor`` is true for a source after the first whose score is under the relevance
    floor (``AnswerSettings.source_floor``), which the CLI and the chat page do not list.

    ``role`` says why a source is where it is in the list: "answer" for the first source, the
    passage of the answer sentences, listed first whatever its score (the answer rules of
    ``answering.reorder`` may prefer a sentence the ranker scored lower than another passage's);
    then, by score from highest, "supporting" (scoring at least the abstention threshold) and
    "related" sources; "closest" for the nearest passages of a declined question. "" where no
    role was given (an overview's sources, which follow its items).
    """

    doc_id: str
    title: str
    section: str
    start: int
    end: int
    text: str
    score: float
    kind: str = "paragraph"
    path: str = ""
    page: int | None = None
    answer_spans: tuple[tuple[int, int], ...] = ()
    supports_answer: bool = True
    # other files holding the same passage text word for word (answering/duplicates.py)
    also_in: tuple[str, ...] = ()
    # a source after the first scoring under AnswerSettings.source_floor: listed only to fill
    # top-k; the CLI and the chat page leave it out (answering/floor.py), the API keeps it
    below_floor: bool = False
    role: CitationRole | Literal[""] = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        data = dict(data)
        data["answer_spans"] = tuple(tuple(pair) for pair in data.get("answer_spans", ()))
        data["also_in"] = tuple(data.get("also_in", ()))
        return cls(**data)


@dataclass(frozen=True)
class ShortAnswer:
    """The exact fact that answers: a verbatim span of the answer sentence.

    ``document.text[start:end] == text`` (offsets into the cleaned text of ``doc_id``, like a
    citation's); ``answer_type`` is what the question asked for ("number", "date", "person",
    "organisation", "place", "country", "money", "leader", "acronym").
    """

    text: str
    start: int
    end: int
    doc_id: str
    answer_type: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OverviewItem:
    """One entry of an overview (the answer to a broad question): verbatim corpus text.

    ``text`` is ``document.text[start:end]`` of document ``doc_id``: one sentence, or a sentence
    with the one before it when it opens with a pronoun that leans on it. ``citation`` is the
    1-based number of the entry of ``Answer.citations`` whose passage holds it; ``section`` is
    that passage's section heading.
    """

    text: str
    citation: int
    doc_id: str
    section: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The result of ``ask()``.

    ``text`` is the answer: one to three contiguous sentences copied verbatim from the corpus, or a
    plain "not in the documents" message when ``abstained``. ``citations`` are best first, the
    first one holding the answer sentences; when ``abstained`` is true ``citations`` is empty and
    ``closest`` lists the nearest passages (``supports_answer=False``), which do not answer. ``confidence`` is in [0, 1]: the calibrated probability that
    the first answer sentence holds the answer. ``query`` is the retrieval query actually used
    (after follow-up rewriting, acronym expansion and spelling correction). ``sentences`` are the answer
    sentences: the one that holds the answer first, then the sentences after it that continue it
    (``best_sentence`` indexes the answer sentence: 0, except in an overview). ``context`` is the
    sentence before the first when it cannot be read alone ("They …", "This …"): shown as
    context, not part of ``text`` nor of ``sentences``. ``short_answer`` is the
    exact fact (a number, date, name, place, acronym expansion or short list) inside the answer
    sentence, ``None`` when the question wants an explanation or no span of its type is found.
    ``declined_by`` names the declining rule (``answering.declining.DECLINE_RULES``) when
    ``abstained``. ``notes`` carries messages for the user, e.g. that an over-long question was
    truncated, or the reason for a decline.

    ``overview`` is filled for a broad question (``ctqa.answering.broad``): three to six
    sentences from different passages, in document order, each with its citation number; then
    ``text`` is their verbatim concatenation (joined by spaces), ``sentences`` their texts, and
    ``citations`` also lists, after the ``top_k`` best passages, every other passage it quotes.
    """

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    confidence: float
    query: str = ""
    sentences: list[str] = field(default_factory=list)
    closest: list[Citation] = field(default_factory=list)
    best_sentence: int = 0
    notes: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    short_answer: ShortAnswer | None = None
    context: str = ""
    declined_by: str = ""
    overview: list[OverviewItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [citation.to_dict() for citation in self.citations]
        data["closest"] = [citation.to_dict() for citation in self.closest]
        data["short_answer"] = self.short_answer.to_dict() if self.short_answer else None
        data["overview"] = [item.to_dict() for item in self.overview]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        data = dict(data)
        data["citations"] = [Citation.from_dict(c) for c in data.get("citations", [])]
        data["closest"] = [Citation.from_dict(c) for c in data.get("closest", [])]
        short = data.get("short_answer")
        data["short_answer"] = ShortAnswer(**short) if short else None
        data["overview"] = [OverviewItem(**item) for item in data.get("overview", [])]
        return cls(**data)
