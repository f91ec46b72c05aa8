"""What every embedding engine shares: the ``Embedder`` protocol and length-ordered batching.

Its own module so the two engines (``rag.embed``: torch, ``rag.embed_onnx``: onnxruntime)
both import it and not each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

MAX_WORD_PIECES = 256  # all-MiniLM-L6-v2 reads at most this many word pieces per text


class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def token_spans(self, text: str) -> list[tuple[int, int]]: ...

    @property
    def dimension(self) -> int: ...


def in_length_order(texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], dimension: int, step: int,
                    on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """``encode`` over ``texts`` in batches of similar length (less padding per batch), the
    rows put back in the input order; ``on_batch(n)`` after each batch.

    >>> in_length_order(["ccc", "a", "bb"], lambda b: np.array([[len(t)] for t in b], dtype=np.float32), 1, 2).ravel()
    array([3., 1., 2.], dtype=float32)
    """
    out = np.empty((len(texts), dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for lo in range(0, len(order), step):
        idx = order[lo:lo + step]
        out[idx] = encode([texts[i] for i in idx])
        if on_batch:
            on_batch(len(idx))
    return out
