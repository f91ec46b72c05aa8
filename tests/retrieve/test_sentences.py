"""Key sentences on hand-made passages, with the real MiniLM embedder."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.retrieve.fusion import idf_table
from rag.retrieve.sentences import key_sentences
from rag.text import tokens
from rag.types import Chunk, Hit

PASSAGES = [
    "Janus-Pro is trained and evaluated using HAI-LLM, a distributed training framework built on PyTorch. "
    "Janus-Pro incorporates an optimized training strategy and expanded training data. "
    "The whole training process took about 9/14 days on a cluster of 16/32 nodes, each equipped with 8 Nvidia A100 GPUs.",
    "Table 2 | Detailed hyperparameters for training Janus-Pro. "
    "We use sequence packing during training to improve training efficiency.",
    "The pre-training dataset is created with a composition of 60% source code, 10% math corpus and 30% natural language. "
    "Consequently, the model has been exposed to a total of 10.2T high-quality tokens during the pre-training phase. "
    "We first collect 20k code-related instruction data and 30k math related data.",
]


@pytest.fixture(scope="module")
def embed():
    from rag.embed import get_embedder

    return get_embedder(Settings()).embed


def _hits():
    chunks = [Chunk(f"c{i}", f"d{i}", text, 0, len(text), meta={"title": f"Doc {i}"}) for i, text in enumerate(PASSAGES)]
    return [Hit(c, 1.0 - i / 10) for i, c in enumerate(chunks)], idf_table([set(tokens(p)) for p in PASSAGES])


@pytest.mark.slow
def test_each_part_of_a_two_part_question_gets_its_sentence(embed):
    hits, idf = _hits()
    top = [e.text for e in key_sentences("What was the data mix for the pre-training, and how many tokens did the "
                                         "model see in total?", hits, idf, embed, n=2)]
    assert any("60% source code" in t for t in top) and any("10.2T" in t for t in top)


@pytest.mark.slow
def test_a_duration_question_prefers_the_sentence_with_a_duration_over_a_caption(embed):
    hits, idf = _hits()
    top = key_sentences("What hardware was Janus-Pro trained on and how long did training take?", hits, idf, embed, n=2)
    assert any("9/14 days" in e.text for e in top)
    assert not any(e.text.startswith("Table 2") for e in top)


TABLE = ("Net sales information is as follows (in millions):\n\nYear Ended December 31,\n2023 | 2024\nNet Sales:\n"
         "North America | $352,828 | $387,497\nAWS | 90,757 | 107,556\nYear-over-year Percentage Growth:\nAWS | 13 | 19")


@pytest.mark.slow
def test_a_table_row_answers_with_its_column_header_and_passes_the_checker(embed):
    from rag.cite import align

    chunk = Chunk("t", "amazon-10k", TABLE, 0, len(TABLE), meta={"title": "Amazon 10-K"})
    hits = [Hit(chunk, 1.0)] + _hits()[0]
    idf = idf_table([set(tokens(TABLE))] + [set(tokens(p)) for p in PASSAGES])
    top = key_sentences("What were AWS net sales in 2024?", hits, idf, embed, n=1)[0]
    assert top.text == "Net Sales AWS: 90,757 (2023); 107,556 (2024), in millions."
    assert [a.hit.chunk.id for a in align(top.text, hits)] == ["t"]  # every token of it is in the passage



@pytest.mark.slow
def test_rows_of_a_table_continued_from_the_chunk_above_get_its_header(embed):
    from rag.cite import align
    from rag.retrieve.tables import carried_header

    above = "Consolidated Statements of Cash Flows\n(In millions)\n2031 2030\nNet income 709 621"
    rest = "Financing activities\nDividends paid (389) (353)\nRepurchases of stock (41) (20)"
    chunk = Chunk("cont", "acme-10k", rest, 100, 100 + len(rest), page=7, meta={"title": "Acme 10-K"})
    hits = [Hit(chunk, 1.0, context=carried_header(above))] + _hits()[0]
    idf = idf_table([set(tokens(above + rest))] + [set(tokens(p)) for p in PASSAGES])
    top = key_sentences("How much did Acme pay in dividends in 2031?", hits, idf, embed, n=1)[0]
    assert top.text == "Financing activities Dividends paid: (389) (2031); (353) (2030), in millions."
    assert [a.hit.chunk.id for a in align(top.text, hits)] == ["cont"]  # checked against the passage and its header
    assert align(top.text, [Hit(chunk, 1.0)] + _hits()[0])[0].hit is None  # without the header: no year, no support

@pytest.mark.parametrize("question, answering, other", [
    ("How often does NVIDIA pay a dividend?", "It pays a dividend quarterly.", "It pays a dividend."),
    ("What share of revenue came from Gaming?", "Gaming was 9% of revenue.", "Gaming revenue rose."),
    ("How much did Alphabet spend on TPUs?", "It spent $52.5 billion.", "It spent heavily on TPUs."),
    ("How long is the warranty period?", "The warranty runs 3 years.", "The warranty covers GPUs."),
    ("When was DeepSeek-V2 released?", "It was released in May 2024.", "It was released by DeepSeek."),
    ("How many parameters does Janus-Pro-7B have?", "It has about 7 billion in total.", "It has the V3 tokenizer."),
])
def test_answer_types_on_phrasings_outside_the_dev_set(question, answering, other):
    from rag.retrieve.sentences import answer_type

    wants = answer_type(question)
    assert wants.search(answering) and not wants.search(other)


def test_question_parts_on_phrasings_outside_the_dev_set():
    from rag.question import question_parts

    assert question_parts("Which licence covers DeepSeek-V3 and Janus-Pro?") == [
        "Which licence covers DeepSeek-V3?", "Which licence covers Janus-Pro?"]
    assert question_parts("What were Sales and Marketing expenses in 2024?") == [
        "What were Sales and Marketing expenses in 2024?"]
    assert question_parts("Who trained R1, and when was it released?") == ["Who trained R1", "when was it released?"]


def _titled(docs: list[tuple[str, str]]):
    chunks = [Chunk(f"c{i}", f"d{i}", text, 0, len(text), meta={"title": title}) for i, (title, text) in enumerate(docs)]
    return [Hit(c, 1.0 - i / 10) for i, c in enumerate(chunks)], idf_table([set(tokens(t)) for _, t in docs])


@pytest.mark.slow
def test_each_side_of_a_comparison_is_answered_from_the_document_about_it(embed):
    """The older model's report says "It comprises …" without its name; a sibling model's
    report names both words of it ("Zorblax-Coder-2") and must not answer for it."""
    hits, idf = _titled([
        ("Zorblax-3 Technical Report", "Under this setup, Zorblax-3 comprises 900B total parameters, of which 50B "
                                       "are activated for each token."),
        ("Zorblax-Coder-2: Code Models", "Zorblax-Coder-2 has been exposed to a total of "
                                         "9T tokens and 300B total parameters during pre-training."),
        ("Zorblax-2: An Economical Model", "It comprises 310B total parameters, of which 30B are activated for each "
                                           "token. The model is pre-trained on a corpus of 7T tokens."),
    ])
    top = key_sentences("How much bigger is Zorblax-3 than Zorblax-2 in total parameters?", hits, idf, embed, n=2,
                        subjects=["Zorblax-3", "Zorblax-2"])
    texts = [e.text for e in top]
    assert any("900B" in t for t in texts) and any("310B" in t for t in texts), texts


@pytest.mark.slow
def test_a_list_introduction_is_read_with_the_labels_of_its_items(embed):
    hits, idf = _titled([("Quenby Scoring", "Scoring\nTo train the Quenby ranker, we adopt a rule-based scoring "
                                            "scheme made of two kinds of scores:\n• Exactness scores: a checker "
                                            "compares the final result with the reference.\n• Layout scores: the "
                                            "output must keep its reasoning between tags.\nThe scheme has no "
                                            "learned part.")])
    top = key_sentences("What kind of scores did the Quenby ranker's training use?", hits, idf, embed, n=1)
    assert top[0].text.endswith("two kinds of scores: Exactness scores; Layout scores."), top[0].text


@pytest.mark.slow
def test_a_sentence_dated_years_away_gives_way_to_the_asked_year_s(embed):
    """"None in 2030 or 2031" is short on long words; it is still prose, and the 2029 figure
    (two years away from the asked one) does not answer for 2031."""
    hits, idf = _titled([("Acme 10-K", "Stock Repurchase Activity\nIn March 2029, the Board authorized a program to "
                                      "repurchase up to $10.0 billion of our common stock. We repurchased 46.2 million "
                                      "shares of our common stock for $6.0 billion in 2029. There were no repurchases "
                                      "of common stock in 2030 or 2031.")])
    top = key_sentences("How many of its own shares did Acme repurchase in 2031?", hits, idf, embed, n=1)
    assert top[0].text == "There were no repurchases of common stock in 2030 or 2031.", top[0].text


@pytest.mark.slow
def test_an_explanation_reads_on_in_the_lead_s_paragraph(embed):
    hits, idf = _titled([
        ("Acme 10-K", "Robotics products are highly competitive, change fast, and require significant investment in "
                      "factories. Our ability to build them may depend on the supply of parts. Additionally, other "
                      "companies may develop robots that are superior to ours or cheaper to make."),
        ("Acme 10-K", "We are expanding our investment in robotics across the company. Robotics products compete "
                      "in every market we sell in. Competition in robotics comes from large, well-funded rivals."),
    ])
    top = key_sentences("What competitive risks in robotics does Acme's 10-K set out?", hits, idf, embed, n=3)
    assert top[0].text.startswith("Robotics products are highly competitive"), top[0].text
    assert all(e.hit is hits[0] for e in top), [e.text for e in top]  # not a sentence from another page


def test_a_link_alone_is_no_candidate_sentence(embed):
    hits, idf = _titled([("Zeta README", '<a href="https://example.org/zeta"><b>Zeta: Decoupling Encoders for '
                                         'Reading and Drawing</b></a>\n\nZeta decouples its encoders: one reads, '
                                         'one draws.')])
    top = key_sentences("Does Zeta decouple its encoders for reading and drawing?", hits, idf, embed, n=2)
    assert [e.text for e in top] == ["Zeta decouples its encoders: one reads, one draws."]


@pytest.mark.slow
def test_the_sentence_that_takes_up_the_lead_follows_it(embed):
    """A lead that only introduces a thing ("…published the Quenby rule") is followed by the
    sentence that says what it does, which shares no word with the question."""
    hits, idf = _titled([
        ("Vantor 10-K", "Export rules change often and we cannot predict them. On May 1, 2030, the agency published "
                        "the Quenby rule, or QR, in the register. After a delay, the QR will impose a worldwide license "
                        "requirement on products classified under code 9Z999. We may lose sales in some markets."),
        ("Vantor 10-K", "The agency's Quenby rule may reduce the market for our products. Our competitors may gain "
                        "from any rule that restricts us. We face risks in every market where rules change."),
    ])
    top = [e.text for e in key_sentences("What is the Quenby rule, and which of Vantor's products would it reach?",
                                         hits, idf, embed, n=4)]
    lead = top.index("On May 1, 2030, the agency published the Quenby rule, or QR, in the register.")
    assert top[lead + 1].startswith("After a delay, the QR will impose"), top




@pytest.mark.slow
def test_an_unnamed_comparison_is_answered_by_the_lead_and_its_counterpart(embed):
    """"That report" against "the service": neither side has a name; the other document's
    sentence most like the lead answers for it (40 nodes beside 18)."""
    hits, idf = _titled([
        ("Zorblax serving notes", "Serving is split into a prefill stage and a decode stage for online use. Each "
                                  "decode unit spans 18 nodes, where each GPU holds 2 experts. Each decode unit is "
                                  "restarted daily for online traffic."),
        ("Zorblax-3 report", "We separate the prefill and decode stages to serve online traffic. The minimum decode "
                             "unit consists of 40 nodes with 320 GPUs. The decode stage is being tuned further."),
    ])
    top = [e.text for e in key_sentences("Is the decode unit laid out in that report the same as the one later "
                                         "reported for the service, or how does it differ?", hits, idf, embed, n=3)]
    assert any("40 nodes" in t for t in top) and any("18 nodes" in t for t in top), top


@pytest.mark.slow
def test_a_short_list_is_read_whole_with_its_introduction(embed):
    hits, idf = _titled([("Zeta serving notes", "Zeta could earn $500,000 a day at full price. However, its actual "
                                                "revenue is much lower for the following reasons:\n- the Lite model "
                                                "is priced lower,\n- only some services are paid (the app is free),"
                                                "\n- night-time discounts apply off-peak.\n\nServing runs on 200 "
                                                "nodes.")])
    top = [e.text for e in key_sentences("Why is Zeta's actual revenue so much lower?", hits, idf, embed, n=2)]
    assert any("following reasons: the Lite model is priced lower; only some services are paid (the app is free); "
               "night-time discounts apply off-peak." in t for t in top), top


@pytest.mark.slow
def test_an_item_of_a_list_read_whole_is_no_candidate_of_its_own(embed):
    # The question's words are the first item's: alone, that item would outrank the list and
    # then bar it as a repeat, leaving the other reasons out.
    hits, idf = _titled([("Zeta serving notes", "Zeta's actual revenue is much lower for the following reasons:\n"
                                                "- the Lite model is priced far lower than Zeta Pro,\n- only some "
                                                "services are paid (the app is free),\n- night-time discounts apply "
                                                "off-peak.\n\nServing runs on 200 nodes.")])
    top = [e.text for e in key_sentences("So why is the Lite model priced lower than Zeta Pro?", hits, idf, embed, n=2)]
    assert "night-time discounts apply off-peak" in top[0], top
    assert not any(t.startswith("- the Lite model") for t in top), top


@pytest.mark.slow
def test_a_part_s_short_answer_is_no_repeat_of_another_part_s(embed):
    # "There were no repurchases…" shares most of its few words with Acme's buyback
    # sentences; it is still the only answer to the second part.
    hits, idf = _titled([
        ("Acme Form 10-Q", "As of October 1, 2030, we were authorized to repurchase up to $40 billion of our common "
                           "stock. We repurchased 90 million shares of our common stock for $11 billion during the "
                           "third quarter of 2030."),
        ("Zeta Form 10-K", "There were no repurchases of common stock in 2030. Zeta's board authorized a program "
                           "in 2028."),
    ])
    top = key_sentences("How much stock did Acme repurchase in the third quarter of 2030? Did Zeta repurchase any "
                        "shares in 2030?", hits, idf, embed, n=3, subjects=["Acme", "Zeta"])
    assert "There were no repurchases of common stock in 2030." in [e.text for e in top], [e.text for e in top]


@pytest.mark.slow
def test_a_part_s_term_need_not_be_named_in_a_document_about_its_subject(embed):
    # "SFT" is a term of the first part: the Zorblax-3 report's "about 700k samples" answers it.
    hits, idf = _titled([
        ("Zorblax-3: Reasoning by Reward", "Non-reasoning data: for writing and translation we reuse the SFT "
                                           "dataset of Zorblax-2. We fine-tune the base model for two epochs on the "
                                           "curated dataset of about 700k samples."),
        ("Quenby Math Corpus", "After four iterations, we end up with 30M mathematical web pages, totaling 90B tokens."),
    ])
    top = key_sentences("How many samples were in the SFT dataset built for Zorblax-3? How many pages does "
                        "Quenby's math corpus hold?", hits, idf, embed, n=3, subjects=["Zorblax-3", "SFT", "Quenby"])
    assert any("700k samples" in e.text for e in top), [e.text for e in top]


@pytest.mark.slow
def test_a_list_read_whole_keeps_its_place_among_the_sentences(embed):
    # The list comes before "That gap…": an explanation led by the list reads on to the
    # sentence after it, not to the one before it.
    hits, idf = _titled([("Zeta serving notes", "Zeta's revenue grew in Oslo in 2029. "
                                                "Its actual revenue is much lower for the following reasons:\n- the "
                                                "Lite model is priced lower,\n- only some services are paid (the app "
                                                "is free)\n\nThat gap narrowed once paid plans launched.")])
    top = [e.text for e in key_sentences("Why is what Zeta actually gets so much lower?", hits, idf, embed, n=2)]
    assert top[0].startswith("Its actual revenue is much lower for the following reasons"), top
    assert top[1].startswith("That gap narrowed"), top
