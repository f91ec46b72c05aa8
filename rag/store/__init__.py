"""Vector stores: one Protocol, one module per backend, chosen by settings."""

from rag.store.base import VectorStore, open_store

__all__ = ["VectorStore", "open_store"]
