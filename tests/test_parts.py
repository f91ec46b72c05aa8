"""One answer per part: which questions compare subjects, and how their hits are merged
(pure), and a comparison answered on the real corpus."""

from __future__ import annotations

import pytest

from rag.parts import by_part, compared, conjoined, drop_names, interleave
from rag.types import Chunk, Hit


def hit(name: str) -> Hit:
    return Hit(Chunk(name, f"{name}-doc", f"{name} text", 0, 9), 1.0)


def test_parts_with_subjects_of_their_own_are_compared():
    assert compared(["What did Acme spend in 2030?", "What did Zeta spend in 2030?"])
    assert not compared(["What did Acme spend in 2030?", "and how did it change?"])
    assert not compared(["What did Acme spend in 2030?"])


def test_each_part_keeps_its_best_passage_in_the_top_k():
    whole = [hit("a1"), hit("a2"), hit("a3"), hit("a4")]
    merged = interleave([whole, [hit("z1"), hit("a1")]], 4)
    assert [h.chunk.id for h in merged] == ["a1", "z1", "a2", "a3"]


def test_a_part_without_passages_is_reported_missing_and_the_rest_kept():
    found = {"Acme capex?": [hit("a1")], "Zeta capex?": []}
    hits, missing = by_part(list(found), [hit("a1")], 5, found.get, lambda part, hs: "" if hs else "none")
    assert missing == ["Zeta capex?"] and [h.chunk.id for h in hits] == ["a1"]


def test_names_the_sources_lack_are_dropped_from_a_conjoined_question():
    assert conjoined("Acme versus Zeta?") and not conjoined("What did Acme earn?")
    assert drop_names("What did Acme and Zeta's unit earn?", ["Zeta"]) == "What did Acme and unit earn?"


@pytest.mark.slow
def test_a_comparison_with_a_yes_or_no_side_answers_both_sides(corpus_index):
    """", and did <Name> …?" is a part of its own, and the parts stay apart after each side's
    retrieval: the second side's short answer is not dropped as a repeat of the first's."""
    from rag.answer import ask

    settings, _ = corpus_index
    answer = ask("How much of its own stock did NVIDIA repurchase in the quarter ending October 27, 2024, and did "
                 "Amazon repurchase any shares during 2024?", settings=settings)
    assert "There were no repurchases of common stock in 2023 or 2024." in answer.text, answer.text
    assert {"amazon-10k-fy2024", "nvidia-10q-q3-fy2025"} <= {c.doc_id for c in answer.citations}, answer.citations


@pytest.mark.slow
def test_a_side_asked_in_two_parts_is_still_one_side(corpus_index):
    """"…how much did AWS sell in 2024 and how quickly did it grow?" names no subject in its
    last part; that part belongs to the AWS side, so the question is still a comparison whose
    sides are each retrieved (it used to be refused: no Amazon passage was found)."""
    from rag.answer import ask

    settings, _ = corpus_index
    answer = ask("What was NVIDIA's revenue for fiscal year 2025, and how much did AWS sell in 2024 and how quickly "
                 "did it grow?", settings=settings)
    assert not answer.refused, answer.reason
    cited = {c.doc_id for c in answer.citations}
    assert "amazon-10k-fy2024" in cited and any(d.startswith("nvidia-") for d in cited), cited
