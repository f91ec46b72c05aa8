"""Financial statements in documents without pages (an HTML filing): the chunks after a
statement's heading line are that statement's, and a passage inside it gets its header."""

from __future__ import annotations

import pytest

from rag.retrieve.passages import header_above
from rag.retrieve.statements import statement_pages, statements_asked
from rag.types import Chunk

TEXTS = [
    "Table of contents\nCash Flows Statements 53\nBalance Sheets 52",  # contents lines: no heading
    "As the statements of cash flows show, we invested more.",  # prose that names it: no heading
    "CASH FLOWS STATEMENTS\n(In millions)\nYear Ended March 31, 2030 2029\nNet income 90 80",
    "Investing\nAdditions to property and equipment (9,100) (8,200)",
    "Purchases of investments (3,300) (2,900)",
    "NOTE 1 — ACCOUNTING POLICIES\nWe follow GAAP.",
]


def _chunks():
    at, out = 0, []
    for i, text in enumerate(TEXTS):
        out.append(Chunk(f"c{i}", "acme-10k", text, at, at + len(text)))
        at += len(text) + 1
    return out


def test_a_heading_line_marks_its_chunk_and_the_two_after_it_in_a_document_without_pages():
    cash_flow = statement_pages(_chunks())[0]
    assert [bool(x) for x in cash_flow] == [False, False, True, True, True, False]


def test_a_passage_inside_a_statement_without_pages_gets_the_statement_s_header():
    header = header_above(_chunks(), 3)
    assert "CASH FLOWS STATEMENTS" in header and "2030 2029" in header and "(In millions)" in header


def test_what_was_spent_on_property_points_at_the_cash_flow_statement():
    for asked in ("What were Acme's additions to property and equipment?", "How much did Acme spend on property?",
                  "What did Acme invest in property and equipment in 2030?"):
        assert statements_asked(asked, items=True) == (0,), asked


@pytest.mark.slow
def test_capex_is_read_from_the_cash_flow_statement_of_an_html_filing(corpus_index):
    """Microsoft's fiscal 2025 10-K is HTML: no pages. Its capex row sits in a chunk that
    opens inside the cash flow statement, below the heading's chunk."""
    from rag.answer import ask

    settings, _ = corpus_index
    answer = ask("How much did Microsoft spend on property and equipment in fiscal 2025, per its 10-K?", settings=settings)
    assert "64,551" in answer.text, answer.text
