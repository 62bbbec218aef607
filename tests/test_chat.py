"""The chat page: rendering (escaping, highlights, declines), per-session history, the /ask API."""

from __future__ import annotations

import json
import re
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import ctqa
from ctqa import chat
from ctqa.answering.declining import decline_text
from ctqa.answering.floor import above_floor, mark_floor
from ctqa.config import Settings
from ctqa.documents import AddReport, DocumentInfo
from ctqa.ingest.loader import READERS
from ctqa.types import Answer, Citation, ShortAnswer

HOSTILE = "<script>alert(1)</script> **bold** [click](javascript:alert(2)) `code` $$x$$ <img src=x onerror=alert(3)>"

LIGHTHOUSES = """Lighthouses

A short history of lighthouses and their lamps.

Lenses

The Fresnel lens was invented by the French physicist Augustin-Jean Fresnel in 1822. Its rings of glass prisms let a small lamp be seen more than 20 miles away.
"""

# A document whose text is HTML and markdown: it must be shown as characters, never rendered.
LAB = """# Lab Safety

Rules of the chemistry lab, kept by the safety officer.

## Alarm

The lab alarm code is <script>alert(1)</script> and the **red** button is [here](javascript:alert(2)).

The emergency exit is behind the <b>fume hood</b> on the left.
"""


def citation(text: str, start: int = 100, spans: tuple[tuple[int, int], ...] = (), **fields: Any) -> Citation:
    return Citation(
        doc_id=fields.pop("doc_id", "doc.txt"),
        title=fields.pop("title", "A Title"),
        section=fields.pop("section", "A Section"),
        start=start,
        end=start + len(text),
        text=text,
        score=0.5,
        answer_spans=spans,
        **fields,
    )


def visible_markup(rendered: str) -> set[str]:
    """The tag names that appear in ``rendered``."""
    return {name.lower() for name in re.findall(r"<\s*/?\s*([A-Za-z][A-Za-z0-9]*)", rendered)}


# Tags the page's messages may contain; anything else would come from corpus text.
PAGE_TAGS = {"div", "p", "b", "span", "blockquote", "mark", "br", "sup"}


class RecordingQA:
    """Stands in for ``DocumentQA``: answers with the question and records the history it got."""

    def __init__(self) -> None:
        self.histories: list[list[dict[str, str]]] = []
        self.top_ks: list[int] = []
        self.settings = Settings()

    def ask(self, question: str, *, history: list[dict[str, str]] | None = None, top_k: int = 3) -> Answer:
        self.histories.append([dict(m) for m in history or []])
        self.top_ks.append(top_k)
        return Answer(question=question, text=f"answer to {question}", citations=[], abstained=False, confidence=0.9)


class RefusingQA:
    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        raise AssertionError("ask must not be called")


# -- fast: rendering and session logic, no model ----------------------------------------------


def test_escape_text_neutralises_html_and_markdown() -> None:
    escaped = chat.escape_text(HOSTILE)
    assert visible_markup(escaped) == set()
    for raw in ("**", "[click]", "](", "`", "$$"):
        assert raw not in escaped
    assert "&lt;script&gt;" in escaped


def test_escape_text_turns_line_breaks_into_br_so_html_blocks_cannot_end() -> None:
    escaped = chat.escape_text("one\n\ntwo\nthree")
    assert "\n" not in escaped
    assert escaped == "one<br><br>two<br>three"


def test_highlight_marks_exactly_the_answer_spans() -> None:
    text = "First sentence. The answer <here>. Last one."
    start = 1000
    answer_start = start + text.index("The answer")
    cited = citation(text, start, ((answer_start, answer_start + len("The answer <here>.")),))
    rendered = chat.highlight_passage(cited)
    assert rendered == "First sentence. <mark>The answer &lt;here&gt;.</mark> Last one."


def test_highlight_joins_consecutive_answer_sentences() -> None:
    text = "Before. One. Two. After."
    cited = citation(text, 0, ((8, 12), (13, 17)))
    assert chat.highlight_passage(cited) == "Before. <mark>One. Two.</mark> After."
    apart = citation(text, 0, ((0, 7), (13, 17)))
    assert chat.highlight_passage(apart) == "<mark>Before.</mark> One. <mark>Two.</mark> After."


def test_highlight_clips_spans_outside_the_passage() -> None:
    cited = citation("abc def", 10, ((5, 13), (40, 50)))
    assert chat.highlight_passage(cited) == "<mark>abc</mark> def"


def test_render_answer_escapes_every_corpus_string() -> None:
    cited = citation(HOSTILE, 0, ((0, 8),), title="<i>Title</i>", section="**Section**", doc_id="x<y>.txt")
    answer = Answer(
        question="q?", text=HOSTILE, citations=[cited], abstained=False, confidence=0.8, notes=["<b>note</b>"]
    )
    rendered = chat.render_answer(answer)
    assert visible_markup(rendered) <= PAGE_TAGS
    assert "<script" not in rendered and "<img" not in rendered and "<i>" not in rendered
    assert "**" not in rendered and "](" not in rendered
    assert "\n\n" not in rendered  # one HTML block: markdown is never applied inside it


def test_render_answer_lists_numbered_sources_with_offsets() -> None:
    first = citation("The answer. More.", 40, ((40, 51),), title="Doc One", section="Intro")
    second = citation("Other passage.", 90, title="Doc Two", section="Later", doc_id="two.txt")
    answer = Answer(
        question="q?",
        text="The answer.",
        citations=[first, second],
        abstained=False,
        confidence=0.87,
        sentences=["The answer."],
    )
    rendered = chat.render_answer(answer)
    assert rendered.index("The answer.") < rendered.index("Sources") < rendered.index(">1<") < rendered.index(">2<")
    assert '<b class="ctqa-title">Doc One</b><span class="ctqa-section">Intro</span>' in rendered
    assert "doc.txt · characters 40–57 · holds the answer" in rendered
    assert "two.txt · characters 90–104 · also relevant" in rendered
    assert "<mark>The answer.</mark> More." in rendered
    assert "Confidence 87%" in rendered


def test_each_answer_sentence_carries_the_number_of_its_source() -> None:
    text = "One fact. Two facts. Other."
    cited = citation(text, 0, ((0, 9), (10, 20)))
    answer = Answer(
        question="q?",
        text="One fact. Two facts.",
        citations=[cited],
        abstained=False,
        confidence=0.9,
        sentences=["One fact.", "Two facts."],
    )
    marker = '<sup class="ctqa-ref">[1]</sup>'
    assert chat.render_answer_text(answer) == f"One fact.{marker} Two facts.{marker}"


def test_sources_show_the_page_when_present_and_mark_unsupporting_passages() -> None:
    first = citation("Answer here.", 0, ((0, 12),), page=4, section="Results")
    related = citation("Nearby text.", 50, supports_answer=False)
    answer = Answer(question="q?", text="Answer here.", citations=[first, related], abstained=False, confidence=0.7)
    rendered = chat.render_answer(answer)
    assert "Results · page 4" in rendered
    assert "related; does not state the answer" in rendered
    assert rendered.count("page ") == 1  # the second passage has no page


def test_render_declined_answer_says_so_and_marks_closest_passages() -> None:
    closest = citation("Something nearby.", 5, supports_answer=False)
    answer = Answer(question="q?", text=decline_text("q?"), citations=[], abstained=True, confidence=0.01, closest=[closest])
    rendered = chat.render_answer(answer)
    assert decline_text("q?") in rendered and "<details" in rendered  # closest passages collapsed
    assert chat.DECLINED_HEADING in rendered and "Sources" not in rendered
    assert "Something nearby." in rendered and "does not support an answer" in rendered
    assert "<mark>" not in rendered and "ctqa-ref" not in rendered  # no highlight, no citation marker
    hidden = chat.render_answer(answer, show_closest=False)
    assert decline_text("q?") in hidden and chat.DECLINED_HEADING not in hidden and "Something nearby." not in hidden


@pytest.mark.parametrize("message", ["", "   ", "\n"])
def test_empty_message_gets_a_prompt_and_keeps_history(message: str) -> None:
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}]
    rendered, new_history = chat.respond(message, history, RefusingQA())  # type: ignore[arg-type]
    assert "Please type a question" in rendered
    assert new_history == history and new_history is not history


def test_histories_of_two_sessions_do_not_leak() -> None:
    qa = RecordingQA()
    alice: list[dict[str, str]] = []
    bob: list[dict[str, str]] = []
    _, alice = chat.respond("Where do bees live?", alice, qa)  # type: ignore[arg-type]
    _, bob = chat.respond("Who built the Pharos?", bob, qa)  # type: ignore[arg-type]
    _, alice = chat.respond("And what do they eat?", alice, qa)  # type: ignore[arg-type]
    assert qa.histories[1] == []  # Bob's first question saw no history, not Alice's
    assert [m["content"] for m in qa.histories[2]] == ["Where do bees live?", "answer to Where do bees live?"]
    assert "Pharos" not in json.dumps(alice) and "bees" not in json.dumps(bob)
    assert [m["role"] for m in alice] == ["user", "assistant", "user", "assistant"]


def test_chat_turn_shows_escaped_messages_the_chatbot_accepts() -> None:
    import gradio as gr

    textbox, shown, history = chat.chat_turn("Is <b>this</b> safe?", [], [], RecordingQA())  # type: ignore[arg-type]
    assert textbox == ""
    assert [m["role"] for m in shown] == ["user", "assistant"]
    assert "<b>this" not in shown[0]["content"] and "&lt;b&gt;this" in shown[0]["content"]
    assert history[0]["content"] == "Is <b>this</b> safe?"
    _, shown, history = chat.chat_turn("   ", shown, history, RecordingQA())  # type: ignore[arg-type]
    assert [m["role"] for m in shown] == ["user", "assistant", "assistant"] and len(history) == 2
    payload = gr.Chatbot().postprocess(shown)  # the page's Chatbot takes these messages as they are
    assert len(payload.root) == 3


def test_settings_reach_the_answerer() -> None:
    qa = RecordingQA()
    chat.chat_turn("first?", [], [], qa, 7, True)  # type: ignore[arg-type]
    chat.chat_turn("second?", [], [], qa, 99, True)  # type: ignore[arg-type]
    chat.chat_turn("third?", [], [], qa, None, True)  # type: ignore[arg-type]
    assert qa.top_ks == [7, chat.MAX_TOP_K, chat.TOP_K]


def test_history_stores_plain_text_not_html() -> None:
    _, history = chat.respond("Is <b>this</b> kept plain?", [], RecordingQA())  # type: ignore[arg-type]
    assert history[0] == {"role": "user", "content": "Is <b>this</b> kept plain?"}
    assert history[1]["content"] == "answer to Is <b>this</b> kept plain?"


def test_history_is_bounded() -> None:
    history: list[dict[str, str]] = []
    qa = RecordingQA()
    for number in range(chat.MAX_HISTORY_MESSAGES):
        _, history = chat.respond(f"question {number}", history, qa)  # type: ignore[arg-type]
    assert len(history) == chat.MAX_HISTORY_MESSAGES
    assert history[-2]["content"] == f"question {chat.MAX_HISTORY_MESSAGES - 1}"


def test_ctqa_errors_become_a_message(tmp_path: Path) -> None:
    qa = ctqa.DocumentQA(tmp_path / "missing", tmp_path / "index")
    rendered, history = chat.respond("What is this?", [], qa)
    assert "cannot be searched" in rendered and "does not exist" in rendered
    assert history == []


@pytest.mark.parametrize(
    "bad", ["not json", '{"role": "user"}', '[{"role": "robot", "content": "x"}]', '[{"role": "user", "content": 3}]']
)
def test_parse_history_rejects_malformed_input(bad: str) -> None:
    with pytest.raises(ValueError):
        chat.parse_history(bad)


def test_parse_history_accepts_messages() -> None:
    assert chat.parse_history("") == []
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert chat.parse_history(json.dumps(messages)) == messages
    # the usual chat format's system and tool messages are left out, as DocumentQA.ask does
    with_system = [{"role": "system", "content": "Be brief."}, *messages, {"role": "tool", "content": "{}"}]
    assert chat.parse_history(json.dumps(with_system)) == messages


def test_ask_json_rejects_an_empty_question() -> None:
    with pytest.raises(ValueError, match="empty"):
        chat.ask_json(RefusingQA(), "  ")  # type: ignore[arg-type]


def test_examples_include_the_four_faq_questions() -> None:
    assert set(chat.FAQ_EXAMPLES) == {
        "How can states cooperate to fight terrorists?",
        "How do states use diplomacy to fight terrorists?",
        "How do states use foreign assistance to fight terrorists?",
        "How do states use law enforcement to fight terrorists?",
    }
    assert set(chat.FAQ_EXAMPLES) <= set(chat.EXAMPLES)


def test_build_app_has_the_page_parts() -> None:
    demo = chat.build_app(RecordingQA())  # type: ignore[arg-type]
    config = demo.get_config_file()
    text = json.dumps(config, default=repr, ensure_ascii=False)
    for example in chat.EXAMPLES:
        assert json.dumps(example)[1:-1] in text
    for part in ("New chat", chat.TITLE, "Settings", "Sources per answer (top-k)", "Documents", "Add to the corpus"):
        assert part in text
    upload = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "ctqa-upload")
    assert upload["props"]["file_types"] == sorted(READERS)
    public = {dep.get("api_name") for dep in config["dependencies"] if dep.get("api_visibility") == "public"}
    assert public == {"ask", "documents"}
    # Clearing the chat (the chatbot's own button) clears the session's history too.
    types = {c["id"]: c.get("type") for c in config["components"]}
    clears = [dep for dep in config["dependencies"] if dep["targets"] and dep["targets"][0][1] == "clear"]
    assert [[types[o] for o in dep["outputs"]] for dep in clears] == [["state"]]


def test_render_documents_escapes_titles_and_names() -> None:
    rendered = chat.render_documents(
        [
            DocumentInfo("a<b>.md", "<script>x</script>", "markdown", 3, 10),
            DocumentInfo("broken.txt", "", "text", 0, 5, problem="not valid UTF-8 <here>"),
        ]
    )
    assert "<script" not in rendered and "a&lt;b&gt;.md" in rendered
    assert "not indexed: not valid UTF&#45;8 &lt;here&gt;" in rendered
    assert "1 document indexed, 3 passages; 1 file not indexed" in rendered
    assert visible_markup(rendered) <= {"div", "table", "thead", "tbody", "tr", "th", "td", "span", "br", "p"}


def test_documents_summary_counts_only_indexed_documents() -> None:
    indexed = [DocumentInfo("a.md", "A", "markdown", 3, 10), DocumentInfo("b.txt", "B", "text", 1, 10)]
    unindexed = [
        DocumentInfo("c.txt", "", "text", 0, 5, problem="not valid UTF-8"),
        DocumentInfo("d.link", "", "link", 0, 0, problem="points outside the corpus; not indexed", removable=False),
    ]
    assert chat.documents_summary(indexed) == "2 documents indexed, 4 passages"
    assert chat.documents_summary([*indexed, *unindexed]) == "2 documents indexed, 4 passages; 2 files not indexed"
    assert chat.documents_summary(unindexed[:1]) == "0 documents indexed, 0 passages; 1 file not indexed"


def test_describe_add_reports_passages_and_refusals() -> None:
    report = AddReport(added=["bees.md"], rejected={"x.exe": ".exe files cannot be added"})
    lines, errors = chat.describe_add(report, [DocumentInfo("bees.md", "Bees", "markdown", 2, 100)])
    assert lines == ["Added bees.md (2 passages); you can ask about it now."]
    assert errors == ["x.exe was not added: .exe files cannot be added"]
    status = chat.render_status(lines, ["<b>bad</b>"])
    assert "<b>bad" not in status and 'class="ctqa-error"' in status


# -- slow: a real index ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ctqa.DocumentQA:
    root = tmp_path_factory.mktemp("chat")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    (corpus / "lab.md").write_text(LAB, encoding="utf-8")
    documents_qa = ctqa.DocumentQA(corpus, root / "index")
    documents_qa.build()
    return documents_qa


@pytest.mark.slow
def test_answer_from_a_hostile_document_is_escaped(qa: ctqa.DocumentQA) -> None:
    rendered, history = chat.respond("What is the lab alarm code?", [], qa)
    assert "alarm code" in history[1]["content"]
    assert "<script" not in rendered and "**" not in rendered and "](" not in rendered
    assert "&lt;script&gt;alert" in rendered
    assert "<mark>" in rendered and "Lab Safety" in rendered
    assert visible_markup(rendered) <= PAGE_TAGS


@pytest.mark.slow
def test_follow_up_uses_only_its_own_session(qa: ctqa.DocumentQA) -> None:
    _, lamp_session = chat.respond("Who invented the Fresnel lens?", [], qa)
    _, lab_session = chat.respond("What is the lab alarm code?", [], qa)
    rendered, lamp_session = chat.respond("In which year was it invented?", lamp_session, qa)
    assert "1822" in lamp_session[-1]["content"]
    assert "alarm" not in json.dumps(lamp_session)
    assert "Fresnel" not in json.dumps(lab_session)


@pytest.mark.slow
def test_declined_question_in_chat(qa: ctqa.DocumentQA) -> None:
    rendered, history = chat.respond("What is the capital of Australia?", [], qa)
    declined = decline_text("What is the capital of Australia?")
    assert declined in rendered
    assert history[-1]["content"] == declined


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_served_page_answers_through_the_ask_api(qa: ctqa.DocumentQA) -> None:
    from gradio_client import Client

    port = free_port()
    demo = chat.launch(qa, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict("Who invented the Fresnel lens?", "[]", api_name="/ask")
        assert isinstance(answer, dict)
        assert "Augustin-Jean Fresnel" in answer["text"] and answer["abstained"] is False
        assert answer["citations"][0]["doc_id"] == "lighthouses.txt"
        history = json.dumps([{"role": "user", "content": "Who invented the Fresnel lens?"}])
        follow_up = client.predict("In which year?", history, api_name="/ask")
        assert "1822" in follow_up["text"]
        with pytest.raises(Exception, match="empty"):
            client.predict("   ", "[]", api_name="/ask")
        assert len(client.predict("Who invented the Fresnel lens?", "[]", 1, api_name="/ask")["citations"]) == 1
        listed = {document["doc_id"]: document for document in client.predict(api_name="/documents")}
        assert set(listed) == {"lab.md", "lighthouses.txt"}
        assert listed["lighthouses.txt"]["title"] == "Lighthouses" and listed["lighthouses.txt"]["passages"] >= 1
    finally:
        demo.close()


# -- sources floor, Remove's question, the loading banner ---------------------------------------


def sourced_answer(scores: list[float]) -> Answer:
    citations = [
        replace(citation(f"Passage number {n}.", start=100 * n), score=score) for n, score in enumerate(scores)
    ]
    return Answer(question="q?", text="Passage number 0.", citations=citations, abstained=False, confidence=scores[0])


def test_sources_under_the_floor_are_left_out_and_the_page_says_so() -> None:
    answer = sourced_answer([0.9, 0.4, 0.01, 0.0])
    shown = above_floor(answer, top_k=4, floor=0.05)
    assert [c.score for c in shown.citations] == [0.9, 0.4]
    assert shown.notes[-1].startswith("2 sources of the 4 asked for")
    rendered = chat.render_answer(shown)
    assert rendered.count('class="ctqa-source"') == 2 and chat.escape_text(shown.notes[-1]) in rendered


def test_the_first_source_is_kept_whatever_its_score_and_a_full_list_has_no_note() -> None:
    low = above_floor(sourced_answer([0.01, 0.0]), top_k=2, floor=0.05)
    assert [c.score for c in low.citations] == [0.01] and len(low.notes) == 1
    full = sourced_answer([0.9, 0.5, 0.3])
    assert above_floor(full, top_k=3, floor=0.05) is full


def test_the_answer_marks_sources_under_the_floor_and_the_shown_answer_drops_exactly_those() -> None:
    """One floor: ``ctqa.ask()`` keeps every source, marked; the page and the CLI show the unmarked."""
    marked = mark_floor(sourced_answer([0.02, 0.4, 0.01, 0.3]), 0.05)
    assert [c.below_floor for c in marked.citations] == [False, False, True, False]  # the first is the answer
    assert [c["below_floor"] for c in marked.to_dict()["citations"]] == [False, False, True, False]
    assert Answer.from_dict(marked.to_dict()) == marked
    shown = above_floor(marked, top_k=4, floor=0.05)
    assert [c.score for c in shown.citations] == [0.02, 0.4, 0.3]
    assert mark_floor(shown, 0.05) == shown and above_floor(shown, top_k=4, floor=0.05).citations == shown.citations


def test_a_declined_answer_keeps_its_closest_passages() -> None:
    declined = Answer(question="q?", text=decline_text("q?"), citations=[], abstained=True, confidence=0.1,
                      closest=[citation("Close but no.")])
    assert above_floor(declined, top_k=3, floor=0.5) is declined


def test_remove_asks_naming_the_file() -> None:
    assert chat.confirm_removal("notes/bees.md").startswith("Remove notes/bees.md?")


def test_loading_banner_follows_the_loader() -> None:
    loader = chat.IndexLoader(RecordingQA())  # type: ignore[arg-type]
    assert chat.LOADING_TEXT.split("…")[0] in chat.render_loading(loader)
    loader.error = "no readable document in corpus"
    loader.ready.set()
    assert "cannot be loaded: no readable document in corpus" in chat.render_loading(loader)
    loader.error = ""
    assert chat.render_loading(loader) == "" and chat.render_loading(None) == ""


def test_banner_says_the_index_is_updating_while_changed_documents_are_indexed() -> None:
    qa = RecordingQA()
    loader = chat.IndexLoader(qa)  # type: ignore[arg-type]
    loader.ready.set()
    qa.updating = True  # type: ignore[attr-defined]
    assert chat.UPDATING_TEXT.split("…")[0] in chat.render_loading(loader)
    assert chat.render_loading(None, qa) == chat.render_loading(loader)  # type: ignore[arg-type]
    qa.updating = False  # type: ignore[attr-defined]
    assert chat.render_loading(loader) == ""
def test_render_short_answer_first_and_bold_then_marked_in_its_sentence() -> None:
    sentence = "This includes the creation of 93 Anti-Terrorism Task Forces."
    short = ShortAnswer("93", 130, 132, "doc.txt", "number")
    answer = Answer(
        question="How many task forces?", text=sentence, citations=[citation(sentence, 100, ((100, 100 + len(sentence)),))],
        abstained=False, confidence=0.9, sentences=[sentence], short_answer=short,
        context="The program is part of a broader strategy.",
    )
    rendered = chat.render_answer(answer)
    assert rendered.index("<b>93</b>") < rendered.index("ctqa-answer-text")
    assert "creation of <mark>93</mark> Anti" in rendered
    assert "Context: The program is part of a broader strategy." in rendered
    assert rendered.index("ctqa-answer-text") < rendered.index("ctqa-context")


def test_removal_asks_first_and_needs_a_chosen_document() -> None:
    group, question, status = chat.ask_removal(None)
    assert group == {"__type__": "update", "visible": False} and question == ""
    assert "Choose the document to remove first." in status
    group, question, status = chat.ask_removal("notes/bees.md")
    assert group == {"__type__": "update", "visible": True} and status == ""
    assert "Remove notes/bees.md? Its file is deleted" in question


def test_an_upload_without_files_asks_for_them_and_adds_nothing(tmp_path: Path) -> None:
    qa = ctqa.DocumentQA(tmp_path / "corpus", tmp_path / "index", auto_build=False)
    table, _, status, upload = chat.add_uploads(qa, None, lambda fraction, text: None)
    assert "Choose one or more files first." in status and upload == {"__type__": "update"}
    assert not (tmp_path / "corpus").exists() and "No documents yet." in table


def test_while_the_index_loads_the_tick_shows_the_banner_and_leaves_the_panel() -> None:
    qa = RecordingQA()
    qa.generation = 0  # type: ignore[attr-defined]
    loader = chat.IndexLoader(qa)  # type: ignore[arg-type]  # not started: loading
    banner, table, choices, status, state = chat.index_state_tick(qa, loader, chat.NO_BANNER_SHOWN)  # type: ignore[arg-type]
    assert banner["visible"] is True and chat.LOADING_TEXT.split("…")[0] in banner["value"]
    assert table == choices == status == {"__type__": "update"}
    assert state == f"{chat.render_loading(loader)}{chat.NO_BANNER_SHOWN}0"


def test_notes_come_right_after_the_answer_above_the_sources() -> None:
    first = citation("The answer. More.", 40, ((40, 51),), role="answer")
    answer = Answer(
        question="q? and q2?", text="The answer.", citations=[first], abstained=False, confidence=0.8,
        sentences=["The answer."], notes=["The message asks 2 questions; this answers the first."],
    )
    rendered = chat.render_answer(answer)
    assert rendered.index("The answer.") < rendered.index("The message asks 2 questions") < rendered.index("Sources")


def test_each_source_is_labelled_with_its_role_so_the_first_need_not_score_highest() -> None:
    answer_source = replace(citation("The answer.", 0, ((0, 11),), role="answer"), score=0.98)
    row = replace(citation("A row 93.", 50, role="supporting"), score=0.99)
    nearby = replace(citation("Nearby.", 90, role="related", supports_answer=False), score=0.02)
    answer = Answer(question="q?", text="The answer.", citations=[answer_source, row, nearby], abstained=False, confidence=0.98)
    rendered = chat.render_answer(answer)
    assert "characters 0–11 · holds the answer" in rendered
    assert "characters 50–59 · also relevant" in rendered
    assert "characters 90–97 · related; does not state the answer" in rendered
