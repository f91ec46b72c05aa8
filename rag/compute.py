"""Computed answers: a ratio, margin, average or sum of line items, worked out from the rows
of the company's own statements, each row cited.

Analysts ask for metrics a filing never states ("the FY2017 return on assets"). The inputs
are there, in statement rows the key sentences already restate ("Net income: 1,480
(2030); 1,310 (2029), in millions."). Here the question's formula (``rag.formula``) is
worked out: each line item is a row of the named company's statements found by
retrieval, each year a column of that row (in the company's own fiscal calendar). The
rows go into the answer as cited sentences, which the checker verifies like any other;
the arithmetic goes into the note, each figure with its citation marker, so a reader can
redo it. Nothing is computed when a line item or a year's column is not found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from rag.formula import definitions, line_item, metric_phrase, shaped, vocabulary
from rag.retrieve.tables import column_year, number, read_row, table_facts
from rag.text import tokens
from rag.types import Computed, Figure, Hit
from rag.units import SCALES

MAX_FIGURES = 8  # inputs one computation may read (a cash conversion cycle needs eight)
_PLAIN = frozenset(tokens("total net"))  # words a one-word line item may carry ("Total revenues", "Net sales")
MIN_FIT = 0.4  # share of a row label's words the line item's phrase must cover ("Revenues issued on March" is no revenue row)


_SKIP = re.compile(r"\bother\b|noncontrolling|minority|per share|per common share|discontinued|comprehensive|%|\bmargin\b|"
                   r"\bbefore\b|\bexcluding\b|\bchange in\b|\bincrease\b|\bdecrease\b", re.I)
_QUARTERLY = re.compile(r"\b(?:three|six|nine) months|\bquarter\b|\bQ[1-4]\b", re.I)


def fit(label: str, item: str, words: Sequence[str], company: str = "") -> float:
    """How well a row's label names ``item``: the share of the label's words that one of the
    item's phrases covers (the company's own name aside); 0 when another known item fits
    the label better, or for rows that are parts or per-share figures of it.

    >>> fit("Net income", "net income", ["net income"]), fit("Net income attributable to noncontrolling interests", "net income", ["net income"])
    (1.0, 0.0)
    >>> fit("Cost of revenues", "revenue", ["revenue", "revenues"]), fit("Current assets Inventories", "inventory", ["inventories"])
    (0.0, 1.0)
    >>> fit("Deferred revenue", "revenue", ["revenue"]), fit("Total revenues", "revenue", ["revenues"])
    (0.0, 1.0)
    """
    if _SKIP.search(label):
        return 0.0
    # A restated row's label may open with its group ("Current assets Inventories"): the
    # label proper starts at a capitalized word.
    words_of = label.split()
    return max((_fit(" ".join(words_of[i:]), item, words, company) for i, w in enumerate(words_of)
                if i == 0 or w[:1].isupper()), default=0.0)


def _fit(label: str, item: str, words: Sequence[str], company: str) -> float:
    have = set(tokens(label)) - set(tokens(f"{company} company inc"))
    if not have:
        return 0.0

    def share(phrases):  # the most specific phrase the label holds: its words, then their share of the label
        return max(((len(need), len(need) / max(1, len(have - (_PLAIN - need) if len(need) == 1 else have)))
                    for p in phrases if (need := set(tokens(p))) and need <= have
                    and (len(need) > 1 or not have - need - _PLAIN)), default=(0, 0.0))  # "Deferred revenue" is no revenue

    mine = share(words)
    if not mine[0] or mine[1] < MIN_FIT:
        return 0.0
    rival = max((share([other] + spec["words"]) for other, spec in vocabulary()["line_items"].items() if other != item),
                default=(0, 0.0))
    return mine[1] if mine > rival else 0.0  # a label two items fit equally well ("Operations Net income") is neither's


# ---------------------------------------------------------------- working it out

class _Missing(Exception):
    """A line item or a year's column was not found: nothing is computed."""


class _Worker:
    """Evaluates one question's formula tree; figures are looked up once per item and year."""

    def __init__(self, defs: dict[str, str], company: str, search: Callable[[str], Sequence[Hit]]):
        self.defs, self.company, self.search = defs, company, search
        self.figures: list[Figure] = []
        self.facts: dict[str, list[tuple[str, Hit]]] = {}
        self.depth = 0

    def value(self, node, year: int) -> tuple[float, str]:
        """(value, display) of a tree node for fiscal ``year``."""
        if isinstance(node, float):
            return node, f"{node:g}"
        if isinstance(node, str):
            return self.phrase(node, year)
        if node[0] == "avg-years":
            shown = [self.value(node[2], y) for y in range(year - node[1] + 1, year + 1)]
            return sum(v for v, _ in shown) / len(shown), f"average of ({'; '.join(s for _, s in shown)})"
        (a, sa), (b, sb) = self.value(node[1], year), self.value(node[2], year)
        if node[0] == "/" and b == 0:
            raise _Missing("division by zero")
        value = {"+": a + b, "-": a - b, "*": a * b}[node[0]] if node[0] != "/" else a / b
        return value, f"({sa} {node[0]} {sb})"

    def phrase(self, text: str, year: int) -> tuple[float, str]:
        self.depth += 1
        if self.depth > 20:
            raise _Missing("definitions refer to each other")
        try:
            formula = self.formula_of(text)
            years = [int(y) for y in re.findall(r"(?:19|20)\d\d", text)]
            at = years[-1] if len(years) == 1 else year
            if formula:
                tree = shaped(formula)
                if isinstance(tree, str) and re.search(r"[-+*/()]|\b(?:less|plus|minus|divided)\b", formula):
                    raise _Missing(f"cannot read the formula {formula!r}")  # never one item for the whole
                return self.value(tree, at)
            item, words, outflow = line_item(re.sub(r"\[[^\]]*\]|\([^)]*statement[^)]*\)|\b(?:from|in|on|per) the "
                                                    r"[\w ]*?statements?\b", "", text))
            hint = " ".join(re.findall(r"\b(?:cash flows?|income|operations) statement\b|\bstatement of [a-z ]*?(?:cash flows|"
                                       r"income|operations|earnings)\b|\bbalance sheet\b", text, re.I))
            two = re.match(r"\s*(?:the\s+)?(average|change in)\b", text, re.I)  # of two years: named, else this and the one before
            if not two:
                return self.figure(item, words, outflow, at, hint)
            pair = sorted(set(years))[-2:] if len(set(years)) >= 2 else [at - 1, at]
            (a, sa), (b, sb) = (self.figure(item, words, outflow, y, hint) for y in pair)
            if two.group(1).lower() == "average":
                return (a + b) / 2, f"average of {sa} and {sb}"
            return b - a, f"({sb} - {sa})"
        finally:
            self.depth -= 1

    def formula_of(self, text: str) -> str:
        """The formula a phrase names: the question's definition first, then a standard one."""
        bare = re.sub(r"\b(?:FY\s?)?(?:19|20)\d\d\b|\[[^\]]*\]", " ", text).lower()
        names = [" ".join(bare.split())] + [a.strip() for a in re.findall(r"\(([^)]*)\)", bare)]
        names += [" ".join(re.sub(r"\([^)]*\)", " ", bare).split())]
        for name in names:
            if name in self.defs:
                return self.defs[name]
        for pattern, formula in vocabulary()["metrics"].items():
            if any(n in pattern.split("|") for n in names):
                return formula
        return ""

    def figure(self, item: str, words: Sequence[str], outflow: bool, year: int, hint: str) -> tuple[float, str]:
        for i, found in enumerate(self.figures):
            if found.item == item and found.year == str(year):
                return found.value, f"{{{i}}}"
        if len(self.figures) >= MAX_FIGURES:
            raise _Missing("too many inputs")
        best = self._best(item, words, year)
        if best is None and f"{item}|{year}" not in self.facts:
            where = hint or vocabulary()["line_items"].get(item, {}).get("statement", "")
            hits = self.search(f"{item} {where} {year}")
            self.facts[f"{item}|{year}"] = [(f, h) for h in hits
                                           for f in table_facts(f"{h.context}\n{h.chunk.text}" if h.context else h.chunk.text)]
            best = self._best(item, words, year)
        if best is None:
            raise _Missing(f"{item} for {year}")
        value, text, row, hit, unit = best
        value = abs(value) if outflow else value
        self.figures.append(Figure(item, str(year), value, text, row, hit, unit))
        return value, f"{{{len(self.figures) - 1}}}"

    def _best(self, item: str, words: Sequence[str], year: int):
        best = None
        for facts in self.facts.values():
            for fact, hit in facts:
                label, pairs, unit = read_row(fact)
                score = fit(label, item, words, self.company)
                if not score:
                    continue
                for text, column in pairs:
                    value = number(text)
                    if value is None or column_year(column, hit.chunk.meta) != str(year) or _QUARTERLY.search(column):
                        continue
                    if value < 0 and vocabulary()["line_items"].get(item, {}).get("nonnegative"):
                        continue  # a negative inventory is a change in it, not the stock
                    if best is None or score > best[0]:  # equally named rows: the one found first
                        best = (score, (value, text.strip(), fact, hit, unit))
        return best[1] if best else None


def compute(question: str, core: str, year: int, company: str, search: Callable[[str], Sequence[Hit]],
            unit: tuple[str, int | None] = ("", None)) -> Computed | None:
    """The metric ``core`` asks for, worked out for fiscal ``year`` from ``company``'s rows
    (``search(text)`` retrieves passages of its documents), or None when the question
    names nothing to compute or an input is not found. ``unit`` is the unit and decimals
    the question asks for (``rag.units.asked_unit``)."""
    try:
        return _compute(question, core, year, company, search, unit)
    except (_Missing, ValueError, ArithmeticError, RecursionError):
        return None  # an input not found, or a formula that cannot be worked out: the answer says what to compute


def _compute(question, core, year, company, search, unit) -> Computed | None:
    phrase = metric_phrase(core)
    tree = shaped(phrase)
    worker = _Worker(definitions(question), company, search)
    if isinstance(tree, str) and not worker.formula_of(tree):
        return None  # one line item: the key sentences state it
    value, expression = worker.value(tree, year)
    if not worker.figures:
        return None
    percent = _percent(tree, worker)
    money = not percent and "/" not in expression
    target, decimals = unit
    if percent:
        shown = f"{_fixed(value, 1 if decimals is None else decimals)}%"
    elif money:
        units = {f.unit for f in worker.figures}
        source = units.pop() if len(units) == 1 else ""
        if target and source and target != source:
            value = value * SCALES[source] / SCALES[target]
        places = decimals if decimals is not None else (
            2 if target and source and SCALES[target] > SCALES[source] else int(any("." in f.text for f in worker.figures)))
        scale = target or source
        shown = _fixed(value, places) + (f" (in {scale})" if scale else "")
    else:
        shown = _fixed(value, 2 if decimals is None else decimals)
    return Computed(phrase, value, shown, expression, tuple(worker.figures))


def _fixed(value: float, places: int) -> str:
    """Rounded half up, as figures are reported (0.075 is 0.08; binary floats would say 0.07).

    >>> _fixed(0.075, 2), _fixed(2150.45, 1), _fixed(-3.705, 2)
    ('0.08', '2,150.5', '-3.71')
    """
    if not math.isfinite(value) or abs(value) >= 1e15:
        raise _Missing("no finite result")
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{exact:,.{places}f}"


def _percent(tree, worker: _Worker) -> bool:
    if isinstance(tree, tuple) and tree[0] == "avg-years":
        return _percent(tree[2], worker)
    if isinstance(tree, tuple):  # "a / b * 100", or "100 * a / b"
        return (tree[0] == "*" and 100.0 in tree[1:]) or (tree[0] == "/" and _percent(tree[1], worker))
    formula = worker.formula_of(tree)
    return bool(formula) and _percent(shaped(formula), worker)


def describe(done: Computed, marker: Callable[[Figure], int | None]) -> str:
    """The note that shows the arithmetic, each input with its row's citation marker.

    >>> from rag.types import Chunk
    >>> h = Hit(Chunk("c", "d", "x", 0, 1), 1.0)
    >>> f = (Figure("net income", "2030", 5.0, "5", "Net income: 5 (2030).", h), Figure("total assets", "2030", 50.0, "50", "", h))
    >>> describe(Computed("ROA", 0.1, "0.10", "({0} / {1})", f), lambda figure: 1)
    'Computed from the cited rows: ROA = 5 (net income, FY2030) [1] / 50 (total assets, FY2030) [1] = 0.10.'
    """
    def shown(f: Figure) -> str:
        n = marker(f)
        text = f.text.replace("$", "").strip()
        if f.value >= 0:  # an outflow is used as its amount: "(1,250)" spent is 1,250
            text = text.strip("() ")
        return f"{text} ({f.item}, FY{f.year})" + (f" [{n}]" if n else "")

    expression = done.expression
    if expression.startswith("(") and expression.endswith(")") and _balanced(expression[1:-1]):
        expression = expression[1:-1]
    for i, f in enumerate(done.figures):
        expression = expression.replace(f"{{{i}}}", shown(f))
    return f"Computed from the cited rows: {done.name} = {expression} = {done.shown}."


def states_for(sentence: str, name: str, year: int, meta: dict) -> bool:
    """Whether a key sentence is a row of the metric itself with a column of ``year``: the
    filing's own figure ("Free cash flow: $2,140 (2029); $2,410 (2030)") is the answer,
    whatever its own definition, and nothing is computed.

    >>> states_for("Free cash flow: $2,140 (2029); $2,410 (2030), in millions.", "free cash flow", 2030, {})
    True
    >>> states_for("Free cash flow: $2,140 (2029).", "free cash flow", 2030, {})
    False
    """
    label, pairs, _ = read_row(sentence)
    return stating(label + " 0", name) and any(column_year(c, meta) == str(year) for _, c in pairs)


def stating(sentence: str, name: str) -> bool:
    """Whether a sentence states the metric itself: all the words of its name, and a figure.

    >>> stating("Gross margin was 61.2% in fiscal 2030.", "gross margin"), stating("Revenue rose.", "gross margin")
    (True, False)
    """
    words = set(tokens(re.sub(r"\([^)]*\)", " ", name)))
    return bool(words) and words <= set(tokens(sentence)) and re.search(r"\d", sentence) is not None


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0
