"""What retrieval and answering derive from the passages, computed once at build time.

Tokens of every passage and sentence, the BM25 term weights, the corpus's acronym definitions,
the initials of its capitalised phrases and its word counts depend only on the indexed text, so
the builder computes them (``derive_state``) and the index stores them beside the vectors
(``ctqa.index.store``). Loading an index reads them back — the large arrays memory-mapped — and
never re-tokenises the corpus.

Token lists are stored flat (``TokenTable``): one id array into a shared token list, and the
offset of each row, so a question reads only the rows of its candidate passages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ctqa.config import RetrievalSettings
from ctqa.retrieval.acronyms import learn_acronyms, learn_initialisms
from ctqa.retrieval.sparse import BM25State
from ctqa.retrieval.text import opens_with_reference, tokenize, words
from ctqa.types import Document, Passage


@dataclass(frozen=True)
class TokenTable:
    """Token lists stored flat: row ``i`` is ``[tokens[j] for j in ids[offsets[i]:offsets[i + 1]]]``."""

    tokens: Sequence[str]
    ids: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_lists(cls, rows: Iterable[list[str]], token_ids: dict[str, int]) -> TokenTable:
        """Encode ``rows`` with ``token_ids`` (extended in place with unseen tokens)."""
        flat: list[int] = []
        offsets = [0]
        for row in rows:
            for token in row:
                flat.append(token_ids.setdefault(token, len(token_ids)))
            offsets.append(len(flat))
        return cls(list(token_ids), np.asarray(flat, dtype=np.int32), np.asarray(offsets, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> list[str]:
        tokens = self.tokens
        return [tokens[j] for j in self.ids[self.offsets[row] : self.offsets[row + 1]].tolist()]

    def rows(self, first: int, stop: int) -> list[list[str]]:
        """Rows ``first`` to ``stop - 1``."""
        return [self[row] for row in range(first, stop)]


class SentenceTokens:
    """``view[pid][number]``: the tokens of sentence ``number`` of passage ``pid``, read from a
    ``TokenTable`` with one row per sentence (in passage order) only when asked."""

    def __init__(self, table: TokenTable, sentence_offsets: np.ndarray) -> None:
        self.table = table
        self.sentence_offsets = sentence_offsets

    def __len__(self) -> int:
        return len(self.sentence_offsets) - 1

    def __getitem__(self, pid: int) -> list[list[str]]:
        return self.table.rows(int(self.sentence_offsets[pid]), int(self.sentence_offsets[pid + 1]))


@dataclass(frozen=True)
class DerivedState:
    """Everything retrieval derives from the indexed text (see the module docstring).

    ``passage_tokens``: one row per passage, its context header and text (answer features,
    asked names). ``sentence_tokens``: one row per sentence, in passage order. ``context_tokens``:
    the same sentences with the previous sentence's tokens when they open with a reference, and
    the other form of each acronym they hold. ``bm25``: BM25 over section header and text.
    ``acronyms``: acronym -> long form. ``initialisms``: folded initials -> the capitalised
    phrase they abbreviate, for phrases the corpus writes but never abbreviates ("doj" ->
    "Department of Justice", ``acronyms.learn_initialisms``). ``vocabulary``: folded word ->
    passages containing it.
    """

    passage_tokens: TokenTable
    sentence_tokens: TokenTable
    context_tokens: TokenTable
    bm25: BM25State
    acronyms: dict[str, str]
    initialisms: dict[str, str]
    vocabulary: dict[str, int]


@dataclass(frozen=True)
class PreviousState:
    """What a build can keep from the index it replaces: that index's derived state, passages
    and ``sentence_offsets``, and ``rows``: for each passage of the new build, its row in that
    index when the passage is kept unchanged (its document's file is unchanged), else None."""

    state: DerivedState
    passages: Sequence[Passage]
    sentence_offsets: np.ndarray
    rows: Sequence[int | None]


def derive_state(
    documents: Iterable[Document],
    passages: Sequence[Passage],
    previous: PreviousState | None = None,
    *,
    title_max_passages: int = RetrievalSettings.bm25_title_max_passages,
) -> DerivedState:
    """Compute the ``DerivedState`` of an index's documents and passages.

    With ``previous``, the tokens of kept passages and their sentences are read from the index
    being replaced and the word counts are updated by the passages added and dropped, so adding
    one document to a corpus tokenises that document's passages only. The acronyms and the
    initials of capitalised phrases (read from the documents' text), the context tokens (they
    depend on the corpus's acronyms) and BM25 (its idf depends on every passage) are
    recomputed. The result equals a full derive (``tests/test_derived_state.py``).
    ``title_max_passages``: see ``_bm25_header``.
    """
    size = Counter(p.doc_id for p in passages)
    rows = previous.rows if previous is not None else [None] * len(passages)
    token_ids: dict[str, int] = {}
    headers = _HeaderTokens()
    # tokenize() of "header text" is tokenize(header) + tokenize(text): no token spans a space
    text_tokens = [
        tokenize(p.text) if row is None or previous is None else _kept_text_tokens(previous, row, headers(p.context_header()))
        for p, row in zip(passages, rows, strict=True)
    ]
    passage_tokens = TokenTable.from_lists(
        (headers(p.context_header()) + tokens for p, tokens in zip(passages, text_tokens, strict=True)), token_ids
    )
    per_passage = [
        [tokenize(p.text[s - p.start : e - p.start]) for s, e in p.sentences]
        if row is None or previous is None
        else previous.state.sentence_tokens.rows(int(previous.sentence_offsets[row]), int(previous.sentence_offsets[row + 1]))
        for p, row in zip(passages, rows, strict=True)
    ]
    sentence_tokens = TokenTable.from_lists((tokens for sentences in per_passage for tokens in sentences), token_ids)
    texts = [document.text for document in documents]
    acronyms = learn_acronyms(texts)
    vocabulary = _vocabulary(passages, rows, previous)
    forms = AcronymForms.from_definitions(acronyms)
    context_tokens = TokenTable.from_lists(
        (forms.add_to(tokens) for p, sentences in zip(passages, per_passage, strict=True) for tokens in _with_antecedent(p, sentences)),
        token_ids,
    )
    bm25 = BM25State.build(
        [headers(_bm25_header(p, size, title_max_passages)) + tokens for p, tokens in zip(passages, text_tokens, strict=True)]
    )
    tokens = list(token_ids)
    return DerivedState(
        passage_tokens=TokenTable(tokens, passage_tokens.ids, passage_tokens.offsets),
        sentence_tokens=TokenTable(tokens, sentence_tokens.ids, sentence_tokens.offsets),
        context_tokens=TokenTable(tokens, context_tokens.ids, context_tokens.offsets),
        bm25=bm25,
        acronyms=acronyms,
        initialisms=learn_initialisms(texts, acronyms, vocabulary),
        vocabulary=vocabulary,
    )


def _bm25_header(passage: Passage, document_passages: Counter[str], title_max_passages: int) -> str:
    """The header BM25 reads with ``passage``: its section/table, and the document title when the
    document has at most ``title_max_passages`` passages.

    The title of a long document is left out: repeated in every one of its many passages, it
    would drive the idf of the document's own topic words to zero ("states", "cooperate" and
    "fight" in "Fighting Terrorism: States' Strategies ... Cooperation") and hide the passage
    that uses them. A short document's title (a paper's, over its abstract) names what every
    one of its few passages is about, and is the words a query about it uses. The dense side
    reads the title in every passage's header.
    """
    if document_passages[passage.doc_id] <= title_max_passages:
        return passage.context_header()
    return passage.section_header()


class _HeaderTokens:
    """``tokenize`` of a passage header, once per distinct header (every passage of a section
    shares one)."""

    def __init__(self) -> None:
        self.known: dict[str, list[str]] = {}

    def __call__(self, header: str) -> list[str]:
        if header not in self.known:
            self.known[header] = tokenize(header)
        return self.known[header]


def _kept_text_tokens(previous: PreviousState, row: int, header: list[str]) -> list[str]:
    """The tokens of kept passage ``row``'s text: its stored passage tokens after its header's."""
    return previous.state.passage_tokens[row][len(header) :]


def _passage_words(passage: Passage) -> set[str]:
    return set(words(f"{passage.section} {passage.text}"))


def _vocabulary(passages: Sequence[Passage], rows: Sequence[int | None], previous: PreviousState | None) -> dict[str, int]:
    """Folded word -> number of passages holding it; with ``previous``, its counts less the
    passages not kept, plus the new ones."""
    vocabulary: Counter[str] = Counter()
    if previous is not None:
        vocabulary.update(previous.state.vocabulary)
        kept = {row for row in rows if row is not None}
        for number, old in enumerate(previous.passages):
            if number not in kept:
                vocabulary.subtract(_passage_words(old))
    for passage, row in zip(passages, rows, strict=True):
        if row is None or previous is None:
            vocabulary.update(_passage_words(passage))
    # in sorted order: the words of a passage are a set, whose order varies with the process's
    # hash seed; the index files and the spelling corrector's ties must not
    return {word: vocabulary[word] for word in sorted(vocabulary) if vocabulary[word] > 0}


def _with_antecedent(passage: Passage, tokens: list[list[str]]) -> list[list[str]]:
    """Each sentence's tokens, plus the previous sentence's when it opens with a pronoun.

    "They collaborate with various partners ..." is about what the sentence before names
    (DHS); borrowing that sentence's words lets a question about DHS find it.
    """
    result = []
    for number, (start, end) in enumerate(passage.sentences):
        own = tokens[number]
        text = passage.text[start - passage.start : end - passage.start]
        if number > 0 and opens_with_reference(text):
            own = own + [t for t in tokens[number - 1] if t not in own]
        result.append(own)
    return result


@dataclass(frozen=True)
class AcronymForms:
    """The two token forms of each acronym a corpus defines, found from a sentence's own tokens
    (one dictionary lookup per token, so the cost does not grow with the number of acronyms)."""

    by_short: dict[str, tuple[str, ...]]
    by_long_start: dict[str, list[tuple[str, tuple[str, ...]]]]

    @classmethod
    def from_definitions(cls, acronyms: dict[str, str]) -> AcronymForms:
        """From ``{acronym: long form}`` (``retrieval.acronyms.learn_acronyms``)."""
        by_short: dict[str, tuple[str, ...]] = {}
        by_long_start: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for acronym, long_form in acronyms.items():
            short, long = tokenize(acronym), tuple(tokenize(long_form))
            if len(short) == 1 and long:
                by_short[short[0]] = long
                by_long_start.setdefault(long[0], []).append((short[0], long))
        return cls(by_short, by_long_start)

    def add_to(self, tokens: list[str]) -> list[str]:
        """``tokens`` plus the other form of each defined acronym they hold.

        "DHS focuses on detection ..." answers "what does the Department of Homeland Security
        focus on?": the sentence is scored as if it also said the long form (and the reverse).
        """
        present = set(tokens)
        extra: list[str] = []
        # in the tokens' own order (not the set's, which changes with the hash seed), so that two
        # builds of one corpus write the same context tokens
        for token in dict.fromkeys(tokens):
            for other in self.by_short.get(token, ()):
                if other not in present and other not in extra:
                    extra.append(other)
            for short, long in self.by_long_start.get(token, ()):
                if short not in present and short not in extra and present.issuperset(long):
                    extra.append(short)
        return tokens + extra if extra else tokens
