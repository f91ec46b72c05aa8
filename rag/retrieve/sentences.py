"""Key sentences: the few sentences of the retrieved passages most likely to answer.

Passages are ~230 words; the answer is usually one sentence of one of them. Picking it
well serves every backend: it *is* the extractive answer, it is the compact context a
small local model reads (a 135M model copies figures from five sentences far better than
from five pages, and reads them in a fifth of the time), and it backs up a model answer
that left the figure out.

Score = meaning (cosine with the question, the same MiniLM as retrieval) + lexical
coverage (idf-weighted, so the question's rare words count most) + a prior for the
better-ranked passages + a bonus for a figure when the question asks for a quantity,
minus a penalty for chart and table debris (PDF figure labels are mostly numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from rag.cite import split_sentences, tokens
from rag.retrieve.fusion import covered_share, query_weights
from rag.types import Evidence, Hit

QUANTITY = re.compile(r"\b(how (many|much|large|big|long|often|fast|high|low)|what (share|percentage|percent|fraction|"
                      r"portion|amount|number|size|temperature|revenue|price|cost|rate|figure)|when|which year)\b", re.I)
WEIGHTS = {"meaning": 1.0, "coverage": 1.0, "rank": 0.5, "figure": 0.2, "debris": 0.5}
MAX_CHARS = 600
MAX_EMBEDDED = 24
ANSWER_SENTENCES = 3  # key sentences an answer shows: two-part questions often need two; three still reads quickly
SAME = 0.8  # token overlap above which two sentences say the same thing (filings repeat themselves)


def prose_share(sentence: str) -> float:
    """Share of whitespace-separated pieces that contain a word of 3+ letters.

    >>> prose_share("Revenue was $44.1 billion."), prose_share("55.0 74.7 43.0 SDXL 63.2")
    (0.75, 0.2)
    """
    pieces = sentence.split()
    return sum(bool(re.search(r"[A-Za-z]{3}", p)) for p in pieces) / max(1, len(pieces))


def score(meaning: float, coverage: float, rank: int, k: int, wants_figure: bool, sentence: str) -> float:
    """One sentence's score (see the module docstring for the terms).

    >>> round(score(0.6, 0.5, 0, 5, True, "Revenue was $44.1 billion."), 2)
    1.8
    >>> round(score(0.6, 0.5, 0, 5, True, "55.0 74.7 43.0 SDXL 63.2"), 2)
    1.3
    """
    w = WEIGHTS
    value = w["meaning"] * meaning + w["coverage"] * coverage + w["rank"] * (1 - rank / max(1, k))
    if wants_figure and any(ch.isdigit() for ch in sentence):
        value += w["figure"]
    if prose_share(sentence) < 0.5:
        value -= w["debris"]
    return value


def distinct(ranked: Sequence[tuple[float, int, str]], n: int) -> list[tuple[float, int, str]]:
    """The best ``n``, skipping any that mostly repeats one already taken.

    >>> distinct([(3, 0, "Sales to two customers were 11% and 13%."), (2, 1, "Sales to two customers were 11% and 13%."),
    ...           (1, 0, "Revenue rose.")], 2)
    [(3, 0, 'Sales to two customers were 11% and 13%.'), (1, 0, 'Revenue rose.')]
    """
    chosen: list[tuple[float, int, str]] = []
    seen: list[set[str]] = []
    for item in ranked:
        toks = set(tokens(item[2]))
        if any(len(toks & s) >= SAME * max(1, min(len(toks), len(s))) for s in seen):
            continue
        chosen.append(item)
        seen.append(toks)
        if len(chosen) == n:
            break
    return chosen


def key_sentences(query: str, hits: Sequence[Hit], idf: dict[str, float],
                  embed: Callable[[list[str]], np.ndarray], n: int = 4) -> list[Evidence]:
    """The ``n`` best distinct sentences of ``hits`` for ``query``, best first."""
    candidates = [(rank, s) for rank, hit in enumerate(hits) for s in split_sentences(hit.chunk.text)
                  if 20 <= len(s) <= MAX_CHARS and len(re.findall(r"[A-Za-z]{2,}", s)) >= 4]
    if not candidates:
        return []
    wanted, wants_figure = set(tokens(query)), bool(QUANTITY.search(query))
    weights = query_weights(wanted, idf)
    lexical = [covered_share(weights, set(tokens(s))) for _, s in candidates]
    # Embedding costs ~3 ms a sentence on 2 cores: only the lexically plausible ones are embedded.
    keep = sorted(range(len(candidates)), key=lambda i: -(lexical[i] + 0.5 * (1 - candidates[i][0] / len(hits))))[:MAX_EMBEDDED]
    vectors = embed([query] + [candidates[i][1] for i in keep])
    meaning = vectors[1:] @ vectors[0]
    ranked = sorted(((score(float(m), lexical[i], candidates[i][0], len(hits), wants_figure, candidates[i][1]),
                      candidates[i][0], candidates[i][1]) for i, m in zip(keep, meaning)), key=lambda t: -t[0])
    return [Evidence(hits[rank], " ".join(s.split()), round(value, 4)) for value, rank, s in distinct(ranked, n)]
