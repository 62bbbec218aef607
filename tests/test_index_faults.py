"""Broken, stale and unwritable indexes (issue 7, part 2): each is detected with a message that
names the cause and the fix; ctqa rebuilds when it can and never cites text the corpus no longer has.

Extends ``test_index.py`` (a truncated FAISS file, another model's dimension in the manifest with
``auto_build=False``, an edited or removed file), without repeating it. Every test works on a copy
of the session's built index (``article_copy``), so all of them load the model (``slow``).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest
from typer.testing import CliRunner

import ctqa
from conftest import ARTICLE_NAME, BuiltArticle
from ctqa import qa as qa_module
from ctqa.cli import app
from ctqa.config import ChunkSettings, CorpusSettings
from ctqa.errors import CorpusError, IndexCorruptError, IndexStaleError, IndexWriteError
from ctqa.index import store
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import LOCK, MANIFEST, load_index, read_manifest
from ctqa.ingest.loader import load_corpus
from ctqa.types import Answer

pytestmark = pytest.mark.slow

QUESTION = "How many Anti-Terrorism Task Forces did the US create?"


def build_dir(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir).build_dir


def rewrite_artifact(index_dir: Path, name: str, data: bytes) -> None:
    """Replace one index file *and* its checksum in the manifest (a consistent-looking edit)."""
    (build_dir(index_dir) / name).write_bytes(data)
    manifest_path = index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["artifacts"][name] = hashlib.sha256(data).hexdigest()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


def npy_bytes(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def strict(copy: BuiltArticle) -> ctqa.DocumentQA:
    return ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)


def assert_cites_the_current_corpus(answer: Answer, corpus_dir: Path) -> None:
    """Every passage shown is, at its offsets, the text of the corpus as it is now."""
    documents = {d.doc_id: d for d in load_corpus(corpus_dir).documents}
    for citation in (*answer.citations, *answer.closest):
        assert documents[citation.doc_id].text[citation.start : citation.end] == citation.text


def assert_rebuilt_and_answers(copy: BuiltArticle, cause: str) -> None:
    """``cause`` (a regular expression) is in the "rebuilding" message, and the rebuilt index answers."""
    answer = copy.qa.ask(QUESTION)
    rebuilding = [message for message in copy.qa.messages if "rebuilding" in message]
    assert rebuilding and re.search(cause, rebuilding[0]), copy.qa.messages
    assert not answer.abstained and "93" in answer.text
    assert_cites_the_current_corpus(answer, copy.corpus_dir)
    assert load_index(copy.index_dir).passage_index.ntotal == copy.report.passages


# -- corrupt files --------------------------------------------------------------------------------


def test_garbled_passages_file_fails_its_checksum(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    (build_dir(copy.index_dir) / "passages.npy").write_bytes(b"\x93NUMPY\x01\x00garbled\x00\xff")
    with pytest.raises(IndexCorruptError, match=r"passages\.npy does not match its checksum.*run `ctqa index`"):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, "passages.npy")


def test_sentence_vectors_cut_short_under_a_loaded_index_fail_one_question_then_rebuild(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    copy = article_copy()
    assert "93" in copy.qa.ask(QUESTION).text  # the index is loaded and in use
    sentences = build_dir(copy.index_dir) / "sentences.npy"
    with sentences.open("r+b") as file:  # something else cuts the file in place
        file.truncate(256)
    with pytest.raises(IndexCorruptError, match=r"sentences\.npy was cut short.*ask again to check and rebuild it"):
        copy.qa.ask(QUESTION)
    assert_rebuilt_and_answers(copy, "sentences.npy")


def test_passages_file_with_the_wrong_shape_is_corrupt(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    rewrite_artifact(copy.index_dir, "passages.npy", npy_bytes(np.zeros((3, 2), dtype=np.int64)))
    with pytest.raises(IndexCorruptError, match=r"cannot be read.*shapes.*run `ctqa index`"):
        load_index(copy.index_dir)
    assert_rebuilt_and_answers(copy, "cannot be read")


def test_passage_offsets_outside_the_document_text_are_never_cited(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    copy = article_copy()
    rows = np.load(build_dir(copy.index_dir) / "passages.npy")
    length = len(load_corpus(copy.corpus_dir).documents[0].text)
    rows[0, 7:9] = (length + 10, length + 90)  # start, end: past the end of the article
    rewrite_artifact(copy.index_dir, "passages.npy", npy_bytes(rows))

    with pytest.raises(IndexCorruptError, match=f"passage 0 .* does not match the text of {ARTICLE_NAME}"):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, "does not match the text")


@pytest.mark.parametrize(
    ("manifest_text", "problem"),
    [
        ("{ not json", r"manifest\.json is unreadable"),
        ("[]", r"manifest\.json is not a JSON object \(it holds an array\)"),
        ("null", r"manifest\.json is not a JSON object \(it holds null\)"),
        ("{}", r"manifest\.json is missing fields format_version, ctqa_version, model"),
        ('{"format_version": 1}', r"manifest\.json is missing fields ctqa_version, model"),
    ],
)
def test_unreadable_manifest_is_corrupt(
    article_copy: Callable[[], BuiltArticle], manifest_text: str, problem: str
) -> None:
    copy = article_copy()
    (copy.index_dir / MANIFEST).write_text(manifest_text, encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=problem + r".*run `ctqa index`"):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, problem)


@pytest.mark.parametrize(("field", "value"), [("files", None), ("artifacts", []), ("build_dir", "../../etc")])
def test_manifest_fields_of_the_wrong_kind_are_corrupt(
    article_copy: Callable[[], BuiltArticle], field: str, value: object
) -> None:
    copy = article_copy()
    manifest_path = copy.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest[field] = value
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=field):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, field)


def test_vectors_of_another_dimension_than_the_manifest_says_are_corrupt(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    """Files written by another model (768-d) under a manifest that claims 384: caught on load,
    not by FAISS failing on the first question."""
    copy = article_copy()
    index = load_index(copy.index_dir)
    rng = np.random.default_rng(0)
    other = faiss.IndexFlatIP(768)
    other.add(rng.standard_normal((index.passage_index.ntotal, 768)).astype(np.float32))
    rewrite_artifact(copy.index_dir, "passages.faiss", faiss.serialize_index(other).tobytes())
    sentences = rng.standard_normal((len(index.sentence_vectors), 768)).astype(np.float32)
    rewrite_artifact(copy.index_dir, "sentences.npy", store._npy_bytes(sentences))

    with pytest.raises(IndexCorruptError, match="passages.faiss in .* holds 768-dimensional vectors but the manifest says 384"):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, "768-dimensional")


def test_sentence_vectors_of_another_width_name_both_numbers(article_copy: Callable[[], BuiltArticle]) -> None:
    """Only the sentence vectors are of another width: the message names that file and both
    widths (not the passage index's 384 twice)."""
    copy = article_copy()
    index = load_index(copy.index_dir)
    sentences = np.zeros((len(index.sentence_vectors), 512), dtype=np.float32)
    rewrite_artifact(copy.index_dir, "sentences.npy", store._npy_bytes(sentences))
    with pytest.raises(IndexCorruptError, match="sentences.npy in .* holds 512-dimensional vectors but the manifest says 384"):
        strict(copy).ask(QUESTION)


def test_manifest_of_another_model_is_rebuilt(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    manifest_path = copy.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["model"] = {"name": "sentence-transformers/all-mpnet-base-v2", "dimension": 768}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="all-mpnet-base-v2"):
        strict(copy).ask(QUESTION)
    assert_rebuilt_and_answers(copy, "built with model")
    assert copy.qa.last_build is not None and copy.qa.last_build.embedded > 0  # nothing reused
    assert read_manifest(copy.index_dir).model["dimension"] == 384


def test_leftovers_of_a_killed_build_are_ignored_then_removed(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    staging = copy.index_dir / ".staging-20261129T120000-123-456"  # names as save_index writes them
    staging.mkdir()
    (staging / "passage_fields.json").write_text("[{", encoding="utf-8")
    orphan = copy.index_dir / "build-20261129T120001-124-457"
    shutil.copytree(build_dir(copy.index_dir), orphan)
    (orphan / "passages.faiss").write_bytes(b"half")
    assert not strict(copy).ask(QUESTION).abstained

    copy.qa.build()
    names = sorted(path.name for path in copy.index_dir.iterdir() if path.name != LOCK)
    assert names == sorted([MANIFEST, read_manifest(copy.index_dir).build_dir])


def test_a_lock_left_by_a_killed_build_does_not_block(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    script = (
        "import os, signal, sys, filelock\n"
        "filelock.FileLock(sys.argv[1]).acquire()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(copy.index_dir / LOCK)], timeout=60)
    assert killed.returncode == -9
    started = time.monotonic()
    copy.qa.build()
    assert time.monotonic() - started < 60


# -- the corpus changes while ctqa runs ---------------------------------------------------------------


def test_corpus_edited_while_running_is_seen_within_the_check_interval(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    copy = article_copy()
    assert "93" in copy.qa.ask(QUESTION).text
    article = copy.corpus_dir / ARTICLE_NAME
    article.write_text(article.read_text(encoding="utf-8").replace(" 93", " 77"), encoding="utf-8")

    time.sleep(CorpusSettings().check_interval_seconds + 0.2)
    during = copy.qa.ask(QUESTION)  # answered from the loaded index while the update is built
    assert "93" in during.text and qa_module.UPDATING_NOTE in during.notes
    assert copy.qa.wait_for_update(300)
    answer = copy.qa.ask(QUESTION)
    assert any(f"changed file {ARTICLE_NAME}" in message for message in copy.qa.messages)
    assert "77" in answer.text
    assert_cites_the_current_corpus(answer, copy.corpus_dir)
    assert all(" 93" not in c.text for c in (*answer.citations, *answer.closest))


def test_a_failed_reload_is_not_answered_from_the_old_index(article_copy: Callable[[], BuiltArticle]) -> None:
    """The corpus loses its only document: once the background update has failed, every
    question fails (clearly) until it is back, even within the check interval — the index of the
    removed text is not used again."""
    copy = article_copy()
    assert not copy.qa.ask(QUESTION).abstained
    article = copy.corpus_dir / ARTICLE_NAME
    text = article.read_bytes()
    article.unlink()
    time.sleep(CorpusSettings().check_interval_seconds + 0.2)
    copy.qa.ensure_ready()  # sees the change: the update starts in the background, and fails
    assert copy.qa.wait_for_update(300)
    for _ in range(2):  # the second question comes within the interval
        with pytest.raises(CorpusError, match="no readable document"):
            copy.qa.ask(QUESTION)
    article.write_bytes(text)
    assert "93" in copy.qa.ask(QUESTION).text


def test_corpus_folder_removed_while_running_is_a_clear_error(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    assert not copy.qa.ask(QUESTION).abstained
    shutil.rmtree(copy.corpus_dir)
    time.sleep(CorpusSettings().check_interval_seconds + 0.2)
    with pytest.raises(CorpusError, match="does not exist"):
        copy.qa.ask(QUESTION)


# -- an index folder that cannot be written -------------------------------------------------------------


def test_disk_full_during_a_build_keeps_the_previous_index(
    article_copy: Callable[[], BuiltArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = article_copy()
    before = read_manifest(copy.index_dir)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store, "atomic_write_bytes", disk_full)
    with pytest.raises(IndexWriteError, match=r"cannot write the index in .*No space left on device.*free disk space"):
        copy.qa.build()
    assert read_manifest(copy.index_dir) == before
    assert not list(copy.index_dir.glob(".staging-*"))
    assert not strict(copy).ask(QUESTION).abstained

    monkeypatch.undo()
    copy.qa.build()
    assert len(list(copy.index_dir.glob("build-*"))) == 1


def test_index_folder_under_a_file_is_a_clear_error(article_copy: Callable[[], BuiltArticle], tmp_path: Path) -> None:
    """A folder ctqa cannot create (works as root too, unlike chmod)."""
    copy = article_copy()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    index_dir = blocker / "index"
    qa = ctqa.DocumentQA(copy.corpus_dir, index_dir, embedder=copy.qa.embedder)
    with pytest.raises(IndexWriteError, match=r"no index in .* — and it cannot be rebuilt: cannot write the index"):
        qa.ask(QUESTION)

    runner = CliRunner()
    for command in (["index"], ["ask", QUESTION]):
        result = runner.invoke(app, [*command, "--corpus", str(copy.corpus_dir), "--index", str(index_dir)])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)
        assert "Error: " in result.stderr and "cannot write the index" in result.stderr
        assert "--index DIR" in result.stderr


def run_without_privileges(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``ctqa`` where file modes apply. Tests run as root in CI, and root writes into any
    folder whatever its mode; as root the command runs with every capability dropped
    (``setpriv``), so it stays root but, like any user, cannot write where the mode forbids."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): chmod would not stop root's writes")
        prefix = [setpriv, "--bounding-set", "-all", "--inh-caps", "-all"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ctqa.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def read_only_copy(article_copy: Callable[[], BuiltArticle]) -> Iterator[BuiltArticle]:
    """A copy of the built article whose index folder (and every file in it) is read-only."""
    copy = article_copy()
    index_files = [copy.index_dir, *copy.index_dir.rglob("*")]
    for path in index_files:
        path.chmod(0o555 if path.is_dir() else 0o444)
    yield copy
    for path in index_files:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_index_folder(read_only_copy: BuiltArticle) -> None:
    """A fresh read-only index answers; once the corpus changes, it cannot be rebuilt and ctqa
    says so (cause and fix), instead of answering from text the corpus no longer has."""
    copy = read_only_copy
    where = ["--corpus", str(copy.corpus_dir), "--index", str(copy.index_dir)]

    fresh = run_without_privileges(["ask", QUESTION, "--json", *where])
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "93" in json.loads(fresh.stdout)["text"]

    article = copy.corpus_dir / ARTICLE_NAME
    article.write_text(article.read_text(encoding="utf-8").replace(" 93", " 77"), encoding="utf-8")
    stale = run_without_privileges(["ask", QUESTION, "--json", *where])
    assert stale.returncode == 1, stale.stdout[-2000:] + stale.stderr[-3000:]
    assert stale.stdout == ""
    assert "Traceback" not in stale.stderr
    error = stale.stderr
    assert f"Error: index is stale: changed file {ARTICLE_NAME} — and it cannot be rebuilt" in error
    assert "cannot write the index" in error and "Permission denied" in error
    assert "make the folder writable" in error and "--index DIR" in error
    assert staleness_reasons(copy.index_dir, copy.corpus_dir, ChunkSettings()) == [f"changed file {ARTICLE_NAME}"]


# -- the index folder never costs the user a file ----------------------------------------------------


def test_a_users_build_folder_in_the_index_folder_is_kept(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    mine = copy.index_dir / "build-release"
    mine.mkdir()
    (mine / "app.bin").write_bytes(b"important")
    copy.qa.build()
    assert (mine / "app.bin").read_bytes() == b"important"


def test_index_folder_inside_the_corpus_is_refused(article_copy: Callable[[], BuiltArticle]) -> None:
    copy = article_copy()
    before = sorted(p.name for p in copy.corpus_dir.iterdir())
    for index_dir in (copy.corpus_dir, copy.corpus_dir / "index"):
        with pytest.raises(IndexWriteError, match="inside the corpus folder"):
            ctqa.DocumentQA(copy.corpus_dir, index_dir).build()
    assert sorted(p.name for p in copy.corpus_dir.iterdir()) == before
    # a hidden folder inside the corpus (the default for --corpus alone) is fine
    ctqa.DocumentQA(copy.corpus_dir, copy.corpus_dir / ".ctqa-index").build()


def test_index_folder_holding_other_files_is_refused(article_copy: Callable[[], BuiltArticle], tmp_path: Path) -> None:
    copy = article_copy()
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "manifest.json").write_text('{"my": "config"}', encoding="utf-8")
    with pytest.raises(IndexWriteError, match="already holds files that are not a ctqa index"):
        ctqa.DocumentQA(copy.corpus_dir, project).build()
    assert (project / "manifest.json").read_text(encoding="utf-8") == '{"my": "config"}'
    result = CliRunner().invoke(app, ["index", "--corpus", str(copy.corpus_dir), "--index", str(project)])
    assert result.exit_code == 1
    assert "not a ctqa index" in result.output
