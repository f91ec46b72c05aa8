"""The answer's shape (pure): the answering sentence first, at most two after it, within the limit."""

from __future__ import annotations

from rag.cite import Aligned, cite
from rag.compose import EXPLAIN_CHARS, FACTOID_CHARS, limit, shape
from rag.types import Chunk, Hit

HIT = Hit(Chunk("c1", "acme-10k", "text", 0, 4, page=3, meta={"title": "Acme 10-K"}), 1.0)
FILLER = "Acme designs and sells industrial tools to contractors across many regions of the world"


def checked(*sentences: str) -> list[Aligned]:
    return [Aligned(s, HIT, 1.0) for s in sentences]


def test_a_figure_question_opens_with_the_sentence_that_states_a_figure():
    said = checked("Acme is a maker of tools.", "Acme sold $5.2 million of tools in fiscal 2030.", "It has a plant.")
    out = shape(said, "How much did Acme sell in fiscal 2030?")
    assert out[0].sentence == "Acme sold $5.2 million of tools in fiscal 2030."


def test_at_most_two_supporting_sentences_and_the_factoid_limit():
    said = checked("Acme sold $5.2 million of tools in 2030.", *[f"{FILLER}, part {i}." for i in range(6)])
    text, citations, _ = cite(shape(said, "How much did Acme sell in 2030?"))
    assert len(text) <= FACTOID_CHARS and text.startswith("Acme sold $5.2 million") and text.count("[1]") <= 3
    assert citations[0].page == 3


def test_an_explanation_gets_the_longer_limit():
    said = checked(*[f"{FILLER}, and to builders and to the many firms that keep their roads and bridges, reason {i}."
                     for i in range(8)])
    text, _, _ = cite(shape(said, "Why did Acme's sales rise?"))
    assert FACTOID_CHARS < len(text) <= EXPLAIN_CHARS and text.count("[1]") == 4
    assert limit("Why did Acme's sales rise?") == EXPLAIN_CHARS and limit("What did Acme sell?") == FACTOID_CHARS


def test_a_factoid_asked_several_ways_or_by_how_keeps_the_factoid_limit():
    """The limits follow what is asked, not how: figures asked in two parts, or by "how did …
    change", are factoids; "how does … work" and a part that asks no figure are explanations."""
    for factoid in ("How many tools did Acme sell in 2030, and how long did delivery take?",
                    "How did Acme's revenue change between 2029 and 2030?", "How does Zeta-7B score on AlphaBench?"):
        assert limit(factoid) == FACTOID_CHARS, factoid
    for explanation in ("How does Acme price its tools?", "How many tools did Acme sell, and why did buyers choose them?"):
        assert limit(explanation) == EXPLAIN_CHARS, explanation


def test_each_part_keeps_its_sentence_past_the_limit():
    lead = "Acme sold 5,000 tools in 2030, " + ", ".join([FILLER] * 7) + "."  # over 600 characters alone
    said = checked(lead, "Zeta sold 4,000 tools in 2030.", f"{FILLER}.")
    out = [a.sentence for a in shape(said, "How many tools did Acme sell in 2030, and how many did Zeta sell?")]
    assert out[:2] == [lead, "Zeta sold 4,000 tools in 2030."] and len(out) == 2, out


def test_a_long_lead_is_cut_to_its_clause_with_the_figure():
    lead = ("Acme's fiscal 2030 was a year of change for the group in every region it serves, with new leaders in "
            "three of its four divisions and a new name for its tools; net sales reached $5.2 million, up 4%; the "
            "board met eleven times during the year and approved two new plants abroad, one in each of the two hemispheres.")
    out = shape(checked(lead), "What were Acme's net sales in fiscal 2030?")
    assert out[0].sentence == "net sales reached $5.2 million, up 4%."


def test_unsupported_sentences_are_kept_apart_not_shown():
    said = checked("Acme sold $5.2 million of tools in 2030.") + [Aligned("Pigs fly at 9 knots.", None, 0.0)]
    text, _, dropped = cite(shape(said, "How much did Acme sell in 2030?"))
    assert "Pigs" not in text and dropped == ("Pigs fly at 9 knots.",)
