"""Passages: retrieved chunks that sit next to each other on one page (in a document
without pages: in one section) are read as one.

A filing's statement page, or a paper's dense page, is cut into several chunks to fit the
embedder's window. When the best chunks of a question are neighbours (a table's header
and its rows, a paragraph cut in two), ranking them as separate hits spends two or three
of the k places on one page, and pushes other pages out of sight; a chunk alone also loses
the lines that give its rows their meaning. Here a chunk next to a passage already chosen
(same document, same page or section, the chunk just before or after it) joins that passage instead
of taking a place of its own, up to ``MAX_RUN`` chunks a passage. llama-index's
auto-merging retriever does the same with parent nodes; our chunks have no parents, but
their order and offsets say which are neighbours. The best passage also takes in the prose
chunk just before it (``widen``).

Measured on both development sets (evidence recall@5, the hits ``ask()`` returns):
see the README's "Measured quality".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.retrieve.lines import prose_share
from rag.retrieve.tables import carried_header
from rag.types import Chunk

MAX_RUN = 3  # chunks in one passage: ~700 word pieces, a page of a paper or a statement table
PROSE = 0.65  # share of a chunk's pieces that are words, above which it is prose, not a table


def runs(ranked: Sequence[int], chunks: Sequence[Chunk], k: int, max_run: int = MAX_RUN) -> list[list[int]]:
    """The top ``k`` passages of ``ranked`` (positions into ``chunks``, best first), each a
    list of neighbouring positions in document order, the passages in order of their best
    chunk. Reading stops at the first chunk that would open passage ``k + 1``.

    >>> c = [Chunk(str(i), "d", "x", 10 * i, 10 * i + 9, page=1 if i < 3 else 2) for i in range(5)]
    >>> runs([1, 4, 2, 0, 3], c, 2)       # 2 and 0 join 1 on page 1, 3 joins 4 on page 2
    [[0, 1, 2], [3, 4]]
    >>> runs([2, 3, 0, 4], c, 2)          # 2 (page 1) and 3 (page 2) are not neighbours; 0 would open a third
    [[2], [3]]
    >>> runs([0, 1, 2, 4], c, 2, max_run=2)
    [[0, 1], [2]]
    >>> t = [Chunk(str(i), "d", "x", 10 * i, 10 * i + 9, section="A" if i < 2 else "B") for i in range(3)]
    >>> runs([1, 0, 2], t, 2)             # no pages (a text file): neighbours in one section join
    [[0, 1], [2]]
    """
    out: list[list[int]] = []
    for p in ranked:
        home = next((run for run in out if len(run) < max_run and _next_to(run, p, chunks)), None)
        if home is not None:
            home.append(p)
            home.sort()
            continue
        if len(out) == k:
            break
        out.append([p])
    return out


def widen(run: list[int], chunks: Sequence[Chunk], max_run: int = MAX_RUN,
          fits: Callable[[Chunk], bool] = lambda chunk: prose_share(chunk.text) >= PROSE) -> list[int]:
    """A passage with the chunk just before it on its page (when ``fits`` accepts it), up
    to ``max_run`` chunks: what answers is often said just before the best chunk, which
    ranks higher for repeating the question's words ("we score with two fixed checks: …"
    before "we use no learned scorer, because …"). Only the chunk before:
    the one after added rows of other tables to statements (FinanceBench citations fell),
    and so did a table before (hence ``fits``: prose only). Measured with the top passage
    widened: our dev set's correctness 0.625 -> 0.65, FinanceBench's unchanged.

    >>> c = [Chunk(str(i), "d", "Words", 10 * i, 10 * i + 9, page=1 if i < 4 else 2) for i in range(6)]
    >>> widen([2], c), widen([4], c), widen([1, 2, 3], c)
    ([1, 2], [4], [1, 2, 3])
    """
    run = sorted(run)
    before = run[0] - 1
    if len(run) < max_run and before >= 0 and _next_to(run, before, chunks) and fits(chunks[before]):
        return [before] + run
    return run


def _next_to(run: list[int], p: int, chunks: Sequence[Chunk]) -> bool:
    """Whether chunk ``p`` is just before or after one of ``run`` on its page; in a document
    without pages (text, HTML, Markdown), in its section."""
    here = chunks[p]

    def place(c: Chunk) -> tuple:
        return (c.doc_id, c.page) if here.page is not None else (c.doc_id, None, c.section)

    return any(abs(p - q) == 1 and place(chunks[q]) == place(here) for q in run)


def join(parts: Sequence[Chunk]) -> Chunk:
    """One chunk for neighbouring chunks: their text with the whitespace between them kept to
    its length (so offsets inside the passage are still offsets into the document), under
    the first one's section.

    >>> a, b = Chunk("a", "d", "Revenue", 0, 7, page=3), Chunk("b", "d", "5 6", 9, 12, page=3)
    >>> j = join([a, b])
    >>> j.text, j.char_start, j.char_end, j.page
    ('Revenue\\n\\n5 6', 0, 12, 3)
    >>> join([a]) is a, join([a, Chunk("c", "d", "s", 7, 8, page=3)]).text
    (True, 'Revenues')
    """
    if len(parts) == 1:
        return parts[0]
    text = parts[0].text
    for before, after in zip(parts, parts[1:]):
        gap = max(after.char_start - before.char_end, 0)
        # The gap was whitespace (chunks are trimmed), or nothing where a long token was cut;
        # a line break keeps table rows apart, and the length keeps offsets true.
        text += "\n" * min(gap, 2) + " " * max(gap - 2, 0) + after.text
    first = parts[0]
    return Chunk(Chunk.make_id(first.doc_id, first.char_start, text), first.doc_id, text, first.char_start,
                 parts[-1].char_end, first.page, first.section, first.meta)


def header_above(chunks: Sequence[Chunk], at: int) -> str:
    r"""The header of the table the chunk at ``at`` opens inside: a statement split across
    chunks leaves its later rows without their years and unit. Read from the chunks above
    it on the same page (up to three), which is where a reader would look; in a document
    without pages, from the three chunks before it.

    >>> page = [Chunk("a", "d", "Cash flows (in millions)\n2030 2029\nNet income 7 6", 0, 50, page=4),
    ...         Chunk("b", "d", "Other, net (2) (4)", 50, 68, page=4)]
    >>> header_above(page, 1)
    '(in millions)\nCash flows\n2030 2029'
    """
    here = chunks[at]
    above = [c.text for c in chunks[max(0, at - 3):at]
             if (c.doc_id, c.page) == (here.doc_id, here.page) and c.char_start < here.char_start]
    return carried_header("\n".join(above)) if above else ""
