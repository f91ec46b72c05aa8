"""What a person does on the page, as Playwright steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


ANSWER_TIMEOUT_MS = 240_000  # the first question loads the embedder and the GGUF model on a shared 2-core box

# Records every in-progress state of the newest answer (the streaming caret is in the text),
# so a test can tell a streamed answer from one that appeared all at once.
WATCH_STREAM = """() => {
  window.__streamed = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    if (last && last.innerText.includes('\u258d')) window.__streamed.push(last.innerText);
  // The body, not #chat: Gradio may mount the chat after the question box the fixture waits for.
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def ask(page: Page, question: str, turn: int) -> str:
    """Ask, wait for the finished answer of chat message ``turn``; return the panel's state.

    ``turn`` is the answer's index in the chat: 1 for the first question, 3 for the second...
    """
    send(page, question)
    return wait_answer(page, turn)


def send(page: Page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


def wait_answer(page: Page, turn: int) -> str:
    head = page.locator(f'#sources .panel-head[data-turn="{turn}"]:not([data-state="pending"])')
    head.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return head.get_attribute("data-state")


def user_messages(page: Page) -> list[str]:
    return [t.strip() for t in page.locator('#chat [data-testid="user"]').all_inner_texts()]


def bot_messages(page: Page) -> list[str]:
    return [t.strip() for t in page.locator('#chat [data-testid="bot"]').all_inner_texts()]


def cards(page: Page) -> Locator:
    return page.locator("#sources details.src")


def sign_in(page: Page, user: str, password: str) -> None:
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def upload(page: Page, *paths) -> Locator:
    """Upload files in the Corpus tab; return the report once ingest has finished."""
    page.get_by_role("tab", name="Corpus").click()
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    report = page.locator("#upload-status .upload-report")
    report.wait_for(timeout=ANSWER_TIMEOUT_MS)  # the first upload loads the embedder
    return report
