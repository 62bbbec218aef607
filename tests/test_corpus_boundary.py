"""The corpus boundary and the per-file limits: links outside the corpus, oversized files,
interrupted builds, and an index copied from another corpus folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ctqa
from conftest import ARTICLE_NAME, BuiltArticle
from ctqa import chat
from ctqa.cli import app
from ctqa.config import CorpusSettings, Settings
from ctqa.documents import add_documents, list_documents
from ctqa.errors import IndexBusyError
from ctqa.index import builder
from ctqa.index.store import LOCK, read_manifest
from ctqa.ingest.loader import BROKEN_LINK, OUTSIDE_CORPUS, corpus_files, list_corpus, load_corpus

SECRET = "The secret outside password is PINEAPPLE-4471.\n"
NOTE = "Harbour Notes\n\nThe harbour of the town holds 40 fishing boats.\n"
FOLLOW = CorpusSettings(follow_outside_links=True)


@pytest.fixture
def corpus_with_links(tmp_path: Path) -> Path:
    """A corpus holding a note, a file link and a folder link to ``outside/``, and an inside link."""
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "folder" / "more.txt").write_text(SECRET, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(NOTE, encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "linked").symlink_to(outside / "folder", target_is_directory=True)
    (corpus / "same-harbour.txt").symlink_to(corpus / "harbour.txt")  # inside: read
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # inside: not followed
    return corpus


def test_links_outside_the_corpus_are_reported_not_read(corpus_with_links: Path) -> None:
    listing = list_corpus(corpus_with_links)
    assert [path.name for path in listing.files] == ["harbour.txt", "same-harbour.txt"]
    assert listing.outside == ("linked", "secret.txt")
    report = load_corpus(corpus_with_links)
    assert [document.doc_id for document in report.documents] == ["harbour.txt", "same-harbour.txt"]
    assert {error.path: error.reason for error in report.unread} == {
        "linked": OUTSIDE_CORPUS,
        "secret.txt": OUTSIDE_CORPUS,
    }
    assert "points outside the corpus; not indexed" in OUTSIDE_CORPUS
    assert all("PINEAPPLE" not in document.text for document in report.documents)


def test_broken_links_are_listed_with_the_reason(tmp_path: Path) -> None:
    """A link whose target is missing is named, never silently left out (a folder link too);
    a broken link to a file type the loader does not read is not a document either way."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(NOTE, encoding="utf-8")
    (corpus / "gone.md").symlink_to(tmp_path / "missing.md")
    (corpus / "gone-folder").symlink_to(tmp_path / "missing", target_is_directory=True)
    (corpus / "picture.png").symlink_to(tmp_path / "missing.png")
    listing = list_corpus(corpus)
    assert [path.name for path in listing.files] == ["harbour.txt"]
    assert listing.broken == ("gone-folder", "gone.md")
    assert listing.unread() == {"gone-folder": BROKEN_LINK, "gone.md": BROKEN_LINK}
    assert BROKEN_LINK == "broken link: target missing"
    report = load_corpus(corpus)
    assert [document.doc_id for document in report.documents] == ["harbour.txt"]
    assert {error.path: error.reason for error in report.unread} == listing.unread()


def test_the_setting_reads_links_outside_and_keeps_paths_inside(corpus_with_links: Path) -> None:
    report = load_corpus(corpus_with_links, settings=FOLLOW)
    ids = [document.doc_id for document in report.documents]
    assert ids == ["harbour.txt", "linked/more.txt", "same-harbour.txt", "secret.txt"]
    assert report.unread == []
    root = str(corpus_with_links)
    assert all(document.path.startswith(root) for document in report.documents)  # the link's path, not its target
    assert corpus_files(corpus_with_links, follow_outside_links=True)[1] == corpus_with_links / "linked" / "more.txt"


def test_a_file_over_the_size_limit_is_named_with_the_limit_and_the_setting(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(NOTE, encoding="utf-8")
    (corpus / "big.txt").write_text("The harbour is busy. " * 2000, encoding="utf-8")
    report = load_corpus(corpus, settings=CorpusSettings(max_file_bytes=10_000))
    assert [document.doc_id for document in report.documents] == ["harbour.txt"]
    [error] = report.skipped
    assert error.path == "big.txt"
    assert error.reason.startswith("is 0.0 MB, over the 0.01 MB limit per file")
    assert "CorpusSettings.max_file_bytes" in error.reason and "--max-file-mb" in error.reason


def test_upload_of_a_link_outside_is_refused_and_a_copy_is_never_a_link(tmp_path: Path) -> None:
    """The chat page's uploads and `ctqa add` share ``add_documents``."""
    from test_documents import StubQA

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "secret.txt")
    stub = StubQA(corpus, tmp_path / "index")
    report = add_documents(stub, [(tmp_path / "link.txt", "link.txt")])  # type: ignore[arg-type]
    assert report.added == []
    assert "symlink pointing outside the corpus; not added" in report.rejected["link.txt"]
    assert sorted(p.name for p in corpus.iterdir()) == ["harbour.txt"]
    allowed = StubQA(corpus, tmp_path / "index", settings=Settings(corpus=FOLLOW))
    report = add_documents(allowed, [(tmp_path / "link.txt", "link.txt")])  # type: ignore[arg-type]
    assert report.added == ["link.txt"]
    assert not (corpus / "link.txt").is_symlink()  # the bytes were copied into the corpus
    assert (corpus / "link.txt").read_text(encoding="utf-8") == SECRET


def test_ctqa_add_refuses_a_link_outside(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "secret.txt")
    result = CliRunner().invoke(app, ["add", str(tmp_path / "link.txt"), "--corpus", str(corpus)])
    assert result.exit_code == 1
    assert "symlink pointing outside the corpus; not added" in result.output
    assert list(corpus.iterdir()) == []


# -- slow: builds --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_link_outside_is_never_indexed_or_answered(article_copy: Callable[[], BuiltArticle], tmp_path: Path) -> None:
    copy = article_copy()
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (copy.corpus_dir / "secret.txt").symlink_to(tmp_path / "secret.txt")
    report = copy.qa.build()
    assert report.skipped == {"secret.txt": OUTSIDE_CORPUS}
    assert report.unchanged == [ARTICLE_NAME] and report.added == []
    answer = copy.qa.ask("What is the secret outside password?")
    assert "PINEAPPLE" not in answer.text
    assert all("PINEAPPLE" not in c.text for c in answer.citations + answer.closest)
    assert copy.qa.ensure_ready() is copy.qa.ensure_ready()  # the refused link does not make it stale


@pytest.mark.slow
def test_unread_links_are_named_by_every_listing_not_only_by_a_build(
    article_copy: Callable[[], BuiltArticle], tmp_path: Path
) -> None:
    """With the index up to date, `ctqa index` (every run), ``DocumentQA.build`` and the page's
    documents table still name the link outside the corpus and the broken link, with the reason."""
    copy = article_copy()
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (copy.corpus_dir / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (copy.corpus_dir / "gone.md").symlink_to(tmp_path / "missing.md")
    expected = {"gone.md": BROKEN_LINK, "secret.txt": OUTSIDE_CORPUS}
    report = copy.qa.build(only_if_stale=True)
    assert report.skipped == expected and report.unchanged == [ARTICLE_NAME]  # nothing was rebuilt
    where = ["--corpus", str(copy.corpus_dir), "--index", str(copy.index_dir)]
    for _ in range(2):
        result = CliRunner().invoke(app, ["index", *where])
        assert result.exit_code == 0, result.output
        assert "(up to date)" in result.output and "Skipped files (not indexed): 2" in result.output
        assert f"  gone.md: {BROKEN_LINK}\n" in result.output and f"  secret.txt: {OUTSIDE_CORPUS}\n" in result.output
    listed = {document.doc_id: document for document in list_documents(copy.qa)}
    assert {doc_id: listed[doc_id].problem for doc_id in expected} == expected
    assert not listed["gone.md"].removable and listed[ARTICLE_NAME].removable and listed[ARTICLE_NAME].passages > 0
    table = chat.render_documents(list(listed.values()))
    assert f"not indexed: {chat.escape_text(BROKEN_LINK)}" in table and "gone.md" in table


@pytest.mark.slow
def test_a_file_over_the_passage_limit_is_skipped_by_name(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    (copy.corpus_dir / "long.txt").write_text(
        "Long Notes\n\n" + "\n\n".join(f"Paragraph {n} is about the harbour." for n in range(30)), encoding="utf-8"
    )
    qa = ctqa.DocumentQA(
        copy.corpus_dir,
        copy.index_dir,
        embedder=copy.qa.embedder,
        settings=Settings(corpus=CorpusSettings(max_passages_per_file=20)),
    )
    report = qa.build()
    assert report.skipped["long.txt"].startswith("gives 30 passages, over the limit of 20 per file")
    assert "CorpusSettings.max_passages_per_file" in report.skipped["long.txt"]
    assert "long.txt" not in qa.ensure_ready().index.documents
    assert read_manifest(copy.index_dir).skipped["long.txt"] == report.skipped["long.txt"]


@pytest.mark.slow
def test_an_interrupted_build_leaves_the_previous_index(
    article_copy: Callable[[], BuiltArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the new document is embedded: the previous build stays the index."""
    copy = article_copy()
    before = read_manifest(copy.index_dir)
    (copy.corpus_dir / "harbour.txt").write_text(NOTE, encoding="utf-8")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(copy.qa.embedder, "encode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        copy.qa.build()
    monkeypatch.undo()
    after = read_manifest(copy.index_dir)
    assert after.build_dir == before.build_dir and after.files == before.files
    assert sorted(p.name for p in copy.index_dir.iterdir() if p.name.startswith((".staging", "build-"))) == [
        before.build_dir
    ]
    strict = ctqa.DocumentQA(
        copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False
    )
    (copy.corpus_dir / "harbour.txt").unlink()
    assert strict.ask("How many Anti-Terrorism Task Forces did the US create?").citations


@pytest.mark.slow
def test_an_index_copied_from_another_corpus_folder_is_stale(article_copy: Callable[[], BuiltArticle], tmp_path: Path) -> None:
    copy = article_copy()
    copy.qa.build()  # records this copy's folder
    moved = tmp_path / "elsewhere"
    shutil.copytree(copy.corpus_dir, moved / "corpus")
    shutil.copytree(copy.index_dir, moved / "index", ignore=shutil.ignore_patterns(".lock"))
    strict = ctqa.DocumentQA(moved / "corpus", moved / "index", embedder=copy.qa.embedder, auto_build=False)
    with pytest.raises(ctqa.IndexStaleError, match="built for the corpus folder .*, not "):
        strict.ask("How many Anti-Terrorism Task Forces did the US create?")
    rebuilt = ctqa.DocumentQA(moved / "corpus", moved / "index", embedder=copy.qa.embedder)
    answer = rebuilt.ask("How many Anti-Terrorism Task Forces did the US create?")
    assert answer.citations and all(c.path.startswith(str(moved)) for c in answer.citations)
    assert rebuilt.last_build is not None and rebuilt.last_build.embedded == 0  # vectors reused by file hash


# -- a reader and another process's build ------------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from filelock import FileLock
lock = FileLock(sys.argv[1]); lock.acquire()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
if len(sys.argv) > 3:
    Path(sys.argv[3]).unlink()  # what that build ends with: the index matches the corpus again
lock.release()
"""


def hold_build_lock(index_dir: Path, seconds: float, *then_remove: Path) -> subprocess.Popen[str]:
    """Another process holding ``index_dir``'s build lock for ``seconds``, as a build does."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir / LOCK), str(seconds), *map(str, then_remove)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    return process


@pytest.mark.slow
def test_a_reader_waits_for_another_process_build_instead_of_building(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    added = copy.corpus_dir / "harbour.txt"
    added.write_text(NOTE, encoding="utf-8")  # the index is stale while the other build runs
    other = hold_build_lock(copy.index_dir, 2.0, added)
    started = time.monotonic()
    answer = copy.qa.ask("How many Anti-Terrorism Task Forces did the US create?")
    assert time.monotonic() - started >= 1.5 and other.wait(10) == 0
    assert answer.citations and copy.qa.last_build is None  # read the other build's index, built nothing
    assert any("waited for another process's build" in message for message in copy.qa.messages)


@pytest.mark.slow
def test_a_reader_waits_a_bounded_time_then_says_so(
    article_copy: Callable[[], BuiltArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = article_copy()
    (copy.corpus_dir / "harbour.txt").write_text(NOTE, encoding="utf-8")
    monkeypatch.setattr(builder, "BUILD_WAIT_SECONDS", 0.5)
    other = hold_build_lock(copy.index_dir, 4.0)
    with pytest.raises(IndexBusyError, match=r"another process has been building the index in .* for over 0 s"):
        copy.qa.ask("How many Anti-Terrorism Task Forces did the US create?")
    assert copy.qa.last_build is None
    other.wait(10)


def test_ctqa_index_interrupted_says_the_previous_index_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: ctqa.DocumentQA, *, show_progress: bool = False, only_if_stale: bool = False) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ctqa.DocumentQA, "build", interrupted)
    (tmp_path / "corpus").mkdir()
    result = CliRunner().invoke(app, ["index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 130
    assert f"interrupted; the previous index in {tmp_path / 'ix'} is unchanged" in result.output
