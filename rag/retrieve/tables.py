"""Table rows restated as sentences: each value paired with its column's period.

Financial answers live in table rows ("Cloud | 90,757 | 107,556"), which read as nothing
on their own: the columns' years sit lines above, the unit ("in millions") above that.
A row restated with its headers ("Cloud: 90,757 (2023); 107,556 (2024), in millions.")
is a fact a question can match, a small model can copy and a reader can check. Every
token of the restatement is in the passage, so the citation checker still verifies it.

Handles the two layouts the loaders produce: HTML tables as ``cell | cell`` lines, and
PDF tables as space-separated text ("Revenue $ 130,497 $ 60,922 Up 114%"). Rows whose
value count does not match their header's columns are left alone rather than guessed.
"""

from __future__ import annotations

import re

from rag.retrieve.hints import MONTHS

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_PERIOD = re.compile(rf"{_MONTH}\s+\d{{1,2}},?\s+(?:19|20)\d\d|\b(?:FY\s?)?(?:19|20)\d\d\b|\bFY\s?\d\d\b|\bQ[1-4]\s?FY\s?\d\d\b", re.I)
_NUMBER = r"\(?\$?\s?\(?-?\d[\d,]*(?:\.\d+)?\s?%?\)?"  # "$ 130,497", "(44,477 )", "19%"
_VALUE = re.compile(_NUMBER + "|—")
# "(in millions)", "($ in millions)", "(Dollars in millions, except per share amount)", "(Millions)"
_UNIT = re.compile(r"\((?:\$\s|dollars |amounts )?in (millions|billions|thousands)[^)]*\)|\((millions|billions|thousands)\b[^)]*\)|"
                   r"^(?:\(?\$\)?\s)?in (millions|billions|thousands)\b(?:,? except [a-z ]*?(?:data|amounts?)\b)?(?=\s*(?:$|\||(?:19|20)\d\d))",
                   re.I)  # a bare "In millions, except per share data 2030 2029", not prose ("In millions of homes")
# A figure that can be a share: at most 100, no currency and no thousands ("16", "4.5", "(2)").
_SHARE = re.compile(r"\(?-?(?:100|\d{1,2})(?:\.\d+)?\)?")
_CHANGE = re.compile(r"[$%]?\s*change|[$%]", re.I)  # headers of a change column, not a group of rows
MAX_FACTS = 40  # per passage: enough for any table that fits a chunk


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("|")] if "|" in line else []


def _periods(line: str) -> list[str]:
    """Column headers of a header line: its dates/years, or its cells when all name one.

    >>> _periods("Jan 26, 2025 Jan 28, 2024 Change"), _periods("2023 | 2024"), _periods("Revenue 2024 was up")
    (['Jan 26, 2025', 'Jan 28, 2024'], ['2023', '2024'], [])
    >>> _periods("AND SUBSIDIARIES Fiscal Year 2022 2021 2020"), _periods("Sales rose sharply in 2022 from 2021")
    (['2022', '2021', '2020'], [])
    """
    cells = [c for c in _cells(line) if c]
    if cells and all(_PERIOD.search(c) for c in cells):
        return cells
    found = [m.group(0) for m in _PERIOD.finditer(line)]
    rest = _PERIOD.sub("", line)
    # Mostly periods: "Change", "$ Change" or "% Change" may stand beside them.
    if len(found) >= 2 and len(re.findall(r"[A-Za-z]{3,}", rest)) <= 3 and not re.search(r"\d", rest):
        return found
    # A title before them: "AND SUBSIDIARIES Fiscal Year 2022 2021 2020" (the years end the line).
    tail = re.search(rf"(?:(?:{_PERIOD.pattern})[\s|]*){{2,}}$", line, re.I)
    if tail and not re.search(r"\d", line[:tail.start()]):
        return [m.group(0) for m in _PERIOD.finditer(tail.group(0))]
    return []


def _row(line: str) -> tuple[str, list[str]] | None:
    """(label, values) of a table row, or None.

    >>> _row("Cloud | 90,757 | 107,556"), _row("Revenue $ 130,497 $ 60,922 Up 114%")
    (('Cloud', ['90,757', '107,556']), ('Revenue', ['$ 130,497', '$ 60,922']))
    >>> _row("On May 9, 2030, the agency told us that a license is required for exports of our chips.") is None
    True
    """
    cells = _cells(line)
    if cells:
        label, values = cells[0], [c for c in cells[1:] if c]
        if not values or not all(_VALUE.fullmatch(v) for v in values):
            return None
    else:
        m = re.match(rf"([A-Za-z](?:[^$\d(]|\([A-Za-z&.,' ]+\))*?)\s+((?:{_NUMBER}\s*){{2,}})", line)
        # A row's figures end it, but for a short note ("Up 14%"): "On May 9, 2030, the
        # agency told us…" is a sentence, not a row labelled "On May".
        if not m or len(re.findall(r"[A-Za-z]{2,}", line[m.end():])) > 4:
            return None
        label, values = m.group(1), [v.strip() for v in _VALUE.findall(m.group(2)) if v.strip()]
    label = re.sub(r"\s*\(\d\)\s*$", "", label).strip(" :")
    if len(re.findall(r"[A-Za-z]{2,}", label)) == 0 or _PERIOD.fullmatch(label):
        return None
    return label, values


def table_row(line: str) -> bool:
    """Whether a line is a table row: a line item and at least two figures.

    >>> table_row("Purchases of property, plant and equipment (PP&E) (1,250) (1,100) (1,020)"), table_row("In 2018, sales rose.")
    (True, False)
    """
    row = _row(line.strip())
    return row is not None and len(row[1]) >= 2


def _stack(periods: list[str], above: list[list[str]]) -> list[str]:
    """Column headers with the header lines above them folded in: a line of as many cells
    is merged cell by cell ("January 26," over "2025"), a line of fewer spans groups of
    columns ("Three Months Ended | Nine Months Ended" over four dates).

    >>> _stack(["2025", "2024", "2025", "2024"], [["Three Months Ended", "Twelve Months Ended"], ["Jan 26,", "Jan 28,"] * 2])
    ['Three Months Ended Jan 26, 2025', 'Three Months Ended Jan 28, 2024', 'Twelve Months Ended Jan 26, 2025', 'Twelve Months Ended Jan 28, 2024']
    """
    out = list(periods)
    for cells in reversed(above):
        if len(cells) == len(out):
            out = [f"{c} {p}" for c, p in zip(cells, out)]
        elif cells and len(out) % len(cells) == 0:
            width = len(out) // len(cells)
            out = [f"{cells[i // width]} {p}" for i, p in enumerate(out)]
    return out


def _width(line: str, periods: list[str]) -> int:
    """How many values a row under this header line holds, or 0 when its periods are not
    its leading columns (a row could then not be paired by position).

    >>> _width("Jan 26, 2025 | Jan 28, 2024 | $ Change | % Change", ["Jan 26, 2025", "Jan 28, 2024"])
    4
    >>> _width("Jan 26, 2025 Jan 28, 2024 Change", ["Jan 26, 2025", "Jan 28, 2024"]), _width("Total | 2024", ["2024"])
    (3, 0)
    """
    cells = [c for c in _cells(line) if c]
    if not cells:
        return len(periods) + len(re.findall(r"\bchange\b", line, re.I))
    return len(cells) if all(p in c for p, c in zip(periods, cells)) else 0


def _unit_for(unit: str, label: str, values: list[str]) -> str:
    """The table's unit, unless the row is a ratio, a share or a per-share amount ("(in
    millions, except per share data)" does not make $0.77 a per-share figure in millions)."""
    if not unit or any(v.endswith("%") for v in values) or re.search(r"per share|margin|ratio|percent|%", label, re.I):
        return ""
    return unit


_HEADER_BIT = re.compile(rf"(?:{_MONTH}\s*\d{{0,2}},?|(?:19|20)\d\d|{_MONTH}\s+\d{{1,2}},?\s+(?:19|20)\d\d)", re.I)


def _join_headers(lines: list[str]) -> list[str]:
    """PDF column headers broken one piece per line ("August 29," / "2021" / "August 30,"
    / "2020") joined back into one header line.

    >>> _join_headers(["BALANCE SHEETS", "August 29,", "2021", "August 30,", "2020", "Cash $ 11,258 $ 12,277"])
    ['BALANCE SHEETS', 'August 29, 2021 August 30, 2020', 'Cash $ 11,258 $ 12,277']
    """
    out: list[str] = []
    run: list[str] = []
    for line in lines + [""]:
        if line.strip() and _HEADER_BIT.fullmatch(line.strip()):
            run.append(line.strip())
            continue
        if run:
            out.append(" ".join(run)) if len(run) > 1 else out.extend(run)
            run = []
        out.append(line)
    return out[:-1]


def carried_header(above: str) -> str:
    r"""The header of the last table in ``above`` (its unit line, the period line and the
    two lines over it): what a passage that opens inside that table has lost.

    >>> carried_header("Cash flows (in millions)\n2020 2019\nNet income 709 621\nOther, net (20) (41)")
    '(in millions)\nCash flows\n2020 2019'
    >>> carried_header("No table here.")
    ''
    """
    lines = [line.strip() for line in _join_headers(above.splitlines())]
    at = max((i for i, line in enumerate(lines) if _periods(line)), default=-1)
    if at < 0:
        return ""
    units = [m.group(0) for line in lines[:at + 1] for m in [_UNIT.search(line)] if m]
    head = [_UNIT.sub("", line).strip(" |:") for line in lines[max(0, at - 2):at + 1]]
    return "\n".join(units[-1:] + [line for line in head if line])


def table_facts(text: str) -> list[str]:
    r"""Rows of the tables in ``text`` restated with their column headers, in order.

    A row is restated only when its values fit its header's columns, and a header whose
    period labels repeat (a level above it was lost) restates nothing.

    >>> for fact in table_facts("Net sales (in millions):\nYear Ended December 31,\n2023 | 2024\nNet Sales:\n"
    ...                         "Cloud | 90,757 | 107,556\nPercentage Growth:\nCloud | 13 | 19\nCloud | 1 | 2 | 3\n"
    ...                         "Sales Mix:\nStores | 61% | 60%\nCloud | 16 | 17\nTotal sales | 9,000 | 9,500"):
    ...     print(fact)
    Net Sales Cloud: 90,757 (2023); 107,556 (2024), in millions.
    Percentage Growth Cloud: 13% (2023); 19% (2024).
    Sales Mix Stores: 61% (2023); 60% (2024).
    Sales Mix Cloud: 16% (2023); 17% (2024).
    Sales Mix Total sales: 9,000 (2023); 9,500 (2024), in millions.
    >>> table_facts("Year Ended\nJan 26, 2025 Jan 28, 2024 Change\n($ in millions, except per share data)\n"
    ...             "Revenue $ 130,497 $ 60,922 Up 114%\nNet income per share $ 2.94 $ 1.19 Up 147%")
    ['Revenue: $ 130,497 (Jan 26, 2025); $ 60,922 (Jan 28, 2024), in millions.', 'Net income per share: $ 2.94 (Jan 26, 2025); $ 1.19 (Jan 28, 2024).']
    """
    facts: list[str] = []
    header: list[str] = []
    width, rows = 0, 0
    above: list[list[str]] = []  # pipe header lines just above the period line
    group, unit, pending = "", "", ""
    in_group, shares = 0, False  # rows read under the group's label; its first row's figures were shares
    for line in _join_headers(text.splitlines()):
        line = line.strip()
        if m := _UNIT.search(line):
            # A unit line names the unit of the table it heads: this one if no row has
            # been read under its header yet, else the next.
            found = f", in {(m.group(1) or m.group(2) or m.group(3)).lower()}"
            unit, pending = (found, "") if header and not rows else (unit, found)
            line = _UNIT.sub("", line).strip(" |:")
        if not line:
            continue
        if periods := _periods(line):
            stacked = _stack(periods, above[-2:])
            header = stacked if len(set(stacked)) == len(stacked) else []
            width, rows, group, above, in_group = _width(line, periods), 0, "", [], 0
            unit, pending = pending, ""
            continue
        row = _row(line) if header else None
        if row is None:
            if "|" in line or not header:
                above.append([c for c in _cells(line) if c])
            elif len(line) < 60 and not re.search(r"\d", line) and not _CHANGE.fullmatch(line):
                group = line.strip(" :")  # "Net Sales:", "Cloud": the rows below belong to it
                in_group = 0
            continue
        label, values = row
        # A cell table must match its header exactly. PDF text has no cells: the change
        # columns ("$ Change", "% Change") often sit on lines of their own, so up to two
        # values past the periods are allowed there; the periods lead in these layouts.
        if (len(values) != width) if "|" in line else not len(header) <= len(values) <= len(header) + 2:
            continue
        rows, above = rows + 1, []
        # A group's first row alone may carry the "%": "Sales Mix: Stores | 61% | 60%", then "Cloud | 16 | 17".
        shares = all(v.endswith("%") for v in values) if not in_group else shares
        in_group += 1
        if re.search(r"percent|%", group, re.I):  # "Percentage Growth: Cloud | 13 | 19": 13% and 19%
            values = [v if v.endswith("%") or not re.search(r"\d", v) else v + "%" for v in values]
        elif group and shares and all(_SHARE.fullmatch(v) or not re.search(r"\d", v) for v in values):
            values = [v if not re.search(r"\d", v) else v + "%" for v in values]
        pairs = "; ".join(f"{v} ({h})" for v, h in zip(values, header))
        facts.append(f"{group + ' ' if group else ''}{label}: {pairs}{_unit_for(unit, group + ' ' + label, values)}.")
        if len(facts) == MAX_FACTS:
            break
    return facts


# ---------------------------------------------------------------- reading a restated row back

_PAIR = re.compile(r"^(.*?)\s\(([^()]*)\)$")
_MONTH_NUMBER = {m[:3]: i for i, m in enumerate(MONTHS, 1)}  # "jan" → 1


def read_row(fact: str) -> tuple[str, list[tuple[str, str]], str]:
    """(label, [(value, column)], unit) of a restated row (``rag.retrieve.tables``).

    >>> read_row("Investing Capital spending: (1,250) (2030); (1,100) (2029), in millions.")
    ('Investing Capital spending', [('(1,250)', '2030'), ('(1,100)', '2029')], 'millions')
    """
    label, _, body = fact.partition(": ")
    unit = ""
    if m := re.search(r", in (thousands|millions|billions)\.$", body):
        unit, body = m.group(1), body[:m.start()]
    pairs = [m.groups() for p in body.rstrip(".").split("; ") if (m := _PAIR.match(p.strip()))]
    return label, pairs, unit


def number(text: str) -> float | None:
    """A figure as written: "(1,250)" is -1250; "—" and percentages are no figure; a
    footnote mark is not part of it.

    >>> number("$ (1,250)"), number("2,410.0"), number("—"), number("12%"), number("\u2212 5"), number("1,480(1)")
    (-1250.0, 2410.0, None, None, -5.0, 1480.0)
    """
    if "%" in text:
        return None
    text = re.sub(r"\(\d\)\s*$", "", text.strip()).replace("\u2212", "-").replace("\u2013", "-")
    digits = re.sub(r"[^\d.]", "", text)
    if not re.fullmatch(r"\d+(?:\.\d+)?", digits):
        return None
    return -float(digits) if "(" in text or text.strip().lstrip("$ ").startswith("-") else float(digits)


def column_year(column: str, meta: dict) -> str:
    """The fiscal year of a column: its year, less one for a dated column of a document
    whose fiscal year is named before its period end's year (a 52-week year ending on
    January 2 is the year before).

    >>> column_year("May 31, 2020", {"fiscal_year": "2020", "period_end": "2020-05-31"})
    '2020'
    >>> column_year("January 2, 2022", {"fiscal_year": "2021", "period_end": "2022-01-02"}), column_year("2019", {})
    ('2021', '2019')
    >>> column_year("December 28, 2019", {"fiscal_year": "2021", "period_end": "2022-01-02"})
    '2019'
    """
    years = re.findall(r"(?:19|20)\d\d", column)
    if not years:
        return ""
    year = int(years[-1])
    fy, end = str(meta.get("fiscal_year") or ""), str(meta.get("period_end") or "")
    month = re.search(rf"({_MONTH})\s+\d{{1,2}},", column)
    # Only a column dated like the document's own period end: a December column in a filing
    # whose year ends on January 2 closes a calendar year, not a shifted fiscal one.
    if month and fy.isdigit() and end[:4].isdigit() and end[5:7].isdigit() and \
            _MONTH_NUMBER.get(month.group(1)[:3].lower()) == int(end[5:7]):
        year += int(fy) - int(end[:4])
    return str(year)
