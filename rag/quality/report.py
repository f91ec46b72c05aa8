"""Eval output: the terminal table, ``report.md``, PNG charts, ``results.jsonl`` and the
comparison against a baseline run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import EvalSetError, MissingExtraError

# metric → (label, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "recall@1": ("evidence recall@1", True), "recall@5": ("evidence recall@5", True),
    "recall@10": ("evidence recall@10", True), "mrr": ("MRR", True), "doc_coverage@5": ("evidence docs covered@5", True),
    "correctness": ("answer correctness", True),
    "correct_within_limit": ("correct and within length (600 factoid / 1,000 explain)", True),
    "answer_chars": ("answer characters, median", False), "citation_precision": ("citation precision", True),
    "citation_recall": ("citation recall", True), "citations_on_gold": ("citations on gold evidence", True), "faithfulness": ("faithfulness (checker)", True),
    "judge_faithfulness": ("faithfulness (LLM judge)", True), "refusal_precision": ("refusal precision", True),
    "refusal_recall": ("refusal recall", True), "false_refusal_rate": ("false-refusal rate", False),
}
TOLERANCE = 0.02  # a rate moving less than this between runs is noise on a 45-item set
LATENCY_TOLERANCE = 1.25


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def table(summary: dict, deltas: dict | None = None) -> str:
    """The metrics (rows) overall, per golden set when there are several, and per kind
    (columns), then latency; markdown-compatible."""
    columns = {"overall": summary["overall"], **summary.get("by_set", {}), **summary["by_kind"]}
    head = ["metric", *columns] + (["Δ baseline"] if deltas else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, (label, _) in METRICS.items():
        cells = [c.get(key) for c in columns.values()]
        if all(c is None for c in cells):
            continue
        extra = [deltas["metrics"].get(key, "")] if deltas else []
        lines.append("| " + " | ".join([label, *map(_fmt, cells), *extra]) + " |")
    lines.append("| items | " + " | ".join(str(c["items"]) for c in columns.values()) + (" | |" if deltas else " |"))
    lines += ["", "| stage | p50 s | p95 s |", "|---|---|---|"]
    lines += [f"| {s} | {_fmt(v['p50'])} | {_fmt(v['p95'])} |" for s, v in summary["latency"].items()]
    return "\n".join(lines)


def compare(summary: dict, rows: Sequence[dict], baseline_rows: Sequence[dict]) -> dict[str, Any]:
    """Deltas against a baseline run; a drop beyond the tolerance is flagged a regression.

    >>> from rag.quality.runner import summarize
    >>> old = [{"id": "a", "kind": "factoid", "correct": True}, {"id": "b", "kind": "factoid", "correct": True}]
    >>> new = [{"id": "a", "kind": "factoid", "correct": True}, {"id": "b", "kind": "factoid", "correct": False}]
    >>> d = compare(summarize(new), new, old)
    >>> d["metrics"]["correctness"], d["regressions"], d["newly_failing"]
    ('-0.500 REGRESSION', ['correctness'], ['b'])
    """
    from rag.quality.runner import summarize

    base = summarize(baseline_rows)
    out: dict[str, Any] = {"metrics": {}, "regressions": [], "newly_failing": [], "newly_passing": []}
    for key, (_, higher) in METRICS.items():
        new, old = summary["overall"].get(key), base["overall"].get(key)
        if new is None or old is None:
            continue
        delta = new - old
        worse = (-delta if higher else delta) > TOLERANCE
        out["metrics"][key] = f"{delta:+.3f}" + (" REGRESSION" if worse else "")
        if worse:
            out["regressions"].append(key)
    for stage, v in summary["latency"].items():
        old = base["latency"].get(stage, {}).get("p50")
        if old and v["p50"] and v["p50"] > old * LATENCY_TOLERANCE:
            out["regressions"].append(f"latency {stage} p50 {old:.2f}→{v['p50']:.2f} s")
    before = {r["id"]: r.get("correct") for r in baseline_rows}
    for r in rows:
        if before.get(r["id"]) is True and r.get("correct") is False:
            out["newly_failing"].append(r["id"])
        elif before.get(r["id"]) is False and r.get("correct") is True:
            out["newly_passing"].append(r["id"])
    return out


def load_rows(path: str | Path) -> list[dict]:
    try:
        return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise EvalSetError(f"Cannot read the baseline {path}: {exc}. Pass a results.jsonl written by `rag eval --out`.") from None


def write(out_dir: str | Path, rows: Sequence[dict], summary: dict, deltas: dict | None = None) -> list[Path]:
    """``results.jsonl`` (one row per item), ``summary.json``, ``report.md`` and the charts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps({**summary, "baseline": deltas}, indent=2), encoding="utf-8")
    charts = _charts(out, rows, summary)
    md = [f"# Eval report\n\n{_config_line(summary)}\n", table(summary, deltas), ""]
    if deltas:
        md += [f"Regressions: {', '.join(deltas['regressions']) or 'none'}. Newly failing: "
               f"{', '.join(deltas['newly_failing']) or 'none'}. Newly passing: {', '.join(deltas['newly_passing']) or 'none'}.", ""]
    md += [f"![{p.stem}]({p.name})" for p in charts] + ["", "## Failures", ""]
    md += [f"- **{r['id']}** ({r['kind']}): {'; '.join(r['failures'])}" for r in rows if r["failures"]] or ["none"]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return [out / "results.jsonl", out / "summary.json", out / "report.md", *charts]


def _config_line(summary: dict) -> str:
    c = summary.get("config", {})
    return ", ".join(f"{k}: {v}" for k, v in c.items()) or ""


def _charts(out: Path, rows: Sequence[dict], summary: dict) -> list[Path]:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("The eval charts", "matplotlib", "eval") from None
    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    keys = ["recall@5", "correctness", "citation_precision", "citation_recall", "faithfulness", "refusal_recall"]
    kinds = list(summary["by_kind"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(1, len(keys))
    for i, key in enumerate(keys):
        values = [summary["by_kind"][k].get(key) or 0.0 for k in kinds]
        ax.bar([x + i * width for x in range(len(kinds))], values, width, label=METRICS[key][0])
    ax.set_xticks([x + width * (len(keys) - 1) / 2 for x in range(len(kinds))], kinds)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Metrics per question kind")
    ax.legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    paths = [out / "metrics_by_kind.png"]
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)
    stages = [s for s in ("retrieve", "first_token", "total") if any(s in r.get("timings", {}) for r in rows)]
    if stages:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.boxplot([[r["timings"][s] for r in rows if s in r.get("timings", {})] for s in stages], tick_labels=stages)
        ax.set_ylabel("seconds")
        ax.set_title("Latency per stage")
        fig.tight_layout()
        paths.append(out / "latency.png")
        fig.savefig(paths[1], dpi=110)
        plt.close(fig)
    return paths
