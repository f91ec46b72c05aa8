"""The lexical index: bm25s over every chunk (with its title/section header), saved on disk.

The index folder also keeps the chunk records, so a query needs no round trip to Chroma
for lexical hits. It is rebuilt from the vector store (the source of truth) after every
ingest that changed something, and swapped in with a rename, so a reader never sees a
half-written index.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.types import Chunk

TOKEN_PATTERN = r"(?u)\b\w+(?:\.\d+)?\b"  # keeps "1.8" and "H800" whole


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")  # bm25s calls its stemWords on the vocabulary
    except ImportError:  # stemming is a quality nicety, not a requirement
        return None


def tokenize(texts: Sequence[str]):
    import bm25s

    return bm25s.tokenize(list(texts), token_pattern=TOKEN_PATTERN, stopwords="en", stemmer=_stemmer(),
                          show_progress=False)


def build(chunks: Sequence[Chunk], folder: Path) -> None:
    """Index ``chunks`` into ``folder`` atomically (build beside it, then rename)."""
    import bm25s

    tmp = folder.with_name(folder.name + ".tmp")
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if chunks:
        retriever = bm25s.BM25()
        retriever.index(tokenize([f"{c.header()}\n{c.text}" for c in chunks]), show_progress=False)
        retriever.save(str(tmp), show_progress=False)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps(_record(c), ensure_ascii=False) + "\n")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def _record(c: Chunk) -> dict:
    return {"id": c.id, "doc_id": c.doc_id, "text": c.text, "char_start": c.char_start, "char_end": c.char_end,
            "page": c.page, "section": c.section, "meta": c.meta}


class BM25Index:
    """A loaded lexical index; ``search`` returns (chunk, score) best first."""

    def __init__(self, folder: Path):
        import bm25s

        self.chunks = [Chunk(**{k: v for k, v in json.loads(line).items()})
                       for line in open(folder / "chunks.jsonl", encoding="utf-8")]
        self.retriever = bm25s.BM25.load(str(folder), show_progress=False) if self.chunks else None

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[Chunk, float]]:
        if not self.chunks or k <= 0:
            return []
        tokens = tokenize([query])
        if not tokens.vocab:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False,
                                               weight_mask=mask)
        return [(self.chunks[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
