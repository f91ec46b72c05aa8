"""The pipeline's data, as small frozen dataclasses: SourceDoc → Chunk → Hit → Evidence → Gate → Citation → Answer.

Everything that crosses a module boundary is one of these, so a newcomer can read the
whole flow from this file. Offsets are character offsets into ``SourceDoc.text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the question parser and the hints import this module
    from rag.question import Question
    from rag.retrieve.hints import Hints


@dataclass(frozen=True)
class Page:
    """A page (or page-like span) of a document's extracted text: ``text[start:end]``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A heading and where its section starts in the extracted text."""

    start: int
    title: str


@dataclass(frozen=True)
class SourceDoc:
    """One parsed file: its full extracted text plus the structure found in it."""

    doc_id: str
    path: str
    text: str
    pages: tuple[Page, ...] = ()
    sections: tuple[Section, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def page_at(self, offset: int) -> int | None:
        """Page number containing ``offset`` (None for page-less formats)."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, small enough for the embedder, with its provenance.

    Invariant: ``text == SourceDoc.text[char_start:char_end]``.
    """

    id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    page: int | None = None
    section: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @staticmethod
    def make_id(doc_id: str, char_start: int, text: str) -> str:
        """Content-hash id: the same text at the same place gets the same id on every run.

        >>> Chunk.make_id("doc", 0, "hello") == Chunk.make_id("doc", 0, "hello")
        True
        """
        digest = hashlib.sha256(f"{doc_id}\x00{char_start}\x00{text}".encode()).hexdigest()
        return f"{doc_id[:40]}:{digest[:16]}"

    def embedding_text(self) -> str:
        """What the embedder reads: the title, then the text (the section is left to BM25,
        since every header word costs embedding time on every chunk)."""
        return f"{self.meta.get('title') or self.doc_id}\n{self.text}"

    def header(self) -> str:
        """A one-line context (title, section) embedded and indexed with the text.

        Filings repeat near-identical passages across companies and years; the title
        ("NVIDIA ... fiscal 2025") is what tells them apart.
        """
        title = str(self.meta.get("title") or self.doc_id)
        return f"{title} | {self.section}" if self.section else title


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the ranks each retriever gave it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    coverage: float = 0.0  # idf-weighted share of the query's words found in the passage
    context: str = ""  # the header of a table the passage opens inside (from the page above it)
    # A passage of neighbouring chunks (rag.retrieve.passages): per chunk, where it ends in
    # the text and its rank among the retrieved chunks, which key sentences read as their prior.
    chunk_ranks: tuple[tuple[int, int], ...] = field(default=(), hash=False, compare=False)

    def rank_at(self, offset: int, default: int) -> int:
        """The rank of the chunk that holds character ``offset`` of the text; ``default``
        for a single chunk.

        >>> h = Hit(Chunk("c", "d", "aaa bbb", 0, 7), 1.0, chunk_ranks=((3, 0), (7, 4)))
        >>> h.rank_at(1, 9), h.rank_at(5, 9), Hit(Chunk("c", "d", "a", 0, 1), 1.0).rank_at(0, 2)
        (0, 4, 2)
        """
        return next((rank for end, rank in self.chunk_ranks if offset < end), default)

    @property
    def passage(self) -> str:
        """What a citation of this hit shows and is checked against: the chunk's text, under
        the table header it lost to the chunk above.

        >>> Hit(Chunk("c", "d", "Dividends paid (389) (353)", 0, 26), 1.0, context="(In millions)\\n2020 2019").passage
        '(In millions)\\n2020 2019\\n…\\nDividends paid (389) (353)'
        """
        return f"{self.context}\n…\n{self.chunk.text}" if self.context else self.chunk.text


@dataclass(frozen=True)
class Evidence:
    """A sentence of a retrieved passage judged likely to answer the question."""

    hit: Hit
    text: str
    score: float


@dataclass(frozen=True)
class Figure:
    """One input: a line item's value in one year's column of a restated row."""

    item: str  # what the formula asked for ("net income")
    year: str
    value: float
    text: str  # as the row writes it: "(1,250)"
    row: str  # the restated row ("Purchases of PP&E: (1,250) (2030); (1,100) (2029), in millions.")
    hit: Hit
    unit: str = ""  # "millions", "thousands", "billions" or ""


@dataclass(frozen=True)
class Computed:
    name: str  # the metric as asked ("return on assets (ROA)")
    value: float
    shown: str  # the result as the note writes it ("0.07", "12.5%", "2,150.4 (in millions)")
    expression: str  # with ``{0}``, ``{1}``... where the figures go
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Gate:
    """What retrieval and the refusal checks found for one question (``Assistant.gate``)."""

    query: str  # the standalone query (a follow-up with the turns it leans on)
    asked: Question  # the query parsed: its core apart from role, instructions and definitions
    hits: tuple[Hit, ...]
    evidence: tuple[Evidence, ...]  # the key sentences
    hints: Hints  # the company, form and period the core names
    reason: str = ""  # why to refuse, in words for the user ("": answer)
    focus: str = ""  # what this turn asks (a follow-up's own question): it shapes the answer
    missing: tuple[str, ...] = ()  # parts or names the sources do not cover (said in the note)
    foreign: str = ""  # "named" / "unnamed": the question names nothing the documents are about
    features: dict[str, float] = field(default_factory=dict, hash=False, compare=False)  # answerability
    computed: Computed | None = None  # a metric worked out from the company's rows (rag.compute)


@dataclass(frozen=True)
class Waiting:
    """A streamed answer's place in the local model's line: ``ahead`` questions go first
    (the one being answered included). Only ``ask_stream`` yields it, before any text."""

    ahead: int

    def message(self) -> str:
        """What a waiting user reads.

        >>> Waiting(2).message()
        'Waiting for the model: 2 questions ahead of yours.'
        """
        return f"Waiting for the model: {self.ahead} question{'s' if self.ahead != 1 else ''} ahead of yours."


@dataclass(frozen=True)
class Citation:
    """A checked pointer from an answer sentence to the passage that supports it."""

    marker: int
    chunk_id: str
    doc_id: str
    title: str
    quote: str
    page: int | None = None
    section: str = ""
    publisher: str = ""
    date: str = ""
    url: str | None = None
    score: float = 0.0
    supported: bool = True

    def source_line(self) -> str:
        """Title, then what is known of publisher, date and page (an upload may have none).

        >>> Citation(1, "c", "d", "Notes", "q", page=3, date="2026-12-01").source_line()
        'Notes (2026-12-01), p. 3'
        >>> Citation(1, "c", "d", "Notes", "q").source_line()
        'Notes'
        """
        known = ", ".join(part for part in (self.publisher, self.date) if part)
        return f"{self.title}{f' ({known})' if known else ''}{f', p. {self.page}' if self.page else ''}"


@dataclass(frozen=True)
class Answer:
    """What ``ask()`` returns."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    hits: tuple[Hit, ...] = ()
    backend: str = ""
    model: str = ""
    reasoning: str = ""
    timings: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    query: str = ""  # the standalone query retrieval used (a follow-up rewritten with its history)
    unsupported: tuple[str, ...] = ()  # generated sentences no passage supports: removed from ``text``
    reason: str = ""  # why a refusal refused, in words for the user
    note: str = ""  # arithmetic on the cited figures: one in the asked unit, or a value to compute from line items

    def to_dict(self) -> dict[str, Any]:
        """Everything, hits included, as JSON-ready data (the CLI's ``--json``)."""
        data = asdict(self)
        for hit in data["hits"]:
            hit["chunk"].pop("meta", None)
            chunk = next(h.chunk for h in self.hits if h.chunk.id == hit["chunk"]["id"])
            hit["chunk"].update(file=chunk.meta.get("file", ""), title=chunk.meta.get("title", ""))
        return data


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be ingested, and why (the rest of the run goes on)."""

    path: str
    error: str


@dataclass(frozen=True)
class IngestReport:
    """Summary of one ingest run; ``to_dict()`` is the CLI's ``--json`` object."""

    documents: int
    added: int
    updated: int
    unchanged: int
    removed: int
    failed: tuple[FileFailure, ...]
    chunks: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    pages: int = 0
    skipped: tuple[str, ...] = ()  # files in the given folders with an unsupported type

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self, *, with_stages: bool = False) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        if not with_stages:
            data.pop("stages")
            data.pop("pages")
        return data
