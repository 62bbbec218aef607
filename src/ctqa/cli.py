"""The ``ctqa`` command: ``index``, ``add``, ``ask`` and ``serve`` (and ``eval`` when installed).

A thin edge: it parses options, calls ``DocumentQA`` and prints. Exit codes: 0 success,
1 a ctqa error (corpus or index problem; the message says what to do), 2 a usage error
(e.g. an empty question).
"""

from __future__ import annotations

import os
import time

# When this module was imported: the fallback start of "Index ready in N s" where the process's
# own start time cannot be read (see ``seconds_since_start``).
STARTED = time.perf_counter()

# Set before anything imports huggingface_hub / transformers: never reach the network, and no
# "Loading weights" bar on every command (the build's own progress bar is kept).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import errno  # noqa: E402
import importlib.util  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Any, NoReturn  # noqa: E402

import typer  # noqa: E402
from typer.core import TyperArgument, TyperCommand  # noqa: E402

from ctqa.answering.floor import above_floor  # noqa: E402
from ctqa.config import (  # noqa: E402
    BACKENDS,
    PRECISIONS,
    AnswerSettings,
    CorpusSettings,
    EmbeddingSettings,
    Settings,
    with_embedding,
)
from ctqa.errors import CtqaError  # noqa: E402
from ctqa.index.builder import BuildReport  # noqa: E402
from ctqa.ingest.loader import supported_suffixes  # noqa: E402
from ctqa.qa import DocumentQA  # noqa: E402
from ctqa.types import CITATION_ROLE_LABELS, Answer, Citation  # noqa: E402

logger = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_USAGE = 2
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Libraries whose INFO lines would fill stderr; they speak from WARNING up unless -vv is given.
NOISY_LOGGERS = (
    "faiss.loader",
    "faiss",
    "sentence_transformers",
    "transformers",
    "huggingface_hub",
    "httpx",
    "httpcore",
    "bm25s",
    "urllib3",
    "gradio",
    "uvicorn",
    "uvicorn.access",
    "uvicorn.error",
    "asyncio",
)
# -v: ctqa's INFO lines (model loading, index checks); -vv: DEBUG from ctqa and INFO from the
# libraries above. Without it only warnings and errors reach stderr.
VERBOSITY_LEVELS = {0: logging.WARNING, 1: logging.INFO}

class PlainUsageCommand(TyperCommand):
    """A command whose usage line names its arguments as click and man pages do
    (``ctqa ask [OPTIONS] QUESTION``): typer writes a required one as ``{question}``, which
    reads as text to type with its braces."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # the click Context typer runs on
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                pieces.append(usage_name(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def usage_name(argument: TyperArgument) -> str:
    """``QUESTION``, ``FILE...``, ``[SOURCE]``: the argument's metavar (else its name in capitals),
    with ``...`` when it takes several values and brackets when it may be left out."""
    name = argument.metavar or (argument.name or "").upper()
    if argument.nargs != 1:
        name += "..."
    return name if argument.required else f"[{name}]"


app = typer.Typer(
    name="ctqa",
    help="Offline extractive question answering over your documents, with citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CorpusOption = Annotated[
    Path | None,
    typer.Option(
        "--corpus",
        help="Folder of documents (.txt, .md, .html, .pdf, .docx). Default: the project's corpus/.",
        file_okay=False,
    ),
]
IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="Folder of the index. Default: the project's index/.", file_okay=False),
]
BackendOption = Annotated[
    str | None,
    typer.Option("--backend", help=f"Embedding runtime: {' | '.join(BACKENDS)} (default {EmbeddingSettings().backend})."),
]
PrecisionOption = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help=f"Embedding precision: {' | '.join(PRECISIONS)} (int8: onnx only; default "
        f"{EmbeddingSettings().precision}). A change rebuilds the index.",
    ),
]
SentencePrecisionOption = Annotated[
    str | None,
    typer.Option(
        "--sentence-precision",
        help=f"Precision of the sentence vectors: {' | '.join(PRECISIONS)} (int8: onnx only; default "
        f"{EmbeddingSettings().sentence_precision or 'as --precision'}). A change rebuilds the index.",
    ),
]


def embedding_settings(
    backend: str | None, precision: str | None, sentence_precision: str | None = None, base: Settings | None = None
) -> Settings:
    """``base`` (default ``Settings()``) with the --backend / --precision / --sentence-precision
    given; a value not allowed exits with code 2 and the allowed ones."""
    try:
        return with_embedding(
            base or Settings(), backend=backend, precision=precision, sentence_precision=sentence_precision  # type: ignore[arg-type]
        )
    except ValueError as error:
        _fail(str(error), EXIT_USAGE)


def seconds_since_start() -> float:
    """Seconds since this process started, imports included (Linux: ``/proc``; elsewhere since
    ``ctqa.cli`` was imported), so "Index ready in N s" is the time the user waited."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_ticks = int(fields[19])  # field 22 of proc(5), "starttime", counted from field 3
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(uptime - started_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - STARTED

StoreOption = Annotated[
    str,
    typer.Option("--store", help="Where vectors and BM25 are searched: faiss (in process) or milvus (docs/scaling.md)."),
]
MilvusUriOption = Annotated[
    str | None,
    typer.Option(
        "--milvus-uri",
        help="With --store milvus: a Milvus Lite file (default INDEX/milvus.db) or http://host:19530.",
        show_default=False,
    ),
]
MilvusTokenOption = Annotated[
    str | None,
    typer.Option(
        "--milvus-token", help="With --store milvus: user:password or API key of the server.", envvar="CTQA_MILVUS_TOKEN"
    ),
]
RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="Build on Ray: --ray alone starts a local cluster for the build, --ray ADDRESS "
        "(host:port, ray://host:port or auto) joins a running one.",
        show_default=False,
    ),
]
RayWorkersOption = Annotated[
    int | None,
    typer.Option("--ray-workers", min=1, help="With --ray: actors holding a model (default: the cores)."),
]
# `--ray` given without an address means this one (see _optional_ray_address).
RAY_LOCAL = "local"


def _document_qa(
    corpus: Path | None,
    index: Path | None,
    store: str,
    milvus_uri: str | None,
    milvus_token: str | None,
    ray: str | None = None,
    ray_workers: int | None = None,
    *,
    settings: Settings | None = None,
) -> DocumentQA:
    """``DocumentQA`` from the command's options; a bad --store is a usage error."""
    from ctqa.config import STORE_KINDS

    if store not in STORE_KINDS:
        _fail(f"--store must be {' or '.join(STORE_KINDS)}, not {store!r}", EXIT_USAGE)
    if store != "milvus" and (milvus_uri or milvus_token):
        _fail("--milvus-uri and --milvus-token are read with --store milvus only", EXIT_USAGE)
    return DocumentQA(
        corpus,
        index,
        settings=settings,
        store=store,  # type: ignore[arg-type]
        milvus_uri=milvus_uri,
        milvus_token=milvus_token,
        ray=ray,
        ray_workers=ray_workers,
    )


FollowLinksOption = Annotated[
    bool,
    typer.Option(
        "--follow-outside-links",
        help="Also read files and folders whose symlinks point outside the corpus folder.",
    ),
]
EXIT_INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)


def _corpus_settings(
    follow_outside_links: bool,
    max_file_mb: float | None = None,
    max_passages: int | None = None,
    *,
    base: Settings | None = None,
) -> Settings:
    """``base`` (default ``Settings()``) with the command line's corpus limits and boundary."""
    corpus = CorpusSettings(follow_outside_links=follow_outside_links)
    if max_file_mb is not None:
        corpus = replace(corpus, max_file_bytes=int(max_file_mb * 1_000_000))
    if max_passages is not None:
        corpus = replace(corpus, max_passages_per_file=max_passages)
    return replace(base or Settings(), corpus=corpus)


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _ctqa_errors() -> Iterator[None]:
    """Turn a ``CtqaError`` into its message on stderr and exit code 1 (no traceback)."""
    try:
        yield
    except CtqaError as error:
        _fail(str(error))


@app.command("index", cls=PlainUsageCommand)
def index_command(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="With --format: the SQuAD JSON file or BEIR folder to index.", show_default=False, exists=True
        ),
    ] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    dataset_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="'files' (the documents in --corpus), or 'squad' / 'beir': first write SOURCE as "
            "documents into --corpus (default: ./<source name>-corpus), then index them.",
        ),
    ] = "files",
    backend: BackendOption = None,
    precision: PrecisionOption = None,
    sentence_precision: SentencePrecisionOption = None,
    store: StoreOption = "faiss",
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    ray: RayOption = None,
    ray_workers: RayWorkersOption = None,
    follow_outside_links: FollowLinksOption = False,
    max_file_mb: Annotated[
        float | None,
        typer.Option("--max-file-mb", help="Largest file read, in MB (default 50).", min=0.001),
    ] = None,
    max_passages: Annotated[
        int | None,
        typer.Option("--max-passages", help="Most passages one file may give (default 10,000).", min=1),
    ] = None,
) -> None:
    """Build or update the index of the corpus (only new and changed documents are embedded)."""
    settings = embedding_settings(backend, precision, sentence_precision)
    if dataset_format != "files":
        corpus = _write_dataset(dataset_format, source, corpus)
    elif source is not None:
        _fail("SOURCE is only read with --format squad or --format beir; see `ctqa index --help`", EXIT_USAGE)
    settings = _corpus_settings(follow_outside_links, max_file_mb, max_passages, base=settings)
    qa = _document_qa(corpus, index, store, milvus_uri, milvus_token, ray, ray_workers, settings=settings)
    where = "" if ray is None else f" on Ray ({'a local cluster' if ray == RAY_LOCAL else ray})"
    typer.echo(f"Indexing {qa.corpus_dir} into {qa.index_dir}{where} …")
    with _ctqa_errors(), _one_progress_line():
        try:
            # progress bars are for a person at a terminal: redirected to a file they are noise
            report = qa.build(show_progress=sys.stderr.isatty(), only_if_stale=True)
        except KeyboardInterrupt:
            _fail(f"interrupted; the previous index in {qa.index_dir} is unchanged", EXIT_INTERRUPTED)
    print_build_report(report, seconds_since_start())
    for message in qa.messages:  # notes on how the build went (a wait, a rebuild), not its result
        typer.echo(message, err=True)


@contextmanager
def _one_progress_line() -> Iterator[None]:
    """One progress display for a build: each stage's bar (reading, splitting, embedding; ctqa's
    own or a library's) clears its line when done, so the next stage's bar takes its place and
    only the report is left. With -v every bar is kept, with the INFO lines between them."""
    from functools import partialmethod

    from tqdm import std

    if logging.getLogger("ctqa").isEnabledFor(logging.INFO):
        yield
        return
    original = std.tqdm.__init__
    std.tqdm.__init__ = partialmethod(original, leave=False)  # type: ignore[method-assign]
    try:
        yield
    finally:
        std.tqdm.__init__ = original  # type: ignore[method-assign]


def _write_dataset(dataset_format: str, source: Path | None, corpus: Path | None) -> Path:
    """Write a SQuAD / BEIR dataset as documents; returns the corpus folder written."""
    from ctqa.evaluation.datasets import FORMATS, write_dataset_corpus

    if dataset_format not in FORMATS:
        _fail(f"--format must be files, {' or '.join(FORMATS)}, not {dataset_format!r}", EXIT_USAGE)
    if source is None:
        _fail(f"--format {dataset_format} needs SOURCE, the dataset to index", EXIT_USAGE)
    target = corpus if corpus is not None else Path.cwd() / f"{source.stem}-corpus"
    with _ctqa_errors():
        count = write_dataset_corpus(dataset_format, source, target)  # type: ignore[arg-type]
    typer.echo(f"Wrote {count} documents from {source} into {target}")
    return target


# Names listed per kind of change after a build; beyond this only the count is shown.
MAX_NAMES_SHOWN = 10


def print_build_report(report: BuildReport, total_seconds: float | None = None) -> None:
    """"Index ready …: N added, M changed, K removed, J unchanged; …" and the names of the changed
    documents (when few) on stdout, what was built; then every skipped file with the reason on
    stderr, with the other warnings (a script reading stdout gets the summary alone).

    ``total_seconds`` is the whole command's time (start-up, model load and build); without it
    the build's own time is given."""
    if total_seconds is None:
        took = f"{report.seconds:.1f} s"
    else:
        took = f"{total_seconds:.1f} s ({report.seconds:.1f} s checking and building, the rest starting up)"
    state = "up to date" if not (report.added or report.changed or report.removed) and not report.embedded else "updated"
    typer.echo(f"Index ready in {took}: {report.counts()} ({state})")
    for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        if 0 < len(names) <= MAX_NAMES_SHOWN:
            typer.echo(f"  {label}: {', '.join(names)}")
    if report.skipped:
        typer.echo(f"Skipped files (not indexed): {len(report.skipped)}", err=True)
        for path, reason in report.skipped.items():
            typer.echo(f"  {path}: {reason}", err=True)


@app.command("add", cls=PlainUsageCommand)
def add_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=f"Files to add ({', '.join(supported_suffixes())}).",
            metavar="FILE",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    corpus: CorpusOption = None,
    index: IndexOption = None,
    follow_outside_links: FollowLinksOption = False,
) -> None:
    """Copy files into the corpus folder and index them; a taken name gets a number (notes-2.md)."""
    # Names are made safe (no folders, plain characters) and nothing is overwritten. A file of
    # another type, or one that cannot be read, is refused with the reason while the others are
    # still added; the exit code is then 1.
    from ctqa.documents import add_documents  # the chat page's uploads use the same checks

    qa = DocumentQA(corpus, index, settings=_corpus_settings(follow_outside_links))
    refused: dict[str, str] = {}
    uploads: list[tuple[Path, str]] = []
    with _ctqa_errors():
        try:
            qa.corpus_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            _fail(f"cannot create the corpus folder {qa.corpus_dir} ({error})")
        corpus_root = qa.corpus_dir.resolve()
        for path in paths:
            if path.resolve().is_relative_to(corpus_root):
                refused[str(path)] = "already in the corpus folder (run `ctqa index` to index it)"
            else:
                uploads.append((path, path.name))
        # A file added from the command line is the user's own choice: no upload size limit.
        report = add_documents(qa, uploads, max_bytes=sys.maxsize)
    refused.update(report.rejected)
    if report.added:
        typer.echo(f"Added to {qa.corpus_dir}: {', '.join(report.added)}")
    if refused:
        typer.echo("Not added:", err=True)
        for name, reason in refused.items():
            typer.echo(f"  {name}: {reason}", err=True)
    if report.build is not None:
        print_build_report(report.build)
    if refused:
        raise typer.Exit(EXIT_ERROR)


def _styled_passage(citation: Citation) -> str:
    """The passage with its answer sentences in bold (plain when the output is not a terminal)."""
    text, pieces, position = citation.text, [], 0
    for start, end in sorted(citation.answer_spans):
        local_start, local_end = max(start - citation.start, position), min(end - citation.start, len(text))
        if local_end > local_start:
            pieces += [text[position:local_start], typer.style(text[local_start:local_end], bold=True)]
            position = local_end
    pieces.append(text[position:])
    return " ".join("".join(pieces).split())


def _print_citations(citations: Sequence[Citation]) -> None:
    for number, citation in enumerate(citations, start=1):
        where = " — ".join(part for part in (citation.title or citation.doc_id, citation.section) if part)
        page = f", page {citation.page}" if citation.page is not None else ""
        role = f" — {CITATION_ROLE_LABELS[citation.role]}" if citation.role else ""
        typer.echo(f"[{number}] {where} ({citation.doc_id}{page}, characters {citation.start}–{citation.end}){role}")
        typer.echo(f'    "{_styled_passage(citation)}"')
        if citation.also_in:
            typer.echo(f"    (the same text is also in {', '.join(citation.also_in)})")


def _highlighted(text: str, start: int, end: int) -> str:
    """``text`` with ``text[start:end]`` in bold (plain when the output is not a terminal)."""
    return text[:start] + typer.style(text[start:end], bold=True, underline=True) + text[end:]


def print_overview(answer: Answer) -> None:
    """A broad question's overview: one line per sentence, with its citation number and section."""
    typer.echo("Overview:")
    for item in answer.overview:
        section = f" ({item.section})" if item.section else ""
        typer.echo(f"- {typer.style(item.text, bold=True)} [{item.citation}]{section}")


def print_answer(answer: Answer) -> None:
    """The human-readable form of ``answer`` on stdout: the short answer first and bold, then
    the answer sentences with the short answer marked; a decline in one sentence with its
    reason and, under a heading, the closest passages."""
    if answer.abstained:
        typer.secho(answer.text, bold=True)
        _print_notes(answer)
        if answer.closest:
            typer.echo("\nClosest passages (they do not answer the question):")
            _print_citations(answer.closest)
        return
    if answer.overview:
        print_overview(answer)
        _print_notes(answer)
    else:
        print_extract(answer)
    typer.echo(f"Confidence: {answer.confidence:.2f}\n\nCitations:")
    _print_citations(answer.citations)


def print_extract(answer: Answer) -> None:
    """The short answer first and bold, then the answer sentences with it highlighted, then the
    context sentence the first one leans on."""
    text = answer.text
    if answer.short_answer is not None and answer.citations:
        typer.secho(answer.short_answer.text, bold=True)
        sentence_start = answer.citations[0].answer_spans[0][0] if answer.citations[0].answer_spans else None
        if sentence_start is not None:
            local = answer.short_answer.start - sentence_start
            if text[local : local + len(answer.short_answer.text)] == answer.short_answer.text:
                text = _highlighted(text, local, local + len(answer.short_answer.text))
        typer.echo(text)
    else:
        typer.secho(text, bold=True)
    if answer.context:
        typer.echo(f"Context: {answer.context}")
    _print_notes(answer)


def _print_notes(answer: Answer) -> None:
    for note in answer.notes:
        typer.echo(f"Note: {note}")


@app.command("ask", cls=PlainUsageCommand)
def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in quotes.", show_default=False)],
    corpus: CorpusOption = None,
    index: IndexOption = None,
    top_k: Annotated[
        int,
        typer.Option(
            "--top-k",
            min=1,
            max=AnswerSettings.max_top_k,
            help="Citations to show (an overview: at most this many items, one citation each).",
        ),
    ] = AnswerSettings.top_k,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    backend: BackendOption = None,
    precision: PrecisionOption = None,
    sentence_precision: SentencePrecisionOption = None,
    store: StoreOption = "faiss",
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
) -> None:
    """Answer QUESTION from the documents, with citations (the index is built first if needed)."""
    if not question.strip():
        _fail('the question is empty; ask e.g. ctqa ask "What does WMD stand for?"', EXIT_USAGE)
    qa = _document_qa(corpus, index, store, milvus_uri, milvus_token, settings=embedding_settings(backend, precision, sentence_precision))
    with _ctqa_errors():
        qa.ensure_ready(show_progress=sys.stderr.isatty())  # a first build shows its progress on a terminal
        try:
            answer = qa.ask(question, top_k=top_k)
        except ValueError as error:
            _fail(str(error), EXIT_USAGE)
    if as_json:  # every source, those under the relevance floor marked "below_floor"
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:  # the sources the chat page lists (answering/floor.py)
        print_answer(above_floor(answer, top_k, qa.settings.answer.source_floor))


def is_loopback(host: str) -> bool:
    """True when ``host`` is only reachable from this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def port_in_use(host: str, port: int) -> bool:
    """True when another program already listens on ``host:port`` (a server started twice).

    Only "address in use" counts: an address this machine cannot bind is left for the server to
    report. SO_REUSEADDR lets a port whose last connections are still closing count as free.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


@app.command("serve", cls=PlainUsageCommand)
def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port of the chat page.")] = 7860,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    store: StoreOption = "faiss",
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
) -> None:
    """Serve the chat page on http://HOST:PORT (open it in a browser yourself).

    The page is up at once; the model loads and the index is built or updated (when missing or
    stale) in the same process meanwhile, and the page says "loading the index…" until then.
    """
    if port_in_use(host, port):  # before anything loads or rebuilds the index
        _fail(f"port {port} on {host} is in use (is ctqa serve already running?); pass another --port")
    from ctqa import chat  # Gradio takes seconds to import; only this command needs it.

    qa = _document_qa(corpus, index, store, milvus_uri, milvus_token)
    if not is_loopback(host):
        typer.secho(
            f"Warning: binding {host} makes the chat page (and the documents it quotes) reachable "
            "from other machines on the network. Use --host 127.0.0.1 to keep it local.",
            err=True,
            fg=typer.colors.YELLOW,
        )
    loader = chat.IndexLoader(qa, show_progress=True).start()  # bars only when it has to build
    url_host = host if ":" not in host else f"[{host}]"
    typer.echo(f"Chat page on http://{url_host}:{port}/ (Ctrl+C stops it); loading the index of {qa.corpus_dir} …")
    demo = chat.launch(qa, host, port, loader=loader, prevent_thread_lock=True, quiet=True)
    loader.wait()
    if loader.error:
        typer.secho(f"Error: {loader.error}", err=True, fg=typer.colors.RED)
    else:
        typer.echo(f"Index ready in {seconds_since_start():.1f} s; ask away.")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()


# --- registration point for `ctqa eval` -------------------------------------------------------
# src/ctqa/evaluation/cli.py adds the `eval` command, through `register(app)` or by exposing
# an `eval_command` function or a typer `app`. The module is optional: without it the CLI
# works and simply has no `eval`.
def _register_eval_command() -> None:
    if importlib.util.find_spec("ctqa.evaluation.cli") is None:
        return
    import ctqa.evaluation.cli as evaluation_cli

    register = getattr(evaluation_cli, "register", None)
    eval_command = getattr(evaluation_cli, "eval_command", None)
    eval_app = getattr(evaluation_cli, "app", None)
    if register is not None:
        register(app)
    elif eval_command is not None:
        app.command("eval", cls=PlainUsageCommand)(eval_command)
    elif isinstance(eval_app, typer.Typer):
        app.add_typer(eval_app, name="eval")


_register_eval_command()


def configure_logging(verbose: int = 0) -> None:
    """Warnings and errors on stderr in a short format; ``verbose`` 1 adds ctqa's INFO lines,
    2 ctqa's DEBUG lines and the libraries' INFO lines. Progress bars of the model loader are
    switched off (``embedding.torch_backend.quiet_model_loading``); only a build's own bars are shown."""
    ctqa_logger = logging.getLogger("ctqa")
    if not ctqa_logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        ctqa_logger.addHandler(handler)
    ctqa_logger.setLevel(VERBOSITY_LEVELS.get(verbose, logging.DEBUG))
    ctqa_logger.propagate = False
    library_level = logging.INFO if verbose >= 2 else logging.WARNING
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)


@app.callback()
def options(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Say more on stderr: -v what ctqa does (model loading, index checks), -vv also the libraries.",
        ),
    ] = 0,
) -> None:
    """Offline extractive question answering over your documents, with citations.

    Without -v only warnings and errors go to stderr; answers and reports go to stdout.
    """
    configure_logging(verbose)


def _optional_ray_address(argv: list[str]) -> list[str]:
    """``--ray`` may stand alone (a local cluster): give it the value "local" when the next
    word is missing or another option, so the option parser always sees a value."""
    result = []
    for number, word in enumerate(argv):
        result.append(word)
        if word == "--ray" and (number + 1 == len(argv) or argv[number + 1].startswith("-")):
            result.append(RAY_LOCAL)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ctqa`` console script (and of ``app.py``)."""
    configure_logging()  # before parsing, so a usage error is reported in the same format
    args = _optional_ray_address(list(argv) if argv is not None else sys.argv[1:])
    app(args=args, prog_name="ctqa")


if __name__ == "__main__":
    main()
