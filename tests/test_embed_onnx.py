"""The onnxruntime embedder: the same vectors and word-piece spans as sentence-transformers,
one fingerprint for both engines, the fallbacks, and no torch in a process that only queries.

The graph is exported once per module into a temporary cache (``XDG_CACHE_HOME``), so the
export itself is tested every run and the developer's cache is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import rag.embed
from rag import embed_onnx
from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder, default_model_path, get_embedder
from rag.errors import RagError
from tests.fixtures import make

MODEL = default_model_path()
TEXTS = [
    "",
    "hello",
    "   padded with spaces   ",
    "What was NVIDIA's total revenue for fiscal year 2025?",
    "Café naïve résumé — “curly quotes” ‘x’ 1.8x $4,635 ½ ™",
    "中文字符 和 日本語のテキスト 한국어",
    "emoji 🚀🔥 tabs\tand\nnew lines\r\nand \u200b zero width",
    "H800 GPUs, 2,048 of them; MLA + MoE (DeepSeek-V3) at $5.6M",
    "[CLS] [SEP] [MASK] ##ing [UNK] <s></s>",
    " ".join(["The quick brown fox jumps over the lazy dog near the riverbank."] * 60),  # > 256 pieces
    "x" * 3000,  # one very long word
    "Revenue | $60,922 | $26,974 | 126%\nData Center | $47,525 | $15,005 | 217%",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory) -> Path:
    """A cache root holding the exported graph where ``onnx_file`` looks for it."""
    root = tmp_path_factory.mktemp("xdg-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(root)
    try:
        embed_onnx.export(MODEL, embed_onnx.onnx_file(MODEL))
    finally:
        os.environ.pop("XDG_CACHE_HOME") if before is None else os.environ.update(XDG_CACHE_HOME=before)
    return root


@pytest.fixture
def fresh(monkeypatch, onnx_cache):
    """Each test gets its own embedder cache and sees the module's exported graph."""
    monkeypatch.setattr(rag.embed, "_CACHE", {})
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_cache))


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(MODEL)


@pytest.mark.slow
def test_export_is_atomic_and_cached(onnx_cache):
    target = onnx_cache / "rag" / "models" / embed_onnx.model_key(MODEL) / "model.onnx"
    assert target.is_file() and target.stat().st_size > 10_000_000
    assert not list(target.parent.glob("*.tmp"))  # no temporary file left


@pytest.mark.slow
def test_the_optimized_copy_loads_to_the_same_vectors(onnx_cache, tmp_path):
    import onnxruntime

    exported = onnx_cache / "rag" / "models" / embed_onnx.model_key(MODEL) / "model.onnx"
    graph = tmp_path / "model.onnx"
    graph.symlink_to(exported)
    first = embed_onnx.OnnxEmbedder(MODEL, graph, name="x")
    want = first.embed(TEXTS)  # optimizes the graph and saves the copy
    copy = tmp_path / f"model.ort-{onnxruntime.__version__}.onnx"
    assert copy.is_file() and not list(tmp_path.glob("*.tmp"))
    second = embed_onnx.OnnxEmbedder(MODEL, graph, name="x")
    assert np.allclose(second.embed(TEXTS), want, atol=1e-5)
    copy.write_bytes(b"damaged")  # rebuilt, not fatal
    assert np.allclose(embed_onnx.OnnxEmbedder(MODEL, graph, name="x").embed(TEXTS), want, atol=1e-5)
    assert copy.stat().st_size > 10_000_000


@pytest.mark.slow
def test_vectors_match_sentence_transformers(fresh, settings, torch_embedder):
    onnx = get_embedder(settings)
    assert onnx.engine == "onnx" and onnx.dimension == 384
    got, want = onnx.embed(TEXTS), torch_embedder.embed(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * want).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(TEXTS, cosines.round(5)))
    assert len(onnx._inputs.encode(TEXTS[9]).ids) == 256  # the long text really was truncated
    query = onnx.embed_query(TEXTS[3])
    assert float(query @ want[3]) >= 0.999 and np.allclose(query, got[3], atol=1e-5)
    assert onnx.embed([]).shape == (0, 384)


def test_token_spans_match_the_hf_fast_tokenizer(tmp_path, torch_embedder):
    """Chunk boundaries come from these spans: an index chunked by either engine is the same."""
    onnx = embed_onnx.OnnxEmbedder(MODEL, tmp_path / "unused.onnx", name="x")  # spans need no graph
    texts = list(TEXTS)
    for maker in (make.make_markdown, make.make_text, make.make_long_text, make.make_news_html, make.make_latin1):
        texts.append(maker(tmp_path).read_bytes().decode("utf-8", "replace"))
    for text in texts:
        assert onnx.token_spans(text) == torch_embedder.token_spans(text), text[:60]
    assert len(onnx.token_spans(texts[-3])) > 1000  # no truncation for the chunker


def test_both_engines_share_the_index_fingerprint(fresh, settings):
    onnx = get_embedder(settings)
    torch = get_embedder(settings.replace(embed_engine="torch"))
    assert (onnx.engine, torch.engine) == ("onnx", "torch")
    assert onnx.name == torch.name == rag.embed._model_name(MODEL)


def test_embed_engine_setting_and_env(monkeypatch):
    monkeypatch.setenv("RAG_EMBED_ENGINE", "torch")
    assert Settings.load().embed_engine == "torch"
    with pytest.raises(RagError, match="RAG_EMBED_ENGINE"):
        get_embedder(Settings(embed_engine="tensorflow"))


def write_modules(folder: Path, *modules: tuple[str, str]) -> None:
    (folder / "modules.json").write_text(json.dumps([{"type": f"sentence_transformers.models.{kind}", "path": path}
                                                     for kind, path in modules]))


def test_unsupported_model_falls_back_to_torch_or_raises(tmp_path, fresh):
    folder = tmp_path / "dense-model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "tokenizer.json").write_text("{}")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    write_modules(folder, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"), ("Normalize", "3_Normalize"))
    assert "Dense" in embed_onnx.unsupported_reason(str(folder))
    auto = get_embedder(Settings(embed_model=str(folder)))
    assert auto.engine == "torch"  # created only: nothing is loaded until it embeds
    with pytest.raises(RagError, match="Dense"):
        get_embedder(Settings(embed_model=str(folder), embed_engine="onnx"))
    write_modules(folder, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Normalize", "2_Normalize"))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert "mean pooling" in embed_onnx.unsupported_reason(str(folder))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert embed_onnx.unsupported_reason(str(folder)) is None


def test_failed_export_falls_back_to_torch_or_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(rag.embed, "_CACHE", {})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))

    def broken(path, dest):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(embed_onnx, "export", broken)
    assert get_embedder(Settings()).engine == "torch"
    with pytest.raises(RagError, match="no exporter here"):
        get_embedder(Settings(embed_engine="onnx"))


def test_a_failed_export_is_not_retried_by_every_process(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    calls = []

    def broken(path, dest):
        calls.append(dest)
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(embed_onnx, "export", broken)
    for _ in range(2):  # two "processes": the per-process cache is emptied in between
        monkeypatch.setattr(rag.embed, "_CACHE", {})
        assert get_embedder(Settings()).engine == "torch"
    assert len(calls) == 1 and "no exporter here" in calls[0].with_name("export-failed.txt").read_text()


@pytest.mark.slow
def test_concurrent_queries_give_the_serial_vectors(fresh, settings):
    onnx = get_embedder(settings)
    want = onnx.embed(TEXTS)
    got: dict[int, np.ndarray] = {}

    def worker(i: int) -> None:
        for _ in range(3):
            got[i] = onnx.embed_query(TEXTS[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(TEXTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(got[i], want[i], atol=1e-5) for i in range(len(TEXTS)))


QUERY_ONLY = """
import json, sys
from rag.config import Settings
from rag.retrieve.hybrid import HybridRetriever
r = HybridRetriever(Settings.load())
hits = r.retrieve("How much power does the alpha reactor produce?", 3)
vectors = r.embedder.embed(["alpha reactor", "heavy water"])
print(json.dumps({"top": hits[0].chunk.doc_id, "engine": r.embedder.engine, "dim": int(vectors.shape[1]),
                  "loaded": [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]}))
"""


@pytest.mark.slow
def test_a_query_process_never_imports_torch(fresh, settings, tmp_path):
    import rag

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.md").write_text("# Alpha\n\nThe alpha reactor produces 42 megawatts of power.\n", encoding="utf-8")
    (docs / "beta.txt").write_text("Beta report.\n\nThe beta fleet has 17 cargo drones.\n", encoding="utf-8")
    report = rag.ingest([docs], settings=settings, progress=False)
    assert report.failed == () and report.chunks >= 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(settings.home), HF_HUB_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", QUERY_ONLY], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"top": "alpha", "engine": "onnx", "dim": 384, "loaded": []}, out.stderr
