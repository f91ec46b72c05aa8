"""The vector-store contract and the factory that picks a backend from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rag.types import Chunk


class VectorStore(Protocol):
    """Chunks with their embeddings; the single source of truth for what is indexed."""

    location: str

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray, extra: dict[str, Any] | None = None) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def ids_for_doc(self, doc_id: str) -> list[str]: ...

    def count(self) -> int: ...

    def all_chunks(self) -> list[Chunk]: ...

    def all_vectors(self, ids: Sequence[str]) -> np.ndarray: ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def query(self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]: ...


def open_store(settings) -> VectorStore:
    """Chroma server when ``chroma_url`` is set, else embedded Chroma under the index folder."""
    from rag.store.chroma import ChromaStore

    return ChromaStore(settings)
