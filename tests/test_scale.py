"""A generated corpus of 200 documents (``scripts/make_large_corpus.py``): a full build embeds
every text, and re-indexing after changing one document embeds only that document's texts.

The embedding model is replaced by a deterministic stand-in (vectors from a hash of the text),
so this runs without loading the model; what is tested is which texts reach ``encode`` and
that the vectors of the other documents are carried over unchanged. Times of the full
2,000-document run are measured by the script's ``--benchmark``, not here.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import ctqa
from ctqa.chunking import approximate_token_count, chunk_documents
from ctqa.config import MODEL_DIMENSION, ChunkSettings
from ctqa.index.builder import passage_text
from ctqa.index.store import load_index
from ctqa.ingest.loader import load_corpus, load_document

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = 200


@functools.cache
def load_script() -> ModuleType:
    """``scripts/make_large_corpus.py`` as a module (scripts are not a package)."""
    path = PROJECT_ROOT / "scripts" / "make_large_corpus.py"
    spec = importlib.util.spec_from_file_location("make_large_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


class HashEmbedder:
    """Stands in for ``Embedder``: unit vectors seeded by each text's sha256; counts texts."""

    dimension = MODEL_DIMENSION

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.encoded += texts
        vectors = np.zeros((len(texts), MODEL_DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:16], 16)
            vector = np.random.default_rng(seed).standard_normal(MODEL_DIMENSION)
            vectors[row] = vector / np.linalg.norm(vector)
        return vectors

    def count_tokens(self, text: str) -> int:
        return approximate_token_count(text)


def texts_of(paths: list[Path], corpus: Path) -> int:
    """The distinct texts a build of ``paths`` embeds: each passage as the model reads it and each
    sentence, a text repeated in the build once (``embedding.contextual.encode_distinct``)."""
    passages = chunk_documents([load_document(p, corpus) for p in paths], ChunkSettings(), approximate_token_count)
    read = [passage_text(p) for p in passages]
    return len({r.text for r in read} | {r.text[s:e] for r in read for s, e in r.sentences})


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    corpus = tmp_path_factory.mktemp("scale") / "corpus"
    return corpus, load_script().write_corpus(corpus, count=DOCUMENTS, seed=11)


def test_generator_is_deterministic_and_mixes_formats(tmp_path: Path, generated: tuple[Path, list[Path]]) -> None:
    corpus, paths = generated
    again = load_script().write_corpus(tmp_path / "again", count=DOCUMENTS, seed=11)
    assert [p.name for p in again] == [p.name for p in paths]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, paths, strict=True))
    assert {p.suffix for p in paths} == {".md", ".txt", ".html"}
    loaded = load_corpus(corpus)
    assert len(loaded.documents) == DOCUMENTS and loaded.skipped == []
    assert all(len(d.sections) >= 2 for d in loaded.documents)


def test_reindex_after_changing_one_document_embeds_only_it(
    tmp_path: Path, generated: tuple[Path, list[Path]]
) -> None:
    corpus, paths = generated
    embedder = HashEmbedder()
    qa = ctqa.DocumentQA(corpus, tmp_path / "index", embedder=embedder)  # type: ignore[arg-type]
    full = qa.build()
    before = load_index(tmp_path / "index")
    assert len(full.added) == DOCUMENTS
    # every passage and every sentence of every document, a text repeated in the corpus once
    assert full.embedded == len(embedder.encoded) == len(set(embedder.encoded)) == texts_of(paths, corpus)
    assert full.embedded < len(before.passages) + len(before.sentence_vectors)  # the generator repeats sentences

    edited = paths[57]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThe old mill was restored in 1988.\n", encoding="utf-8")
    embedder.encoded.clear()
    again = qa.build()

    doc_id = edited.name
    assert again.changed == [doc_id] and again.added == again.removed == []
    assert len(again.unchanged) == DOCUMENTS - 1
    assert again.embedded == len(embedder.encoded) == texts_of([edited], corpus)
    assert any("restored in 1988" in text for text in embedder.encoded)
    after = load_index(tmp_path / "index")
    old_rows = [i for i, p in enumerate(before.passages) if p.doc_id != doc_id]
    new_rows = [i for i, p in enumerate(after.passages) if p.doc_id != doc_id]
    assert [before.passages[i] for i in old_rows] == [after.passages[i] for i in new_rows]
    np.testing.assert_array_equal(
        before.passage_index.reconstruct_n(0, before.passage_index.ntotal)[old_rows],
        after.passage_index.reconstruct_n(0, after.passage_index.ntotal)[new_rows],
    )

    embedder.encoded.clear()
    unchanged = qa.build()
    assert unchanged.embedded == 0 and embedder.encoded == [] and len(unchanged.unchanged) == DOCUMENTS
