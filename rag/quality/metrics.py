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
    """Whether a chunk holds (enough of) a quote: ≥ ``min_share`` of its tokens in order,
    and more than half of its distinct figures.

    Tolerant to chunk boundaries: a quote split across two chunks still counts in each
    chunk that holds 60 % of it. Not fooled by the same sentence with other figures (last
    year's line of a filing, a sibling model's numbers), which matches most of the words.

    >>> contains_quote("... the acceptance rate ranges between 85% and 90% across topics", "acceptance rate ranges between 85% and 90%")
    True
    >>> contains_quote("revenue grew", "acceptance rate ranges between 85% and 90%")
    False
    >>> contains_quote("Revenue for fiscal 2024 was $60.9 billion, up 126%", "Revenue for fiscal 2025 was $130.5 billion, up 114%")
    False
    """
    q = norm_tokens(quote)
    if not q:
        return False
    c = norm_tokens(chunk_text)
    if " ".join(q) in " ".join(c):
        return True
    if lcs_len(q, c) < min_share * len(q):
        return False
    figures = {t for t in q if any(ch.isdigit() for ch in t)}
    return not figures or len(figures & set(c)) > len(figures) / 2


def matches_all(patterns: Sequence[Sequence[str]], text: str) -> bool:
    """Answer correctness: every group has at least one regex alternative found (case-insensitive).

    >>> matches_all([[r"\\$? ?80 ?(b|bn|billion)"], ["2024"]], "Acme committed $80 billion in 2024.")
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


def is_evidence(doc: str, text: str, page: int | None, e: dict) -> bool:
    """Whether one retrieved passage is the gold evidence ``e``: from its file, and on its
    cited page (``page``, 1-based) or holding its quote (see ``contains_quote``).

    >>> is_evidence("a", "Net sales were $5 million.", 12, {"file": "a", "page": 12})
    True
    >>> is_evidence("a", "Net sales were $5 million.", 13, {"file": "a", "page": 12}), is_evidence("b", "x", 12, {"file": "a", "page": 12})
    (False, False)
    """
    if doc != e["file"]:
        return False
    if e.get("page") is not None and page == e["page"]:
        return True
    return bool(e.get("quote")) and contains_quote(text, e["quote"])


def evidence_flags(hits: Sequence[tuple], evidence: Sequence[dict]) -> list[bool]:
    """For each retrieved ``(doc_id, text[, page])``, whether it is gold evidence (``is_evidence``).

    >>> ev = [{"file": "a", "quote": "the sky is blue today"}]
    >>> evidence_flags([("b", "the sky is blue today"), ("a", "Yes, the sky is blue today.")], ev)
    [False, True]
    >>> evidence_flags([("a", "cash flow", 3), ("a", "cash flow", 4)], [{"file": "a", "page": 4}])
    [False, True]
    """
    return [any(is_evidence(h[0], h[1], h[2] if len(h) > 2 else None, e) for e in evidence) for h in hits]


def recall_at(flags: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` hits is evidence, else 0.0.

    >>> recall_at([False, False, True], 2), recall_at([False, False, True], 3)
    (0.0, 1.0)
    """
    return 1.0 if any(flags[:k]) else 0.0


def reciprocal_rank(flags: Sequence[bool]) -> float:
    """1 / rank of the first evidence hit (0 when none): the per-item term of MRR.

    >>> reciprocal_rank([False, True]), reciprocal_rank([False])
    (0.5, 0.0)
    """
    rank = first_relevant_rank(flags)
    return 1.0 / rank if rank else 0.0


def doc_coverage(hits: Sequence[tuple], evidence: Sequence[dict]) -> float:
    """Share of the evidence documents that have at least one evidence hit (multi-document items).

    >>> ev = [{"file": "a", "quote": "alpha beta gamma"}, {"file": "b", "quote": "delta epsilon zeta"}]
    >>> doc_coverage([("a", "so alpha beta gamma"), ("b", "unrelated words here")], ev)
    0.5
    """
    docs = {e["file"] for e in evidence}
    if not docs:
        return 0.0
    found = {e["file"] for e in evidence for h in hits if is_evidence(h[0], h[1], h[2] if len(h) > 2 else None, e)}
    return len(found) / len(docs)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values.

    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 95), percentile([], 50)
    (2.5, 3.85, None)
    """
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 6)


def refusal_scores(refused: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of refusing on unanswerable items, and the false-refusal rate
    on the answerable ones (None where a denominator is empty).

    >>> refusal_scores([True, True, False, False], [True, False, True, False])
    {'refusal_precision': 0.5, 'refusal_recall': 0.5, 'false_refusal_rate': 0.5}
    """
    pairs = list(zip(refused, unanswerable))
    tp = sum(r and u for r, u in pairs)
    n_refused = sum(r for r, _ in pairs)
    n_unans = sum(u for _, u in pairs)
    n_ans = len(pairs) - n_unans
    return {
        "refusal_precision": tp / n_refused if n_refused else None,
        "refusal_recall": tp / n_unans if n_unans else None,
        "false_refusal_rate": sum(r and not u for r, u in pairs) / n_ans if n_ans else None,
    }
