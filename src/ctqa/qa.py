"""``DocumentQA``: one corpus folder + one index folder, answering questions with citations.

The pipeline of ``ask``: clean the question → plan the query (follow-up, acronyms, spelling)
→ hybrid retrieval → sentence ranking → answer or decline. The index is checked against the
corpus before use; a missing, stale or corrupt index is rebuilt (``auto_build=True``, the user
is told through ``DocumentQA.messages`` and the log) or reported (``auto_build=False``).
"""

from __future__ import annotations

import logging
import operator
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ctqa.answering.broad import is_broad
from ctqa.answering.extract import (
    NOT_FOUND,
    answer_span,
    citation_for,
    lacks_asked_type,
    missing_names,
    passage_order,
    prefer_first_mention,
    prefer_prose,
    score_sentences,
)
from ctqa.answering.overview import with_overview
from ctqa.answering.ranker import SentenceRanker, default_ranker
from ctqa.config import DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR, Settings
from ctqa.embedding import Embedder, shared_embedder
from ctqa.errors import IndexCorruptError, IndexError_, IndexStaleError, IndexWriteError
from ctqa.index.builder import BuildReport, build_index, staleness_reasons
from ctqa.index.store import IndexData, load_index, read_manifest
from ctqa.ingest.loader import corpus_files
from ctqa.retrieval.hybrid import Fusion, HybridRetriever
from ctqa.retrieval.query import AskedName, clean_question
from ctqa.types import Answer, Citation

logger = logging.getLogger(__name__)

# How often (seconds) ``ask`` re-checks the corpus folder for edits; a stat of every file.
CORPUS_CHECK_INTERVAL = 2.0


def default_index_dir(corpus_dir: Path) -> Path:
    """``index/`` for the project's corpus; ``<corpus_dir>/.ctqa-index`` for any other folder
    (hidden folders are not read as documents)."""
    if corpus_dir.resolve() == DEFAULT_CORPUS_DIR.resolve():
        return DEFAULT_INDEX_DIR
    return corpus_dir / ".ctqa-index"


@dataclass(frozen=True)
class _Loaded:
    retriever: HybridRetriever
    corpus_signature: tuple[tuple[str, int, int], ...]


class DocumentQA:
    """Question answering over the documents of ``corpus_dir``, indexed in ``index_dir``.

    Args:
        corpus_dir: folder of documents (default: the project's ``corpus/``).
        index_dir: folder of the built index (default: the project's ``index/`` for the
            project's corpus, else a hidden ``.ctqa-index/`` inside ``corpus_dir``, so another
            corpus never overwrites the project's index).
        settings: chunking, retrieval and answer settings (default ``Settings()``).
        embedder: the embedding model; by default one shared per process.
        auto_build: build or rebuild the index when it is missing, stale or corrupt; when
            false, those raise ``IndexMissingError`` / ``IndexStaleError`` / ``IndexCorruptError``.
        fusion: how dense and BM25 candidates are fused. "weighted" (default): 0.5 × cosine +
            0.5 × BM25/best BM25; measured better than "rrf" on both eval sets (README, "Quality"):
            RRF buries a passage that only one retriever ranks first.
    """

    def __init__(
        self,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        ranker: SentenceRanker | None = None,
        auto_build: bool = True,
        fusion: Fusion = "weighted",
    ) -> None:
        self.corpus_dir = Path(corpus_dir) if corpus_dir else DEFAULT_CORPUS_DIR
        self.index_dir = Path(index_dir) if index_dir else default_index_dir(self.corpus_dir)
        self.settings = settings or Settings()
        self._embedder = embedder
        self.ranker = ranker or default_ranker()
        self.auto_build = auto_build
        self.fusion: Fusion = fusion
        self.messages: list[str] = []
        self.last_build: BuildReport | None = None
        self._lock = threading.RLock()
        self._loaded: _Loaded | None = None
        self._checked_at = 0.0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder

    # -- index lifecycle -------------------------------------------------------------------

    def build(self, *, show_progress: bool = False) -> BuildReport:
        """Build or update the index now (incremental: unchanged documents are not re-embedded)."""
        with self._lock:
            report = build_index(
                self.corpus_dir, self.index_dir, self.embedder, self.settings.chunk, show_progress=show_progress
            )
            self.last_build = report
            self._loaded = None
            return report

    def _signature(self) -> tuple[tuple[str, int, int], ...]:
        signature = []
        for path in corpus_files(self.corpus_dir):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed since it was listed: absent from the signature
                continue
            signature.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
        return tuple(signature)

    def ensure_ready(self, *, show_progress: bool = False) -> HybridRetriever:
        """The retriever over a fresh index, (re)building first when needed and allowed."""
        with self._lock:
            now = time.monotonic()
            loaded = self._loaded
            if loaded is not None and now - self._checked_at < CORPUS_CHECK_INTERVAL:
                return loaded.retriever
            signature = self._signature()
            self._checked_at = now
            if loaded is not None and loaded.corpus_signature == signature:
                return loaded.retriever
            # Forget the old index first: if loading or rebuilding fails, the next question must
            # fail too (and retry), never be answered from an index of text that has changed.
            self._loaded = None
            self._loaded = self._load_fresh(signature, show_progress)
            return self._loaded.retriever

    def _load_fresh(self, signature: tuple[tuple[str, int, int], ...], show_progress: bool) -> _Loaded:
        try:
            index = self._load_if_fresh()
        except IndexError_ as problem:
            if not self.auto_build:
                raise
            # the error's advice ("run `ctqa index`") is what happens next: only its reason is told
            message = f"{problem.reason} — rebuilding the index in {self.index_dir}"
            logger.warning(message)
            self.messages.append(message)
            try:
                report = build_index(
                    self.corpus_dir, self.index_dir, self.embedder, self.settings.chunk, show_progress=show_progress
                )
            except IndexWriteError as error:
                raise IndexWriteError(f"{problem} — and it cannot be rebuilt: {error}") from error
            self.last_build = report
            self.messages.append(f"index rebuilt: {report.summary()}")
            index = load_index(self.index_dir)
        return _Loaded(HybridRetriever(index, self.embedder, self.settings.retrieval), signature)

    def _load_if_fresh(self, *, retries: int = 2) -> IndexData:
        """The index, when it matches the corpus and settings; else the ``IndexError_`` saying why.

        A build in another process may replace the index while it is read (the old build folder
        is removed once the manifest has switched): a load that fails while the manifest changed
        under it is tried again on the new build, up to ``retries`` times.
        """
        reasons = staleness_reasons(self.index_dir, self.corpus_dir, self.settings.chunk)
        if reasons:
            raise IndexStaleError("index is stale: " + "; ".join(reasons))
        build_dir = read_manifest(self.index_dir).build_dir
        try:
            return load_index(self.index_dir)
        except IndexCorruptError:
            if retries <= 0 or read_manifest(self.index_dir).build_dir == build_dir:
                raise
            logger.info("the index in %s was replaced while it was read; reading the new one", self.index_dir)
            return self._load_if_fresh(retries=retries - 1)

    # -- answering -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        history: list[dict[str, str]] | None = None,
        top_k: int = 3,
        documents: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` from the corpus.

        Args:
            question: the user's question (at most ``AnswerSettings.max_question_chars``
                characters are used; longer ones are truncated and ``Answer.notes`` says so).
            history: earlier chat turns, ``[{"role": "user"|"assistant", "content": str}, ...]``;
                used only when the question leans on them (a follow-up).
            top_k: number of citations returned (best first), 1 to 20.
            documents: restrict the answer to these doc ids (paths relative to the corpus).

        Returns:
            ``Answer``: ``text`` is one to three verbatim sentences (or a decline), ``citations``
            the supporting passages best first (empty when ``abstained``), ``confidence`` the
            ranker's probability in [0, 1] for the best sentence.

        Raises:
            ValueError: the question is empty or whitespace, ``top_k`` is not a whole number from
                1 to 20, ``history`` is not a list of messages, or a document id is unknown.
        """
        started = time.perf_counter()
        text, notes = clean_question(question, self.settings.answer.max_question_chars)
        try:
            top_k = operator.index(top_k)
        except TypeError:
            raise ValueError(f"top_k must be a whole number between 1 and 20, not {top_k!r}") from None
        if not 1 <= top_k <= 20:
            raise ValueError(f"top_k must be between 1 and 20, not {top_k}")
        history = _checked_history(history, self.settings.answer.max_question_chars)
        retriever = self.ensure_ready()
        plan = retriever.rewriter.plan(text, history)
        allowed = self._document_mask(retriever, documents)
        query_vector = retriever.embed_query(plan)
        candidates = retriever.retrieve(plan, query_vector, fusion=self.fusion, allowed=allowed)
        scored = score_sentences(
            retriever,
            plan,
            query_vector,
            candidates,
            self.ranker,
            self.settings.retrieval.passages_for_answer,
            self.settings.answer.repeat_penalty,
        )
        answer_settings = self.settings.answer
        passages = retriever.index.passages
        scored = prefer_prose(scored, passages, answer_settings.prose_over_table_ratio)
        scored = prefer_first_mention(
            scored, passages, retriever.sentence_tokens, answer_settings.same_fact_ratio
        )
        confidence = scored[0].probability if scored else 0.0
        ranked = passage_order(scored, candidates)[:top_k]
        lacks_type = bool(scored) and answer_settings.require_answer_type and lacks_asked_type(scored[0])
        unmentioned = missing_names(retriever, plan, scored[0]) if scored and answer_settings.require_asked_names else []
        if unmentioned and confidence >= answer_settings.abstain_threshold:
            notes = [*notes, names_note(unmentioned)]
        if not scored or confidence < answer_settings.abstain_threshold or lacks_type or unmentioned:
            closest = [citation_for(passages[pid], score, supports=False) for pid, score in ranked]
            return Answer(
                question=text,
                text=NOT_FOUND,
                citations=[],
                abstained=True,
                confidence=round(float(confidence), 4),
                query=plan.dense_text,
                closest=closest,
                notes=notes,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        best = passages[scored[0].passage_id]
        first, last = answer_span(scored, best, answer_settings)
        spans = best.sentences[first : last + 1]
        answer_text = best.text[spans[0][0] - best.start : spans[-1][1] - best.start]
        citations: list[Citation] = [citation_for(best, confidence, tuple(spans))]
        for pid, score in ranked:
            if pid != scored[0].passage_id and len(citations) < top_k:
                supports = score >= answer_settings.abstain_threshold
                citations.append(citation_for(passages[pid], score, supports=supports))
        if plan.describe():
            described = plan.describe()
            notes = [*notes, f"Searched with {described}" + ("" if described.endswith(("?", "!", ".")) else ".")]
        answer = Answer(
            question=text,
            text=answer_text,
            citations=citations,
            abstained=False,
            confidence=round(float(confidence), 4),
            query=plan.dense_text,
            sentences=[best.text[s - best.start : e - best.start] for s, e in spans],
            best_sentence=scored[0].number - first,
            notes=notes,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        # Compose step: a broad question ("How do states ...?") gets an extractive overview.
        if self.settings.overview.enabled and is_broad(text):
            answer = with_overview(answer, retriever, query_vector, candidates, self.settings.overview)
            answer = replace(answer, latency_ms=round((time.perf_counter() - started) * 1000, 2))
        return answer

    def _document_mask(self, retriever: HybridRetriever, documents: Sequence[str] | None) -> np.ndarray | None:
        if documents is None:
            return None
        wanted = {documents} if isinstance(documents, str) else set(documents)
        unknown = wanted - set(retriever.index.documents)
        if unknown:
            raise ValueError(f"unknown document id(s): {', '.join(sorted(unknown))}")
        return np.array([p.doc_id in wanted for p in retriever.index.passages], dtype=bool)


def _checked_history(history: object, max_chars: int) -> list[dict[str, str]] | None:
    """``history`` as a list of messages safe to read: lone surrogates (which the tokenizer cannot
    encode) become "?", and user turns are cut to ``max_chars`` like questions.

    Raises:
        ValueError: ``history`` is not a list of ``{"role": ..., "content": ...}`` dicts.
    """
    if history is None:
        return None
    if not isinstance(history, list | tuple) or not all(isinstance(m, dict) for m in history):
        raise ValueError('history must be a list of {"role": "user"|"assistant", "content": text} messages')
    checked = []
    for message in history:
        content = message.get("content")
        if isinstance(content, str):
            content = content.encode("utf-8", "replace").decode("utf-8")
            if message.get("role") == "user":
                content = content[:max_chars]
        checked.append({**message, "content": content})
    return checked


_default: DocumentQA | None = None
_default_lock = threading.Lock()


def default_qa() -> DocumentQA:
    """The process-wide ``DocumentQA`` over the project's ``corpus/`` and ``index/``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DocumentQA()
        return _default


def ask(
    question: str,
    *,
    history: list[dict[str, str]] | None = None,
    top_k: int = 3,
    documents: Sequence[str] | None = None,
) -> Answer:
    """Answer ``question`` over the default corpus (``corpus/``) and index (``index/``).

    See ``DocumentQA.ask`` for arguments, return value and errors.
    """
    return default_qa().ask(question, history=history, top_k=top_k, documents=documents)


def names_note(unmentioned: list[AskedName]) -> str:
    """Why ctqa declined a question about names the answer's passage lacks, in the user's words."""
    never = [name.text for name in unmentioned if not name.in_corpus]
    elsewhere = [name.text for name in unmentioned if name.in_corpus]
    if never:
        return f"The documents never mention {' or '.join(never)}."
    return (
        f"The passage that best matches the question does not mention {' or '.join(elsewhere)}, "
        "so it does not answer it."
    )
