"""The passages of a saved index as arrays, read one passage at a time.

A passage is stored as one row of integers (``passages.npy``: ids into the string tables of
``passage_fields.json``, its offsets and its number of sentences) plus its sentences' offsets
(``passage_sentences.npy``); its text is not stored, it is its document's text at its offsets.
Loading an index memory-maps the two arrays and builds no Python object per passage:
``PassageTable[i]`` makes passage ``i`` when it is read (a question reads its candidates only),
so the load of 100k passages takes no time and no memory per passage, where a JSON list of
passages took seconds to parse and some 200 MB to hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, cast, overload

import numpy as np

from ctqa.types import BlockKind, Document, Passage

ROWS = "passages.npy"
SENTENCES = "passage_sentences.npy"
FIELDS = "passage_fields.json"
# Columns of ``passages.npy``; the string ones are ids into ``passage_fields.json``'s table of
# the same name. ``page`` is -1 for a passage without a page.
STRING_COLUMNS = ("doc_id", "title", "section", "kind", "table", "path")
COLUMNS = (*STRING_COLUMNS, "page", "start", "end", "sentences")
_COLUMN = {name: number for number, name in enumerate(COLUMNS)}
NO_PAGE = -1
# Passages kept once made: answering reads the same candidates several times per question.
CACHE_SIZE = 4096


def passage_arrays(passages: Sequence[Passage]) -> tuple[np.ndarray, np.ndarray, dict[str, list[str]]]:
    """``(rows, sentence offsets, string tables)`` of ``passages``, as the index saves them."""
    tables: dict[str, dict[str, int]] = {name: {} for name in STRING_COLUMNS}
    rows = np.zeros((len(passages), len(COLUMNS)), dtype=np.int64)
    spans: list[tuple[int, int]] = []
    for number, passage in enumerate(passages):
        for column, name in enumerate(STRING_COLUMNS):
            table = tables[name]
            rows[number, column] = table.setdefault(getattr(passage, name), len(table))
        page = NO_PAGE if passage.page is None else passage.page
        rows[number, len(STRING_COLUMNS):] = (page, passage.start, passage.end, len(passage.sentences))
        spans.extend(passage.sentences)
    sentences = np.asarray(spans, dtype=np.int64).reshape(len(spans), 2)
    return rows, sentences, {name: list(table) for name, table in tables.items()}


def fields_bytes(fields: dict[str, list[str]]) -> bytes:
    return json.dumps(fields).encode()


class PassageTable(Sequence[Passage]):
    """Every passage of an index, made from the saved arrays when read.

    Args:
        rows: ``(n, len(COLUMNS))`` integers (``passages.npy``).
        sentences: ``(n_sentences, 2)`` sentence offsets in passage order.
        fields: the string tables (``passage_fields.json``).
        texts: document text by doc id (a passage's text is a slice of it).

    Raises:
        ValueError: the arrays do not fit together or with the documents (a wrong shape, an id
            outside its table, a passage outside its document's text, a sentence outside its
            passage); the message names the first passage at fault.
    """

    def __init__(self, rows: np.ndarray, sentences: np.ndarray, fields: dict[str, Any],
                 texts: dict[str, str]) -> None:
        self.rows = rows
        self.sentences = sentences
        self.fields: dict[str, list[str]] = {name: list(fields[name]) for name in STRING_COLUMNS}
        self._texts = texts
        self.sentence_offsets = np.concatenate([[0], np.cumsum(rows[:, _COLUMN["sentences"]])]).astype(np.int64) \
            if rows.ndim == 2 and rows.shape[1] == len(COLUMNS) else np.zeros(1, dtype=np.int64)
        self._check()
        self._cache: dict[int, Passage] = {}

    @classmethod
    def of(cls, passages: Sequence[Passage], documents: Sequence[Document]) -> PassageTable:
        """A table over ``passages`` held in memory (what ``save_index`` writes, read back)."""
        rows, sentences, fields = passage_arrays(passages)
        return cls(rows, sentences, fields, {d.doc_id: d.text for d in documents})

    def _check(self) -> None:
        rows, sentences = self.rows, self.sentences
        if rows.ndim != 2 or rows.shape[1] != len(COLUMNS) or sentences.ndim != 2 or sentences.shape[1] != 2:
            raise ValueError(f"passage arrays of shapes {rows.shape} and {sentences.shape}, "
                             f"not (n, {len(COLUMNS)}) and (m, 2)")
        for column, name in enumerate(STRING_COLUMNS):
            ids = rows[:, column]
            bad = np.flatnonzero((ids < 0) | (ids >= len(self.fields[name])))
            if len(bad):
                raise ValueError(f"passage {int(bad[0])} has no {name} (id {int(ids[bad[0]])})")
        counts = rows[:, _COLUMN["sentences"]]
        if (counts < 0).any() or int(counts.sum()) != len(sentences):
            raise ValueError(f"the passages count {int(counts.sum())} sentences, the file holds {len(sentences)}")
        doc_ids = self.fields["doc_id"]
        missing = [doc for doc in doc_ids if doc not in self._texts]
        lengths = np.asarray([len(self._texts.get(doc, "")) for doc in doc_ids], dtype=np.int64)
        starts, ends = rows[:, _COLUMN["start"]], rows[:, _COLUMN["end"]]
        outside = (starts < 0) | (ends < starts) | (ends > lengths[rows[:, 0]]) if len(rows) else np.zeros(0, bool)
        if missing:
            outside |= np.isin(rows[:, 0], [doc_ids.index(doc) for doc in missing])
        owner = np.repeat(np.arange(len(rows)), counts)
        inside = (sentences[:, 0] >= starts[owner]) & (sentences[:, 0] <= sentences[:, 1]) & (sentences[:, 1] <= ends[owner])
        outside[owner[~inside]] = True
        bad = np.flatnonzero(outside)
        if len(bad):
            raise PassageMismatch(int(bad[0]), doc_ids[int(rows[bad[0], 0])])

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Passage: ...

    @overload
    def __getitem__(self, index: slice) -> list[Passage]: ...

    def __getitem__(self, index: int | slice) -> Passage | list[Passage]:
        if isinstance(index, slice):
            return [self[number] for number in range(*index.indices(len(self)))]
        number = int(index)
        if number < 0:
            number += len(self)
        if not 0 <= number < len(self):
            raise IndexError(f"passage {index} of {len(self)}")
        passage = self._cache.get(number)
        if passage is None:
            passage = self._make(number)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[number] = passage
        return passage

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same passages in the same order (a list among them)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside, compared by content

    def __iter__(self) -> Iterator[Passage]:
        for number in range(len(self)):
            yield self._make(number)

    def _make(self, number: int) -> Passage:
        doc, title, section, kind, table, path, page, start, end, _ = self.rows[number].tolist()
        first, stop = int(self.sentence_offsets[number]), int(self.sentence_offsets[number + 1])
        fields = self.fields
        doc_id = fields["doc_id"][doc]
        return Passage(
            doc_id=doc_id,
            title=fields["title"][title],
            section=fields["section"][section],
            kind=cast(BlockKind, fields["kind"][kind]),
            start=start,
            end=end,
            text=self._texts[doc_id][start:end],
            sentences=tuple((s, e) for s, e in self.sentences[first:stop].tolist()),
            table=fields["table"][table],
            page=None if page == NO_PAGE else page,
            path=fields["path"][path],
        )

    def doc_ids(self) -> list[str]:
        """The doc id of every passage, in order (without making the passages)."""
        names = self.fields["doc_id"]
        return [names[number] for number in self.rows[:, 0].tolist()]

    def kinds(self) -> np.ndarray:
        """The kind of every passage, in order."""
        return np.asarray(self.fields["kind"], dtype=object)[self.rows[:, _COLUMN["kind"]]]


def passage_doc_ids(passages: Sequence[Passage]) -> list[str]:
    """The doc id of every passage, in order; from a ``PassageTable`` without making passages."""
    if isinstance(passages, PassageTable):
        return passages.doc_ids()
    return [passage.doc_id for passage in passages]


class PassageMismatch(ValueError):
    """A passage whose offsets are not inside its document's text (or a sentence not inside it)."""

    def __init__(self, number: int, doc_id: str) -> None:
        super().__init__(f"passage {number} does not match the text of {doc_id}")
        self.number, self.doc_id = number, doc_id
