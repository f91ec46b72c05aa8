"""The quality gate: the dev set through the default backend must meet evals/thresholds.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rag.evals import evaluate
from rag.evals.report import METRICS, table

THRESHOLDS = Path(__file__).resolve().parents[2] / "evals" / "thresholds.toml"
ARTIFACTS = Path(__file__).resolve().parents[2] / "evals" / "artifacts" / "dev"


def test_thresholds_name_real_metrics():
    floors = tomllib.loads(THRESHOLDS.read_text())
    assert floors["min"] and set(floors["min"]) | set(floors.get("max", {})) <= set(METRICS)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 45 answers take ~2 min on a quiet machine; llama.cpp crawls when the cores are shared
def test_dev_set_meets_the_thresholds(corpus_index, dev_set):
    settings, _ = corpus_index
    floors = tomllib.loads(THRESHOLDS.read_text())
    result = evaluate([dev_set], settings=settings, out=ARTIFACTS)  # the default backend
    print(table(result.summary))
    overall = result.summary["overall"]
    below = [f"{m} {overall[m]} < {v}" for m, v in floors["min"].items() if (overall[m] or 0.0) < v]
    above = [f"{m} {overall[m]} > {v}" for m, v in floors.get("max", {}).items() if (overall[m] or 0.0) > v]
    assert result.summary["errors"] == 0, [r["error"] for r in result.rows if r["error"]]
    assert not below + above, f"below the floors in {THRESHOLDS.name} (report: {ARTIFACTS / 'report.md'})"
