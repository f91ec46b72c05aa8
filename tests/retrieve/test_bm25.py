"""The BM25 folder: token sets and idf stored at build time and read back at load (the
retriever's coverage rerank used to compute them at every start), with a fallback for an
index built before they were stored, and the atomic swap."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.retrieve import bm25
from rag.retrieve.fusion import idf_table
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Chunk

TEXTS = [
    ("NVIDIA", "Results", "Data Center revenue was $47,525 million, up 217% from a year ago."),
    ("NVIDIA", "", "The H800 GPUs produce 1.8x the throughput of the older parts."),
    ("DeepSeek", "Training", "DeepSeek-V3 was trained on 2,048 H800 GPUs for under two months."),
    ("Meta", "Capex", "Capital expenditures are expected to be $60-65 billion in 2025."),
    ("The", "", "the of and"),  # stop words only (title included): an empty token set
]


def chunks() -> list[Chunk]:
    return [Chunk(f"d{i}:{i:016x}", f"d{i}", text, 0, len(text), section=section, meta={"title": title})
            for i, (title, section, text) in enumerate(TEXTS)]


def vectors() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(TEXTS), 8))


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "index" / "bm25"
    bm25.build(chunks(), target, vectors())
    return target


def test_the_vectors_are_stored_as_unit_rows_in_chunk_order(folder):
    index = bm25.BM25Index(folder)
    assert index.vectors.shape == (len(TEXTS), 8)
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-3)
    assert np.allclose(index.vectors, bm25.normalized(vectors()), atol=1e-3)


def test_an_index_without_vectors_is_rebuilt_by_the_next_ingest(tmp_path):
    target = tmp_path / "bm25"
    bm25.build(chunks(), target)  # as built before the vectors were stored
    assert not bm25.is_current(target) and bm25.BM25Index(target).vectors is None


def test_build_stores_token_sets_and_idf_that_load_back_equal(folder):
    assert sorted(p.name for p in folder.parent.iterdir()) == ["bm25"]  # no .tmp / .old left
    assert bm25.is_current(folder)
    index = bm25.BM25Index(folder)
    assert isinstance(index.token_sets, bm25.TokenSets)
    want = {c.id: bm25.token_set(c) for c in chunks()}
    assert dict(index.token_sets) == want and index.token_sets.get("d4:0000000000000004") == frozenset()
    assert index.idf == idf_table(want.values())
    assert index.search("H800 GPUs", 2)[0][0].doc_id in ("d1", "d2")


def test_an_index_without_stored_sets_computes_them(folder):
    stored = bm25.BM25Index(folder)
    (folder / "tokens.json").unlink()
    assert not bm25.is_current(folder)
    old = bm25.BM25Index(folder)
    assert old.token_sets == dict(stored.token_sets) and old.idf == stored.idf


@pytest.mark.parametrize("damage", ["signature", "length", "garbage"])
def test_stale_or_broken_stored_sets_are_ignored(folder, damage):
    path = folder / "tokens.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if damage == "signature":
        data["signature"] = "0" * 12
        data["sets"] = ["wrong"] * len(data["sets"])
    elif damage == "length":
        data["sets"] = data["sets"][:-1]
    path.write_text("{not json" if damage == "garbage" else json.dumps(data), encoding="utf-8")
    assert bm25.read_token_sets(folder, chunks()) is None
    index = bm25.BM25Index(folder)
    assert dict(index.token_sets) == {c.id: bm25.token_set(c) for c in chunks()}
    assert not bm25.is_current(folder)  # the next ingest rebuilds it


def test_the_signature_follows_the_tokenizer(monkeypatch):
    before = bm25.tokens_signature()
    assert before == bm25.tokens_signature()
    monkeypatch.setattr(bm25, "tokens", lambda text: text.lower().split())
    assert bm25.tokens_signature() != before


def test_the_retriever_loads_stored_sets_without_tokenizing(settings, monkeypatch):
    bm25.build(chunks(), settings.index_dir / "bm25")

    def no_tokenizing(chunk):
        raise AssertionError("token sets were recomputed at load")

    monkeypatch.setattr(bm25, "token_set", no_tokenizing)
    retriever = HybridRetriever(settings)
    assert len(retriever.bm25.chunks) == len(TEXTS)
    assert retriever.idf and retriever._token_sets["d2:0000000000000002"] >= {"h800", "gpus"}


def test_empty_index_round_trips(tmp_path):
    bm25.build([], tmp_path / "bm25")
    index = bm25.BM25Index(tmp_path / "bm25")
    assert index.chunks == [] and dict(index.token_sets) == {} and index.idf == {}
    assert index.search("anything", 3) == []


@pytest.mark.slow
def test_ingest_upgrades_an_index_built_before_token_sets_were_stored(settings, tmp_path):
    import rag

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.md").write_text("# Alpha\n\nThe alpha reactor produces 42 megawatts.\n", encoding="utf-8")
    rag.ingest([docs], settings=settings, progress=False)
    stored = settings.index_dir / "bm25" / "tokens.json"
    assert stored.is_file()
    stored.unlink()
    again = rag.ingest([docs], settings=settings, progress=False)
    assert (again.added, again.unchanged) == (0, 1) and stored.is_file()
    assert bm25.is_current(settings.index_dir / "bm25")
