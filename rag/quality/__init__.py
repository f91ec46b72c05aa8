"""Grounded-answer evaluation over golden JSONL sets.

``evaluate()`` runs every item through the public ``ask()`` and returns scored rows, the
overall and per-kind summary, and (with a baseline) the deltas. Modules: ``items``
(the set format), ``metrics`` and ``grounding`` (pure metric functions), ``runner``,
``report`` (table, report.md, charts), ``judge`` (optional LLM judge), ``draft``
(candidate items from a document).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.config import Settings


@dataclass(frozen=True)
class EvalResult:
    rows: list[dict]
    summary: dict[str, Any]
    deltas: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def regressions(self) -> list[str]:
        return list(self.deltas["regressions"]) if self.deltas else []


def evaluate(sets: Sequence[str | Path] = (), *, settings: Settings | None = None, backend: str | None = None,
             k: int | None = None, judge: str | None = None, out: str | Path | None = None,
             baseline: str | Path | None = None, limit: int | None = None, progress: bool = False) -> EvalResult:
    """Score golden sets (default: ``settings.eval_set``, ``RAG_EVAL_SET``) against the index in ``settings``."""
    from rag.quality import report, runner
    from rag.quality.items import default_sets, load_items

    settings = settings or Settings.load()
    sets = list(sets) or default_sets(settings)
    items = load_items(sets)[:limit]
    baseline_rows = report.load_rows(baseline) if baseline else None  # fail before a long run, not after
    rows = runner.run(items, settings, backend=backend, k=k, judge=judge, progress=progress)
    summary = runner.summarize(rows)
    models = sorted({r["model"] for r in rows if r.get("model")})
    summary["config"] = {"sets": ", ".join(map(str, sets)), "backend": backend or settings.backend,
                         "model": ", ".join(models), "k": k or settings.top_k, "judge": judge,
                         "date": _dt.datetime.now().isoformat(timespec="seconds")}
    deltas = report.compare(summary, rows, baseline_rows) if baseline_rows is not None else None
    files = report.write(out, rows, summary, deltas) if out else []
    return EvalResult(rows, summary, deltas, files)
