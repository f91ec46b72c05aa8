"""The runner's scoring and the report, on hand-made answers (the answerer is a stand-in
collaborator here; the real ask() runs in test_eval_cli and test_gate)."""

from __future__ import annotations

import json

from rag.quality import report
from rag.quality.items import EvalItem
from rag.quality.runner import score_item, summarize
from rag.types import Answer, Chunk, Citation, Hit

EVIDENCE = ({"file": "v3", "quote": "DeepSeek-V3 has 671B total parameters, of which 37B are activated for each token."},)
GOLD = Chunk("g", "v3", "Architecture. DeepSeek-V3 has 671B total parameters, of which 37B are activated for each token.",
             0, 90, page=4, meta={"title": "V3"})
OTHER = Chunk("o", "v2", "DeepSeek-V2 has 236B total parameters, of which 21B are activated for each token.", 0, 80,
              page=2, meta={"title": "V2"})
ITEM = EvalItem("q1", "factoid", "How many parameters does V3 activate per token?", must_include=(("37 ?B",),),
                evidence=EVIDENCE)


def _answer(text, cited, refused=False):
    hits = (Hit(GOLD, 1.0), Hit(OTHER, 0.5))
    cits = tuple(Citation(i, c.id, c.doc_id, "t", c.text, page=c.page) for i, c in enumerate(cited, start=1))
    return Answer(ITEM.question, text, cits, refused, hits, "test", "test", timings={"retrieve": 0.01, "total": 0.5},
                  query=ITEM.question)


def _retrieve(query, k):
    return [Hit(OTHER, 1.0), Hit(GOLD, 0.5)][:k]


def test_a_correct_cited_answer_scores_on_every_metric():
    row = score_item(ITEM, lambda it: _answer("V3 activates 37B parameters for each token. [1]", [GOLD]), _retrieve)
    assert row["correct"] and row["citation_hit"] and row["citations"][0]["gold"]
    assert (row["cited_pairs"], row["precise_pairs"]) == (1, 1)
    assert (row["recall@1"], row["recall@5"], row["rr"]) == (0.0, 1.0, 0.5)
    assert (row["faithful_sentences"], row["sentences"]) == (1, 1) and row["failures"] == []


def test_a_wrong_citation_and_answer_are_explained():
    row = score_item(ITEM, lambda it: _answer("V2 activates 21B parameters for each token. [1]", [OTHER]), _retrieve)
    assert row["correct"] is False and row["citation_hit"] is False
    assert any("lacks 37 ?B" in f for f in row["failures"]) and "no citation points at gold evidence" in row["failures"]


def test_a_citation_to_a_passage_that_does_not_say_it_is_imprecise():
    row = score_item(ITEM, lambda it: _answer("V3 activates 37B parameters for each token. [1]", [OTHER]), _retrieve)
    assert row["correct"] and (row["cited_pairs"], row["precise_pairs"]) == (1, 0)
    assert summarize([row])["overall"]["citation_precision"] == 0.0


def test_refusing_an_answerable_item_counts_against_it():
    row = score_item(ITEM, lambda it: _answer("I can't find this in the sources.", [], refused=True), _retrieve)
    summary = summarize([row])["overall"]
    assert summary["false_refusal_rate"] == 1.0 and summary["correctness"] == 0.0 and summary["citation_recall"] == 0.0


def test_an_item_that_errors_is_recorded_and_failed():
    def boom(item):
        raise RuntimeError("model crashed")
    row = score_item(ITEM, boom, _retrieve)
    assert row["error"] == "RuntimeError: model crashed" and row["correct"] is False and row["recall@5"] == 0.0
    assert summarize([row])["errors"] == 1


def test_report_files_and_baseline_regression(tmp_path):
    good = score_item(ITEM, lambda it: _answer("V3 activates 37B parameters for each token. [1]", [GOLD]), _retrieve)
    bad = score_item(ITEM, lambda it: _answer("V2 activates 21B parameters for each token. [1]", [OTHER]), _retrieve)
    summary = summarize([bad])
    deltas = report.compare(summary, [bad], [good])
    assert "correctness" in deltas["regressions"] and deltas["newly_failing"] == ["q1"]
    files = report.write(tmp_path, [bad], summary, deltas)
    assert {p.name for p in files} == {"results.jsonl", "summary.json", "report.md", "metrics_by_kind.png", "latency.png"}
    assert json.loads((tmp_path / "results.jsonl").read_text())["id"] == "q1"
    assert (tmp_path / "metrics_by_kind.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "report.md").read_text()
    assert "REGRESSION" in md and "**q1**" in md
