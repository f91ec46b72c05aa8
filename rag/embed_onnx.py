"""The same sentence-transformers vectors from onnxruntime: no torch at query time.

Why: ``import sentence_transformers`` (torch included) took 5 s of an 11-13 s cold
``rag ask``; ``onnxruntime`` imports in 0.1 s and ``tokenizers`` (Rust) in 0.01 s. The
graph (BERT → mean pooling over the attention mask → L2 normalization, i.e. what
all-MiniLM-L6-v2's three modules do) is exported ONCE from the model folder with
``torch.onnx.export``, checked against torch, and cached in ``~/.cache/rag/models/<key>/``
(``$XDG_CACHE_HOME``) with an onnxruntime-optimized copy; only the export needs torch.

Ingestion uses it too, except on CPUs with native bfloat16, where torch's bf16 autocast is
faster on a quiet machine (figures in ``rag.embed.get_embedder``). One query: 7 ms vs.
780 ms for bf16 autocast, which is slow on single short inputs. Cosine to torch's vectors:
≥ 0.99997 (bf16), 0.9999999 (fp32).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.embed_base import in_length_order

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph changes: older cached files are then ignored
_OK_MODULES = {"Transformer", "Pooling", "Normalize"}


def cache_root() -> Path:
    """Shared by every rag home: the export depends on the model only (~90 MB each)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag" / "models"


def model_key(model_path: str) -> str:
    """A hash of what the exported graph depends on: the folder, its config and weight files
    (size and mtime: a replaced model gets a new file) and the export code's version."""
    parts = [os.path.abspath(model_path), f"export-{EXPORT_VERSION}"]
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        try:
            st = os.stat(os.path.join(model_path, name))
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            pass
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def onnx_file(model_path: str) -> Path:
    return cache_root() / model_key(model_path) / "model.onnx"


def unsupported_reason(model_path: str) -> str | None:
    """Why this model folder cannot run here (None: it can). Only Transformer → mean Pooling
    → Normalize models are exported; anything else (a Dense layer, CLS pooling) stays on torch."""
    import importlib.util

    for mod in ("onnxruntime", "tokenizers"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed"
    if not os.path.isfile(os.path.join(model_path, "tokenizer.json")):
        return "no tokenizer.json in the model folder"
    try:
        with open(os.path.join(model_path, "modules.json"), encoding="utf-8") as fh:
            modules = {m["type"].rsplit(".", 1)[-1]: m.get("path", "") for m in json.load(fh)}
        if set(modules) != _OK_MODULES or modules["Transformer"] != "":
            return f"modules {sorted(modules)} (only Transformer in the folder itself, Pooling, Normalize are exported)"
        with open(os.path.join(model_path, modules["Pooling"], "config.json"), encoding="utf-8") as fh:
            pooling = json.load(fh)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"not a sentence-transformers folder ({exc!r})"
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True]
    if modes != ["pooling_mode_mean_tokens"]:
        return f"pooling {modes} is not plain mean pooling"
    return None


def max_length(model_path: str, default: int = 256) -> int:
    """The model's ``max_seq_length``: word pieces read per text, [CLS] and [SEP] included."""
    try:
        with open(os.path.join(model_path, "sentence_bert_config.json"), encoding="utf-8") as fh:
            return int(json.load(fh).get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


def export(model_path: str, dest: Path) -> Path:
    """Export the model to ``dest`` (tmp file + rename, so readers never see half a file;
    two processes exporting at once both write a valid file, the last rename wins).
    Raises if torch's and onnxruntime's vectors disagree on a padded probe batch."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    # .eval() on the wrapper: the exporter restores the module's mode afterwards, and a
    # wrapper left in training mode would switch dropout on in the model it holds.
    graph = _pooled(AutoModel.from_pretrained(model_path)).eval()
    # The dummy batch has padding: a trace from an all-ones mask could bake in a
    # "no padding" shortcut of the attention code.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_path, "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json may pad to a fixed width: pad() does it here
    probe = tokenizer.encode_batch(["The probe sentence has a few more words.", "Short."])
    ids, mask = (torch.from_numpy(a) for a in pad([e.ids for e in probe]))
    assert mask.min() == 0, "the probe batch must hold padding"
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob("*.tmp"):  # left by a killed export (~90 MB each)
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 600:
                stale.unlink()
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            want = graph(ids, mask).numpy()
            torch.onnx.export(graph, (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"],
                              output_names=["sentence_embedding"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                            "attention_mask": {0: "batch", 1: "seq"},
                                            "sentence_embedding": {0: "batch"}})
        got = _session(str(tmp), 1).run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
        worst = float((want * got).sum(axis=1).min())
        if worst < 0.9999:
            raise RuntimeError(f"exported graph disagrees with torch (cosine {worst:.5f})")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def _pooled(bert):
    """BERT → mean pooling → L2 norm as one torch module (torch is imported in ``export`` only)."""
    import inspect

    import torch

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert
            self.types = "token_type_ids" in inspect.signature(bert.forward).parameters  # BERT: yes; MPNet: no

        def forward(self, input_ids, attention_mask):
            # Like sentence-transformers: mean over real tokens (count clamped at 1e-9),
            # then F.normalize (eps 1e-12).
            extra = {"token_type_ids": torch.zeros_like(input_ids)} if self.types else {}
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return Pooled()


def _threads() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # not Linux
        return max(1, min(os.cpu_count() or 1, 8))


def _session(path: str, threads: int, *, optimized: bool = False, save: str | None = None):
    """An onnxruntime CPU session. ``optimized``: the file was saved already optimized, so
    loading skips the graph optimizations (0.1 s instead of 0.3 s); ``save``: write the
    optimized graph there (the portable "extended" level: fused attention, GELU, layer norm)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # No busy-waiting between runs: the cores go to the LLM that runs right after retrieval
    # (measured: no slower for a query, or for 40 sentences, on a shared 2-core machine).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    level = ort.GraphOptimizationLevel
    opts.graph_optimization_level = level.ORT_DISABLE_ALL if optimized else level.ORT_ENABLE_EXTENDED
    if save:
        opts.optimized_model_filepath = save
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def load_session(onnx_path: Path, threads: int):
    """The session for an exported graph, through its optimized copy, which is written on first
    use beside it (per onnxruntime version: another version may fuse differently)."""
    import onnxruntime as ort

    fast = onnx_path.with_name(f"{onnx_path.stem}.ort-{ort.__version__}.onnx")
    if fast.is_file():
        try:
            return _session(str(fast), threads, optimized=True)
        except Exception as exc:  # a damaged copy: rebuilt below
            log.warning("Rebuilding the optimized embedding graph %s: %s", fast, exc)
    tmp = fast.with_name(f"{fast.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        session = _session(str(onnx_path), threads, save=str(tmp))
        os.replace(tmp, fast)
        return session
    except Exception as exc:  # e.g. a read-only cache: optimize in memory at every start
        log.debug("Not saving the optimized embedding graph: %s", exc)
        return _session(str(onnx_path), threads)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def pad(id_lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token ids with 0 to the longest; returns (ids, attention mask), int64.

    >>> ids, mask = pad([[101, 7, 102], [101, 102]])
    >>> ids.tolist(), mask.tolist()
    ([[101, 7, 102], [101, 102, 0]], [[1, 1, 1], [1, 1, 0]])
    """
    width = max((len(x) for x in id_lists), default=0)
    ids = np.zeros((len(id_lists), width), dtype=np.int64)
    mask = np.zeros((len(id_lists), width), dtype=np.int64)
    for row, x in enumerate(id_lists):
        ids[row, :len(x)] = x
        mask[row, :len(x)] = 1
    return ids, mask


class OnnxEmbedder:
    """The ``Embedder`` protocol over an exported graph; safe to share between threads
    (``InferenceSession.run`` is thread-safe and the tokenizers are configured once)."""

    engine = "onnx"
    use_bf16 = False  # the graph runs in fp32

    def __init__(self, model_path: str, onnx_path: Path, *, name: str, batch_size: int = 16):
        from tokenizers import Tokenizer

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings; batches are small
        self.path, self.onnx_path, self.name, self.batch_size = model_path, Path(onnx_path), name, batch_size
        self.max_length = max_length(model_path)
        spec = Path(model_path, "tokenizer.json").read_text(encoding="utf-8")
        # tokenizer.json ships with truncation at 128 and fixed padding: both are reset.
        # Spans: every word piece, as the HF fast tokenizer gives them to the chunker.
        self._spans = Tokenizer.from_str(spec)
        self._spans.no_truncation()
        self._spans.no_padding()
        # Model input: [CLS] … [SEP], truncated to max_seq_length like sentence-transformers.
        self._inputs = Tokenizer.from_str(spec)
        self._inputs.enable_truncation(self.max_length)
        self._inputs.no_padding()
        self._session = None
        self._lock = threading.Lock()

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                self._session = load_session(self.onnx_path, _threads())
            return self._session

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self._spans.encode(text, add_special_tokens=False).offsets)

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; ``on_batch(n)`` after each batch."""
        return in_length_order(texts, self._encode, self.dimension, self.batch_size, on_batch)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._inputs.encode_batch([str(t).strip() for t in texts])  # sentence-transformers strips too
        ids, mask = pad([e.ids for e in encodings])
        (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)
