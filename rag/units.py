"""The unit a question asks for, and a cited figure restated in it.

Analysts ask "Answer in USD billions" of statements kept "(in millions)". The cited row
holds the figure, but in the wrong unit: a reader should not have to shift the decimal
point, nor trust a small model to. ``unit_note`` does the arithmetic on a figure the
answer cites and says so, apart from the answer sentences: the citation checker verifies
those against their passages, and a converted figure is in no passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag.text import is_number, tokens

SCALES = {"thousands": 1e3, "millions": 1e6, "billions": 1e9}
_ASKED = re.compile(r"\bin (?:usd|us\$|u\.s\. dollars|\$|dollars)? ?(thousands|millions|billions)\b", re.I)
_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_DECIMALS = re.compile(r"\bround\w*\b[^.?]*?\b(\d|zero|no|one|two|three|four) decimal", re.I)
_NUMBER = r"\(?-?\$?\s?\d[\d,]*(?:\.\d+)?\)?"
# A restated table row: "Label: 8,738 (2018); 8,866 (2017), in millions." (rag.retrieve.tables).
_ROW = re.compile(rf"({_NUMBER}) \(([^()]*)\)(?=;|, in (?:thousands|millions|billions)\.$|\.$)")
_ROW_UNIT = re.compile(r", in (thousands|millions|billions)\.$")
# Prose: "$389 million", "$4.6 billion".
_PROSE = re.compile(r"(\$\s?\d[\d,]*(?:\.\d+)?) ?(thousand|million|billion)\b", re.I)


def asked_unit(question: str) -> tuple[str, int | None]:
    """The scale a question asks its answer in ("" for none) and the decimals it asks for.

    >>> asked_unit("What is Acme's FY2030 capex (in USD millions)?")
    ('millions', None)
    >>> asked_unit("How much cash did Acme hold? Answer in USD billions. Round to two decimal places.")
    ('billions', 2)
    >>> asked_unit("How many GPUs were used?")
    ('', None)
    """
    m, d = _ASKED.search(question), _DECIMALS.search(question)
    decimals = None if d is None else int(_WORDS.get(d.group(1).lower(), d.group(1)))
    return (m.group(1).lower() if m else ""), decimals


def figures(sentence: str) -> list[tuple[str, str, str]]:
    """The scaled figures of a key sentence: (value, column, scale).

    >>> figures("Property, plant and equipment - net: 8,738 (2018); 8,866 (2017), in millions.")
    [('8,738', '2018', 'millions'), ('8,866', '2017', 'millions')]
    >>> figures("Dividends paid were $389 million in 2020.")
    [('$389', '', 'millions')]
    >>> figures("Revenue: 5 (2024); 6 (2023).")
    []
    """
    if m := _ROW_UNIT.search(sentence):
        return [(v.strip(), column, m.group(1)) for v, column in _ROW.findall(sentence)]
    return [(v, "", scale.lower() + "s") for v, scale in _PROSE.findall(sentence)]


def convert(value: str, source: str, target: str, decimals: int | None = None) -> str:
    """``value`` in ``source`` scale restated in ``target`` scale, keeping its sign notation.
    Without asked decimals: one for a larger unit (as "$8.7 billion" is written), none for
    a smaller one.

    >>> convert("(4,620)", "millions", "billions"), convert("$389", "millions", "billions", 2)
    ('(4.6)', '$0.39')
    >>> convert("8.7", "billions", "millions")
    '8,700'
    """
    number = float(re.sub(r"[^\d.]", "", value))
    scaled = number * SCALES[source] / SCALES[target]
    places = decimals if decimals is not None else (1 if SCALES[target] > SCALES[source] else 0)
    text = f"{scaled:,.{places}f}"
    if value.strip().startswith("("):
        text = f"({text})"
    elif "-" in value:
        text = f"-{text}"
    return ("$" if "$" in value else "") + text


def unit_note(question: str, quoted: Sequence[tuple[int, str]], years: Iterable[str] = ()) -> str:
    """A note restating the answer's first scaled figure in the unit the question asks for.
    ``quoted`` holds (citation marker, sentence) in answer order; ``years`` the question's
    fiscal years, which pick a row's column.

    >>> unit_note("What was Acme's FY2030 net PP&E? Answer in USD billions.",
    ...           [(1, "Property, plant and equipment - net: 8,738 (2030); 8,866 (2029), in millions.")], ["2030"])
    'In billions: 8,738 (2030, in millions) [1] is 8.7.'
    >>> unit_note("What was Acme's net PP&E? Answer in USD millions.", [(1, "Net PP&E: 8,738 (2030), in millions.")])
    ''
    >>> unit_note("What was Acme's capex in USD billions?", [(1, "Proceeds from debt: 4,122 (2030), in millions.")])
    ''
    """
    target, decimals = asked_unit(question)
    if not target:
        return ""
    years, wanted = tuple(years), {t for t in tokens(question) if not is_number(t)}
    for marker, sentence in quoted:
        # Only a figure of what the question asks about: its row label (or sentence) shares
        # a word with the question ("Dividends paid" for "cash dividends").
        label = sentence.split(": ", 1)[0] if _ROW_UNIT.search(sentence) else sentence
        found = figures(sentence) if wanted & set(tokens(label)) else []
        if years:
            found = [f for f in found if not f[1] or any(y in f[1] for y in years)]
        if not found:
            continue
        value, column, source = found[0]
        if source == target:
            return ""  # the cited figure is already in the asked unit
        cited = f"{value} ({column}, in {source})" if column else f"{value} {source[:-1]}"
        return f"In {target}: {cited} [{marker}] is {convert(value, source, target, decimals)}."
    return ""
