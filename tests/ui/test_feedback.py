"""Ratings are appended to a JSONL file with everything needed to review the answer later."""

from __future__ import annotations

import json

from rag.types import Answer, Citation
from rag.ui import feedback


def test_feedback_lines_carry_question_answer_and_citations(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    citation = Citation(1, "c", "fleet", "Fleet", "17 cargo drones.", page=2)
    answer = Answer("How many drones?", "17 drones. [1]", (citation,))
    feedback.record(path, answer, "up", session="s1", backend="local", k=5, filters={})
    feedback.record(path, answer, "down", session="s2", backend="local", k=5, filters={"company": "NVIDIA"})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["rating"] for line in lines] == ["up", "down"]
    assert lines[0]["question"] == "How many drones?" and lines[0]["answer"] == "17 drones. [1]"
    assert lines[0]["citations"][0]["quote"] == "17 cargo drones." and lines[0]["citations"][0]["page"] == 2
    assert lines[1]["filters"] == {"company": "NVIDIA"}
