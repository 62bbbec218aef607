"""The chat page end to end in a real browser: Debian's chromium, driven by Playwright.

The app is served on a free localhost port (in this process, on a copy of the article's corpus
and index), and each test opens it in fresh browser contexts (separate cookies and storage,
like two people). Playwright never downloads a browser here: it launches ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it in CI). The tests skip, saying so, only
where that file is missing. Screenshots are saved in ``artifacts/`` (git-ignored): an answer with
its highlighted source, and the page after two questions at 1366 px and at 420 px wide.

The layout checks compare bounding boxes: the "Conversation" label and the first message do not
overlap, the empty chat's placeholder starts at the pane's corner, the upload label is not cut,
the newest question and its answer are in the window after asking, quotes use the same font as
the text, the conversation grows instead of scrolling inside itself, and nothing is wider than
a phone's screen.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import PROJECT_ROOT, BuiltArticle, hold_rebuilds
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
PHONE = {"width": 420, "height": 860}
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


def open_page(browser: Browser, url: str, viewport: dict[str, int] | None = None) -> Page:
    """The page in a new browser context (a new person), once its documents list has loaded."""
    page = browser.new_context(viewport=viewport or VIEWPORT).new_page()
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


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot in artifacts/: the whole page, or only the window (what the user sees)."""
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
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
    # The example is broad: its overview has at most top-k items, and cites exactly the passages
    # they quote (at most top-k sources, as a factoid answer).
    items = example_answer.locator("ul.ctqa-overview > li")
    expect(items).not_to_have_count(0)
    assert items.count() <= 2
    expect(example_answer.locator(".ctqa-source")).to_have_count(items.count())
    # A factoid answer lists top-k sources.
    expect(ask(page, TASK_FORCES).locator(".ctqa-source")).to_have_count(2)

    declined = ask(page, "What is the capital of Australia?")
    expect(declined).to_contain_text("The documents do not say")
    expect(declined.locator(".ctqa-closest")).to_contain_text(chat.DECLINED_HEADING)
    expect(declined.locator(".ctqa-source").first).to_contain_text("does not support an answer")
    expect(declined.locator("mark")).to_have_count(0)
    screenshot(page, "chat-declined.png")
    page.locator("#ctqa-closest input[type=checkbox]").uncheck()
    without = ask(page, "What is the capital of Australia?")
    expect(without).to_contain_text("The documents do not say")
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
    # The upload's label is shown whole with the chosen files listed under it.
    upload_label = page.locator("#ctqa-upload [data-testid=block-label]")
    expect(upload_label).to_have_text("Add documents")
    assert upload_label.evaluate("element => element.scrollWidth <= element.clientWidth")
    label_box, upload_box = box(upload_label), box(page.locator("#ctqa-upload"))
    assert label_box["x"] >= upload_box["x"] and label_box["x"] + label_box["width"] <= upload_box["x"] + upload_box["width"]
    assert label_box["y"] >= upload_box["y"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#ctqa-upload").screenshot(path=str(ARTIFACTS / "upload-chosen.png"))
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

    # Remove asks first, naming the file; Cancel keeps it.
    page.locator("#ctqa-remove-choice input").click()
    page.get_by_role("option", name="bees.md").click()
    page.locator("#ctqa-remove").click()
    expect(page.locator("#ctqa-remove-question")).to_contain_text("Remove bees.md?")
    page.locator("#ctqa-remove-no").click()
    expect(page.locator("#ctqa-remove-yes")).to_be_hidden()
    page.wait_for_timeout(500)
    assert (built.corpus_dir / "bees.md").exists()
    expect(table).to_contain_text("Beekeeping Notes")
    page.locator("#ctqa-remove").click()
    expect(page.locator("#ctqa-remove-question")).to_contain_text("Remove bees.md?")
    page.locator("#ctqa-remove-yes").click()
    expect(status).to_contain_text("Removed bees.md", timeout=INDEX_TIMEOUT)
    expect(table).not_to_contain_text("Beekeeping Notes")
    assert not (built.corpus_dir / "bees.md").exists()
    assert "bees.md" not in read_manifest(built.index_dir).files


Box = dict[str, float]


def box(locator: Locator) -> Box:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not shown"
    return found


def overlap(a: Box, b: Box) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def in_window(page: Page, locator: Locator) -> bool:
    """True when the top of ``locator`` lies inside the browser window (not scrolled past)."""
    top = locator.evaluate("element => element.getBoundingClientRect().top")
    # Scrolled to the top of the window gives 0, give or take a fraction of a pixel.
    return -4 <= top < page.viewport_size["height"] - 40  # type: ignore[index]


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1366px", "420px"])
def test_layout_at_desktop_and_phone_width(
    browser: Browser, served: tuple[str, BuiltArticle], viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    url, _ = served
    page = open_page(browser, url, viewport)
    width = viewport["width"]
    chat_pane = page.locator("#ctqa-chat")
    label = page.locator("#ctqa-chat-label")
    expect(label).to_have_text("Conversation")

    # The empty chat: the placeholder starts at the pane's top left corner, under the label.
    placeholder = chat_pane.locator(".placeholder .md")
    expect(placeholder).to_contain_text("Ask a question about your documents")
    pane, hint = box(chat_pane), box(placeholder)
    assert not overlap(box(label), hint)
    assert 0 <= hint["x"] - pane["x"] <= 40 and 0 <= hint["y"] - pane["y"] <= 40, (pane, hint)

    # Nothing is wider than the window: the documents panel and the examples fit a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    documents = box(page.locator("#ctqa-documents table"))
    assert documents["x"] >= 0 and documents["x"] + documents["width"] <= width
    for example in page.locator(".gallery-item, button.gallery-item").all()[:3]:
        example_box = box(example)
        assert example_box["x"] >= 0 and example_box["x"] + example_box["width"] <= width

    first = ask(page, TASK_FORCES)
    # the message grows as Gradio renders it and the page scrolls 50 ms after it is shown: read the
    # boxes once the layout has settled (on a loaded machine it was read mid-render)
    expect(first.locator(".ctqa-answer-text")).to_be_visible(timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(400)
    assert not overlap(box(label), box(first))
    # One font family for the quoted passage and the answer text.
    fonts = {
        part.evaluate("element => getComputedStyle(element).fontFamily")
        for part in (first.locator(".ctqa-answer-text"), first.locator(".ctqa-quote").first)
    }
    assert len(fonts) == 1, fonts

    # The second question, asked from the bottom of a long page by clicking an example: it and
    # the start of its answer are in the window afterwards.
    page.get_by_text("What does WMD stand for?", exact=True).click()
    expect(page.locator(MESSAGES)).to_have_count(2, timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(400)  # the scroll runs 50 ms after the answer is shown
    latest_question = chat_pane.locator(".user-row").last
    latest_answer = page.locator(MESSAGES).last
    expect(latest_answer).to_contain_text("Weapons of Mass Destruction")
    assert in_window(page, latest_question) and in_window(page, latest_answer.locator(".ctqa-answer-text"))

    # The conversation grows with its messages: no scroll box inside the page, and no floating
    # scroll arrow over the quoted text.
    log = chat_pane.locator("[role=log]")
    assert log.evaluate("element => element.scrollHeight - element.clientHeight") <= 2
    assert chat_pane.locator(".scroll-down-button-container").filter(visible=True).count() == 0
    path = screenshot(page, f"chat-{width}px.png", full_page=False)  # the window after the question
    assert path.stat().st_size > 10_000
    screenshot(page, f"chat-{width}px-full.png")


def test_sources_floor_lists_only_related_passages(browser: Browser, served: tuple[str, BuiltArticle]) -> None:
    from playwright.sync_api import expect

    url, built = served
    page = open_page(browser, url)
    page.locator("#ctqa-top-k input[type=number]").fill("10")
    page.locator("#ctqa-top-k input[type=number]").press("Enter")
    answer = ask(page, TASK_FORCES)
    floor = built.qa.settings.answer.source_floor
    full = built.qa.ask(TASK_FORCES, top_k=10)
    kept = [full.citations[0], *(c for c in full.citations[1:] if c.score >= floor)]
    assert len(kept) < 10  # the article has passages this question has nothing to do with
    expect(answer.locator(".ctqa-source")).to_have_count(len(kept))
    expect(answer).to_contain_text(f"{len(kept)} sources of the 10 asked for")


def test_page_is_served_while_the_index_loads(
    browser: Browser, article_copy: Callable[[], BuiltArticle]
) -> None:
    from playwright.sync_api import expect

    built = article_copy()
    loader = chat.IndexLoader(built.qa)  # not started yet: the index is "loading"
    port = free_port()
    demo = chat.launch(built.qa, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, loader=loader)
    try:
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.locator("#ctqa-loading")).to_contain_text("Loading the index")
        expect(page.locator("#ctqa-documents")).to_contain_text("No documents yet")
        loader.start()
        expect(page.locator("#ctqa-loading")).to_be_hidden(timeout=ANSWER_TIMEOUT)
        expect(page.locator("#ctqa-documents")).to_contain_text("Fighting Terrorism", timeout=ANSWER_TIMEOUT)
        answer = ask(page, TASK_FORCES)
        expect(answer.locator(".ctqa-answer-text")).to_contain_text("93 Anti-Terrorism Task Forces")
    finally:
        demo.close()


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


def test_a_document_changed_while_the_page_runs_is_indexed_while_two_people_ask(
    browser: Browser, served: tuple[str, BuiltArticle], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An edit in corpus/ while the page runs: two people ask during the rebuild and both are
    answered from the loaded index at once, the page says the index is updating, and the new
    text answers once it is swapped in. A broken link is named in the documents table."""
    from playwright.sync_api import expect

    url, built = served
    qa = built.qa
    first, second = open_page(browser, url), open_page(browser, url)
    expect(ask(first, TASK_FORCES).locator(".ctqa-answer-text")).to_contain_text("93 Anti-Terrorism")
    building, release = hold_rebuilds(qa, monkeypatch)
    article = next(built.corpus_dir.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8").replace(" 93", " 77"), encoding="utf-8")
    (built.corpus_dir / "gone.md").symlink_to(tmp_path / "missing.md")
    try:
        answers = [ask(page, TASK_FORCES) for page in (first, second)]
        assert building.wait(60) and qa.updating
        for answer in answers:
            expect(answer.locator(".ctqa-answer-text")).to_contain_text("93 Anti-Terrorism")
            expect(answer).to_contain_text("the index is being updated")
        expect(second.locator("#ctqa-loading")).to_contain_text("Updating the index", timeout=ANSWER_TIMEOUT)
    finally:
        release.set()
    expect(second.locator("#ctqa-loading")).to_be_hidden(timeout=INDEX_TIMEOUT)
    expect(second.locator("#ctqa-documents")).to_contain_text("broken link", timeout=ANSWER_TIMEOUT)
    expect(ask(second, TASK_FORCES).locator(".ctqa-answer-text")).to_contain_text("77 Anti-Terrorism")
