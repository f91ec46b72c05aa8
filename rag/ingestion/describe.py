"""What a document says about itself: a filing's registrant, form and fiscal period; a
paper's or article's title, authors and date.

Read from the document, never from its file name or a list of companies, so a user's own
filings describe themselves the way ours do. Inline-XBRL filings state the facts as
``dei:`` tags (``facts``); every other filing states them on its cover page ("FORM 10-K",
"For the fiscal year ended January 26, 2025", the line above "(Exact name of registrant
as specified in its charter)"), and an earnings release in its first lines ("PepsiCo
Reports First-Quarter 2023 Results"). The manifest may override any field
(``loaders.metadata``) but is not their source.
"""

from __future__ import annotations

import datetime as dt
import re

from rag.ingestion.cover import DATE, MONTHS, clean_name, flatten, parse_date, registrant_of, short_name, ticker

COVER_CHARS = 6000  # the cover page and a little more: a filing says who and when up front
_FORM = re.compile(r"\bFORM\s*(10-K(?:405|T)?|10-Q|8-K|20-F|40-F|6-K|11-K|S-1)\b", re.I)
_PERIOD = re.compile(r"\bfor the (fiscal year|year|quarterly period|quarter|period)\s+ended\D{0,40}?(" + DATE + ")", re.I)
_REPORT_DATE = re.compile(r"Date of (?:report|earliest event reported)\D{0,60}?(" + DATE + ")", re.I)
_RELEASE = re.compile(r"\b(?:reports?|reported|announces?|announced)\b[^.]{0,120}\bresults\b|for immediate release", re.I)
_ORD = {"first": "1", "second": "2", "third": "3", "fourth": "4", "1st": "1", "2nd": "2", "3rd": "3", "4th": "4"}
_RELEASE_PERIOD = re.compile(r"\b(?:(20\d\d)\s+)?(first|second|third|fourth)[- ]quarter(?:\s+(?:of\s+)?(?:fiscal\s+)?"
                             r"(?:year\s+)?(20\d\d))?|\b[qQ]([1-4])\s*(?:fy)?\s*'?(20\d\d|\d\d)\b|\bfiscal (?:year )?(20\d\d) results", re.I)
FILING_FORMS = ("10-K", "10-Q", "8-K", "20-F", "40-F", "6-K", "earnings release")


def describe(text: str, facts: dict[str, str] | None = None) -> dict[str, str]:
    """Fields a document states about itself (only those it states).

    >>> cover = ("FORM 10-Q\\nFor the quarterly period ended July 27, 2025\\nACME WIDGETS, INC.\\n(Exact name of "
    ...          "registrant as specified in its charter)\\n Acme Widgets sells widgets. Six months ended July 27, 2025. "
    ...          "Results for the second quarter of fiscal 2026.")
    >>> d = describe(cover)
    >>> d["company"], d["form"], d["fiscal_year"], d["fiscal_quarter"], d["period_end"]
    ('Acme Widgets', '10-Q', '2026', '2', '2025-07-27')
    >>> d["title"]
    'Acme Widgets Form 10-Q for the quarter ended July 27, 2025 (Q2 fiscal 2026)'
    >>> describe("Attention Is All You Need\\nAshish Vaswani, Noam Shazeer\\nAbstract\\nThe dominant models...")["title"]
    'Attention Is All You Need'
    """
    facts = facts or {}
    # The cover starts at the SEC's letterhead; a text dump of an iXBRL file has its hidden
    # header first, so the letterhead may come some way in.
    top = re.search(r"SECURITIES AND EXCHANGE COMMISSION", text[:100_000])
    start = top.start() if top else 0
    cover = flatten(text[start:start + COVER_CHARS])
    form = _form(facts, cover)
    if not form:
        return _describe_work(text)
    out = {"form": form}
    registrant = clean_name(facts.get("EntityRegistrantName", "")) or registrant_of(cover, text)
    if registrant:
        out["registrant"] = registrant
        out["company"] = short_name(registrant, text)
    symbol = ticker(cover)
    if symbol:
        out["ticker"] = symbol
    end = parse_date(facts.get("DocumentPeriodEndDate", "")) or _period_end(form, cover)
    if end:
        out["period_end"] = end.isoformat()
    year, quarter = _fiscal(form, facts, text, end)
    if year:
        out["fiscal_year"] = year
    if quarter:
        out["fiscal_quarter"] = quarter
    out["title"] = filing_title(out)
    return out


def filing_title(d: dict[str, str]) -> str:
    """A readable title from a filing's fields (what citations and the embedder see).

    >>> filing_title({"company": "Acme", "form": "10-K", "period_end": "2025-01-26", "fiscal_year": "2025"})
    'Acme Form 10-K for the fiscal year ended January 26, 2025 (fiscal 2025)'
    """
    who = d.get("company") or d.get("registrant") or "Unknown registrant"
    form = d["form"]
    head = f"{who} {'Form ' + form if form[0].isdigit() else form}"
    if d.get("period_end"):
        end = dt.date.fromisoformat(d["period_end"])
        span = "fiscal year" if form in ("10-K", "20-F", "40-F") else ("quarter" if d.get("fiscal_quarter") else "period")
        head += f" for the {span} ended {end.strftime('%B')} {end.day}, {end.year}"
    if d.get("fiscal_year"):
        q = d.get("fiscal_quarter")
        head += f" ({'Q' + q + ' ' if q else ''}fiscal {d['fiscal_year']})"
    return head


def _form(facts: dict[str, str], cover: str) -> str:
    doc_type = facts.get("DocumentType", "").strip().upper()
    if doc_type:
        return doc_type
    m = _FORM.search(cover[:1500])  # a release quotes "Form 10-Q" further down; a cover names its form first
    if m:
        return m.group(1).upper()
    if _RELEASE.search(cover[:1500]) and re.search(r"\b(?:quarter|fiscal|full[- ]year)\b", cover[:1500], re.I):
        return "earnings release"
    return ""


def _period_end(form: str, cover: str) -> dt.date | None:
    m = _PERIOD.search(cover) or (re.search(r"\bended\s+(" + DATE + ")", cover[:3000], re.I) if form == "earnings release" else None)
    if m:
        return parse_date(m.group(m.lastindex))
    m = _REPORT_DATE.search(cover)
    return parse_date(m.group(1)) if m else None


def _fiscal(form: str, facts: dict[str, str], text: str, end: dt.date | None) -> tuple[str, str]:
    """(fiscal year, fiscal quarter) in the company's own calendar; the quarter is "" for a year."""
    year = facts.get("DocumentFiscalYearFocus", "").strip()[:4]
    focus = facts.get("DocumentFiscalPeriodFocus", "").strip().upper()
    quarter = focus[1] if re.fullmatch(r"Q[1-4]", focus) else ""
    if year.isdigit():
        return year, quarter
    head = text[:60_000]
    if form == "earnings release" or form == "8-K":
        m = _RELEASE_PERIOD.search(text[:1500])
        if m:
            if m.group(2):
                return (m.group(3) or m.group(1) or (str(end.year) if end else "")), _ORD[m.group(2).lower()]
            if m.group(4):
                y = m.group(5)
                return (y if len(y) == 4 else "20" + y), m.group(4)
            return m.group(6), ""
        return "", ""
    if end is None:
        return "", ""
    if form == "10-Q":
        # The fiscal year ends (4 - q) quarters after the quarter does: NVIDIA's Q2 ended July
        # 27, 2025, so its year ends in January 2026 (fiscal 2026); Amcor's Q2 ended December
        # 31, 2022, so its year ends in June 2023 (fiscal 2023).
        quarter = quarter or _quarter_of(head)
        month = end.month - 1 + (4 - int(quarter)) * 3
        year_end = dt.date(end.year + month // 12, month % 12 + 1, min(end.day, 28))
        return str(year_end.year - (year_end.month == 1 and year_end.day <= 7)), quarter
    candidates = [end.year, end.year - 1] if end.month <= 3 else [end.year]
    if end.month == 1 and end.day <= 7 and _mentions(head, end.year - 1) >= _mentions(head, end.year):
        return str(end.year - 1), ""  # a 52/53-week year that ran into January is named for the year before
    return _mentioned_most(head, candidates), ""


def _mentions(text: str, year: int) -> int:
    return len(re.findall(rf"\bfiscal(?: year)?,? {year}\b|\bfy ?'?{year}\b|\bfy ?'?{year % 100:02d}\b", text, re.I))


def _mentioned_most(text: str, years: list[int]) -> str:
    """The year "fiscal YYYY" names most often; the first on a tie (the calendar year)."""
    return str(max(years, key=lambda y: (_mentions(text, y), -years.index(y))))


def _quarter_of(text: str) -> str:
    """A 10-Q's quarter: its statements cover six months to date in Q2, nine in Q3."""
    if re.search(r"\b(?:nine months|thirty-nine weeks|39 weeks|forty weeks|40 weeks) ended\b", text, re.I):
        return "3"
    if re.search(r"\b(?:six months|twenty-six weeks|26 weeks|twenty-eight weeks|28 weeks) ended\b", text, re.I):
        return "2"
    return "1"


_ARXIV_DATE = re.compile(r"arXiv:\d{4}\.\d{4,5}v\d+\s+\[[^\]]+\]\s+(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})")


def _describe_work(text: str) -> dict[str, str]:
    """Title, authors and date of a paper or article, where its first lines state them."""
    out: dict[str, str] = {}
    lines = [ln.strip(" #*") for ln in text[:3000].splitlines() if ln.strip(" #*")]
    if lines and 3 <= len(lines[0]) <= 200 and re.search(r"[A-Za-z]{3}", lines[0]):
        # A long first line without a full stop and a second line without commas: one title
        # wrapped over two lines ("…Closed-Source / Models in Code Intelligence").
        wrapped = len(lines) > 2 and len(lines[0]) > 40 and not lines[0].endswith(".") and "," not in lines[1]
        out["title"] = f"{lines[0]} {lines[1]}" if wrapped else lines[0]
        by = lines[2 if wrapped else 1] if len(lines) > 1 + wrapped else ""
        if 2 <= len(by) <= 200 and not by.endswith(".") and not re.match(r"abstract\b", by, re.I) \
                and all(p.strip()[:1].isupper() for p in re.split(r",| and ", by) if p.strip()):
            out["authors"] = by
    m = _ARXIV_DATE.search(text[:20_000])
    if m:
        month = next((i for i, name in enumerate(MONTHS, 1) if name.startswith(m.group(2).lower())), 0)
        if month:
            out["date"] = dt.date(int(m.group(3)), month, int(m.group(1))).isoformat()
    return out
