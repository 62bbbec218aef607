"""Standard evaluation formats: SQuAD JSON and BEIR folders, read from tiny fixture files.

``tests/data/squad_tiny.json`` is SQuAD 2.0 JSON (2 articles, 4 paragraphs, 9 questions of which
2 are unanswerable; one context has a double space and a line break inside it).
``tests/data/beir_tiny/`` is a BEIR folder (8 documents, 6 queries of which 5 are judged; one id
holds a slash, one starts with a dot, one document has no title; one judgement is graded 2, one 0).
Tests that load the embedding model are marked ``slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from ctqa.config import AnswerSettings, Settings
from ctqa.evaluation.beir import (
    RETRIEVAL_DEPTH,
    BeirFormatError,
    beir_doc_id,
    beir_settings,
    ctqa_doc_id,
    evaluate_beir,
    load_beir,
    read_qrels,
    retrieve_runs,
    score_run,
    write_beir_corpus,
)
from ctqa.evaluation.metrics import exact_match, squad_normalize, token_f1
from ctqa.evaluation.squad import (
    SquadParagraph,
    SquadRecord,
    collapse_whitespace,
    evaluate_squad,
    evaluate_squad_baseline,
    write_squad_corpus,
)
from ctqa.index.builder import passage_embedding_text
from ctqa.index.store import load_index
from ctqa.ingest.loader import load_corpus
from ctqa.qa import DocumentQA

DATA = PROJECT_ROOT / "tests" / "data"
SQUAD_FILE = DATA / "squad_tiny.json"
BEIR_DIR = DATA / "beir_tiny"


# -- SQuAD: reading ---------------------------------------------------------------------------------


def test_squad_corpus_one_document_per_article_one_section_per_paragraph(tmp_path: Path) -> None:
    squad = write_squad_corpus(SQUAD_FILE, tmp_path)
    assert squad.articles == ["Amazon rainforest", "Rhine"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["amazon-rainforest.md", "rhine.md"]
    documents = {d.doc_id: d for d in load_corpus(tmp_path).documents}
    assert documents["rhine.md"].title == "Rhine"
    assert [s.title for s in documents["rhine.md"].sections] == ["Paragraph 1", "Paragraph 2"]
    # every paragraph is in its section of the cleaned document, whitespace collapsed
    for paragraph in squad.paragraphs:
        document = documents[paragraph.doc_id]
        (section,) = [s for s in document.sections if s.title == paragraph.section]
        assert paragraph.text in document.text[section.start : section.end]
    assert len(squad.paragraphs) == 4


def test_squad_questions_keep_answers_offsets_and_impossible(tmp_path: Path) -> None:
    squad = write_squad_corpus(SQUAD_FILE, tmp_path)
    by_id = {q.id: q for q in squad.questions}
    assert len(by_id) == 9
    assert [q.id for q in squad.questions if q.impossible] == ["a3", "r4"]
    assert by_id["a3"].answers == ()  # plausible_answers are not gold answers
    assert by_id["a1"].answers == ("5.5 million", "5.5 million square kilometres")
    assert (by_id["r3"].doc_id, by_id["r3"].section) == ("rhine.md", "Paragraph 2")
    paragraphs = {(p.doc_id, p.section): p.text for p in squad.paragraphs}
    for question in squad.questions:
        assert len(question.answer_spans) == len(question.answers)
        text = paragraphs[(question.doc_id, question.section)]
        for answer, span in zip(question.answers, question.answer_spans, strict=True):
            assert span is not None
            assert text[span[0] : span[1]] == collapse_whitespace(answer)


def test_squad_answer_offsets_survive_collapsed_whitespace(tmp_path: Path) -> None:
    """The first context has "America.  This" and a line break before "5.5 million"."""
    squad = write_squad_corpus(SQUAD_FILE, tmp_path)
    (a1,) = [q for q in squad.questions if q.id == "a1"]
    original = json.loads(SQUAD_FILE.read_text())["data"][0]["paragraphs"][0]["context"]
    assert "  " in original and "\n" in original
    start, end = a1.answer_spans[0]
    assert squad.paragraphs[0].text[start:end] == "5.5 million"
    assert start < original.index("5.5 million")  # moved left by the collapsed whitespace


def test_squad_corpus_is_not_rewritten_when_unchanged(tmp_path: Path) -> None:
    write_squad_corpus(SQUAD_FILE, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    write_squad_corpus(SQUAD_FILE, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_squad_subset_of_articles(tmp_path: Path) -> None:
    squad = write_squad_corpus(SQUAD_FILE, tmp_path, articles=["Rhine"])
    assert squad.articles == ["Rhine"]
    assert {q.article for q in squad.questions} == {"Rhine"}
    assert [p.name for p in tmp_path.iterdir()] == ["rhine.md"]


# -- SQuAD: scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "gold", "em", "f1"),
    [
        ("The North Sea.", "north sea", 1.0, 1.0),
        ("It flows to the North Sea", "the North Sea", 0.0, 2 * (2 / 5) * 1.0 / (2 / 5 + 1.0)),
        ("Lake Geneva", "Lake Constance", 0.0, 0.5),
        ("", "nine", 0.0, 0.0),
    ],
)
def test_squad_normalisation_em_f1(prediction: str, gold: str, em: float, f1: float) -> None:
    assert exact_match(prediction, gold) == em
    assert token_f1(prediction, gold) == pytest.approx(f1)


def test_squad_normalize_drops_articles_punctuation_case() -> None:
    assert squad_normalize("  The   Amazon's  rain-forest, AN area!") == "amazons rainforest area"


def test_squad_baseline_scores_paragraph_ranks(tmp_path: Path) -> None:
    squad = write_squad_corpus(SQUAD_FILE, tmp_path)
    texts = {(p.doc_id, p.section): p.text for p in squad.paragraphs}
    rhine1, rhine2 = texts[("rhine.md", "Paragraph 1")], texts[("rhine.md", "Paragraph 2")]

    def search(question: str, k: int) -> list[str]:  # always the same order of the Rhine paragraphs
        return [rhine1, rhine2][:k]

    summary = evaluate_squad_baseline(search, squad.questions, squad.paragraphs)
    # answerable: a1 a2 a4 a5 (Amazon: never found), r1 r2 (rank 1), r3 (rank 2)
    assert summary["answerable"] == 7
    assert summary["paragraph hit@1"] == round(2 / 7, 4)
    assert summary["paragraph hit@5"] == round(3 / 7, 4)
    assert summary["MRR"] == round((1 + 1 + 0.5) / 7, 4)
    assert summary["answer-text hit"] == round(2 / 7, 4)  # r1, r2: the answer is in the top paragraph
    assert summary["abstention on unanswerable"] == 0.0
    assert summary["answer-sentence hit@1"] != summary["answer-sentence hit@1"]  # NaN: no sentences


def test_squad_baseline_counts_duplicate_paragraph_texts_for_each_place() -> None:
    paragraphs = [SquadParagraph("a.md", "Paragraph 1", "same"), SquadParagraph("b.md", "Paragraph 3", "same")]
    from ctqa.evaluation.squad import SquadQuestion

    question = SquadQuestion("q", "?", "B", "b.md", "Paragraph 3", ("same",), False, ((0, 4),))
    summary = evaluate_squad_baseline(lambda q, k: ["same"], [question], paragraphs)
    assert summary["paragraph hit@1"] == 1.0
    assert summary["EM"] == 1.0


@pytest.mark.slow
def test_evaluate_squad_with_ctqa(tmp_path: Path) -> None:
    squad = write_squad_corpus(SQUAD_FILE, tmp_path / "corpus")
    settings = Settings(answer=AnswerSettings(abstain_threshold=0.0))
    qa = DocumentQA(tmp_path / "corpus", tmp_path / "index", settings=settings)
    records: list[SquadRecord] = []
    summary = evaluate_squad(qa, squad.questions, threshold=AnswerSettings().abstain_threshold, records=records)
    assert (summary["questions"], summary["answerable"]) == (9, 7)
    # one record per question, agreeing with the summary
    assert [record.id for record in records] == [item.id for item in squad.questions]
    answerable = [record for record in records if not record.impossible]
    assert all(record.short_f1 is None for record in records if record.impossible)
    assert round(sum(record.sentence_hit for record in answerable) / 7, 4) == summary["answer-sentence hit@1"]
    assert round(sum(record.short_f1 or 0.0 for record in answerable) / 7, 4) == summary["short-answer token F1"]
    assert round(sum(record.paragraph_hit for record in answerable) / 7, 4) == summary["paragraph hit@1"]
    for metric in ("paragraph hit@1", "paragraph hit@5", "MRR", "answer-sentence hit@1", "EM", "token F1"):
        assert 0.0 <= summary[metric] <= 1.0, metric
    assert summary["paragraph hit@1"] <= summary["MRR"] <= summary["paragraph hit@5"]
    # four paragraphs on two clear topics: the gold paragraph is always among the 5 cited
    assert summary["paragraph hit@5"] == 1.0
    # (scores are rounded to 4 decimals; answer choice is the ranker's, tuned elsewhere: loose bounds)
    assert summary["paragraph hit@1"] >= round(5 / 7, 4)
    assert summary["answer-sentence hit@1"] >= round(3 / 7, 4)
    assert 0.0 <= summary["abstention on unanswerable"] <= 1.0


@pytest.mark.slow
def test_multi_document_build_gives_every_passage_and_sentence_its_own_vector(tmp_path: Path) -> None:
    """SQuAD and BEIR corpora hold many documents embedded in one call: each row must be the
    vector of its own text (a build once gave document 2's passages document 1's sentence vectors)."""
    write_squad_corpus(SQUAD_FILE, tmp_path / "corpus")
    qa = DocumentQA(tmp_path / "corpus", tmp_path / "index")
    qa.build()
    index = load_index(tmp_path / "index")
    assert len(index.documents) == 2
    passages = qa.embedder.encode([passage_embedding_text(p) for p in index.passages])
    sentences = qa.embedder.encode(
        [p.text[s - p.start : e - p.start] for p in index.passages for s, e in p.sentences]
    )
    stored_passages = index.passage_index.reconstruct_n(0, index.passage_index.ntotal)
    assert np.min(np.sum(passages * stored_passages, axis=1)) > 0.99
    assert np.min(np.sum(sentences * index.sentence_vectors, axis=1)) > 0.99


# -- BEIR: reading ----------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=80).filter(lambda s: "\x00" not in s))
def test_beir_ids_round_trip_through_file_names(beir_id: str) -> None:
    doc_id = ctqa_doc_id(beir_id)
    assert beir_doc_id(doc_id) == beir_id
    folder, name = doc_id.split("/")
    assert len(folder) == 2 and "/" not in name and not name.startswith(".")


def test_beir_corpus_one_file_per_document(tmp_path: Path) -> None:
    assert write_beir_corpus(BEIR_DIR, tmp_path) == 8
    report = load_corpus(tmp_path)
    assert report.skipped == []
    documents = {beir_doc_id(d.doc_id): d for d in report.documents}
    assert set(documents) == {"d1", "d2", "d3", "d4", "doc/5", ".hidden-6", "d7", "d8"}
    assert documents["d3"].title == "Volcanoes"
    assert "Mount Etna in Sicily" in documents["d3"].text
    assert documents["doc/5"].title == "doc/5"  # untitled: titled by its id
    assert documents[".hidden-6"].title == "Coral bleaching"


def test_beir_corpus_rewrite_keeps_files_and_drops_removed_documents(tmp_path: Path) -> None:
    write_beir_corpus(BEIR_DIR, tmp_path)
    stale = tmp_path / ctqa_doc_id("gone")
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("# Gone\n\nNo longer in the corpus.\n")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.md") if p != stale}
    write_beir_corpus(BEIR_DIR, tmp_path)
    assert not stale.exists()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.md")} == before


def test_beir_queries_and_graded_qrels() -> None:
    dataset = load_beir(BEIR_DIR)
    assert set(dataset.queries) == {"q1", "q2", "q3", "q4", "q5"}  # q6 has no judgement
    assert dataset.queries["q3"] == "most active volcano in Europe"
    assert dataset.qrels["q1"] == {"d1": 2, "d8": 1}
    assert dataset.qrels["q5"] == {".hidden-6": 1, "d4": 0}


def test_beir_qrels_without_header(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("q1\td1\t1\nq1\td2\t0\n")
    assert read_qrels(path) == {"q1": {"d1": 1, "d2": 0}}


@pytest.mark.parametrize("missing", ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
def test_beir_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        if name != missing:
            (folder / name).write_text((BEIR_DIR / name).read_text())
    with pytest.raises(BeirFormatError, match=missing.split("/")[-1]):
        load_beir(folder)
        write_beir_corpus(folder, tmp_path / "corpus")


def test_beir_malformed_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "fine"}\n{"text": "no id"}\n')
    with pytest.raises(BeirFormatError, match=r"corpus.jsonl:2"):
        write_beir_corpus(tmp_path, tmp_path / "corpus")


# -- BEIR: scoring (ir-measures) --------------------------------------------------------------------


def test_score_run_perfect_and_empty() -> None:
    qrels = load_beir(BEIR_DIR).qrels
    perfect = {q: {d: float(r) for d, r in judged.items() if r > 0} for q, judged in qrels.items()}
    perfect["q1"] = {"d1": 2.0, "d8": 1.0}
    assert score_run(qrels, perfect) == {
        "queries": 5.0, "nDCG@10": 1.0, "recall@10": 1.0, "recall@100": 1.0, "MRR@10": 1.0,
    }
    nothing = score_run(qrels, {})
    assert nothing["queries"] == 5.0 and nothing["nDCG@10"] == nothing["recall@100"] == 0.0


def test_score_run_known_values() -> None:
    """q1 ranks the grade-1 document above the grade-2 one; q2 finds its document at rank 2;
    q3, q4, q5 are missing from the run and count 0 (pytrec_eval alone would skip them)."""
    qrels = load_beir(BEIR_DIR).qrels
    run = {"q1": {"d8": 2.0, "d1": 1.0}, "q2": {"d7": 2.0, "d2": 1.0}}
    scores = score_run(qrels, run)
    import math

    ndcg_q1 = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))  # trec_eval's linear gain
    ndcg_q2 = 1 / math.log2(3)
    assert scores["nDCG@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 5, abs=1e-4)
    assert scores["MRR@10"] == pytest.approx((1 + 0.5) / 5)
    assert scores["recall@10"] == pytest.approx(2 / 5)


def test_recall_at_100_sees_below_10() -> None:
    qrels = {"q": {"target": 1}}
    run = {"q": {f"other{i}": 100.0 - i for i in range(30)} | {"target": 1.0}}
    scores = score_run(qrels, run)
    assert scores["recall@10"] == 0.0 and scores["recall@100"] == 1.0 and scores["MRR@10"] == 0.0


def test_beir_settings_retrieve_deep_enough() -> None:
    assert beir_settings().retrieval.candidates_per_retriever == RETRIEVAL_DEPTH >= 100
    assert beir_settings().answer == Settings().answer


@pytest.mark.slow
def test_evaluate_beir_with_ctqa(tmp_path: Path) -> None:
    write_beir_corpus(BEIR_DIR, tmp_path / "corpus")
    qa = DocumentQA(tmp_path / "corpus", tmp_path / "index", settings=beir_settings())
    dataset = load_beir(BEIR_DIR)
    runs = retrieve_runs(qa, dataset.queries, ("weighted",))
    run = runs["weighted"]
    assert set(run) == set(dataset.queries)
    # ranked by BEIR id, every document at most once, best first
    assert all(set(docs) <= {"d1", "d2", "d3", "d4", "doc/5", ".hidden-6", "d7", "d8"} for docs in run.values())
    for docs in run.values():
        scores = list(docs.values())
        assert scores == sorted(scores, reverse=True)
    assert max(run["q3"], key=run["q3"].__getitem__) == "d3"
    summary = evaluate_beir(qa, dataset)
    assert set(summary) == {"weighted", "dense", "bm25"}
    for name in ("nDCG@10", "recall@10", "recall@100", "MRR@10"):
        assert 0.0 <= summary["bm25"][name] <= 1.0
    # eight documents on distinct topics: every judged query finds its documents
    assert summary["weighted"]["recall@10"] == 1.0
    assert summary["weighted"]["MRR@10"] >= 0.9


def test_identical_ids_are_dropped_from_the_run(tmp_path: Path) -> None:
    """BEIR's convention (ArguAna, Quora): a query never retrieves the document with its own id."""
    from ctqa.evaluation import beir

    class _Retriever:
        class index:  # noqa: N801 - mimics the attribute
            passages = [type("P", (), {"doc_id": ctqa_doc_id(i)})() for i in ("q1", "d1")]

        class rewriter:  # noqa: N801
            @staticmethod
            def plan(text: str, history: object) -> str:
                return text

        @staticmethod
        def embed_query(plan: str) -> None:
            return None

        @staticmethod
        def retrieve(plan: str, vector: None, *, fusion: str) -> list[object]:
            return [type("C", (), {"passage_id": i, "fused": 1.0 - i})() for i in (0, 1)]

    class _QA:
        @staticmethod
        def ensure_ready() -> _Retriever:
            return _Retriever()

    runs = beir.retrieve_runs(_QA(), {"q1": "query"})  # type: ignore[arg-type]
    assert runs["weighted"] == {"q1": {"d1": 0.0}}
    kept = beir.retrieve_runs(_QA(), {"q1": "query"}, ignore_identical_ids=False)  # type: ignore[arg-type]
    assert list(kept["weighted"]["q1"]) == ["q1", "d1"]


# -- the command line -------------------------------------------------------------------------------


def test_eval_beir_rejects_a_file(tmp_path: Path) -> None:
    from ctqa.cli import app

    result = CliRunner().invoke(app, ["eval", "--format", "beir", str(SQUAD_FILE)])
    assert result.exit_code == 2
    assert "BEIR folder" in result.output


def test_eval_unknown_format(tmp_path: Path) -> None:
    from ctqa.cli import app

    result = CliRunner().invoke(app, ["eval", "--format", "csv", str(SQUAD_FILE)])
    assert result.exit_code == 2


def test_eval_removes_its_throwaway_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --index the eval's index lives in a temporary folder that is gone afterwards."""
    import importlib
    import tempfile

    from ctqa.cli import app

    # Imported after ctqa.cli, whose import registers `eval` from this module.
    evaluation_cli = importlib.import_module("ctqa.evaluation.cli")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[Path] = []

    def fake_article_eval(corpus: Path, questions: Path, index_dir: Path, *args: object) -> None:
        assert index_dir.is_dir() and index_dir.parent == tmp_path
        (index_dir / "manifest.json").write_text("{}")
        seen.append(index_dir)

    monkeypatch.setattr(evaluation_cli, "_article_eval", fake_article_eval)
    questions = PROJECT_ROOT / "eval" / "article_questions.jsonl"
    result = CliRunner().invoke(app, ["eval", "--questions", str(questions)])
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and seen[0].name.startswith("ctqa-eval-index-")
    assert not seen[0].exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_eval_beir_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctqa.evaluation.cli as evaluation_cli
    from ctqa.cli import app

    monkeypatch.setattr(evaluation_cli, "PROJECT_ROOT", tmp_path)
    out = tmp_path / "beir.json"
    result = CliRunner().invoke(app, ["eval", "--format", "beir", str(BEIR_DIR), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "nDCG@10" in result.output and "recall@100" in result.output
    payload = json.loads(out.read_text())
    assert set(payload) == {"ctqa (weighted)", "dense only (same passages)", "BM25 only (same passages)"}
    assert payload["ctqa (weighted)"]["queries"] == 5
    assert (tmp_path / ".cache" / "beir-beir_tiny" / "corpus").is_dir()


# -- `ctqa index --format`: a dataset becomes a corpus folder ------------------------------------


def test_dataset_corpus_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    from ctqa.errors import CorpusError
    from ctqa.evaluation.datasets import write_dataset_corpus

    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "notes.md").write_text("# My notes\n\nKeep me.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="already holds other files"):
        write_dataset_corpus("beir", BEIR_DIR, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.md"]


def test_dataset_corpus_rewrites_its_own_folder(tmp_path: Path) -> None:
    from ctqa.evaluation.datasets import MARKER, write_dataset_corpus

    target = tmp_path / "squad-corpus"
    assert write_dataset_corpus("squad", SQUAD_FILE, target) == 2
    assert write_dataset_corpus("squad", SQUAD_FILE, target) == 2  # same source: allowed again
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "amazon-rainforest.md", "rhine.md"])


def test_dataset_corpus_names_an_unreadable_source(tmp_path: Path) -> None:
    from ctqa.errors import CorpusError
    from ctqa.evaluation.datasets import write_dataset_corpus

    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"no title": 1}]}', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"cannot read .*broken\.json as squad"):
        write_dataset_corpus("squad", broken, tmp_path / "out")


def test_index_format_needs_a_source(tmp_path: Path) -> None:
    from ctqa.cli import app

    result = CliRunner().invoke(app, ["index", "--format", "squad", "--corpus", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "needs SOURCE" in result.output


@pytest.mark.slow
def test_index_format_squad_then_ask(tmp_path: Path) -> None:
    from ctqa.cli import app

    corpus = tmp_path / "squad-corpus"
    runner = CliRunner()
    result = runner.invoke(app, ["index", "--format", "squad", str(SQUAD_FILE), "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 documents" in result.output
    assert "2 added" in result.output
    asked = runner.invoke(
        app, ["ask", "How many square kilometres of the Amazon basin are covered by rainforest?", "--corpus", str(corpus), "--json"]
    )
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    assert "5.5 million square kilometres" in answer["text"]
    assert answer["citations"][0]["doc_id"] == "amazon-rainforest.md"
    assert answer["citations"][0]["section"] == "Paragraph 1"
