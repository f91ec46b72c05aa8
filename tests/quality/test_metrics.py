"""Checks of the checker: hand-made cases where each metric must fail as well as pass,
and the retrieval metric against a brute-force reference."""

from __future__ import annotations

import itertools
import json

import pytest

from rag.quality.grounding import citation_pairs, claims, faithful, faithfulness, on_gold
from rag.quality.items import EvalItem, load_items
from rag.quality.metrics import (contains_quote, doc_coverage, evidence_flags, matches_all, norm_tokens, recall_at,
                               reciprocal_rank, refusal_scores)
from rag.errors import EvalSetError

QUOTE = ("The acceptance rate of the second token prediction ranges between 85% and 90% across various "
         "generation topics, demonstrating consistent reliability.")


def test_quote_split_across_two_chunks_counts_where_most_of_it_is():
    words = QUOTE.split()
    first, second = " ".join(words[:13]), " ".join(words[13:])
    assert contains_quote(f"Intro text. {first}", QUOTE)  # 13 of 18 tokens: over 60 %
    assert not contains_quote(f"{second} More text follows.", QUOTE)  # 5 of 18: under
    assert evidence_flags([("v3", first), ("v3", second)], [{"file": "v3", "quote": QUOTE}]) == [True, False]


def test_hyphenated_line_break_quotes_and_dashes_are_normalized():
    chunk = "the accep-\ntance rate of the second token pre-\ndiction ranges between 85% and 90% across various generation topics"
    assert contains_quote(chunk, QUOTE)
    assert norm_tokens("“R1” — open") == norm_tokens('"R1" - open')


def test_same_text_in_another_document_is_not_evidence():
    assert evidence_flags([("other-doc", QUOTE)], [{"file": "v3", "quote": QUOTE}]) == [False]


def test_citation_to_the_wrong_page_is_not_correct():
    evidence = [{"file": "nvidia-10k", "quote": "Data Center revenue for fiscal year 2025 was $115.2 billion, up 142%"}]
    right_page = "Fiscal Year 2025 Summary. Data Center revenue for fiscal year 2025 was $115.2 billion, up 142% from a year ago."
    wrong_page = "Data Center revenue for fiscal year 2024 was $47.5 billion, up 217% from a year ago."
    assert on_gold("nvidia-10k", right_page, "", evidence)
    assert not on_gold("nvidia-10k", wrong_page, "Data Center revenue for fiscal year 2024 was $47.5 billion", evidence)


def test_citation_precision_fails_a_citation_that_does_not_support_its_sentence():
    passages = {1: "DeepSeek-V3 has 671B total parameters.", 2: "Janus-Pro was trained on A100 GPUs."}
    pairs = citation_pairs("DeepSeek-V3 has 671B total parameters. [2] Janus-Pro was trained on A100 GPUs. [2]", passages)
    assert [ok for _, _, ok in pairs] == [False, True]


def test_refusal_on_an_answerable_item_is_a_false_refusal():
    scores = refusal_scores(refused=[True, False, True], unanswerable=[False, False, True])
    assert scores == {"refusal_precision": 0.5, "refusal_recall": 1.0, "false_refusal_rate": 0.5}


def test_faithfulness_fails_on_a_wrong_figure_a_missing_marker_and_an_unrelated_passage():
    passage = "DeepSeek-V3 has 671B total parameters, of which 37B are activated for each token."
    assert faithful("DeepSeek-V3 activates 37B parameters for each token.", passage)
    assert not faithful("DeepSeek-V3 activates 47B parameters for each token.", passage)
    assert not faithful("Revenue tripled thanks to gaming demand.", passage)
    assert faithfulness("It activates 37B parameters per token. [1] It has 671B parameters.", {1: passage}) == (1, 2)
    assert claims("A. [2] B.") == [("A.", (2,)), ("B.", ())]


def test_correctness_needs_every_group():
    assert matches_all([["671 ?B"], ["37 ?B"]], "671B total, 37B active")
    assert not matches_all([["671 ?B"], ["37 ?B"]], "671B total")


def _brute_force(ranked, evidence, k):
    """Reference: try every (hit, quote) pair, checking the quote's tokens in order by
    enumerating subsequences of the hit's tokens (exponential, so tiny inputs only)."""
    def holds(text, quote):
        q, c = norm_tokens(quote), norm_tokens(text)
        figures = {t for t in q if t.isdigit()}
        if figures and len([f for f in figures if f in c]) * 2 <= len(figures):
            return False  # more than half of the quote's figures must be there
        need = -(-6 * len(q) // 10)  # ceil(0.6 · len)
        for size in range(len(q), need - 1, -1):
            for sub in itertools.combinations(q, size):
                it = iter(c)
                if all(tok in it for tok in sub):
                    return True
        return False
    return float(any(doc == e["file"] and holds(text, e["quote"]) for doc, text in ranked[:k] for e in evidence))


@pytest.mark.parametrize("seed", range(12))
def test_recall_matches_a_brute_force_reference(seed):
    import random

    rng = random.Random(seed)
    vocab = "alpha beta gamma delta epsilon zeta 12 7".split()
    evidence = [{"file": "d1", "quote": " ".join(rng.choices(vocab, k=5))}]
    ranked = [(rng.choice(["d1", "d2"]), " ".join(rng.choices(vocab, k=7))) for _ in range(6)]
    flags = evidence_flags(ranked, evidence)
    for k in (1, 3, 6):
        assert recall_at(flags, k) == _brute_force(ranked, evidence, k)
    first = next((i for i in range(1, 7) if _brute_force(ranked, evidence, i)), None)
    assert reciprocal_rank(flags) == (1 / first if first else 0.0)


def test_doc_coverage_counts_documents_not_hits():
    ev = [{"file": "a", "quote": "alpha beta gamma"}, {"file": "b", "quote": "delta epsilon zeta"}]
    assert doc_coverage([("a", "alpha beta gamma"), ("a", "alpha beta gamma")], ev) == 0.5
    assert doc_coverage([("a", "alpha beta gamma"), ("b", "delta epsilon zeta")], ev) == 1.0


def test_golden_set_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "set.jsonl"
    bad.write_text(json.dumps({"id": "q1", "kind": "factoid", "question": "Q?"}) + "\n"
                   + json.dumps({"id": "q2", "kind": "trivia", "question": "Q?"}) + "\n")
    with pytest.raises(EvalSetError, match=r"set.jsonl:2: kind 'trivia'"):
        load_items([bad])
    bad.write_text(json.dumps({"id": "q1", "kind": "factoid", "question": "Q?", "must_include": [["(unclosed"]]}))
    with pytest.raises(EvalSetError, match="bad regex"):
        load_items([bad])
    with pytest.raises(EvalSetError, match="Cannot read"):
        load_items([tmp_path / "missing.jsonl"])


def test_dev_set_loads(dev_set):
    items = load_items([dev_set])
    assert all(isinstance(i, EvalItem) for i in items) and {i.kind for i in items} >= {"factoid", "unanswerable"}
