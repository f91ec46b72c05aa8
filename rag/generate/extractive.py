"""No LLM: the answer is the retrieved sentences that best match the question, verbatim.

The floor the generative backends must beat, and a sensible mode on small machines:
it cannot state anything the sources do not say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.cite import split_sentences
from rag.retrieve.fusion import coverage
from rag.types import Hit


def rank_sentences(question: str, hits: Sequence[Hit], idf: dict[str, float], limit: int = 5) -> list[tuple[float, str]]:
    """Candidate answer sentences, best first: how much of the question each one covers
    (idf-weighted, so the rare words of the question count most), plus a small bonus for
    the better-ranked passages and for sentences that carry a figure.

    >>> from rag.types import Chunk
    >>> hits = [Hit(Chunk("a", "d", "NVIDIA makes many GPUs. Revenue was $44 billion last quarter.", 0, 60), 1.0)]
    >>> rank_sentences("What was NVIDIA revenue?", hits, {"nvidia": 0.1, "revenu": 2.0})[0][1]
    'Revenue was $44 billion last quarter.'
    """
    scored = []
    for rank, hit in enumerate(hits[:limit]):
        for sentence in split_sentences(hit.chunk.text):
            if not 20 <= len(sentence) <= 600:
                continue
            score = coverage(question, sentence, idf) + 0.1 * (limit - rank) / limit
            scored.append((score + (0.05 if any(ch.isdigit() for ch in sentence) else 0.0), sentence))
    return sorted(scored, key=lambda t: -t[0])


class ExtractiveGenerator:
    name = "extractive"
    model = "extractive"
    sentences = 2

    def __init__(self, settings=None):
        self.settings = settings

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = ()) -> Iterator[str]:
        from rag.answer import assistant

        idf = assistant(self.settings).retriever.idf if self.settings else {}
        ranked = rank_sentences(question, hits, idf)
        if not ranked:
            return
        best = ranked[0][0]
        chosen = [s for score, s in ranked[: self.sentences] if score >= 0.75 * best]
        for i, sentence in enumerate(chosen):
            yield (" " if i else "") + sentence
