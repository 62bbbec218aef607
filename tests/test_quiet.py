"""Quiet by default: a successful ``ctqa ask`` or ``ctqa.ask()`` on a built index writes nothing
to stderr (no INFO lines, no "Loading weights" bar); ``-v`` says what ctqa does; a no-op
``ctqa index`` reports what it did without loading the model.

Each check runs ctqa in a fresh process, as a user would, on a copy of the article's index.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import BuiltArticle

pytestmark = pytest.mark.slow

NEXUS = "What is NEXUS?"


def run_ctqa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctqa.cli", *args], capture_output=True, text=True, timeout=600, check=False
    )


def folders(built: BuiltArticle) -> list[str]:
    return ["--corpus", str(built.corpus_dir), "--index", str(built.index_dir)]


def test_ask_on_a_built_index_prints_nothing_to_stderr(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    result = run_ctqa("ask", NEXUS, *folders(built))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "NEXUS" in result.stdout and "Citations:" in result.stdout


def test_python_api_prints_nothing_to_stderr(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    program = (
        "import sys, ctqa\n"
        "answer = ctqa.DocumentQA(sys.argv[1], sys.argv[2]).ask(sys.argv[3])\n"
        "print(answer.text)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, str(built.corpus_dir), str(built.index_dir), NEXUS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "NEXUS" in result.stdout


def test_verbose_says_what_ctqa_does(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    result = run_ctqa("-v", "ask", NEXUS, *folders(built))
    assert result.returncode == 0, result.stderr
    assert "INFO ctqa.embedding: loading embedding model" in result.stderr
    assert "Loading weights" not in result.stderr


def test_index_of_an_unchanged_corpus_is_a_no_op_without_the_model(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    built = article_copy()
    build_dir = sorted(path.name for path in Path(built.index_dir).glob("build-*"))
    result = run_ctqa("-v", "index", *folders(built))
    assert result.returncode == 0, result.stderr
    summary = [line for line in result.stdout.splitlines() if line.startswith("Index ready in ")]
    assert len(summary) == 1, result.stdout
    assert "0 added, 0 changed, 0 removed, 1 unchanged" in summary[0] and "(up to date)" in summary[0]
    assert "loading embedding model" not in result.stderr  # -v would have said so
    assert sorted(path.name for path in Path(built.index_dir).glob("build-*")) == build_dir  # not rewritten


def test_index_names_each_skipped_file_once_and_leaves_one_report(
    article_copy: Callable[[], BuiltArticle], tmp_path: Path
) -> None:
    """A build with a skipped file: one line per skipped file (on stderr, in the report, not
    again as a warning); stdout holds what was built. With stderr redirected to a file (no
    terminal) no progress bar is written, so the skipped files are all stderr holds."""
    built = article_copy()
    (built.corpus_dir / "empty.txt").write_text("", encoding="utf-8")
    (built.corpus_dir / "gone.md").symlink_to(tmp_path / "missing.md")
    (built.corpus_dir / "notes.md").write_text("# Notes\n\nThe harbour holds 40 fishing boats.\n", encoding="utf-8")
    # bytes, not text: universal newlines would turn each bar's carriage returns into new lines
    raw = subprocess.run(
        [sys.executable, "-m", "ctqa.cli", "index", *folders(built)], capture_output=True, timeout=600, check=False
    )
    result = subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(), raw.stderr.decode())
    assert result.returncode == 0, result.stderr
    both = result.stdout + result.stderr
    assert both.count("empty.txt") == 1 and both.count("gone.md") == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[1].startswith("Index ready in") and "1 added" in lines[1]
    assert lines[2] == "  added: notes.md"
    # stderr is no terminal here: no progress bars, only the skipped files
    assert result.stderr.splitlines() == [
        "Skipped files (not indexed): 2",
        "  gone.md: broken link: target missing",
        "  empty.txt: no text found (empty file or only boilerplate)",
    ]
    (built.corpus_dir / "notes.md").write_text("# Notes\n\nThe harbour holds 41 fishing boats.\n", encoding="utf-8")
    verbose = run_ctqa("-v", "index", *folders(built))  # -v: what ctqa did, on stderr
    assert "skipped empty.txt" in verbose.stderr
