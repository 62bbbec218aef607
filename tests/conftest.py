"""Shared fixtures: paths of the real article, and ONE built index of it per test session.

The built index loads the embedding model, so only tests marked ``@pytest.mark.slow`` should use
``article_index`` / ``article_copy``. The model is loaded once per process (``shared_embedder``)
and the article is embedded once; tests that need to change the corpus or the index work on a copy
(``article_copy``), which reuses the built vectors instead of embedding again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

import ctqa
from ctqa.index.builder import BuildReport
from ctqa.index.store import MANIFEST
from ctqa.types import Passage

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = PROJECT_ROOT / "corpus"
ARTICLE_NAME = "fighting-terrorism-diplomacy-cooperation.txt"
ARTICLE_PATH = CORPUS_DIR / ARTICLE_NAME

# Strings of the page chrome around the article (site name, "see also" teasers, footer).
BOILERPLATE_STRINGS = (
    "cycivic",
    "You may want to see also",
    "Share this post",
    "Leave a comment",
    "Spam Texts",
    "Cold War Strategies",
    "Written by",
    "Did this article help you",
)


@dataclass(frozen=True)
class BuiltArticle:
    """A copy of ``corpus/`` and the index built from it."""

    corpus_dir: Path
    index_dir: Path
    qa: ctqa.DocumentQA
    report: BuildReport


def last_line_of_python(script: str) -> str:
    """The last line ``script`` prints, run in a fresh Python process (what it imports and
    loads is its own); raises when it fails."""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True)
    return result.stdout.split("\n")[-2]


def retarget(index_dir: Path, corpus_dir: Path) -> None:
    """Make a copied index the index of the copied ``corpus_dir``: an index records the corpus
    folder it was built for, and one copied from another folder is stale."""
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    manifest["corpus_dir"] = str(corpus_dir.resolve())
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def without_paths(passages: list[Passage]) -> list[Passage]:
    """``passages`` with ``path`` blanked: a build of a copied corpus cites the copy's files."""
    return [replace(passage, path="") for passage in passages]


@pytest.fixture(scope="session")
def article_index(tmp_path_factory: pytest.TempPathFactory) -> BuiltArticle:
    """The real article, copied to a temporary corpus and indexed once per session."""
    root = tmp_path_factory.mktemp("article")
    corpus_dir = root / "corpus"
    shutil.copytree(CORPUS_DIR, corpus_dir)
    index_dir = root / "index"
    qa = ctqa.DocumentQA(corpus_dir, index_dir)
    report = qa.build()
    return BuiltArticle(corpus_dir, index_dir, qa, report)


@pytest.fixture
def article_copy(article_index: BuiltArticle, tmp_path: Path) -> Callable[[], BuiltArticle]:
    """Factory: a fresh copy of the session's corpus *and* built index, safe to edit.

    The copied index matches the copied corpus (doc ids are relative paths, hashes are of file
    bytes), so opening it costs no embedding.
    """
    counter = iter(range(1000))

    def make() -> BuiltArticle:
        root = tmp_path / f"copy{next(counter)}"
        corpus_dir = root / "corpus"
        index_dir = root / "index"
        shutil.copytree(article_index.corpus_dir, corpus_dir)
        shutil.copytree(article_index.index_dir, index_dir, ignore=shutil.ignore_patterns(".lock"))
        retarget(index_dir, corpus_dir)
        qa = ctqa.DocumentQA(corpus_dir, index_dir, embedder=article_index.qa.embedder)
        return BuiltArticle(corpus_dir, index_dir, qa, article_index.report)

    return make


class RecordedLaunch:
    """Stands in for ``chat.launch`` in tests of ``ctqa serve``: records where the page would be
    served and returns at once; ``block_thread`` records that the command waited on it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.blocked = False

    def __call__(self, qa: ctqa.DocumentQA, host: str, port: int, **options: object) -> RecordedLaunch:
        self.calls.append((host, port))
        return self

    def block_thread(self) -> None:
        self.blocked = True

    def close(self) -> None:
        pass


def hold_rebuilds(qa: ctqa.DocumentQA, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make ``qa``'s next builds wait until the test sets the second event (``release``); the
    first (``building``) is set when a build starts. Also makes the next question check the
    corpus at once, as if the check interval had passed."""
    building, release = threading.Event(), threading.Event()
    real_build = qa._build_now

    def held_build(show_progress: bool) -> BuildReport:
        building.set()
        assert release.wait(120)
        return real_build(show_progress)

    monkeypatch.setattr(qa, "_build_now", held_build)
    qa._checked_at, qa._watcher._scanned_at = 0.0, None
    return building, release
