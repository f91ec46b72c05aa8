"""Hybrid retrieval: BM25 ∥ dense (Chroma) → reciprocal rank fusion → hint boosts → filters."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from rag.config import Settings
from rag.errors import EmptyIndexError
from rag.text import tokens
from rag.retrieve.bm25 import BM25Index, token_set
from rag.retrieve.filters import check_filters, matches
from rag.retrieve.fusion import covered_share, query_weights, ranks, rrf
from rag.retrieve.hints import Hints, boost, formal, mentions, parse_hints, period_match, symbol_like
from rag.retrieve.statements import statement_pages, statements_asked
from rag.retrieve.dense import nearest
from rag.followup import names as question_names
from rag.retrieve.passages import header_above, join, runs, widen
from rag.retrieve.sentences import key_sentences
from rag.retrieve.subjects import owner_of, word_count
from rag.types import Evidence, Hit

_token_set = token_set  # the coverage rerank's fallback for a chunk without a stored set



class Retriever(Protocol):
    def retrieve(self, query: str, k: int, filters: dict[str, Any] | None = None) -> list[Hit]: ...


class HybridRetriever:
    """Loads the BM25 index and the store once; safe to share between threads."""

    candidates = 40  # per retriever, before fusion
    # Tuned on the dev set's retrieval only (evidence recall@5 0.72 → 0.875), on a plateau:
    # the choice of boosts moved it by < 0.03. MiniLM is the weaker ranker on these filings.
    weights = {"bm25": 1.0, "dense": 0.5, "statement": 1.0}
    coverage_weight = 4.0
    statement_boost = 1.5  # a chunk on a page of the financial statement the question names
    line_items = True  # a named line item ("total current assets") points at its statement too

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._bm25 = None
        self._subjects: set[str] = set()  # the words of the documents' titles and companies
        self._headings: set[str] = set()  # the words of their section headings
        self._idf: dict[str, float] = {}
        self._token_sets: Mapping[str, frozenset[str]] = {}
        self._version = None
        self._docs: dict[str, dict] = {}  # doc_id → the fields its chunks carry
        self._doc_of = np.zeros(0, dtype=np.int32)  # chunk position → index into _doc_ids
        self._doc_ids: list[str] = []
        self._statement_pages: list[np.ndarray] = []  # per financial statement: chunks on its pages
        self._position: dict[str, int] = {}
        self._owners: dict[str, str | None] = {}  # name → its owner company (``owner``), per index

    @property
    def bm25(self):
        """The lexical index, reloaded when an ingest (CLI, UI upload) has swapped in a new one."""
        records = self.settings.index_dir / "bm25" / "chunks.jsonl"
        with self._lock:
            try:
                version = records.stat().st_mtime_ns
            except FileNotFoundError:
                raise EmptyIndexError(f"No index at {self.settings.index_dir}. Run `rag ingest` (or `make run`) first.") from None
            if version != self._version:
                index = BM25Index(records.parent)
                if not index.chunks:
                    raise EmptyIndexError(f"The index at {self.settings.index_dir} is empty. Run `rag ingest PATH` first.")
                # Each passage's token set (every query's coverage rerank) and the idf
                # table come stored with the index (computed at build time, 0.95 s saved).
                self._token_sets, self._idf = index.token_sets, index.idf
                self._docs = {c.doc_id: c.meta for c in reversed(index.chunks)}
                self._doc_ids = list(self._docs)
                position = {d: i for i, d in enumerate(self._doc_ids)}
                self._doc_of = np.array([position[c.doc_id] for c in index.chunks], dtype=np.int32)
                self._statement_pages = statement_pages(index.chunks)
                self._position = {c.id: i for i, c in enumerate(index.chunks)}
                self._text, self._common, self._owners = None, {}, {}
                self._subjects = {t for m in self._docs.values()
                                  for t in tokens(f"{m.get('title', '')} {m.get('company', '')}") if not t.isdigit()}
                # Each distinct heading once: chunks repeat their section (0.2 s → 0.02 s on 25k chunks).
                self._headings = {t for section in {c.section for c in index.chunks if c.section} for t in tokens(section)}
                self._bm25, self._version = index, version
            return self._bm25

    @property
    def idf(self) -> dict[str, float]:
        self.bm25  # noqa: B018 - reloads the table with the index when it changed
        return self._idf

    @cached_property
    def store(self):
        from rag.store import open_store

        return open_store(self.settings)

    @cached_property
    def embedder(self):
        from rag.embed import get_embedder

        return get_embedder(self.settings)

    @property
    def companies(self) -> list[str]:
        """The companies the indexed documents are about (from their own fields)."""
        self.bm25  # noqa: B018 - reloads with the index
        return sorted({str(m["company"]) for m in self._docs.values() if m.get("company")})

    @property
    def tickers(self) -> dict[str, str]:
        """Trading symbol → company, as the filings' covers state them."""
        self.bm25  # noqa: B018 - reloads with the index
        return {str(m["ticker"]): str(m["company"]) for m in self._docs.values() if m.get("ticker") and m.get("company")}

    def document(self, doc_id: str) -> dict:
        """The fields a document's chunks carry (company, form, fiscal year…); {} if unknown."""
        self.bm25  # noqa: B018 - reloads with the index
        return self._docs.get(doc_id, {})

    def hints(self, query: str) -> Hints:
        owners = [self.owner(n) for n in question_names(query, self.common_word)]
        extra = " ".join(o for o in owners if o and not mentions(query, o, self.companies))
        return parse_hints(f"{query} {extra}" if extra else query, self.companies, self.tickers)

    def owner(self, name: str) -> str | None:
        """The company a name belongs to when that company's documents write nearly all of its
        mentions: a segment or product ("Did the parent company of Zeta Cloud buy back
        stock?"), which partners' filings mention now and then. None when a document of no
        company (a paper, an article) writes it too."""
        words, bm25 = set(tokens(name)), self.bm25
        with self._lock:  # one index's fields together: a reload swaps them all
            docs, token_sets, cache = self._docs, self._token_sets, self._owners
        if not words or name in cache:  # a scan of every chunk: ~10 ms on 25k
            return cache.get(name)
        found = owner_of(docs[c.doc_id].get("company") for c in bm25.chunks if words <= token_sets.get(c.id, frozenset()))
        if len(cache) > 10_000:  # users' names are many; the cache stays small
            with self._lock:
                self._owners = cache = {}
        cache[name] = found
        return found

    def canonical(self, query: str) -> str:
        """The query with trading symbols spelled as the company's name ("JnJ's margin" →
        "Johnson & Johnson's margin"): passages name companies, rarely their symbols.

        A symbol counts only where it is written as one (``hints.symbol_like``: not "pep", not "What").
        """
        for ticker, company in self.tickers.items():
            if mentions(query, company, self.companies):
                continue  # named already: "CVS Health" is not rewritten to "CVS Health Health"
            query = re.sub(rf"\b{re.escape(ticker)}\b", lambda m: company if symbol_like(m.group(0)) else m.group(0),
                           query, flags=re.I)
        return query

    def scope(self, hints: Hints) -> list[str]:
        """The documents a question points at: the named company's that fit the named period
        best (all of its documents when none fits; [] when it names no company).

        A question about FY2019 in an index holding only the FY2021 10-K is answered from
        its comparative columns, so the best fit is kept even when it is not exact.
        """
        if not hints.companies:
            return []
        theirs = {d: period_match(m, hints) for d, m in self._docs.items() if m.get("company") in hints.companies}
        best = max(theirs.values(), default=0.0)
        return [d for d, fit in theirs.items() if fit == best or fit >= 0.8] if best > 0 else list(theirs)

    def periodless(self, hints: Hints) -> dict[str, list[str]]:
        """The named companies none of whose documents is of the asked period, or holds it
        in its comparative columns (``period_match`` 0 for all: "Acme's 2031 revenue" over
        filings of 2024 and 2025), each with the fiscal years its documents are of. {} when
        the question names no company or no period.

        Not a pure function (it reads the index); ``period_match`` has the worked examples.
        """
        if not (hints.companies and hints.period):
            return {}
        self.bm25  # noqa: B018 - reloads with the index
        # By year only: an annual report states each quarter's dividend, and a fourth
        # quarter's release is of the year another calendar names one higher.
        hints = Hints(hints.companies, years=hints.years or tuple(sorted({d[:4] for d in hints.dates})))
        fits: dict[str, list[tuple[float, str]]] = {}
        for meta in self._docs.values():
            if meta.get("company") in hints.companies:
                fits.setdefault(meta["company"], []).append((period_match(meta, hints), str(meta.get("fiscal_year", ""))))
        return {c: sorted({y for _, y in f if y}) for c, f in fits.items() if max(fit for fit, _ in f) == 0.0}

    def common_word(self, word: str) -> bool:
        """Whether the sources write ``word`` in lower case often enough for it to be a
        capitalized common word of a question ("Real Growth", "the Highest Margin"),
        not a name. Names are written capitalized, except in URLs and handles (left out).
        On both development corpora the names questions use are ≤ 25 % lower case and
        capitalized common words ≥ 44 %: one third lies between. Scans the chunk texts
        (~0.1 s on 25k chunks), only for a word no retrieved passage holds.

        Not a pure function (it reads the index); ``missing_entities`` has the worked example.
        """
        bm25 = self.bm25
        if word not in self._common:
            if self._text is None:
                self._text = "\n".join(c.text for c in bm25.chunks)
                self._lowered = self._text.lower()
            w = word.lower()
            lower, spots = word_count(self._text, w), word_count(self._lowered, w)
            self._common[word] = spots > 0 and 3 * lower >= spots
        return self._common[word]

    def subject_word(self, word: str) -> bool:
        """Whether ``word`` names what some document or section is about: one of its words is in
        a document's title or company ("Acme-7B" for "Acme: a report"), or all are in section
        headings ("Multi-head" latent attention). Not "GPU" or "BF16", or a rival a filing lists."""
        _ = self.bm25
        words = set(tokens(word))
        return bool(words & self._subjects) or bool(words) and words <= self._headings

    def coverage(self, query: str, hits: list[Hit]) -> list[float]:
        """Each hit's idf-weighted share of ``query``'s words (the refusal gate's off-topic test)."""
        weights = query_weights(set(tokens(formal(query))), self.idf)
        return [covered_share(weights, self._token_sets.get(h.chunk.id) or _token_set(h.chunk)) for h in hits]

    def key_sentences(self, query: str, hits: list[Hit], n: int = 4) -> list[Evidence]:
        """The sentences of ``hits`` most likely to answer ``query`` (``rag.retrieve.sentences``):
        of the named companies' documents, when the question names any (its own rivals'
        passages on the same topic read alike, and a name answers for its owner)."""
        named = self.hints(query).companies
        hits = [h for h in hits if not h.chunk.meta.get("company") or h.chunk.meta["company"] in named] or hits \
            if named else hits
        names = tuple({str(h.chunk.meta["company"]) for h in hits if h.chunk.meta.get("company")})
        return key_sentences(formal(query), hits, self.idf, self.embedder.embed, n, names,
                             question_names(query, self.common_word))

    def retrieve(self, query: str, k: int, filters: dict[str, Any] | None = None) -> list[Hit]:
        filters = check_filters(filters)
        query = formal(query)
        bm25 = self.bm25
        mask = None
        if filters:
            mask = np.array([matches(c, filters) for c in bm25.chunks], dtype=np.float32)
            if not mask.any():
                return []
        lexical = bm25.search(query, self.candidates, mask=mask)
        vector = self.embedder.embed_query(query)
        if bm25.vectors is not None and not self.settings.chroma_url:  # never opens the store (rag.retrieve.dense)
            dense = [(bm25.chunks[i], score) for i, score in nearest(bm25.vectors, vector, self.candidates, mask)]
        else:
            dense = [(c, s) for c, s in self.store.query(vector, self.candidates * 2) if matches(c, filters)][: self.candidates]
        rankings = {"bm25": [c.id for c, _ in lexical], "dense": [c.id for c, _ in dense]}
        found = lexical + dense
        hints = self.hints(query)
        scope = self.scope(hints)
        asked = statements_asked(query, items=self.line_items)
        on_statement = np.zeros(len(bm25.chunks), dtype=bool)
        for i in asked:
            on_statement |= self._statement_pages[i]
        if asked and on_statement.any():
            # "…shown in the cash flow statement": the statement's own pages, searched on
            # their own (within the named company's filings when it names one).
            inside = on_statement if not scope else on_statement & np.isin(self._doc_of, [self._doc_ids.index(d) for d in scope])
            pages = bm25.search(query, self.candidates, mask=inside.astype(np.float32) * (1 if mask is None else mask))
            rankings["statement"] = [c.id for c, _ in pages]
            found += pages
        by_id = {c.id: c for c, _ in found}
        fused = rrf(rankings, weights=self.weights)
        idf, token_sets, wanted = self._idf, self._token_sets, set(tokens(query))
        weights = query_weights(wanted, idf)
        covered = {i: covered_share(weights, token_sets.get(i) or _token_set(c)) for i, c in by_id.items()}
        # Rerank: fused rank × form/company/period hints × how much of the question the passage covers.
        scored = {i: s * boost(by_id[i].meta, hints) * (1 + self.coverage_weight * covered[i])
                  * (self.statement_boost if asked and i in self._position and on_statement[self._position[i]] else 1.0)
                  for i, s in fused.items()}
        where = ranks(rankings)
        best = sorted(scored, key=scored.get, reverse=True)
        known = [i for i in best if i in self._position]  # a Chroma-server hit the BM25 records lack stands alone
        if len(known) < len(best):
            return [Hit(by_id[i], scored[i], where[i], covered[i], self._above(i)) for i in best[:k]]
        hits, rank_of = [], {i: r for r, i in enumerate(best)}
        for n, run in enumerate(runs([self._position[i] for i in best], bm25.chunks, k)):
            # The best passage with the prose just before it (passages.widen).
            parts = [bm25.chunks[p] for p in (widen(run, bm25.chunks) if n == 0 else run)]
            ids = [c.id for c in parts]
            top = max(ids, key=lambda i: scored.get(i, 0.0))
            cover = covered[top] if len(ids) == 1 else covered_share(weights, frozenset().union(
                *(token_sets.get(c.id) or _token_set(c) for c in parts)))
            own = tuple((c.char_end - parts[0].char_start, rank_of.get(c.id, len(best))) for c in parts)
            hits.append(Hit(join(parts), scored[top], where[top], cover, self._above(ids[0]), own))
        return hits

    def _above(self, chunk_id: str) -> str:
        at = self._position.get(chunk_id)
        return "" if at is None else header_above(self._bm25.chunks, at)
