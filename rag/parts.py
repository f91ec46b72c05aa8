"""One answer per part: a question that compares subjects ("Acme's and Zeta's 2030 capex",
"Model-A against Model-B") is retrieved for each subject, and a part the sources do not
cover is said to be missing instead of answered from the other part's passages.

One retrieval for the whole question finds the subject its words favour: the passages of
the other subject rank below the top k, and the answer covers one side only. Parts that
share a subject ("Which chips trained Model-A, and how long did it take?") need no second
retrieval: they are left to the key sentences (``rag.retrieve.sentences.question_parts``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.followup import names
from rag.question import rejoin
from rag.types import Hit


def compared(parts: Sequence[str], common: Callable[[str], bool] | None = None) -> bool:
    """Whether every part names a subject of its own (one the sources may not know: that
    part is then said to be missing, and the others answered).

    >>> compared(["What was Acme's capex?", "What was Zeta's capex?"])
    True
    >>> compared(["Which chips trained Acme's model", "how long did it take?"])
    False
    """
    if len(parts) < 2:
        return False
    subjects = [frozenset(names(p, common)) for p in parts]
    return all(subjects) and len(set(subjects)) == len(subjects)


def sides_of(parts: Sequence[str], common: Callable[[str], bool] | None = None) -> list[str]:
    """The parts as a comparison's sides: a part that names no subject belongs to the side
    before it ("…how much did Zeta sell, and how fast did it grow?" is one side, Zeta's).

    >>> sides_of(["What did Acme earn", "how much did Zeta sell", "how fast did it grow?"])
    ['What did Acme earn', 'how much did Zeta sell? how fast did it grow?']
    >>> sides_of(["Which chips trained Acme's model", "how long did it take?"])
    ["Which chips trained Acme's model? how long did it take?"]
    """
    out: list[str] = []
    for part in parts:
        if out and not names(part, common):
            out[-1] = rejoin([out[-1], part])
        else:
            out.append(part)
    return out


def interleave(rankings: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """The first of each ranking, then the second of each…, without repeats, up to ``k``
    (the whole question's ranking first, so its best passage keeps rank 1).

    >>> from rag.types import Chunk
    >>> h = {n: Hit(Chunk(n, "d", n, 0, 1), 1.0) for n in "abcde"}
    >>> [x.chunk.id for x in interleave([[h["a"], h["b"]], [h["c"], h["a"]], [h["d"], h["e"]]], 4)]
    ['a', 'c', 'd', 'b']
    """
    out, seen = [], set()
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].chunk.id not in seen:
                seen.add(ranking[rank].chunk.id)
                out.append(ranking[rank])
    return out[:k]


def by_part(parts: Sequence[str], hits: list[Hit], k: int, retrieve: Callable[[str], list[Hit]],
            refusal: Callable[[str, list[Hit]], str]) -> tuple[list[Hit], list[str]]:
    """The hits of the whole question interleaved with each part's own, ``k`` and two more for
    each part after the first, and the parts no passage covers (``refusal(part, its hits)``
    gives a reason).

    >>> from rag.types import Chunk
    >>> acme = Hit(Chunk("a", "acme", "Acme capex was $5.", 0, 1), 1.0)
    >>> found = {"Acme capex?": [acme], "Zeta capex?": []}
    >>> hits, missing = by_part(["Acme capex?", "Zeta capex?"], [acme], 5, found.get,
    ...                         lambda part, hs: "" if hs else "nothing")
    >>> [h.chunk.id for h in hits], missing
    (['a'], ['Zeta capex?'])
    """
    own = [retrieve(part) for part in parts]
    missing = [part for part, found in zip(parts, own) if refusal(part, found)]
    # Two more places for each part after the first: k shared by three rankings left a side
    # only its best passage, and the line it needs may be in its second or third.
    return interleave([hits] + own, k + 2 * (len(parts) - 1)), missing


def distinct_periods(hints: Sequence) -> bool:
    """Whether each part asks about a period of its own (``Hints`` of each part): the parts
    of "between Q1 2030 and Q3 2031" are retrieved each for its period.

    >>> from rag.retrieve.hints import parse_hints
    >>> distinct_periods([parse_hints("sales in Q1 2030"), parse_hints("sales in Q3 2031")])
    True
    >>> distinct_periods([parse_hints("sales in 2030"), parse_hints("costs in 2030")]), distinct_periods([parse_hints("x")])
    (False, False)
    """
    periods = [(h.years, h.quarter, h.dates) for h in hints]
    return len(periods) > 1 and all(h.period for h in hints) and len(set(periods)) == len(periods)


_CONJOINED = re.compile(r"\b(?:and|versus|vs\.?|against|compared? (?:with|to)|or)\b|,", re.I)


def conjoined(question: str) -> bool:
    """Whether the question joins several things ("Acme's and Zeta's", "A versus B").

    >>> conjoined("What did Acme and Zeta earn?"), conjoined("What did Acme earn?")
    (True, False)
    """
    return bool(_CONJOINED.search(question))


def drop_names(question: str, names: Sequence[str]) -> str:
    """The question without the names the sources lack (and their possessive), so the
    checks judge the part that can be answered.

    >>> drop_names("When were Acme's Model-X and Zeta's Model-Q released?", ["Zeta", "Model-Q"])
    "When were Acme's Model-X and released?"
    """
    for name in names:
        question = re.sub(rf"(?:\bof\s+)?\b{re.escape(name)}(?:['’]s)?(?![\w-])\s*", "", question)
    return " ".join(question.split())
