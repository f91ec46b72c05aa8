"""Rank fusion and score boosts: pure functions over ids and scores."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence, Set

from rag.text import tokens


def rrf(rankings: dict[str, Sequence[str]], k: int = 60, weights: dict[str, float] | None = None) -> dict[str, float]:
    """Reciprocal rank fusion: ``score(d) = Σ_r w_r / (k + rank_r(d))``, ranks from 1.

    >>> scores = rrf({"bm25": ["a", "b"], "dense": ["b", "c"]}, k=1)
    >>> sorted(scores, key=scores.get, reverse=True)
    ['b', 'a', 'c']
    >>> round(scores["b"], 3)  # 1/(1+2) + 1/(1+1)
    0.833
    """
    weights = weights or {}
    out: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, item in enumerate(ids, start=1):
            out[item] = out.get(item, 0.0) + w / (k + rank)
    return out


def ranks(rankings: dict[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    """Per item, the rank each retriever gave it.

    >>> ranks({"bm25": ["a", "b"], "dense": ["b"]})
    {'a': {'bm25': 1}, 'b': {'bm25': 2, 'dense': 1}}
    """
    out: dict[str, dict[str, int]] = {}
    for name, ids in rankings.items():
        for rank, item in enumerate(ids, start=1):
            out.setdefault(item, {})[name] = rank
    return out


def idf_table(token_sets: Iterable[Set[str]]) -> dict[str, float]:
    """``log(1 + N / df)`` for every token of a collection (one token set per passage).

    >>> t = idf_table([set(tokens("alpha beta")), set(tokens("alpha gamma"))])
    >>> t["alpha"] < t["beta"]
    True
    """
    df: Counter[str] = Counter()
    n = 0
    for have in token_sets:
        df.update(have)
        n += 1
    return {t: math.log(1 + n / d) for t, d in df.items()}


def query_weights(wanted: Set[str], idf: dict[str, float]) -> dict[str, float]:
    """Each query token's weight: its idf, or the highest idf for a word never seen (a
    question about "Meta" over sources that never mention Meta covers little).

    Made once per query: the highest idf is a scan of the whole vocabulary, which done per
    passage cost the retriever 70 ms a question.

    >>> query_weights({"a", "zz"}, {"a": 1.0, "b": 3.0}) == {"a": 1.0, "zz": 3.0}
    True
    """
    unseen = max(idf.values(), default=1.0) if any(t not in idf for t in wanted) else 0.0
    return {t: idf.get(t, unseen) for t in wanted}


def covered_share(weights: dict[str, float], have: Set[str]) -> float:
    """IDF-weighted share of the query's words present in a passage (rare words dominate),
    from the query's weights and the passage's token set, each made once.

    >>> weights = query_weights(set(tokens("Meta capital expenditures")), {"capit": 1.0, "expenditur": 1.0, "rose": 5.0})
    >>> round(covered_share(weights, set(tokens("capital expenditures rose"))), 2)
    0.29
    """
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in have) / total if total else 0.0
