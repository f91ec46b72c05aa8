"""`rag mcp` over stdio, driven by the official SDK's own client session, against an index of
the real corpus: tools, their citations, refusals, and the documents as resources."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest

from rag.answer import ask

pytestmark = [pytest.mark.slow, pytest.mark.server]


def _params(settings):
    from mcp.client.stdio import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(settings.home), HF_HUB_OFFLINE="1", RAG_BACKEND="extractive")
    return StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "mcp"], env=env)


def _session(settings, script):
    """Run ``script(session)`` in a fresh stdio session with `rag mcp`; returns what it returns."""
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    async def main():
        async with stdio_client(_params(settings)) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await script(session)

    return anyio.run(main)


def _json(result) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


def test_tools_answer_with_citations_and_refuse_with_a_reason(corpus_index):
    settings, _ = corpus_index
    question = "How many GPU hours did the full training of DeepSeek-V3 take?"

    async def script(session):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        found = _json(await session.call_tool("search_sources", {"query": "H800 GPU hours training", "k": 3}))
        answered = _json(await session.call_tool("ask", {"question": question}))
        refused = _json(await session.call_tool("ask", {"question": "What is the capital of Australia?"}))
        follow = _json(await session.call_tool("ask", {"question": "And how much did that cost?", "history": [
            {"role": "user", "content": question}, {"role": "assistant", "content": answered["text"]}]}))
        return tools, found, answered, refused, follow

    tools, found, answered, refused, follow = _session(settings, script)
    assert {"search_sources", "ask"} <= set(tools) and "question" in tools["ask"].input_schema["properties"]
    assert len(found["passages"]) == 3
    top = found["passages"][0]
    assert {"title", "page", "text", "score", "doc_id", "char_start", "url"} <= set(top)
    assert not answered["refused"] and answered["citations"]
    cited = answered["citations"][0]
    assert cited["title"] and cited["quote"] and {"page", "url", "supported"} <= set(cited)
    same = ask(question, settings=settings, backend="extractive")  # one answer everywhere
    assert answered["text"] == same.text and [c["quote"] for c in answered["citations"]] == [c.quote for c in same.citations]
    assert refused["refused"] and refused["reason"] and not refused["citations"]
    assert not follow["refused"] and follow["citations"]


def test_documents_are_resources(corpus_index):
    settings, report = corpus_index

    async def script(session):
        listed = (await session.list_resources()).resources
        catalogue = json.loads((await session.read_resource("rag://documents")).contents[0].text)
        first = catalogue[0]
        text = (await session.read_resource(f"rag://documents/{first['id']}")).contents[0].text
        return listed, catalogue, first, text

    listed, catalogue, first, text = _session(settings, script)
    assert len(catalogue) == report.documents and {"id", "title", "pages", "file"} <= set(first)
    uris = {str(r.uri) for r in listed}
    assert "rag://documents" in uris and f"rag://documents/{first['id']}" in uris
    assert text.startswith(f"# {first['title']}") and "chars " in text and len(text) > 1000


def test_streamable_http_serves_the_same_tools(facts_settings, tmp_path):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from tests.servers import free_port, running_server

    port = free_port()
    params = _params(facts_settings)
    args = [sys.executable, "-m", "rag.cli", "mcp", "--http", "--port", str(port)]
    with running_server(args, f"http://127.0.0.1:{port}/healthz", tmp_path / "mcp.log", env=params.env):
        async def main():
            async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return _json(await session.call_tool("ask", {"question": "Who surveyed Lake Quenby?"}))

        answered = anyio.run(main)
    assert "Ada Morrow" in answered["text"] and answered["citations"][0]["title"] == "Quenby history"
