"""Periods in a conversation: which period a follow-up asks about, counted from the turns
before it ("And the year before?", "Two years later", "And in Q2?", "For the full year?",
"the more recent of those years"). Pure functions, used by ``rag.followup.resolve``."""

from __future__ import annotations

import re
from collections.abc import Sequence

YEAR = re.compile(r"(?<![\d$])(?<!\d,\s)(?<!\d\s)(?:(?:FY|fiscal(?: year)?)\s?'?)?((?:19|20)\d\d)(?![\d%])", re.I)
QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth) quarter\b", re.I)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_SHIFT = (  # relative periods: (pattern, unit, step)
    (re.compile(r"\b(?:the )?(?:year|fiscal year) (?:before|earlier|prior)\b|\b(?:previous|prior|preceding) "
                r"(?:fiscal )?year\b|\ba year (?:before|earlier)\b", re.I), "year", -1),
    (re.compile(r"\b(?:the )?(?:year|fiscal year) after\b|\b(?:next|following|subsequent) (?:fiscal )?year\b|"
                r"\ba year later\b", re.I), "year", 1),
    (re.compile(r"\b(?:the )?quarter (?:before|earlier|prior)\b|\b(?:previous|prior|preceding) quarter\b", re.I),
     "quarter", -1),
    (re.compile(r"\b(?:the )?quarter after\b|\b(?:next|following|subsequent) quarter\b", re.I), "quarter", 1),
)
_COUNT = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_YEARS_AWAY = re.compile(r"\b(\d{1,2}|" + "|".join(_COUNT) + r") (?:fiscal )?years? (earlier|before|ago|prior|later|"
                         r"after|on)\b", re.I)
# "compared with the year before" is the base of a change, not the period asked about.
_BASE = re.compile(r"\b(?:compared (?:with|to)|against|versus|vs\.?|over|from|than|relative to)\s+(?:the\s+|a\s+)?"
                   r"(?:(?:prior|previous|preceding|last)\s+)?(?:fiscal\s+)?(?:year|quarter)(?:\s+(?:before|earlier|prior|ago))?",
                   re.I)
# A period that only the conversation pins down: "that year", "those quarters", "the same period".
_THAT_PERIOD = re.compile(r"\b(?:that|those|the same|the more recent of those|the earlier of those) (?:fiscal )?"
                          r"(?:years?|quarters?|periods?)\b", re.I)


def anchored(question: str) -> bool:
    """Whether the question's period is relative to an earlier turn's.

    >>> anchored("What about the next quarter?"), anchored("Two years on, what was it?"), anchored("And in 2023?")
    (True, True, False)
    """
    question = _BASE.sub(" ", question)
    return bool(_THAT_PERIOD.search(question) or _YEARS_AWAY.search(question)
                or any(pattern.search(question) for pattern, _, _ in _SHIFT))


def shift_period(earlier: str, question: str) -> str:
    """The earlier question with the follow-up's period in place of its own, when each
    has one: an explicit year or quarter, or a relative one ("the year before").

    >>> shift_period("What was Acme's revenue in fiscal 2024?", "And the year before?")
    "What was Acme's revenue in fiscal 2023?"
    >>> shift_period("What were Acme's Q4 FY2024 sales?", "What about the next quarter?")
    "What were Acme's Q1 FY2025 sales?"
    >>> shift_period("What were Acme's Q1 2024 sales?", "And in Q2?")
    "What were Acme's Q2 2024 sales?"
    >>> shift_period("What did Acme spend in FY2018?", "Four years later, what did it spend?")
    'What did Acme spend in FY2022?'
    >>> shift_period("What was Acme's 2024 tax rate?", "How did it change against the prior year?")
    "What was Acme's 2024 tax rate?"
    >>> shift_period("What did Acme's 10-K for the year ended May 2030 say of the rules of June 2029?", "And the next year's?")
    "What did Acme's 10-K for the year ended May 2031 say of the rules of June 2029?"
    >>> shift_period("How did revenue change from 2023 to 2024?", "And in 2022?")
    'How did revenue change from 2023 to 2024?'
    """
    question = _BASE.sub(" ", question)
    years = {m.group(1) for m in YEAR.finditer(earlier)}
    # Of several years, the one a report covers ("the 10-K for the year ended January 2030",
    # not "the rules of October 2029") is the one a relative period counts from.
    covered = {m.group(1) or m.group(2) for m in _COVERS.finditer(earlier)}
    shifted = years if len(years) == 1 else covered if len(covered) == 1 else set()
    quarters = [_quarter(m) for m in QUARTER.finditer(earlier)]
    year = int(next(iter(shifted))) if shifted else None
    quarter = quarters[0] if len(set(quarters)) == 1 else None
    new_year = [m.group(1) for m in YEAR.finditer(question)]
    new_quarter = [_quarter(m) for m in QUARTER.finditer(question)]
    away = _YEARS_AWAY.search(question)
    if away and year is not None:
        n = int(away.group(1)) if away.group(1).isdigit() else _COUNT[away.group(1).lower()]
        new_year = [str(year + (n if away.group(2).lower() in ("later", "after", "on") else -n))]
    for pattern, unit, step in _SHIFT:
        if pattern.search(question) and year is not None:
            if unit == "year":
                new_year = [str(year + step)]
            elif quarter is not None:
                q, y = quarter + step, year
                q, y = (4, y - 1) if q == 0 else (1, y + 1) if q == 5 else (q, y)
                new_quarter, new_year = [q], [str(y)]
    if year is not None and len(new_year) == 1 and new_year[0] != str(year):
        earlier = YEAR.sub(lambda m: m.group(0).replace(m.group(1), new_year[0]) if m.group(1) == str(year)
                           else m.group(0), earlier)
    if quarter is not None and len(new_quarter) == 1 and new_quarter[0] != quarter:
        q = new_quarter[0]
        earlier = QUARTER.sub(lambda m: f"Q{q}" if m.group(1) else f"{list(_ORDINAL)[q - 1]} quarter", earlier)
    return earlier


_COVERS = re.compile(r"\b(?:year|quarter|period)s? end(?:ed|ing)\s+(?:[A-Z][a-z]+\s+(?:\d{1,2},?\s+)?)?((?:19|20)\d\d)\b|"
                     r"\b(?:FY|fiscal(?: year)?)\s?'?((?:19|20)\d\d)\b", re.I)
WHOLE_YEAR = re.compile(r"\b(?:full|whole|entire) (?:fiscal )?year\b|\bas a whole\b|\bannual(?:ly)?\b", re.I)


def in_period(question: str, year: str = "", whole: bool = False) -> str:
    """An earlier question in the period a short follow-up picks: ``year`` for its years,
    and without its quarter when the follow-up asks for the ``whole`` year.

    >>> in_period("What were Acme's Q2 2030 sales?", whole=True), in_period("Acme's 2029 sales?", "2030")
    ("What were Acme's 2030 sales?", "Acme's 2030 sales?")
    """
    if whole:
        question = " ".join(QUARTER.sub("", question).split())
    if year:
        question = YEAR.sub(lambda m: m.group(0).replace(m.group(1), year), question)
    return question


def one_of(question: str, years: Sequence[str]) -> str:
    """The year a question picks from those the conversation named: the more recent, or
    the earlier, of them; "" when it picks none.

    >>> one_of("And its 10-K for the more recent of those years?", ["2030", "2029"])
    '2030'
    >>> one_of("What about the earlier of those years?", ["2030", "2029"]), one_of("And in Q2?", ["2030"])
    ('2029', '')
    >>> one_of("And in the earlier of those two quarters?", ["2030", "2029"])
    ''

    """
    m = _ONE_OF.search(question)
    if not m or not years:
        return ""
    return max(years) if m.group(1).lower() in ("more recent", "later", "latest", "last") else min(years)


_ONE_OF = re.compile(r"\bthe (more recent|later|latest|last|earlier|earliest|first|older) (?:one )?of (?:those|these|the two)\b"
                     r"(?!\s+(?:two\s+)?(?:quarters|months|periods|weeks))", re.I)  # years only: a quarter has no one year


def _quarter(m: re.Match) -> int:
    return int(m.group(1)) if m.group(1) else _ORDINAL[m.group(2).lower()]
