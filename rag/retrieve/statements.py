"""Financial statements: which one a question points at, and which pages are one.

An analyst asks "using the cash flow statement" or names a line item ("net PP&E") whose
statement any accountant knows; a filing's statement page opens with its heading
("Consolidated Statements of Cash Flows"). Ranking such pages up finds the table that
holds the figure among many passages that only discuss it. Accounting terms, no company.
"""

from __future__ import annotations

import re

import numpy as np

from rag.types import Chunk

# The statements an analyst points at, and the headings filings give them.
STATEMENTS = [(re.compile(q, re.I), re.compile(h, re.I)) for q, h in [
    (r"cash flows?", r"statements? of (?:consolidated )?cash flows?|cash flows? statements?"),
    (r"balance sheets?|financial position", r"balance sheets?|statements? of (?:consolidated )?financial (?:position|condition)"),
    (r"income statements?|statements? of (?:income|operations|earnings)|p&l|profit and loss",
     r"statements? of (?:consolidated )?(?:comprehensive )?(?:income|operations|earnings)|income statements?"),
]]


# Line items and the statement that reports them, for a question that names the item but
# not the statement ("net PP&E" is a balance-sheet figure). Accounting, not any company.
LINE_ITEMS = [(re.compile(p, re.I), where) for p, where in [
    (r"capital expenditures?|capex|(?:purchases?|additions?|payments?) (?:of|to|for) property|"
     r"(?:spen[dt]|add(?:ed)?|invest(?:ed)?|paid) (?:\w+ ){0,2}(?:on|in|for|to) property(?! tax)|dividends? paid|cash dividends|free cash flow|"
     r"cash (?:flows? )?from operations|operating cash flow|retention ratio", (0,)),
    (r"total (?:current )?assets|total (?:current )?liabilities|accounts (?:payable|receivable)|inventor(?:y|ies) balance|"
     r"net (?:property|pp&?n?e)|property, plant and equipment|working capital|quick ratio|current ratio|"
     r"shareholders'? equity|total debt", (1,)),
    (r"cost of (?:goods sold|sales|revenue)|\bcogs\b|gross profit|operating income|net (?:income|earnings)|"
     r"earnings per share|total revenues?|(?:gross|operating|net|ebitda) margin|effective tax rate", (2,)),
    (r"capital[- ]intensive|return on (?:assets|equity)|\broa\b|\broe\b|asset turnover", (1, 2)),
    (r"inventory turnover|cash conversion cycle|days (?:sales|payable|inventory)", (1, 2)),
    (r"\bebitda\b", (0, 2)),
]]


def statements_asked(question: str, items: bool = False) -> tuple[int, ...]:
    """Which of ``STATEMENTS`` a question points at (their positions); with ``items``, also
    the statements of the line items it names.

    >>> statements_asked("Acme's P&L and cash flow statement: which lines add up to its EBITDA?")
    (0, 2)
    >>> statements_asked("What were total current assets at year end?", items=True)
    (1,)
    >>> statements_asked("What did Acme spend on property and equipment?", items=True)
    (0,)
    """
    named = {i for i, (asks, _) in enumerate(STATEMENTS) if asks.search(question)}
    if items and not named:
        named = {i for pattern, where in LINE_ITEMS if pattern.search(question) for i in where}
    return tuple(sorted(named))


def statement_of(page_start: str) -> tuple[int, ...]:
    """Which statements a page is, from its first lines (its heading).

    >>> statement_of("Acme Company and Subsidiaries Consolidated Statement of Cash Flows Years ended December 31")
    (0,)
    """
    head = " ".join(page_start[:400].split())[:120]  # a heading opens its page; PDF text may split it one word a line
    return tuple(i for i, (_, heading) in enumerate(STATEMENTS) if heading.search(head))


def heading_line(text: str) -> tuple[int, ...]:
    r"""Which statements a line of ``text`` is the heading of, alone on its line (a document
    without pages, such as an HTML filing, has no page for a heading to open). A contents
    line ("Cash Flows Statements 53") or a sentence that names a statement is no heading.

    >>> heading_line("Total\nCONSOLIDATED STATEMENTS OF CASH FLOWS\n(In millions)"), heading_line("Balance Sheets 52")
    ((0,), ())
    >>> heading_line("Consolidated Condensed Balance Sheets (Unaudited)"), heading_line("Income Statements\n51")
    ((1,), ())
    """
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    # A contents entry has its page number after it, on its line or the next.
    headings = [_FORM.sub("", line.lower()) for at, line in enumerate(lines)
                if len(line) < 80 and not (at + 1 < len(lines) and lines[at + 1].isdigit())]
    return tuple(i for i, (_, heading) in enumerate(STATEMENTS) if any(heading.fullmatch(h) for h in headings))


# What may stand around a statement's name in its heading: "Condensed Consolidated … (Unaudited)".
_FORM = re.compile(r"^(?:(?:condensed|consolidated|combined)\s+)+|\s*\((?:unaudited|continued|in \w+)\)$")


STATEMENT_CHUNKS = 3  # in a document without pages: the heading's chunk and the two after it


def statement_pages(chunks: list[Chunk]) -> list[np.ndarray]:
    """For each of ``STATEMENTS``, which chunks lie on a page headed by it (the page's
    first chunk opens with "Consolidated Statements of Cash Flows" or the like), or, in a
    document without pages, follow a heading line of it (``STATEMENT_CHUNKS``)."""
    first: dict[tuple[str, int], Chunk] = {}
    for c in chunks:
        if c.page is not None and ((c.doc_id, c.page) not in first or c.char_start < first[(c.doc_id, c.page)].char_start):
            first[(c.doc_id, c.page)] = c
    kinds = {key: statement_of(c.text) for key, c in first.items()}
    marks = [np.array([i in kinds.get((c.doc_id, c.page), ()) for c in chunks], dtype=bool) for i in range(len(STATEMENTS))]
    pageless: dict[str, list[int]] = {}
    for at, c in enumerate(chunks):
        if c.page is None:
            pageless.setdefault(c.doc_id, []).append(at)
    for positions in pageless.values():
        positions.sort(key=lambda at: chunks[at].char_start)
        for n, at in enumerate(positions):
            for i in heading_line(chunks[at].text):
                marks[i][positions[n:n + STATEMENT_CHUNKS]] = True
    return marks
