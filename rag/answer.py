"""``ask()``: question (+history) → standalone query → hybrid retrieval → evidence gate →
generation → checked citations → an ``Answer`` (or an honest refusal)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from rag import answerability
from rag.cite import add_evidence, align, cite
from rag.compose import notes, shape
from rag.config import Settings
from rag.errors import QuestionError, RagError
from rag.followup import names, own_words, resolve
from rag.generate.base import REFUSAL, get_generator, split_reasoning
from rag.parts import by_part, compared, conjoined, distinct_periods, drop_names, sides_of
from rag.question import parse, question_parts, rejoin, subjects
from rag.refusal import evidence_refusal, instruction_refusal, missing_entities, passage_refusal, question_names
from rag.retrieve.hybrid import HybridRetriever
from rag.retrieve.sentences import answer_size
from rag.compute import compute, stating, states_for
from rag.retrieve.hints import Hints
from rag.types import Answer, Computed, Evidence, Gate, Waiting
from rag.units import asked_unit

MAX_QUESTION_CHARS = 2000
INCOMPLETE = ("The last ingest has not finished (it is still running, or it was interrupted): some documents may "
              "be missing from the search. If no ingest is running, run `rag ingest` again to finish it.")


class Assistant:
    """Holds the retriever for one index; ``stream`` is thread-safe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.retriever = HybridRetriever(settings)
        self._state: tuple[int, bool] = (0, False)  # files.json's mtime, and whether an ingest is unfinished

    def incomplete(self) -> bool:
        """Whether the index's last ingest has not finished (running, or killed midway): its
        record (``files.json``) still marks the search index as behind the store. Read-only."""
        path = self.settings.index_dir / "files.json"
        try:
            version = path.stat().st_mtime_ns
        except OSError:
            return False
        if version != self._state[0]:
            try:
                self._state = (version, bool(json.loads(path.read_text(encoding="utf-8")).get("bm25_dirty")))
            except (OSError, ValueError):
                self._state = (version, False)
        return self._state[1]

    def stream(self, question: str, *, history=None, filters=None, backend: str | None = None,
               k: int | None = None) -> Iterator[str | Waiting | Answer]:
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
        query, asked, hits, evidence, hints, reason = (gate.query, gate.asked, list(gate.hits), list(gate.evidence),
                                                      gate.hints, gate.reason)
        unfinished = INCOMPLETE if self.incomplete() else ""
        if reason:
            timings["total"] = time.perf_counter() - t
            yield Answer(question, REFUSAL, refused=True, hits=tuple(hits), backend=backend, query=query,
                         timings=timings, reason=" ".join(r for r in (reason, unfinished) if r))
            return
        # A computed answer is its cited rows and the arithmetic, whatever the backend: a model
        # could only restate the rows, and the checker would keep its words, not the rows.
        generator = get_generator("extractive" if gate.computed else backend, self.settings)
        t2 = time.perf_counter()
        full, shown, queued = "", 0, None
        for piece in generator.generate(query, hits, history or (), evidence):
            if isinstance(piece, Waiting):  # the local model is answering others first
                queued = queued or time.perf_counter()
                yield piece
                continue
            if queued and "queued" not in timings:
                timings["queued"] = time.perf_counter() - queued  # seconds spent in the line
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
        if getattr(generator, "name", backend) != "extractive":
            aligned = add_evidence(aligned, evidence, len(evidence))  # what a small model left out, verbatim
        # The answering sentence first, then at most two, within a length; a computed answer keeps its rows.
        aligned = shape(aligned, gate.focus, len(gate.evidence) if gate.computed else 0)
        text, citations, dropped = cite(aligned)
        timings["total"] = time.perf_counter() - t
        refused = not citations
        reason = "Nothing in the retrieved passages supports an answer." if refused else ""
        note = "" if refused else notes(query, aligned, citations, asked, hints.years, gate.computed)
        if gate.missing and not refused:  # one answer per part: say which part the sources leave open
            open_ = ", ".join(f"“{part.rstrip('?')}”" for part in gate.missing)
            note = " ".join(n for n in (f"The sources found do not cover {open_}.", note) if n)
        if unfinished and refused:
            reason = f"{reason} {unfinished}"
        elif unfinished:
            note = " ".join(n for n in (note, unfinished) if n)
        yield Answer(question, REFUSAL if refused else text, citations, refused, tuple(hits), backend,
                     getattr(generator, "model", backend), reasoning, timings, query, dropped, reason, note)


    def gate(self, question: str, history=None, filters=None, k: int = 5, timings: dict | None = None,
             learned: bool = True) -> Gate:
        """Retrieval and the refusal checks, as a ``Gate`` (its fields say what each is).
        ``learned=False`` leaves out the answerability model (its fit script reads the rest)."""
        timings = {} if timings is None else timings
        t = time.perf_counter()
        common = self.retriever.common_word  # "Real", "Highest": capitalized, but no names
        resolved = resolve(question, history, common, self.retriever.subject_word) if history else question
        query = self.retriever.canonical(resolved)
        asked = parse(query)  # the subject apart from the role, instructions and definitions
        hits = self.retriever.retrieve(asked.retrieval_query, k, filters)
        core, missing = asked.core, []
        # Names the index does not know count too: "Acme and Zeta" splits even if Zeta is missing.
        parts = question_parts(core, self.retriever.companies + names(core, common), tails=True)
        sides = sides_of(parts, common)
        sided = compared(sides, common)
        parts = sides if sided else parts
        if sided:  # each subject retrieved, each part checked
            extra = " ".join(asked.statements + asked.definitions)
            hits, missing = by_part(parts, hits, k, lambda part: self.retriever.retrieve(f"{part} {extra}", k, filters),
                                    lambda part, found: passage_refusal(part, found, self.settings.refusal_threshold,
                                                                        common=common))
            if len(missing) < len(parts):  # the rest is answered, and the answer says what is missing
                core = rejoin([p for p in parts if p not in missing])
            missing = missing if len(missing) < len(parts) else []
        elif len(parts) > 1 and distinct_periods([self.retriever.hints(p) for p in parts]):
            # "between the quarter ended … and the one ended …": each period retrieved, as a comparison's sides are.
            hits, _ = by_part(parts, hits, k, lambda part: self.retriever.retrieve(part, k, filters), lambda *_: "")
        timings["retrieve"] = time.perf_counter() - t
        # The passage checks first: an off-topic question is refused without paying for
        # key sentences (~0.2 s of embedding). They judge the core of the question.
        unknown = missing_entities(core, [f"{h.chunk.header()} {h.chunk.text}" for h in hits], common)
        if unknown and conjoined(core) and set(names(core, common)) - set(unknown):
            missing, core = missing + unknown, drop_names(core, unknown)  # "Acme's and Zeta's": Acme's is answered
        # A comparison is covered when each of its parts is: no one passage covers both sides.
        sides = [p for p in parts if p not in missing] if sided else [core]
        coverage = min(max((c for s in subjects(replace(asked, core=side)) for c in self.retriever.coverage(s, hits)),
                           default=0.0) for side in sides)
        own = own_words(question, common) if resolved != question else ""
        if own and max(self.retriever.coverage(own, hits), default=0.0) == 0.0:
            coverage = 0.0  # a follow-up none of whose own words is in a passage changed the subject ("And sourdough?")
        reason = instruction_refusal(question) or passage_refusal(core, hits, self.settings.refusal_threshold,
                                                                  coverage, common)
        # Key sentences for the whole resolved query, its parts newest first: picking them for
        # the follow-up's own parts only measured one item worse on evals/followups/ours.jsonl.
        evidence = self.retriever.key_sentences(core, hits, answer_size(core)) if hits and not reason else []
        hints = self.retriever.hints(core)
        if evidence and not reason and len(sides) > 1:
            # One answer per part: each side is judged on its own (no key sentence names both
            # companies), and a side the key sentences do not answer is left to the note.
            judged = {s: evidence_refusal(s, self._for_side(s, evidence), self.retriever.hints(s), common,
                                          self.retriever.periodless(self.retriever.hints(s))) for s in sides}
            failed = [s for s in sides if judged[s]]
            if len(failed) == len(sides):
                reason = judged[sides[0]]
            elif failed:
                missing, core = missing + failed, rejoin([s for s in sides if s not in failed])
                hints = self.retriever.hints(core)
        else:
            reason = reason or evidence_refusal(core, evidence, hints, common, self.retriever.periodless(hints))
        values = {}
        model = answerability.load_model()
        # A question about names no document is about ("Zeta's capex" over filings that list
        # Zeta as a rival), or about nothing named at all ("Who invented the abacus?"):
        # answered only by a key sentence close enough in meaning, a threshold fit per kind.
        # Acronyms are left out of the names ("ACME" may be a company, "SG&A" is a line item),
        # but any name, acronyms too, may be what the documents are about.
        named = sorted(question_names(core, common))
        foreign = "" if any(self.retriever.subject_word(n) for n in names(core, common)) else \
            "named" if named else "unnamed"
        if evidence and not reason and foreign:
            values["meaning"] = answerability.closeness(core, evidence, self.retriever.embedder.embed)
            if learned and values["meaning"] < model.get(f"foreign_meaning_{foreign}", 0.0):
                about = f"are not about {', '.join(named)}" if named else "name nothing the question is about"
                reason = (f"The indexed documents {about}, and no passage found says what the question asks. "
                          "Ask about the companies, models or documents the sources cover.")
        # The model is off while it fails the held-out sets (answerability.json holds what it
        # measured): its features (one more embedding call) are then made for its fit script only.
        if evidence and not reason and (not learned or model.get("enabled")):
            values = values | answerability.features(core, evidence, coverage, hints, self.retriever.idf,
                                            self.retriever.embedder.embed)
            if learned and answerability.probability(values, model) < model["threshold"]:
                reason = ("The closest passages share words with the question but do not state what it asks. "
                          "Ask about something the sources cover, or name the document, company or period.")
        # A metric of line items ("ROA", "EBITDA less capex"): worked out from the company's
        # rows, which then are the answer's sentences; a computed answer is no refusal.
        done = None
        if hits and not instruction_refusal(question):
            done = self._compute(query, core, hints, hits, filters)
            if done is None and resolved != question:
                # "How does that compare with Zeta's?" after Acme's: the metric, worked out the same
                # way (the earlier turn's definition is in the query), for the company this turn names.
                turn = self.retriever.hints(question)
                done = self._compute(query, core, turn, hits, filters) if len(turn.companies) == 1 else None
        if done and evidence and states_for(evidence[0].text, done.name, int(done.figures[0].year),
                                            evidence[0].hit.chunk.meta):
            done = None  # the filing's own row of the metric answers it
        if done:
            rows = list(dict.fromkeys((f.hit, f.row) for f in done.figures))
            # A filing that states the metric itself ("gross margin was 61.2%") says it first.
            stated = [e for e in evidence[:1] if stating(e.text, done.name)]
            evidence = stated + [Evidence(hit, row, 1.0) for hit, row in rows if row not in {e.text for e in stated}]
            hits += [hit for hit, _ in rows if hit not in hits]
            reason = ""
        timings["evidence"] = time.perf_counter() - t - timings["retrieve"]
        # What this turn asks: a follow-up's answer is shaped by it, not by the turns it leans on.
        focus = parse(question).core if resolved != question else asked.core
        return Gate(query, asked, tuple(hits), tuple(evidence), hints, reason, focus, tuple(missing), foreign, values,
                    done)

    def _compute(self, query: str, core: str, hints, hits, filters=None) -> Computed | None:
        """The metric the question asks for, from the named company's rows (``rag.compute``):
        one company the question names, and no other name that no passage holds ("Acme's and
        Zeta's ROA" is not Acme's alone); the asked fiscal year, else its latest."""
        texts = list(hints.companies) + [f"{h.chunk.header()} {h.chunk.text}" for h in hits]
        if len(hints.companies) != 1 or missing_entities(core, texts, self.retriever.common_word):
            return None
        company = hints.companies[0]
        years = [int(y) for y in hints.years] or [int(y) for d in self.retriever.scope(Hints((company,)))
                                                  if str(y := self.retriever.document(d).get("fiscal_year", "")).isdigit()]
        if not years:
            return None
        return compute(query, core, max(years), company,
                       lambda text: self.retriever.retrieve(f"{company} {text}", 8, {**(filters or {}), "company": company}),
                       asked_unit(query))

    def _for_side(self, side: str, evidence: list) -> list:
        """The key sentences with those whose passage covers more of ``side`` first: the
        checks read the first as the side's answer, and the whole question's best sentence
        may answer the other side."""
        cover = self.retriever.coverage(side, [e.hit for e in evidence])
        return [e for _, e in sorted(zip(cover, evidence), key=lambda t: -t[0])]


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
               settings: Settings | None = None, backend: str | None = None, k: int | None = None) -> Iterator[str | Waiting | Answer]:
    """Yield answer text as it is generated, then the final ``Answer`` (checked citations). While
    the local model answers other questions first, ``Waiting`` items say how many are ahead."""
    return assistant(settings).stream(question, history=history, filters=filters, backend=backend, k=k)


def ask(question: str, *, history: Sequence[dict] | None = None, filters: dict[str, Any] | None = None,
        settings: Settings | None = None, backend: str | None = None, k: int | None = None) -> Answer:
    """Answer a question from the indexed sources, with checked citations or a refusal."""
    final = None
    for event in ask_stream(question, history=history, filters=filters, settings=settings, backend=backend, k=k):
        if isinstance(event, Answer):
            final = event
    return final
