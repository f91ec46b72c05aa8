"""`rag eval` and `rag draft` end to end: real corpus index, real embedder, real ask()."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.quality.items import load_items

pytestmark = pytest.mark.slow


def _rag(settings, *args, timeout=900):
    env = {**os.environ, "RAG_HOME": str(settings.home), "RAG_CORPUS_MIRROR": str(settings.corpus_mirror)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_eval_writes_a_report_and_flags_a_regression_against_a_baseline(corpus_index, dev_set, tmp_path):
    settings, _ = corpus_index
    out = tmp_path / "run1"
    first = _rag(settings, "eval", "--set", str(dev_set), "--backend", "extractive", "--limit", "6", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "evidence recall@5" in first.stdout and "answer correctness" in first.stdout
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [i.id for i in load_items([dev_set])[:6]]
    assert all("recall@5" in r and "citations" in r for r in rows)
    assert (out / "latency.png").stat().st_size > 1000 and "## Failures" in (out / "report.md").read_text()

    same = _rag(settings, "eval", "--set", str(dev_set), "--backend", "extractive", "--limit", "6", "--json", "--baseline", str(out / "results.jsonl"))
    assert same.returncode in (0, 4), same.stderr  # 4 when only latency moved: this machine is shared and noisy
    summary = json.loads(same.stdout)
    assert [r for r in summary["baseline"]["regressions"] if not r.startswith("latency")] == []
    assert summary["overall"]["items"] == 6 and summary["baseline"]["newly_failing"] == []

    # A baseline a thousand times faster on every stage: the same answers, so only latency regresses.
    fast = tmp_path / "fast.jsonl"
    fast.write_text("".join(json.dumps({**r, "timings": {k: v / 1000 for k, v in r["timings"].items()}}) + "\n" for r in rows))
    slower = _rag(settings, "eval", "--set", str(dev_set), "--backend", "extractive", "--limit", "6", "--baseline", str(fast))
    assert slower.returncode == 4 and "regressions: latency" in slower.stdout, slower.stdout + slower.stderr


def test_eval_reports_a_bad_set_by_name(corpus_index, tmp_path):
    settings, _ = corpus_index
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "kind": "factoid"}\n')
    result = _rag(settings, "eval", "--set", str(bad))
    assert result.returncode == 1 and "bad.jsonl:1: 'question'" in result.stderr and "Traceback" not in result.stderr


def test_eval_without_a_set_says_how_to_give_one(settings):
    env = {k: v for k, v in os.environ.items() if k != "RAG_EVAL_SET"}
    result = subprocess.run([sys.executable, "-m", "rag.cli", "eval"], capture_output=True, text=True, timeout=120,
                            env={**env, "RAG_HOME": str(settings.home)})
    assert result.returncode == 1 and "--set FILE" in result.stderr and "RAG_EVAL_SET" in result.stderr
    assert "Traceback" not in result.stderr


def test_draft_items_load_as_a_golden_set_and_their_quotes_are_in_the_index(corpus_index, tmp_path):
    settings, _ = corpus_index
    doc = settings.documents_dir / "nvidia-press-release-q1-fy2026.html"
    out = tmp_path / "draft.jsonl"
    result = _rag(settings, "draft", str(doc), "-n", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    items = load_items([out])
    assert len(items) == 4 and all(i.evidence[0]["file"] == "nvidia-press-release-q1-fy2026" for i in items)
    from rag.quality.metrics import matches_all

    assert all(matches_all(i.must_include, i.answer) for i in items)  # the pattern finds the figure in its own answer
