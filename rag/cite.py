"""Citation checking: align each answer sentence with the passage that supports it.

Small local models rarely emit ``[n]`` markers, and when they do the markers are often
wrong, so markers are never trusted: every sentence is scored against every retrieved
passage, gets the marker of the passage that supports it best (with the supporting
quote), or is set aside as unsupported when no passage contains its content words and
numbers. All functions here are pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import is_number as _is_number, split_sentences, tokens
from rag.types import Citation, Evidence, Hit

_WORDS = re.compile(r"[A-Za-z]{2,}")
_MARKER = re.compile(r"\s*\[(\d+)\]")
SUPPORT_THRESHOLD = 0.6


def support(claim: str, passage: str) -> float:
    """Share of the claim's content tokens found in the passage; 0 if a number in it is missing.

    A figure that the passage does not contain is the classic hallucinated citation, so any
    missing number vetoes support outright.

    >>> support("Revenue was $44.1 billion.", "revenue for the quarter was $44.1 billion, up 12%")
    1.0
    >>> support("Revenue was $45.0 billion.", "revenue for the quarter was $44.1 billion, up 12%")
    0.0
    >>> support("The answer is 12 percent.", "revenue for the quarter was $44.1 billion, up 12%")
    0.0
    """
    return _support(tokens(claim), set(tokens(passage)))


def _support(claim_toks: list[str], have: set[str]) -> float:
    if not claim_toks:
        return 0.0
    if any(_is_number(t) and t not in have for t in claim_toks):
        return 0.0
    words = [t for t in claim_toks if not _is_number(t)]
    numbers = [t for t in claim_toks if _is_number(t)]
    found = sum(t in have for t in words)
    if numbers and found < len(words) / 2:
        return 0.0  # a figure the passage has, said of something it does not ("The answer is: 23.")
    weight = len(words) + 2 * len(numbers)  # figures carry the claim
    return (found + 2 * len(numbers)) / weight


def best_quote(claim: str, passage: str) -> str:
    """The passage sentence that best supports the claim (the quote shown to the user).

    >>> best_quote("The charge was $4.5 billion.", "Revenue grew. We incurred a $4.5 billion charge. Done.")
    'We incurred a $4.5 billion charge.'
    """
    sentences = split_sentences(passage) or [passage]
    claim_toks = set(tokens(claim))
    return max(sentences, key=lambda s: (len(claim_toks & set(tokens(s))), -len(s)))


@dataclass(frozen=True)
class Aligned:
    sentence: str
    hit: Hit | None
    score: float


def align(answer: str, hits: Sequence[Hit], threshold: float = SUPPORT_THRESHOLD) -> list[Aligned]:
    """Each sentence of ``answer`` (model markers removed) with its best-supporting hit.

    >>> from rag.types import Chunk
    >>> hits = [Hit(Chunk("c1", "d", "The sky is blue.", 0, 16), 1.0), Hit(Chunk("c2", "d", "Grass is green.", 0, 15), 0.9)]
    >>> [(a.sentence, a.hit.chunk.id if a.hit else None) for a in align("Grass is green [1]. Pigs fly. 1. Grass is green.", hits)]
    [('Grass is green.', 'c2'), ('Pigs fly.', None)]
    """
    out, seen = [], set()
    # A table row restated with the header of its page's table (``Hit.context``) is checked
    # against both. Token sets once, not once per sentence.
    passages = [set(tokens(h.passage)) for h in hits]
    for sentence in split_sentences(_MARKER.sub("", answer)):
        claim = tokens(sentence)
        key = " ".join(claim)
        if key in seen or len(_WORDS.findall(sentence)) < 2:
            continue  # a repeated sentence (small models loop) or a fragment like "1." says nothing
        seen.add(key)
        scored = [(_support(claim, have), -i, h) for i, (have, h) in enumerate(zip(passages, hits))]
        score, _, hit = max(scored, key=lambda t: (t[0], t[1])) if scored else (0.0, 0, None)
        out.append(Aligned(sentence, hit if score >= threshold else None, score))
    return out


def cite(aligned: Sequence[Aligned]) -> tuple[str, tuple[Citation, ...], tuple[str, ...]]:
    """Answer text with checked ``[n]`` markers, its citations, and the unsupported sentences.

    Markers are numbered by first use; a passage cited twice keeps one number.

    >>> from rag.types import Chunk
    >>> h = Hit(Chunk("c1", "doc", "Grass is green.", 0, 15, page=3, meta={"title": "T"}), 0.5)
    >>> text, cits, dropped = cite([Aligned("Grass is green.", h, 1.0), Aligned("Pigs fly.", None, 0.0)])
    >>> text, [(c.marker, c.page, c.quote) for c in cits], dropped
    ('Grass is green. [1]', [(1, 3, 'Grass is green.')], ('Pigs fly.',))
    """
    markers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    dropped: list[str] = []
    for a in aligned:
        if a.hit is None:
            dropped.append(a.sentence)
            continue
        chunk = a.hit.chunk
        if chunk.id not in markers:
            markers[chunk.id] = len(markers) + 1
            meta = chunk.meta
            citations.append(Citation(
                marker=markers[chunk.id], chunk_id=chunk.id, doc_id=chunk.doc_id, title=str(meta.get("title", chunk.doc_id)),
                quote=best_quote(a.sentence, chunk.text), page=chunk.page, section=chunk.section,
                publisher=str(meta.get("publisher", "")), date=str(meta.get("date", "")), url=meta.get("url") or None,
                score=round(a.hit.score, 6), supported=True))
        parts.append(f"{a.sentence} [{markers[chunk.id]}]")
    return " ".join(parts), tuple(citations), tuple(dropped)


def add_evidence(aligned: Sequence[Aligned], evidence: Sequence[Evidence], limit: int = 2) -> list[Aligned]:
    """The model's sentences, then up to ``limit`` key sentences its supported ones do not
    already say: small models often drop the very figure asked for, and the key sentence,
    verbatim and cited, is the most useful thing to show instead.

    >>> from rag.types import Chunk
    >>> h = Hit(Chunk("c", "d", "Zorblax-3 has 900B parameters. It is open.", 0, 43), 1.0)
    >>> said = [Aligned("Zorblax-3 is open.", h, 1.0)]
    >>> [a.sentence for a in add_evidence(said, [Evidence(h, "Zorblax-3 has 900B parameters.", 2.0), Evidence(h, "It is open.", 1.0)])]
    ['Zorblax-3 is open.', 'Zorblax-3 has 900B parameters.']
    """
    out = list(aligned)
    said = set(tokens(" ".join(a.sentence for a in aligned if a.hit is not None)))
    for e in evidence[:limit]:
        if _support(tokens(e.text), said) < SUPPORT_THRESHOLD:
            out.append(Aligned(e.text, e.hit, 1.0))
            said |= set(tokens(e.text))
    return out
