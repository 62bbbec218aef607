"""``CorpusView``: what answering reads of a loaded index, built once per load.

Answering scores sentences against the passages' tokens, idf and sentence vectors; it never
reaches into the retriever or the ingest code. ``CorpusView.of`` is the one place that reads
them from a ``HybridRetriever``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, TypeVar

import numpy as np

from ctqa.ingest.structure import split_table_row
from ctqa.retrieval.acronyms import AcronymForm, acronym_forms_by_token
from ctqa.retrieval.hybrid import HybridRetriever
from ctqa.types import Passage

RowT = TypeVar("RowT", covariant=True)


class Rows(Protocol[RowT]):
    """Rows read by number: a list, or the index's memory-mapped token tables
    (``retrieval.derived.TokenTable`` / ``SentenceTokens``), which decode a row only when read."""

    def __getitem__(self, row: int, /) -> RowT: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class CorpusView:
    """The passages of one loaded index and the token views answering scores them with.

    ``sentence_tokens[pid][n]`` are sentence ``n``'s own tokens; ``sentence_context_tokens``
    add the acronym forms and, for a sentence that opens with a pronoun, its antecedent's
    tokens. ``idf`` is BM25's idf of a token; ``vocabulary`` the tokens BM25 knows.
    ``row_values[pid]`` is the value of a table-row passage ("93"), "" for other passages.
    ``passages_of(doc_ids)`` are the ids of the passages of those documents (``document_tokens``
    reads a whole file's words through it).
    """

    passages: Sequence[Passage]
    passage_tokens: Rows[list[str]]
    sentence_tokens: Rows[list[list[str]]]
    sentence_context_tokens: Rows[list[list[str]]]
    vocabulary: frozenset[str]
    idf: Callable[[str], float]
    acronyms: dict[str, str]
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray
    row_values: Rows[str]
    passages_of: Callable[[set[str]], Sequence[int] | np.ndarray]
    # document_tokens' cache: a document's tokens are read once per loaded index
    _document_tokens: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, retriever: HybridRetriever) -> CorpusView:
        """The view of ``retriever``'s index (call once per loaded index)."""
        index = retriever.index
        return cls(
            passages=index.passages,
            passage_tokens=retriever.passage_tokens,
            sentence_tokens=retriever.sentence_tokens,
            sentence_context_tokens=retriever.sentence_context_tokens,
            vocabulary=retriever.bm25.vocabulary,
            idf=retriever.bm25.idf,
            acronyms=retriever.rewriter.acronyms,
            sentence_vectors=index.sentence_vectors,
            sentence_offsets=index.sentence_offsets,
            row_values=RowValues(index.passages),
            passages_of=retriever.passages_of,
        )

    @cached_property
    def acronym_forms(self) -> dict[str, list[AcronymForm]]:
        """The corpus's acronyms by the tokens they are written as (built on first use, once per
        loaded index: ``retrieval.acronyms.acronym_forms_by_token``)."""
        return acronym_forms_by_token(self.acronyms)

    def document_tokens(self, doc_id: str) -> frozenset[str]:
        """Every token of document ``doc_id``'s passages, section headers included (read once,
        on the first question whose answer comes from it)."""
        tokens = self._document_tokens.get(doc_id)
        if tokens is None:
            tokens = frozenset(t for pid in self.passages_of({doc_id}) for t in self.passage_tokens[int(pid)])
            self._document_tokens[doc_id] = tokens
        return tokens

    def sentence_text(self, passage_id: int, number: int) -> str:
        passage = self.passages[passage_id]
        start, end = passage.sentences[number]
        return passage.text[start - passage.start : end - passage.start]


class RowValues:
    """``values[pid]``: the value of passage ``pid`` when it is a table row, else "" (read when
    asked, so a load does nothing per passage)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages

    def __len__(self) -> int:
        return len(self.passages)

    def __getitem__(self, pid: int) -> str:
        return _row_value(self.passages[pid])


def _row_value(passage: Passage) -> str:
    if passage.kind != "table_row":
        return ""
    parsed = split_table_row(passage.text)
    return parsed.value if parsed else passage.text.rsplit(":", 1)[-1].strip()
