"""The Milvus store (``index.milvus_store``, ``retrieval.milvus``) on Milvus Lite: the article's
answers with citations, incremental copies, the staleness and corruption rules, and an
unreachable server named in one error line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ctqa
from conftest import ARTICLE_NAME, BuiltArticle
from ctqa.cli import app
from ctqa.errors import IndexCorruptError, IndexMissingError
from ctqa.index.milvus_store import STATE_FILE, MilvusTarget, connect
from ctqa.index.store import load_index
from test_cli import BEES, LIGHTHOUSES, write_tiny_corpus

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

TASK_FORCES = "How many Anti-Terrorism Task Forces did the US create?"


def milvus_qa(built: BuiltArticle, **options: object) -> ctqa.DocumentQA:
    return ctqa.DocumentQA(built.corpus_dir, built.index_dir, embedder=built.qa.embedder, store="milvus", **options)  # type: ignore[arg-type]


@pytest.mark.slow
def test_unreachable_milvus_server_is_one_error_naming_it(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    result = CliRunner().invoke(
        app,
        ["ask", TASK_FORCES, "--corpus", str(built.corpus_dir), "--index", str(built.index_dir),
         "--store", "milvus", "--milvus-uri", "http://127.0.0.1:1"],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach Milvus at http://127.0.0.1:1 (")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (built.index_dir / "milvus.json").exists()


def test_index_to_an_unreachable_server_fails_before_embedding(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    write_tiny_corpus(corpus_dir)
    result = CliRunner().invoke(
        app,
        ["index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "index"),
         "--store", "milvus", "--milvus-uri", "http://127.0.0.1:1"],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach Milvus at http://127.0.0.1:1 (")
    assert "Traceback" not in result.output
    assert not (tmp_path / "index" / "manifest.json").exists()


def test_milvus_options_need_the_milvus_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ask", "why?", "--index", str(tmp_path), "--milvus-uri", "x.db"])
    assert result.exit_code == 2
    assert "--milvus-uri and --milvus-token are read with --store milvus only" in result.stderr
    result = CliRunner().invoke(app, ["ask", "why?", "--index", str(tmp_path), "--store", "qdrant"])
    assert result.exit_code == 2
    assert "--store must be faiss or milvus, not 'qdrant'" in result.stderr


def test_lite_file_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    uri = str(tmp_path / "nowhere" / "milvus.db")
    with pytest.raises(ctqa.errors.CtqaError, match="cannot open Milvus Lite at .*nowhere"):
        connect(MilvusTarget(uri))


@pytest.mark.slow
def test_milvus_answers_like_faiss_and_copies_only_changes(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    qa = milvus_qa(built)
    answer = qa.ask(TASK_FORCES)  # no Milvus copy yet: made from the build, nothing embedded
    assert "93" in answer.text and not answer.abstained
    assert answer.citations[0].doc_id == ARTICLE_NAME
    assert "Department of Justice" in answer.citations[0].section
    assert qa.last_build is not None and qa.last_build.embedded == 0
    faiss_answer = built.qa.ask(TASK_FORCES)
    assert (answer.text, answer.citations[0].start) == (faiss_answer.text, faiss_answer.citations[0].start)

    # A re-index of the unchanged corpus sends nothing to Milvus.
    again = milvus_qa(built)
    report = again.build()
    assert report.embedded == 0
    assert any("0 documents deleted, 0 inserted" in m for m in again.messages)

    # Restricting to documents filters inside Milvus.
    assert again.ask(TASK_FORCES, documents=[ARTICLE_NAME]).text == answer.text


@pytest.mark.slow
def test_a_missing_or_foreign_collection_is_reported_then_rebuilt(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    milvus_qa(built).build()
    target = MilvusTarget(str(built.index_dir / "milvus.db"))
    client = connect(target)
    client.drop_collection(target.sentences)
    client.close()
    strict = milvus_qa(built, auto_build=False)
    with pytest.raises(IndexCorruptError, match="collection ctqa_sentences is missing"):
        strict.ask(TASK_FORCES)
    assert "93" in milvus_qa(built).ask(TASK_FORCES).text  # auto_build rewrites the copy

    (built.index_dir / STATE_FILE).unlink()
    with pytest.raises(IndexMissingError, match="has no Milvus copy"):
        milvus_qa(built, auto_build=False).ask(TASK_FORCES)


@pytest.mark.slow
def test_a_removed_document_leaves_milvus(article_copy: Callable[[], BuiltArticle]) -> None:
    built = article_copy()
    (built.corpus_dir / "extra.txt").write_text(BEES, encoding="utf-8")
    qa = milvus_qa(built)
    assert "2,000 eggs" in qa.ask("How many eggs does the queen lay per day?").text
    (built.corpus_dir / "extra.txt").unlink()
    qa.build()
    assert any("1 documents deleted, 0 inserted" in m for m in qa.messages)
    target = MilvusTarget(str(built.index_dir / "milvus.db"))
    client = connect(target)
    assert client.query(target.passages, filter='doc_id == "extra.txt"', output_fields=["key"]) == []
    client.close()


def rows_by_document(target: MilvusTarget) -> dict[str, tuple[int, int]]:
    """(passage rows, sentence rows) of each document in the Milvus copy, counted by Milvus."""
    client = connect(target)
    try:
        counts: dict[str, list[int]] = {}
        for column, collection in enumerate((target.passages, target.sentences)):
            for row in client.query(collection, filter="", output_fields=["doc_id"], limit=16_384):
                counts.setdefault(row["doc_id"], [0, 0])[column] += 1
        return {doc: (p, s) for doc, (p, s) in counts.items()}
    finally:
        client.close()


def local_rows(built: BuiltArticle) -> dict[str, tuple[int, int]]:
    """(passages, sentences) of each document in the index folder's build."""
    counts: dict[str, tuple[int, int]] = {}
    for passage in load_index(built.index_dir).passages:
        p, s = counts.get(passage.doc_id, (0, 0))
        counts[passage.doc_id] = (p + 1, s + len(passage.sentences))
    return counts


@pytest.mark.slow
def test_three_documents_filtered_inside_milvus_and_synced_one_at_a_time(
    article_copy: Callable[[], BuiltArticle],
) -> None:
    built = article_copy()
    (built.corpus_dir / "bees.txt").write_text(BEES, encoding="utf-8")
    (built.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    qa = milvus_qa(built)
    qa.build()
    target = MilvusTarget(str(built.index_dir / "milvus.db"))
    before = rows_by_document(target)
    assert before == local_rows(built)
    assert set(before) == {ARTICLE_NAME, "bees.txt", "lighthouses.txt"}

    # Retrieval restricted to one document returns only its passages, all of them here (the
    # filter is applied inside Milvus's search, not to a top-k taken over every document).
    retriever = qa.ensure_ready()
    plan = retriever.rewriter.plan("Who invented the Fresnel lens?", None)
    allowed = retriever.passages_of({"bees.txt"})
    candidates = retriever.retrieve(plan, retriever.embed_query(plan), fusion=qa.fusion, allowed=allowed)
    assert sorted(c.passage_id for c in candidates) == allowed.tolist()
    assert {retriever.index.passages[c.passage_id].doc_id for c in candidates} == {"bees.txt"}

    eggs = "How many eggs does the queen lay per day?"
    answer = qa.ask(eggs, documents=["bees.txt"])
    assert "2,000 eggs" in answer.text
    assert {c.doc_id for c in answer.citations} == {"bees.txt"}
    # The same question kept to the other two documents cannot cite the bees.
    elsewhere = qa.ask(eggs, documents=["lighthouses.txt", ARTICLE_NAME])
    assert "2,000 eggs" not in elsewhere.text
    assert {c.doc_id for c in [*elsewhere.citations, *elsewhere.closest]} <= {"lighthouses.txt", ARTICLE_NAME}
    fresnel = qa.ask("Who invented the Fresnel lens?", documents=["lighthouses.txt"])
    assert "Augustin-Jean Fresnel" in fresnel.text
    assert {c.doc_id for c in fresnel.citations} == {"lighthouses.txt"}

    # Removing one document deletes its rows only; adding it back inserts its rows only.
    (built.corpus_dir / "lighthouses.txt").unlink()
    qa.build()
    assert qa.messages[-1].endswith("1 documents deleted, 0 inserted (0 passages)")
    after_remove = rows_by_document(target)
    assert after_remove == {doc: rows for doc, rows in before.items() if doc != "lighthouses.txt"}
    (built.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    report = qa.build()
    assert report.added == ["lighthouses.txt"] and report.unchanged == sorted([ARTICLE_NAME, "bees.txt"])
    assert qa.messages[-1].endswith(f"0 documents deleted, 1 inserted ({before['lighthouses.txt'][0]} passages)")
    assert rows_by_document(target) == before
