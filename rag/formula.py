"""The formula an analyst's question asks for, in words a filing's rows can be matched to.

The question's own definition comes first ("ROE is defined as: FY2030 net income /
(average total equity between FY2029 and FY2030)"); else a standard definition of the
metric it names, from ``rag/data/finance.json`` (accounting vocabulary, no company's);
else the shape of its words ("capex as a % of revenue", "EBITDA % margin", "three year
average of …", "EBITDA less capex"). The language: ``+ - * /``, parentheses and numbers
over line-item phrases, where "average X between FY2029 and FY2030" is the mean of two
years' X, "change in X between FY2029 and FY2030" the later less the earlier, and a year
inside a phrase sets its year. ``rag.compute`` works a formula out.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from rag.text import tokens


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    return json.loads(resources.files("rag.data").joinpath("finance.json").read_text(encoding="utf-8"))


_DEFINED = re.compile(r"(?:^|[.?;]\s+)(?:define\s+)?([A-Za-z][\w&/ ().'-]{1,60}?)\s+(?:(?:is|are)\s+)?(?:here\s+)?"
                      r"(?:defined\s+as|as)\b\s*:?\s*(.+?)(?=\.\s|\.$|$)", re.I)
_PERIODS = re.compile(r"\b(?:from |between |for |in |of |at the end of )?(?:the )?(?:year[- ]end )?(?:FY\s?'?|fiscal (?:year )?)?"
                      r"(?:19|20)\d\d(?:\s*(?:-|–|to|and|through)\s*(?:FY\s?'?|fiscal (?:year )?)?(?:19|20)\d\d)?\b", re.I)
_LEAD = re.compile(r"^(?:(?:and|so|then|also|now)\b,?\s*)?(?:(?:what|how) about\s+|how (?:does|do|did|would) (?:that|this|it|"
                   r"they) compare (?:with|to)\s+)?(?:(?:what|how much)\s+"
                   r"(?:is|was|were|are|would be)\s+)?(?:the\s+)?(?:company's\s+|its\s+|their\s+)?", re.I)


def definitions(question: str) -> dict[str, str]:
    """The metrics a question defines, name → formula, lower-cased names; a name's
    abbreviation in parentheses names it too.

    >>> definitions("What is Acme's ROA? ROA is defined as: FY2030 net income / total assets. Round it.")
    {'roa': 'FY2030 net income / total assets'}
    >>> definitions("Define quick ratio as cash plus receivables divided by current liabilities.")
    {'quick ratio': 'cash plus receivables divided by current liabilities'}
    >>> sorted(definitions("Return on assets (ROA) is defined as: net income / total assets."))
    ['return on assets', 'return on assets (roa)', 'roa']
    """
    out = {}
    for m in _DEFINED.finditer(" ".join(question.split())):
        name, body = m.group(1).strip().lower(), m.group(2).strip()
        if not re.search(r"defined|define\b", m.group(0), re.I):
            continue
        out[name] = body
        if short := re.search(r"\(([a-z&]{2,6})\)$", name):
            out[short.group(1)] = body
            out[name[:short.start()].strip()] = body
    return out


def metric_phrase(core: str) -> str:
    """What a question asks to compute, without its company, period and question words.

    >>> metric_phrase("What was the FY2031 interest coverage (IC) for Zeta Labs?")
    'interest coverage (IC)'
    >>> metric_phrase("What was Zeta's four year average of R&D as a percentage of sales from FY2027 to FY2030?")
    'four year average of R&D as a percentage of sales'
    >>> metric_phrase("Two years on, what was the retention ratio, based on dividends, to two decimals? Acme FY2022")
    'retention ratio'
    >>> metric_phrase("And unadjusted EBITDA as a percentage of net revenue? Acme FY2022")
    'unadjusted EBITDA as a percentage of net revenue'
    >>> metric_phrase("How does that compare with Zeta's quick ratio for its FY2030, computed alike?")
    'quick ratio'
    """
    text = re.split(r"\?", core)[0]
    if asked := re.search(r"\b(?:what|how much|how (?:does|do|did|would) \w+ compare)\b.*", text, re.I):  # "Two years on, what was…"
        text = asked.group(0)
    # ", based on dividends and net income", ", in USD millions", ", to two decimals": how, not what
    text = re.split(r",\s*(?:based|using|to (?:\w+ )?decimal|rounded|round|in usd|in units|calculated|computed|expressed|"
                    r"taken as|as reported|i\.e\.)", text, flags=re.I)[0]
    text = re.sub(r"\s+for\s+(?:the\s+)?[A-Z][\w&.'’ -]*$", "", text)  # "… for Acme Corp"
    text = re.sub(r"\b(?:[A-Z][\w&.-]*\s)*[A-Z][\w&.-]*(?:['’]s|s['’])(?!\w)", "", text)  # "Acme's"
    text = _PERIODS.sub(" ", text)
    text = re.sub(r"\s+(?:for|of|in) (?:its|their|the)\s*$", "", text)  # "… for its" once "FY2030" is gone
    text = _LEAD.sub("", " ".join(text.split()))
    if re.search(r"\s[-+*/]\s|\b(?:less|plus|minus)\b", text):  # "(unadjusted EBITDA)" names the whole sum
        text = re.sub(r"\s*\([^)]*\)", "", text)
    return text.strip(" ,")


def _words(text: str) -> str:
    """Operators spelled as words become symbols; brackets ("[from cash flow statement]") stay."""
    text = re.sub(r"\bdivided by\b", "/", text, flags=re.I)
    text = re.sub(r"\b(?:plus)\b", "+", text, flags=re.I)
    text = re.sub(r"\b(?:minus|less)\b", "-", text, flags=re.I)
    text = re.sub(r"\s[×x]\s|\btimes\b", " * ", text)
    return text


def parse(formula: str):
    """A formula as a tree: ``(op, left, right)``, a number, or an item phrase (str).

    >>> parse("(FY2030 operating income + interest income) / average capital employed")
    ('/', ('+', 'FY2030 operating income', 'interest income'), 'average capital employed')
    >>> parse("365 * inventory / cost of goods sold + 2")
    ('+', ('/', ('*', 365.0, 'inventory'), 'cost of goods sold'), 2.0)
    >>> parse("cash from operations (CFO) less capital expenditures (capex)")
    ('-', 'cash from operations', 'capital expenditures')
    """
    # A short gloss after a name ("cash from operations (CFO)") is no group to compute.
    formula = re.sub(r"(?<=[A-Za-z])\s*\(\s*[A-Za-z&/. ]{1,12}\)", "", formula)
    parts = [p for p in re.split(r"(\(|\)|\+|\*|/|(?<=[\s)])-(?=\s))", _words(formula)) if p and p.strip()]
    pos = 0

    def level(ops, operand):  # left to right over operators of one precedence
        def read():
            nonlocal pos
            left = operand()
            while pos < len(parts) and parts[pos].strip() in ops:
                op = parts[pos].strip()
                pos += 1
                left = (op, left, operand())
            return left
        return read

    def factor():
        nonlocal pos
        if pos >= len(parts):
            raise ValueError("formula ends early")
        piece = parts[pos].strip()
        pos += 1
        if piece == "(":
            inner = expr()
            if pos >= len(parts) or parts[pos].strip() != ")":
                raise ValueError("unclosed parenthesis")
            pos += 1
            return inner
        if piece in ")+-*/":
            raise ValueError(f"unexpected {piece!r}")
        if re.fullmatch(r"\d+(?:\.\d+)?", piece):
            return float(piece)
        return piece

    term = level(("*", "/"), factor)
    expr = level(("+", "-"), term)
    tree = expr()
    if pos < len(parts):
        raise ValueError(f"unread: {parts[pos:]}")
    return tree


def shaped(phrase: str):
    """A metric phrase's own arithmetic: "X as a % of Y", "X % margin", "N year average of X".

    >>> shaped("capex as a % of revenue")
    ('*', ('/', 'capex', 'revenue'), 100.0)
    >>> shaped("three year average of capex"), shaped("EBITDA % margin")
    (('avg-years', 3, 'capex'), ('*', ('/', 'EBITDA', 'revenue'), 100.0))
    """
    phrase = phrase.strip()
    if m := re.match(r"^([2-9]|10|two|three|four|five)[- ]year average of (.+)$", phrase, re.I):
        n = {"two": 2, "three": 3, "four": 4, "five": 5}.get(m.group(1).lower()) or int(m.group(1))
        return ("avg-years", n, shaped(m.group(2)))
    if m := re.match(r"^(.+?) as a (?:%|percent(?:age)?) of (.+)$", phrase, re.I):
        return ("*", ("/", shaped(m.group(1)), shaped(m.group(2))), 100.0)
    if m := re.match(r"^(.+?) (?:%|percent(?:age)?) margin$", phrase, re.I):
        return ("*", ("/", shaped(m.group(1)), "revenue"), 100.0)
    try:
        tree = parse(phrase)
    except ValueError:
        return phrase
    return tree


def line_item(phrase: str) -> tuple[str, tuple[str, ...], bool]:
    """(item, the words filings use for it, whether it is an outflow) for a formula phrase.

    >>> line_item("FY2019 COGS")[0], line_item("total cash dividends paid")[0], line_item("average PP&E")[0]
    ('cost of goods sold', 'dividends paid', 'property plant and equipment')
    >>> line_item("unadjusted operating income")[0], line_item("goodwill impairment")[0]
    ('operating income', 'goodwill impairment')
    """
    text = phrase.lower()
    for short, long in vocabulary()["abbreviations"].items():
        text = re.sub(rf"(?<![\w&/]){re.escape(short)}(?![\w&/])", long, text)
    have, best = set(tokens(text)), None
    for item, spec in vocabulary()["line_items"].items():
        for words in [item] + spec["words"]:
            need = set(tokens(words))
            if need and need <= have and (best is None or len(need) > best[0]):
                best = (len(need), item, spec)
    if best:
        return best[1], tuple([best[1]] + best[2]["words"]), bool(best[2].get("outflow"))
    bare = " ".join(w for w in re.findall(r"[A-Za-z&]+", text) if w not in ("average", "change", "between", "fy", "the"))
    return bare, (bare,), False
