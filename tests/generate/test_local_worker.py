"""The local model runs in a worker process: a real SIGSEGV mid-answer is an error for that one
question, the next is answered; bad GGUFs and a worker that cannot start are clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from rag.answer import ask, ask_stream
from rag.errors import BackendUnavailableError, ConfigError, ModelCrashError, ModelMissingError, RagError
from rag.generate import get_generator
from rag.generate.llama_cpp import default_gguf
from tests.crash import kill_when_busy, workers

pytestmark = pytest.mark.slow
QUESTION = "How many megawatts does the Zorblax reactor produce?"


@pytest.fixture
def local(facts_settings, tmp_path):
    # A settings object of its own: a generator (and worker) this test may crash.
    settings = facts_settings.replace(backend="local", llm_path=default_gguf(), feedback=tmp_path / "fb.jsonl")
    yield settings
    get_generator("local", settings).worker.stop()


def test_a_segfault_mid_answer_fails_that_question_and_the_next_is_answered(local):
    worker = get_generator("local", local).worker
    worker.ready()
    first_pid = worker.pid
    assert workers() and first_pid in [p.pid for p in workers()]  # the model is not in this process
    streamed = []
    with pytest.raises(ModelCrashError) as info:
        for event in ask_stream(QUESTION, settings=local):
            if isinstance(event, str):
                streamed.append(event)
                if len(streamed) == 1:
                    os.kill(first_pid, signal.SIGSEGV)
    assert streamed, "the answer was streaming when the worker died"
    message = str(info.value)
    assert "signal 11, SIGSEGV" in message and "restarted" in message and "ask again" in message
    answer = ask(QUESTION, settings=local)
    assert not answer.refused and "42" in answer.text and answer.citations
    assert worker.pid != first_pid


def test_a_worker_killed_between_questions_is_replaced_without_an_error(local):
    worker = get_generator("local", local).worker
    worker.ready()
    os.kill(worker.pid, signal.SIGKILL)
    time.sleep(0.2)
    answer = ask("Who surveyed Lake Quenby?", settings=local)
    assert not answer.refused and "Ada Morrow" in answer.text


def test_a_crash_while_busy_is_seen_by_the_cpu_watcher_too(local):
    """The helper the page and chat tests use: it kills a worker that is computing, not idle."""
    get_generator("local", local).worker.ready()
    kill = kill_when_busy()
    with pytest.raises(ModelCrashError):
        ask(QUESTION, settings=local)
    kill["thread"].join(5)
    assert kill.get("pid")


@pytest.mark.parametrize("case, error, says", [
    ("missing", ModelMissingError, "not found"),
    ("folder", ModelMissingError, "is a folder"),
    ("not-gguf", ModelMissingError, "not a GGUF model"),
    ("truncated", ModelMissingError, "truncated or corrupt"),
])
def test_bad_gguf_files_name_the_file_and_the_fix(facts_settings, tmp_path, truncated_gguf, case, error, says):
    path = {"missing": str(tmp_path / "nope.gguf"), "folder": str(tmp_path),
            "not-gguf": str(tmp_path / "model.gguf"), "truncated": str(truncated_gguf)}[case]
    (tmp_path / "model.gguf").write_text("this is a README, not weights\n")
    with pytest.raises(error) as info:
        ask(QUESTION, settings=facts_settings.replace(backend="local", llm_path=path))
    message = str(info.value)
    assert says in message and path in message and "RAG_LLM_PATH" in message


def test_a_gguf_without_a_chat_template_asks_for_a_chat_format(facts_settings, gemma_base):
    with pytest.raises(ConfigError) as info:
        ask(QUESTION, settings=facts_settings.replace(backend="local", llm_path=gemma_base))
    assert gemma_base in str(info.value) and "RAG_LLM_CHAT_FORMAT" in str(info.value)
    # Told how to prompt it, the same GGUF answers: any user GGUF works, not only the packaged one.
    answer = ask(QUESTION, settings=facts_settings.replace(backend="local", llm_path=gemma_base, llm_chat_format="gemma"))
    assert answer.model == os.path.basename(gemma_base) and not answer.refused and "42" in answer.text
    get_generator("local", facts_settings.replace(backend="local", llm_path=gemma_base, llm_chat_format="gemma")).worker.stop()


def test_a_worker_that_cannot_start_says_which_python_and_the_fix(facts_settings, tmp_path):
    with pytest.raises(BackendUnavailableError) as info:
        ask(QUESTION, settings=facts_settings.replace(backend="local", llm_python=str(tmp_path / "no-python")))
    assert "could not start" in str(info.value) and "RAG_LLM_PYTHON" in str(info.value)
    bare = tmp_path / "bare"  # a real Python with nothing installed: no llama_cpp
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    with pytest.raises(RagError) as info:
        ask(QUESTION, settings=facts_settings.replace(backend="local", llm_python=str(bare / "bin" / "python")))
    assert "cannot import llama_cpp" in str(info.value) and "RAG_LLM_PYTHON" in str(info.value)


def test_an_eval_run_survives_a_crash_and_records_it(local, tmp_path):
    from rag.quality import evaluate

    golden = tmp_path / "set.jsonl"
    golden.write_text(
        '{"id": "a", "kind": "factoid", "question": "How many megawatts does the Zorblax reactor produce?", '
        '"must_include": [["42"]]}\n'
        '{"id": "b", "kind": "factoid", "question": "Who surveyed Lake Quenby?", "must_include": [["Ada Morrow"]]}\n')
    get_generator("local", local).worker.ready()
    kill = kill_when_busy()  # the first item's answer
    result = evaluate([golden], settings=local)
    assert kill.get("pid")
    first, second = result.rows
    assert "SIGSEGV" in first["error"] and second["error"] is None and second["correct"]
