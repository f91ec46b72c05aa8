"""Grounding metrics: are the citations right, and does each sentence say only what its
cited passage says? Pure functions, each with a worked example.

The faithfulness checker here is deliberately *not* ``rag.cite``: the product's own
aligner decides which sentences to keep, so scoring with it would grade the aligner by
itself and could never fail. This one works on unstemmed tokens matched by prefix and
treats a sentence without a marker as unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.quality.metrics import contains_quote, norm_tokens
from rag.text import split_sentences  # shared; what counts as support here stays independent of rag.cite

_MARKERS = re.compile(r"((?:\s*\[\d+\])+)")
_STOP = frozenset("""a an and are as at be by for from has have in is it its of on or that the their this to was were
which with will would also than then there these those been being into per""".split())
FAITHFUL_SHARE = 0.7


def claims(answer_text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of an answer with the ``[n]`` markers that follow them.

    Markers after a run of sentences belong to the last one; the others have none.

    >>> claims("Grass is green. [1] Sky is blue [2][3]. Pigs fly.")
    [('Grass is green.', (1,)), ('Sky is blue', (2, 3)), ('Pigs fly.', ())]
    """
    parts = _MARKERS.split(answer_text)
    out: list[tuple[str, tuple[int, ...]]] = []
    for i in range(0, len(parts), 2):
        markers = tuple(int(m) for m in re.findall(r"\d+", parts[i + 1])) if i + 1 < len(parts) else ()
        sentences = [s.strip() for s in split_sentences(parts[i]) if s.strip()]
        for j, sentence in enumerate(sentences):
            out.append((sentence, markers if j == len(sentences) - 1 else ()))
    return out


def _content(text: str) -> list[str]:
    return [t for t in norm_tokens(text.replace(",", "")) if t not in _STOP]


def faithful(sentence: str, passage: str, share: float = FAITHFUL_SHARE) -> bool:
    """Whether ``passage`` supports ``sentence``: every figure in the sentence appears in
    the passage, and ≥ ``share`` of its other content words do (matched on a 5-letter
    prefix, so "grew" ≠ "growth" but "reported" = "reports").

    >>> faithful("Revenue was $44.1 billion, up 12%.", "Quarterly revenue was $44.1 billion, up 12% from a year ago.")
    True
    >>> faithful("Revenue was $45 billion.", "Quarterly revenue was $44.1 billion.")
    False
    >>> faithful("The model beat every rival on math.", "Quarterly revenue was $44.1 billion.")
    False
    """
    words = _content(sentence)
    if not words:
        return True  # punctuation or a bare marker states nothing
    have = _content(passage)
    have_set, prefixes = set(have), {t[:5] for t in have}
    numbers = [t for t in words if any(c.isdigit() for c in t)]
    if any(n not in have_set for n in numbers):
        return False
    others = [t for t in words if t not in numbers]
    return not others or sum(t[:5] in prefixes for t in others) >= share * len(others)


def faithfulness(answer_text: str, passages: Mapping[int, str]) -> tuple[int, int]:
    """(supported, total) sentences: a sentence is supported when the passages its markers
    point at, together, support it (``faithful``); no marker means unsupported.

    >>> faithfulness("Grass is green. [1] Pigs fly. [1] The sky is blue.", {1: "Grass is green."})
    (1, 3)
    """
    total = supported = 0
    for sentence, markers in claims(answer_text):
        if not _content(sentence):
            continue
        total += 1
        cited = " ".join(passages.get(m, "") for m in markers)
        supported += bool(markers) and faithful(sentence, cited)
    return supported, total


def citation_pairs(answer_text: str, passages: Mapping[int, str]) -> list[tuple[int, str, bool]]:
    """Each (marker, sentence) use of a citation, and whether that passage supports that
    sentence (``faithful``): the unit of citation precision.

    >>> citation_pairs("Grass is green. [1] Pigs fly [1][2].", {1: "Grass is green.", 2: "Pigs fly at night."})
    [(1, 'Grass is green.', True), (1, 'Pigs fly', False), (2, 'Pigs fly', True)]
    """
    return [(m, sentence, faithful(sentence, passages.get(m, ""))) for sentence, markers in claims(answer_text)
            if _content(sentence) for m in markers]


def on_gold(doc_id: str, passage: str, quote: str, evidence: Sequence[dict], page: int | None = None) -> bool:
    """Whether a cited passage is gold evidence: it holds an evidence quote of the item (same
    document) or is on its cited page, or the quote the citation shows lies within one (a
    quote split across chunks).

    >>> ev = [{"file": "nv", "quote": "Revenue for fiscal 2025 was $130.5 billion, up 114%."}]
    >>> on_gold("nv", "Highlights. Revenue for fiscal 2025 was $130.5 billion, up 114%.", "", ev)
    True
    >>> on_gold("nv", "Revenue for fiscal 2024 was $60.9 billion.", "Revenue for fiscal 2024 was $60.9 billion.", ev)
    False
    >>> on_gold("amd", "Revenue for fiscal 2025 was $130.5 billion, up 114%.", "", ev)
    False
    >>> on_gold("fb", "Net sales 5,000", "", [{"file": "fb", "page": 40}], page=40)
    True
    """
    for e in evidence:
        if doc_id != e["file"]:
            continue
        if e.get("page") is not None and page == e["page"]:
            return True
        if not e.get("quote"):
            continue
        if contains_quote(passage, e["quote"]) or (len(norm_tokens(quote)) >= 5 and contains_quote(e["quote"], quote, 0.9)):
            return True
    return False
