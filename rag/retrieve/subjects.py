"""The names a question gives, and which passages speak for them.

A comparison's side ("… Zorblax-3 than Zorblax-2") is answered by a sentence about that
side: one that gives its name whole, or one in a document that is about it (its title
names it, or it is the named company's filing), never by a sibling's ("Zorblax-Coder-2").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from rag.retrieve.hints import mentions
from rag.types import Hit


def named(name: str, text: str) -> bool:
    """Whether ``text`` gives ``name`` whole: "Zorblax-Coder-2" does not give "Zorblax-2".

    >>> named("Zorblax-2", "Zorblax-2 has 9B parameters"), named("Zorblax-2", "Zorblax-Coder-2 has 9B")
    (True, False)
    """
    return bool(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I))


def own_names(parts: Sequence[str], subjects: Sequence[str]) -> list[tuple[str, ...]]:
    """Per part of a comparison, the names it gives that no other part gives; none when
    fewer than two parts have such names (the parts then share one subject).

    >>> own_names(["How big is Zorblax-3?", "How big is Zorblax-2?"], ["Zorblax-3", "Zorblax-2"])
    [('Zorblax-3',), ('Zorblax-2',)]
    >>> own_names(["Which chips trained Zorblax-3", "how long did it take?"], ["Zorblax-3"])
    [(), ()]
    """
    given = [tuple(n for n in subjects if named(n, part)) for part in parts]
    own = [tuple(n for n in g if not any(n in other for j, other in enumerate(given) if j != i))
           for i, g in enumerate(given)]
    return own if sum(map(bool, own)) >= 2 else [()] * len(parts)


def said_by(query: str, hit: Hit, names: Sequence[str] = (), subjects: Sequence[str] = ()) -> tuple[str, ...]:
    """The question's names a passage says by being where it is (``names``: the companies
    of the index; ``subjects``: the names the question gives).

    A filing speaks for its company: "Total Acme stockholders' equity" is no closer to
    "Acme's total assets" than "Total assets" is, in Acme's own filing. A document speaks
    for the name its title gives: "It comprises 9B parameters" in the report titled
    "Zorblax-2: ..." answers "How large is Zorblax-2?" as well as a sentence that repeats the
    name, and better than one about "Zorblax-Coder-2" (whose title does not give the name).

    >>> from rag.types import Chunk
    >>> report = Hit(Chunk("c", "d", "It comprises 9B parameters.", 0, 1, meta={"title": "Zorblax-2: A Model"}), 1.0)
    >>> said_by("How large is Zorblax-2?", report, subjects=["Zorblax-2"])
    ('Zorblax-2',)
    >>> said_by("How large is Zorblax-Coder-2?", report, subjects=["Zorblax-Coder-2"])
    ()
    >>> filing = Hit(Chunk("c", "d", "Revenue rose.", 0, 1, meta={"company": "Acme Corp"}), 1.0)
    >>> said_by("What did Acme's cloud earn?", filing, subjects=["Acme", "Acme Cloud"])
    ('Acme',)
    """
    meta = hit.chunk.meta
    company = meta.get("company")
    said = [c for c in names if c == company and mentions(query, c, names)]
    # A name that is (part of) the company's: "Acme" for "Acme Corp", not "Acme Cloud" (a
    # filing of Acme does not say "cloud" in every sentence).
    own = set(re.findall(r"[a-z0-9]+", str(company or "").lower()))
    said += [n for n in subjects if named(n, str(meta.get("title", "")))
             or own and set(re.findall(r"[a-z0-9]+", n.lower())) <= own]
    return tuple(dict.fromkeys(said))


OWNS = 0.8  # share of a name's mentions in one company's documents that makes it that company's


def owner_of(companies: Iterable[str | None]) -> str | None:
    """The company that owns a name, given the company of each chunk that holds it (None or
    "" for a document of no company): the one whose documents hold ``OWNS`` of them, when no
    paper or article holds it too.

    >>> owner_of(["Acme"] * 9 + ["Zeta"]), owner_of(["Acme"] * 7 + ["Zeta"] * 3), owner_of(["Acme", None])
    ('Acme', None, None)
    """
    said = Counter(c or None for c in companies)
    company, n = said.most_common(1)[0] if said else (None, 0)
    return str(company) if company and None not in said and n >= OWNS * sum(said.values()) else None


def word_count(text: str, word: str) -> int:
    """How often ``word`` stands alone in ``text``, not in a URL, handle or hyphenated name.
    A literal search and a look at the neighbours: a regex with look-arounds is 10× slower.

    >>> word_count("real gains; the real-time feed; www.real.com; Real; real.", "real")
    2
    """
    n, start = 0, text.find(word)
    while start != -1:
        end = start + len(word)
        before, after = text[start - 1:start] if start else " ", text[end:end + 2] + "  "
        if not (before.isalnum() or before in "-/.@_") and not (after[0].isalnum() or after[0] in "-/@_"
                                                               or (after[0] == "." and after[1].isalnum())):
            n += 1
        start = text.find(word, end)
    return n
