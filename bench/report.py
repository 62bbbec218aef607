"""``bench/results/latest.json`` and ``latest.md`` from the results of ``bench/run.py``.

Each target row says what it measures, the measured value (for a ratio, ctqa's and the plain
pipeline's figures beside it, from the same run), the target and whether it is met, so a re-run
shows at a glance what moved.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

# The targets: ratios are ctqa / plain pipeline measured in the same run (the load on the
# machine hits both alike); absolute limits hold on this 2-core machine.
INDEXING_RATIO_MIN = 0.9
WARM_RATIO_MAX = 0.6  # warm ask() p50 on the article / plain query encode + FAISS search
COLD_START_100K_RATIO_MAX = 1.5  # cold start to first answer at 100k chunks / plain
PEAK_MEMORY_100K_RATIO_MAX = 1.3  # peak resident memory at 100k chunks / plain
WARM_P50_MAX_MS = 50.0
WARM_P50_100K_MAX_MS = 100.0
COLD_START_MAX_S = 10.0
REBUILD_MAX_S = 15.0


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(temporary, 0o644)  # mkstemp makes the file private; the results are for everyone
    os.replace(temporary, path)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _ratio_row(target: str, ctqa_value: float, plain_value: float, limit: float) -> dict:
    """A target on ctqa / plain, with both figures."""
    ratio = ctqa_value / plain_value
    return {"target": f"{target} ≤ {limit:g} × plain", "ctqa": ctqa_value, "plain": plain_value,
            "value": round(ratio, 2), "met": ratio <= limit}


def _limit_row(target: str, value: float, limit: float, unit: str) -> dict:
    """A target on ctqa's own figure."""
    return {"target": f"{target} ≤ {limit:g} {unit}", "ctqa": value, "plain": None, "value": value,
            "met": value <= limit}


def targets(results: dict) -> list[dict]:
    """Every target with its measured value and whether it is met."""
    indexing = results["indexing"]
    article = results["article"]
    rows = []
    for name in ("article", "squad"):
        row = indexing[name]
        rows.append({"target": f"indexing throughput ({name}) ≥ {INDEXING_RATIO_MIN} × raw encode",
                     "ctqa": row["ctqa_sentences_per_s"], "plain": row["raw_sentences_per_s"],
                     "value": row["ratio"], "met": row["ratio"] >= INDEXING_RATIO_MIN})
    rows.append(_ratio_row("warm `ask()` p50 on the article, ms", article["ctqa"]["p50_ms"],
                           article["plain"]["p50_ms"], WARM_RATIO_MAX))
    rows.append(_limit_row("warm `ask()` p50 on the article", article["ctqa"]["p50_ms"], WARM_P50_MAX_MS, "ms"))
    big = results["scaling"].get("100000")
    if big:
        rows.append(_ratio_row("cold start to first answer at 100k chunks, s", big["ctqa"]["cold_start_s"],
                               big["plain"]["cold_start_s"], COLD_START_100K_RATIO_MAX))
        rows.append(_ratio_row("peak resident memory at 100k chunks, MB", big["ctqa"]["peak_rss_mb"],
                               big["plain"]["peak_rss_mb"], PEAK_MEMORY_100K_RATIO_MAX))
        rows.append(_limit_row("warm `ask()` p50 at 100k chunks", big["ctqa"]["p50_ms"], WARM_P50_100K_MAX_MS, "ms"))
    rows.append(_limit_row("cold start to first answer (article)", article["ctqa"]["cold_start_s"],
                           COLD_START_MAX_S, "s"))
    rebuild = results["rebuild"]
    rows.append(_limit_row("rebuild of the article index, model loaded", rebuild["article_in_process_s"],
                           REBUILD_MAX_S, "s"))
    rows.append(_limit_row("rebuild of the article index, fresh `ctqa index`",
                           rebuild["article_cold_ctqa_index"]["seconds"], REBUILD_MAX_S, "s"))
    return rows


def markdown(results: dict) -> str:
    machine = results["machine"]
    indexing = results["indexing"]
    article = results["article"]
    lines = [
        f"Command: `{results['command']}` ({results['mode']} run, {results['seconds'] / 60:.1f} min), "
        f"{results['date']}, {machine['cores']} cores ({machine['cpu']}), torch {machine['torch']} with "
        f"{machine['torch_threads']} threads, faiss {machine['faiss']}. Load average (1/5/15 min) at the start "
        f"{results['load_average_start']}, at the end {results['load_average_end']}.",
        "",
        "| measurement | ctqa | plain: ST `encode` + FAISS flat | ctqa / plain |",
        "|---|---|---|---|",
    ]
    for name, label in (("article", "the article"), ("squad", "SQuAD subset")):
        row = indexing[name]
        lines.append(
            f"| indexing {label} ({row['sentences']:,} sentences, {row['texts_embedded']:,} texts), sentences/s "
            f"| {_fmt(row['ctqa_sentences_per_s'], 1)} | {_fmt(row['raw_sentences_per_s'], 1)} | {row['ratio']:.2f} |"
        )
    rebuild = results["rebuild"]
    lines.append(f"| rebuild of the article index, model loaded / fresh `ctqa index` (s) "
                 f"| {rebuild['article_in_process_s']:.2f} / {rebuild['article_cold_ctqa_index']['seconds']:.2f} | – | – |")
    for metric, label in (("p50_ms", "p50"), ("p95_ms", "p95")):
        ctqa_value, plain_value = article["ctqa"][metric], article["plain"][metric]
        lines.append(f"| warm `ask()` {label} on the article ({article['questions']} questions), ms "
                     f"| {ctqa_value:.2f} | {plain_value:.2f} | {ctqa_value / plain_value:.2f} |")
    lines.append(f"| cold start to first answer (article), s | {article['ctqa']['cold_start_s']:.2f} "
                 f"| {article['plain']['cold_start_s']:.2f} "
                 f"| {article['ctqa']['cold_start_s'] / article['plain']['cold_start_s']:.2f} |")
    lines.append(f"| peak resident memory (article), MB | {article['ctqa']['peak_rss_mb']:,.0f} "
                 f"| {article['plain']['peak_rss_mb']:,.0f} "
                 f"| {article['ctqa']['peak_rss_mb'] / article['plain']['peak_rss_mb']:.2f} |")
    for size, row in results["scaling"].items():
        n = f"{int(size) // 1000}k chunks"
        pairs = [
            ("index written (vectors given), s", "ctqa_index_write_s", "plain_index_write_s", None),
            ("cold start to first answer, s", "cold_start_s", "cold_start_s", "system"),
            ("warm `ask()` p50, ms", "p50_ms", "p50_ms", "system"),
            ("warm `ask()` p95, ms", "p95_ms", "p95_ms", "system"),
            ("peak resident memory, MB", "peak_rss_mb", "peak_rss_mb", "system"),
        ]
        for label, ctqa_key, plain_key, nested in pairs:
            ctqa_value = row["ctqa"][ctqa_key] if nested else row[ctqa_key]
            plain_value = row["plain"][plain_key] if nested else row[plain_key]
            suffix = f" ({row['passage_index']} index)" if ctqa_key == "p50_ms" else ""
            lines.append(f"| {n}{suffix}: {label} | {_fmt(float(ctqa_value))} | {_fmt(float(plain_value))} "
                         f"| {ctqa_value / plain_value:.2f} |")
    lines += ["", "Targets (a ratio is ctqa / plain from this run):", "",
              "| target | ctqa | plain | measured | met |", "|---|---|---|---|---|"]
    for row in targets(results):
        lines.append(f"| {row['target']} | {_fmt(row['ctqa'])} | {_fmt(row['plain'])} | {_fmt(row['value'])} "
                     f"| {_met(row['met'])} |")
    lines += [
        "",
        f"Passage search, exact flat vs HNSW (ctqa switches to HNSW at {results['hnsw_min_passages']:,} passages; "
        "one query, depth 50, synthetic vectors, real query vectors):",
        "",
        "| passages | flat, ms | HNSW, ms | flat / HNSW | HNSW recall@10 | recall@50 | HNSW build, s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["ann"]:
        lines.append(f"| {row['passages']:,} | {row['flat_ms']:.3f} | {row['hnsw_ms']:.3f} | {row['speedup']:.1f} "
                     f"| {row['recall@10']:.4f} | {row['recall@50']:.4f} | {row['hnsw_build_s']:.1f} |")
    quality = results["squad_quality"]
    ctqa_q = quality["ctqa"]
    step = quality["questions_step"]
    sample = "all questions" if step == 1 else f"every {step}th question"
    lines += [
        "",
        f"SQuAD 2.0 subset ({quality['articles']} articles, {quality['paragraphs']} paragraphs as the corpus, "
        f"{sample}: {ctqa_q['questions']:,} of which {ctqa_q['answerable']:,} answerable). Dense and BM25 "
        "search the same paragraphs, answer with the top paragraph and never decline:",
        "",
        "| metric | ctqa | dense (paragraphs) | BM25 (paragraphs) |",
        "|---|---|---|---|",
    ]
    for metric in ("paragraph hit@1", "paragraph hit@5", "MRR", "answer-sentence hit@1", "answer-text hit",
                   "EM", "token F1", "abstention on unanswerable", "false-abstain rate"):
        values = [quality[name].get(metric) for name in ("ctqa", "dense", "bm25")]
        lines.append(f"| {metric} | " + " | ".join(_fmt(v, 4) for v in values) + " |")
    beir = results.get("beir_squad")
    if beir:
        lines += [
            "",
            f"The BEIR path (`ctqa eval --format beir`) on the same paragraphs written as a BEIR folder "
            f"({beir['documents']:,} documents, {beir['queries']:,} answerable questions as queries, the gold "
            "paragraph as the one relevant document); ir-measures scores; dense and BM25 rank ctqa's candidates "
            "by one side only:",
            "",
            "| metric | ctqa (weighted) | dense only | BM25 only |",
            "|---|---|---|---|",
        ]
        for metric in ("nDCG@10", "recall@10", "recall@100", "MRR@10"):
            values = [beir[name][metric] for name in ("weighted", "dense", "bm25")]
            lines.append(f"| {metric} | " + " | ".join(_fmt(v, 4) for v in values) + " |")
    return "\n".join(lines) + "\n"


def write_reports(results: dict, folder: Path) -> tuple[Path, Path]:
    """Write ``latest.json`` (everything, with the targets) and ``latest.md`` into ``folder``."""
    results = {**results, "targets": targets(results)}
    json_path, md_path = folder / "latest.json", folder / "latest.md"
    _atomic_write(json_path, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    _atomic_write(md_path, markdown(results))
    return json_path, md_path
