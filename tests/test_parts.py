"""One answer per part (pure): which questions compare subjects, and how their hits are merged."""

from __future__ import annotations

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
