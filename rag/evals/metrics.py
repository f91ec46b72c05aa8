"""Evaluation metrics as pure functions, each with a worked example."""

from __future__ import annotations

import re
from collections.abc import Sequence

_DASHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "\u00ad": ""})


def norm_tokens(text: str) -> list[str]:
    """Case, whitespace, quote/dash styles and line-break hyphenation normalized away.

    >>> norm_tokens("Multi-\\ntoken  “Prediction”")
    ['multitoken', 'prediction']
    """
    text = text.translate(_DASHES)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return re.findall(r"\w+", text.lower())


def lcs_len(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (tokens in order, gaps allowed).

    >>> lcs_len("a b c d".split(), "a x c d".split())
    3
    """
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def contains_quote(chunk_text: str, quote: str, min_share: float = 0.6) -> bool:
    """Whether a chunk holds (enough of) a quote: ≥ ``min_share`` of its tokens, in order.

    Tolerant to chunk boundaries: a quote split across two chunks still counts in each
    chunk that holds 60 % of it.

    >>> contains_quote("... the acceptance rate ranges between 85% and 90% across topics", "acceptance rate ranges between 85% and 90%")
    True
    >>> contains_quote("revenue grew", "acceptance rate ranges between 85% and 90%")
    False
    """
    q = norm_tokens(quote)
    if not q:
        return False
    c = norm_tokens(chunk_text)
    if " ".join(q) in " ".join(c):
        return True
    return lcs_len(q, c) >= min_share * len(q)


def matches_all(patterns: Sequence[Sequence[str]], text: str) -> bool:
    """Answer correctness: every group has at least one regex alternative found (case-insensitive).

    >>> matches_all([[r"\\$? ?80 ?(b|bn|billion)"], ["2024"]], "Microsoft committed $80 billion in 2024.")
    True
    >>> matches_all([["85 ?%"]], "about 80%")
    False
    """
    return all(any(re.search(p, text, re.I) for p in group) for group in patterns)


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant item, or None.

    >>> first_relevant_rank([False, True, True])
    2
    """
    return next((i for i, f in enumerate(flags, start=1) if f), None)
