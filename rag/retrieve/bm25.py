"""The lexical index: bm25s over every chunk (with its title/section header), saved on disk.

The index folder also keeps the chunk records, so a query needs no round trip to Chroma
for lexical hits, and each chunk's ``rag.cite.tokens`` set with their idf table
(``tokens.json``), which the retriever's coverage rerank reads: computing those at every
process start cost 0.95 s for 4,527 chunks, loading them costs ~10 ms. It is rebuilt from the
vector store (the source of truth) after every ingest that changed something, and swapped in
with a rename, so a reader never sees a half-written index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.text import STOPWORDS, tokens
from rag.retrieve.fusion import idf_table
from rag.types import Chunk

try:  # a chromadb dependency; parses the chunk records ~2x faster than json
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    _loads = json.loads

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


def build(chunks: Sequence[Chunk], folder: Path, vectors: np.ndarray | None = None) -> None:
    """Index ``chunks`` into ``folder`` atomically (build beside it, then rename), with their
    embeddings (``vectors.npy``, one row per chunk in chunks.jsonl order) when given."""
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
    write_token_sets(chunks, tmp)
    if vectors is not None and len(chunks):
        np.save(tmp / "vectors.npy", normalized(vectors).astype(np.float16))  # half the size; cosine to ~1e-3
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero): their dot product is the cosine.

    >>> [[round(float(x), 3) for x in row] for row in normalized(np.array([[3.0, 4.0], [0.0, 0.0]]))]
    [[0.6, 0.8], [0.0, 0.0]]
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _record(c: Chunk) -> dict:
    return {"id": c.id, "doc_id": c.doc_id, "text": c.text, "char_start": c.char_start, "char_end": c.char_end,
            "page": c.page, "section": c.section, "meta": c.meta}


def token_set(chunk: Chunk) -> frozenset[str]:
    """The chunk's content tokens, header included (what the coverage rerank matches).

    >>> sorted(token_set(Chunk("i", "d", "Revenue rose 12%", 0, 16, section="Results")))
    ['12', 'result', 'revenu', 'rose']
    """
    return frozenset(tokens(f"{chunk.header()} {chunk.text}"))


_PROBE = "The $80 billion, 4,635 chunks and 1.8x of NVIDIA’s H800 GPUs; produces running Café 中文 don't"


def tokens_signature() -> str:
    """Changes whenever ``rag.cite.tokens`` or ``idf_table`` would give other results on
    the probe, or the stop words change: a stored ``tokens.json`` with another signature is
    stale (recomputed at load, rewritten by the next ``rag ingest``)."""
    probe = tokens(_PROBE)
    idf = idf_table([frozenset(probe), frozenset(probe[:3])])
    header = Chunk("p", "d", "text", 0, 4, page=1, section="S", meta={"title": "T"}).header()  # the sets hold it
    blob = json.dumps([sorted(STOPWORDS), probe, sorted(idf.items()), header], ensure_ascii=False)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def write_token_sets(chunks: Sequence[Chunk], folder: Path) -> None:
    """``tokens.json``: one space-joined token set per chunk, in chunks.jsonl order, and the
    idf table. Space-joined strings parse ~8x faster than lists (tokens never hold spaces)."""
    sets = [token_set(c) for c in chunks]
    data = {"signature": tokens_signature(), "ids": _ids_digest([c.id for c in chunks]),
            "sets": [" ".join(sorted(t)) for t in sets], "idf": idf_table(sets)}
    with open(folder / "tokens.json", "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))


class TokenSets(Mapping):
    """chunk id → token set, each built from its stored string on first use: a query
    reads ~80 of the thousands (thread-safe: a race only builds one set twice).

    >>> sets = TokenSets(["a", "b"], ["alpha beta", ""])
    >>> sorted(sets["a"]), sets.get("b"), sets.get("zz"), len(sets)
    (['alpha', 'beta'], frozenset(), None, 2)
    """

    def __init__(self, ids: Sequence[str], joined: Sequence[str]):
        self._raw = dict(zip(ids, joined))
        self._built: dict[str, frozenset[str]] = {}

    def __getitem__(self, key: str) -> frozenset[str]:
        got = self._built.get(key)
        if got is None:
            got = self._built[key] = frozenset(self._raw[key].split())
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _ids_digest(ids: Sequence[str]) -> str:
    return hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]


def _read_stored(folder: Path, ids: Sequence[str]) -> dict | None:
    try:
        with open(folder / "tokens.json", "rb") as fh:
            data = _loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("signature") != tokens_signature():
        return None
    # The same chunks in the same order: a reader racing an index swap could otherwise
    # pair one index's chunks with the other's token sets.
    return data if data.get("ids") == _ids_digest(ids) and len(data.get("sets", ())) == len(ids) else None


def read_token_sets(folder: Path, chunks: Sequence[Chunk]) -> tuple[TokenSets, dict[str, float]] | None:
    """The stored token sets and idf table, or None when missing, stale or not aligned."""
    ids = [c.id for c in chunks]
    data = _read_stored(folder, ids)
    return None if data is None else (TokenSets(ids, data["sets"]), data["idf"])


def is_current(folder: Path) -> bool:
    """Whether ``folder`` holds an index whose stored token sets are usable (else ingest rebuilds it)."""
    try:
        with open(folder / "chunks.jsonl", "rb") as fh:
            ids = [_loads(line)["id"] for line in fh if line.strip()]
    except (OSError, ValueError, KeyError):
        return False
    return _read_stored(folder, ids) is not None and (not ids or _vectors(folder, len(ids)) is not None)


def _vectors(folder: Path, n: int) -> np.ndarray | None:
    """The stored embeddings, as float32, when there is one row per chunk (else None)."""
    try:
        vectors = np.load(folder / "vectors.npy")
    except (OSError, ValueError):
        return None
    return vectors.astype(np.float32) if vectors.ndim == 2 and vectors.shape[0] == n else None


class BM25Index:
    """A loaded lexical index; ``search`` returns (chunk, score) best first. ``token_sets``
    and ``idf`` feed the coverage rerank: read from ``tokens.json``, or computed for an
    index built before that file existed."""

    def __init__(self, folder: Path):
        import bm25s

        with open(folder / "chunks.jsonl", "rb") as fh:
            self.chunks = [Chunk(**_loads(line)) for line in fh if line.strip()]
        self.retriever = bm25s.BM25.load(str(folder), show_progress=False) if self.chunks else None
        stored = read_token_sets(folder, self.chunks)
        if stored is None:
            sets = {c.id: token_set(c) for c in self.chunks}
            stored = sets, idf_table(sets.values())
        self.token_sets: Mapping[str, frozenset[str]] = stored[0]
        self.idf: dict[str, float] = stored[1]
        self.vectors = _vectors(folder, len(self.chunks)) if self.chunks else None  # unit rows, chunks order

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[Chunk, float]]:
        if not self.chunks or k <= 0:
            return []
        query_tokens = tokenize([query])
        if not query_tokens.vocab:
            return []
        docs, scores = self.retriever.retrieve(query_tokens, k=min(k, len(self.chunks)), show_progress=False,
                                               weight_mask=mask)
        return [(self.chunks[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
