"""What a filing's cover page says about who filed it: the registrant's name as the cover
prints it, the name people use, the trading symbol; and dates as covers write them.

PDF covers break lines mid-name and set names in small capitals ("MGM R ESORTS I"), and
every filer lays its cover out a little differently, so each finder anchors on what the
SEC's forms fix: "(Exact name of registrant as specified in its charter)", the commission
file number, a listing in parentheses ("(NYSE: JNJ)"). No company's name is written here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

MONTHS = ("january february march april may june july august september october november december").split()
DATE = r"(?:" + "|".join(m.capitalize() for m in MONTHS) + r"|" + "|".join(m.upper() for m in MONTHS) + r")\s*\d{1,2},\s*\d{4}"
_EXACT_NAME = re.compile(r"\(\s*Exact name of (?:the )?registrant", re.I)
_TICKER = re.compile(r"([A-Z][\w.&'’-]*(?:,? [A-Z&][\w.&'’-]*){0,5})\s*\((?:NYSE|NASDAQ|Nasdaq|NYSE American|"
                     r"NYSE MKT|TSX|LSE|ASX)\s*:\s*[A-Z.]{1,6}[;,)]")
_LEGAL = re.compile(r"([A-Z0-9][\w&.'’-]*(?: (?:&|[A-Z0-9][\w&.'’-]*)){0,4}),? (?i:Inc\.?|Incorporated|Corporation|Corp\.?|"
                    r"Company|Co\.|plc|Ltd\.?|Limited|N\.V\.|S\.A\.|AG|SE|LLC|L\.P\.)(?![\w])")
_SUFFIX = re.compile(r"(?:,?\s+(?:inc\.?|incorporated|corporation|corp\.?|company|co\.?|plc|ltd\.?|limited|n\.v\.|s\.a\.|"
                     r"ag|se|llc|l\.p\.|holdings?))+\s*$|^the\s+|\.com$", re.I)


def registrant_of(cover: str, text: str) -> str:
    """The registrant's name: the words before "(Exact name of registrant…)" or after the
    commission file number, else the name before a ticker ("PepsiCo, Inc. (NASDAQ: PEP)"),
    else the first words of a release's headline ("Amcor reports…"), else the most
    frequent legal name in the text.

    >>> registrant_of("Commission File No. 1-10635\\nNIKE, Inc .\\n(Exact name of Registrant as specified)", "")
    'NIKE, Inc.'
    >>> registrant_of("Commission File Number 001-37845 MICROSOFT CORPORATION WASHINGTON 91-1144442", "")
    'MICROSOFT CORPORATION'
    >>> registrant_of("PURCHASE, N.Y. - April 25, 2023 - PepsiCo, Inc. (NASDAQ: PEP) today reported", "")
    'PepsiCo, Inc.'
    """
    flat = flatten(cover)
    m = _EXACT_NAME.search(flat)
    if m:
        before = flat[max(0, m.start() - 240):m.start()]
        cuts = [a.end() for a in _ANCHOR.finditer(before)]
        name = before[cuts[-1] if cuts else 0:].strip(" ,:;_-")
        if _looks_like_name(name):
            return clean_name(name)
    m = _FILE_NUMBER.search(flat)
    if m:
        rest = flat[m.end():m.end() + 160]
        n = _LEGAL.match(rest) or re.match(r"(.{2,60}?)\s+(?:State of|\()", rest)
        if n and _looks_like_name(n.group(0) if n.re is _LEGAL else n.group(1)):
            return clean_name(n.group(0) if n.re is _LEGAL else n.group(1))
    m = _TICKER.search(flat[:3000])
    if m and _looks_like_name(m.group(1)):
        return clean_name(re.sub(r"^.*\s[-–—]\s+", "", m.group(1)))
    m = re.match(r"\s*(?:[^.]{0,40}?\b\d{4}\s+)?([A-Z][\w&.'’-]*(?: [A-Z&][\w&.'’-]*){0,4}) (?:reports|announces)\b", flat[:300])
    if m:
        return clean_name(m.group(1))
    names = Counter(clean_name(x.group(0)[len(x.group(1)) - len(base):]) for x in _LEGAL.finditer(text[:200_000])
                    if (base := re.sub(r"^The\s+", "", x.group(1))) and base.split()[0].lower() not in _DETERMINERS)
    return names.most_common(1)[0][0] if names else ""


def flatten(text: str) -> str:
    """Whitespace collapsed, invisible characters out: PDF covers break lines mid-name.

    >>> flatten("MGM\\nR\\nESORTS\\u200b I")
    'MGM R ESORTS I'
    """
    return " ".join(re.sub(r"[\u200b-\u200d\ufeff\u00ad\ufffe]", "", text).split())


_DETERMINERS = frozenset("the our this that each such any other its their a an parent".split())
_FILE_NUMBER = re.compile(r"commission file (?:no\.?|number)\s*:?\s*\d[\d-]{3,}\s*", re.I)
# What comes just before a registrant's name on a cover: the file number, the report date,
# the blank transition period, a rule of underscores.
_ANCHOR = re.compile(r"(?:no\.?|number)\s*:?\s*\d[\d-]{3,}|" + DATE + r"(?:\s*\(" + DATE + r"\))?|"
                     r"\bfrom\W*to\b[\s_.]*|_{3,}|\(Mark One\)", re.I)


_LISTED = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|NYSE American)\s*:\s*([A-Z]{2,5})[;,)]|"
                     r"\b([A-Z]{2,5})\s+(?:The\s+)?(?:New York Stock Exchange|NYSE|Nasdaq|NASDAQ)\b")


def ticker(cover: str) -> str:
    """The trading symbol a cover or release gives ("(NYSE: JNJ)", "Common stock JPM The
    New York Stock Exchange").

    >>> ticker("Title of each class Trading Symbol(s) Common stock JPM The New York Stock Exchange")
    'JPM'
    >>> ticker("PepsiCo, Inc. (NASDAQ: PEP) today reported"), ticker("no listing")
    ('PEP', '')
    """
    m = _LISTED.search(cover)
    return (m.group(1) or m.group(2)) if m else ""


def _looks_like_name(line: str) -> bool:
    line = line.strip(" ._-")
    return (2 <= len(line) <= 80 and bool(re.match(r"[A-Z0-9]", line)) and not re.search(
        r"commission|securities|exchange act|transition|\bended\b|washington|\bform\b|^\(|\d{2}-\d{5,}|report", line, re.I))


def clean_name(name: str) -> str:
    """ "MGM R ESORTS I NTERNATIONAL" (small capitals extracted from a PDF) → "MGM RESORTS INTERNATIONAL"."""
    name = re.sub(r"\b([A-Z]) ([A-Z]{2,})\b", r"\1\2", " ".join(name.split()))
    return re.sub(r"\s+([.,])", r"\1", name).strip(" _-")


def short_name(registrant: str, text: str = "") -> str:
    """The name people use: legal suffixes off, in the casing the document itself uses most.

    >>> short_name("AMERICAN WATER WORKS COMPANY, INC.", "American Water Works is a utility. American Water Works")
    'American Water Works'
    >>> short_name("Amazon.com, Inc.", "Amazon sells things"), short_name("3M COMPANY"), short_name("NVIDIA CORP", "NVIDIA")
    ('Amazon', '3M', 'NVIDIA')
    """
    name = registrant.strip()
    for _ in range(3):
        name = _SUFFIX.sub("", name).strip(" ,&")
    if not name:
        return registrant
    # Capitalized spellings only ("nvidia" is a URL), and a caps-only cover line gives way to
    # the body's own spelling ("AMERICAN WATER WORKS" → "American Water Works").
    spelled = r"\s+".join(map(re.escape, name.split()))
    forms = Counter(" ".join(m.group(0).split()) for m in re.finditer(rf"(?<![\w.]){spelled}(?![\w])", text[:300_000], re.I)
                    if m.group(0)[0].isupper() or m.group(0)[0].isdigit())
    if not forms:
        return name.title() if name.isupper() and len(name) > 4 and " " in name else name
    best, count = forms.most_common(1)[0]
    softer = [(f, c) for f, c in forms.most_common() if not f.isupper() and c * 2 >= count]
    return softer[0][0] if best.isupper() and " " in best and softer else best


def parse_date(value: str) -> dt.date | None:
    """A cover or ``dei`` date ("July 27, 2025", "2025-07-27", "JULY 27, 2025") as a date.

    >>> parse_date("JULY 27, 2025"), parse_date("2025-07-27"), parse_date("soon")
    (datetime.date(2025, 7, 27), datetime.date(2025, 7, 27), None)
    """
    value = " ".join(value.replace("\xa0", " ").split())
    m = re.search(r"(\d{4})-(\d\d)-(\d\d)", value)
    if m:
        return dt.date(*map(int, m.groups()))
    m = re.search(r"([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})", value)
    if m and m.group(1).lower() in MONTHS:
        try:
            return dt.date(int(m.group(3)), MONTHS.index(m.group(1).lower()) + 1, int(m.group(2)))
        except ValueError:
            return None
    return None
