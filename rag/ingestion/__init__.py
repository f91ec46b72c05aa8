"""Ingestion: load → chunk → embed → store, incrementally. ``rag.ingest`` is ``pipeline.ingest``."""

from rag.ingestion.pipeline import ingest

__all__ = ["ingest"]
