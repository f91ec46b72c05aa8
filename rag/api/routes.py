"""The REST API that `rag serve` mounts beside the page: OpenAI-compatible chat, retrieval,
documents. Every route answers through ``ask()`` and the page's library code, so an answer,
its citations and a refusal are the same here as in Python, the CLI and the page.

Keys: ``RAG_API_KEYS=key1,key2`` are sent as ``Authorization: Bearer``. With none set, the API
answers this machine only (loopback clients), and the server says so when it starts. Wrong
keys are throttled per client like wrong passwords (``rag.ui.guard.LoginThrottle``).
"""

from __future__ import annotations

import itertools
import json
import math
import secrets
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from rag.api.schema import (ChatRequest, SearchRequest, answer_fields, chunk, completion, hit_json, pieces,
                            split_messages)
from rag.config import Settings
from rag.errors import (BackendUnavailableError, ConfigError, DocumentNotFoundError, EmptyIndexError, MissingExtraError,
                        ModelMissingError, QuestionError, RagError, StoreUnavailableError)
from rag.ui.guard import LOOPBACK, LoginThrottle



class ApiError(Exception):
    """An OpenAI-style error reply: ``{"error": {"message", "type", "code"}}`` with ``status``."""

    def __init__(self, status: int, message: str, code: str = "", kind: str = "invalid_request_error",
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.kind, self.headers = status, message, code, kind, headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "code": self.code or None}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def status_of(exc: RagError) -> int:
    """The HTTP status a ``RagError`` is: the caller's mistake (400), the server's state (503)."""
    if isinstance(exc, DocumentNotFoundError):
        return 404
    if isinstance(exc, (QuestionError, ConfigError)):
        return 400
    if isinstance(exc, (EmptyIndexError, StoreUnavailableError, BackendUnavailableError, ModelMissingError,
                        MissingExtraError)):
        return 503
    return 500


def api_keys(value: str | None) -> tuple[str, ...]:
    """``RAG_API_KEYS`` as keys: comma-separated, blanks dropped.

    >>> api_keys(" k1, ,k2 "), api_keys(None)
    (('k1', 'k2'), ())
    """
    return tuple(k.strip() for k in (value or "").split(",") if k.strip())


def build_router(settings: Settings, keys: tuple[str, ...], throttle: LoginThrottle | None = None) -> APIRouter:
    from rag.generate.base import backends

    throttle = throttle or LoginThrottle()

    def authorize(request: Request) -> None:
        client = request.client.host if request.client else "?"
        if not keys:
            if client not in LOOPBACK:
                raise ApiError(403, "The API answers this machine only: set RAG_API_KEYS=key1,key2 on the server "
                                    "to open it to the network, and send Authorization: Bearer <key>.", "loopback_only")
            return
        wait = throttle.wait(client)
        if wait > 0:
            raise ApiError(429, f"Too many wrong API keys from this address: try again in {math.ceil(wait)} s.",
                           "rate_limited", headers={"Retry-After": str(math.ceil(wait))})
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not any(secrets.compare_digest(given.strip(), k) for k in keys):
            throttle.fail(client)
            raise ApiError(401, "Missing or wrong API key: send Authorization: Bearer <one of RAG_API_KEYS>.",
                           "invalid_api_key")
        throttle.succeed(client)

    router = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])

    def backend_for(model: str) -> str:
        name = model.strip() or settings.backend
        if name not in backends():
            raise ApiError(404, f"No model {model!r}: choose one of {', '.join(backends())} (GET /v1/models).",
                           "model_not_found")
        return name

    @router.get("/models", summary="One model per answer backend")
    def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "rag"}
                                           for name in backends()]}

    @router.post("/chat/completions", summary="OpenAI Chat Completions: the checked answer to the last user message")
    def chat(req: ChatRequest):
        from rag.answer import ask, ask_stream

        backend = backend_for(req.model)
        question, history = _call(split_messages, req.messages)
        if not req.stream:
            answer = _call(ask, question, history=history, filters=req.filters, settings=settings, backend=backend,
                           k=req.k)
            return completion(answer, backend)
        events = ask_stream(question, history=history, filters=req.filters, settings=settings, backend=backend, k=req.k)
        first = _call(next, events)  # the question checked and retrieved: a bad one is a 4xx, not a broken stream
        return StreamingResponse(_sse(itertools.chain([first], events), backend), media_type="text/event-stream")

    @router.post("/search", summary="Retrieval only: passages with provenance and scores")
    def search(req: SearchRequest) -> dict:
        from rag.answer import assistant

        hits = _call(lambda: assistant(settings).retriever.retrieve(req.query, req.k, req.filters))
        return {"object": "list", "query": req.query, "data": [hit_json(h) for h in hits]}

    @router.get("/documents", summary="Every ingested document")
    def documents() -> dict:
        from rag.ui import library

        return {"object": "list", "data": [library.document_json(d) for d in _call(library.documents, settings)]}

    @router.get("/documents/{doc_id}", summary="One document")
    def document(doc_id: str) -> dict:
        from rag.ui import library

        return library.document_json(_find(doc_id))

    @router.post("/documents", summary="Upload and ingest files (the page's checks: type, size, names)")
    def upload(files: list[UploadFile] = File(...)) -> dict:
        from rag.ui import library

        scratch = Path(tempfile.mkdtemp(prefix="rag-api-upload-"))
        try:
            paths = []
            for i, f in enumerate(files):
                folder = scratch / str(i)  # its own folder: two files of one name both arrive
                folder.mkdir()
                path = folder / Path(f.filename or "upload").name
                with path.open("wb") as out:
                    shutil.copyfileobj(f.file, out)
                paths.append(path)
            results = _call(library.add_uploads, paths, settings)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        body = {"results": [{"name": r.name, "ok": r.ok, "message": r.message} for r in results]}
        return JSONResponse(body, status_code=200 if all(r.ok for r in results) else 207 if any(r.ok for r in results)
                            else 422)

    @router.delete("/documents/{doc_id}", summary="Remove a document from the index")
    def delete(doc_id: str) -> dict:
        from rag.ui import library

        return {"id": doc_id, "deleted": True, "message": _call(library.remove_document, doc_id, settings)}

    def _find(doc_id: str):
        from rag.ui import library

        found = [d for d in _call(library.documents, settings) if d.doc_id == doc_id]
        if not found:
            raise ApiError(404, f"No document {doc_id!r} in the index (GET /v1/documents lists them).",
                           DocumentNotFoundError.__name__)
        return found[0]

    return router


def _call(fn, *args, **kwargs):
    """Run ``fn``; a ``RagError`` becomes an ``ApiError`` with its message (which says what to do)."""
    try:
        return fn(*args, **kwargs)
    except RagError as exc:
        raise ApiError(status_of(exc), str(exc), type(exc).__name__) from None


def _sse(events, model: str):
    """Server-sent events of one answer. The text sent is the checked answer (what ``ask()``
    returns), in pieces, after the checker has read it; while the model is queued or writing,
    SSE comments keep the connection open and say why it waits."""
    from rag.types import Answer, Waiting

    cid, said = f"chatcmpl-{uuid.uuid4().hex[:24]}", 0.0
    yield _data(chunk(cid, model, {"role": "assistant", "content": ""}))
    try:
        for event in events:
            if isinstance(event, Waiting):
                yield f": {event.message()}\n\n"
            elif isinstance(event, Answer):
                for piece in pieces(event.text):
                    yield _data(chunk(cid, model, {"content": piece}))
                yield _data(chunk(cid, model, answer_fields(event), "stop"))
            elif time.monotonic() - said > 1.0:  # raw model text: not sent (the checker has not read it yet)
                said = time.monotonic()
                yield ": writing the answer\n\n"
    except RagError as exc:
        yield _data({"error": {"message": str(exc), "type": "server_error", "code": type(exc).__name__}})
    yield "data: [DONE]\n\n"


def _data(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
