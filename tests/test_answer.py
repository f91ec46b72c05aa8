"""The evidence gate's reasons, on hand-made passages (pure: no model, no index)."""

from __future__ import annotations

from rag.answer import refusal_reason
from rag.types import Chunk, Evidence, Hit

V3 = Chunk("v3", "deepseek-v3-report", "Training DeepSeek-V3 cost 2.788M H800 GPU hours, or $5.576M.", 0, 60,
           meta={"title": "DeepSeek-V3 Technical Report"})
R1 = Chunk("r1", "deepseek-r1-paper", "DeepSeek-R1 uses GRPO for reinforcement learning with rule-based rewards.", 0, 70,
           meta={"title": "DeepSeek-R1 paper"})


def _hits(coverage):
    return [Hit(V3, 1.0, coverage=coverage), Hit(R1, 0.5, coverage=coverage)]


def test_off_topic_question_is_refused():
    assert "covers this question" in refusal_reason("Best cookie recipe?", _hits(0.1), [], 0.3)


def test_a_name_no_passage_mentions_is_refused():
    assert "mentions Meta" in refusal_reason("How much did Meta spend on training?", _hits(0.6), [], 0.3)


def test_a_figure_from_a_passage_about_something_else_is_refused():
    hits = _hits(0.6)
    evidence = [Evidence(hits[0], V3.text, 2.0)]
    reason = refusal_reason("How many GPU hours did training DeepSeek-R1 cost?", hits, evidence, 0.3)
    assert "DeepSeek-V3 Technical Report" in reason and "DeepSeek-R1" in reason


def test_an_answerable_question_passes():
    hits = _hits(0.6)
    assert refusal_reason("How many GPU hours did training DeepSeek-V3 cost?", hits, [Evidence(hits[0], V3.text, 2.0)], 0.3) == ""


Q3 = Chunk("q3", "nvidia-10q-q3-fy2025", "Revenue for the third quarter of fiscal year 2025 was $35.1 billion.", 0, 68,
           meta={"title": "NVIDIA Form 10-Q (Q3 fiscal 2025)"})


def test_a_figure_for_a_quarter_the_passages_do_not_cover_is_refused():
    hits = [Hit(Q3, 1.0, coverage=0.8)]
    evidence = [Evidence(hits[0], Q3.text, 2.0)]
    reason = refusal_reason("What revenue did NVIDIA report for the third quarter of fiscal 2026?", hits, evidence, 0.3)
    assert "Q3 of fiscal 2026" in reason
    assert refusal_reason("What revenue did NVIDIA report for Q3 of fiscal 2025?", hits, evidence, 0.3) == ""


def test_a_quarter_asked_without_how_much_is_checked_too():
    hits = [Hit(Q3, 1.0, coverage=0.8)]
    evidence = [Evidence(hits[0], Q3.text, 2.0)]
    assert "Q3 of fiscal 2026" in refusal_reason("What was NVIDIA's revenue for Q3 fiscal 2026?", hits, evidence, 0.3)
