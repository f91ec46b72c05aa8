"""``ask()``: question (+history) → standalone query → hybrid retrieval → evidence gate →
generation → checked citations → an ``Answer`` (or an honest refusal)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rag import answerability
from rag.cite import add_evidence, align, cite
from rag.text import tokens
from rag.compose import shape
from rag.config import Settings
from rag.errors import QuestionError, RagError
from rag.followup import own_words, resolve
from rag.generate.base import REFUSAL, get_generator, split_reasoning
from rag.question import parse, subjects
from rag.retrieve.hints import MONTHS, Hints, fiscal_quarter, mentions, names_period, parse_hints
from rag.retrieve.hybrid import HybridRetriever
from rag.retrieve.sentences import QUANTITY, answer_size
from rag.types import Answer, Evidence, Hit
from rag.units import unit_note

MAX_QUESTION_CHARS = 2000


class Assistant:
    """Holds the retriever for one index; ``stream`` is thread-safe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.retriever = HybridRetriever(settings)

    def stream(self, question: str, *, history=None, filters=None, backend: str | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        question = _check(question)
        backend = backend or self.settings.backend
        k = k or self.settings.top_k
        timings: dict[str, float] = {}
        try:  # built first: the local backend's worker process then loads its model while retrieval runs
            get_generator(backend, self.settings)
        except RagError:
            pass  # said below, if this question gets as far as the model (a refusal or an empty index comes first)
        t = time.perf_counter()
        gate = self.gate(question, history, filters, k, timings)
        query, asked, hits, evidence, hints, reason = (gate["query"], gate["asked"], gate["hits"], gate["evidence"],
                                                      gate["hints"], gate["reason"])
        if reason:
            timings["total"] = time.perf_counter() - t
            yield Answer(question, REFUSAL, refused=True, hits=tuple(hits), backend=backend, query=query,
                         timings=timings, reason=reason)
            return
        generator = get_generator(backend, self.settings)
        t2 = time.perf_counter()
        full, shown = "", 0
        for piece in generator.generate(query, hits, history or (), evidence):
            if "first_token" not in timings:
                timings["first_token"] = time.perf_counter() - t
            full += piece
            visible = _visible(full)
            if len(visible) > shown:
                yield visible[shown:]
                shown = len(visible)
        timings["generate"] = time.perf_counter() - t2
        answer_text, reasoning = split_reasoning(full)
        aligned = align(answer_text, hits)
        if backend != "extractive":
            aligned = add_evidence(aligned, evidence, len(evidence))  # what a small model left out, verbatim
        aligned = shape(aligned, gate["focus"])  # the answering sentence first, then at most two, within a length
        text, citations, dropped = cite(aligned)
        timings["total"] = time.perf_counter() - t
        refused = not citations
        reason = "Nothing in the retrieved passages supports an answer." if refused else ""
        note = "" if refused else _notes(query, aligned, citations, asked, hints.years)
        yield Answer(question, REFUSAL if refused else text, citations, refused, tuple(hits), backend,
                     getattr(generator, "model", backend), reasoning, timings, query, dropped, reason, note)


    def gate(self, question: str, history=None, filters=None, k: int = 5, timings: dict | None = None,
             learned: bool = True) -> dict[str, Any]:
        """Retrieval and the refusal checks: the query, the parsed question, hits, key
        sentences, hints, the answerability features, why to refuse ("" to answer) and the
        focus (the core of what this turn asks).
        ``learned=False`` leaves out the answerability model (its fit script reads the rest)."""
        timings = {} if timings is None else timings
        t = time.perf_counter()
        common = self.retriever.common_word  # "Real", "Highest": capitalized, but no names
        resolved = resolve(question, history, common, self.retriever.subject_word) if history else question
        query = self.retriever.canonical(resolved)
        asked = parse(query)  # the subject apart from the role, instructions and definitions
        hits = self.retriever.retrieve(asked.retrieval_query, k, filters)
        timings["retrieve"] = time.perf_counter() - t
        # The passage checks first: an off-topic question is refused without paying for
        # key sentences (~0.2 s of embedding). They judge the core of the question.
        coverage = max((c for s in subjects(asked) for c in self.retriever.coverage(s, hits)), default=0.0)
        own = own_words(question, common) if resolved != question else ""
        if own and max(self.retriever.coverage(own, hits), default=0.0) == 0.0:
            coverage = 0.0  # a follow-up none of whose own words is in a passage changed the subject ("And sourdough?")
        reason = passage_refusal(asked.core, hits, self.settings.refusal_threshold, coverage, common)
        # Key sentences for the whole resolved query, its parts newest first: picking them for
        # the follow-up's own parts only measured one item worse on evals/followups/ours.jsonl.
        evidence = self.retriever.key_sentences(asked.core, hits, answer_size(asked.core)) if hits and not reason else []
        hints = self.retriever.hints(asked.core)
        reason = reason or evidence_refusal(asked.core, evidence, hints, common, self.retriever.periodless(hints))
        values = {}
        model = answerability.load_model()
        # The model is off while it fails the held-out sets (answerability.json holds what it
        # measured): its features (one more embedding call) are then made for its fit script only.
        if evidence and not reason and (not learned or model.get("enabled")):
            values = answerability.features(asked.core, evidence, coverage, hints, self.retriever.idf,
                                            self.retriever.embedder.embed)
            if learned and answerability.probability(values, model) < model["threshold"]:
                reason = ("The closest passages share words with the question but do not state what it asks. "
                          "Ask about something the sources cover, or name the document, company or period.")
        timings["evidence"] = time.perf_counter() - t - timings["retrieve"]
        # What this turn asks: a follow-up's answer is shaped by it, not by the turns it leans on.
        focus = parse(question).core if resolved != question else asked.core
        return {"query": query, "asked": asked, "hits": hits, "evidence": evidence, "hints": hints,
                "features": values, "reason": reason, "focus": focus}


def refusal_reason(query: str, hits: Sequence[Hit], evidence: Sequence[Evidence], threshold: float,
                   hints: Hints | None = None) -> str:
    """Why the retrieved evidence cannot answer ``query`` ("" when it may).

    Four checks, cheapest first: no passage covers enough of the question (off-topic); a
    name in the question appears in no passage; the question asks for a figure for a fiscal
    quarter that no key sentence's passage speaks of (filings end somewhere: the next
    quarter's revenue is not in them, however alike its passages read); or the question
    asks for a figure and the passage of the best key sentence is not about what the
    question names (the V3 report's training cost is not R1's).
    """
    return passage_refusal(query, hits, threshold) or evidence_refusal(query, evidence, hints or parse_hints(query))


def passage_refusal(query: str, hits: Sequence[Hit], threshold: float, coverage: float | None = None,
                    common: Callable[[str], bool] | None = None) -> str:
    """The first two checks of ``refusal_reason``: they need the passages only. ``coverage``
    is the best passage's share of ``query`` (default: what retrieval measured); ``common``
    tells a capitalized common word from a name (``missing_entities``)."""
    if (max((h.coverage for h in hits), default=0.0) if coverage is None else coverage) < threshold:
        return "No passage in the sources covers this question."
    unknown = missing_entities(query, [f"{h.chunk.header()} {h.chunk.text}" for h in hits], common)
    if unknown:
        return f"No passage found for this question mentions {', '.join(unknown)}."
    return ""


def evidence_refusal(query: str, evidence: Sequence[Evidence], hints: Hints,
                     common: Callable[[str], bool] | None = None, periodless: dict | None = None) -> str:
    """The last checks of ``refusal_reason``: they read the key sentences' passages.
    ``periodless`` are the named companies with no document of the asked period
    (``HybridRetriever.periodless``)."""
    if not evidence:
        return ""
    if periodless and not any(y in e.text for e in evidence for y in hints.years):
        # Filings end somewhere and start somewhere: no document of theirs is of that
        # period and no key sentence names its year (a five-year table would).
        when = ", ".join(hints.dates or hints.years)
        held = "; ".join(f"{c}'s are of fiscal {', '.join(ys)}" if ys else f"{c}'s state no period"
                         for c, ys in periodless.items())
        return (f"The sources hold no document for {when} ({held}), and no passage found gives figures for it. "
                "Ask about a period the indexed documents cover.")
    asks = bool(QUANTITY.search(query) or _FIGURE_WORDS.search(query))  # a figure
    period = fiscal_quarter(query) if asks else None
    if period and not any(_of_quarter(e.hit.chunk, *period) for e in evidence):
        return f"No passage found for this question gives figures for Q{period[0]} of fiscal {period[1]}."
    if asks and hints.companies:
        # Each company the question names must be the subject of some key sentence: from
        # its own filing, or named in the sentence ("NVIDIA's revenue from Microsoft" is not
        # answered by Microsoft's revenue).
        bare = [c for c in hints.companies if not any(
            e.hit.chunk.meta.get("company") == c or mentions(e.text, c) for e in evidence)]
        if bare:
            return f"No passage found for this question gives the figure for {', '.join(bare)}."
    if asks:
        # "How much…": the best sentence's passage must name what the question names. A
        # figure asked another way ("What was X's revenue?"): some key sentence's passage must
        # (a comparison's best sentence covers one of its sides only).
        top = evidence[0].hit.chunk
        passages = [top] if QUANTITY.search(query) else [e.hit.chunk for e in evidence]
        off = missing_entities(query, [f"{c.header()} {c.text}" for c in passages], common)
        if off:
            return (f"The closest figure is from {top.meta.get('title', top.doc_id)}, which does not mention "
                    f"{', '.join(off)}.")
    return ""


# What a period's figure is about: "What were Acme's sales for Q3 fiscal 2027?" asks for
# a figure without "how much".
_FIGURE_WORDS = re.compile(r"\b(revenue|sales|income|earnings|margin|expenses?|cash|profit|eps|charge|spen[dt]\w*)\b", re.I)
_ENTITY = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][\w-]*[A-Za-z0-9])")
# Question words, and the vocabulary of the sources' own forms (a 10-K rarely writes "SEC").
_COMMON = frozenset("""I What How When Where Which Who Why Does Did Do Is Are Was Were And But Or If The A An In On
For Of To By With From At As It Its Their This That These Those Q1 Q2 Q3 Q4 U.S US USD GAAP SEC Form Inc""".split())


def _of_quarter(chunk, quarter: str, year: str) -> bool:
    """A passage from that quarter's own filing, or one that speaks of that quarter."""
    meta = chunk.meta
    if meta.get("fiscal_quarter") == quarter and year in (meta.get("fiscal_year"), meta.get("period_end", "")[:4]):
        return True  # its own fiscal year, or the calendar year it ended in ("Q4 FY2023" for January 2023)
    return names_period(f"{chunk.header()} {chunk.text}", quarter, year)


# Periods, months and units are not names: "FY2019", "Q2", "FY2023Q1", "H1", "July", "USD", "EBITDA".
_NOT_NAME = re.compile(r"^(?:FY\w*|Q[1-4]\w*|H[12]|[1-4]Q\w*|\d\w*|[A-Z]{2,6}|" + "|".join(m.capitalize() for m in MONTHS) + ")$")


def missing_entities(question: str, texts: Sequence[str], common: Callable[[str], bool] | None = None) -> list[str]:
    """Names in the question (capitalized words past the first) that no passage mentions.

    Asking about a company or model the sources never name is the clearest case for
    "the sources don't say", however well the other words match. Analysts capitalize
    common words too ("the Segment with the Highest Margin"): ``common(word)`` says which
    capitalized words are not names (the retriever's ``common_word``: the corpus mostly
    writes them in lower case).

    >>> missing_entities("How much did Zeta pay for its plants?", ["Acme paid $5 million for its plants."])
    ['Zeta']
    >>> missing_entities("What did NVIDIA earn?", ["NVIDIA revenue was $130 billion."])
    []
    >>> missing_entities("What was the Real growth?", ["Sales rose."], common=lambda w: w == "Real")
    []
    """
    words = {m.group(1) for m in _ENTITY.finditer(question.strip())} - _COMMON
    words = {w for w in words if not _NOT_NAME.match(w)}
    have = set(tokens(" ".join(texts)))
    return sorted(w for w in words if not all(t in have for t in tokens(w)) and not (common and common(w)))


def computation_note(asked) -> str:
    """What a ratio, margin or average question leaves to do: filings state line items, not
    the analyst's metric, so the answer cites the inputs and says the value is computed.

    >>> from rag.question import parse
    >>> computation_note(parse("What is Acme's ROA? ROA is defined as: net income / average total assets."))
    'If the value is not stated above, compute it from the cited line items: net income / average total assets.'
    >>> computation_note(parse("What is MLA?"))
    ''
    """
    if not asked.computed:
        return ""
    how = "; ".join(asked.definitions) or "the figures the question combines"
    return f"If the value is not stated above, compute it from the cited line items: {how}."


def _notes(query: str, aligned, citations, asked, years) -> str:
    """What the answer leaves to arithmetic: its first cited figure in the unit the question
    asks for, and what a computed metric is made of."""
    marker = {c.chunk_id: c.marker for c in citations}
    quoted = [(marker[a.hit.chunk.id], a.sentence) for a in aligned if a.hit is not None]
    return " ".join(n for n in (unit_note(query, quoted, years), computation_note(asked)) if n)


def _visible(text: str) -> str:
    """What may be shown while streaming: no ``<think>`` content, no half-written tag."""
    shown, _ = split_reasoning(text)
    cut = shown.rfind("<")
    return shown[:cut] if cut != -1 and "<think>".startswith(shown[cut:]) else shown


def _check(question: str) -> str:
    if not question or not question.strip():
        raise QuestionError("The question is empty: ask something about the sources.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}.")
    return question.strip()


_ASSISTANTS: dict[Settings, Assistant] = {}
_ASSISTANTS_LOCK = threading.Lock()


def assistant(settings: Settings | None = None) -> Assistant:
    settings = settings or Settings.load()
    with _ASSISTANTS_LOCK:
        if settings not in _ASSISTANTS:
            _ASSISTANTS[settings] = Assistant(settings)
        return _ASSISTANTS[settings]


def ask_stream(question: str, *, history: Sequence[dict] | None = None, filters: dict[str, Any] | None = None,
               settings: Settings | None = None, backend: str | None = None, k: int | None = None) -> Iterator[str | Answer]:
    """Yield answer text as it is generated, then the final ``Answer`` (checked citations)."""
    return assistant(settings).stream(question, history=history, filters=filters, backend=backend, k=k)


def ask(question: str, *, history: Sequence[dict] | None = None, filters: dict[str, Any] | None = None,
        settings: Settings | None = None, backend: str | None = None, k: int | None = None) -> Answer:
    """Answer a question from the indexed sources, with checked citations or a refusal."""
    final = None
    for event in ask_stream(question, history=history, filters=filters, settings=settings, backend=backend, k=k):
        if isinstance(event, Answer):
            final = event
    return final
