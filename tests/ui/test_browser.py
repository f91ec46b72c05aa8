"""The web page in a real browser over the real corpus index, local GGUF model and `rag serve`.

Chromium opens the page, asks, waits for the streamed answer, opens its sources, follows up,
gets a refusal, uploads a file and asks about it, and chats in two sessions at once.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rag.answer import ask as ask_api
from rag.config import Settings
from tests.ui.conftest import artifact
from tests.ui.pages import WATCH_STREAM, ask, bot_messages, cards, send, upload, user_messages, wait_answer

pytestmark = [pytest.mark.slow, pytest.mark.server]

H20 = "How big was the H20 charge in Q1 fiscal 2026?"
FACT = "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n\nIt is cooled by heavy water.\n"


def test_streamed_answer_with_checkable_sources_and_follow_up(page, ui_server):
    page.evaluate(WATCH_STREAM)
    assert ask(page, H20, turn=1) == "answered"
    assert len(set(page.evaluate("window.__streamed"))) >= 2, "the answer was not streamed"
    assert "▍" not in bot_messages(page)[0]

    cited = cards(page).filter(has=page.locator(".page"))
    assert cited.count() >= 1, page.inner_html("#sources")
    card = cited.first
    assert card.locator(".page").inner_text().startswith("p.")
    mark = card.locator(".passage mark")
    expect(mark).to_be_hidden()
    card.locator("summary").click()
    expect(mark).to_be_visible()
    quote = mark.inner_text()
    assert len(quote) > 20 and quote in card.locator(".passage").inner_text()

    # The [n] in the answer opens its card.
    marker = page.locator('#chat [data-testid="bot"] a[href^="#src-1-"]').first
    target = page.locator(marker.get_attribute("href"))
    page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = false)")
    marker.click()
    expect(target).to_have_js_property("open", True)
    expect(target.locator(".passage mark")).to_be_visible()
    shot = artifact("ui-answer.png")
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")

    state = ask(page, "And how much of it was for excess inventory?", turn=3)
    assert state in ("answered", "refusal")
    assert user_messages(page) == [H20, "And how much of it was for excess inventory?"]
    expect(page.locator("#sources .searched")).to_contain_text("H20 charge")  # the history was used

    page.locator('#chat button[aria-label="Like"]').first.click()
    expect(page.get_by_text("your rating was saved")).to_be_visible()
    [line] = [json.loads(x) for x in ui_server.feedback.read_text().splitlines() if H20 in x]
    assert line["rating"] == "up" and line["citations"] and line["citations"][0]["quote"]
    assert line["answer"] and line["backend"] == "extractive"  # the default
    same = ask_api(H20, settings=Settings(home=ui_server.home))  # one answer everywhere: the page's is ask()'s
    assert line["answer"] == same.text and [c["quote"] for c in line["citations"]] == [c.quote for c in same.citations]


def test_off_topic_question_is_refused_with_closest_passages(page):
    assert ask(page, "What is a good recipe for chocolate chip cookies?", turn=1) == "refusal"
    assert "can't find this in the sources" in bot_messages(page)[0]
    expect(page.locator("#sources .panel-head h3")).to_have_text("Not in the sources")
    assert page.locator("#sources details.src.near").count() >= 1
    page.screenshot(path=str(artifact("ui-refusal.png")))


def test_uploaded_file_is_searchable_right_after(page, ui_server, tmp_path):
    good = tmp_path / "zorblax report.md"
    good.write_text(FACT)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really a pdf")
    report = upload(page, good, broken)
    expect(report.locator("li.ok")).to_contain_text("zorblax report.md")
    expect(report.locator("li.failed")).to_contain_text("broken.pdf")
    expect(page.locator("#corpus-table")).to_contain_text("Zorblax reactor")
    expect(page.locator("#corpus-table")).not_to_contain_text("broken")
    stored = sorted(p.name for p in (ui_server.home / "index" / "uploads").iterdir())
    assert stored == ["zorblax-report.md"]
    copies = [p.name for p in ui_server.temporary_files() if p.suffix in (".md", ".pdf")]
    assert not copies, f"Gradio's copies of the uploads, the broken one too, outlive the upload: {copies}"

    page.get_by_role("tab", name="Ask").click()
    # Extractive: what is tested here is that retrieval finds the new file, not what a 135M model says about it.
    page.get_by_label("Extractive (no LLM)").check()
    assert ask(page, "How many megawatts does the Zorblax reactor produce?", turn=1) == "answered"
    expect(cards(page).first.locator(".title")).to_have_text("Zorblax reactor")
    assert "42 megawatts" in bot_messages(page)[0]


def test_two_sessions_at_once_keep_separate_histories(browser, ui_server):
    first, second = (browser.new_context(viewport={"width": 1280, "height": 860}) for _ in range(2))
    try:
        a, b = first.new_page(), second.new_page()
        for tab in (a, b):
            tab.goto(ui_server.url)
            tab.wait_for_selector("#question textarea")
        send(a, "How many parameters does DeepSeek-V3 have?")
        send(b, H20)  # while the first is still being answered
        assert wait_answer(a, 1) == "answered" and wait_answer(b, 1) == "answered"
        send(a, "And how many of them are activated for each token?")
        send(b, "And what was it for?")
        wait_answer(a, 3)
        wait_answer(b, 3)
        assert user_messages(a) == ["How many parameters does DeepSeek-V3 have?",
                                    "And how many of them are activated for each token?"]
        assert user_messages(b) == [H20, "And what was it for?"]
        expect(a.locator("#sources .searched")).to_contain_text("DeepSeek-V3")
        expect(b.locator("#sources .searched")).to_contain_text("H20")
    finally:
        first.close()
        second.close()
