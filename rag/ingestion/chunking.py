"""Structure-aware chunking with exact provenance.

Why not llama-index's ``SentenceSplitter``: it re-joins splits and recovers offsets with
``str.find``, which can miss or mis-place repeated passages (filings repeat sentences), and
it counts tokens with tiktoken, not with the embedder's word pieces. Here one pass of the
embedder's own fast tokenizer over each segment gives every token's character span, so a
chunk is cut exactly where it fits the 256-word-piece window, at the best boundary
available (paragraph > sentence > line > word), and its offsets are exact by construction.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence

from rag.types import Chunk, SourceDoc

# Offsets of each token: the fast tokenizer's ``offset_mapping`` for a text.
TokenSpans = Callable[[str], Sequence[tuple[int, int]]]

_BREAKS = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph
    re.compile(r"(?<=[.!?;:])[\"'”’)\]]*\s+"),  # sentence
    re.compile(r"\n\s*"),  # line
    re.compile(r"\s+"),  # word
)
# Do not cut a chunk shorter than this share of the window just to land on a nicer boundary.
_MIN_FILL = (0.5, 0.5, 0.6, 0.8)
_WORDS = re.compile(r"[A-Za-z]{2,}")


def segments(doc: SourceDoc) -> Iterator[tuple[int, int, str]]:
    """Spans that no chunk may cross: page boundaries and section starts.

    >>> from rag.types import Page, Section
    >>> d = SourceDoc("d", "p", "aaaa bbbb cccc", (Page(1, 0, 9), Page(2, 9, 14)), (Section(5, "B"),))
    >>> list(segments(d))
    [(0, 5, ''), (5, 9, 'B'), (9, 14, 'B')]
    """
    cuts = {0, len(doc.text)}
    cuts.update(p.start for p in doc.pages)
    cuts.update(s.start for s in doc.sections)
    bounds = sorted(c for c in cuts if 0 <= c <= len(doc.text))
    starts = [s.start for s in doc.sections]
    for a, b in zip(bounds, bounds[1:]):
        i = bisect.bisect_right(starts, a) - 1
        yield a, b, doc.sections[i].title if i >= 0 else ""


def split_spans(text: str, token_spans: Sequence[tuple[int, int]], max_tokens: int) -> list[tuple[int, int]]:
    """Cut ``text`` into ``(start, end)`` spans of at most ``max_tokens`` tokens each.

    Each cut falls on the strongest boundary in the back part of the window; whitespace is
    trimmed so ``text[start:end]`` never starts or ends with a space.

    >>> text = "One two three. Four five six. Seven."
    >>> spans = [(m.start(), m.end()) for m in re.finditer(r"\\w+|[^\\w\\s]", text)]
    >>> [text[a:b] for a, b in split_spans(text, spans, 5)]
    ['One two three.', 'Four five six.', 'Seven.']
    """
    out: list[tuple[int, int]] = []
    starts = [a for a, _ in token_spans]
    i = 0
    while i < len(token_spans):
        start = token_spans[i][0]
        if i + max_tokens >= len(token_spans):
            end = token_spans[-1][1]
        else:
            end = _best_cut(text, start, token_spans[i + max_tokens][0])
        out.append(_trim(text, start, end))
        i = max(bisect.bisect_left(starts, end), i + 1)
    return [(a, b) for a, b in out if b > a]


def _best_cut(text: str, start: int, hard_end: int) -> int:
    """The end of the last strong boundary inside the window's back part, else ``hard_end``."""
    window = text[start:hard_end]
    for pattern, fill in zip(_BREAKS, _MIN_FILL):
        floor = int(len(window) * fill)
        best = None
        for m in pattern.finditer(window, max(floor, 1)):
            best = m
        if best is not None:
            return start + best.start() + _keep(best)
    return hard_end


def _keep(match: re.Match) -> int:
    # The sentence pattern's match starts after the punctuation and closing quotes, so cutting
    # at match.start() keeps them with the sentence; other breaks are pure whitespace.
    return len(match.group(0)) - len(match.group(0).lstrip("\"'”’)]"))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_document(doc: SourceDoc, token_spans: TokenSpans, max_tokens: int) -> list[Chunk]:
    """All chunks of a document, in order, each inside one page and one section."""
    chunks: list[Chunk] = []
    for seg_start, seg_end, section in segments(doc):
        seg = doc.text[seg_start:seg_end]
        if not seg.strip():
            continue
        for a, b in split_spans(seg, token_spans(seg), max_tokens):
            text = seg[a:b]
            if len(_WORDS.findall(text)) < 2:  # page numbers, rules, lone table cells
                continue
            start = seg_start + a
            chunks.append(Chunk(
                id=Chunk.make_id(doc.doc_id, start, text),
                doc_id=doc.doc_id,
                text=text,
                char_start=start,
                char_end=seg_start + b,
                page=doc.page_at(start),
                section=section,
                meta=doc.meta,
            ))
    return chunks
