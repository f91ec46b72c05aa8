"""The local model's failures, seen in the page: each bad model file, a worker that cannot start
and a real SIGSEGV of the worker mid-answer is a readable message for that question; the page
stays up and the next question is answered.

One server; between questions the test changes what its RAG_LLM_PATH and RAG_LLM_PYTHON name.
"""

from __future__ import annotations

import sys

import pytest

from rag.generate.llama_cpp import default_gguf
from tests.crash import kill_when_busy
from tests.ui.conftest import artifact, serve
from tests.ui.pages import ask, bot_messages, upload

pytestmark = [pytest.mark.slow, pytest.mark.server]

FACT = "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n"
QUESTION = "How many megawatts does the Zorblax reactor produce?"


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("model-home")
    yield from serve(home, tmp_path_factory.mktemp("model-log"), RAG_LLM_PATH=str(home / "model.gguf"),
                     RAG_LLM_PYTHON=str(home / "python"), RAG_BACKEND="local")  # the page's backend: the model


def test_model_failures_are_messages_and_a_crash_costs_one_answer(browser, model_server, gemma_base, truncated_gguf,
                                                                  tmp_path):
    model, python = model_server.home / "model.gguf", model_server.home / "python"
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    turn = 1

    def answer(state: str) -> str:
        nonlocal turn
        assert ask(page, QUESTION, turn) == state
        turn += 2
        text = bot_messages(page)[-1]
        assert "Traceback" not in page.content()
        return text

    def replace(target=None, data: bytes | None = None) -> None:
        if model.is_symlink() or model.is_file():
            model.unlink()
        elif model.is_dir():
            model.rmdir()
        if target:
            model.symlink_to(target)
        elif data is not None:
            model.write_bytes(data)

    try:
        page = context.new_page()
        page.goto(model_server.url)
        page.wait_for_selector("#question textarea")
        fact = tmp_path / "reactor.md"
        fact.write_text(FACT)
        assert "reactor.md" in upload(page, fact).inner_text()
        page.get_by_role("tab", name="Ask").click()

        assert "GGUF model not found" in answer("error")
        model.mkdir()
        assert "is a folder" in answer("error")
        replace(data=b"a README, not weights\n")
        assert "not a GGUF model" in answer("error")
        replace(target=default_gguf())  # a real model, but RAG_LLM_PYTHON names nothing yet
        assert "could not start" in answer("error") and "RAG_LLM_PYTHON" in bot_messages(page)[-1]
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        replace(target=truncated_gguf)
        assert "truncated or corrupt" in answer("error")
        replace(target=gemma_base)
        assert "no chat template" in answer("error") and "RAG_LLM_CHAT_FORMAT" in bot_messages(page)[-1]

        replace(target=default_gguf())
        assert "42" in answer("answered")
        kill = kill_when_busy(model_server.pid)
        crashed = answer("error")
        assert kill.get("pid") and "signal 11, SIGSEGV" in crashed and "restarted" in crashed
        page.screenshot(path=str(artifact("ui-model-crash.png")))
        assert "42" in answer("answered")
    finally:
        context.close()
