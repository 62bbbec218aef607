"""The derived state saved in the index (tokens, BM25 weights, acronyms, vocabulary), the format
version, and the cheap corpus-change check.

No model is loaded: the article is chunked with the approximate token counter and saved with
random unit vectors; the derived state depends only on the text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np
import pytest

from conftest import ARTICLE_NAME, CORPUS_DIR, PROJECT_ROOT
from ctqa.chunking import chunk_documents
from ctqa.config import MODEL_DIMENSION, ChunkSettings
from ctqa.errors import IndexCorruptError
from ctqa.evaluation.dataset import load_questions
from ctqa.index.file_rows import FileRows
from ctqa.index.store import FORMAT_VERSION, MANIFEST, load_index, read_manifest, save_index
from ctqa.ingest.loader import load_corpus
from ctqa.ingest.watch import CorpusWatcher
from ctqa.qa import DocumentQA
from ctqa.retrieval import derived as derived_module
from ctqa.retrieval.acronyms import learn_acronyms, learn_initialisms
from ctqa.retrieval.derived import DerivedState, derive_state
from ctqa.retrieval.sparse import BM25Retriever
from ctqa.retrieval.text import query_tokens, tokenize, words


def _save_article(corpus_dir: Path, index_dir: Path) -> None:
    documents = load_corpus(corpus_dir).documents
    passages = chunk_documents(documents, ChunkSettings())
    n_sentences = sum(len(p.sentences) for p in passages)
    rng = np.random.default_rng(0)
    save_index(
        index_dir, documents=documents, passages=passages,
        passage_vectors=_unit(rng.standard_normal((len(passages), MODEL_DIMENSION))),
        sentence_vectors=_unit(rng.standard_normal((n_sentences, MODEL_DIMENSION))),
        chunking=ChunkSettings(), skipped={},
    )


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def article_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("derived") / "index"
    _save_article(CORPUS_DIR, index_dir)
    return index_dir


def test_loaded_state_equals_state_recomputed_from_the_text(article_index_dir: Path) -> None:
    index = load_index(article_index_dir)
    loaded = index.derived
    recomputed = derive_state(index.documents.values(), index.passages)
    passages = index.passages
    assert len(passages) > 20
    for number, passage in enumerate(passages):
        assert loaded.passage_tokens[number] == tokenize(f"{passage.context_header()} {passage.text}")
        first = int(index.sentence_offsets[number])
        for k, (start, end) in enumerate(passage.sentences):
            assert loaded.sentence_tokens[first + k] == tokenize(passage.text[start - passage.start : end - passage.start])
    for table in ("passage_tokens", "sentence_tokens", "context_tokens"):
        mine, theirs = getattr(loaded, table), getattr(recomputed, table)
        assert [mine[i] for i in range(len(mine))] == [theirs[i] for i in range(len(theirs))]
    for field in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(loaded.bm25, field), getattr(recomputed.bm25, field))
    assert loaded.bm25.columns == recomputed.bm25.columns
    assert loaded.acronyms == learn_acronyms(d.text for d in index.documents.values())
    assert loaded.acronyms["WMD"].lower() == "weapons of mass destruction"
    vocabulary: Counter[str] = Counter()
    for passage in passages:
        vocabulary.update(set(words(f"{passage.section} {passage.text}")))
    assert loaded.vocabulary == dict(vocabulary)
    texts = [d.text for d in index.documents.values()]
    assert loaded.initialisms == learn_initialisms(texts, loaded.acronyms, vocabulary)
    assert loaded.initialisms["doj"] == "Department of Justice"


def test_large_arrays_are_memory_mapped(article_index_dir: Path) -> None:
    index = load_index(article_index_dir)
    assert isinstance(index.sentence_vectors, FileRows)  # read by row range, not mapped (test_index_files)
    assert isinstance(index.derived.bm25.data, np.memmap)
    assert isinstance(index.derived.sentence_tokens.ids, np.memmap)


def test_bm25_from_saved_state_scores_as_bm25s_does(article_index_dir: Path) -> None:
    index = load_index(article_index_dir)
    passage_tokens = [tokenize(f"{p.section_header()} {p.text}") for p in index.passages]
    reference = bm25s.BM25()
    reference.index(passage_tokens, show_progress=False)
    retriever = BM25Retriever(state=index.derived.bm25)
    frequency: Counter[str] = Counter()
    for tokens in passage_tokens:
        frequency.update(set(tokens))
    assert retriever.vocabulary == frozenset(frequency)
    questions = load_questions(PROJECT_ROOT / "eval" / "article_questions.jsonl")
    checked = 0
    for item in questions[:40]:
        tokens = query_tokens(item.question) * 2  # repeated tokens count twice, as in a query plan
        known = [t for t in tokens if t in retriever.vocabulary]
        if not known:
            continue
        expected = np.asarray(reference.get_scores(known), dtype=np.float32)
        assert np.array_equal(retriever.scores(tokens), expected)  # bit-identical, not close
        ids, scores = retriever.matches(tokens)
        assert np.array_equal(ids, np.flatnonzero(expected))
        allowed = np.arange(0, len(index.passages), 3)
        some_ids, some_scores = retriever.matches(tokens, allowed)
        assert set(some_ids.tolist()) == set(ids.tolist()) & set(allowed.tolist())
        assert np.array_equal(some_scores, expected[some_ids])
        checked += 1
    assert checked >= 30
    for token in ("nato", "terror", "canada"):
        df = frequency[token]
        assert retriever.idf(token) == pytest.approx(np.log(1 + (len(passage_tokens) - df + 0.5) / (df + 0.5)))


def test_a_checksum_mismatch_in_a_derived_file_is_detected(article_index_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(article_index_dir, copy)
    build = copy / read_manifest(copy).build_dir
    tokens = build / "sentence_tokens.npy"
    tokens.write_bytes(tokens.read_bytes()[:-8])
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(copy)


class _HashEmbedder:
    """Unit vectors from a hash of each text: enough to rebuild an index without the model."""

    dimension = MODEL_DIMENSION

    def encode(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(MODEL_DIMENSION) for t in texts]
        return _unit(np.array(rows).reshape(len(texts), MODEL_DIMENSION))

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_an_index_of_the_previous_format_is_refused_and_rebuilt(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / ARTICLE_NAME, corpus / ARTICLE_NAME)
    index_dir = tmp_path / "index"
    qa = DocumentQA(corpus, index_dir, embedder=_HashEmbedder())  # type: ignore[arg-type]
    qa.build()
    # What a format-3 build looked like: the same manifest without the derived files.
    manifest_path = index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    build = index_dir / manifest["build_dir"]
    for name in list(manifest["artifacts"]):
        if name not in ("documents.json", "document_blocks.npy", "passages.npy", "passage_sentences.npy", "passage_fields.json",
                        "passages.faiss", "sentences.npy"):
            (build / name).unlink()
            del manifest["artifacts"][name]
    manifest["format_version"] = FORMAT_VERSION - 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match=f"index format {FORMAT_VERSION - 1} is not {FORMAT_VERSION}"):
        load_index(index_dir)

    fresh = DocumentQA(corpus, index_dir, embedder=_HashEmbedder())  # type: ignore[arg-type]
    retriever = fresh.ensure_ready()
    assert any("rebuilding the index" in message for message in fresh.messages)
    assert read_manifest(index_dir).format_version == FORMAT_VERSION
    assert len(retriever.passage_tokens) == len(retriever.index.passages) > 20


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watched(tmp_path: Path) -> tuple[Path, CorpusWatcher, _Clock]:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / ".ctqa-index").mkdir()
    (corpus / "a.txt").write_text("alpha")
    (corpus / "sub" / "b.txt").write_text("beta")
    clock = _Clock()
    watcher = CorpusWatcher(corpus, min_interval=2.0, clock=clock)
    return corpus, watcher, clock


def _bump_folder_time(folder: Path) -> None:
    """Folder times have a coarse clock on some file systems: make the change visible."""
    stat = folder.stat()
    os.utime(folder, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("change", ["add", "remove", "add_in_subfolder", "new_subfolder"])
def test_watcher_notices_files_added_or_removed_at_once(tmp_path: Path, change: str) -> None:
    corpus, watcher, _ = _watched(tmp_path)
    before = watcher.scan()
    assert not watcher.may_have_changed()
    if change == "add":
        (corpus / "c.txt").write_text("gamma")
        touched = corpus
    elif change == "remove":
        (corpus / "a.txt").unlink()
        touched = corpus
    elif change == "add_in_subfolder":
        (corpus / "sub" / "c.txt").write_text("gamma")
        touched = corpus / "sub"
    else:
        (corpus / "new").mkdir()
        (corpus / "new" / "c.txt").write_text("gamma")
        touched = corpus
    _bump_folder_time(touched)
    assert watcher.may_have_changed()
    assert watcher.scan() != before


def test_watcher_notices_an_edit_in_place_at_the_periodic_full_scan(tmp_path: Path) -> None:
    corpus, watcher, clock = _watched(tmp_path)
    before = watcher.scan()
    (corpus / "sub" / "b.txt").write_text("beta, edited in place")
    assert not watcher.may_have_changed()  # no folder changed: the quick check cannot tell
    clock.now += watcher.full_interval
    assert watcher.may_have_changed()
    assert watcher.scan() != before


def test_watcher_ignores_hidden_folders(tmp_path: Path) -> None:
    corpus, watcher, _ = _watched(tmp_path)
    watcher.scan()
    (corpus / ".ctqa-index" / "manifest.json").write_text("{}")
    _bump_folder_time(corpus / ".ctqa-index")
    assert not watcher.may_have_changed()


def test_a_slow_full_scan_is_run_less_often(tmp_path: Path) -> None:
    _, watcher, _ = _watched(tmp_path)
    watcher.scan()
    assert watcher.full_interval == 2.0  # a scan of two files is far under 2 % of 2 s
    watcher._scan_seconds = 0.5
    assert watcher.full_interval == pytest.approx(25.0)


def _tables_equal(mine: DerivedState, theirs: DerivedState) -> None:
    for table in ("passage_tokens", "sentence_tokens", "context_tokens"):
        a, b = getattr(mine, table), getattr(theirs, table)
        assert [a[i] for i in range(len(a))] == [b[i] for i in range(len(b))]
        assert list(a.tokens) == list(b.tokens)  # same token ids too
        assert np.array_equal(a.ids, b.ids) and np.array_equal(a.offsets, b.offsets)
    for field in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(mine.bm25, field), getattr(theirs.bm25, field))
    assert mine.bm25.columns == theirs.bm25.columns
    assert mine.acronyms == theirs.acronyms
    assert mine.vocabulary == theirs.vocabulary


def test_an_incremental_build_derives_only_new_passages_and_equals_a_full_derive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / ARTICLE_NAME, corpus / ARTICLE_NAME)
    (corpus / "changed.txt").write_text("Budgets\n\nThe agency spends most of its budget on staff. It hires in spring.\n")
    (corpus / "removed.txt").write_text("Ports\n\nCargo ships dock at the eastern pier. Inspections take two days.\n")
    index_dir = tmp_path / "index"
    DocumentQA(corpus, index_dir, embedder=_HashEmbedder()).build()  # type: ignore[arg-type]
    kept_texts = {p.text for p in load_index(index_dir).passages if p.doc_id == ARTICLE_NAME}
    assert len(kept_texts) > 20

    # a new document defining an acronym (the corpus's acronyms, so every passage's context
    # tokens, change), a changed one and a removed one (words leave the vocabulary)
    (corpus / "added.md").write_text(
        "# Health\n\nThe World Health Organization (WHO) tracks outbreaks. WHO reports weekly.\n"
    )
    (corpus / "changed.txt").write_text("Budgets\n\nThe agency spends a third of its budget on training.\n")
    (corpus / "removed.txt").unlink()
    tokenized: list[str] = []
    real_tokenize = derived_module.tokenize

    def spy(text: str) -> list[str]:
        tokenized.append(text)
        return real_tokenize(text)

    monkeypatch.setattr(derived_module, "tokenize", spy)
    report = DocumentQA(corpus, index_dir, embedder=_HashEmbedder()).build()  # type: ignore[arg-type]
    assert (report.added, report.changed, report.removed, report.unchanged) == (
        ["added.md"], ["changed.txt"], ["removed.txt"], [ARTICLE_NAME]
    )
    assert not kept_texts & set(tokenized)  # the article's passages were read back, not tokenised
    assert "The World Health Organization (WHO) tracks outbreaks." in tokenized

    monkeypatch.setattr(derived_module, "tokenize", real_tokenize)
    index = load_index(index_dir)
    full = derive_state(index.documents.values(), index.passages)
    _tables_equal(index.derived, full)
    assert full.acronyms["WHO"] == "World Health Organization"
    assert "pier" not in index.derived.vocabulary and "training" in index.derived.vocabulary
    assert "spring" not in index.derived.vocabulary


def test_acronym_forms_are_added_in_the_order_of_the_tokens() -> None:
    from ctqa.retrieval.derived import AcronymForms
    from ctqa.retrieval.text import tokenize

    forms = AcronymForms.from_definitions({"DHS": "Department of Homeland Security", "EU": "European Union"})
    dhs, eu = tokenize("Department of Homeland Security"), tokenize("European Union")
    assert dhs == ["depart", "homeland", "secur"] and eu == ["european", "union"]
    # the added forms follow the tokens' order, whatever the hash seed, so builds are reproducible
    assert forms.add_to(["eu", "and", "dhs"]) == ["eu", "and", "dhs", *eu, *dhs]
    assert forms.add_to(["dhs", "and", "eu"]) == ["dhs", "and", "eu", *dhs, *eu]


def test_bm25_reads_the_title_of_a_short_document_only(tmp_path: Path) -> None:
    """A short document's title is BM25 text of each of its passages (a paper's title over its
    abstract); a long document's is not (repeated in every passage it would zero its words' idf)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paper.md").write_text("# Statins lower myocardial infarction risk\n\nA trial of 400 adults found fewer events.\n")
    paragraphs = "\n\n".join(f"## Part {n}\n\nParagraph {n} says something about topic {n} at length." for n in range(8))
    (corpus / "long.md").write_text(f"# Arctic shipping routes\n\n{paragraphs}\n")
    documents = load_corpus(corpus).documents
    passages = chunk_documents(documents, ChunkSettings())
    per_document = Counter(p.doc_id for p in passages)
    assert per_document["paper.md"] == 1 and per_document["long.md"] == 8
    retriever = BM25Retriever(state=derive_state(documents, passages).bm25)
    assert retriever.document_frequency("statin") == 1  # only in the paper's title
    ids, _ = retriever.matches(["statin", "myocardi"])
    assert [passages[i].doc_id for i in ids] == ["paper.md"]
    assert retriever.document_frequency("arctic") == 0  # the long document's title stays out
    without = BM25Retriever(state=derive_state(documents, passages, title_max_passages=0).bm25)
    assert without.document_frequency("statin") == 0
