"""Two builds of one corpus write the same BM25 and derived files whatever the process's hash
seed (no model): bm25s numbers its vocabulary in set order, and a passage's words are a set."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROJECT_ROOT

# Derives the state of the article's passages and prints a hash of what the index writes of it.
SCRIPT = """
import hashlib, json
from pathlib import Path
from ctqa.chunking import chunk_documents
from ctqa.config import ChunkSettings
from ctqa.index.store import _derived_artifacts
from ctqa.ingest.loader import load_corpus
from ctqa.retrieval.derived import derive_state
report = load_corpus(Path({corpus!r}))
passages = chunk_documents(report.documents, ChunkSettings())
artifacts = _derived_artifacts(derive_state(report.documents, passages))
print(json.dumps({{name: hashlib.sha256(data).hexdigest() for name, data in sorted(artifacts.items())}}))
"""


def _derived_hashes(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    script = SCRIPT.format(corpus=str(PROJECT_ROOT / "corpus"))
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout


def test_bm25_and_derived_files_do_not_depend_on_the_hash_seed() -> None:
    first, second = _derived_hashes("1"), _derived_hashes("2")
    assert '"bm25_data.npy"' in first and '"derived.json"' in first
    assert first == second


def test_bm25_columns_are_in_sorted_token_order() -> None:
    from ctqa.retrieval.sparse import BM25State

    state = BM25State.build([["tower", "lamp"], ["lamp", "sea"], []])
    words = [column for column in state.columns if column not in ("",)]
    assert words == sorted(words) and set(words) >= {"lamp", "sea", "tower"}
    lamp = words.index("lamp")
    assert list(state.indices[state.indptr[lamp] : state.indptr[lamp + 1]]) == [0, 1]
