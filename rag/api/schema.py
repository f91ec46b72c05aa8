"""What the REST API reads and writes: request bodies (pydantic, for validation and the
OpenAPI page) and the pure functions that turn an ``Answer`` into OpenAI's shapes.

A chat completion's message carries our checked answer: ``content`` is ``Answer.text`` with its
``[n]`` markers, and three fields OpenAI does not have say what stands behind it: ``citations``
(title, page, quote, URL, supported…), ``refused`` with its ``reason``, and ``note``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from rag.errors import QuestionError
from rag.types import Answer, Citation, Hit


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's Chat Completions request; ``filters`` and ``k`` are ours (``extra_body`` in the
    ``openai`` client). Sampling fields (temperature, max_tokens…) are accepted and not used:
    the answer is the checked one, the same through every door."""

    model: str = Field("", description="A backend from GET /v1/models; empty: the server's default.")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    filters: dict[str, str] | None = Field(None, description="company, form, fiscal_year, doc_id, date_from…")
    k: int | None = Field(None, ge=1, le=20, description="Passages to answer from.")
    model_config = {"extra": "allow"}


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=50)
    filters: dict[str, str] | None = None


def text_of(content: str | list[dict[str, Any]] | None) -> str:
    """A message's text; content parts other than text are left out.

    >>> text_of([{"type": "text", "text": "Hello"}, {"type": "image_url"}, {"type": "text", "text": "there"}])
    'Hello\\nthere'
    """
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def split_messages(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message, which must be the user's) and the turns before it as
    history; system and tool messages are not part of the conversation the sources answer.

    >>> m = [Message(role="system", content="Be brief."), Message(role="user", content="Who?"),
    ...      Message(role="assistant", content="Ada."), Message(role="user", content="When?")]
    >>> split_messages(m)
    ('When?', [{'role': 'user', 'content': 'Who?'}, {'role': 'assistant', 'content': 'Ada.'}])
    """
    last = messages[-1]
    if last.role != "user" or not text_of(last.content).strip():
        raise QuestionError("The last message must be the user's question, with text: the answer is to it.")
    history = [{"role": m.role, "content": text_of(m.content)} for m in messages[:-1]
               if m.role in ("user", "assistant") and text_of(m.content).strip()]
    return text_of(last.content), history


def citation_json(c: Citation) -> dict[str, Any]:
    return {"marker": c.marker, "title": c.title, "page": c.page, "section": c.section, "quote": c.quote,
            "url": c.url, "publisher": c.publisher, "date": c.date, "doc_id": c.doc_id, "chunk_id": c.chunk_id,
            "supported": c.supported}


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The fields beyond OpenAI's that every answer carries."""
    return {"citations": [citation_json(c) for c in answer.citations], "refused": answer.refused,
            "reason": answer.reason, "note": answer.note}


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A ``chat.completion`` object for ``answer``."""
    message = {"role": "assistant", "content": answer.text, **answer_fields(answer)}
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk`` of a streamed answer."""
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def pieces(text: str, size: int = 80) -> list[str]:
    """``text`` cut at spaces into pieces of about ``size`` characters, for streaming; joined,
    they give ``text`` back exactly.

    >>> pieces("one two three four", size=8)
    ['one two ', 'three ', 'four']
    """
    out, start = [], 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else text.rfind(" ", start, start + size) + 1 or start + size
        out.append(text[start:end])
        start = end
    return out


# The document fields a passage is shown with, wherever it leaves us (API, MCP, llama-index nodes).
PASSAGE_META = ("title", "publisher", "date", "doc_type", "company", "form", "fiscal_year", "fiscal_quarter", "file",
                "url")


def hit_json(hit: Hit) -> dict[str, Any]:
    """A retrieved passage with its provenance and score."""
    c = hit.chunk
    meta = {k: v for k, v in c.meta.items() if k in PASSAGE_META}
    return {"chunk_id": c.id, "doc_id": c.doc_id, "page": c.page, "section": c.section, "char_start": c.char_start,
            "char_end": c.char_end, "text": c.text, "score": round(float(hit.score), 6), **meta}
