"""The generator contract, the shared prompt, and the registry that picks a backend."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Protocol

from rag.errors import ConfigError, MissingExtraError
from rag.text import SENTENCE_DONE
from rag.types import Evidence, Hit

REFUSAL = "I can't find this in the sources."
SYSTEM_PROMPT = (
    "You answer questions using only the numbered sources given. Answer in one to three short sentences, "
    "copying the exact figures and names from the sources. If the sources do not contain the answer, reply "
    f"exactly: {REFUSAL}"
)

MAX_SENTENCES = 3  # as the prompt asks; a local model is cut off after this many
# Key sentences a local model reads: it reads every prompt token before its first answer token
# (~3 ms each on 2 cores), and the checker adds the key sentences it leaves out verbatim
# anyway. bench_query, 45 dev questions: 4 → 2 sentences, 245 → 172 prompt tokens, first token
# p50 1.19 → 0.78 s, correctness 30/40 both; follow-ups and comparisons 23/39 → 22/39. One more
# for each part after the first (a part's own sentence in the prompt) measured the same, 0.1 s slower.
PROMPT_EVIDENCE = 2

# name → (module, class, pip extra that provides its dependency)
REGISTRY: dict[str, tuple[str, str, str | None]] = {
    "local": ("rag.generate.llama_cpp", "LlamaCppGenerator", "local"),
    "openai": ("rag.generate.openai_compat", "OpenAIGenerator", "openai"),
    "extractive": ("rag.generate.extractive", "ExtractiveGenerator", None),
}


class Generator(Protocol):
    """Streams answer text for a question given retrieved passages and, best first, the
    key sentences picked from them (``rag.retrieve.sentences``)."""

    name: str
    model: str

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]: ...


def register(name: str, generator: Generator) -> str:
    """Add a ready-made generator as backend ``name`` for every settings (a user's own LLM:
    ``rag.integrations.llama_index.use_llm``); returns the name."""
    if name in REGISTRY:
        raise ConfigError(f"{name!r} is a built-in backend; register yours under another name.")
    with _LOCK:
        _REGISTERED[name] = generator
    return name


def backends() -> list[str]:
    """Every backend name: the built-in ones, then those registered in this process."""
    return [*REGISTRY, *_REGISTERED]


def get_generator(name: str, settings) -> Generator:
    """The generator called ``name``; built once per process and settings (models load slowly)."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in REGISTRY:
        raise ConfigError(f"Unknown backend {name!r}; choose one of: {', '.join(backends())} (RAG_BACKEND or --backend).")
    key = (name, settings)
    with _LOCK:
        if key not in _CACHE:
            module_name, cls_name, extra = REGISTRY[name]
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise MissingExtraError(f"The {name!r} backend", exc.name or module_name, extra) from None
            _CACHE[key] = getattr(module, cls_name)(settings)
        return _CACHE[key]


_CACHE: dict[tuple, Generator] = {}
_REGISTERED: dict[str, Generator] = {}
_LOCK = threading.Lock()


def format_sources(hits: Sequence[Hit], budget_chars: int) -> str:
    """Numbered passages for the prompt, best first, cut to fit the model's context.

    >>> from rag.types import Chunk
    >>> print(format_sources([Hit(Chunk("c", "d", "Grass is green.", 0, 15, meta={"title": "T"}), 1.0)], 500))
    [1] T
    Grass is green.
    """
    parts, used = [], 0
    for i, hit in enumerate(hits, start=1):
        block = f"[{i}] {hit.chunk.meta.get('title', hit.chunk.doc_id)}\n{hit.passage}"
        if used + len(block) > budget_chars and parts:
            break
        parts.append(block[: budget_chars - used])
        used += len(block) + 2
    return "\n\n".join(parts)


def short_title(title: str) -> str:
    """A paper's name without its subtitle: the small model reads every prompt token
    before its first answer token, and the subtitle tells it nothing.

    >>> short_title("Zeta-Pro: Unified Reading and Drawing with Data and Model Scaling")
    'Zeta-Pro'
    >>> short_title("Day 6: One More Thing, Zorblax-3 Serving System Overview")
    'Day 6: One More Thing, Zorblax-3 Serving System Overview'
    >>> short_title("Acme Corporation Form 10-K for the fiscal year ended January 26, 2031 (fiscal 2031)")
    'Acme Corporation Form 10-K for the fiscal year ended January 26, 2031 (fiscal 2031)'
    """
    head, sep, _ = title.partition(": ")
    # Only a name ("Zeta-Pro", "Zorblax-2"), not a generic head ("Day 6: One More Thing, ...").
    return head if sep and re.search(r"\w-\w|[a-z][A-Z]", head) else title


def format_evidence(hits: Sequence[Hit], evidence: Sequence[Evidence]) -> str:
    """Key sentences grouped under their passage's number and title, passages in rank order.

    >>> from rag.types import Chunk
    >>> h = Hit(Chunk("c", "d", "Grass is green. Sky is blue.", 0, 28, meta={"title": "T"}), 1.0)
    >>> print(format_evidence([h], [Evidence(h, "Sky is blue.", 1.0), Evidence(h, "Grass is green.", 0.5)]))
    [1] T
    Grass is green. Sky is blue.
    """
    number = {h.chunk.id: i for i, h in enumerate(hits, start=1)}
    blocks = []
    for hit in hits:
        # In passage order, so a sentence reads with its neighbour as the source wrote them.
        mine = sorted((e for e in evidence if e.hit.chunk.id == hit.chunk.id), key=lambda e: hit.chunk.text.find(e.text[:40]))
        if mine:
            blocks.append(f"[{number[hit.chunk.id]}] {short_title(hit.chunk.meta.get('title', hit.chunk.doc_id))}\n"
                          + " ".join(e.text for e in mine))
    return "\n\n".join(blocks)


def build_messages(question: str, hits: Sequence[Hit], history: Sequence[dict], budget_chars: int,
                   evidence: Sequence[Evidence] = ()) -> list[dict]:
    """Chat messages; with ``evidence`` the sources are its best ``PROMPT_EVIDENCE`` key
    sentences, else whole passages.

    >>> from rag.types import Chunk
    >>> h = Hit(Chunk("c", "d", "Acme sold 5 drones. It is in Oslo. It has 9 staff.", 0, 50, meta={"title": "T"}), 1.0)
    >>> said = [Evidence(h, t, 1.0) for t in ("Acme sold 5 drones.", "It has 9 staff.", "It is in Oslo.")]
    >>> print(build_messages("How many drones?", [h], [], 1000, said)[-1]["content"])
    Sources:
    [1] T
    Acme sold 5 drones. It has 9 staff.
    <BLANKLINE>
    Question: How many drones?
    Answer:
    """
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for turn in list(history)[-4:]:  # recent turns only: the sources, not the chat, carry the facts
        if turn.get("role") in ("user", "assistant") and turn.get("content"):
            messages.append({"role": turn["role"], "content": str(turn["content"])[:600]})
    sources = format_evidence(hits, evidence[:PROMPT_EVIDENCE]) if evidence else format_sources(hits, budget_chars)
    messages.append({"role": "user", "content": f"Sources:\n{sources}\n\nQuestion: {question}\nAnswer:"})
    return messages


def first_sentences(stream: Iterator[str], n: int) -> Iterator[str]:
    """Pass ``stream`` through until its answer (``<think>`` excluded) has said ``n`` whole
    sentences, then stop it.

    The prompt asks for one to three sentences; a 135M model often goes on repeating
    itself until the token limit, which only costs time (the extra sentences are
    unsupported or repeats, and the checker drops them).

    >>> "".join(first_sentences(iter(["The U.S. rule: 1. It is 1.8 times faster. It is ", "open. It is open. It"]), 2))
    'The U.S. rule: 1. It is 1.8 times faster. It is open.'
    >>> "".join(first_sentences(iter(["<think>A. B. C.</think>", "It is. Done. More."]), 2))
    '<think>A. B. C.</think>It is. Done.'
    """
    text = ""
    try:
        for piece in stream:
            if not isinstance(piece, str):  # a place in the model's line (``Waiting``): not text
                yield piece
                continue
            whole = text + piece
            closed = whole.rfind("</think>")
            if closed != -1 or "<think>" not in whole:  # else still reasoning: nothing answered yet
                ends = list(SENTENCE_DONE.finditer(whole, closed + len("</think>") if closed != -1 else 0))
                if len(ends) >= n:
                    yield whole[len(text):ends[n - 1].end()].rstrip()
                    return
            text = whole
            yield piece
    finally:
        # Stop the model now, not when the garbage collector gets to it: a local worker
        # serves one request at a time.
        close = getattr(stream, "close", None)
        if close:
            close()


_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.S)


def split_reasoning(text: str) -> tuple[str, str]:
    """Separate a reasoning model's ``<think>…</think>`` from its answer.

    >>> split_reasoning("<think>hmm, 2+2</think>It is 4.")
    ('It is 4.', 'hmm, 2+2')
    """
    reasoning = "\n".join(m.strip() for m in _THINK.findall(text))
    return _THINK.sub("", text).strip(), reasoning
