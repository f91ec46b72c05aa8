"""Per-format loader tests on fixture files built at test time (tests/fixtures/make.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag import corpus
from rag.errors import LoaderError
from rag.ingestion import loaders
from rag.ingestion.loaders import load, metadata
from rag.types import SourceDoc
from tests.fixtures import make

MB = 1_000_000


@pytest.fixture(scope="module")
def fx(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("loader-fixtures")


def _load(path: Path, max_bytes: int = MB) -> SourceDoc:
    return load(path, path.stem, max_bytes=max_bytes, sha256="x")


def _page_text(doc: SourceDoc, number: int) -> str:
    page = next(p for p in doc.pages if p.number == number)
    return doc.text[page.start:page.end]


def _section_at(doc: SourceDoc, offset: int) -> str:
    before = [s for s in doc.sections if s.start <= offset]
    return before[-1].title if before else ""


def _assert_structure_valid(doc: SourceDoc) -> None:
    """Pages are ordered, non-overlapping, inside the text; sections are ordered, inside the text."""
    n = len(doc.text)
    last_end = 0
    for i, page in enumerate(doc.pages, start=1):
        assert page.number == i
        assert last_end <= page.start < page.end <= n, (page, n)
        last_end = page.end
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts)
    for s in doc.sections:
        assert 0 <= s.start < n
        assert s.title and s.title == s.title.strip()


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_pages_and_page_spans(fx):
    doc = _load(make.make_pdf(fx))
    assert [p.number for p in doc.pages] == [1, 2, 3]
    _assert_structure_valid(doc)
    for number, lines in enumerate(make.PDF_PAGES, start=1):
        page_text = _page_text(doc, number)
        for line in lines:
            assert line in page_text, (number, line, page_text)
            offset = doc.text.index(line)
            assert doc.page_at(offset) == number
        # No other page's sentences leak into this page's span.
        for other, other_lines in enumerate(make.PDF_PAGES, start=1):
            if other != number:
                assert not any(line in page_text for line in other_lines)
    assert doc.page_at(len(doc.text) - 1) == 3
    assert "\r" not in doc.text


def test_pdf_sections_include_numbered_heading(fx):
    doc = _load(make.make_pdf(fx))
    titles = [s.title for s in doc.sections]
    assert "2.1 Basic Architecture" in titles
    arch = next(s for s in doc.sections if s.title == "2.1 Basic Architecture")
    assert doc.text[arch.start:].startswith("2.1 Basic Architecture")
    assert doc.page_at(arch.start) == 2
    sentence = doc.text.index("Mixture of experts routes")
    assert _section_at(doc, sentence) == "2.1 Basic Architecture"


def test_pdf_title_from_document_info(fx):
    doc = _load(make.make_pdf(fx))
    assert doc.meta["title"] == "Falcon Paper"
    assert doc.meta["doc_type"] == "pdf"
    assert doc.meta["file"] == "paper.pdf"
    assert doc.meta["file_sha256"] == "x"


def test_encrypted_pdf_with_empty_user_password_opens(fx):
    path = make.make_encrypted_pdf(fx)
    assert b"/Encrypt" in path.read_bytes()  # really encrypted
    assert b"heron" not in path.read_bytes()  # text is not stored in the clear
    doc = _load(path)
    assert make.ENCRYPTED_SENTENCE in doc.text
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.page_at(doc.text.index("Herons wade")) == 2


def test_pdf_with_user_password_fails_with_password_reason(fx):
    with pytest.raises(LoaderError, match=r"(?i)password"):
        _load(make.make_password_pdf(fx))


@pytest.mark.parametrize("maker", [make.make_truncated_pdf, make.make_not_a_pdf])
def test_corrupt_pdf_fails_with_reason(fx, maker):
    with pytest.raises(LoaderError, match=r"(?i)corrupt|truncated|not a valid pdf"):
        _load(maker(fx))


def test_pdf_without_text_says_so(fx):
    with pytest.raises(LoaderError, match=r"(?i)no extractable text"):
        _load(make.make_blank_pdf(fx))


# --- SEC inline XBRL ---------------------------------------------------------------------


def test_xbrl_header_is_not_in_text(fx):
    doc = _load(make.make_xbrl(fx))
    for junk in ("EntityCentralIndexKey", "0001045810", "dei:", "context junk", "AmendmentFlag"):
        assert junk not in doc.text
    assert "UNITED STATES SECURITIES AND EXCHANGE COMMISSION" in doc.text
    # The form and period come from the cover, not from the page title (an EDGAR file name).
    assert doc.meta["doc_type"] == doc.meta["form"] == "10-K"
    assert doc.meta["title"] == "Falcon Computing Form 10-K for the fiscal year ended January 26, 2025 (fiscal 2025)"


def test_xbrl_table_rows_are_lines_with_glued_amounts(fx):
    doc = _load(make.make_xbrl(fx))
    lines = doc.text.splitlines()
    assert "Revenue | $1,234 | $987" in lines
    assert "Gross margin | 75.0% | 72.7%" in lines
    assert "Net loss | $(56)" in lines
    assert "$ |" not in doc.text and "| %" not in doc.text


def test_xbrl_pages_from_page_breaks(fx):
    doc = _load(make.make_xbrl(fx))
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "FORM 10-K" in _page_text(doc, 1)
    assert "Export controls could restrict" in _page_text(doc, 2)
    assert "Revenue | $1,234" in _page_text(doc, 3)
    assert doc.page_at(doc.text.index("Item 1A. Risk Factors")) == 2
    assert doc.page_at(doc.text.index("heron customers")) == 3
    # Pages tile the text: each starts where the previous one ended.
    assert doc.pages[0].start == 0
    assert all(a.end == b.start for a, b in zip(doc.pages, doc.pages[1:]))


def test_xbrl_pages_stay_inside_text_with_trailing_page_break(fx):
    doc = _load(make.make_xbrl(fx))
    assert make.XBRL_HTML.rstrip().endswith('<hr style="page-break-after:always"/>\n</body>\n</html>')
    assert doc.pages[-1].end <= len(doc.text)


def test_br_outside_tables_separates_words(tmp_path):
    path = tmp_path / "br.html"
    path.write_text("<html><body><p>Three Months Ended<br/>April 27, 2025</p></body></html>", encoding="utf-8")
    assert _load(path).text == "Three Months Ended\nApril 27, 2025"


def test_table_cell_line_breaks_do_not_glue_words(tmp_path):
    path = tmp_path / "cells.htm"
    path.write_text('<html xmlns:ix="http://www.xbrl.org/2013/inlineXBRL"><body><table>'
                    "<tr><td>Three Months Ended<br/>April 27, 2025</td><td><div>Amortized</div><div>Cost</div></td></tr>"
                    "</table></body></html>", encoding="utf-8")
    text = _load(path).text
    assert "EndedApril" not in text and "AmortizedCost" not in text
    assert text == "Three Months Ended April 27, 2025 | Amortized Cost"


def test_xbrl_risk_factors_heading_is_a_section(fx):
    doc = _load(make.make_xbrl(fx))
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts) and all(0 <= a < len(doc.text) for a in starts)
    titles = [s.title for s in doc.sections]
    assert "Item 1A. Risk Factors" in titles
    assert "Item 7. Management Discussion and Analysis" in titles
    offset = doc.text.index("Export controls")
    assert _section_at(doc, offset) == "Item 1A. Risk Factors"
    assert _section_at(doc, doc.text.index("Revenue |")) == "Item 7. Management Discussion and Analysis"


# --- news HTML ---------------------------------------------------------------------------


def test_news_html_drops_chrome_and_keeps_article(fx):
    doc = _load(make.make_news_html(fx))
    for junk in ("Markets Menu Link", "Technology Menu Link", "analytics-secret-script", "inline-script-junk",
                 "We use cookies", "Accept all cookies", "Copyright Daily Wire", "Daily Wire Masthead",
                 "Share on Social Network", "Related stories", "color: red"):
        assert junk not in doc.text, junk
    assert doc.text.startswith("Falcon Stocks Tumble After Model Launch")
    for kept in ("Shares of chip makers fell sharply on Monday after a cheap reasoning model from a small lab "
                 "matched the best systems.",
                 "Analysts said the zebra model was trained",
                 "Some traders called the selloff an overreaction to a single research paper.",
                 "By Ada Reporter"):
        assert kept in doc.text, kept
    assert doc.pages == ()  # no SEC page breaks in a web page
    assert doc.meta["title"] == "Falcon Stocks Tumble After Model Launch"
    assert doc.meta["doc_type"] == "html"


def test_news_html_headings_are_sections(fx):
    doc = _load(make.make_news_html(fx))
    _assert_structure_valid(doc)
    assert [s.title for s in doc.sections] == ["Falcon Stocks Tumble After Model Launch", "Why investors worried"]
    why = doc.sections[1]
    assert doc.text[why.start:].startswith("Why investors worried")
    assert _section_at(doc, doc.text.index("zebra model")) == "Why investors worried"
    assert _section_at(doc, doc.text.index("Shares of chip")) == "Falcon Stocks Tumble After Model Launch"


def test_html_without_visible_text_fails(fx):
    with pytest.raises(LoaderError, match=r"(?i)no text"):
        _load(make.make_script_only_html(fx))


# --- Markdown and plain text -------------------------------------------------------------


def test_markdown_sections_skip_code_fence(fx):
    doc = _load(make.make_markdown(fx))
    _assert_structure_valid(doc)
    assert [s.title for s in doc.sections] == ["Falcon Model Readme", "Installation", "Evaluation Results",
                                               "Limitations"]
    assert "# not a heading" in doc.text  # kept as text, just not a section
    for s in doc.sections:
        assert re.match(r"#{1,6} " + re.escape(s.title), doc.text[s.start:])
    assert _section_at(doc, doc.text.index("pip install falcon-model")) == "Installation"
    assert _section_at(doc, doc.text.index("91.5")) == "Evaluation Results"
    assert doc.meta["title"] == "Falcon Model Readme"
    assert doc.pages == ()
    assert doc.text == make.MARKDOWN  # the text is the file, unchanged


def test_plain_text_is_kept_verbatim_with_heading_lines(fx):
    doc = _load(make.make_text(fx))
    assert doc.text == make.TEXT
    assert doc.pages == ()
    assert [s.title for s in doc.sections] == ["Item 1A. Risk Factors", "PART II"]
    assert doc.meta["title"] == "Market shock report"  # its first line: what the text says it is, not its file name
    assert doc.meta["doc_type"] == "txt"


def test_crlf_line_endings_are_normalized(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"First line of text\r\nSecond line here\rThird line\r\n")
    doc = _load(path)
    assert doc.text == "First line of text\nSecond line here\nThird line\n"


def test_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes("\ufeff# Heron Notes\n\nBody text here.\n".encode())
    doc = _load(path)
    assert doc.text.startswith("# Heron Notes")
    assert [s.title for s in doc.sections] == ["Heron Notes"]
    assert doc.sections[0].start == 0


@pytest.mark.parametrize(("maker", "pattern"), [
    (make.make_empty, r"(?i)empty"),
    (make.make_whitespace, r"(?i)empty"),
    (make.make_binary, r"(?i)binary.*NUL|NUL.*binary"),
    (make.make_latin1, r"UTF-8"),
])
def test_bad_text_files_fail_with_reason(fx, maker, pattern):
    with pytest.raises(LoaderError, match=pattern):
        _load(maker(fx))


def test_oversized_file_fails_before_parsing(fx):
    path = make.make_oversized(fx, size=120_000)
    with pytest.raises(LoaderError, match=r"(?i)too large.*RAG_MAX_FILE_MB"):
        _load(path, max_bytes=50_000)
    assert _load(path, max_bytes=200_000).text.startswith("This oversized file")


def test_oversized_reason_shows_the_real_limit(fx):
    with pytest.raises(LoaderError) as info:
        _load(make.make_oversized(fx, size=120_000), max_bytes=50_000)
    assert "0 MB limit" not in str(info.value)
    assert "0.05" in str(info.value)


def test_unsupported_extension_names_supported_types(fx):
    with pytest.raises(LoaderError, match=r"unsupported file type \.csv") as info:
        _load(make.make_unsupported(fx))
    for ext in (".pdf", ".htm", ".md", ".txt"):
        assert ext in str(info.value)


def test_is_supported_is_case_insensitive():
    assert loaders.is_supported(Path("REPORT.PDF"))
    assert loaders.is_supported(Path("a.Htm"))
    assert not loaders.is_supported(Path("a.docx"))
    assert not loaders.is_supported(Path("Makefile"))


# --- metadata ----------------------------------------------------------------------------


def _sha(file_name: str) -> str:
    return next(e["sha256"] for e in corpus.manifest() if e["file"] == file_name)


def test_metadata_from_manifest_for_a_corpus_file():
    sha = _sha("nvidia-10k-fy2025.pdf")
    meta = metadata(Path("nvidia-10k-fy2025.pdf"), "", {}, sha)
    assert meta["publisher"] == "NVIDIA Corporation"
    assert meta["doc_type"] == "10-K"
    assert "company" not in meta  # the document states its company; the manifest only overrides
    assert meta["date"] == "2025-02-26"
    assert meta["title"].startswith("NVIDIA Corporation Form 10-K")
    assert meta["url"].startswith("https://www.sec.gov/")
    assert meta["file"] == "nvidia-10k-fy2025.pdf"
    assert meta["file_sha256"] == sha


def test_manifest_beats_what_the_file_says():
    meta = metadata(Path("renamed.pdf"), "", {"title": "Untitled", "publisher": "Someone", "doc_type": "sec-filing"},
                    _sha("nvidia-10k-fy2025.pdf"))
    assert meta["title"].startswith("NVIDIA Corporation Form 10-K")
    assert meta["publisher"] == "NVIDIA Corporation"
    assert meta["doc_type"] == "10-K"


def test_a_users_file_with_a_corpus_name_is_not_taken_for_it(tmp_path):
    """The manifest is matched by content (sha256), not by file name."""
    path = tmp_path / "nvidia-10k-fy2025.pdf"
    path.write_bytes(b"%PDF-1.4 my own notes")
    meta = metadata(path, "my own notes", {"title": "My notes"}, "0" * 64)
    assert meta["title"] == "My notes" and meta["publisher"] == "" and meta["url"] == ""


def test_every_manifest_entry_overrides_the_title():
    entries = corpus.manifest()
    assert len(entries) >= 20
    for entry in entries:
        assert metadata(Path(entry["file"]), "", {}, entry["sha256"])["title"] == entry["title"]


def test_non_manifest_file_gets_a_derived_title(tmp_path):
    path = tmp_path / "my_quarterly-notes.txt"
    path.write_text("hello world\n", encoding="utf-8")
    meta = metadata(path, "hello world\n", {}, "abc")
    assert meta["title"] == "hello world"  # the first line, as a document states its title
    assert meta["publisher"] == ""
    assert meta["doc_type"] == "txt"
    assert "company" not in meta
    assert meta["url"] == ""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
    assert meta["file_sha256"] == "abc"


def test_file_metadata_beats_the_file_name(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"")
    meta = metadata(path, "", {"title": "Google Annual Letter", "publisher": "Ada"}, "x")
    assert meta["title"] == "Google Annual Letter"
    assert meta["publisher"] == "Ada"
    assert "company" not in meta  # no company list: a name in a title is not a company field


def test_load_attaches_metadata_and_path(fx, tmp_path):
    src = make.make_text(fx)
    named = tmp_path / "microsoft-notes.txt"
    named.write_bytes(src.read_bytes())
    doc = load(named, "doc-7", max_bytes=MB, sha256="feed")
    assert doc.doc_id == "doc-7"
    assert doc.path == str(named)
    assert "company" not in doc.meta  # never from the file name
    assert doc.meta["title"]
    assert doc.meta["file_sha256"] == "feed"
