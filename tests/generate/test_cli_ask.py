"""`rag ask` end to end in a subprocess: the JSON contract, streaming, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from tests.crash import kill_when_busy

pytestmark = pytest.mark.slow


def cli_env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**env, "RAG_HOME": str(settings.home), "HF_HUB_OFFLINE": "1", **extra}


def rag_cli(settings, *args, **env: str):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=cli_env(settings, **env), capture_output=True,
                          text=True, timeout=600)


def test_ask_json_carries_the_whole_answer(facts_settings):
    out = rag_cli(facts_settings, "ask", "How many megawatts does the Zorblax reactor produce?", "--json",
                  "--backend", "extractive", "--k", "3")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["refused"] is False and "42" in answer["text"] and answer["backend"] == "extractive"
    assert len(answer["hits"]) <= 3 and answer["hits"][0]["chunk"]["file"] == "reactor.md"
    assert {"text", "page", "file", "title"} <= set(answer["hits"][0]["chunk"]) and "score" in answer["hits"][0]
    cited = answer["citations"][0]
    assert cited["marker"] == 1 and "42 megawatts" in cited["quote"] and cited["title"] == "Zorblax reactor"


def test_ask_prints_checked_answer_and_sources(facts_settings):
    out = rag_cli(facts_settings, "ask", "Who surveyed Lake Quenby?", "--backend", "extractive")
    assert out.returncode == 0, out.stderr
    assert "Ada Morrow" in out.stdout and "[1]" in out.stdout and "Quenby history" in out.stdout
    source = next(line for line in out.stdout.splitlines() if line.startswith("[1]"))
    assert "(, " not in source and "()" not in source, "a file with no publisher names none"


def test_ask_errors_are_messages_not_tracebacks(facts_settings, tmp_path):
    empty = rag_cli(facts_settings, "ask", "  ")
    assert empty.returncode == 1 and "error:" in empty.stderr and "Traceback" not in empty.stderr
    bad_filter = rag_cli(facts_settings, "ask", "Who surveyed it?", "--filter", "nonsense")
    assert bad_filter.returncode == 2 and "key=value" in bad_filter.stderr
    history = tmp_path / "h.json"
    history.write_text('{"not": "a list"}')
    bad_history = rag_cli(facts_settings, "ask", "Who?", "--history", str(history))
    assert bad_history.returncode == 2 and "role, content" in bad_history.stderr
    no_index = rag_cli(facts_settings.replace(home=tmp_path / "nothing"), "ask", "Who surveyed Lake Quenby?")
    assert no_index.returncode == 1 and "rag ingest" in no_index.stderr and "Traceback" not in no_index.stderr


def test_ask_follow_up_from_history_file(facts_settings, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "How many cargo drones does the Vantor fleet have?"},
                                   {"role": "assistant", "content": "17 cargo drones. [1]"}]))
    out = rag_cli(facts_settings, "ask", "And what does each of them carry?", "--json", "--backend", "extractive",
                  "--history", str(history))
    assert out.returncode == 0, out.stderr
    assert "300 kilograms" in json.loads(out.stdout)["text"]


@pytest.mark.parametrize("content, says", [(b"not weights at all", "not a GGUF model"),
                                           (None, "truncated or corrupt")])
def test_ask_with_a_bad_model_file_is_one_message(facts_settings, tmp_path, truncated_gguf, content, says):
    model = tmp_path / "model.gguf"
    model.write_bytes(content if content is not None else truncated_gguf.read_bytes())
    out = rag_cli(facts_settings, "ask", "Who surveyed Lake Quenby?", "--backend", "local", RAG_LLM_PATH=str(model))
    assert out.returncode == 1 and says in out.stderr and str(model) in out.stderr
    assert "RAG_LLM_PATH" in out.stderr and "Traceback" not in out.stderr


def test_chat_session_survives_a_model_crash(facts_settings):
    """`rag chat`: a SIGSEGV of the model worker mid-answer is one error line; the chat goes on."""
    chat = subprocess.Popen([sys.executable, "-m", "rag.cli", "chat", "--backend", "local"], env=cli_env(facts_settings),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=lambda s=s, a=a: a.extend(iter(lambda: s.read(1), "")), daemon=True)
               for s, a in ((chat.stdout, out), (chat.stderr, err))]
    for r in readers:
        r.start()

    def say(question: str, until, timeout: float = 600) -> None:
        chat.stdin.write(question + "\n")
        chat.stdin.flush()
        deadline = time.monotonic() + timeout
        while not until():
            assert chat.poll() is None, "the chat process died: " + "".join(err)[-2000:]
            assert time.monotonic() < deadline, "no answer: " + "".join(out)[-2000:] + "".join(err)[-2000:]
            time.sleep(0.05)

    try:
        say("How many megawatts does the Zorblax reactor produce?", lambda: "".join(out).count("[1]") >= 2)
        kill = kill_when_busy(chat.pid)
        say("Who surveyed Lake Quenby?", lambda: "signal 11, SIGSEGV" in "".join(err))
        assert kill.get("pid")
        say("How many cargo drones does the Vantor fleet have?", lambda: "17 cargo drones" in "".join(out))
        chat.stdin.close()
        assert chat.wait(timeout=60) == 0
    finally:
        if chat.poll() is None:
            chat.kill()
    assert "Traceback" not in "".join(err)
