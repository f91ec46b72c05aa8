"""What a question says about where its answer lives: company, form, fiscal period.

FinanceBench showed a store shared across filings loses most answers when retrieval
ignores this; the filings here repeat near-identical passages across years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.ingestion.loaders import company_of

_DOC_TYPES = (
    (re.compile(r"\b10-?k\b|annual report", re.I), "10-K"),
    (re.compile(r"\b10-?q\b|quarterly report", re.I), "10-Q"),
    (re.compile(r"press release|earnings release|announce", re.I), "press-release"),
    (re.compile(r"\b(article|piece|post|linkedin)\b", re.I), "article"),
    (re.compile(r"\b(paper|technical report)\b", re.I), "paper"),
    (re.compile(r"\breadme\b|repository", re.I), "readme"),
)
_QUARTER_WORDS = {"first": "1", "second": "2", "third": "3", "fourth": "4"}
_QUARTER = re.compile(r"\bq([1-4])\b|\b(first|second|third|fourth) quarter\b", re.I)
_YEAR = re.compile(r"\b(?:fy ?|fiscal (?:year )?)?(20\d\d)\b", re.I)
_DATE = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december)"
                   r" (\d{1,2}), (20\d\d)\b", re.I)


@dataclass(frozen=True)
class Hints:
    companies: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    quarter: str | None = None
    dates: tuple[str, ...] = field(default=())


def parse_hints(question: str) -> Hints:
    """Hints found in a question.

    >>> h = parse_hints("What did NVIDIA's fiscal 2024 10-K say about Q1 and the quarter ended April 27, 2025?")
    >>> h.companies, h.doc_types, h.years, h.quarter, h.dates
    (('NVIDIA',), ('10-K',), ('2024', '2025'), '1', ('april 27, 2025',))
    """
    companies = tuple(dict.fromkeys(c for c in (company_of(w) for w in re.findall(r"[A-Za-z][\w-]+", question)) if c))
    doc_types = tuple(t for pattern, t in _DOC_TYPES if pattern.search(question))
    years = tuple(dict.fromkeys(m.group(1) for m in _YEAR.finditer(question)))
    q = _QUARTER.search(question)
    quarter = (q.group(1) or _QUARTER_WORDS[q.group(2).lower()]) if q else None
    dates = tuple(" ".join(m.groups()).lower().replace(" 20", ", 20", 1) for m in _DATE.finditer(question))
    return Hints(companies, doc_types, years, quarter, dates)


_FISCAL_QUARTER = re.compile(r"\b(?:q([1-4])|(first|second|third|fourth)[ -]quarter)(?: of)?"
                             r"(?:(?: fiscal| fy)(?: year)? ?'?(\d\d(?:\d\d)?)\b| (20\d\d)\b)", re.I)


def fiscal_quarter(question: str) -> tuple[str, str] | None:
    """The (quarter, four-digit year) a question asks about, when it names one.

    >>> fiscal_quarter("Revenue for the third quarter of fiscal 2026?"), fiscal_quarter("Q1 FY26 charge")
    (('3', '2026'), ('1', '2026'))
    >>> fiscal_quarter("What was revenue in the quarter ended April 27, 2025?"), fiscal_quarter("first quarter 10 stores")
    (None, None)
    """
    m = _FISCAL_QUARTER.search(question)
    if not m:
        return None
    year = m.group(3) or m.group(4)
    return (m.group(1) or _QUARTER_WORDS[m.group(2).lower()]), (year if len(year) == 4 else "20" + year)


def names_quarter(text: str, quarter: str, year: str) -> bool:
    """Whether ``text`` speaks of that fiscal quarter ("third quarter of fiscal years 2026
    and 2025" does; "third quarter of fiscal year 2025" does not).

    >>> names_quarter("revenue for the third quarter of fiscal years 2026 and 2025", "3", "2026")
    True
    >>> names_quarter("NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025", "4", "2025")
    True
    >>> names_quarter("Form 10-Q (Q3 fiscal 2025): revenue for the third quarter of fiscal 2025", "3", "2026")
    False
    """
    ordinal = _ordinal(quarter)
    pattern = (rf"\b(?:{ordinal}[ -]quarter|q{quarter})(?: and| of)?(?: fiscal| fy)?(?: years?)? ?"
               rf"(?:(?:20\d\d|\d\d)(?:,| and| or|\s)+)*(?:{year}|{year[2:]})\b")
    return re.search(pattern, text, re.I) is not None


# Everyday words for what filings name formally: "buy back" is always "repurchase" in a
# 10-K, so neither BM25 nor the coverage rerank would see them as the same thing. They are
# replaced, not appended: an appended synonym would count as one more word to cover.
SYNONYMS = [(re.compile(p, re.I), formal) for p, formal in [
    (r"\b(buy(ing)?[ -]?backs?|bought back|buys back)\b", "repurchase"),
    (r"\bcapex\b", "capital expenditures"),
    (r"\bheadcount\b", "employees"),
]]


def formal(query: str) -> str:
    """The query in the filings' words.

    >>> formal("Did Amazon buy back any stock? How much buyback authorization was left?")
    'Did Amazon repurchase any stock? How much repurchase authorization was left?'
    >>> formal("What is MLA?")
    'What is MLA?'
    """
    for pattern, words in SYNONYMS:
        query = pattern.sub(words, query)
    return query


def boost(meta: dict, hints: Hints) -> float:
    """A multiplier ≥ 1 for a chunk whose document matches the question's hints.

    >>> meta = {"company": "NVIDIA", "doc_type": "10-K", "title": "NVIDIA Form 10-K ... (fiscal 2024)"}
    >>> boost(meta, parse_hints("NVIDIA fiscal 2024 10-K revenue")) > boost(meta, parse_hints("NVIDIA fiscal 2025"))
    True
    """
    title = str(meta.get("title", "")).lower()
    factor = 1.0
    if hints.companies and meta.get("company") in hints.companies:
        factor += 0.3
    if hints.doc_types and meta.get("doc_type") in hints.doc_types:
        factor += 0.5  # a named form ("the article", "the 10-K") is a strong signal
    if hints.years and any(y in title for y in hints.years):
        factor += 0.3
    if hints.quarter and re.search(rf"\bq{hints.quarter}\b|\b{_ordinal(hints.quarter)} quarter", title):
        factor += 0.2
    if hints.dates and any(d in title for d in hints.dates):
        factor += 0.3
    return factor


def _ordinal(q: str) -> str:
    return {v: k for k, v in _QUARTER_WORDS.items()}[q]
