"""Run a golden set through the public ``ask()`` and score every item.

Each item becomes one JSON-ready row (the answer, its citations, every metric and the
reasons it failed); ``summarize`` turns rows into the overall and per-kind figures. An
item that raises is recorded with its error and counts as failed; it never stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from rag.compose import limit
from rag.config import Settings
from rag.quality.grounding import citation_pairs, faithfulness, on_gold
from rag.quality.items import KINDS, EvalItem
from rag.quality.metrics import (doc_coverage, evidence_flags, matches_all, percentile, recall_at, reciprocal_rank,
                               refusal_scores)
from rag.question import parse
from rag.types import Answer

RECALL_KS = (1, 5, 10)


def run(items: Sequence[EvalItem], settings: Settings | None = None, *, backend: str | None = None,
        k: int | None = None, judge: str | None = None, progress: bool = True) -> list[dict[str, Any]]:
    """One scored row per item (see ``score_item``), with a progress bar on a terminal."""
    from rag.answer import assistant

    settings = settings or Settings.load()
    helper = assistant(settings)
    judge_fn = _judge(judge, settings) if judge else None
    rows = []
    for item in _bar(items, progress):
        rows.append(score_item(item, lambda it: _ask(helper, it, backend, k), helper.retriever.retrieve, judge_fn))
    return rows


def _ask(helper, item: EvalItem, backend: str | None, k: int | None) -> Answer:
    final = None
    for event in helper.stream(item.question, history=list(item.history), backend=backend, k=k):
        final = event
    return final


def score_item(item: EvalItem, answer_fn: Callable[[EvalItem], Answer], retrieve: Callable,
               judge_fn: Callable | None = None) -> dict[str, Any]:
    """The row for one item: ``answer_fn`` answers it; ``retrieve(query, k)`` gives the
    ranked list for recall@10 (retrieval is deterministic, so its top k are the answer's hits)."""
    row: dict[str, Any] = {"id": item.id, "set": item.set, "kind": item.kind, "question": item.question, "error": None,
                           "failures": []}
    started = time.perf_counter()
    try:
        answer = answer_fn(item)
        # The query ``ask`` retrieved with: the question's asking part, statements and line items.
        ranked = retrieve(parse(answer.query or item.question).retrieval_query, max(RECALL_KS[-1], len(answer.hits)))
    except Exception as exc:  # noqa: BLE001 - one bad item must not sink the run; the row says why
        row.update(error=f"{type(exc).__name__}: {exc}", refused=False, correct=False if item.answerable else None)
        row["failures"].append(f"error: {row['error']}")
        _score_retrieval(row, item, [])
        return row
    row["seconds"] = round(time.perf_counter() - started, 4)
    row.update(answer=answer.text, refused=answer.refused, reason=answer.reason, backend=answer.backend, model=answer.model,
               timings={k: round(v, 4) for k, v in answer.timings.items()}, query=answer.query)
    passages = {h.chunk.id: h.chunk for h in answer.hits}
    row["citations"] = [_citation_row(c, passages[c.chunk_id], item) for c in answer.citations]
    row["hits"] = [{"doc_id": h.chunk.doc_id, "page": h.chunk.page, "score": round(h.score, 6)} for h in ranked]
    _score_retrieval(row, item, [(h.chunk.doc_id, h.chunk.text, h.chunk.page) for h in ranked])
    cited = {h.chunk.id: h.passage for h in answer.hits}  # what a citation shows: a continued table under its header
    _score_answer(row, item, answer, {c.marker: cited[c.chunk_id] for c in answer.citations})
    if judge_fn and not answer.refused:
        row["judge_faithfulness"] = judge_fn(answer, passages)
    return row


def _citation_row(c, chunk, item: EvalItem) -> dict[str, Any]:
    gold = on_gold(chunk.doc_id, chunk.text, c.quote, item.evidence, chunk.page) if item.evidence else None
    return {"marker": c.marker, "doc_id": c.doc_id, "page": c.page, "quote": c.quote, "gold": gold}


def _score_retrieval(row: dict, item: EvalItem, ranked: list[tuple[str, str]]) -> None:
    if not item.evidence:
        return
    flags = evidence_flags(ranked, item.evidence)
    for k in RECALL_KS:
        row[f"recall@{k}"] = recall_at(flags, k)
    row["rr"] = reciprocal_rank(flags)
    row["doc_coverage@5"] = doc_coverage(ranked[:5], item.evidence)
    if not flags[:5] or not any(flags[:5]):
        row["failures"].append("retrieval: no gold evidence in the top 5")


def _score_answer(row: dict, item: EvalItem, answer: Answer, passages: dict[int, str]) -> None:
    if not item.answerable:
        if not answer.refused:
            row["failures"].append("answered an unanswerable question")
        return
    # Without a pattern, correctness is left to a judge (--judge) or a reader of the answer.
    # It reads the answer as shown, its note too: a figure restated in the asked unit is
    # arithmetic on a cited one. Faithfulness and citations judge the cited sentences alone.
    shown = f"{answer.text} {answer.note}".strip()
    row["correct"] = (not answer.refused and matches_all(item.must_include, shown)) if item.must_include else None
    row["chars"] = None if answer.refused else len(answer.text)
    if row["correct"] is not None:  # the answer first and short (``rag.compose.limit``)
        row["correct_short"] = bool(row["correct"] and len(answer.text) <= limit(parse(item.question).core))
    if answer.refused:
        row["failures"].append("refused an answerable question")
    elif row["correct"] is False:
        missing = [g for g in item.must_include if not matches_all([g], shown)]
        row["failures"].append(f"answer lacks {' / '.join('|'.join(g) for g in missing)}")
    if answer.refused:
        row["citation_hit"] = False if item.evidence else None
        return
    supported, total = faithfulness(answer.text, passages)
    pairs = citation_pairs(answer.text, passages)
    row.update(faithful_sentences=supported, sentences=total, cited_pairs=len(pairs),
               precise_pairs=sum(ok for _, _, ok in pairs))
    unsupported = sorted({m for m, _, ok in pairs if not ok})
    if unsupported:
        row["failures"].append(f"citations {unsupported} do not support their sentence")
    if item.evidence:
        row["citation_hit"] = any(c["gold"] for c in row["citations"])
        if not row["citation_hit"]:
            row["failures"].append("no citation points at gold evidence")


def summarize(rows: Sequence[dict]) -> dict[str, Any]:
    """Overall and per-kind metrics from rows (the same numbers the report shows)."""
    out = {"n": len(rows), "errors": sum(bool(r.get("error")) for r in rows), "overall": _metrics(rows), "by_kind": {}}
    for kind in KINDS:
        subset = [r for r in rows if r["kind"] == kind]
        if subset:
            out["by_kind"][kind] = _metrics(subset)
    sets = sorted({r.get("set", "") for r in rows} - {""})
    if len(sets) > 1:
        out["by_set"] = {name: _metrics([r for r in rows if r.get("set") == name]) for name in sets}
    out["latency"] = latency(rows)
    return out


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _metrics(rows: Sequence[dict]) -> dict[str, float | None]:
    m: dict[str, float | None] = {"items": len(rows)}
    for key in [f"recall@{k}" for k in RECALL_KS] + ["rr", "doc_coverage@5"]:
        m["mrr" if key == "rr" else key] = _mean([r.get(key) for r in rows])
    m["correctness"] = _mean([float(r["correct"]) for r in rows if r.get("correct") is not None])
    m["correct_within_limit"] = _mean([float(r["correct_short"]) for r in rows if r.get("correct_short") is not None])
    m["answer_chars"] = percentile([r["chars"] for r in rows if r.get("chars") is not None], 50)
    pairs = sum(r.get("cited_pairs", 0) for r in rows)
    m["citation_precision"] = round(sum(r.get("precise_pairs", 0) for r in rows) / pairs, 4) if pairs else None
    gold = [c["gold"] for r in rows for c in r.get("citations", []) if c.get("gold") is not None]
    m["citations_on_gold"] = round(sum(gold) / len(gold), 4) if gold else None
    m["citation_recall"] = _mean([float(r["citation_hit"]) for r in rows if r.get("citation_hit") is not None])
    total = sum(r.get("sentences", 0) for r in rows)
    m["faithfulness"] = round(sum(r.get("faithful_sentences", 0) for r in rows) / total, 4) if total else None
    m["judge_faithfulness"] = _mean([r.get("judge_faithfulness") for r in rows])
    m.update({k: None if v is None else round(v, 4) for k, v in refusal_scores(
        [bool(r.get("refused")) for r in rows], [r["kind"] == "unanswerable" for r in rows]).items()})
    return m


def latency(rows: Sequence[dict]) -> dict[str, dict[str, float | None]]:
    """p50/p95 seconds per stage (retrieve, first_token, generate, total) over answered items."""
    stages = sorted({s for r in rows for s in r.get("timings", {})})
    return {s: {"p50": percentile([r["timings"][s] for r in rows if s in r.get("timings", {})], 50),
                "p95": percentile([r["timings"][s] for r in rows if s in r.get("timings", {})], 95)} for s in stages}


def _bar(items: Sequence, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="eval", unit="item", dynamic_ncols=True)


def _judge(name: str, settings: Settings):
    from rag.quality.judge import make_judge

    return make_judge(name, settings)
