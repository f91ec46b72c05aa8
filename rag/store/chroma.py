"""Chroma, embedded (a folder on disk) or client/server (``chroma run``), behind VectorStore."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.errors import MissingExtraError, StoreUnavailableError
from rag.types import Chunk

# Provenance and manifest fields stored on every chunk; Chroma metadata cannot hold None.
_META_KEYS = ("title", "publisher", "doc_type", "date", "url", "file", "company", "registrant", "ticker", "form",
              "fiscal_year", "fiscal_quarter", "period_end", "authors")


def chunk_metadata(chunk: Chunk, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "page": chunk.page if chunk.page is not None else -1,
        "section": chunk.section,
    }
    meta.update({k: chunk.meta[k] for k in _META_KEYS if chunk.meta.get(k) not in (None, "")})
    meta.update({k: v for k, v in (extra or {}).items() if v is not None})
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = meta.get("page", -1)
    return Chunk(
        id=chunk_id,
        doc_id=meta["doc_id"],
        text=text,
        char_start=int(meta["char_start"]),
        char_end=int(meta["char_end"]),
        page=None if page in (-1, None) else int(page),
        section=meta.get("section", ""),
        meta={k: v for k, v in meta.items() if k not in ("doc_id", "char_start", "char_end", "page", "section")},
    )


class ChromaStore:
    def __init__(self, settings):
        try:
            import chromadb
        except ImportError:
            raise MissingExtraError("The Chroma vector store", "chromadb") from None
        chroma_settings = chromadb.Settings(anonymized_telemetry=False)
        if settings.chroma_url:
            url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
            self.location = settings.chroma_url
            try:
                self.client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                  ssl=url.scheme == "https", settings=chroma_settings)
                self.client.heartbeat()
            except Exception as exc:
                raise StoreUnavailableError(
                    f"Cannot reach the Chroma server at {settings.chroma_url} ({type(exc).__name__}: {exc}). "
                    "Start it (chroma run --path DIR --host 127.0.0.1 --port PORT) or unset RAG_CHROMA_URL "
                    "to use the embedded store.") from None
        else:
            path = settings.index_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self.location = str(path)
            self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        self._batch = max(1, min(self.client.get_max_batch_size(), 2000))

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray, extra: dict[str, Any] | None = None) -> None:
        for lo in range(0, len(chunks), self._batch):
            part = chunks[lo:lo + self._batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=embeddings[lo:lo + self._batch],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, extra) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for lo in range(0, len(ids), self._batch):
            self.collection.delete(ids=ids[lo:lo + self._batch])

    def ids_for_doc(self, doc_id: str) -> list[str]:
        return list(self.collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def count(self) -> int:
        return int(self.collection.count())

    def all_chunks(self) -> list[Chunk]:
        out: list[Chunk] = []
        total = self.count()
        for offset in range(0, total, self._batch):
            got = self.collection.get(include=["documents", "metadatas"], limit=self._batch, offset=offset)
            out.extend(chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]))
        return out

    def all_vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored embeddings of ``ids``, in that order (one row per id)."""
        ids = list(ids)
        rows: dict[str, np.ndarray] = {}
        for lo in range(0, len(ids), self._batch):
            got = self.collection.get(ids=ids[lo:lo + self._batch], include=["embeddings"])
            rows.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        return np.stack([rows[i] for i in ids]) if ids else np.zeros((0, 0), dtype=np.float32)

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def query(self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        if k <= 0 or not self.count():
            return []
        res = self.collection.query(query_embeddings=[embedding], n_results=k, where=where or None,
                                    include=["documents", "metadatas", "distances"])
        return [(chunk_from_record(i, d, m), 1.0 - float(dist))
                for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]
