"""`rag ask` end to end in a subprocess: the JSON contract, streaming, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def rag_cli(settings, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(settings.home), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=600)


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
