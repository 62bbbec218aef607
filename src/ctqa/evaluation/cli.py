"""``ctqa eval``: score ctqa and the plain baselines on a question set, side by side.

    ctqa eval                                  # eval/article_questions.jsonl on corpus/
    ctqa eval --holdout-faq                    # the FAQ answers removed from the index
    ctqa eval --format squad FILE [--limit N]  # a SQuAD v1.1/v2.0 JSON file
    ctqa eval --format beir DIR [--split test] # a BEIR folder: nDCG@10, recall@10/@100, MRR@10
    ctqa eval --json report.json               # also write every question's result
    ctqa eval --backend onnx --precision int8  # any of these with another embedding (docs/embedding.md)
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ctqa.answering.ranker import RANKERS
from ctqa.cli import BackendOption, PlainUsageCommand, PrecisionOption, SentencePrecisionOption, embedding_settings
from ctqa.config import DEFAULT_CORPUS_DIR, FUSIONS, PROJECT_ROOT, AnswerSettings, Settings
from ctqa.evaluation.baselines import BM25Baseline, DenseBaseline, fixed_chunks
from ctqa.evaluation.beir import BeirFormatError, beir_settings, evaluate_beir, load_beir, write_beir_corpus
from ctqa.evaluation.broad import BroadReport, evaluate_broad, reference_of
from ctqa.evaluation.conversations import (
    evaluate_conversations,
    is_conversation_file,
    load_conversations,
    summarize_turns,
)
from ctqa.evaluation.dataset import EvalQuestion, load_questions
from ctqa.evaluation.runner import EvalReport, evaluate, evaluate_baseline, threshold_sweep
from ctqa.evaluation.squad import SquadRecord, evaluate_squad, write_squad_corpus
from ctqa.ingest.loader import corpus_files
from ctqa.ingest.structure import _FAQ_HEADING_RE
from ctqa.qa import DocumentQA
from ctqa.retrieval.hybrid import Fusion

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "article_questions.jsonl"
# --holdout-faq: a line of at most this many words without a sentence end, after the FAQ
# heading, ends the FAQ (the footer or the next section starts); the article's FAQ answers are
# sentences and its next lines are short titles. Part of the holdout set's definition.
FAQ_END_MAX_WORDS = 8
SWEEP = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]

console = Console()


def _table(title: str, columns: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    metrics = list(dict.fromkeys(m for summary in columns.values() for m in summary))
    for metric in metrics:
        table.add_row(metric, *[_fmt(summary.get(metric)) for summary in columns.values()])
    return table


def _fmt(value: float | None) -> str:
    if value is None or value != value:  # NaN
        return "–"
    return f"{value:g}"


def strip_faq(text: str) -> str:
    """The page text without its FAQ section (from an FAQ heading to the next heading-like line
    that is not an answer, or to the end)."""
    lines = text.split("\n")
    kept, in_faq = [], False
    for line in lines:
        stripped = line.strip()
        if _FAQ_HEADING_RE.match(stripped):
            in_faq = True
            continue
        if in_faq and stripped and len(stripped.split()) <= FAQ_END_MAX_WORDS and not stripped.endswith((".", "?")):
            in_faq = False  # the footer or a next section starts
        if not in_faq:
            kept.append(line)
    return "\n".join(kept)


def _category_table(report: EvalReport) -> Table:
    by_category = Table(title="hit@1 by category (answerable) / declined (unanswerable)")
    by_category.add_column("category")
    by_category.add_column("n", justify="right")
    by_category.add_column("score", justify="right")
    for category in sorted({r.category for r in report.results}):
        rows = [r for r in report.results if r.category == category]
        score = sum(r.abstained if not r.answerable else r.hit1 for r in rows) / len(rows)
        by_category.add_row(category, str(len(rows)), f"{score:.3f}")
    return by_category


def _sweep_table(sweep_rows: list[dict[str, float]]) -> Table:
    sweep = Table(title="abstention threshold sweep (confidence of the best sentence)")
    columns = ("threshold", "false-answer rate", "false-abstain rate", "hit@1")
    for column in columns:
        sweep.add_column(column, justify="right")
    for row in sweep_rows:
        sweep.add_row(*[_fmt(row[c]) for c in columns])
    return sweep


def _print_faq_holdout(report: EvalReport) -> None:
    for result in report.results:
        console.print(
            f"[bold]{result.question}[/bold]\n  token F1 {result.faq_f1:.3f}, ROUGE-L {result.faq_rouge_l:.3f}"
            f" — evidence ({', '.join(result.sections[:1])}): {result.answer}"
        )
    f1s = [r.faq_f1 or 0.0 for r in report.results]
    rouges = [r.faq_rouge_l or 0.0 for r in report.results]
    console.print(f"FAQ held out: mean token F1 {sum(f1s) / len(f1s):.4f}, mean ROUGE-L {sum(rouges) / len(rouges):.4f}")


def _print_misses(report: EvalReport) -> None:
    misses = [r for r in report.results if (r.answerable and not r.hit1) or (not r.answerable and not r.abstained)]
    if misses:
        console.print(f"[bold]{len(misses)} misses[/bold]")
        for r in misses:
            console.print(f"  {r.id} [{r.category}] {r.question!r} → {r.answer[:100]!r} (conf {r.confidence})")


def _article_eval(
    corpus: Path,
    questions_file: Path,
    index_dir: Path,
    holdout_faq: bool,
    fusion: Fusion,
    ranker: str,
    json_path: Path | None,
    settings: Settings,
) -> None:
    questions = load_questions(questions_file)
    work = Path(tempfile.mkdtemp(prefix="ctqa-eval-"))
    try:
        if holdout_faq:
            held = work / "corpus"
            shutil.copytree(corpus, held)
            for path in corpus_files(held):
                path.write_text(strip_faq(path.read_text(encoding="utf-8")), encoding="utf-8")
            corpus, index_dir = held, work / "index"
            questions = [q for q in questions if q.category == "faq"]
        qa = DocumentQA(corpus, index_dir, settings=settings, fusion=fusion, ranker=RANKERS[ranker]())
        qa.ensure_ready(show_progress=True)
        report = evaluate(qa, questions)
        # Calibration: the same questions with abstention off, so every best sentence is scored.
        open_qa = DocumentQA(
            corpus, index_dir, settings=replace(settings, answer=AnswerSettings(abstain_threshold=0.0)),
            fusion=fusion, ranker=qa.ranker,
        )
        calibration = evaluate(open_qa, questions, name="no abstention")
        columns = {f"ctqa ({fusion}, {ranker})": report.summary}
        if not holdout_faq:
            texts = [path.read_text(encoding="utf-8") for path in corpus_files(corpus)]
            chunks = fixed_chunks(texts)
            columns["dense 500-char"] = evaluate_baseline(DenseBaseline(chunks, qa.embedder).search, questions, name="dense")
            columns["BM25 500-char"] = evaluate_baseline(BM25Baseline(chunks).search, questions, name="bm25")
        console.print(_table(f"{questions_file.name} on {corpus}", columns))
        console.print(_category_table(report))
        sweep_rows = threshold_sweep(calibration.results, SWEEP)
        console.print(_sweep_table(sweep_rows))
        if holdout_faq:
            _print_faq_holdout(report)
        broad = _broad_eval(qa, questions)
        _print_misses(report)
        if json_path:
            payload = {
                "report": report.to_dict(),
                "baselines": {k: v for k, v in columns.items() if not k.startswith("ctqa")},
                "threshold_sweep": sweep_rows,
                "broad": broad.to_dict() if broad else None,
            }
            json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _conversation_eval(
    corpus: Path,
    conversations_file: Path,
    index_dir: Path,
    fusion: Fusion,
    ranker: str,
    json_path: Path | None,
    settings: Settings,
) -> None:
    conversations = load_conversations(conversations_file)
    qa = DocumentQA(corpus, index_dir, settings=settings, fusion=fusion, ranker=RANKERS[ranker]())
    qa.ensure_ready(show_progress=True)
    results = evaluate_conversations(qa, conversations)
    summary = summarize_turns(results)
    console.print(_table(f"{conversations_file.name} on {corpus}", {f"ctqa ({fusion}, {ranker})": summary}))
    for r in results:
        if not r.right:
            console.print(f"  {r.conversation} turn {r.number} [{r.kind}] {r.question!r} → {r.answer[:100]!r} (searched: {r.query[:80]!r})")
    if json_path:
        payload = {"summary": summary, "turns": [asdict(r) for r in results]}
        json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _broad_eval(qa: DocumentQA, questions: list[EvalQuestion]) -> BroadReport | None:
    """The broad-question table (overview vs answer vs top-k passages), when any question has a
    reference answer; ``None`` otherwise."""
    if not any(reference_of(q) for q in questions):
        return None
    answer_qa = DocumentQA(
        qa.corpus_dir, qa.index_dir, settings=replace(qa.settings, overview=replace(qa.settings.overview, enabled=False)),
        fusion=qa.fusion, ranker=qa.ranker, embedder=qa.embedder,
    )
    report = evaluate_broad(qa, answer_qa, questions)
    console.print(_table(f"broad questions with a reference answer ({len(report.results)})", report.summary))
    for result in report.results:
        scores = result.systems["overview"]
        console.print(
            f"[bold]{result.question}[/bold] ({result.rule or 'factoid'})\n  token F1 {scores.token_f1:.3f}, "
            f"ROUGE-L {scores.rouge_l:.3f}, evidence recall {scores.evidence_recall:.2f}, {scores.characters} chars: {scores.text}"
        )
    return report


def _squad_eval(
    squad_file: Path, work: Path, limit: int | None, fusion: Fusion, ranker: str, json_path: Path | None,
    settings: Settings,
) -> None:
    squad = write_squad_corpus(squad_file, work / "corpus")
    questions = squad.questions[:: max(1, len(squad.questions) // limit)] if limit else squad.questions
    open_settings = replace(settings, answer=AnswerSettings(abstain_threshold=0.0))
    qa = DocumentQA(work / "corpus", work / "index", settings=open_settings, fusion=fusion, ranker=RANKERS[ranker]())
    qa.ensure_ready(show_progress=True)
    records: list[SquadRecord] = []
    summary = evaluate_squad(qa, questions, threshold=AnswerSettings().abstain_threshold, records=records)
    console.print(_table(f"SQuAD: {squad_file.name} ({len(squad.articles)} articles)", {f"ctqa ({fusion}, {ranker})": summary}))
    if json_path:
        # the summary's metrics, and one record per question for error analysis
        report = {**summary, "questions": [asdict(record) for record in records]}
        json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _beir_eval(
    dataset_dir: Path, work: Path, index_dir: Path | None, split: str, limit: int | None, json_path: Path | None,
    settings: Settings,
) -> None:
    dataset = load_beir(dataset_dir, split=split)
    count = write_beir_corpus(dataset_dir, work / "corpus")
    qa = DocumentQA(work / "corpus", index_dir or work / "index", settings=beir_settings(settings))
    qa.ensure_ready(show_progress=True)
    scores = evaluate_beir(qa, dataset, limit=limit)
    columns = {
        "ctqa (weighted)": scores["weighted"],
        "dense only (same passages)": scores["dense"],
        "BM25 only (same passages)": scores["bm25"],
    }
    console.print(_table(f"BEIR: {dataset_dir.name}, split {split} ({count} documents)", columns))
    if json_path:
        json_path.write_text(json.dumps(columns, indent=2) + "\n", encoding="utf-8")


def eval_command(
    questions: Annotated[Path, typer.Option(help="JSONL question file (eval/README.md)")] = DEFAULT_QUESTIONS,
    corpus: Annotated[Path, typer.Option(help="corpus folder")] = DEFAULT_CORPUS_DIR,
    index: Annotated[Path | None, typer.Option(help="index folder (default: a temporary one)")] = None,
    holdout_faq: Annotated[bool, typer.Option("--holdout-faq", help="remove the FAQ from the index")] = False,
    format: Annotated[str, typer.Option("--format", help="'jsonl', 'squad' or 'beir'")] = "jsonl",
    squad_file: Annotated[
        Path | None, typer.Argument(help="SQuAD JSON file (--format squad) or BEIR folder (--format beir)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="SQuAD/BEIR: evaluate about this many questions")] = None,
    split: Annotated[str, typer.Option(help="BEIR: the qrels split (qrels/SPLIT.tsv)")] = "test",
    fusion: Annotated[str, typer.Option(help=" | ".join(FUSIONS))] = Settings().retrieval.fusion,
    ranker: Annotated[str, typer.Option(help="hand | squad")] = "hand",
    json_out: Annotated[Path | None, typer.Option("--json", help="write the full report here")] = None,
    backend: BackendOption = None,
    precision: PrecisionOption = None,
    sentence_precision: SentencePrecisionOption = None,
) -> None:
    """Score ctqa (and dense / BM25 baselines) on a question set and print the tables."""
    if fusion not in FUSIONS or ranker not in RANKERS:
        raise typer.BadParameter(f"fusion must be {'|'.join(FUSIONS)} and ranker {'|'.join(RANKERS)}")
    settings = embedding_settings(backend, precision, sentence_precision)
    if format == "squad":
        if squad_file is None:
            raise typer.BadParameter("--format squad needs the SQuAD JSON file as argument")
        _squad_eval(squad_file, PROJECT_ROOT / ".cache" / f"squad-{squad_file.stem}", limit, fusion, ranker, json_out, settings)  # type: ignore[arg-type]
        return
    if format == "beir":
        if squad_file is None or not squad_file.is_dir():
            raise typer.BadParameter("--format beir needs the BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
        work = PROJECT_ROOT / ".cache" / f"beir-{squad_file.resolve().name}"
        try:
            _beir_eval(squad_file, work, index, split, limit, json_out, settings)
        except BeirFormatError as error:
            raise typer.BadParameter(str(error)) from error
        return
    if format != "jsonl":
        raise typer.BadParameter("--format must be jsonl, squad or beir")
    # Without --index the eval builds a throwaway index and removes it afterwards, so repeated
    # runs do not fill the temporary folder.
    with contextlib.ExitStack() as stack:
        index_dir = index or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ctqa-eval-index-")))
        if is_conversation_file(questions):
            _conversation_eval(corpus, questions, index_dir, fusion, ranker, json_out, settings)  # type: ignore[arg-type]
            return
        _article_eval(corpus, questions, index_dir, holdout_faq, fusion, ranker, json_out, settings)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    app.command("eval", cls=PlainUsageCommand)(eval_command)
