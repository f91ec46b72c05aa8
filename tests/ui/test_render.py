"""The page's HTML for answers and sources: markers link to cards, quotes are highlighted, text is escaped."""

from __future__ import annotations

from rag.types import Answer, Chunk, Citation, Hit
from rag.ui import render

PASSAGE = ("Revenue for fiscal 2025 was $130.5 billion, up 114% from a year ago. Data Center revenue was "
           "$115.2 billion. <script>alert(1)</script> The rest of the passage.")
CHUNK = Chunk("c1", "nvidia-10k", PASSAGE, 0, len(PASSAGE), page=38, section="Item 7. MD&A",
              meta={"title": "NVIDIA 10-K FY2025", "publisher": "NVIDIA", "date": "2025-02-26",
                    "url": "https://example.com/10k"})


def _answer(**kw) -> Answer:
    citation = Citation(1, "c1", "nvidia-10k", "NVIDIA 10-K FY2025", "Data Center revenue was $115.2 billion.",
                        page=38, section="Item 7. MD&A", publisher="NVIDIA", date="2025-02-26",
                        url="https://example.com/10k")
    base = dict(question="q", text="Data Center revenue was $115.2 billion. [1]", citations=(citation,),
                hits=(Hit(CHUNK, 1.0),))
    return Answer(**(base | kw))


def test_markers_link_to_their_source_card():
    md = render.answer_markdown(_answer(), turn=3)
    assert "[[1]](#src-3-1)" in md
    html = render.sources_html(_answer(), turn=3)
    assert 'id="src-3-1"' in html and 'data-state="answered"' in html


def test_card_shows_provenance_and_highlights_the_quote_in_its_passage():
    html = render.sources_html(_answer(), turn=1)
    assert "NVIDIA 10-K FY2025" in html and "2025-02-26" in html and "p.&nbsp;38" in html and "Item 7. MD&amp;A" in html
    assert "<mark>Data Center revenue was $115.2 billion.</mark>" in html
    assert "Revenue for fiscal 2025" in html  # the passage around the quote, not just the quote
    assert 'href="https://example.com/10k"' in html


def test_document_text_cannot_inject_markup():
    html = render.sources_html(_answer(), turn=1)
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render.answer_markdown(_answer(text="<img src=x onerror=alert(1)> ok [1]"), turn=1)
    assert "<img" not in md


def test_quote_found_across_different_line_breaks():
    assert render.highlight("We took a $4.5\nbillion charge. Done.", "We took a $4.5 billion charge.") == \
        "<mark>We took a $4.5\nbillion charge.</mark> Done."


def test_long_passage_is_cut_around_the_quote():
    passage = "x " * 2000 + "THE QUOTE." + " y" * 2000
    out = render.highlight(passage, "THE QUOTE.")
    assert "<mark>THE QUOTE.</mark>" in out and out.startswith("…") and out.endswith("…")
    assert len(out) < render.PASSAGE_WINDOW + 40


def test_unsupported_sentences_stay_out_of_the_chat_and_wait_closed_under_the_sources():
    answer = _answer(unsupported=("Pigs fly over Santa Clara.", "The moon is cheese."))
    chat = render.answer_markdown(answer, 1)
    assert "Pigs fly" not in chat and "moon" not in chat and "2 generated sentences removed" in chat
    html = render.sources_html(answer, 1)
    assert '<details class="removed"><summary>' in html and "<details class=\"removed\" open" not in html
    assert "<li>Pigs fly over Santa Clara.</li>" in html and "<li>The moon is cheese.</li>" in html
    assert "removed" not in render.answer_markdown(_answer(), 1)


def test_refusal_shows_closest_passages_not_citations():
    refusal = Answer("Best cookie recipe?", "I can't find this in the sources.", refused=True, hits=(Hit(CHUNK, 0.1),))
    html = render.sources_html(refusal, 1)
    assert 'data-state="refusal"' in html and "Not in the sources" in html and "NVIDIA 10-K FY2025" in html
    assert "<mark>" not in html and "closest passages" in render.answer_markdown(refusal, 1)


def test_missing_or_unsafe_url_is_not_a_link():
    answer = _answer(citations=(Citation(1, "c1", "d", "T", "Data Center revenue was $115.2 billion.",
                                         url="javascript:alert(1)"),))
    html = render.sources_html(answer, 1)
    assert "javascript:" not in html and "No public URL" in html
