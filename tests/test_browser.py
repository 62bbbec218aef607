"""The chat page end to end in a real browser: Debian's chromium, driven by Playwright.

The app is served on a free localhost port (in this process, on a copy of the article's corpus
and index), and each test opens it in fresh browser contexts (separate cookies and storage,
like two people). Playwright never downloads a browser here: it launches ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it in CI). The tests skip, saying so, only
where that file is missing. A screenshot of an answer with its highlighted source is saved in
``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import PROJECT_ROOT, BuiltArticle
from ctqa import chat
from ctqa.index.store import read_manifest
from ctqa.ingest.loader import READERS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
# Headless on a machine without a GPU, a sandbox or a network: no GPU process, no sandbox (tests
# may run as root), and none of Chromium's own connections (updates, sync, QUIC probes), which
# a closed network refuses. Playwright gives every launch a new, empty profile folder.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "artifacts"
VIEWPORT = {"width": 1366, "height": 1000}
# Waits (ms): a first question may wait for the index to load; an upload embeds the new file.
ANSWER_TIMEOUT = 60_000
INDEX_TIMEOUT = 180_000

QUESTION_BOX = "#ctqa-question textarea"
MESSAGES = "#ctqa-chat .ctqa-message"
TASK_FORCES = "How many Anti-Terrorism Task Forces did the US create?"
FOLLOW_UP = "Which department runs them?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="the browser test needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

BEES = """# Beekeeping Notes

Notes from the apiary on the hill.

## Hives

The apiary on the hill keeps 14 hives of Carniolan bees.

## Queens

The queen of hive seven was marked with a blue dot in May.
"""

HOSTILE = """# Lab Safety

Rules of the chemistry lab, kept by the safety officer.

## Alarm

The lab alarm code is <script>alert(1)</script> and the **red** button is [here](javascript:alert(2)). The exit is behind the <b>fume hood</b> <img src=x onerror="document.title='pwned'">.
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def served(article_copy: Callable[[], BuiltArticle]) -> Iterator[tuple[str, BuiltArticle]]:
    """The chat page over a fresh copy of the article's corpus and index: (url, the copy)."""
    built = article_copy()
    port = free_port()
    demo = chat.launch(built.qa, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", built
    finally:
        demo.close()


def open_page(browser: Browser, url: str) -> Page:
    """The page in a new browser context (a new person), once its documents list has loaded."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    page.wait_for_selector(QUESTION_BOX)
    page.wait_for_selector("#ctqa-documents table", timeout=ANSWER_TIMEOUT)
    return page


def ask(page: Page, question: str) -> Locator:
    """Type ``question``, press Enter, and return the assistant message that answers it."""
    before = page.locator(MESSAGES).count()
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function(
        "([selector, count]) => document.querySelectorAll(selector).length > count",
        arg=[MESSAGES, before],
        timeout=ANSWER_TIMEOUT,
    )
    return page.locator(MESSAGES).nth(before)


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in artifacts/ (the page scrolls the newest question to the top)."""
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_answer_with_its_citation_and_sessions_kept_apart(browser: Browser, served: tuple[str, BuiltArticle]) -> None:
    from playwright.sync_api import expect

    url, _ = served
    alice = open_page(browser, url)
    expect(alice.locator("#ctqa-chat")).to_contain_text("Ask a question about your documents")
    answer = ask(alice, TASK_FORCES)
    expect(answer.locator(".ctqa-answer-text")).to_contain_text("93 Anti-Terrorism Task Forces")
    expect(answer.locator(".ctqa-answer-text .ctqa-ref").first).to_have_text("[1]")
    source = answer.locator(".ctqa-source").first
    expect(source.locator(".ctqa-num")).to_have_text("1")
    expect(source.locator(".ctqa-section")).to_contain_text("Department of Justice")
    expect(source.locator("mark")).to_contain_text("93 Anti-Terrorism Task Forces")
    expect(source).to_contain_text("holds the answer")
    path = screenshot(alice, "chat-answer.png")
    assert path.stat().st_size > 10_000

    # A follow-up is searched with the session's earlier question, and the page says so (a
    # "Searched with follow-up of: ..." note, or "Searched for: ..." under a decline).
    follow_up = ask(alice, FOLLOW_UP)
    expect(follow_up).to_contain_text(TASK_FORCES)  # the question itself is in no document

    # A second person: an empty chat, and the same follow-up has no earlier question to lean on.
    bob = open_page(browser, url)
    expect(bob.locator(MESSAGES)).to_have_count(0)
    expect(bob.locator("#ctqa-chat")).not_to_contain_text("Anti-Terrorism")
    ask(bob, FOLLOW_UP)
    expect(bob.locator("#ctqa-chat")).not_to_contain_text(TASK_FORCES)
    expect(alice.locator(MESSAGES)).to_have_count(2)

    # "New chat" empties Alice's conversation and its history.
    alice.get_by_role("button", name="New chat").click()
    expect(alice.locator(MESSAGES)).to_have_count(0)
    ask(alice, FOLLOW_UP)
    expect(alice.locator("#ctqa-chat")).not_to_contain_text(TASK_FORCES)


def test_examples_settings_and_declined_answers(browser: Browser, served: tuple[str, BuiltArticle]) -> None:
    from playwright.sync_api import expect

    url, _ = served
    page = open_page(browser, url)
    # One click on an example asks it; the top-k setting sets how many sources are listed.
    page.locator("#ctqa-top-k input[type=number]").fill("2")
    page.locator("#ctqa-top-k input[type=number]").press("Enter")
    page.get_by_text(chat.FAQ_EXAMPLES[1], exact=True).click()
    expect(page.locator(MESSAGES)).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(page.locator("#ctqa-chat")).to_contain_text(chat.FAQ_EXAMPLES[1])
    example_answer = page.locator(MESSAGES).first
    expect(example_answer.locator("mark").first).to_contain_text("diplomacy")
    # A factoid answer lists top-k sources (an overview adds the passages it quotes after them).
    expect(ask(page, TASK_FORCES).locator(".ctqa-source")).to_have_count(2)

    declined = ask(page, "What is the capital of Australia?")
    expect(declined).to_contain_text(chat.DECLINED_LABEL)
    expect(declined.locator(".ctqa-closest")).to_contain_text(chat.DECLINED_HEADING)
    expect(declined.locator(".ctqa-source").first).to_contain_text("does not support an answer")
    expect(declined.locator("mark")).to_have_count(0)
    screenshot(page, "chat-declined.png")
    page.locator("#ctqa-closest input[type=checkbox]").uncheck()
    without = ask(page, "What is the capital of Australia?")
    expect(without).to_contain_text(chat.DECLINED_LABEL)
    expect(without.locator(".ctqa-source")).to_have_count(0)


def test_upload_ask_and_remove_through_the_page(
    browser: Browser, served: tuple[str, BuiltArticle], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from test_documents import GLASS_PDF_LINES, GLASS_QUESTION, tiny_pdf

    url, built = served
    files = {"bees.md": BEES.encode(), "lab notes.md": HOSTILE.encode()}
    with_pdf = ".pdf" in READERS
    if with_pdf:
        files["glass.pdf"] = tiny_pdf(GLASS_PDF_LINES)
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))

    page = open_page(browser, url)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_input_files("#ctqa-upload input[type=file]", paths)
    for name in files:  # uploaded to the server once listed (Gradio shows "bees" and ".md" apart)
        expect(page.locator("#ctqa-upload")).to_contain_text(Path(name).stem)
    page.locator("#ctqa-add").click()
    status = page.locator("#ctqa-status")
    expect(status).to_contain_text("Added bees.md", timeout=INDEX_TIMEOUT)
    expect(status).to_contain_text("Added lab notes.md")
    table = page.locator("#ctqa-documents")
    expect(table).to_contain_text("Beekeeping Notes")
    expect(table).to_contain_text("Lab Safety")
    assert {"bees.md", "lab notes.md"} <= set(read_manifest(built.index_dir).files)

    answer = ask(page, "How many hives of Carniolan bees does the apiary keep?")
    expect(answer.locator(".ctqa-answer-text")).to_contain_text("14 hives")
    expect(answer.locator(".ctqa-source").first).to_contain_text("Beekeeping Notes")

    # A document's HTML and markdown are shown as characters, never run or rendered.
    hostile = ask(page, "What is the lab alarm code?")
    expect(hostile.locator(".ctqa-answer-text")).to_contain_text("<script>alert(1)</script>")
    expect(hostile.locator(".ctqa-answer-text")).to_contain_text("**red**")
    expect(hostile.locator(".ctqa-source").first).to_contain_text('<b>fume hood</b> <img src=x onerror="document.title')
    assert hostile.locator("script, img, a, b:not(.ctqa-title)").count() == 0
    assert page.title() == chat.TITLE and dialogs == []

    if with_pdf:
        assert "glass.pdf" in read_manifest(built.index_dir).files
        glass = ask(page, GLASS_QUESTION)
        expect(glass.locator(".ctqa-answer-text")).to_contain_text("1150 degrees")
        expect(glass.locator(".ctqa-source").first).to_contain_text("page 1")
    screenshot(page, "chat-uploads.png")

    page.locator("#ctqa-remove-choice input").click()
    page.get_by_role("option", name="bees.md").click()
    page.locator("#ctqa-remove").click()
    expect(status).to_contain_text("Removed bees.md", timeout=INDEX_TIMEOUT)
    expect(table).not_to_contain_text("Beekeeping Notes")
    assert not (built.corpus_dir / "bees.md").exists()
    assert "bees.md" not in read_manifest(built.index_dir).files


def test_a_broad_question_shows_an_overview_as_a_cited_list(browser: Browser, served: tuple[str, BuiltArticle]) -> None:
    from playwright.sync_api import expect

    url, built = served
    page = open_page(browser, url)
    question = chat.FAQ_EXAMPLES[0]
    answer = ask(page, question)
    expected = built.qa.ask(question)
    items = answer.locator("ul.ctqa-overview > li")
    expect(items).to_have_count(len(expected.overview))
    assert len(expected.overview) >= 2
    sources = answer.locator(".ctqa-source")
    expect(sources).to_have_count(len(expected.citations))
    for number, item in enumerate(expected.overview):
        row = items.nth(number)
        expect(row).to_contain_text(item.text)
        expect(row.locator(".ctqa-ref")).to_have_text(f"[{item.citation}]")
        expect(sources.nth(item.citation - 1).locator("mark").first).to_be_visible()
    screenshot(page, "chat-overview.png")
