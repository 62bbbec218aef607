"""Concurrency (issue 7, part 3): builds exclude each other through the index lock, readers never
see a half-replaced index, and threads asking at once get exactly the sequential answers.

The chat page's share of this is Gradio's queue: ``chat.CONCURRENCY_LIMIT`` (4) events at once,
the rest wait in the queue (README, "Reliability"); ``scripts/soak.py`` drives it over HTTP.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

import ctqa
from conftest import PROJECT_ROOT, BuiltArticle, hold_rebuilds
from ctqa.config import ChunkSettings
from ctqa.index.builder import staleness_reasons
from ctqa.index.store import LOCK, MANIFEST, load_index, read_manifest

pytestmark = pytest.mark.slow

THREADS = 8
TOTAL_ASKS = 500


def eval_cases() -> list[tuple[str, list[dict[str, str]] | None]]:
    """Every question of the eval set (follow-ups with their history), plus a few odd inputs."""
    cases: list[tuple[str, list[dict[str, str]] | None]] = []
    for line in (PROJECT_ROOT / "eval" / "article_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            cases.append((item["question"], item.get("history")))
    cases += [("?", None), ("🤔 NATO", None), ("What\x00 is COE-DAT?", None), ("x" * 5000, None)]
    return cases


def comparable(answer: ctqa.Answer) -> dict[str, Any]:
    data = answer.to_dict()
    data.pop("latency_ms")
    return data


def test_threads_get_exactly_the_sequential_answers(article_index: BuiltArticle) -> None:
    qa = article_index.qa
    cases = eval_cases()
    expected = [comparable(qa.ask(question, history=history)) for question, history in cases]

    def ask(number: int) -> tuple[int, dict[str, Any]]:
        question, history = cases[number % len(cases)]
        return number, comparable(qa.ask(question, history=history))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(ask, range(TOTAL_ASKS)))
    assert len(results) == TOTAL_ASKS
    mismatches = [number for number, got in results if got != expected[number % len(cases)]]
    assert mismatches == []


def test_threads_on_a_new_qa_build_the_index_once(article_copy: Callable[[], BuiltArticle]) -> None:
    """Eight threads ask a fresh ``DocumentQA`` whose index is stale: one rebuild, eight answers."""
    copy = article_copy()
    (copy.corpus_dir / "border.md").write_text(
        "# Border Notes\n\nThe border has twelve crossings. Each crossing has a small office.\n", encoding="utf-8"
    )
    barrier = threading.Barrier(THREADS)

    def ask(_: int) -> ctqa.Answer:
        barrier.wait(timeout=60)
        return copy.qa.ask("How many crossings does the border have?")

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(ask, range(THREADS)))
    # one rebuild for all threads: its start ("… rebuilding the index in …") and its end
    assert len([m for m in copy.qa.messages if re.match(r"index in .* rebuilt in \d+\.\d s ", m)]) == 1
    assert len(copy.qa.messages) == 2
    assert len({answer.text for answer in answers}) == 1 and "twelve crossings" in answers[0].text


def test_readers_never_see_a_half_replaced_index(article_copy: Callable[[], BuiltArticle]) -> None:
    """One thread rebuilds over and over (each build writes a new folder, switches the manifest and
    removes the old folder); another opens the index meanwhile with ``auto_build=False``: every
    open succeeds (a load that lost its folder to a newer build reads the new one)."""
    copy = article_copy()
    builds, stop = 12, threading.Event()
    errors: list[BaseException] = []
    opened = 0

    def read() -> None:
        nonlocal opened
        while not stop.is_set() and opened < 10_000:
            reader = ctqa.DocumentQA(copy.corpus_dir, copy.index_dir, embedder=copy.qa.embedder, auto_build=False)
            try:
                reader.ensure_ready()
            except BaseException as error:  # noqa: BLE001 - collected and reported below
                errors.append(error)
            opened += 1

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(builds):
            assert copy.qa.build().embedded == 0
    finally:
        stop.set()
        thread.join(timeout=120)
    assert errors == [] and opened > 0
    assert len(list(copy.index_dir.glob("build-*"))) == 1


def ctqa_index(corpus_dir: Path, index_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        # -v: "another build holds …; waiting" is an INFO line, shown only when asked for
        [sys.executable, "-m", "ctqa.cli", "-v", "index", "--corpus", str(corpus_dir), "--index", str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_index_commands_at_once_leave_one_valid_index(article_index: BuiltArticle, tmp_path: Path) -> None:
    """Two ``ctqa index`` processes start on an empty index folder while the test holds the lock,
    so both must wait for it: one builds, the other then finds the result and embeds nothing."""
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    lock = FileLock(str(index_dir / LOCK))
    lock.acquire()
    try:
        processes = [ctqa_index(article_index.corpus_dir, index_dir) for _ in range(2)]
        # Both are past start-up (model loaded) and waiting on the lock once each has said so.
        waiting = 0
        for process in processes:
            assert process.stderr is not None
            for line in process.stderr:
                if "another build holds" in line:
                    waiting += 1
                    break
    finally:
        lock.release()
    outputs = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert waiting == 2
    summaries = [line for stdout, _ in outputs for line in stdout.splitlines() if line.startswith("Index ready")]
    built = [s for s in summaries if "1 added, 0 changed, 0 removed, 0 unchanged" in s]
    reused = [s for s in summaries if "0 added, 0 changed, 0 removed, 1 unchanged" in s and "0 texts embedded" in s]
    assert len(built) == len(reused) == 1, summaries

    index = load_index(index_dir)
    assert index.passage_index.ntotal == article_index.report.passages
    assert staleness_reasons(index_dir, article_index.corpus_dir, ChunkSettings()) == []
    names = sorted(path.name for path in index_dir.iterdir() if path.name != LOCK)
    assert names == sorted([MANIFEST, read_manifest(index_dir).build_dir])


# -- a corpus changed while questions are answered -------------------------------------------------

QUESTION = "How many Anti-Terrorism Task Forces did the US create?"


def test_a_changed_corpus_is_indexed_in_the_background_while_questions_are_answered(
    article_copy: Callable[[], BuiltArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit while the page runs: questions asked during the rebuild (two at once) are answered
    from the loaded index, say so, and do not wait; then the new index is swapped in."""
    copy = article_copy()
    qa = copy.qa
    assert "93" in qa.ask(QUESTION).text
    building, release = hold_rebuilds(qa, monkeypatch)
    article = next(copy.corpus_dir.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8").replace(" 93", " 77"), encoding="utf-8")
    try:
        first = qa.ask(QUESTION)
        assert building.wait(60) and qa.updating
        assert "93" in first.text and ctqa.qa.UPDATING_NOTE in first.notes
        with ThreadPoolExecutor(max_workers=2) as pool:  # two users at once, mid-rebuild
            during = list(pool.map(lambda _: qa.ask(QUESTION), range(2)))
        assert all("93" in answer.text and ctqa.qa.UPDATING_NOTE in answer.notes for answer in during)
        assert qa.updating  # nobody waited for the rebuild
    finally:
        release.set()
    assert qa.wait_for_update(300) and not qa.updating
    after = qa.ask(QUESTION)
    assert "77" in after.text and ctqa.qa.UPDATING_NOTE not in after.notes
    assert any(re.match(r"index in .* rebuilt in \d+\.\d s ", message) for message in qa.messages)


def test_a_changed_corpus_is_noticed_without_a_question(article_copy: Callable[[], BuiltArticle]) -> None:
    """The page's timer calls ``notice_changes``: a new file is indexed in the background and
    ``generation`` moves on (the documents table refreshes), before anyone asks."""
    copy = article_copy()
    qa = copy.qa
    qa.notice_changes()  # nothing loaded yet: returns at once, loads nothing
    assert qa.generation == 0
    qa.ensure_ready()
    loaded = qa.generation
    (copy.corpus_dir / "lighthouse.md").write_text(
        "# Lighthouses\n\nThe Bell Rock Lighthouse was built between 1807 and 1810.\n", encoding="utf-8"
    )
    deadline = time.monotonic() + 300
    while qa.generation == loaded and time.monotonic() < deadline:
        qa.notice_changes()
        time.sleep(0.5)
    assert qa.wait_for_update(300) and qa.generation > loaded
    assert "lighthouse.md" in {citation.doc_id for citation in qa.ask("When was the Bell Rock Lighthouse built?").citations}
