"""Any OpenAI-compatible chat endpoint: OpenAI, DeepSeek's API, vLLM, Ollama, llama.cpp server.

The key comes from ``OPENAI_API_KEY`` only (never a setting, never logged). The client
retries with exponential backoff (``openai_retries``) and gives up after ``openai_timeout``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from rag.errors import BackendUnavailableError, MissingExtraError
from rag.generate.base import build_messages
from rag.types import Evidence, Hit

DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIGenerator:
    name = "openai"

    def __init__(self, settings):
        try:
            import openai
        except ImportError:
            raise MissingExtraError("The openai backend", "openai", "openai") from None
        self.settings = settings
        self.base_url = settings.openai_base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self.model = settings.openai_model or DEFAULT_MODEL
        # Local servers accept any key; a placeholder keeps the client from refusing to start.
        key = os.environ.get("OPENAI_API_KEY") or "sk-no-key-set"
        self.client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=settings.openai_timeout,
                                    max_retries=settings.openai_retries)

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]:
        # Whole passages: an API model reads them well, and they hold context the key sentences leave out.
        return self.chat(build_messages(question, hits, history, budget_chars=12000))

    def chat(self, messages: list[dict], max_tokens: int | None = None) -> Iterator[str]:
        """Stream a reply to raw chat ``messages`` (the eval judge uses this directly)."""
        import openai

        try:
            stream = self.client.chat.completions.create(model=self.model, messages=messages, stream=True,
                                                         max_tokens=max_tokens or self.settings.llm_max_tokens,
                                                         temperature=self.settings.llm_temperature)
            for part in stream:
                if part.choices and part.choices[0].delta and part.choices[0].delta.content:
                    yield part.choices[0].delta.content
        except openai.APITimeoutError:
            raise BackendUnavailableError(f"The API at {self.base_url} did not answer within {self.settings.openai_timeout:g} s "
                                          "(after retries). Raise RAG_OPENAI_TIMEOUT or check the server.") from None
        except openai.APIConnectionError:
            raise BackendUnavailableError(f"Cannot reach the OpenAI-compatible API at {self.base_url}. Start the server "
                                          "or set RAG_OPENAI_BASE_URL to the right URL (e.g. http://127.0.0.1:8080/v1).") from None
        except openai.AuthenticationError:
            raise BackendUnavailableError(f"The API at {self.base_url} rejected the key: set OPENAI_API_KEY.") from None
        except openai.NotFoundError:
            raise BackendUnavailableError(f"The API at {self.base_url} has no model {self.model!r}: set RAG_OPENAI_MODEL.") from None
        except openai.APIStatusError as exc:
            raise BackendUnavailableError(f"The API at {self.base_url} answered HTTP {exc.status_code}: {exc.message}") from None
