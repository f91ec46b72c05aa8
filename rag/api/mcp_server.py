"""`rag mcp`: the sources as a Model Context Protocol server (the official ``mcp`` SDK, 2.x).

Tools: ``search_sources`` (retrieval only) and ``ask`` (the checked answer, or a refusal with
its reason). Resources: ``rag://documents`` lists the index; ``rag://documents/{doc_id}`` is a
document's indexed text, with its title and provenance. Stdio by default (the client starts
this process); ``--http`` serves streamable HTTP on loopback.

Over stdio, stdout is the protocol: nothing else may print there (progress and logs go to stderr).
"""

from __future__ import annotations

from typing import Any

from rag.config import Settings

INSTRUCTIONS = ("Answers questions from an indexed set of documents, with checked citations. Use search_sources "
                "to find passages; use ask for an answer whose every sentence is backed by a quoted passage, or a "
                "refusal with its reason when the documents do not say.")


def build_server(settings: Settings):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.resources import FunctionResource

    from rag.answer import ask as answer, assistant
    from rag.api.schema import answer_fields, hit_json
    from rag.ui import library

    server = MCPServer(name="rag", title="Sources Q&A", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(description="Search the indexed documents: passages with title, page, section, character offsets, "
                             "URL and score. filters: company, form, fiscal_year, fiscal_quarter, doc_id, file, "
                             "date_from, date_to (YYYY-MM-DD).")
    def search_sources(query: str, k: int = 5, filters: dict[str, str] | None = None) -> dict[str, Any]:
        hits = assistant(settings).retriever.retrieve(query, max(1, min(int(k), 50)), filters)
        return {"passages": [hit_json(h) for h in hits]}

    @server.tool(description="Answer a question from the documents. Returns the answer text with [n] markers and "
                             "its citations (title, page, quote, URL), or refused=true with the reason. history: "
                             "earlier turns as {role, content}, for follow-ups.")
    def ask(question: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        turns = [{"role": t.get("role", ""), "content": t.get("content", "")} for t in history or []]
        result = answer(question, history=turns, settings=settings)
        return {"text": result.text, **answer_fields(result), "backend": result.backend}

    def listing() -> list[dict[str, Any]]:
        return [library.document_json(d) for d in library.documents(settings)]

    server.add_resource(FunctionResource(uri="rag://documents", name="documents", mime_type="application/json",
                                         description="Every indexed document: id, title, type, publisher, date, "
                                                     "pages, passages, file.", fn=listing))

    @server.resource("rag://documents/{doc_id}", name="document", mime_type="text/plain",
                     description="A document's indexed text, passage by passage, with page and section.")
    def document(doc_id: str) -> str:
        return document_text(settings, doc_id)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_request):  # with --http: up (a client or a supervisor can wait for it)
        from starlette.responses import JSONResponse

        return JSONResponse({"ok": True})

    for doc in library.documents(settings):  # listed one by one too, so a client can browse them
        server.add_resource(FunctionResource(uri=f"rag://documents/{doc.doc_id}", name=doc.doc_id, title=doc.title,
                                             mime_type="text/plain", description=f"{doc.doc_type} {doc.date}".strip(),
                                             fn=lambda d=doc.doc_id: document_text(settings, d)))
    return server


def document_text(settings: Settings, doc_id: str) -> str:
    """The document's passages in reading order, each under its page and section."""
    from rag.answer import assistant
    from rag.errors import ConfigError

    chunks = sorted((c for c in assistant(settings).retriever.bm25.chunks if c.doc_id == doc_id),
                    key=lambda c: c.char_start)
    if not chunks:
        raise ConfigError(f"No document {doc_id!r} in the index: read rag://documents for the list.")
    head = chunks[0].meta
    lines = [f"# {head.get('title') or doc_id}", f"file: {head.get('file', '')}; url: {head.get('url') or '-'}", ""]
    for c in chunks:
        where = ", ".join(p for p in (f"p. {c.page}" if c.page else "", c.section) if p)
        lines += [f"[{where or 'passage'}; chars {c.char_start}-{c.char_end}]", c.text, ""]
    return "\n".join(lines)


def run(settings: Settings, http: bool = False, host: str = "127.0.0.1", port: int = 8765) -> None:
    server = build_server(settings)
    if http:
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
