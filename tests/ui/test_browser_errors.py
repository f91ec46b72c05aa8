"""What goes wrong shows as a message in the page: a login first, then an empty index, a missing
model, an unreachable API and a bad filter, each as readable text and never a stack trace.

The server starts with an empty index; the test fills it through the page's upload.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.servers import free_port
from tests.ui.conftest import artifact, http_status, serve
from tests.ui.pages import ask, bot_messages, sign_in, upload, user_messages, wait_answer

pytestmark = [pytest.mark.slow, pytest.mark.server]

FACT = "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n"


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("bare-home")
    dead_api = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    yield from serve(home, tmp_path_factory.mktemp("bare-log"), RAG_AUTH="ada:s3cret",
                     RAG_LLM_PATH=str(home / "no-such-model.gguf"), RAG_OPENAI_BASE_URL=dead_api,
                     RAG_OPENAI_RETRIES="0", RAG_OPENAI_TIMEOUT="5", OPENAI_API_KEY="test-key")


def _error(page, turn: int) -> str:
    assert ask(page, "How many megawatts does the Zorblax reactor produce?", turn) == "error"
    text = page.inner_text("#sources .error")
    assert "Traceback" not in page.content() and text in bot_messages(page)[-1]
    return text


def test_login_then_every_error_is_a_readable_message(browser, bare_server, tmp_path):
    assert http_status(f"{bare_server.url}/config") == 401  # nothing but the login page without a session
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.goto(bare_server.url)
        sign_in(page, "ada", "wrong")
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
        sign_in(page, "ada", "s3cret")
        page.wait_for_selector("#question textarea")
        expect(page.locator("#summary .empty-index")).to_contain_text("The index is empty")

        assert "rag ingest" in _error(page, 1)

        fact = tmp_path / "reactor.md"
        fact.write_text(FACT)
        expect(upload(page, fact).locator("li.ok")).to_contain_text("reactor.md")
        page.get_by_role("tab", name="Ask").click()

        page.get_by_label("Local model (GGUF)").check()  # the default is extractive
        assert "GGUF model not found" in _error(page, 3)
        page.get_by_label("OpenAI-compatible API").check()
        assert "Cannot reach the OpenAI-compatible API" in _error(page, 5)
        page.screenshot(path=str(artifact("ui-error.png")))
        page.get_by_label("Extractive (no LLM)").check()
        page.fill("#f-from textarea", "last week")
        assert "not a date" in _error(page, 7)
        page.fill("#f-from textarea", "")
        assert ask(page, "How many megawatts does the Zorblax reactor produce?", 9) == "answered"
        assert "42 megawatts" in bot_messages(page)[-1]

        page.click("#new-chat")  # a fresh conversation offers the example questions again
        example = page.locator("#chat button").filter(has_text="?").first  # the library's own example questions
        asked = example.inner_text().strip()
        example.click()
        assert wait_answer(page, 1) in ("answered", "refusal") and user_messages(page) == [asked]
    finally:
        context.close()
