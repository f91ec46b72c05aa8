"""Chunking with the embedder's real tokenizer: exact provenance, size limits, page/section bounds.

Only the tokenizer is loaded (no model weights), so this module needs no ``slow`` mark.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.ingestion.chunking import chunk_document, segments, split_spans
from rag.ingestion.loaders import load
from rag.types import Page, Section, SourceDoc
from tests.fixtures import make

WORD = re.compile(r"[A-Za-z]{2,}")
CORPUS_SAMPLES = ("deepseek-coder-v2-paper.pdf", "nvidia-10q-q1-fy2026.htm", "deepseek-r1-readme.md")
FIXTURE_MAKERS = (*make.GOOD_MAKERS, make.make_long_text)


@pytest.fixture(scope="module")
def token_spans():
    from rag.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder().token_spans


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chunk-fixtures")
    for maker in FIXTURE_MAKERS:
        maker(folder)
    return folder


def _load(path: Path) -> SourceDoc:
    return load(path, path.stem, max_bytes=10**9, sha256="x")


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def check_chunks(doc: SourceDoc, chunks, token_spans, max_tokens: int) -> None:
    """Every invariant a chunk list must satisfy; fails with the offending chunk."""
    assert chunks, "no chunks"
    text = doc.text
    section_starts = sorted({s.start for s in doc.sections})
    prev_end = 0
    for c in chunks:
        # Exact provenance.
        assert c.doc_id == doc.doc_id
        assert 0 <= c.char_start < c.char_end <= len(text), c
        assert text[c.char_start:c.char_end] == c.text, c
        assert c.text == c.text.strip(), c
        assert len(WORD.findall(c.text)) >= 2, c
        # In order, no overlap.
        assert c.char_start >= prev_end, c
        prev_end = c.char_end
        # Size: the embedder reads the chunk text on its own, so count it on its own.
        assert len(token_spans(c.text)) <= max_tokens, (len(token_spans(c.text)), c)
        # One page.
        assert c.page == doc.page_at(c.char_start), c
        if doc.pages:
            page = next(p for p in doc.pages if p.number == c.page)
            assert page.start <= c.char_start and c.char_end <= page.end, (page, c)
        else:
            assert c.page is None
        # One section: the latest heading at or before the chunk's start, and no heading inside it.
        before = [s for s in doc.sections if s.start <= c.char_start]
        if before:
            latest = max(s.start for s in before)
            assert c.section in {s.title for s in before if s.start == latest}, c
        else:
            assert c.section == "", c
        assert not any(c.char_start < s < c.char_end for s in section_starts), c
        assert c.meta is doc.meta or c.meta == doc.meta
    # Ids: unique and derived from content and place.
    ids = [c.id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert all(c.id.startswith(doc.doc_id[:40] + ":") for c in chunks)


def check_word_coverage(doc: SourceDoc, chunks, token_spans, max_tokens: int) -> None:
    """Every word of 2+ letters is in some chunk, unless its piece was dropped as (nearly) word-less."""
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.char_start:c.char_end] = b"\x01" * (c.char_end - c.char_start)
    dropped = bytearray(len(doc.text))
    for a, b, _ in segments(doc):
        seg = doc.text[a:b]
        for x, y in split_spans(seg, token_spans(seg), max_tokens):
            if len(WORD.findall(seg[x:y])) < 2:
                dropped[a + x:a + y] = b"\x01" * (y - x)
    missing = [m.group(0) for m in WORD.finditer(doc.text)
               if not all(covered[m.start():m.end()]) and not all(dropped[m.start():m.end()])]
    assert not missing, missing[:20]
    # The dropped pieces really are nearly word-less: at most one word per dropped piece.
    dropped_words = [m for m in WORD.finditer(doc.text) if all(dropped[m.start():m.end()])]
    assert len(dropped_words) <= max(2, len(WORD.findall(doc.text)) // 20)


# --- every fixture document --------------------------------------------------------------


@pytest.mark.parametrize("max_tokens", [24, 230])
@pytest.mark.parametrize("maker", FIXTURE_MAKERS, ids=lambda m: m.__name__.removeprefix("make_"))
def test_fixture_chunks_keep_invariants(fixture_dir, token_spans, maker, max_tokens):
    path = maker(fixture_dir)
    doc = _load(path)
    chunks = chunk_document(doc, token_spans, max_tokens)
    check_chunks(doc, chunks, token_spans, max_tokens)
    check_word_coverage(doc, chunks, token_spans, max_tokens)
    # Deterministic: the same file, loaded and chunked again, gives the same ids.
    again = chunk_document(_load(path), token_spans, max_tokens)
    assert [c.id for c in again] == [c.id for c in chunks]
    assert [(c.char_start, c.char_end) for c in again] == [(c.char_start, c.char_end) for c in chunks]


def test_small_window_really_splits(fixture_dir, token_spans):
    doc = _load(make.make_long_text(fixture_dir))
    chunks = chunk_document(doc, token_spans, 64)
    assert len(chunks) >= len(token_spans(doc.text)) // 64
    # Most cuts land at a sentence end (the text is made of sentences well under 64 tokens).
    at_sentence = sum(c.text.endswith(".") for c in chunks)
    assert at_sentence >= 0.9 * len(chunks)
    # Chunks use most of the window: not split far more finely than needed.
    assert sum(len(token_spans(c.text)) for c in chunks) / len(chunks) >= 32


def test_pdf_chunks_carry_page_and_section(fixture_dir, token_spans):
    doc = _load(make.make_pdf(fixture_dir))
    chunks = chunk_document(doc, token_spans, 230)
    arch = next(c for c in chunks if "Mixture of experts routes" in c.text)
    assert arch.page == 2
    assert arch.section == "2.1 Basic Architecture"
    zebra = next(c for c in chunks if "zebra benchmark" in c.text)
    assert (zebra.page, zebra.section) == (3, "3 Results")
    assert [c.page for c in chunks] == [1, 2, 3]
    assert all(c.text.startswith(c.section) for c in chunks)  # each page's chunk starts at its heading
    assert [c.section for c in chunks] == ["1 Introduction", "2.1 Basic Architecture", "3 Results"]


def test_xbrl_chunks_carry_page_and_section(fixture_dir, token_spans):
    doc = _load(make.make_xbrl(fixture_dir))
    chunks = chunk_document(doc, token_spans, 230)
    revenue = next(c for c in chunks if "$1,234" in c.text)
    assert revenue.page == 3
    assert revenue.section == "Item 7. Management Discussion and Analysis"
    risk = next(c for c in chunks if "Export controls" in c.text)
    assert (risk.page, risk.section) == (2, "Item 1A. Risk Factors")


def test_markdown_code_fence_stays_in_its_section(fixture_dir, token_spans):
    doc = _load(make.make_markdown(fixture_dir))
    chunks = chunk_document(doc, token_spans, 230)
    code = next(c for c in chunks if "# not a heading" in c.text)
    assert code.section == "Installation"
    assert "pip install falcon-model" in code.text


# --- real corpus files (skipped when ../shared/corpus is absent) -------------------------


@pytest.mark.parametrize("name", CORPUS_SAMPLES)
def test_corpus_file_chunks_keep_invariants(shared_corpus, token_spans, name):
    path = shared_corpus / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the shared corpus")
    doc = _load(path)
    assert len(doc.text) > 5_000
    chunks = chunk_document(doc, token_spans, 230)
    assert len(chunks) >= len(doc.text) // 2_000
    check_chunks(doc, chunks, token_spans, 230)
    check_word_coverage(doc, chunks, token_spans, 230)
    if path.suffix in (".pdf", ".htm"):
        assert doc.pages and {c.page for c in chunks} >= {1, doc.pages[-1].number} - {None}
    if path.suffix == ".md":
        assert any(c.section for c in chunks)
    again = chunk_document(_load(path), token_spans, 230)
    assert [c.id for c in again] == [c.id for c in chunks]


# --- split_spans: pure function ----------------------------------------------------------


def _one_char_tokens(text: str) -> list[tuple[int, int]]:
    return [(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]


def _tokens_in(spans, a: int, b: int) -> int:
    return sum(1 for x, y in spans if a <= x and y <= b)


def test_split_spans_text_without_whitespace_is_cut_at_token_boundaries():
    text = "x" * 1000
    spans = _one_char_tokens(text)
    out = split_spans(text, spans, 7)
    assert out[0] == (0, 7)
    assert len(out) == -(-1000 // 7)
    assert all(b - a <= 7 for a, b in out)
    assert all(a == prev_b for (_, prev_b), (a, _) in zip(out, out[1:]))  # contiguous: nothing lost
    assert out[-1][1] == 1000


def test_split_spans_no_whitespace_with_real_tokenizer(token_spans):
    # CJK text has no spaces; each character is its own word piece.
    text = "深度求索发布了新的推理模型" * 80
    spans = token_spans(text)
    out = split_spans(text, spans, 50)
    assert "".join(text[a:b] for a, b in out) == text
    assert all(_tokens_in(spans, a, b) <= 50 for a, b in out)
    assert all(len(token_spans(text[a:b])) <= 50 for a, b in out)
    # Punctuation-separated runs without spaces, too.
    text = "-".join(["token"] * 600)
    spans = token_spans(text)
    out = split_spans(text, spans, 64)
    assert "".join(text[a:b] for a, b in out) == text
    assert all(_tokens_in(spans, a, b) <= 64 for a, b in out)


def test_split_spans_single_token_window_terminates():
    text = "ab cd ef gh"
    spans = _word_spans(text)
    assert [text[a:b] for a, b in split_spans(text, spans, 1)] == ["ab", "cd", "ef", "gh"]


def test_split_spans_prefers_paragraph_then_sentence_then_word():
    text = "Aa bb cc dd ee ff gg.\n\nHh ii jj kk. Ll mm nn oo pp"
    spans = _word_spans(text)
    # 12 tokens fit "Aa ... gg." (7) plus part of the next paragraph: cut at the paragraph break.
    assert [text[a:b] for a, b in split_spans(text, spans, 12)] == [
        "Aa bb cc dd ee ff gg.", "Hh ii jj kk. Ll mm nn oo pp"]
    # No paragraph break in the window's back part: cut after the sentence.
    text2 = "Aa bb cc dd ee. Ff gg hh ii jj kk"
    spans2 = _word_spans(text2)
    assert [text2[a:b] for a, b in split_spans(text2, spans2, 8)] == ["Aa bb cc dd ee.", "Ff gg hh ii jj kk"]
    # No punctuation at all: cut between words, never inside one.
    text3 = "aa bb cc dd ee ff gg hh ii jj"
    spans3 = _word_spans(text3)
    out3 = [text3[a:b] for a, b in split_spans(text3, spans3, 4)]
    assert out3 == ["aa bb cc dd", "ee ff gg hh", "ii jj"]


def test_split_spans_keeps_closing_quotes_with_sentence():
    text = 'He said "the falcon flies." Then the zebra ran off quickly.'
    spans = _word_spans(text)
    out = [text[a:b] for a, b in split_spans(text, spans, 8)]
    assert out[0] == 'He said "the falcon flies."'
    assert out[1].startswith("Then")


def test_split_spans_does_not_cut_a_tiny_first_piece_for_a_boundary():
    # A sentence end right at the start of the window is not worth a near-empty chunk.
    text = "Ok. " + " ".join(f"w{i}" for i in range(40))
    spans = _word_spans(text)
    out = split_spans(text, spans, 20)
    assert text[out[0][0]:out[0][1]] != "Ok."
    assert _tokens_in(spans, *out[0]) == 20


def test_split_spans_trims_whitespace_and_skips_empty():
    text = "   \n\n  alpha beta  \n\n   "
    spans = _word_spans(text)
    out = split_spans(text, spans, 10)
    assert [text[a:b] for a, b in out] == ["alpha beta"]
    assert split_spans("   ", [], 10) == []


def test_split_spans_covers_every_token_exactly_once():
    text = ("Lorem ipsum dolor sit amet; consectetur adipiscing elit.\nSed do eiusmod tempor.\n\n" * 30)
    spans = _word_spans(text)
    for max_tokens in (3, 5, 17, 64):
        out = split_spans(text, spans, max_tokens)
        assert all(0 <= a < b <= len(text) for a, b in out)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(out, out[1:]))
        for x, y in spans:
            assert sum(a <= x and y <= b for a, b in out) == 1, (max_tokens, text[x:y])
        assert all(_tokens_in(spans, a, b) <= max_tokens for a, b in out)


# --- segments: pure function -------------------------------------------------------------


def test_segments_without_structure_is_the_whole_text():
    doc = SourceDoc("d", "p", "just some text")
    assert list(segments(doc)) == [(0, 14, "")]


def test_segments_split_at_pages_and_sections_and_carry_the_section():
    text = "intro words\n\nItem 1. Business\nbody one\n\npage two text\n\nItem 2. Properties\nmore"
    s1 = text.index("Item 1.")
    p2 = text.index("page two")
    s2 = text.index("Item 2.")
    doc = SourceDoc("d", "p", text, (Page(1, 0, p2 - 2), Page(2, p2, len(text))),
                    (Section(s1, "Item 1. Business"), Section(s2, "Item 2. Properties")))
    assert list(segments(doc)) == [
        (0, s1, ""),
        (s1, p2, "Item 1. Business"),
        (p2, s2, "Item 1. Business"),  # the section goes on across the page break
        (s2, len(text), "Item 2. Properties"),
    ]


def test_segments_section_at_page_start_is_one_cut():
    text = "aaaa bbbb cccc dddd"
    doc = SourceDoc("d", "p", text, (Page(1, 0, 9), Page(2, 10, 19)), (Section(0, "A"), Section(10, "B")))
    assert list(segments(doc)) == [(0, 10, "A"), (10, 19, "B")]


def test_chunk_document_drops_wordless_pieces_and_keeps_pages(token_spans):
    text = "Real sentence on the first page.\n\n17\n\nAnother real sentence on page three."
    p2 = text.index("17")
    p3 = text.index("Another")
    doc = SourceDoc("d", "p", text, (Page(1, 0, p2 - 2), Page(2, p2, p2 + 2), Page(3, p3, len(text))))
    chunks = chunk_document(doc, token_spans, 230)
    assert [(c.page, c.text) for c in chunks] == [
        (1, "Real sentence on the first page."), (3, "Another real sentence on page three.")]
    check_chunks(doc, chunks, token_spans, 230)


def test_chunk_document_whitespace_only_gives_no_chunks(token_spans):
    assert chunk_document(SourceDoc("d", "p", " \n\n \t"), token_spans, 50) == []


def test_repeated_passages_get_distinct_exact_offsets(token_spans):
    para = "Export controls could restrict shipments of accelerators to certain regions."
    text = "\n\n".join([para] * 6)
    doc = SourceDoc("d", "p", text)
    chunks = chunk_document(doc, token_spans, 14)
    assert len(chunks) == 6
    assert [c.char_start for c in chunks] == [i * (len(para) + 2) for i in range(6)]
    assert len({c.id for c in chunks}) == 6
    check_chunks(doc, chunks, token_spans, 14)
