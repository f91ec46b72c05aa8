"""Answer generators: one Protocol, one module per backend, a registry in ``base``."""

from rag.generate.base import Generator, get_generator

__all__ = ["Generator", "get_generator"]
