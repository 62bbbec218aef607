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
from typing import Any

import numpy as np

from ctqa.answering.broad import is_broad
from ctqa.answering.compose import closest_passages, compose_extract, passage_order
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.declining import DeclineContext, decide, decline_text
from ctqa.answering.floor import mark_floor
from ctqa.answering.overview import with_overview
from ctqa.answering.ranker import SentenceRanker, default_ranker
from ctqa.answering.readings import read_as, unresolved_pronoun_note
from ctqa.answering.reorder import reorder
from ctqa.answering.scoring import ScoredSentence, score_sentences
from ctqa.config import (
    DEFAULT_CORPUS_DIR,
    DEFAULT_INDEX_DIR,
    AnswerSettings,
    Backend,
    Fusion,
    Precision,
    Settings,
    StoreKind,
    StoreSettings,
    with_embedding,
)
from ctqa.embedding import Embedder, rescoring_embedder, shared_embedder
from ctqa.errors import IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError, IndexWriteError
from ctqa.index.builder import BuildReport, build_index, staleness_reasons, wait_for_running_build
from ctqa.index.store import IndexData, read_manifest
from ctqa.index.stores import passage_store
from ctqa.ingest.loader import require_corpus_folder, unindexed_files
from ctqa.ingest.watch import CorpusWatcher, Signature, file_signature
from ctqa.retrieval.hybrid import Candidate, HybridRetriever
from ctqa.retrieval.query import QueryPlan, clean_question
from ctqa.types import Answer
from ctqa.validation import checked_documents, checked_history

logger = logging.getLogger(__name__)

# Said with an answer given while a changed corpus is being indexed in the background.
UPDATING_NOTE = "The documents changed; the index is being updated, so this answer comes from the previous index."


def default_index_dir(corpus_dir: Path) -> Path:
    """``index/`` for the project's corpus; ``<corpus_dir>/.ctqa-index`` for any other folder
    (hidden folders are not read as documents)."""
    if corpus_dir.resolve() == DEFAULT_CORPUS_DIR.resolve():
        return DEFAULT_INDEX_DIR
    return corpus_dir / ".ctqa-index"


@dataclass(frozen=True)
class _Loaded:
    """A loaded index: its retriever and the ``CorpusView`` answering reads (built once)."""

    retriever: HybridRetriever
    view: CorpusView
    corpus_signature: Signature


class DocumentQA:
    """Question answering over the documents of ``corpus_dir``, indexed in ``index_dir``.

    Args:
        corpus_dir: folder of documents (default: the project's ``corpus/``).
        index_dir: folder of the built index (default: the project's ``index/`` for the
            project's corpus, else a hidden ``.ctqa-index/`` inside ``corpus_dir``, so another
            corpus never overwrites the project's index).
        settings: chunking, embedding, retrieval and answer settings (default ``Settings()``).
        embedder: the embedding model; by default one shared per process for
            ``settings.embedding``. One given here must run that backend and precision: they
            are what the manifest records.
        backend, precision: shortcuts that replace ``settings.embedding.backend`` /
            ``.precision`` ("onnx" | "torch", "fp32" | "int8"; docs/embedding.md).
        auto_build: build or rebuild the index when it is missing, stale or corrupt; when
            false, those raise ``IndexMissingError`` / ``IndexStaleError`` / ``IndexCorruptError``.
        fusion: how dense and BM25 candidates are fused: "weighted" (0.5 × cosine + 0.5 ×
            BM25/best BM25), "rrf", "dense" or "bm25"; overrides ``settings.retrieval.fusion``
            (default "weighted", see ``RetrievalSettings``).
        store: where vectors and BM25 are searched: "faiss" (default, in process) or "milvus"
            (docs/scaling.md); overrides ``settings.store.kind``.
        milvus_uri: Milvus Lite file or ``http(s)://host:19530`` server (default
            ``INDEX_DIR/milvus.db``); ``milvus_token`` for a server that needs one.
        ray: build on Ray: "local" starts a local cluster for each build, "auto" or
            ``host:port`` joins a running one; ``None`` (default) builds in this process.
        ray_workers: model-holding Ray actors (default: the cores of a local cluster, else 2).
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
        fusion: Fusion | None = None,
        backend: Backend | None = None,
        precision: Precision | None = None,
        store: StoreKind | None = None,
        milvus_uri: str | None = None,
        milvus_token: str | None = None,
        ray: str | None = None,
        ray_workers: int | None = None,
    ) -> None:
        self.corpus_dir = Path(corpus_dir) if corpus_dir else DEFAULT_CORPUS_DIR
        self.index_dir = Path(index_dir) if index_dir else default_index_dir(self.corpus_dir)
        self.settings = with_embedding(settings or Settings(), backend=backend, precision=precision)
        self.settings = replace(self.settings, store=_store_settings(self.settings, store, milvus_uri, milvus_token))
        self.store = passage_store(self.settings.store)
        self.ray, self.ray_workers = ray, ray_workers
        self._embedder = embedder
        self.ranker = ranker or default_ranker()
        self.auto_build = auto_build
        self.fusion: Fusion = fusion or self.settings.retrieval.fusion
        self.messages: list[str] = []
        self.last_build: BuildReport | None = None
        # ``_lock`` guards the loaded index and is held only briefly; ``_build_lock`` serialises
        # builds and loads, which take seconds to minutes, so questions never wait for them
        # while an index is loaded.
        self._lock = threading.RLock()
        self._build_lock = threading.RLock()
        self._update_thread: threading.Thread | None = None
        self._loaded: _Loaded | None = None
        self._generation = 0  # indexes loaded or swapped in so far (the page refreshes on a change)
        self._checked_at = 0.0
        self._watcher = CorpusWatcher(
            self.corpus_dir,
            min_interval=self.settings.corpus.check_interval_seconds,
            full_scan_share=self.settings.corpus.full_scan_share,
            follow_outside_links=self.settings.corpus.follow_outside_links,
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder(self.settings.embedding)
        return self._embedder

    # -- index lifecycle -------------------------------------------------------------------

    def build(self, *, show_progress: bool = False, only_if_stale: bool = False) -> BuildReport:
        """Build or update the index now (incremental: unchanged documents are not re-embedded).

        With ``only_if_stale``, an index that already matches the corpus, the settings and its
        checksums is left as it is and the embedding model is not loaded (``ctqa index``: a
        no-op run costs the imports and a checksum of each file, not a model load and a rewrite).

        Questions are answered from the loaded index while this builds: only builds wait for
        each other. When an index was loaded, the new one is loaded and swapped in at the end.
        """
        require_corpus_folder(self.corpus_dir)
        with self._build_lock:
            started = time.perf_counter()
            serving = self._loaded is not None
            follow = self.settings.corpus.follow_outside_links
            signature = file_signature(self.corpus_dir, follow_outside_links=follow) if serving else ()
            try:
                index = self._load_if_fresh() if only_if_stale else None
            except IndexError_:
                index = None
            if index is not None:
                report = BuildReport(
                    unchanged=sorted(index.manifest.files),
                    skipped={**unindexed_files(self.corpus_dir, self.settings.corpus), **index.manifest.skipped},
                    passages=len(index.passages),
                    seconds=time.perf_counter() - started,
                )
                self.last_build = report
                logger.info(
                    "index %s matches the corpus: %d files by size and time (a changed one is hashed), "
                    "the settings and the model; nothing to build", self.index_dir, len(index.manifest.files),
                )
                return report
            report = self._build_now(show_progress)  # a failed build leaves the index as it was
            self.last_build = report
            fresh = self._loaded_view(self.store.load(self.index_dir), signature) if serving else None
            with self._lock:
                self._loaded = fresh
                self._generation += 1
            return report

    @property
    def updating(self) -> bool:
        """True while a changed corpus is being indexed in the background (questions are answered
        from the previous index meanwhile)."""
        thread = self._update_thread
        return thread is not None and thread.is_alive()

    def wait_for_update(self, timeout: float | None = None) -> bool:
        """Wait for a background index update to finish; False when it is still running."""
        thread = self._update_thread
        if thread is not None:
            thread.join(timeout)
        return not self.updating

    def ensure_ready(self, *, show_progress: bool = False) -> HybridRetriever:
        """The retriever over a fresh index, (re)building first when needed and allowed.

        Once an index is loaded, a change to the corpus is indexed in the background and the
        loaded index keeps answering until the new one is swapped in (``updating``)."""
        return self._ready(show_progress=show_progress).retriever

    @property
    def generation(self) -> int:
        """How many indexes have been loaded or swapped in: a change means the documents changed."""
        return self._generation

    def notice_changes(self) -> None:
        """Look for corpus changes now, without a question (at most every
        ``CorpusSettings.check_interval_seconds``), and index them in the background as ``ask`` would. Does
        nothing until an index is loaded, so a caller such as the page's timer never waits."""
        with self._lock:
            if self._loaded is None:
                return
        self._ready()

    def _ready(self, *, show_progress: bool = False) -> _Loaded:
        with self._lock:
            now = time.monotonic()
            loaded = self._loaded
            interval = self.settings.corpus.check_interval_seconds
            if loaded is not None and (now - self._checked_at < interval or self.updating):
                return loaded
            self._checked_at = now
            if loaded is not None and not self._watcher.may_have_changed():
                return loaded
            signature = self._watcher.scan()
            if loaded is not None and loaded.corpus_signature == signature:
                return loaded
            if loaded is not None and self.auto_build:
                self._update_thread = threading.Thread(
                    target=self._update, args=(signature,), name="ctqa-index-update", daemon=True
                )
                self._update_thread.start()
                return loaded
            # Forget the old index first: if loading or rebuilding fails, the next question must
            # fail too (and retry), never be answered from an index of text that has changed.
            self._loaded = None
        # The first load (or a reload without auto_build) holds the build lock, not the state
        # lock: questions asked meanwhile wait for it here, as there is nothing to answer from.
        with self._build_lock:
            with self._lock:
                if self._loaded is not None:  # another thread loaded it meanwhile
                    return self._loaded
            fresh = self._load_fresh(signature, show_progress)
            with self._lock:
                self._loaded = fresh
                self._generation += 1
            return fresh

    def _update(self, signature: Signature) -> None:
        """Bring the index up to date with the changed corpus, then swap it in. On failure the
        loaded index is dropped, so the next question reports the problem (and retries) instead
        of answering from text the corpus no longer has."""
        try:
            with self._build_lock:
                fresh = self._load_fresh(signature, show_progress=False)
        except Exception as error:  # noqa: BLE001 - reported by the next question, which retries
            logger.warning("the index could not be updated: %s", error)
            self.messages.append(f"the index could not be updated: {error}")
            fresh = None
        with self._lock:
            self._loaded = fresh
            self._generation += 1

    def _load_fresh(self, signature: Signature, show_progress: bool) -> _Loaded:
        try:
            index = self._load_if_fresh()
        except IndexError_ as problem:
            if not self.auto_build:
                raise
            index_or_problem = self._after_running_build(problem)
            if isinstance(index_or_problem, IndexData):
                return self._loaded_view(index_or_problem, signature)
            problem = index_or_problem
            # the error's advice ("run `ctqa index`") is what happens next: only its reason is told
            message = f"{problem.reason} — rebuilding the index in {self.index_dir}"
            # A first build is what a missing index is for (INFO); a stale or broken one is news.
            level = logging.INFO if isinstance(problem, IndexMissingError) else logging.WARNING
            logger.log(level, message)
            self.messages.append(message)
            try:
                report = self._build_now(show_progress)
            except IndexWriteError as error:
                raise IndexWriteError(f"{problem} — and it cannot be rebuilt: {error}") from error
            loaded = self._loaded_view(self.store.load(self.index_dir), signature)
            # told at the level "rebuilding" was, so a log that showed the start shows the end
            done = f"index in {self.index_dir} rebuilt in {report.seconds:.1f} s ({report.summary()}); answering from it"
            logger.log(level, done)
            self.messages.append(done)
            return loaded
        return self._loaded_view(index, signature)

    def _loaded_view(self, index: IndexData, signature: Signature) -> _Loaded:
        retriever = self.store.retriever(index, self.embedder, self.settings.retrieval)
        return _Loaded(retriever, CorpusView.of(retriever), signature)

    def _build_now(self, show_progress: bool) -> BuildReport:
        """Build here or on Ray (``self.ray``), then bring the store up to the new build."""
        self.store.check_reachable(self.index_dir)
        if self.ray is None:
            report = build_index(
                self.corpus_dir,
                self.index_dir,
                self.embedder,
                self.settings.chunk,
                embedding=self.settings.embedding,
                show_progress=show_progress,
                corpus=self.settings.corpus,
            )
        else:
            from ctqa.index.ray_build import build_index_ray

            report = build_index_ray(
                self.corpus_dir,
                self.index_dir,
                self.embedder,
                self.settings.chunk,
                address=self.ray,
                workers=self.ray_workers,
                embedding=self.settings.embedding,
                show_progress=show_progress,
                corpus=self.settings.corpus,
            )
        self.last_build = report
        message = self.store.after_build(self.index_dir, show_progress=show_progress)
        if message:
            self.messages.append(message)
        return report

    def _after_running_build(self, problem: IndexError_) -> IndexData | IndexError_:
        """When another process is building the index, wait for it (bounded) and read its
        result instead of building the same again; else (or if still stale) the problem."""
        if not wait_for_running_build(self.index_dir):
            return problem
        self.messages.append(f"waited for another process's build of the index in {self.index_dir}")
        try:
            return self._load_if_fresh()
        except IndexError_ as still:
            return still

    def _load_if_fresh(self, *, retries: int = 2) -> IndexData:
        """The index, when it matches the corpus and settings; else the ``IndexError_`` saying why.

        A build in another process may replace the index while it is read (the old build folder
        is removed once the manifest has switched): a load that fails while the manifest changed
        under it is tried again on the new build, up to ``retries`` times.
        """
        reasons = staleness_reasons(
            self.index_dir, self.corpus_dir, self.settings.chunk, self.settings.embedding, self.settings.corpus
        )
        if reasons:
            raise IndexStaleError("index is stale: " + "; ".join(reasons))
        build_dir = read_manifest(self.index_dir).build_dir
        try:
            return self.store.load(self.index_dir)
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
        top_k: int | None = None,
        documents: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` from the corpus.

        Args:
            question: the user's question (at most ``AnswerSettings.max_question_chars``
                characters are used; longer ones are truncated and ``Answer.notes`` says so).
            history: earlier chat turns, ``[{"role": "user"|"assistant", "content": str}, ...]``;
                used only when the question leans on them (a follow-up). "system" and "tool"
                messages of the usual chat format are accepted and left out.
            top_k: number of citations returned (best first), 1 to ``AnswerSettings.max_top_k``
                (10); default ``AnswerSettings.top_k`` (3). An overview has at most ``top_k``
                items, one cited passage each, and cites exactly those passages.
            documents: restrict the answer to these doc ids (paths relative to the corpus).

        Returns:
            ``Answer``: ``text`` is one to three verbatim sentences (or a decline), ``citations``
            the supporting passages best first (empty when ``abstained``), ``confidence`` the
            ranker's probability in [0, 1] for the best sentence.

        Raises:
            ValueError: the question is empty or whitespace, ``top_k`` is not a whole number from
                1 to ``max_top_k``, ``history`` is not a list of user/assistant messages with text contents,
                or ``documents`` is not a doc id or a list of known doc ids.
        """
        started = time.perf_counter()
        text, notes = clean_question(question, self.settings.answer.max_question_chars)
        top_k = _checked_top_k(self.settings.answer.top_k if top_k is None else top_k, self.settings.answer)
        history = checked_history(history, self.settings.answer.max_question_chars)
        settings = self.settings.answer
        loaded = self._ready()
        retriever, view = loaded.retriever, loaded.view
        if self.updating:
            notes = [*notes, UPDATING_NOTE]
        # A bare term ("NATO") is read as the question about it, a message of several questions
        # as its first (answering.readings).
        reading = read_as(text, in_conversation=bool(history))
        asked = reading.question
        if reading.note:
            notes = [*notes, reading.note]
        # plan → retrieve → score → reorder → decline? → compose
        plan = retriever.rewriter.plan(asked, history)
        if not history and (pronoun_note := unresolved_pronoun_note(asked, bool(plan.names), plan.dense_text)):
            notes = [*notes, pronoun_note]
        query_vector = retriever.embed_query(plan)
        allowed = self._document_passages(retriever, documents)
        candidates = retriever.retrieve(plan, query_vector, fusion=self.fusion, allowed=allowed)
        scored = self._scored(view, plan, query_vector, candidates)
        # the tie-breakers read the question as meant ("info" is "information")
        scored = reorder(scored, view, settings, plan.corrected_question or asked)
        ranked = passage_order(scored, candidates)  # cut to top_k once duplicate texts are merged
        confidence = round(float(scored[0].probability), 4) if scored else 0.0
        decline = decide(DeclineContext(plan, scored, view, settings))
        if decline is not None:
            return Answer(
                question=text,
                text=decline_text(asked, decline.rule, settings.decline_quote_chars),
                citations=[],
                abstained=True,
                confidence=confidence,
                query=plan.dense_text,
                closest=closest_passages(view, ranked, top_k) if decline.shows_closest else [],
                notes=[*notes, decline.reason] if decline.reason else notes,
                latency_ms=_elapsed_ms(started),
                declined_by=decline.rule,
            )
        composed = compose_extract(plan, scored, ranked, view, settings, top_k)
        if plan.describe():
            described = plan.describe()
            notes = [*notes, f"Searched with {described}" + ("" if described.endswith(("?", "!", ".")) else ".")]
        answer = Answer(
            question=text,
            text=composed.text,
            citations=composed.citations,
            abstained=False,
            confidence=confidence,
            query=plan.dense_text,
            sentences=composed.sentences,
            best_sentence=composed.best_sentence,
            notes=notes,
            latency_ms=_elapsed_ms(started),
            short_answer=composed.short_answer,
            context=composed.context,
        )
        # Compose step: a broad question ("How do states ...?") gets an extractive overview.
        if self.settings.overview.enabled and is_broad(asked):
            rescoring = rescoring_embedder(self.embedder, self.settings.embedding, self.settings.overview.score_precision)
            answer = with_overview(answer, retriever, query_vector, candidates, self.settings.overview, top_k,
                                   encode=rescoring.encode if rescoring else None)
            answer = replace(answer, latency_ms=_elapsed_ms(started))
        return mark_floor(answer, settings.source_floor)

    def _scored(
        self, view: CorpusView, plan: QueryPlan, query_vector: np.ndarray, candidates: list[Candidate]
    ) -> list[ScoredSentence]:
        """``score_sentences``, which reads the sentence vectors from their file. A file cut short
        under the running process (something else wrote into the build in use) fails this
        question with ``IndexCorruptError`` and drops the loaded index, so the next question
        checks the files and rebuilds instead of failing the same way."""
        try:
            return score_sentences(
                view, plan, query_vector, candidates, self.ranker, self.settings.retrieval.passages_for_answer, self.settings.answer
            )
        except OSError as error:
            with self._lock:
                self._loaded = None
            raise IndexCorruptError(
                f"{error}: the index changed on disk while it was in use; ask again to check and rebuild it"
            ) from error

    def _document_passages(self, retriever: HybridRetriever, documents: Sequence[str] | None) -> np.ndarray | None:
        wanted = checked_documents(documents)
        if wanted is None:
            return None
        unknown = wanted - set(retriever.index.documents)
        if unknown:
            raise ValueError(f"unknown document id(s): {', '.join(sorted(unknown))}")
        return retriever.passages_of(wanted)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _checked_top_k(top_k: Any, settings: AnswerSettings) -> int:
    """``top_k`` as an int from 1 to ``settings.max_top_k``, else ``ValueError`` naming the argument."""
    most = settings.max_top_k
    try:
        value = operator.index(top_k)
    except TypeError:
        raise ValueError(f"top_k must be a whole number between 1 and {most}, not {top_k!r}") from None
    if not 1 <= value <= most:
        raise ValueError(f"top_k must be between 1 and {most}, not {value}")
    return value


def _store_settings(
    settings: Settings, kind: StoreKind | None, milvus_uri: str | None, milvus_token: str | None
) -> StoreSettings:
    """``settings.store`` with the arguments given to ``DocumentQA`` put over it."""
    store = settings.store
    return replace(
        store,
        kind=kind or store.kind,
        milvus_uri=store.milvus_uri if milvus_uri is None else str(milvus_uri),
        milvus_token=store.milvus_token if milvus_token is None else milvus_token,
    )


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
    top_k: int | None = None,
    documents: Sequence[str] | None = None,
) -> Answer:
    """Answer ``question`` over the default corpus (``corpus/``) and index (``index/``).

    See ``DocumentQA.ask`` for arguments, return value and errors.
    """
    return default_qa().ask(question, history=history, top_k=top_k, documents=documents)
