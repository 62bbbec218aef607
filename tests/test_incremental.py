"""Incremental indexing of a mixed-format corpus: exact counts of added / changed / removed /
unchanged documents and of texts embedded, edited text replacing the old in answers, and the
``ctqa index`` / ``ctqa add`` commands.

All tests load the model (``slow``). The five-format corpus is indexed once per module; each test
works on a copy of the corpus *and* its index, so reopening it costs no embedding.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

import ctqa
from conftest import retarget, without_paths
from ctqa.chunking import chunk_documents
from ctqa.cli import app
from ctqa.config import ChunkSettings
from ctqa.index.store import load_index
from ctqa.ingest.loader import load_document
from make_documents import GARDEN_MD, write_format_corpus

pytestmark = pytest.mark.slow

ALL_DOCS = ["bakery.docx", "bees.txt", "garden.md", "glaciers.pdf", "lighthouses.html"]
WATER_QUESTION = "How much water do tomato plants need per week?"
# Written to disk in Latin-1 (é = 0xe9, è = 0xe8, û = 0xfb): no UTF-8 file holds these bytes.
LATIN1_NOTE = "Café Notes\n\nThe café on the quay opens at nine and serves crème brûlée until noon.\n"
NEW_NOTE = "# Harbour Notes\n\n## Ferries\n\nThe ferry to the island leaves every 40 minutes from pier three.\n"


@dataclass(frozen=True)
class Built:
    corpus_dir: Path
    index_dir: Path
    qa: ctqa.DocumentQA


@pytest.fixture(scope="module")
def built_formats(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("incremental")
    corpus = write_format_corpus(root / "corpus")
    qa = ctqa.DocumentQA(corpus, root / "index")
    report = qa.build()
    assert sorted(report.added) == ALL_DOCS
    return Built(corpus, root / "index", qa)


@pytest.fixture
def copy_built(built_formats: Built, tmp_path: Path) -> Callable[[], Built]:
    """Factory: a fresh copy of the built corpus and index, safe to edit."""
    counter = iter(range(100))

    def make() -> Built:
        root = tmp_path / f"copy{next(counter)}"
        shutil.copytree(built_formats.corpus_dir, root / "corpus")
        shutil.copytree(built_formats.index_dir, root / "index", ignore=shutil.ignore_patterns(".lock"))
        retarget(root / "index", root / "corpus")
        qa = ctqa.DocumentQA(root / "corpus", root / "index", embedder=built_formats.qa.embedder)
        return Built(root / "corpus", root / "index", qa)

    return make


def texts_to_embed(qa: ctqa.DocumentQA, *paths: Path) -> int:
    """Passages plus sentences of these files: what a build must send to the model for them."""
    documents = [load_document(path, qa.corpus_dir) for path in paths]
    passages = chunk_documents(documents, ChunkSettings(), qa.embedder.count_tokens)
    return len(passages) + sum(len(p.sentences) for p in passages)


def index_cli(built: Built) -> str:
    return index_cli_result(built).stdout


def index_cli_result(built: Built) -> Result:
    result = CliRunner().invoke(app, ["index", "--corpus", str(built.corpus_dir), "--index", str(built.index_dir)])
    assert result.exit_code == 0, result.output
    return result


# -- DocumentQA.build -----------------------------------------------------------------------------


def test_unchanged_corpus_embeds_nothing_and_keeps_the_vectors(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    before = load_index(built.index_dir)
    report = built.qa.build()
    assert report.embedded == 0
    assert report.unchanged == ALL_DOCS
    assert report.added == report.changed == report.removed == []
    after = load_index(built.index_dir)
    assert without_paths(after.passages) == without_paths(before.passages)
    np.testing.assert_array_equal(after.sentence_vectors, before.sentence_vectors)


def test_add_change_remove_exact_counts(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    corpus = built.corpus_dir
    before = load_index(built.index_dir)
    (corpus / "harbour.md").write_text(NEW_NOTE, encoding="utf-8")
    (corpus / "garden.md").write_text(GARDEN_MD.replace("five litres", "eight litres"), encoding="utf-8")
    (corpus / "bees.txt").unlink()
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.7 damaged")

    report = built.qa.build()

    assert report.added == ["harbour.md"]
    assert report.changed == ["garden.md"]
    assert report.removed == ["bees.txt"]
    assert report.unchanged == ["bakery.docx", "glaciers.pdf", "lighthouses.html"]
    assert list(report.skipped) == ["scan.pdf"] and "not a readable PDF" in report.skipped["scan.pdf"]
    assert report.embedded == texts_to_embed(built.qa, corpus / "harbour.md", corpus / "garden.md")
    after = load_index(built.index_dir)
    kept = [p for p in before.passages if p.doc_id in {"bakery.docx", "glaciers.pdf", "lighthouses.html"}]
    assert without_paths([p for p in after.passages if p.doc_id in {"bakery.docx", "glaciers.pdf", "lighthouses.html"}]) == without_paths(kept)
    assert not any(p.doc_id == "bees.txt" for p in after.passages)
    assert set(after.manifest.files) == {"bakery.docx", "garden.md", "glaciers.pdf", "harbour.md", "lighthouses.html"}


def test_edited_text_replaces_the_old_in_answers(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    assert "five litres" in built.qa.ask(WATER_QUESTION).text
    (built.corpus_dir / "garden.md").write_text(GARDEN_MD.replace("five litres", "eight litres"), encoding="utf-8")
    report = built.qa.build()
    assert report.changed == ["garden.md"] and len(report.unchanged) == 4
    answer = built.qa.ask(WATER_QUESTION)
    assert "eight litres" in answer.text and answer.citations[0].doc_id == "garden.md"
    index = built.qa.ensure_ready().index
    assert not any("five litres" in p.text for p in index.passages)
    assert "five litres" not in index.documents["garden.md"].text


def test_removed_document_is_never_cited(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    (built.corpus_dir / "bees.txt").unlink()
    report = built.qa.build()
    assert (report.removed, report.embedded) == (["bees.txt"], 0)
    answer = built.qa.ask("How many eggs does the queen lay per day?")
    assert all(c.doc_id != "bees.txt" for c in [*answer.citations, *answer.closest])


def test_a_file_that_becomes_broken_is_dropped_and_reported(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    (built.corpus_dir / "bakery.docx").write_bytes(b"")
    report = built.qa.build()
    assert report.skipped == {"bakery.docx": "empty file"}
    assert report.removed == ["bakery.docx"] and report.embedded == 0
    assert len(report.unchanged) == 4


# -- ctqa index -----------------------------------------------------------------------------------


def test_index_command_prints_counts_names_and_skipped_files(copy_built: Callable[[], Built]) -> None:
    built = copy_built()
    first = index_cli(built)
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in first and "0 texts embedded" in first

    (built.corpus_dir / "harbour.md").write_text(NEW_NOTE, encoding="utf-8")
    (built.corpus_dir / "bees.txt").unlink()
    (built.corpus_dir / "latin1.txt").write_bytes(LATIN1_NOTE.encode("latin-1"))
    (built.corpus_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    second = index_cli_result(built)
    assert "2 added, 0 changed, 1 removed, 4 unchanged" in second.stdout
    assert "  added: harbour.md, latin1.txt" in second.stdout and "  removed: bees.txt" in second.stdout
    # what was built on stdout, the file not indexed on stderr
    assert "photo.png" not in second.stdout
    assert second.stderr.splitlines() == [
        "Skipped files (not indexed): 1",
        "  photo.png: unsupported file type .png (ctqa reads: .docx, .htm, .html, .markdown, .md, .pdf, .txt)",
    ]

    # the Latin-1 file is cited like a UTF-8 one: offsets into its decoded text
    answer = built.qa.ask("What does the café on the quay serve?")
    citation = answer.citations[0]
    assert citation.doc_id == "latin1.txt" and "crème brûlée" in answer.text
    document = load_index(built.index_dir).documents["latin1.txt"]
    assert document.title == "Café Notes"
    assert document.text[citation.start : citation.end] == citation.text
    assert "The café on the quay opens at nine and serves crème brûlée until noon." in citation.text


# -- ctqa add -------------------------------------------------------------------------------------


def test_add_copies_indexes_and_never_overwrites(copy_built: Callable[[], Built], tmp_path: Path) -> None:
    built = copy_built()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "harbour.md").write_text(NEW_NOTE, encoding="utf-8")
    other_garden = "# Herb Garden\n\n## Basil\n\nBasil needs a sunny windowsill and water every second day.\n"
    (outside / "garden.md").write_text(other_garden, encoding="utf-8")
    original_garden = (built.corpus_dir / "garden.md").read_bytes()

    result = CliRunner().invoke(
        app,
        ["add", str(outside / "harbour.md"), str(outside / "garden.md"), "--corpus", str(built.corpus_dir),
         "--index", str(built.index_dir)],
    )

    assert result.exit_code == 0, result.output
    assert "Added to" in result.stdout and "harbour.md, garden-2.md" in result.stdout
    assert "2 added, 0 changed, 0 removed, 5 unchanged" in result.stdout
    assert (built.corpus_dir / "garden.md").read_bytes() == original_garden
    assert (built.corpus_dir / "garden-2.md").read_text(encoding="utf-8") == other_garden
    assert (outside / "harbour.md").exists()  # copied, not moved
    answer = built.qa.ask("How often does the ferry to the island leave?")
    assert "40 minutes" in answer.text and answer.citations[0].doc_id == "harbour.md"


def test_add_refuses_unsupported_and_unreadable_files_but_adds_the_rest(
    copy_built: Callable[[], Built], tmp_path: Path
) -> None:
    built = copy_built()
    (tmp_path / "setup.exe").write_bytes(b"MZ binary")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "Harbour Notes.md").write_text(NEW_NOTE, encoding="utf-8")

    result = CliRunner().invoke(
        app,
        ["add", str(tmp_path / "setup.exe"), str(tmp_path / "broken.pdf"), str(tmp_path / "Harbour Notes.md"),
         str(built.corpus_dir / "bees.txt"), "--corpus", str(built.corpus_dir), "--index", str(built.index_dir)],
    )

    assert result.exit_code == 1
    # the refusals are warnings (stderr); what was added and built is the result (stdout)
    assert "setup.exe: .exe files cannot be added" in result.stderr
    assert "broken.pdf: it cannot be read: not a readable PDF" in result.stderr
    assert "bees.txt: already in the corpus folder" in result.stderr
    assert "Not added" not in result.stdout
    assert "1 added, 0 changed, 0 removed, 5 unchanged" in result.stdout
    names = sorted(path.name for path in built.corpus_dir.iterdir() if not path.name.startswith("."))
    assert names == sorted([*ALL_DOCS, "Harbour Notes.md"])


def test_add_of_a_missing_file_is_a_usage_error(copy_built: Callable[[], Built], tmp_path: Path) -> None:
    built = copy_built()
    result = CliRunner().invoke(app, ["add", str(tmp_path / "nope.md"), "--corpus", str(built.corpus_dir)])
    assert result.exit_code == 2
    assert not (built.corpus_dir / "nope.md").exists()
