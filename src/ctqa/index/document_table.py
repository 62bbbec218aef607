"""The documents of a saved index, made when read.

``documents.json`` holds each document's text and metadata and its sections; its blocks (one
per paragraph or table row, as many as the passages) are rows of integers in
``document_blocks.npy`` with their strings in tables. Answering reads a document's text and
title, never its blocks (only a build reads blocks, from the corpus), so a load makes no Python
object per block: ``DocumentTable[doc_id]`` makes the ``Document`` when it is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import numpy as np

from ctqa.types import Block, BlockKind, Document, Section

BLOCKS = "document_blocks.npy"
STRING_COLUMNS = ("kind", "section", "table")
COLUMNS = (*STRING_COLUMNS, "start", "end", "page")
NO_PAGE = -1


def documents_bytes(documents: Sequence[Document]) -> tuple[bytes, np.ndarray]:
    """``documents.json`` and the block rows of ``documents``, as the index saves them."""
    tables: dict[str, dict[str, int]] = {name: {} for name in STRING_COLUMNS}
    rows: list[tuple[int, ...]] = []
    records = []
    for document in documents:
        for block in document.blocks:
            ids = tuple(tables[name].setdefault(getattr(block, name), len(tables[name])) for name in STRING_COLUMNS)
            rows.append((*ids, block.start, block.end, NO_PAGE if block.page is None else block.page))
        records.append({
            "doc_id": document.doc_id, "title": document.title, "path": document.path, "format": document.format,
            "text": document.text, "sha256": document.sha256,
            "sections": [[s.title, s.start, s.end] for s in document.sections], "blocks": len(document.blocks),
        })
    fields = {name: list(table) for name, table in tables.items()}
    data = json.dumps({"documents": records, "block_fields": fields}).encode()
    return data, np.asarray(rows, dtype=np.int64).reshape(len(rows), len(COLUMNS))


class DocumentTable(Mapping[str, Document]):
    """doc id -> ``Document``, made from ``documents.json``'s records and the block rows.

    Raises:
        ValueError: the records and the block rows do not fit together (their counts, a
            string id outside its table); a record without a field raises ``KeyError``.
    """

    def __init__(self, meta: dict[str, Any], blocks: np.ndarray) -> None:
        self._records = {record["doc_id"]: record for record in meta["documents"]}
        self._fields: dict[str, list[str]] = {name: list(meta["block_fields"][name]) for name in STRING_COLUMNS}
        counts = [int(record["blocks"]) for record in meta["documents"]]
        if blocks.ndim != 2 or blocks.shape[1] != len(COLUMNS) or sum(counts) != len(blocks):
            raise ValueError(f"document blocks of shape {blocks.shape} for {sum(counts)} blocks")
        for column, name in enumerate(STRING_COLUMNS):
            ids = blocks[:, column]
            if len(ids) and (ids.min() < 0 or ids.max() >= len(self._fields[name])):
                raise ValueError(f"a document block has no {name}")
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._spans = {doc_id: (int(starts[n]), int(starts[n + 1])) for n, doc_id in enumerate(self._records)}
        self._blocks = blocks
        self._made: dict[str, Document] = {}
        self.texts: dict[str, str] = {doc_id: record["text"] for doc_id, record in self._records.items()}

    def __getitem__(self, doc_id: str) -> Document:
        document = self._made.get(doc_id)
        if document is None:
            document = self._make(doc_id)  # raises KeyError for an unknown doc id
            self._made[doc_id] = document
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def _make(self, doc_id: str) -> Document:
        record = self._records[doc_id]
        first, stop = self._spans[doc_id]
        kinds, sections, tables = (self._fields[name] for name in STRING_COLUMNS)
        blocks = tuple(
            Block(cast(BlockKind, kinds[kind]), start, end, sections[section], tables[table],
                  None if page == NO_PAGE else page)
            for kind, section, table, start, end, page in self._blocks[first:stop].tolist()
        )
        return Document(
            doc_id=doc_id, title=record["title"], path=record["path"], format=record["format"], text=record["text"],
            sha256=record["sha256"], sections=tuple(Section(t, s, e) for t, s, e in record["sections"]), blocks=blocks,
        )
