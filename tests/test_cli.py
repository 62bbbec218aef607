"""The ``ctqa`` command line: index, ask (readable and --json), exit codes and messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import RecordedLaunch
from ctqa.cli import app, is_loopback
from ctqa.index.store import load_index
from test_encodings import LATIN1_TEXT, index_without_model

BEES = """Honey Bees

Notes on how a honey bee colony lives and works.

Colony Life

A honey bee colony has one queen, thousands of female worker bees and a few hundred male drones. The queen lays up to 2,000 eggs per day in spring.

Worker bees collect nectar and pollen from flowers. They turn nectar into honey and store it in wax cells.

Dances

Foragers tell their sisters where flowers are with the waggle dance. The angle of the dance shows the direction of the food relative to the sun.
"""

LIGHTHOUSES = """Lighthouses

A short history of lighthouses and their lamps.

History

The Pharos of Alexandria was built around 280 BC and stood for more than a thousand years. It was one of the Seven Wonders of the Ancient World.

Lenses

The Fresnel lens was invented by the French physicist Augustin-Jean Fresnel in 1822. Its rings of glass prisms let a small lamp be seen more than 20 miles away.
"""


@dataclass(frozen=True)
class TinyCorpus:
    corpus_dir: Path
    index_dir: Path
    index_output: str  # stdout: what was built
    index_warnings: str  # stderr: the skipped files


def write_tiny_corpus(corpus_dir: Path) -> None:
    """Two small documents with headings and paragraphs, and one file that cannot be read (an
    image saved as .txt)."""
    corpus_dir.mkdir(parents=True)
    (corpus_dir / "bees.txt").write_text(BEES, encoding="utf-8")
    (corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    (corpus_dir / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyCorpus:
    """The tiny corpus, indexed once per module with ``ctqa index`` (loads the model)."""
    root = tmp_path_factory.mktemp("cli")
    corpus_dir, index_dir = root / "corpus", root / "index"
    write_tiny_corpus(corpus_dir)
    result = CliRunner().invoke(app, ["index", "--corpus", str(corpus_dir), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    return TinyCorpus(corpus_dir, index_dir, result.stdout, result.stderr)


def ask(runner: CliRunner, tiny: TinyCorpus, *args: str):
    return runner.invoke(app, ["ask", *args, "--corpus", str(tiny.corpus_dir), "--index", str(tiny.index_dir)])


# -- fast: no model ---------------------------------------------------------------------------


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("index", "ask", "serve"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("ask", "Usage: ctqa ask [OPTIONS] QUESTION"),
        ("add", "Usage: ctqa add [OPTIONS] FILE..."),
        ("index", "Usage: ctqa index [OPTIONS] [SOURCE]"),
        ("serve", "Usage: ctqa serve [OPTIONS]"),
    ],
)
def test_usage_lines_name_arguments_without_braces(runner: CliRunner, command: str, usage: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    first = next(line.strip() for line in result.stdout.splitlines() if line.strip())
    assert first == usage


def test_a_missing_question_shows_the_usage_with_its_name(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ask"])
    assert result.exit_code == 2
    assert "Usage: ctqa ask [OPTIONS] QUESTION" in result.output
    assert "{" not in result.output


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_exits_2_with_a_message(runner: CliRunner, tmp_path: Path, question: str) -> None:
    result = runner.invoke(app, ["ask", question, "--corpus", str(tmp_path), "--index", str(tmp_path / "i")])
    assert result.exit_code == 2
    assert "question is empty" in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_ctqa_error_exits_1_with_its_message(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    result = runner.invoke(app, ["ask", "What is a bee?", "--corpus", str(missing), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr and str(missing) in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_index_of_a_missing_corpus_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert "Error:" in result.stderr


def test_index_prints_what_was_built_on_stdout_and_skipped_files_on_stderr(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An index that matches the corpus (no model is loaded): the summary alone on stdout, the
    files not indexed on stderr, and the Latin-1 note among the indexed documents."""
    corpus_dir, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus_dir.mkdir()
    (corpus_dir / "cafe.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    index_without_model(corpus_dir, index_dir)
    (corpus_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (corpus_dir / "cafe.txt~").write_bytes(b"an editor's backup: no document, not reported")

    result = runner.invoke(app, ["index", "--corpus", str(corpus_dir), "--index", str(index_dir)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Indexing {corpus_dir} into {index_dir} …"
    assert lines[1].startswith("Index ready in ") and lines[1].endswith(
        "0 added, 0 changed, 0 removed, 1 unchanged; 1 passages, 0 texts embedded (up to date)"
    )
    assert len(lines) == 2
    assert result.stderr.splitlines() == [
        "Skipped files (not indexed): 1",
        "  photo.png: unsupported file type .png (ctqa reads: .docx, .htm, .html, .markdown, .md, .pdf, .txt)",
    ]


def test_add_names_the_files_not_added_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    result = runner.invoke(
        app, ["add", str(tmp_path / "photo.png"), "--corpus", str(corpus_dir), "--index", str(tmp_path / "index")]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "Not added:"
    assert result.stderr.splitlines()[1].startswith("  photo.png: .png files cannot be added")
    assert list(corpus_dir.iterdir()) == []


def test_top_k_out_of_range_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask", "What is a bee?", "--top-k", "0", "--corpus", str(tmp_path)])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.1.1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- slow: builds the tiny index --------------------------------------------------------------


@pytest.mark.slow
def test_index_prints_summary_and_skipped_files(tiny: TinyCorpus) -> None:
    assert "2 added" in tiny.index_output and "broken.txt" not in tiny.index_output
    assert tiny.index_warnings.splitlines() == [
        "Skipped files (not indexed): 1",
        "  broken.txt: contains NUL bytes; it looks like a binary file, not text",
    ]


@pytest.mark.slow
def test_reindex_of_an_unchanged_corpus_embeds_nothing(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = runner.invoke(app, ["index", "--corpus", str(tiny.corpus_dir), "--index", str(tiny.index_dir)])
    assert result.exit_code == 0, result.output
    assert "2 unchanged" in result.stdout and "0 texts embedded" in result.stdout


@pytest.mark.slow
def test_ask_json_cites_the_exact_document_text(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = ask(runner, tiny, "Who invented the Fresnel lens?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["abstained"] is False
    assert "Augustin-Jean Fresnel" in answer["text"]
    assert 1 <= len(answer["citations"]) <= 3
    documents = load_index(tiny.index_dir).documents
    for citation in answer["citations"]:
        document = documents[citation["doc_id"]]
        assert document.text[citation["start"] : citation["end"]] == citation["text"]
    first = answer["citations"][0]
    assert first["doc_id"] == "lighthouses.txt" and first["section"] == "Lenses"
    spans = first["answer_spans"]
    text = documents[first["doc_id"]].text
    assert spans and " ".join(text[start:end] for start, end in spans) == answer["text"]
    assert all(first["start"] <= start < end <= first["end"] for start, end in spans)


@pytest.mark.slow
def test_ask_json_keeps_unicode_and_top_k(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = ask(runner, tiny, "How many eggs does the queen lay per day?", "--json", "--top-k", "1")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert "2,000 eggs" in answer["text"]
    assert len(answer["citations"]) == 1


@pytest.mark.slow
def test_off_topic_question_is_declined(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = ask(runner, tiny, "What is the capital of Australia?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["abstained"] is True
    assert answer["citations"] == []
    assert all(passage["supports_answer"] is False for passage in answer["closest"])


@pytest.mark.slow
def test_readable_answer_lists_numbered_citations(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = ask(runner, tiny, "Who invented the Fresnel lens?")
    assert result.exit_code == 0, result.output
    out = result.stdout
    short, sentence = out.splitlines()[:2]
    assert short == "Augustin-Jean Fresnel"  # the short answer first, then its sentence
    assert sentence.startswith("The Fresnel lens was invented") and short in sentence
    assert "Confidence:" in out
    assert "[1] Lighthouses — Lenses (lighthouses.txt, characters " in out
    assert '"The Fresnel lens was invented by the French physicist' in out


@pytest.mark.slow
def test_readable_decline_says_so_and_marks_closest_passages(runner: CliRunner, tiny: TinyCorpus) -> None:
    result = ask(runner, tiny, "What is the capital of Australia?")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("The documents do not say what the capital of Australia is.")
    assert "Closest passages (they do not answer the question):" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_serve_launches_the_page_and_warns_off_loopback(
    runner: CliRunner, tiny: TinyCorpus, monkeypatch: pytest.MonkeyPatch, host: str, warned: bool
) -> None:
    from ctqa import chat

    launched = RecordedLaunch()
    monkeypatch.setattr(chat, "launch", launched)
    result = runner.invoke(
        app,
        ["serve", "--host", host, "--port", "7999", "--corpus", str(tiny.corpus_dir), "--index", str(tiny.index_dir)],
    )
    assert result.exit_code == 0, result.output
    assert launched.calls == [(host, 7999)] and launched.blocked
    assert f"Chat page on http://{host}:7999/" in result.stdout
    assert "Index ready in" in result.stdout  # the command waits for the loader before blocking
    assert ("reachable from other machines" in result.stderr) is warned


def test_seconds_since_start_counts_from_the_process_start() -> None:
    """"Index ready in N s" counts the imports too: the process started before ctqa.cli was imported."""
    import time

    from ctqa import cli

    since_import = time.perf_counter() - cli.STARTED
    assert since_import - 0.05 <= cli.seconds_since_start() < since_import + 600


def test_serve_on_a_port_in_use_fails_at_once_naming_it(runner: CliRunner, tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port), "--corpus", str(tmp_path)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.output


@pytest.mark.slow
def test_ask_lists_the_sources_the_page_lists_and_json_marks_those_under_the_floor(article_index: Any) -> None:
    """One relevance floor: `ctqa ask` shows the sources the chat page shows (with the same
    note); `--json` and ``DocumentQA.ask`` keep every source, those under the floor marked."""
    from ctqa import chat

    question = "How many Anti-Terrorism Task Forces did the US create?"
    where = ["--corpus", str(article_index.corpus_dir), "--index", str(article_index.index_dir)]
    shown = CliRunner().invoke(app, ["ask", question, "--top-k", "10", *where])
    assert shown.exit_code == 0, shown.output
    cli_sources = re.findall(r"^\[\d+\] ", shown.output, flags=re.M)
    page, _ = chat.respond(question, [], article_index.qa, top_k=10)
    assert 1 <= len(cli_sources) == page.count('class="ctqa-source"') < 10
    assert f"{len(cli_sources)} sources of the 10 asked for" in shown.output
    full = CliRunner().invoke(app, ["ask", question, "--top-k", "10", "--json", *where])
    citations = json.loads(full.stdout)["citations"]
    assert len(citations) >= 10 and citations[0]["below_floor"] is False
    assert sum(not citation["below_floor"] for citation in citations) == len(cli_sources)


def test_an_overview_prints_its_notes_and_each_source_its_role(capsys: pytest.CaptureFixture[str]) -> None:
    from ctqa.cli import print_answer
    from ctqa.types import Answer, Citation, OverviewItem

    cited = Citation("bees.txt", "Honey Bees", "Dances", 0, 20, "Foragers tell sisters.", 0.4, role="answer")
    answer = Answer(
        question="How do bees work? And why?", text="Foragers tell sisters.", citations=[cited], abstained=False,
        confidence=0.4, overview=[OverviewItem("Foragers tell sisters.", 1, "bees.txt", "Dances", 0, 22)],
        notes=["The message asks 2 questions; this answers the first."],
    )
    print_answer(answer)
    out = capsys.readouterr().out
    assert "Note: The message asks 2 questions; this answers the first." in out
    assert out.index("Note: ") < out.index("Citations:")
    assert "[1] Honey Bees — Dances (bees.txt, characters 0–20) — holds the answer" in out
