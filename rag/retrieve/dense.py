"""Dense search over the vectors stored with the lexical index: exact cosine, numpy only.

Why not Chroma's query here: opening Chroma's embedded ``PersistentClient`` writes its
sqlite file (its checksum changes on open, before any query), so every question would
write to the index, and a read-only or shared index would be touched by its readers.
Ingest stores each chunk's unit vector beside the BM25 index (``bm25/vectors.npy``); a
query reads that file and never opens the store. Exact search is also cheap at this size:
25k chunks × 384 dimensions is one matrix-vector product (``evals/bench_query.py`` gives
the retrieval p50). A Chroma server (``RAG_CHROMA_URL``), or an index built before the
vectors were stored, is still searched through the store.
"""

from __future__ import annotations

import numpy as np

from rag.retrieve.bm25 import normalized


def nearest(vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` rows closest to ``query`` by cosine (rows are unit length), best first, as
    (row, score); rows where ``mask`` is 0 are left out.

    >>> rows = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    >>> [(i, round(s, 2)) for i, s in nearest(rows, np.array([0.0, 2.0]), 2)]
    [(1, 1.0), (2, 0.8)]
    >>> [i for i, _ in nearest(rows, np.array([0.0, 2.0]), 2, mask=np.array([1, 0, 1]))]
    [2, 0]
    """
    if k <= 0 or not len(vectors):
        return []
    scores = vectors @ normalized(np.asarray(query, dtype=np.float32)[None])[0]
    if mask is not None:
        scores = np.where(mask > 0, scores, -np.inf)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if np.isfinite(scores[i])]
