"""llama-index on our retrieval and our checked answers.

- ``RagRetriever``: a ``BaseRetriever`` whose ``NodeWithScore`` nodes carry the doc id, title,
  page, section, character offsets and URL of each passage (use it in any llama-index
  pipeline, a ``RetrieverQueryEngine`` included).
- ``RagQueryEngine``: a ``CustomQueryEngine`` whose ``Response`` is our checked answer, with
  ``source_nodes`` set to the cited passages and the citations, refusal and note in ``metadata``.
- ``use_llm(llm)``: any llama-index ``LLM`` (Ollama, Anthropic, vLLM, LlamaCPP…) as an answer
  backend: our retrieval, our prompt, our citation checking, its words.

    >>> from rag.integrations.llama_index import RagQueryEngine
    >>> RagQueryEngine.__mro__[1].__name__
    'CustomQueryEngine'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from llama_index.core.base.response.schema import Response
from llama_index.core.llms import LLM, ChatMessage
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import ConfigDict, Field

from rag.api.schema import PASSAGE_META
from rag.config import Settings
from rag.generate.base import MAX_SENTENCES, build_messages, first_sentences, register
from rag.types import Answer, Chunk, Evidence, Hit

CHARS_PER_TOKEN = 3.2  # as for the local model: keeps the prompt inside the LLM's window


def node_for(chunk: Chunk, score: float) -> NodeWithScore:
    """A passage as llama-index sees it: our chunk id, text and provenance in the metadata."""
    meta = {"doc_id": chunk.doc_id, "page": chunk.page, "section": chunk.section, "char_start": chunk.char_start,
            "char_end": chunk.char_end, **{k: chunk.meta[k] for k in PASSAGE_META if chunk.meta.get(k) not in (None, "")}}
    node = TextNode(id_=chunk.id, text=chunk.text, metadata=meta,
                    excluded_embed_metadata_keys=list(meta), excluded_llm_metadata_keys=["char_start", "char_end"])
    return NodeWithScore(node=node, score=float(score))


class RagRetriever(BaseRetriever):
    """Hybrid retrieval (BM25 + MiniLM, boosted and reranked) over a ``rag`` index."""

    def __init__(self, settings: Settings | None = None, k: int = 5, filters: dict[str, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.settings, self.k, self.filters = settings or Settings.load(), k, filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        from rag.answer import assistant

        hits = assistant(self.settings).retriever.retrieve(query_bundle.query_str, self.k, self.filters)
        return [node_for(h.chunk, h.score) for h in hits]


class RagQueryEngine(CustomQueryEngine):
    """``ask()`` as a query engine: the checked answer, or the refusal, of our pipeline."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: Settings = Field(default_factory=Settings.load)
    backend: str | None = None
    k: int | None = None
    filters: dict[str, str] | None = None
    history: list[dict[str, str]] = Field(default_factory=list)

    def custom_query(self, query_str: str) -> Response:
        from rag.answer import ask

        answer = ask(query_str, history=self.history, filters=self.filters, settings=self.settings,
                     backend=self.backend, k=self.k)
        return response_for(answer)


def response_for(answer: Answer) -> Response:
    """A llama-index ``Response``: the answer text, the cited passages as source nodes (in
    marker order, scored by citation), and what else the answer says in ``metadata``."""
    by_id = {h.chunk.id: h for h in answer.hits}
    nodes, seen = [], set()
    for c in answer.citations:
        if c.chunk_id in by_id and c.chunk_id not in seen:
            seen.add(c.chunk_id)
            nodes.append(node_for(by_id[c.chunk_id].chunk, c.score))
    metadata = {"citations": [{"marker": c.marker, "title": c.title, "page": c.page, "quote": c.quote, "url": c.url,
                               "supported": c.supported} for c in answer.citations],
                "refused": answer.refused, "reason": answer.reason, "note": answer.note, "backend": answer.backend}
    return Response(response=answer.text, source_nodes=nodes, metadata=metadata)


class LlamaIndexGenerator:
    """A llama-index ``LLM`` as a ``rag`` generator: it reads the key sentences (a small window)
    or whole passages (4k tokens and more), and streams its reply; ``ask()`` checks it."""

    def __init__(self, llm: LLM, name: str = "llamaindex"):
        self.llm, self.name = llm, name
        self.model = getattr(llm.metadata, "model_name", "") or type(llm).__name__

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]:
        meta = self.llm.metadata
        window = max(512, int(meta.context_window or 4096))
        budget = int((window - int(meta.num_output or 256) - 200) * CHARS_PER_TOKEN)
        messages = build_messages(question, hits, history, budget, evidence if window < 4096 else ())
        return first_sentences(self.chat(messages), MAX_SENTENCES)

    def chat(self, messages: list[dict], max_tokens: int | None = None) -> Iterator[str]:
        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        for part in self.llm.stream_chat(chat):
            if part.delta:
                yield part.delta


def use_llm(llm: LLM, name: str = "llamaindex") -> str:
    """Register ``llm`` as answer backend ``name``; returns the name, for ``ask(..., backend=name)``,
    ``RagQueryEngine(backend=name)`` or the page and API of this process."""
    return register(name, LlamaIndexGenerator(llm, name))


__all__ = ["RagRetriever", "RagQueryEngine", "LlamaIndexGenerator", "use_llm", "node_for", "response_for"]
