"""Grounded Q&A over AI-industry sources. Public API: ``ingest``, ``Settings`` and the data types.

Heavy modules (torch, chromadb, llama.cpp) load on first use, so importing ``rag`` is instant.
"""

from __future__ import annotations

from typing import Any

from rag.config import Settings
from rag.errors import RagError
from rag.ingestion import ingest  # light: parsers and models load inside the call
from rag.types import Answer, Chunk, Citation, Hit, IngestReport, SourceDoc

__all__ = ["Answer", "Chunk", "Citation", "Hit", "IngestReport", "RagError", "Settings", "SourceDoc", "ask",
           "ask_stream", "ingest"]


def __getattr__(name: str) -> Any:
    # ask() pulls in retrieval and generation code; loaded on first use so `import rag` stays instant.
    if name in ("ask", "ask_stream"):
        from rag import answer

        return getattr(answer, name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
