"""Key sentences: the few sentences of the retrieved passages most likely to answer.

Passages are ~230 words; the answer is usually one sentence of one of them. Picking it
well serves every backend: it *is* the extractive answer, it is the compact context a
small local model reads (a 135M model copies figures from five sentences far better than
from five pages, and reads them in a fifth of the time), and it backs up a model answer
that left the figure out.

Candidates are the passages' sentences, their table rows restated with their column
headers (``rag.retrieve.tables``), and their lists' introductions read with the labels of
the items (``rag.retrieve.lines.listed``). Score = meaning (cosine with the question, the same
MiniLM as retrieval) + lexical coverage (idf-weighted, so the question's rare words count
most) + a prior for the better-ranked passages + a bonus when the sentence holds the kind
of answer asked for (``answer_type``), minus a penalty for debris: chart labels (mostly
numbers), captions, table-of-contents lines and list introductions. A many-part question
gets each part's best sentence first (``question_parts``); the rest are picked by maximal
marginal relevance (``diverse``). A passage speaks for the names its document is about
(``rag.retrieve.subjects``): its company, the name its title gives; a comparison's side is
answered, and the rest filled, only by sentences about one of its sides.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from rag.text import split_sentences, tokens
from rag.retrieve.fusion import covered_share, query_weights
from rag.question import question_parts
from rag.retrieve.lines import CAPTION, LINK_ONLY, MAX_CHARS, listed, plain, prose_share
from rag.retrieve.reading import OFF_PERIOD, YEAR, compares, counterpart, off_period, read_on, taken_up
from rag.retrieve.subjects import named, own_names, said_by
from rag.retrieve.tables import table_facts, table_row
from rag.types import Evidence, Hit

QUANTITY = re.compile(r"\b(how (many|much|large|big|long|often|fast|high|low)|what (share|percentage|percent|fraction|"
                      r"portion|amount|number|size|revenue|price|cost|rate|figure|total|value)|when|which year|split|breakdown)\b", re.I)
WEIGHTS = {"meaning": 1.0, "coverage": 1.0, "rank": 0.5, "answer_type": 0.3, "debris": 1.0}
MAX_EMBEDDED = 24
PER_PART = 4  # more sentences embedded for each part of a many-part question
ANSWER_SENTENCES = 3  # key sentences an answer shows (one more for a many-part question): still quick to read
SAME = 0.8  # token overlap above which two sentences say the same thing (filings repeat themselves)


def score(meaning: float, coverage: float, rank: int, k: int, wants: re.Pattern | None, sentence: str,
          table_row: bool = False) -> float:
    """One sentence's score (see the module docstring for the terms); ``wants`` is the
    answer type the question asks for (``answer_type``).

    >>> money = answer_type("How much was revenue?")
    >>> round(score(0.6, 0.5, 0, 5, money, "Revenue was $44.1 billion."), 2)
    1.9
    >>> round(score(0.6, 0.5, 0, 5, money, "Revenue grew in 2024."), 2)
    1.6
    >>> round(score(0.6, 0.5, 0, 5, money, "Capex: (9,100) (2030); (8,200) (2029), in millions.", table_row=True), 2)
    1.9
    >>> round(score(0.6, 0.5, 0, 5, money, "55.0 74.7 43.0 SDXL 63.2"), 2)
    0.6
    """
    w = WEIGHTS
    value = w["meaning"] * meaning + w["coverage"] * coverage + w["rank"] * max(0.0, 1 - rank / max(1, k))
    if wants is not None and wants.search(sentence):
        value += w["answer_type"]
    if not table_row and (prose_share(sentence) < 0.5 or CAPTION.match(sentence) or sentence.rstrip("*_ ").endswith(":")):
        value -= w["debris"]
    return value


# What kind of phrase answers a question (a duration, a share, money...). The first row
# whose question pattern matches wins; a quantity question of no listed kind wants a figure.
_NUM = r"(?<![\w.-])\d[\d.,/]*"  # a figure, not the digit of a name (V3, H800, GPT-4)
ANSWER_TYPES = [(re.compile(q, re.I), re.compile(a, re.I)) for q, a in [
    (r"\bhow long\b|\bduration\b", _NUM + r"\s*(?:-\s*)?(?:days?|hours?|weeks?|months?|years?|minutes?)\b"),
    (r"\bhow often\b", _NUM + r"\s*(?:%|percent)|\b(?:daily|weekly|monthly|quarterly|annually|yearly|every)\b"),
    (r"\b(share|percentage|percent|fraction|portion|proportion|rate|margin|growth|grow|mix|composition|concentrat\w*)\b",
     _NUM + r"\s*(?:%|percent)"),
    (r"\bspeed ?up\b|\bhow (fast|much faster)\b", _NUM + r"\s*(?:x|×|times)\b|" + _NUM + r"\s*%"),
    # A filing's cash flow statement names capital expenditures by what was bought.
    (r"\bcapital expenditures?\b", r"(?:purchases? of|additions to|payments for|investments? in) (?:property|plant)|"
     r"capital (?:expenditures|spending)"),
    (r"\b(cost|spend|spent|revenue|price|sales|budget|charge|income|expenditures?|paid|earn\w*|worth)\b",
     r"\$\s?\d|" + _NUM + r"\s*(?:billion|million|trillion)\b|\bdollars\b|, in (?:thousands|millions|billions)\.$"),
    (r"\bhow (big|large)\b|\bsize\b|\bhow many (tokens|parameters)\b",
     _NUM + r"\s*(?:[kmbt]|gb|tb|billion|million|trillion|tokens|parameters)\b"),
    (r"\bhow (does|did|do) .{2,60}\b(do|perform|score)\b", r"\d\.\d|\d\s*%"),  # scores, not counts
    (r"\bwhen\b|\bwhat (date|year|month|day)\b", r"\b(?:19|20)\d\d\b|\b(?:January|February|March|April|May|June|"
     r"July|August|September|October|November|December)\b"),
    (r"\b(hardware|gpus?|chips?|cluster|accelerators?)\b", r"\b(?:GPUs?|TPUs?|[AHB]\d{2,3}\b|nodes?\b|cluster)"),
]]


_FIGURE = re.compile(r"\b(?:revenue|sales|income|earnings|margin|expenses?|cash|profit|eps|capex|capital expenditures?|"
                     r"cost|price|ratio|percent|share|rate|growth|spen[dt]\w*|paid|assets|liabilities|debt)\b", re.I)


def asks_figure(question: str) -> bool:
    """Whether the question asks for a number: how many/much, or a financial quantity.

    >>> asks_figure("How many GPUs were used?"), asks_figure("Who founded Acme?")
    (True, False)
    """
    return bool(QUANTITY.search(question) or _FIGURE.search(question))


def answer_type(question: str) -> re.Pattern | None:
    """The pattern an answering sentence is likely to contain, or None.

    >>> answer_type("How long did training take?").search("It took 14 days.") is not None
    True
    >>> answer_type("What is MLA?") is None
    True
    >>> answer_type("Were they licensed to resume sales?") is None  # yes or no, not an amount of sales
    True
    """
    if _YES_NO.match(question) and not QUANTITY.search(question):
        return None
    for asks, answers in ANSWER_TYPES:
        if asks.search(question):
            return answers
    return _ANY_FIGURE if QUANTITY.search(question) else None


_ANY_FIGURE = re.compile(_NUM)
_YES_NO = re.compile(r"^\s*(?:is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b", re.I)

@lru_cache(maxsize=8192)
def token_set(sentence: str) -> frozenset[str]:
    """``tokens`` as a set, cached: scoring and de-duplication both need each sentence's."""
    return frozenset(tokens(sentence))


def distinct(ranked: Sequence[tuple[float, int, str]], n: int, of=min) -> list[tuple[float, int, str]]:
    """The best ``n``, skipping any that mostly repeats one already taken: ``SAME`` of the
    shorter's words (``of=max``: of the longer's, so only a near copy is a repeat).

    >>> distinct([(3, 0, "Sales to two customers were 11% and 13%."), (2, 1, "Sales to two customers were 11% and 13%."),
    ...           (1, 0, "Revenue rose.")], 2)
    [(3, 0, 'Sales to two customers were 11% and 13%.'), (1, 0, 'Revenue rose.')]
    >>> len(distinct([(2, 0, "Acme bought stock for $5 in 2030."), (1, 1, "Zeta bought no stock in 2030.")], 2, of=max))
    2
    """
    chosen: list[tuple[float, int, str]] = []
    seen: list[frozenset[str]] = []
    for item in ranked:
        toks = token_set(item[2])
        if any(len(toks & s) >= SAME * max(1, of(len(toks), len(s))) for s in seen):
            continue
        chosen.append(item)
        seen.append(toks)
        if len(chosen) == n:
            break
    return chosen


def diverse(chosen: list[tuple[float, int, str]], ranked: list[tuple[float, int, str]],
            vector_of: dict[str, np.ndarray], n: int) -> list[tuple[float, int, str]]:
    """Fill ``chosen`` up to ``n`` from ``ranked`` by maximal marginal relevance: each next
    sentence's score is lowered by ``REDUNDANCY`` × its cosine to the closest one already
    chosen, so a second sentence restating the first ("a license is required for H20")
    gives way to one that adds something ("USG will receive 15% of the revenue").

    >>> v = {"a": np.array([1.0, 0.0]), "a2": np.array([0.99, 0.14]), "b": np.array([0.0, 1.0])}
    >>> [t for _, _, t in diverse([], [(2.0, 0, "a"), (1.9, 0, "a2"), (1.8, 0, "b")], v, 2)]
    ['a', 'b']
    """
    chosen = list(chosen)
    pool = [item for item in ranked if item[2] not in {c[2] for c in chosen}]
    while pool and len(chosen) < n:
        def adjusted(item):
            sims = [float(vector_of[item[2]] @ vector_of[c[2]]) for c in chosen if c[2] in vector_of]
            return item[0] - REDUNDANCY * max(sims, default=0.0)
        best = max(pool, key=adjusted)
        chosen.append(best)
        pool.remove(best)
    return chosen


REDUNDANCY = 0.2
def answer_size(query: str) -> int:
    """How many key sentences an answer shows: three, four when the question has several
    parts (each part's own sentence comes first, and two still back the whole question).

    >>> answer_size("What is RoPE?"), answer_size("What is RoPE, and why is it used?")
    (3, 4)
    """
    return ANSWER_SENTENCES + (len(question_parts(query, tails=True)) > 1)


def key_sentences(query: str, hits: Sequence[Hit], idf: dict[str, float],
                  embed: Callable[[list[str]], np.ndarray], n: int = 4, names: Sequence[str] = (),
                  subjects: Sequence[str] = ()) -> list[Evidence]:
    """``n`` distinct sentences of ``hits`` for ``query``: with a many-part question the best
    sentence for each part first, in the parts' order; then the best for the whole question,
    each next one picked by ``diverse`` (score less redundancy with those already chosen).
    ``names``: the companies of the hits' documents; ``subjects``: the names the question
    gives (``rag.followup.names``), which a document speaks for when its title gives them."""
    # (passage rank, text, is a restated table row): financial figures live in table rows.
    # The prior of a sentence is the rank of the chunk it sits in: a passage of neighbouring
    # chunks (rag.retrieve.passages) holds chunks of several ranks.
    candidates, prior = [], []
    place: dict[tuple[int, str], int] = {}  # a prose sentence's place in its passage (its first, if repeated)
    order = itertools.count()
    for rank, hit in enumerate(hits):
        lists = [(start, end, s) for start, end, s in listed(hit.chunk.text) if len(s) <= MAX_CHARS]
        spots = []  # (where in the passage, candidate): places follow the text, lists among sentences
        at = 0
        for s in split_sentences(hit.chunk.text):
            at = max(hit.chunk.text.find(s[:40], at), at)
            # A line that a list candidate restates whole is no candidate of its own: an item
            # alone would outrank the list and then bar it as a repeat.
            if any(start <= at < end for start, end, _ in lists):
                continue
            if 20 <= len(s) <= MAX_CHARS and len(re.findall(r"[A-Za-z]{2,}", s)) >= 4 and not LINK_ONLY.match(s):
                candidates.append((rank, plain(s), False))
                prior.append(hit.rank_at(at, rank))
                spots.append((at, candidates[-1][1]))
        for start, _, s in lists:
            candidates.append((rank, plain(s), False))
            prior.append(hit.rank_at(start, rank))
            spots.append((start, candidates[-1][1]))
        for _, text in sorted(spots, key=lambda spot: spot[0]):
            place.setdefault((rank, text), next(order))
    for rank, hit in enumerate(hits):
        # Not ``hit.passage``: its "…" line would read as a row group's label.
        facts = table_facts(f"{hit.context}\n{hit.chunk.text}" if hit.context else hit.chunk.text)
        # A table continued from the chunk above has lost its header: its rows still say
        # which line item holds which figures ("Purchases of property … (1,250) (1,100)").
        facts = facts or [line.strip() for line in hit.chunk.text.splitlines() if table_row(line)]
        rows = [f for f in facts if len(f) <= MAX_CHARS]
        candidates += [(rank, f, True) for f in rows]
        prior += [min((r for _, r in hit.chunk_ranks), default=rank)] * len(rows)
    if not candidates:
        return []
    parts = question_parts(query, names, tails=True)
    said = [said_by(query, hit, names, subjects) for hit in hits]
    spoken = [frozenset().union(*(token_set(n) for n in s)) for s in said]
    have = [token_set(s) | spoken[r] for r, s, _ in candidates]
    whole = query_weights(set(tokens(query)), idf)
    lexical = [covered_share(whole, h) for h in have]
    # Embedding costs ~3 ms a sentence on 2 cores: only the lexically plausible ones are embedded.
    def plausible(share: list[float]) -> list[int]:
        return sorted(range(len(candidates)), key=lambda i: -(share[i] + 0.5 * max(0.0, 1 - prior[i] / len(hits))))

    keep = plausible(lexical)[:MAX_EMBEDDED]
    asked = [query] + (parts if len(parts) > 1 else [])
    for part in asked[1:]:  # each part's own likeliest too: its words may be rare in the whole question
        mine = query_weights(set(tokens(part)), idf)
        keep += [i for i in plausible([covered_share(mine, h) for h in have])[:PER_PART] if i not in keep]
    vectors = embed(asked + [candidates[i][1] for i in keep])
    meaning = vectors[len(asked):] @ vectors[:len(asked)].T  # sentence × (question, part...)

    years = set(YEAR.findall(query))

    def ranked(col: int, question: str) -> list[tuple[float, int, str]]:
        # A part is scored half on itself, half on the whole question: "how long did
        # training take?" alone has lost which model it is about.
        mix = 0.5 if col else 0.0
        weights = query_weights(set(tokens(question)), idf) if mix else whole
        # The whole question's half leaves out the other parts' own words: "what was the mix,
        # and how many tokens in total?" must not score the total's sentence on "mix". A part
        # of fewer than two words of its own ("And the year before?") leans on the others.
        own = set(tokens(question))
        others = {t for k, p in enumerate(asked[1:], 1) if k != col for t in tokens(p)} - own if len(own) > 1 else set()
        context = {t: w for t, w in whole.items() if t not in others} if mix else whole
        wants = answer_type(question)
        out = []
        for j, i in enumerate(keep):
            rank, text, table_row = candidates[i]
            m = mix * meaning[j, col] + (1 - mix) * meaning[j, 0]
            cov = mix * covered_share(weights, have[i]) + (1 - mix) * covered_share(context, have[i]) if mix else lexical[i]
            value = score(float(m), cov, prior[i], len(hits), wants, text, table_row)
            out.append((value - OFF_PERIOD * off_period(years, text), rank, text))
        return sorted(out, key=lambda t: -t[0])

    # A part that names a subject of its own ("… Zorblax-3 than Zorblax-2") is answered by a
    # sentence about that subject, not by the other part's, which the whole question favours.
    own = own_names(parts, subjects)

    def about(names_: Sequence[str], rank: int, text: str) -> bool:
        # In a document about one of the part's names, or naming them all: a part's second
        # name is often a term ("the SFT dataset built for Zorblax-3"), not a second subject.
        return any(n in said[rank] for n in names_) or all(named(n, text) for n in names_)

    firsts = [distinct([t for t in ranked(col, part) if about(own[col - 1], t[1], t[2])] or ranked(col, part), 1)
              for col, part in enumerate(asked[1:], 1)]
    vector_of = {candidates[i][1]: v for i, v in zip(keep, vectors[len(asked):])}
    # A comparison's other sentences are about one of its sides, not a sibling of one.
    whole_ranked = ranked(0, query)
    if any(own):
        whole_ranked = [t for t in whole_ranked if any(about(o, t[1], t[2]) for o in own if o)] or whole_ranked
    if answer_type(query) is None and len(asked) == 1:
        whole_ranked = read_on(whole_ranked, place)
    # Each part's own sentence is a repeat only when it copies another's nearly whole: "There
    # were no repurchases of common stock in 2024" shares most of its few words with any buyback.
    chosen = diverse(distinct([f[0] for f in firsts if f], n, of=max), distinct(whole_ranked, len(keep)), vector_of, n)
    if not asks_figure(query) or answer_type(query) is None:  # no figure asked, or a yes or no
        chosen = taken_up(chosen, place, set(token_set(query)), idf, n)
    if compares(query) and not any(own) and chosen:
        chosen = counterpart(chosen, whole_ranked, hits, vector_of, n)
    return [Evidence(hits[rank], " ".join(s.split()), round(value, 4)) for value, rank, s in chosen]
