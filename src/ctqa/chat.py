"""The chat page: a Gradio app that answers questions over one ``DocumentQA``, with sources.

The page's logic is pure functions (``respond``, ``chat_turn``, ``render_answer``,
``render_documents``) tested without a browser; ``build_app`` only wires them to components,
and ``launch`` serves the page. Adding and removing documents is ``ctqa.documents``.

Three rules hold for everything shown:

* **Corpus text is never markup.** Every string that comes from a document, a file name, the
  question or the history goes through ``escape_text`` (``html.escape`` plus markdown
  punctuation as character references) before it is put in the HTML of a message, so a
  document holding ``<script>`` or ``[a link](...)`` is shown as those characters.
* **History belongs to one browser session.** It lives in a ``gr.State`` of plain
  ``{"role", "content"}`` messages (the answer text, not the rendered HTML), which is what
  ``DocumentQA.ask`` reads to resolve follow-up questions; nothing is kept at module level.
  The settings (top-k, closest passages) are components, so they are per session too.
* **An answer shows where it comes from.** Each answer sentence carries the number of its
  source; the sources list gives title, section, page (for paged formats) and the quoted
  passage with the answer sentences highlighted. A declined answer says so; its closest
  passages, if shown, are headed as not answering the question.

Named API endpoints (Gradio queue; see README, "The chat page")::

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")
    answer = client.predict("What does WMD stand for?", "[]", api_name="/ask")  # Answer.to_dict()
    documents = client.predict(api_name="/documents")  # [{"doc_id", "title", "passages", ...}]
"""

from __future__ import annotations

import html
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from ctqa.answering.floor import above_floor
from ctqa.config import AnswerSettings
from ctqa.documents import (
    MAX_UPLOAD_BYTES,
    AddReport,
    DocumentInfo,
    Progress,
    add_documents,
    allowed_suffixes,
    list_documents,
    remove_document,
)
from ctqa.errors import CtqaError
from ctqa.qa import DocumentQA
from ctqa.types import CITATION_ROLE_LABELS, Answer, Citation
from ctqa.validation import checked_history

logger = logging.getLogger(__name__)

Message = dict[str, str]

TITLE = "ctqa — ask your documents"
DESCRIPTION = (
    "Answers are sentences quoted from your documents, each numbered with its source. When the "
    "documents do not hold the answer, ctqa says so instead of guessing. Everything runs on this machine."
)
# The four questions of the article's FAQ first, then questions about facts, places and acronyms.
FAQ_EXAMPLES = [
    "How can states cooperate to fight terrorists?",
    "How do states use diplomacy to fight terrorists?",
    "How do states use foreign assistance to fight terrorists?",
    "How do states use law enforcement to fight terrorists?",
]
EXAMPLES = [
    *FAQ_EXAMPLES,
    "How many Anti-Terrorism Task Forces did the US create?",
    "Where is the Centre of Excellence for Defence Against Terrorism?",
    "What does WMD stand for?",
]
EMPTY_PROMPT = "Please type a question about the documents, for example one of the examples below the chat."
CHAT_PLACEHOLDER = (
    "**Ask a question about your documents.**\n\n"
    "Answers are quoted from the documents, with numbered sources you can check."
)
SOURCES_HEADING = "Sources"
LOADING_TEXT = (
    "Loading the index… (the embedding model and any new or changed documents); a question asked "
    "now is answered as soon as it is ready."
)
UPDATING_TEXT = (
    "Updating the index with changed documents… questions are answered from the previous index "
    "until it is ready."
)
# The banner state of a page just opened: differs from every banner, so the first check fills
# in the documents table.
NO_BANNER_SHOWN = "\x00"
# Seconds between the page's checks of the index state (loading, updating); a check reads two
# flags, and refreshes the documents table only when the state changed.
LOADING_POLL_SECONDS = 1.0
DECLINED_HEADING = "Closest passages — they do not answer the question"
SOURCE_ROLES = CITATION_ROLE_LABELS

# Citations shown per answer by default (the page's slider and the API's ``top_k``), and the
# slider's upper end: one value each, the settings' (``AnswerSettings``).
TOP_K = AnswerSettings.top_k
MAX_TOP_K = AnswerSettings.max_top_k
# Events answered at once. The embedding model serialises its own calls, but retrieval and
# sentence scoring run in parallel; 4 keeps a small CPU busy without queueing users behind
# one slow question. Further requests wait in Gradio's queue. The page and the /ask API share
# one concurrency group (CONCURRENCY_ID), so the limit holds for both together.
CONCURRENCY_LIMIT = 4
CONCURRENCY_ID = "answer"
# Index changes (uploads, removals) run one at a time: each rebuilds the index.
INDEXING_ID = "indexing"
# Plain messages kept per session: ``DocumentQA.ask`` only reads the last user turns, so older
# messages would only grow the state sent back and forth with every event.
MAX_HISTORY_MESSAGES = 20

# Markdown punctuation written as character references, so the chatbot's markdown renderer
# sees plain characters (no emphasis, links, code, tables or LaTeX from corpus text).
_MARKDOWN_PUNCTUATION = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()!|~$:+-"})

# After an answer arrives, scroll the page so the new question sits at the top of the window and
# the answer starts right under it (the end of a long sources list would be shown otherwise).
SCROLL_TO_LATEST_JS = """
() => { setTimeout(() => {
  const rows = document.querySelectorAll('#ctqa-chat .user-row');
  const answers = document.querySelectorAll('#ctqa-chat .ctqa-message');
  if (!answers.length) { return; }
  const target = rows.length ? rows[rows.length - 1] : answers[answers.length - 1];
  target.scrollIntoView({block: 'start', behavior: 'instant'});
}, 50); }
"""

# The system's own fonts: the theme's web font is fetched from the internet, which ctqa never
# reaches, and its partial fallback mixed two families (bold capitals from another font).
THEME = gr.themes.Default(
    primary_hue="blue",
    secondary_hue="slate",
    neutral_hue="slate",
    font=["ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#ctqa-header h1 { font-size: 1.6em; margin: 0.2em 0 0.1em 0; }
#ctqa-header p { margin: 0 0 0.4em 0; color: var(--body-text-color-subdued); max-width: 60em; }
.ctqa-message { line-height: 1.55; }
/* The exact fact is read first: larger than the sentence that states it. */
.ctqa-short-answer { font-size: 1.3em; margin: 0 0 0.35em 0 !important; }
.ctqa-message b, .ctqa-heading, .ctqa-num { font-weight: 600; }
/* The empty chat's placeholder starts where messages start, not centred in the pane. */
#ctqa-chat .placeholder-content, #ctqa-chat .placeholder { align-items: flex-start !important; justify-content: flex-start !important; }
#ctqa-chat .placeholder .md { margin: 0 !important; max-width: none !important; padding: 0.9em 1.1em !important; text-align: left !important; }
.ctqa-message p { margin: 0 0 0.4em 0 !important; }
.ctqa-answer-text { font-size: 1.05em; }
.ctqa-overview { margin: 0.2em 0; padding-left: 1.2em; }
.ctqa-overview-section { font-size: 0.8em; color: var(--body-text-color-subdued); }
.ctqa-ref { color: var(--color-accent); font-weight: 600; font-size: 0.72em; margin-left: 0.15em; }
.ctqa-meta { color: var(--body-text-color-subdued); font-size: 0.82em; }
.ctqa-heading { font-weight: 600; font-size: 0.75em; letter-spacing: 0.06em; text-transform: uppercase;
  color: var(--body-text-color-subdued); margin: 1em 0 0.3em 0 !important; }
.ctqa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6em 0.85em 0.3em 0.85em;
  margin: 0.45em 0; background: var(--background-fill-secondary); }
.ctqa-source-head { font-size: 0.9em; line-height: 1.4; margin: 0 0 0.45em 0 !important; }
.ctqa-title { font-weight: 600; }
.ctqa-num { display: inline-block; min-width: 1.5em; padding: 0 0.3em; margin-right: 0.45em; border-radius: 4px;
  background: var(--color-accent); color: white; font-size: 0.85em; font-weight: 600; text-align: center; }
.ctqa-section { display: block; color: var(--body-text-color-subdued); margin-left: 2.1em; }
.ctqa-quote { margin: 0 0 0.4em 0 !important; padding: 0.1em 0 0.1em 0.8em !important;
  border-left: 3px solid var(--color-accent) !important; font-family: inherit !important;
  font-style: normal !important; font-size: 0.95em; line-height: 1.5; color: var(--body-text-color); }
.ctqa-quote mark { background: #fde68a; color: inherit; padding: 0.05em 0.1em; border-radius: 2px; }
.ctqa-declined .ctqa-answer-text { color: var(--body-text-color-subdued); }
.ctqa-closest .ctqa-source { border-style: dashed; background: transparent; }
.ctqa-closest .ctqa-num { background: var(--body-text-color-subdued); }
.ctqa-closest .ctqa-quote { border-left-color: var(--border-color-primary) !important; }
.ctqa-documents table { width: 100%; border-collapse: collapse; font-size: 0.9em; border: none !important; table-layout: fixed; }
.ctqa-documents td { overflow-wrap: anywhere; }
.ctqa-documents .ctqa-count { width: 5.5em; }
.ctqa-documents .ctqa-doc-problem { font-size: 0.85em; color: var(--error-text-color, #b91c1c); }
.ctqa-documents tr, .ctqa-documents th, .ctqa-documents td { border: none !important; border-bottom: 1px solid var(--border-color-primary) !important;
  padding: 0.35em 0.4em !important; background: transparent !important; text-align: left; vertical-align: top; }
.ctqa-documents th { font-weight: 600; color: var(--body-text-color-subdued); font-size: 0.85em; }
.ctqa-documents .ctqa-count { text-align: right !important; white-space: nowrap; }
.ctqa-documents .ctqa-doc-id { font-family: var(--font-mono); font-size: 0.82em; color: var(--body-text-color-subdued);
  word-break: break-all; }
/* The conversation grows with its messages and the page scrolls (no pane scrolling inside the
   page), so Gradio's floating "scroll to the end" arrow has nothing to do and would cover text. */
#ctqa-chat .scroll-down-button-container, #ctqa-chat button.scroll-down-button { display: none !important; }
.ctqa-pane-label { font-weight: 600; font-size: 0.9em; color: var(--body-text-color-subdued); margin: 0 0 0.3em 0; }
#ctqa-loading p { margin: 0.2em 0; padding: 0.5em 0.8em; border-radius: 6px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); }
#ctqa-loading .ctqa-error { color: var(--error-text-color, #b91c1c); }
.ctqa-upload-info { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0.2em 0 0.4em 0; }
.ctqa-floor-note { font-size: 0.82em; color: var(--body-text-color-subdued); }
/* Phone width: one column, nothing wider than the screen. */
@media (max-width: 700px) {
  .gradio-container { padding: 0 6px !important; }
  #ctqa-header h1 { font-size: 1.3em; }
  .ctqa-section { margin-left: 0; }
  .ctqa-source { padding: 0.5em 0.6em 0.2em 0.6em; }
  .ctqa-quote { padding-left: 0.6em !important; }
}
.ctqa-status ul { margin: 0.2em 0; padding-left: 1.1em; font-size: 0.9em; }
.ctqa-status .ctqa-error { color: var(--error-text-color, #b91c1c); }
"""


class IndexLoader:
    """Loads the model and brings the index up to date in a background thread, so the page is
    served at once and says "loading the index…" meanwhile (one process, one model load).

    A question asked while it loads waits for it (there is no index to answer from yet); later
    changes to the corpus are indexed in the background (``DocumentQA.updating``).
    """

    def __init__(self, qa: DocumentQA, *, show_progress: bool = False) -> None:
        self.qa = qa
        self.show_progress = show_progress  # a build's progress bars on stderr (``ctqa serve``)
        self.ready = threading.Event()
        self.error = ""
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._load, name="ctqa-index-loader", daemon=True)

    def start(self) -> IndexLoader:
        self._thread.start()
        return self

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            self.qa.ensure_ready(show_progress=self.show_progress)
        except CtqaError as error:
            self.error = str(error)
            logger.error("the index cannot be loaded: %s", error)
        except Exception as error:  # the page must say what broke instead of loading forever
            self.error = f"unexpected error: {error}"
            logger.exception("the index cannot be loaded")
        self.seconds = time.perf_counter() - started
        for message in self.qa.messages:
            logger.info(message)
        self.ready.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)


def render_loading(loader: IndexLoader | None, qa: DocumentQA | None = None) -> str:
    """The banner under the title: loading, failed, updating (``qa``, or the loader's, indexes
    changed documents in the background), or nothing."""
    if loader is not None and loader.error and loader.ready.is_set():
        return f'<p class="ctqa-error">The index cannot be loaded: {escape_text(loader.error)}</p>'
    if loader is not None and not loader.ready.is_set():
        return f"<p>{html.escape(LOADING_TEXT)}</p>"
    serving = qa if qa is not None else (loader.qa if loader is not None else None)
    if getattr(serving, "updating", False):
        return f"<p>{html.escape(UPDATING_TEXT)}</p>"
    return ""


def escape_text(text: str) -> str:
    """``text`` safe to place inside the chatbot's HTML/markdown: shown as written, never parsed.

    ``html.escape`` first (``& < > " '``), then markdown punctuation as numeric character
    references; line breaks become ``<br>`` so a blank line in a document cannot end the
    surrounding HTML block.
    """
    escaped = html.escape(text, quote=True).translate(_MARKDOWN_PUNCTUATION)
    return "<br>".join(escaped.splitlines())


def _merged_spans(citation: Citation) -> list[tuple[int, int]]:
    """The answer spans, sorted, with neighbours apart only by white space joined into one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(citation.answer_spans):
        if merged:
            gap = citation.text[merged[-1][1] - citation.start : start - citation.start]
            if start >= merged[-1][1] and not gap.strip():
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
                continue
        merged.append((start, end))
    return merged


def highlight_passage(citation: Citation) -> str:
    """The escaped passage of ``citation`` with its answer sentences wrapped in ``<mark>``
    (consecutive sentences in one mark)."""
    text = citation.text
    pieces: list[str] = []
    position = 0
    for start, end in _merged_spans(citation):
        local_start = max(start - citation.start, position)
        local_end = min(end - citation.start, len(text))
        if local_end <= local_start:
            continue
        pieces.append(escape_text(text[position:local_start]))
        pieces.append(f"<mark>{escape_text(text[local_start:local_end])}</mark>")
        position = local_end
    pieces.append(escape_text(text[position:]))
    return "".join(pieces)


def _marker(number: int) -> str:
    return f'<sup class="ctqa-ref">[{number}]</sup>'


def _source_role(number: int, citation: Citation, declined: bool) -> str:
    if citation.role:
        return SOURCE_ROLES[citation.role]
    if declined:
        return SOURCE_ROLES["closest"]
    if number == 1:
        return SOURCE_ROLES["answer"]
    return SOURCE_ROLES["supporting" if citation.supports_answer else "related"]


def render_source(number: int, citation: Citation, *, declined: bool = False) -> str:
    """One numbered source: title, then section · page, the quoted passage, then where it is."""
    head = [f'<span class="ctqa-num">{number}</span><b class="ctqa-title">{escape_text(citation.title or citation.doc_id)}</b>']
    where = [escape_text(citation.section)] if citation.section else []
    if citation.page is not None:
        where.append(f"page {int(citation.page)}")
    if where:
        head.append(f'<span class="ctqa-section">{" · ".join(where)}</span>')
    location = (
        f"{escape_text(citation.doc_id)} · characters {int(citation.start)}–{int(citation.end)}"
        f" · {_source_role(number, citation, declined)}"
    )
    if citation.also_in:  # the same text word for word in other files (answering/duplicates.py)
        location += f" · also in {escape_text(', '.join(citation.also_in))}"
    return (
        '<div class="ctqa-source">'
        f'<p class="ctqa-source-head">{"".join(head)}</p>'
        f'<blockquote class="ctqa-quote">{highlight_passage(citation)}</blockquote>'
        f'<p class="ctqa-meta">{location}</p>'
        "</div>"
    )


def render_citations(heading: str, citations: Sequence[Citation], *, declined: bool = False) -> str:
    """A numbered list of passages under ``heading`` (ctqa's own text): origin and quoted text.
    A declined answer's closest passages are collapsed, ``heading`` being what opens them."""
    kind = "ctqa-closest" if declined else "ctqa-sources"
    sources = [render_source(number, c, declined=declined) for number, c in enumerate(citations, start=1)]
    if declined:
        summary = f'<details class="ctqa-closest-details"><summary>{html.escape(heading)}</summary>'
        return "\n".join([f'<div class="{kind}">{summary}', *sources, "</details></div>"])
    return "\n".join([f'<div class="{kind}">', f'<p class="ctqa-heading">{html.escape(heading)}</p>', *sources, "</div>"])


def render_answer_text(answer: Answer) -> str:
    """The answer sentences, escaped, each followed by the number of its source (``[1]``); the
    short answer, where the answer has one, is marked inside its sentence."""
    sentences = answer.sentences or [answer.text]
    short = answer.short_answer.text if answer.short_answer is not None else ""
    rendered = []
    for sentence in sentences:
        at = sentence.find(short) if short else -1
        if at >= 0:
            body = (
                escape_text(sentence[:at]) + f"<mark>{escape_text(short)}</mark>" + escape_text(sentence[at + len(short) :])
            )
            short = ""  # marked once
        else:
            body = escape_text(sentence)
        rendered.append(body + (_marker(1) if answer.citations else ""))
    return " ".join(rendered)


def render_overview(answer: Answer) -> str:
    """A broad question's overview: a short list, each sentence verbatim with the number of its
    source and its section."""
    items = [
        f'<li class="ctqa-overview-item">{escape_text(item.text)}{_marker(item.citation)}'
        + (f' <span class="ctqa-overview-section">{escape_text(item.section)}</span>' if item.section else "")
        + "</li>"
        for item in answer.overview
    ]
    return f'<ul class="ctqa-answer-text ctqa-overview">{"".join(items)}</ul>'


def _rewritten(answer: Answer) -> bool:
    """True when the retrieval query is not just the question (a follow-up, acronyms, spelling)."""
    return bool(answer.query) and " ".join(answer.query.split()) != " ".join(answer.question.split())


def render_answer(answer: Answer, *, show_closest: bool = True) -> str:
    """The assistant message for ``answer``: the short answer first and bold, the answer
    sentences with it marked and their source markers, the context sentence apart, the notes,
    then the sources.

    A declined answer is one sentence, then the rule's reason, then (when ``show_closest``) the
    closest passages collapsed under a heading saying they do not answer. The result is one
    HTML block without blank lines (so markdown never applies inside it).
    """
    if answer.abstained:
        parts = [
            '<div class="ctqa-message ctqa-declined">',
            f'<p class="ctqa-answer-text">{escape_text(answer.text)}</p>',
        ]
        parts.extend(f'<p class="ctqa-meta ctqa-reason">{escape_text(note)}</p>' for note in answer.notes)
        if _rewritten(answer):
            # A decline carries no "Searched with ..." note; show what was looked for instead,
            # so a follow-up that was misread is visible.
            parts.append(f'<p class="ctqa-meta ctqa-query">Searched for: {escape_text(answer.query)}</p>')
        if show_closest and answer.closest:
            parts.append(render_citations(DECLINED_HEADING, answer.closest, declined=True))
        parts.append("</div>")
        return "\n".join(parts)
    parts = ['<div class="ctqa-message ctqa-answered">']
    if answer.overview:
        parts.append(render_overview(answer))
    else:
        if answer.short_answer is not None:
            parts.append(f'<p class="ctqa-short-answer"><b>{escape_text(answer.short_answer.text)}</b></p>')
        parts.append(f'<p class="ctqa-answer-text">{render_answer_text(answer)}</p>')
        if answer.context:
            parts.append(f'<p class="ctqa-meta ctqa-context">Context: {escape_text(answer.context)}</p>')
    # notes read with the answer they qualify ("only the first question was answered"), so they
    # come right after it, above the sources
    parts.extend(f'<p class="ctqa-meta ctqa-note">{escape_text(note)}</p>' for note in answer.notes)
    parts.append(f'<p class="ctqa-meta">Confidence {answer.confidence:.0%}</p>')
    if answer.citations:
        parts.append(render_citations(SOURCES_HEADING, answer.citations))
    parts.append("</div>")
    return "\n".join(parts)


def render_notice(text: str) -> str:
    """A plain assistant notice (prompt or error), escaped like corpus text."""
    return f'<div class="ctqa-message"><p>{escape_text(text)}</p></div>'


def respond(
    message: str,
    plain_history: list[Message],
    qa: DocumentQA,
    *,
    top_k: int = TOP_K,
    show_closest: bool = True,
) -> tuple[str, list[Message]]:
    """Answer ``message`` in the conversation ``plain_history``; the chat's whole logic.

    Args:
        message: what the user typed.
        plain_history: this session's earlier turns, ``[{"role": ..., "content": plain text}]``;
            not modified.
        qa: the question answerer.
        top_k: citations per answer.
        show_closest: list the closest passages under a declined answer.

    Returns:
        ``(rendered, new_history)``: the assistant message as escaped HTML, and the history with
        this turn appended (unchanged when nothing was asked: an empty message or an error).
    """
    if not isinstance(message, str) or not message.strip():
        return render_notice(EMPTY_PROMPT), list(plain_history)
    try:
        answer = qa.ask(message, history=list(plain_history), top_k=_clamp_top_k(top_k))
    except CtqaError as error:
        logger.warning("question failed: %s", error)
        return render_notice(f"Sorry, the documents cannot be searched right now: {error}"), list(plain_history)
    except ValueError as error:
        return render_notice(str(error)), list(plain_history)
    except Exception:  # the page must answer whatever broke; the log keeps the traceback
        logger.exception("question failed unexpectedly: %r", message[:200])
        return render_notice("Sorry, something went wrong while answering; please try again."), list(plain_history)
    turn = [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]
    shown = above_floor(answer, _clamp_top_k(top_k), qa.settings.answer.source_floor)
    return render_answer(shown, show_closest=show_closest), [*plain_history, *turn][-MAX_HISTORY_MESSAGES:]


def _clamp_top_k(top_k: Any) -> int:
    """The slider's value as an int in 1..MAX_TOP_K (a missing or odd value gives ``TOP_K``)."""
    try:
        return min(max(int(top_k), 1), MAX_TOP_K)
    except (TypeError, ValueError):
        return TOP_K


def chat_turn(
    message: str,
    shown: list[dict[str, Any]],
    plain_history: list[Message],
    qa: DocumentQA,
    top_k: int = TOP_K,
    show_closest: bool = True,
) -> tuple[str, list[dict[str, Any]], list[Message]]:
    """One submit on the page: ``(textbox, chatbot messages, plain history)`` after ``message``.

    ``shown`` is the Chatbot's value (escaped/rendered messages, for display only); the
    textbox is cleared. An empty message adds only the assistant's prompt.
    """
    rendered, new_history = respond(message, plain_history, qa, top_k=top_k, show_closest=show_closest)
    shown = list(shown or [])
    if isinstance(message, str) and message.strip():
        shown.append({"role": "user", "content": escape_text(message.strip())})
    shown.append({"role": "assistant", "content": rendered})
    return "", shown, new_history


def parse_history(history_json: str) -> list[Message]:
    """The history argument of the ``/ask`` endpoint: a JSON list of ``{"role", "content"}``,
    checked as ``DocumentQA.ask`` checks its history (``validation.checked_history``: "system"
    and "tool" messages of the usual chat format are left out).

    Raises:
        ValueError: not JSON, or not a list of user/assistant messages with text content.
    """
    try:
        data = json.loads(history_json or "[]")
    except json.JSONDecodeError as error:
        raise ValueError(f"history_json is not valid JSON ({error})") from error
    checked = checked_history(data, AnswerSettings().max_question_chars) or []
    history: list[Message] = [{"role": message["role"], "content": message["content"]} for message in checked]
    return history[-MAX_HISTORY_MESSAGES:]


def ask_json(qa: DocumentQA, question: str, history_json: str = "[]", *, top_k: int = TOP_K) -> dict[str, Any]:
    """The ``/ask`` endpoint's work: ``Answer.to_dict()`` for ``question`` after ``history_json``,
    without the citations' ``path`` (see below).

    Raises:
        ValueError: empty question, malformed history or ``top_k`` out of 1..MAX_TOP_K.
        CtqaError: the index cannot be loaded or built.
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty; send a question about the documents")
    data = qa.ask(question, history=parse_history(history_json), top_k=int(top_k)).to_dict()
    for passage in (*data["citations"], *data["closest"]):
        # The server's absolute file path is left out: ``doc_id`` names the document, and
        # gradio_client (2.x, talking to Gradio 6) takes any dict with a "path" string for a file
        # to download, so ``predict`` would fail. ``Citation.from_dict`` defaults it to "".
        passage.pop("path", None)
    return data


# -- documents panel ------------------------------------------------------------------------


def render_documents(documents: Sequence[DocumentInfo]) -> str:
    """The corpus as an escaped HTML table: title and file, passages (or why it is not indexed)."""
    if not documents:
        return '<div class="ctqa-documents"><p class="ctqa-meta">No documents yet.</p></div>'
    rows = []
    for document in documents:
        title = escape_text(document.title or document.doc_id)
        # the reason a file is not indexed goes under its name, where it can wrap: in the narrow
        # count column it widened the table past a phone's width
        problem = (
            f'<br><span class="ctqa-doc-problem">not indexed: {escape_text(document.problem)}</span>'
            if document.problem
            else ""
        )
        count = str(document.passages) if not document.problem else "–"
        rows.append(
            f"<tr><td>{title}<br><span class=\"ctqa-doc-id\">{escape_text(document.doc_id)}</span>{problem}</td>"
            f'<td class="ctqa-count">{count}</td></tr>'
        )
    summary = documents_summary(documents)
    return (
        '<div class="ctqa-documents"><table><thead><tr><th>Document</th><th class="ctqa-count">Passages</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="ctqa-meta">{summary}</p></div>'
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def documents_summary(documents: Sequence[DocumentInfo]) -> str:
    """"2 documents indexed, 40 passages; 1 file not indexed": a file that is not indexed (its
    reader failed, a link that is never read, not indexed yet) is no document to ask about."""
    indexed = [document for document in documents if not document.problem]
    summary = f"{_count(len(indexed), 'document')} indexed, {_count(sum(d.passages for d in indexed), 'passage')}"
    unindexed = len(documents) - len(indexed)
    return f"{summary}; {_count(unindexed, 'file')} not indexed" if unindexed else summary


def render_status(lines: Sequence[str], errors: Sequence[str] = ()) -> str:
    """A short escaped status report of an upload or removal (errors shown as such)."""
    items = [f"<li>{escape_text(line)}</li>" for line in lines]
    items += [f'<li class="ctqa-error">{escape_text(line)}</li>' for line in errors]
    return f'<div class="ctqa-status"><ul>{"".join(items)}</ul></div>' if items else ""


def describe_add(report: AddReport, documents: Sequence[DocumentInfo]) -> tuple[list[str], list[str]]:
    """Status lines for an upload: each added document with its passage count, each refusal."""
    counts = {document.doc_id: document.passages for document in documents}
    lines = [f"Added {doc_id} ({counts.get(doc_id, 0)} passages); you can ask about it now." for doc_id in report.added]
    errors = [f"{name} was not added: {reason}" for name, reason in report.rejected.items()]
    return lines, errors


def confirm_removal(doc_id: str) -> str:
    """The question Remove asks before deleting anything, naming the file."""
    return f"Remove {doc_id}? Its file is deleted from the corpus folder and its passages from the index."


def _upload_paths(files: Any) -> list[tuple[Path, str]]:
    """``(path, name the user gave)`` of the gr.File value; Gradio keeps the original file name."""
    if not files:
        return []
    items = files if isinstance(files, list) else [files]
    paths = [Path(str(item)) for item in items]  # type="filepath": each item is a path string
    return [(path, path.name) for path in paths]


def _documents_view(qa: DocumentQA) -> tuple[str, Any, list[DocumentInfo], str]:
    """The documents table, the remove dropdown's new choices, the list, and an error ("" if none)."""
    try:
        documents = list_documents(qa)
    except CtqaError as error:
        logger.warning("documents cannot be listed: %s", error)
        return render_documents([]), gr.update(choices=[], value=None), [], str(error)
    choices = [document.doc_id for document in documents if document.removable]
    return render_documents(documents), gr.update(choices=choices, value=None), documents, ""


@dataclass(frozen=True)
class _Page:
    """The components the page's events read and write (``build_app`` lays them out)."""

    loading: Any
    chatbot: Any
    plain_history: Any
    question: Any
    new_chat: Any
    examples: Any
    top_k: Any
    show_closest: Any
    documents_table: Any
    upload: Any
    add_button: Any
    status: Any
    remove_choice: Any
    remove_button: Any
    confirm_group: Any
    confirm_text: Any
    confirm_button: Any
    cancel_button: Any


def build_app(qa: DocumentQA, loader: IndexLoader | None = None) -> gr.Blocks:
    """The chat page over ``qa``, with its queue enabled (``CONCURRENCY_LIMIT`` at once).

    With ``loader`` (the index loading in the background) the page shows "loading the index…"
    until it is ready and then fills in the documents panel.
    """
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        banner = render_loading(loader)
        page = _layout(qa, banner)
        _wire_chat(page, qa)
        _wire_index_state(demo, page, qa, loader, banner)
        _wire_uploads(page, qa)
        _wire_removal(page, qa)
        _wire_api(qa)
    # default_concurrency_limit: see CONCURRENCY_LIMIT (4 questions answered in parallel).
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    return demo


# -- layout ---------------------------------------------------------------------------------


def _layout(qa: DocumentQA, banner: str) -> _Page:
    """The page's components inside the open ``gr.Blocks``: title, banner, conversation, and the
    settings and documents column."""
    gr.HTML(f"<h1>{html.escape(TITLE)}</h1><p>{html.escape(DESCRIPTION)}</p>", elem_id="ctqa-header", js_on_load=None)
    loading = gr.HTML(banner, elem_id="ctqa-loading", js_on_load=None, visible=bool(banner))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            conversation = _conversation_pane()
        with gr.Column(scale=2, min_width=300):
            settings = _settings_panel(qa)
            documents = _documents_panel()
    return _Page(loading=loading, **conversation, **settings, **documents)


def _conversation_pane() -> dict[str, Any]:
    """The conversation, the question box with "New chat", and the examples."""
    # The label is a heading of its own: Gradio's label chip sits over the first message.
    gr.HTML('<p class="ctqa-pane-label">Conversation</p>', elem_id="ctqa-chat-label", js_on_load=None)
    chatbot = gr.Chatbot(
        show_label=False,
        elem_id="ctqa-chat",
        # No fixed height: the conversation grows with its messages and the page
        # scrolls, so a long sources list is not a scroll box inside the page.
        height=None,
        min_height=320,
        layout="panel",
        autoscroll=False,  # SCROLL_TO_LATEST_JS instead
        placeholder=CHAT_PLACEHOLDER,
        sanitize_html=True,
        allow_tags=False,
        latex_delimiters=[],
        feedback_options=None,
        # No per-message copy button: it would copy the rendered HTML, not the text.
        buttons=[],
    )
    plain_history = gr.State([])
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            show_label=False,
            placeholder="Ask a question about the documents…",
            autofocus=True,
            scale=6,
            # On a phone "New chat" wraps under the box instead of squeezing it.
            min_width=300,
            submit_btn=True,
            elem_id="ctqa-question",
        )
        new_chat = gr.Button("New chat", variant="secondary", scale=1, min_width=90)
    examples = gr.Examples(
        examples=[[example] for example in EXAMPLES],
        inputs=[question],
        label="Examples (click one to ask it)",
        examples_per_page=len(EXAMPLES),
    )
    return {
        "chatbot": chatbot,
        "plain_history": plain_history,
        "question": question,
        "new_chat": new_chat,
        "examples": examples,
    }


def _settings_panel(qa: DocumentQA) -> dict[str, Any]:
    """Sources per answer (top-k) and whether a decline shows the closest passages."""
    with gr.Accordion("Settings", open=True):
        top_k = gr.Slider(
            minimum=1,
            maximum=MAX_TOP_K,
            step=1,
            value=TOP_K,
            label="Sources per answer (top-k)",
            info=f"At most this many (an overview lists at most this many items, one source each); a passage scoring under {qa.settings.answer.source_floor:.0%} is not listed.",
            elem_id="ctqa-top-k",
        )
        show_closest = gr.Checkbox(
            value=True, label="Show the closest passages when there is no answer", elem_id="ctqa-closest"
        )
    return {"top_k": top_k, "show_closest": show_closest}


def _documents_panel() -> dict[str, Any]:
    """The documents table, the upload, and Remove with its confirmation question."""
    suffixes = allowed_suffixes()
    with gr.Accordion("Documents", open=True):
        documents_table = gr.HTML(render_documents([]), elem_id="ctqa-documents", js_on_load=None)
        upload = gr.File(
            label="Add documents",
            file_count="multiple",
            file_types=suffixes,
            type="filepath",
            elem_id="ctqa-upload",
            height=150,
        )
        gr.HTML(
            f'<p class="ctqa-upload-info">{html.escape(", ".join(suffixes))}; '
            f"up to {MAX_UPLOAD_BYTES // 2**20} MB each.</p>",
            elem_id="ctqa-upload-info",
            js_on_load=None,
        )
        add_button = gr.Button("Add to the corpus", variant="primary", size="md", elem_id="ctqa-add")
        status = gr.HTML("", elem_id="ctqa-status", js_on_load=None)
        remove_choice = gr.Dropdown(
            choices=[],
            label="Remove a document",
            info="Deletes the file from the corpus folder and its passages from the index.",
            elem_id="ctqa-remove-choice",
        )
        remove_button = gr.Button("Remove…", variant="stop", size="sm", elem_id="ctqa-remove")
        with gr.Group(visible=False, elem_id="ctqa-remove-confirm") as confirm_group:
            confirm_text = gr.HTML("", elem_id="ctqa-remove-question", js_on_load=None)
            with gr.Row():
                confirm_button = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="ctqa-remove-yes")
                cancel_button = gr.Button("Cancel", variant="secondary", size="sm", elem_id="ctqa-remove-no")
    return {
        "documents_table": documents_table,
        "upload": upload,
        "add_button": add_button,
        "status": status,
        "remove_choice": remove_choice,
        "remove_button": remove_button,
        "confirm_group": confirm_group,
        "confirm_text": confirm_text,
        "confirm_button": confirm_button,
        "cancel_button": cancel_button,
    }


# -- events ---------------------------------------------------------------------------------


def _wire_chat(page: _Page, qa: DocumentQA) -> None:
    """Asking (the box or an example), "New chat", and the chatbot's own Clear."""

    def on_submit(
        message: str, shown: list[dict[str, Any]], history: list[Message], k: int, closest: bool
    ) -> tuple[str, list[dict[str, Any]], list[Message]]:
        return chat_turn(message, shown, history, qa, k, closest)

    chat_inputs = [page.question, page.chatbot, page.plain_history, page.top_k, page.show_closest]
    chat_outputs = [page.question, page.chatbot, page.plain_history]
    # A click on an example puts it in the textbox (Gradio's own event), then asks it.
    for asked in (page.question.submit, page.examples.load_input_event.then):
        asked(on_submit, chat_inputs, chat_outputs, api_visibility="private", concurrency_id=CONCURRENCY_ID).then(
            None, js=SCROLL_TO_LATEST_JS, api_visibility="private", queue=False
        )
    page.new_chat.click(
        lambda: ("", [], []),
        outputs=[page.question, page.chatbot, page.plain_history],
        api_visibility="private",
        queue=False,
    )
    # The chatbot's own "Clear" button empties what is shown; the history must go with it,
    # or a follow-up would still lean on the cleared conversation.
    page.chatbot.clear(lambda: [], outputs=[page.plain_history], api_visibility="private", queue=False)


def documents_panel_state(qa: DocumentQA) -> tuple[str, Any, str]:
    """The documents table, the remove dropdown's choices, and the listing's error as a status."""
    table, choices, _, problem = _documents_view(qa)
    return table, choices, render_status([], [problem] if problem else [])


def index_state_tick(qa: DocumentQA, loader: IndexLoader | None, previous: str) -> tuple[Any, Any, Any, Any, str]:
    """One check of the index state: the banner, and the documents panel when the state
    (banner and index generation) differs from ``previous``; the new state is returned last."""
    loading_now = loader is not None and not loader.ready.is_set()
    if not loading_now:
        qa.notice_changes()  # a file added or edited is indexed without waiting for a question
    banner = render_loading(loader, qa)
    shown = gr.update(value=banner, visible=bool(banner))
    # the table follows the banner and every index swapped in, even one built within a tick
    state = f"{banner}{NO_BANNER_SHOWN}{qa.generation}"
    if state == previous or loading_now:
        return shown, gr.update(), gr.update(), gr.update(), state
    table, choices, problem = documents_panel_state(qa)
    # an upload's or removal's report stays until there is a problem to show instead
    return shown, table, choices, problem or gr.update(), state


def _wire_index_state(demo: gr.Blocks, page: _Page, qa: DocumentQA, loader: IndexLoader | None, banner: str) -> None:
    """The page checks the index state every second: "loading the index…" until it is ready,
    "updating…" while changed documents are indexed in the background. When the state changes,
    the documents table is refreshed."""
    timer = gr.Timer(LOADING_POLL_SECONDS, active=True)
    shown_state = gr.State(banner)
    outputs = [page.loading, page.documents_table, page.remove_choice, page.status, shown_state]
    timer.tick(
        lambda previous: index_state_tick(qa, loader, previous),
        inputs=[shown_state],
        outputs=outputs,
        api_visibility="private",
        queue=False,
    )
    # On opening the page: the banner and, unless still loading, the documents table.
    demo.load(lambda: index_state_tick(qa, loader, NO_BANNER_SHOWN), outputs=outputs, api_visibility="private")


def add_uploads(qa: DocumentQA, files: Any, progress: Progress) -> tuple[str, Any, str, Any]:
    """Add the uploaded ``files`` to the corpus: the documents panel, the status report, and the
    upload box's new value (cleared once added or refused; kept when no file was chosen)."""
    uploads = _upload_paths(files)
    if not uploads:
        table, choices, _, _ = _documents_view(qa)
        return table, choices, render_status([], ["Choose one or more files first."]), gr.update()
    try:
        report = add_documents(qa, uploads, progress=progress)
    except CtqaError as error:
        table, choices, _, _ = _documents_view(qa)
        return table, choices, render_status([], [str(error)]), None
    table, choices, documents, problem = _documents_view(qa)
    lines, errors = describe_add(report, documents)
    return table, choices, render_status(lines, [*errors, *([problem] if problem else [])]), None


def _wire_uploads(page: _Page, qa: DocumentQA) -> None:
    """"Add to the corpus": one index change at a time (``INDEXING_ID``)."""

    def on_add(files: Any, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[str, Any, str, Any]:  # noqa: B008
        return add_uploads(qa, files, lambda fraction, text: progress(fraction, desc=text))

    page.add_button.click(
        on_add,
        inputs=[page.upload],
        outputs=[page.documents_table, page.remove_choice, page.status, page.upload],
        api_visibility="private",
        concurrency_id=INDEXING_ID,
        concurrency_limit=1,
    )


def ask_removal(doc_id: str | None) -> tuple[Any, str, str]:
    """Remove asks first, naming the file; nothing is deleted until "Yes, remove it"."""
    if not doc_id:
        return gr.update(visible=False), "", render_status([], ["Choose the document to remove first."])
    return gr.update(visible=True), render_status([confirm_removal(doc_id)]), ""


def remove_chosen(qa: DocumentQA, doc_id: str | None, progress: Progress) -> tuple[str, Any, str]:
    """Remove ``doc_id`` from the corpus and the index: the documents panel and the status."""
    if not doc_id:
        table, choices, _, _ = _documents_view(qa)
        return table, choices, render_status([], ["Choose the document to remove first."])
    try:
        report = remove_document(qa, doc_id, progress=progress)
    except CtqaError as error:
        table, choices, _, _ = _documents_view(qa)
        return table, choices, render_status([], [str(error)])
    table, choices, _, _ = _documents_view(qa)
    return table, choices, render_status([f"Removed {doc_id}; {report.passages} passages remain indexed."])


def _hide_question() -> tuple[Any, str]:
    return gr.update(visible=False), ""


def _wire_removal(page: _Page, qa: DocumentQA) -> None:
    """Remove… asks; Cancel, "Yes" and choosing another document (the question named the
    previous one) all hide the question; only "Yes" goes on to remove."""

    def on_remove(doc_id: str | None, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[str, Any, str]:  # noqa: B008
        return remove_chosen(qa, doc_id, lambda fraction, text: progress(fraction, desc=text))

    page.remove_button.click(
        ask_removal,
        inputs=[page.remove_choice],
        outputs=[page.confirm_group, page.confirm_text, page.status],
        api_visibility="private",
        queue=False,
    )
    *_, confirmed = [
        trigger(_hide_question, outputs=[page.confirm_group, page.confirm_text], api_visibility="private", queue=False)
        for trigger in (page.cancel_button.click, page.remove_choice.change, page.confirm_button.click)
    ]
    confirmed.then(
        on_remove,
        inputs=[page.remove_choice],
        outputs=[page.documents_table, page.remove_choice, page.status],
        api_visibility="private",
        concurrency_id=INDEXING_ID,
        concurrency_limit=1,
    )


def _wire_api(qa: DocumentQA) -> None:
    """The named endpoints ``/ask`` and ``/documents`` (see the module docstring)."""

    def ask(question: str, history_json: str = "[]", top_k: int = TOP_K) -> dict:
        """Answer a question from the documents.

        Args:
            question: the question.
            history_json: earlier turns as a JSON list of {"role": "user"|"assistant", "content": text}.
            top_k: citations to return, 1 to MAX_TOP_K (10).

        Returns:
            The answer as a dict (Answer.to_dict()): text, citations with offsets, abstained, confidence.
        """
        try:
            return ask_json(qa, question, history_json, top_k=top_k)
        except (ValueError, CtqaError) as error:
            raise gr.Error(str(error), print_exception=False) from error

    def documents() -> list[dict]:
        """The documents of the corpus.

        Returns:
            One dict per file: doc_id, title, format, passages (indexed), size_bytes, problem ("" when indexed).
        """
        try:
            return [asdict(document) for document in list_documents(qa)]
        except CtqaError as error:
            raise gr.Error(str(error), print_exception=False) from error

    gr.api(ask, api_name="ask", concurrency_id=CONCURRENCY_ID)
    gr.api(documents, api_name="documents", concurrency_id=CONCURRENCY_ID)


def launch(
    qa: DocumentQA,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
    loader: IndexLoader | None = None,
) -> gr.Blocks:
    """Serve the chat page of ``qa`` on ``host:port`` (loopback by default); returns the app.

    Uploads larger than ``MAX_UPLOAD_BYTES`` are refused by the server before they reach ctqa.
    With ``loader`` (started), the page is served while the index loads and says so.
    Blocks until the server stops, unless ``prevent_thread_lock`` (then call ``.close()``).
    """
    demo = build_app(qa, loader)
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        share=False,
        ssr_mode=False,
        mcp_server=False,
        quiet=quiet,
        theme=THEME,
        css=CSS,
        footer_links=["api"],
        max_file_size=MAX_UPLOAD_BYTES,
    )
    return demo
