"""How key sentences read together (pure): an explanation goes on in its lead's paragraph;
a lead that only introduces something is followed by the sentence that takes it up; a
sentence dated years away from the asked period gives way; and a comparison whose sides
have no names is answered by the lead and its counterpart in another document.
``rag.retrieve.sentences`` uses them on its ranked (score, passage rank, text) triples;
``place`` gives each prose sentence's (and each list read whole's) position in its
passage's reading order."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from rag.followup import COMPARES
from rag.text import is_number, tokens
from rag.types import Hit

Ranked = list[tuple[float, int, str]]


def read_on(ranked: Ranked, place: dict[tuple[int, str], int]) -> Ranked:
    """``ranked`` with ``NEAR`` added to the lead and the two sentences after it in its
    passage: an explanation reads as a paragraph ("…highly competitive." → "Additionally,
    other firms may…"), where a sentence from another page repeats the topic.

    >>> place = {(0, "Robots compete."): 0, (0, "Rivals may be cheaper."): 1, (1, "Robots sell."): 0}
    >>> [t for _, _, t in read_on([(2.0, 0, "Robots compete."), (1.8, 1, "Robots sell."), (1.6, 0, "Rivals may be cheaper.")], place)]
    ['Robots compete.', 'Rivals may be cheaper.', 'Robots sell.']
    """
    if not ranked:
        return ranked
    lead = ranked[0][1:]
    at = place.get(lead)
    if at is None:
        return ranked
    near = [(v + NEAR * (r == lead[0] and 0 <= place.get((r, t), -99) - at <= 2), r, t) for v, r, t in ranked]
    return sorted(near, key=lambda x: -x[0])


NEAR = 0.3  # set by hand and checked on every eval set (README): a paragraph's pull, under a passage's rank prior


YEAR = re.compile(r"(?<![\d.,$])(?:199\d|20[0-3]\d)(?![\d%])")  # not "a context of 2048"
OFF_PERIOD = 0.3  # as much as holding the asked kind of answer: a dated figure of another year is none


def off_period(years: set[str], sentence: str) -> bool:
    """Whether a sentence dates itself only in years two or more away from those asked
    about: "we repurchased $6.0 billion in 2029" does not answer for 2031. A year next to an
    asked one may be the same period: the quarter ended October 2030 is in fiscal 2031.

    >>> off_period({"2031"}, "We repurchased $6.0 billion in 2029."), off_period({"2031"}, "None in 2030 or 2031.")
    (True, False)
    >>> off_period({"2030"}, "Sales of the third quarter of fiscal 2031."), off_period({"2031"}, "Sales rose.")
    (False, False)
    """
    said = {int(y) for y in YEAR.findall(sentence)}
    return bool(years and said and all(abs(y - int(a)) >= 2 for y in said for a in years))


def refers_back(sentence: str, after: str, asked: set[str], idf: dict[str, float]) -> bool:
    """Whether ``after``, the sentence that follows ``sentence``, opens by taking up what it
    introduced: a word of it that the question did not ask about, within its first eight
    content words (``tokens``: no stop words, stemmed) ("…published the Zeta rule." → "After a delay, the Zeta rule will require…"). The
    word must be a rare one (idf at least ``RARE`` of the rarest's): "As a result of these
    requirements" after "…requires a license" takes up nothing in particular.

    >>> idf = {"agenc": 2.0, "publish": 2.0, "zeta": 9.0, "rule": 5.0, "delay": 4.0, "revenu": 1.0, "requir": 1.0}
    >>> refers_back("The agency published the Zeta rule.", "After a delay, the rule will require a license.", {"zeta"}, idf)
    True
    >>> refers_back("The agency published the Zeta rule.", "Revenue rose 5% in the year.", {"zeta"}, idf)
    False
    """
    rare = RARE * max(idf.values(), default=0.0)
    mine = {t for t in set(tokens(sentence)) if not is_number(t) and idf.get(t, rare) >= rare} - asked
    return bool(mine & set(tokens(after)[:8]))


RARE = 0.4  # of the highest idf: names and terms ("IFR", "USG") pass, filing words ("requires") do not


def taken_up(chosen: list[tuple[float, int, str]], place: dict[tuple[int, str], int], asked: set[str],
             idf: dict[str, float], n: int) -> list[tuple[float, int, str]]:
    """``chosen`` with the lead's next sentence right after it, when that sentence takes the
    lead up (``refers_back``): "the agency published the Zeta rule" says what the rule is
    only with "after a delay, the rule will require a license for…". The last gives way (or
    the sentence moves up, when it was chosen already).

    >>> chosen = [(2.0, 0, "Zeta published the rule."), (1.0, 0, "Sales rose.")]
    >>> place = {(0, "Zeta published the rule."): 0, (0, "The rule bans chips."): 1, (0, "Sales rose."): 5}
    >>> [t for _, _, t in taken_up(chosen, place, set(), {"rule": 5.0}, 2)]
    ['Zeta published the rule.', 'The rule bans chips.']
    >>> [t for _, _, t in taken_up(chosen, place, set(), {"rule": 5.0}, 1)]
    ['Zeta published the rule.']
    """
    if n < 2 or not chosen:
        return chosen[:n]
    value, rank, lead = chosen[0]
    at = place.get((rank, lead))
    after = next((t for (r, t), a in place.items() if r == rank and at is not None and a == at + 1), None)
    if after is None or not refers_back(lead, after, asked, idf):
        return chosen
    rest = [c for c in chosen[1:] if c[2] != after]  # chosen already: it moves up to read after the lead
    return [chosen[0], (value, rank, after)] + rest[:n - 2]


_SAME_AS = re.compile(r"\bthe same as\b", re.I)


def compares(question: str) -> bool:
    """Whether a question compares: the follow-up words for it (``rag.followup.COMPARES``), or
    "the same as".

    >>> compares("Is it the same as the one in the report?"), compares("How does it differ?"), compares("Why?")
    (True, True, False)
    """
    return bool(COMPARES.search(question) or _SAME_AS.search(question))



LIKE = 1.0  # set by hand: a counterpart's likeness to the lead (a cosine) weighs as much as its own score


def counterpart(chosen: Ranked, ranked: Ranked, hits: Sequence[Hit], vector_of: dict[str, np.ndarray], n: int) -> Ranked:
    """A comparison whose sides have no names ("is the setup in that report the same as the
    one later reported?") is answered by the lead and by its counterpart in another document:
    the sentence of another document that is best by score plus ``LIKE`` × likeness to the
    lead ("each unit spans 18 nodes" ↔ "the minimum unit consists of 40 nodes").

    >>> from rag.types import Chunk
    >>> hits = [Hit(Chunk("a", "d1", "x", 0, 1), 1.0), Hit(Chunk("b", "d2", "x", 0, 1), 0.9)]
    >>> v = {"Units span 18 nodes.": np.array([1.0, 0.0]), "Units are big.": np.array([0.0, 1.0]),
    ...      "A unit has 40 nodes.": np.array([0.9, 0.44]), "Serving is cheap.": np.array([0.0, 1.0])}
    >>> ranked = [(2.0, 0, "Units span 18 nodes."), (1.9, 0, "Units are big."), (1.5, 1, "Serving is cheap."),
    ...           (1.4, 1, "A unit has 40 nodes.")]
    >>> [t for _, _, t in counterpart(ranked[:2], ranked, hits, v, 2)]
    ['Units span 18 nodes.', 'A unit has 40 nodes.']
    >>> [t for _, _, t in counterpart(ranked[:2], ranked, hits, v, 1)]
    ['Units span 18 nodes.']
    """
    if n < 2 or not chosen:
        return chosen[:n]
    lead = chosen[0]
    doc = hits[lead[1]].chunk.doc_id
    if lead[2] not in vector_of:
        return chosen
    others = [t for t in ranked if hits[t[1]].chunk.doc_id != doc and t[2] in vector_of]
    if not others:
        return chosen
    best = max(others, key=lambda t: t[0] + LIKE * float(vector_of[t[2]] @ vector_of[lead[2]]))
    return [lead, best] + [c for c in chosen[1:] if c[2] != best[2]][:n - 2]
