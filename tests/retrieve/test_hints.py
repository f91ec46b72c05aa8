"""Periods resolve in each company's own fiscal calendar, from the documents' own fields."""

from __future__ import annotations

import pytest

from rag.retrieve.hints import mentions, parse_hints, period_match
from rag.retrieve.hybrid import HybridRetriever

ACME = [  # a retailer whose fiscal year ends in late January, as its filings would describe it
    {"company": "Acme", "form": "10-K", "fiscal_year": "2025", "period_end": "2025-01-26"},
    {"company": "Acme", "form": "10-Q", "fiscal_year": "2026", "fiscal_quarter": "2", "period_end": "2025-07-27"},
    {"company": "Acme", "form": "10-Q", "fiscal_year": "2026", "fiscal_quarter": "1", "period_end": "2025-04-27"},
    {"company": "Adobe", "form": "10-K", "fiscal_year": "2022", "period_end": "2022-12-02"},
]


def _best(question: str) -> list[int]:
    hints = parse_hints(question, ["Acme", "Adobe"])
    fits = [period_match(m, hints) if m["company"] in hints.companies else -1 for m in ACME]
    return [i for i, f in enumerate(fits) if f == max(fits)]


@pytest.mark.parametrize("question,want", [
    ("Adobe's FY2022 revenue", [3]),
    ("Acme's revenue in fiscal 2025", [0]),
    ("Acme's Q2 FY26 gross margin", [1]),
    ("Acme's revenue for the quarter ended July 27, 2025", [1]),
    ("Adobe revenue in 2022", [3]),
    ("Acme's first quarter of fiscal 2026", [2]),
])
def test_each_way_of_naming_a_period_picks_that_companys_filing(question, want):
    assert _best(question) == want


def test_a_company_is_named_by_its_words_or_a_distinctive_first_word_never_by_a_list():
    assert mentions("Did Pfizer grow?", "Pfizer") and not mentions("Did Pfizer grow?", "Adobe")
    assert mentions("How did JPMorgan do?", "JPMorgan Chase") and not mentions("a general question", "General Mills")


def test_the_real_corpus_resolves_quarters_and_years(corpus_index):
    settings, _ = corpus_index
    r = HybridRetriever(settings)
    scope = lambda q: sorted(r.scope(r.hints(q)))  # noqa: E731
    assert scope("NVIDIA revenue in Q2 FY26") == ["nvidia-10q-q2-fy2026"]
    assert scope("NVIDIA revenue for the quarter ended July 27, 2025") == ["nvidia-10q-q2-fy2026"]
    assert "nvidia-10k-fy2025" in scope("NVIDIA's fiscal 2025 revenue")
    assert scope("Microsoft's FY2024 capital expenditures") == ["microsoft-10k-fy2024"]
    assert scope("Amazon's 2024 free cash flow") == ["amazon-10k-fy2024"]


def test_a_segment_or_product_points_at_the_company_whose_filings_write_it(corpus_index):
    """"The parent company" of a segment: its filings write nearly every mention of it (a
    partner's press release names it now and then); a word the papers write too has no owner."""
    from rag.answer import ask

    settings, _ = corpus_index
    r = HybridRetriever(settings)
    assert (r.owner("AWS"), r.owner("H20"), r.owner("CUDA"), r.owner("GPUs")) == ("Amazon", "NVIDIA", None, None)
    assert r.hints("Did the parent company of AWS buy back stock in 2024?").companies == ("Amazon",)
    history = [{"role": "user", "content": "How fast did AWS grow in 2024?"},
               {"role": "assistant", "content": "AWS grew 19% in 2024. [1]"}]
    answer = ask("Did the parent company repurchase any of its own shares that year?", history=history,
                 settings=settings)
    assert "There were no repurchases of common stock in 2023 or 2024." in answer.text, answer.text
    assert {c.doc_id for c in answer.citations} == {"amazon-10k-fy2024"}, answer.citations


def test_filings_of_other_companies_resolve_in_their_own_calendars(financebench_index):
    r = HybridRetriever(financebench_index)
    scope = lambda q: sorted(r.scope(r.hints(q)))  # noqa: E731
    assert scope("Amcor's Q2 of FY2023 restructuring liability") == ["fb-71c39c3f"]  # the quarter ended Dec 31, 2022
    assert scope("Nike's total current assets at the end of FY2019") == ["fb-7dbdf1bc"]
    assert "fb-dba7d6cc" in scope("JnJ's FY2022 inventory turnover")  # by its trading symbol; the year ended Jan 1, 2023


def test_capitalized_common_words_are_not_names_but_names_are(financebench_index):
    """Analysts write "the Segment with the Highest Adjusted Margin"; the refusal gate must not ask the
    passages for a company called "Highest", and must still ask them for a real name."""
    from rag.refusal import missing_entities

    r = HybridRetriever(financebench_index)
    assert [w for w in ("Highest", "Real", "Adjusted", "Expense") if not r.common_word(w)] == []
    assert [w for w in ("Anthropic", "Zeta", "Apple", "Meta") if r.common_word(w)] == []
    passages = ["The packaging segment reported the best operating margin of the year."]
    assert missing_entities("Which Segment had the Highest Adjusted Margin at Zeta?", passages, r.common_word) == ["Zeta"]
