"""The REST API against a real `rag serve` on a free loopback port: the official `openai` client
for chat (with and without streaming), httpx for retrieval, documents, keys and errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import httpx
import openai
import pytest

import rag
from rag.config import Settings
from tests.conftest import FACTS
from tests.servers import free_port, running_server

pytestmark = pytest.mark.server
KEY = "test-key-1"
QUESTION = "How many megawatts does the Zorblax reactor produce?"


@pytest.fixture(scope="module")
def home(facts_settings, tmp_path_factory):
    """A copy of the facts index: this module uploads and deletes documents."""
    home = tmp_path_factory.mktemp("api-home")
    shutil.copytree(facts_settings.index_dir, home / "index", ignore=shutil.ignore_patterns(".lock"))
    return home


def _env(home, **extra) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**clean, "RAG_HOME": str(home), "HF_HUB_OFFLINE": "1", "RAG_BACKEND": "extractive", **extra}


@pytest.fixture(scope="module")
def server(home, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("api-log") / "serve.log"
    with running_server([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], f"{url}/healthz", log,
                        env=_env(home, RAG_API_KEYS=f"other-key,{KEY}")):
        yield url


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0)


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def test_chat_completion_carries_the_checked_answer_and_its_citations(client, home):
    reply = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": QUESTION}])
    message = reply.choices[0].message
    extra = message.model_extra
    assert "42 megawatts" in message.content and "[1]" in message.content and extra["refused"] is False
    cited = extra["citations"][0]
    assert cited["title"] == "Zorblax reactor" and "42 megawatts" in cited["quote"] and cited["supported"] is True
    assert {"page", "url", "marker"} <= set(cited)
    same = rag.ask(QUESTION, settings=Settings(home=home), backend="extractive")  # one answer everywhere
    assert message.content == same.text and [c["quote"] for c in extra["citations"]] == [c.quote for c in same.citations]


def test_streamed_answer_is_the_same_answer(client):
    whole = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": QUESTION}])
    stream = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": QUESTION}],
                                            stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop" and last.delta.model_extra["citations"][0]["title"] == "Zorblax reactor"


CONVERSATIONS = [  # (earlier question, follow-up that leans on it, what only its own subject answers)
    ("How many megawatts does the Zorblax reactor produce?", "How is it cooled?", "heavy water"),
    ("How many cargo drones does the Vantor fleet have?", "How much does each one carry?", "300 kilograms"),
    ("Who surveyed Lake Quenby?", "How many islands did the survey map?", "12 islands"),
]


def test_eight_streaming_clients_keep_their_own_histories(server):
    """Eight clients stream follow-ups at once, each leaning on its own earlier turn: each
    answer leads with its own conversation's subject, not a neighbour's."""
    from concurrent.futures import ThreadPoolExecutor

    def converse(i: int) -> tuple[str, str]:
        first, follow_up, expected = CONVERSATIONS[i % len(CONVERSATIONS)]
        client = openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0)
        stream = client.chat.completions.create(model="extractive", stream=True, messages=[
            {"role": "user", "content": first}, {"role": "assistant", "content": "(an earlier answer)"},
            {"role": "user", "content": follow_up}])
        return expected, "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(converse, range(8)))
    for expected, text in answers:  # the leading sentence answers this conversation's follow-up
        assert expected in text.split("[1]")[0], (expected, text)


def test_history_makes_a_follow_up_and_a_refusal_is_a_message(client):
    reply = client.chat.completions.create(model="extractive", messages=[
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Who surveyed Lake Quenby?"},
        {"role": "assistant", "content": "Lake Quenby was surveyed in 1874 by Ada Morrow. [1]"},
        {"role": "user", "content": "How many islands did the survey map?"}])
    assert "12 islands" in reply.choices[0].message.content
    refused = client.chat.completions.create(model="extractive", messages=[
        {"role": "user", "content": "Who won the 2018 football World Cup?"}])
    message = refused.choices[0].message
    assert message.model_extra["refused"] is True and message.model_extra["reason"]
    assert message.model_extra["citations"] == []


def test_models_errors_and_keys(client, server):
    assert {m.id for m in client.models.list()} == {"local", "openai", "extractive"}
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": QUESTION}])
    assert "GET /v1/models" in str(missing.value)
    with pytest.raises(openai.BadRequestError) as last:
        client.chat.completions.create(model="", messages=[{"role": "assistant", "content": "Hi."}])
    assert "last message must be the user's" in str(last.value)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0).models.list()
    assert httpx.get(f"{server}/v1/models").status_code == 401
    assert httpx.get(f"{server}/healthz").json() == {"ok": True, "documents": 3}
    assert "/v1/chat/completions" in httpx.get(f"{server}/openapi.json").json()["paths"]
    assert httpx.get(f"{server}/docs").status_code == 200


def test_search_returns_passages_with_provenance_and_filters(server):
    found = httpx.post(f"{server}/v1/search", json={"query": "cargo drones", "k": 2}, headers=_auth()).json()
    top = found["data"][0]
    assert "17 cargo drones" in top["text"] and top["file"] == "fleet.txt" and top["score"] > 0
    assert {"doc_id", "page", "char_start", "char_end", "title", "chunk_id"} <= set(top)
    only = httpx.post(f"{server}/v1/search", json={"query": "cargo drones", "filters": {"file": "history.md"}},
                      headers=_auth()).json()
    assert only["data"] and {d["file"] for d in only["data"]} == {"history.md"}
    bad = httpx.post(f"{server}/v1/search", json={"query": "x", "filters": {"colour": "red"}}, headers=_auth())
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["message"]


def test_documents_list_upload_and_delete(server, tmp_path):
    listed = httpx.get(f"{server}/v1/documents", headers=_auth()).json()["data"]
    assert {d["file"] for d in listed} == set(FACTS)
    note = tmp_path / "orchard.md"
    note.write_text("# Orchard\n\nThe Pellow orchard grows 640 pear trees.\n", encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    with note.open("rb") as a, broken.open("rb") as b:
        up = httpx.post(f"{server}/v1/documents", headers=_auth(), timeout=300,
                        files=[("files", ("orchard.md", a, "text/markdown")), ("files", ("broken.pdf", b, "application/pdf"))])
    assert up.status_code == 207, up.text
    results = {r["name"]: r for r in up.json()["results"]}
    assert results["orchard.md"]["ok"] and not results["broken.pdf"]["ok"]
    found = httpx.post(f"{server}/v1/search", json={"query": "pear trees"}, headers=_auth()).json()["data"]
    doc_id = found[0]["doc_id"]
    assert "640 pear trees" in found[0]["text"]
    assert httpx.get(f"{server}/v1/documents/{doc_id}", headers=_auth()).json()["file"] == "orchard.md"
    gone = httpx.delete(f"{server}/v1/documents/{doc_id}", headers=_auth(), timeout=300).json()
    assert gone["deleted"] and "upload folder" in gone["message"]
    after = httpx.post(f"{server}/v1/search", json={"query": "pear trees"}, headers=_auth()).json()["data"]
    assert all(d["doc_id"] != doc_id for d in after)
    assert httpx.delete(f"{server}/v1/documents/{doc_id}", headers=_auth()).status_code == 404


def test_cli_json_gives_the_same_answer(server, home):
    api = httpx.post(f"{server}/v1/chat/completions", headers=_auth(), timeout=120,
                     json={"model": "extractive", "messages": [{"role": "user", "content": QUESTION}]}).json()
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", QUESTION, "--json", "--backend", "extractive"],
                         env=_env(home), capture_output=True, text=True, timeout=300)
    cli = json.loads(out.stdout)
    message = api["choices"][0]["message"]
    assert message["content"] == cli["text"] and [c["quote"] for c in message["citations"]] == [
        c["quote"] for c in cli["citations"]]


def test_without_keys_the_api_answers_this_machine_only(home, tmp_path):
    port = free_port()
    with running_server([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
                        f"http://127.0.0.1:{port}/healthz", tmp_path / "serve.log", env=_env(home)):
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200  # loopback: no key needed
