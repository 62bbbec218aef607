"""The chat page: a Gradio app that answers questions over one ``DocumentQA``, with sources.

The page's logic is the pure function ``respond`` (a question and this session's plain-text
history in, the rendered reply and the new history out), so it is tested without a browser;
``build_app`` only wires it to components, and ``launch`` serves the page.

Two rules hold for everything shown:

* **Corpus text is never markup.** Every string that comes from a document, the question or
  the history goes through ``escape_text`` (``html.escape`` plus markdown punctuation as
  character references) before it is put in the HTML of a message, so a document holding
  ``<script>`` or ``[a link](...)`` is shown as those characters.
* **History belongs to one browser session.** It lives in a ``gr.State`` of plain
  ``{"role", "content"}`` messages (the answer text, not the rendered HTML), which is what
  ``DocumentQA.ask`` reads to resolve follow-up questions; nothing is kept at module level.

The same answering is exposed as the API endpoint ``/ask``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict("What does WMD stand for?", "[]", api_name="/ask")
    # answer is Answer.to_dict(): {"text": ..., "citations": [...], "abstained": ..., ...}
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Sequence
from typing import Any

import gradio as gr

from ctqa.errors import CtqaError
from ctqa.qa import DocumentQA
from ctqa.types import Answer, Citation

logger = logging.getLogger(__name__)

Message = dict[str, str]

TITLE = "ctqa — ask your documents"
DESCRIPTION = (
    "Ask a question about the documents in the corpus. Answers are sentences copied verbatim "
    "from the documents, each with its sources; when the documents do not hold the answer, "
    "ctqa says so instead of guessing. Everything runs on this machine."
)
EXAMPLES = [
    "How many Anti-Terrorism Task Forces did the US create?",
    "Where is the Centre of Excellence for Defence Against Terrorism?",
    "What does WMD stand for?",
    "How do states use foreign assistance to fight terrorists?",
]
EMPTY_PROMPT = "Please type a question about the documents, for example one of the examples below the chat."
DECLINED_HEADING = "Closest passages (not an answer)"

# Citations shown per answer (the API's ``top_k`` default too).
TOP_K = 3
# Events answered at once. The embedding model serialises its own calls, but retrieval and
# sentence scoring run in parallel; 4 keeps a small CPU busy without queueing users behind
# one slow question. Further requests wait in Gradio's queue. The page and the /ask API share
# one concurrency group (CONCURRENCY_ID), so the limit holds for both together.
CONCURRENCY_LIMIT = 4
CONCURRENCY_ID = "answer"
# Plain messages kept per session: ``DocumentQA.ask`` only reads the last user turns, so older
# messages would only grow the state sent back and forth with every event.
MAX_HISTORY_MESSAGES = 20

# Markdown punctuation written as character references, so the chatbot's markdown renderer
# sees plain characters (no emphasis, links, code, tables or LaTeX from corpus text).
_MARKDOWN_PUNCTUATION = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()!|~$:+-"})

CSS = """
.ctqa-message blockquote { margin: 0.25em 0 0.75em 0; padding-left: 0.75em; border-left: 3px solid #bbb; }
.ctqa-message mark { padding: 0 0.1em; }
.ctqa-meta { color: #666; font-size: 0.9em; }
"""


def escape_text(text: str) -> str:
    """``text`` safe to place inside the chatbot's HTML/markdown: shown as written, never parsed.

    ``html.escape`` first (``& < > " '``), then markdown punctuation as numeric character
    references; line breaks become ``<br>`` so a blank line in a document cannot end the
    surrounding HTML block.
    """
    escaped = html.escape(text, quote=True).translate(_MARKDOWN_PUNCTUATION)
    return "<br>".join(escaped.splitlines())


def highlight_passage(citation: Citation) -> str:
    """The escaped passage of ``citation`` with its answer sentences wrapped in ``<mark>``."""
    text = citation.text
    pieces: list[str] = []
    position = 0
    for start, end in sorted(citation.answer_spans):
        local_start = max(start - citation.start, position)
        local_end = min(end - citation.start, len(text))
        if local_end <= local_start:
            continue
        pieces.append(escape_text(text[position:local_start]))
        pieces.append(f"<mark>{escape_text(text[local_start:local_end])}</mark>")
        position = local_end
    pieces.append(escape_text(text[position:]))
    return "".join(pieces)


def _citation_header(number: int, citation: Citation) -> str:
    where = [f"<b>{escape_text(citation.title or citation.doc_id)}</b>"]
    if citation.section:
        where.append(escape_text(citation.section))
    if citation.page is not None:
        where.append(f"page {int(citation.page)}")
    location = f"{escape_text(citation.doc_id)}, characters {int(citation.start)}–{int(citation.end)}"
    return f'<p><b>[{number}]</b> {" — ".join(where)} <span class="ctqa-meta">({location})</span></p>'


def render_citations(heading: str, citations: Sequence[Citation]) -> str:
    """A numbered list of passages under ``heading`` (ctqa's own text): origin and quoted text."""
    parts = [f"<p><b>{html.escape(heading)}</b></p>"]
    for number, citation in enumerate(citations, start=1):
        parts.append(_citation_header(number, citation))
        parts.append(f"<blockquote>{highlight_passage(citation)}</blockquote>")
    return "\n".join(parts)


def render_answer(answer: Answer) -> str:
    """The assistant message for ``answer``: the answer sentences, then its sources.

    A declined answer says so and lists the closest passages, marked as not answering.
    The result is one HTML block without blank lines (so markdown never applies inside it).
    """
    parts = ['<div class="ctqa-message">', f"<p>{escape_text(answer.text)}</p>"]
    if answer.abstained:
        if answer.closest:
            parts.append(render_citations(DECLINED_HEADING, answer.closest))
    else:
        parts.append(f'<p class="ctqa-meta">Confidence: {answer.confidence:.0%}</p>')
        parts.append(render_citations("Sources", answer.citations))
    parts.extend(f'<p class="ctqa-meta">{escape_text(note)}</p>' for note in answer.notes)
    parts.append("</div>")
    return "\n".join(parts)


def render_notice(text: str) -> str:
    """A plain assistant notice (prompt or error), escaped like corpus text."""
    return f'<div class="ctqa-message"><p>{escape_text(text)}</p></div>'


def respond(
    message: str, plain_history: list[Message], qa: DocumentQA, *, top_k: int = TOP_K
) -> tuple[str, list[Message]]:
    """Answer ``message`` in the conversation ``plain_history``; the page's whole logic.

    Args:
        message: what the user typed.
        plain_history: this session's earlier turns, ``[{"role": ..., "content": plain text}]``;
            not modified.
        qa: the question answerer.
        top_k: citations per answer.

    Returns:
        ``(rendered, new_history)``: the assistant message as escaped HTML, and the history with
        this turn appended (unchanged when nothing was asked: an empty message or an error).
    """
    if not isinstance(message, str) or not message.strip():
        return render_notice(EMPTY_PROMPT), list(plain_history)
    try:
        answer = qa.ask(message, history=list(plain_history), top_k=top_k)
    except CtqaError as error:
        logger.warning("question failed: %s", error)
        return render_notice(f"Sorry, the documents cannot be searched right now: {error}"), list(plain_history)
    except ValueError as error:
        return render_notice(str(error)), list(plain_history)
    turn = [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]
    return render_answer(answer), [*plain_history, *turn][-MAX_HISTORY_MESSAGES:]


def chat_turn(
    message: str, shown: list[dict[str, Any]], plain_history: list[Message], qa: DocumentQA
) -> tuple[str, list[dict[str, Any]], list[Message]]:
    """One submit on the page: ``(textbox, chatbot messages, plain history)`` after ``message``.

    ``shown`` is the Chatbot's value (escaped/rendered messages, for display only); the
    textbox is cleared. An empty message adds only the assistant's prompt.
    """
    rendered, new_history = respond(message, plain_history, qa)
    shown = list(shown or [])
    if isinstance(message, str) and message.strip():
        shown.append({"role": "user", "content": escape_text(message.strip())})
    shown.append({"role": "assistant", "content": rendered})
    return "", shown, new_history


def parse_history(history_json: str) -> list[Message]:
    """The history argument of the ``/ask`` endpoint: a JSON list of ``{"role", "content"}``.

    Raises:
        ValueError: not JSON, or not a list of user/assistant messages with text content.
    """
    try:
        data = json.loads(history_json or "[]")
    except json.JSONDecodeError as error:
        raise ValueError(f"history_json is not valid JSON ({error})") from error
    if not isinstance(data, list):
        raise ValueError('history_json must be a JSON list of {"role": ..., "content": ...} messages')
    history: list[Message] = []
    for item in data:
        if (
            not isinstance(item, dict)
            or item.get("role") not in ("user", "assistant")
            or not isinstance(item.get("content"), str)
        ):
            raise ValueError(f'each history message needs "role" (user/assistant) and text "content", not {item!r}')
        history.append({"role": item["role"], "content": item["content"]})
    return history[-MAX_HISTORY_MESSAGES:]


def ask_json(qa: DocumentQA, question: str, history_json: str = "[]", *, top_k: int = TOP_K) -> dict[str, Any]:
    """The ``/ask`` endpoint's work: ``Answer.to_dict()`` for ``question`` after ``history_json``,
    without the citations' ``path`` (see below).

    Raises:
        ValueError: empty question or malformed history.
        CtqaError: the index cannot be loaded or built.
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty; send a question about the documents")
    data = qa.ask(question, history=parse_history(history_json), top_k=top_k).to_dict()
    for passage in (*data["citations"], *data["closest"]):
        # The server's absolute file path is left out: ``doc_id`` names the document, and
        # gradio_client (2.x, talking to Gradio 6) takes any dict with a "path" string for a file
        # to download, so ``predict`` would fail. ``Citation.from_dict`` defaults it to "".
        passage.pop("path", None)
    return data


def build_app(qa: DocumentQA) -> gr.Blocks:
    """The chat page over ``qa``, with its queue enabled (``CONCURRENCY_LIMIT`` at once)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n\n{DESCRIPTION}")
        chatbot = gr.Chatbot(
            label="Conversation",
            height=560,
            sanitize_html=True,
            allow_tags=False,
            latex_delimiters=[],
            feedback_options=None,
            buttons=["copy"],
        )
        plain_history = gr.State([])
        with gr.Row():
            question = gr.Textbox(
                show_label=False,
                placeholder="Ask a question about the documents…",
                autofocus=True,
                scale=5,
                submit_btn=True,
            )
            new_chat = gr.Button("New chat", variant="secondary", scale=1)
        gr.Examples(examples=[[example] for example in EXAMPLES], inputs=[question], label="Examples")

        def on_submit(
            message: str, shown: list[dict[str, Any]], history: list[Message]
        ) -> tuple[str, list[dict[str, Any]], list[Message]]:
            return chat_turn(message, shown, history, qa)

        question.submit(
            on_submit,
            inputs=[question, chatbot, plain_history],
            outputs=[question, chatbot, plain_history],
            api_visibility="private",
            concurrency_id=CONCURRENCY_ID,
        )
        new_chat.click(
            lambda: ("", [], []),
            outputs=[question, chatbot, plain_history],
            api_visibility="private",
            queue=False,
        )

        def ask(question: str, history_json: str = "[]") -> dict:
            """Answer a question from the documents.

            Args:
                question: the question.
                history_json: earlier turns as a JSON list of {"role": "user"|"assistant", "content": text}.

            Returns:
                The answer as a dict (Answer.to_dict()): text, citations with offsets, abstained, confidence.
            """
            try:
                return ask_json(qa, question, history_json)
            except (ValueError, CtqaError) as error:
                raise gr.Error(str(error)) from error

        gr.api(ask, api_name="ask", concurrency_id=CONCURRENCY_ID)
    # default_concurrency_limit: see CONCURRENCY_LIMIT (4 questions answered in parallel).
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    return demo


def launch(
    qa: DocumentQA,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> gr.Blocks:
    """Serve the chat page of ``qa`` on ``host:port`` (loopback by default); returns the app.

    Blocks until the server stops, unless ``prevent_thread_lock`` (then call ``.close()``).
    """
    demo = build_app(qa)
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        share=False,
        ssr_mode=False,
        mcp_server=False,
        quiet=quiet,
        css=CSS,
        footer_links=["api"],
    )
    return demo
