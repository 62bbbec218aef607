"""Identical passages from different files are cited once, naming every file that holds them.

A corpus often holds the same text twice (a page saved under two names, a report and its
copy). Citing both spends two of the ``top_k`` places on one text; the first (best-ranked)
citation is kept and the other files are listed in its ``also_in``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from ctqa.types import Citation

_SPACE_RE = re.compile(r"\s+")


def normalised(text: str) -> str:
    """``text`` compared for sameness: Unicode NFKC, case folded, runs of white space as one."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def merge_duplicates(citations: list[Citation]) -> list[Citation]:
    """``citations`` in order with each repeated text kept once, at its best rank; the doc ids
    of the dropped repeats (other files only) are added to the kept citation's ``also_in``."""
    kept: list[Citation] = []
    where: dict[str, int] = {}
    for citation in citations:
        key = normalised(citation.text)
        if key not in where:
            where[key] = len(kept)
            kept.append(citation)
            continue
        first = kept[where[key]]
        if citation.doc_id != first.doc_id and citation.doc_id not in first.also_in:
            kept[where[key]] = replace(first, also_in=(*first.also_in, citation.doc_id))
    return kept
