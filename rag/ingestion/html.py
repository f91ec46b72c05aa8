"""HTML loader for saved web pages and SEC inline-XBRL filings.

One streaming walk over the lxml tree builds the text and records, at the same time,
where pages (SEC ``page-break`` rules) and sections (``<h1>``–``<h6>``) start, so every
offset refers to the final text. Tables become one line per row, cells joined by ``|``.
"""

from __future__ import annotations

import re
from pathlib import Path

from rag.errors import LoaderError
from rag.ingestion.text import decode_text, find_sections
from rag.types import Page, Section

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "header", "footer",
         "aside", "form", "button", "iframe", "select", "ix:header"}
_BLOCK = {"p", "div", "section", "article", "main", "ul", "ol", "li", "table", "tr", "h1", "h2",
          "h3", "h4", "h5", "h6", "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption", "hr"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Page chrome on saved news pages: menus, share buttons, cookie banners, related-story widgets.
_CHROME = re.compile(r"(^|[\s_-])(nav|menu|breadcrumb|share|social|cookie|sidebar|widget|related|subscribe|"
                     r"banner|footer|header|modal|popup|skip)([\s_-]|$)", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_PAGE_AFTER = re.compile(r"page-break-after\s*:\s*always|break-after\s*:\s*page", re.I)
_PAGE_BEFORE = re.compile(r"page-break-before\s*:\s*always|break-before\s*:\s*page", re.I)
_CELL_GLUE = [(re.compile(r"\$ \| "), "$"), (re.compile(r" \| (%|\))"), r"\1"), (re.compile(r"\( \| "), "(")]


class _Builder:
    """Accumulates text with single spaces and at most one blank line, tracking offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.trailing_nl = 2  # the start counts as after a blank line
        self.space = False  # a space is owed before the next word
        self.page_starts = [0]
        self.sections: list[Section] = []

    def _emit(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)

    def text(self, s: str | None) -> None:
        if not s:
            return
        lead, trail = s[:1].isspace(), s[-1:].isspace()
        s = " ".join(s.split())
        if not s:
            self.space = self.space or not self.trailing_nl
            return
        if (lead or self.space) and not self.trailing_nl:
            self._emit(" ")
        self._emit(s)
        self.trailing_nl, self.space = 0, trail

    def newline(self, count: int = 1) -> None:
        self.space = False
        while self.size and self.trailing_nl < count:
            self._emit("\n")
            self.trailing_nl += 1

    def page_break(self) -> None:
        self.newline(2)
        if self.size > self.page_starts[-1]:
            self.page_starts.append(self.size)

    def result(self) -> str:
        return "".join(self.parts)


def load_html(path: Path, data: bytes) -> tuple[str, list[Page], list[Section], dict]:
    import lxml.etree
    import lxml.html

    source = decode_text(data)
    is_sec = "ix:header" in source[:200_000].lower() or "xmlns:ix=" in source[:5000]
    try:
        root = lxml.html.document_fromstring(source.encode(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise LoaderError(f"HTML could not be parsed: {exc}") from None
    title = (root.findtext(".//title") or "").strip()
    facts = _dei_facts(root) if is_sec else {}
    body = root.find("body") if root.find("body") is not None else root
    out = _Builder()
    _walk(body, out, drop_chrome=not is_sec)
    text = out.result().rstrip()
    if not text.strip():
        raise LoaderError("no text found in the HTML page")
    starts = [s for s in out.page_starts if s < len(text)]  # a final page break starts no page
    pages = _pages(starts, len(text)) if is_sec and len(starts) > 1 else []
    sections = sorted(out.sections + find_sections(text), key=lambda s: s.start)
    meta = {"title": title} if title else {}
    if is_sec:
        meta["doc_type"] = "sec-filing"
        meta["facts"] = facts
    return text, pages, sections, meta


_DEI = ("EntityRegistrantName", "DocumentType", "DocumentPeriodEndDate", "DocumentFiscalYearFocus",
        "DocumentFiscalPeriodFocus", "CurrentFiscalYearEndDate")


def _dei_facts(root) -> dict[str, str]:
    """The filing's ``dei:`` cover facts (registrant, form, period), first value of each.

    Read before the walk, which skips the hidden ``ix:header`` that holds some of them.
    """
    facts: dict[str, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower().endswith("nonnumeric"):
            name = (el.get("name") or "").split(":")[-1]
            if name in _DEI and name not in facts:
                value = " ".join(el.text_content().split())
                if value:
                    facts[name] = value
    return facts


def _walk(root, out: _Builder, *, drop_chrome: bool) -> None:
    """Iterative (not recursive) so deeply nested markup cannot hit Python's recursion limit.

    Skipped elements and table rows are emptied at their start event, so the walk does not
    descend into them; their tail text is still emitted at their end event.
    """
    import lxml.etree

    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        gap = 2 if tag in ("p", "table") or tag in _HEADINGS else 1
        if event == "start":
            if _skip(el, tag, drop_chrome):
                el.clear(keep_tail=True)
                el.tag = "rag-skipped"
                continue
            if _PAGE_BEFORE.search(el.get("style") or ""):
                out.page_break()
            if tag in _BLOCK or tag == "br":
                out.newline(gap)
            if tag in _HEADINGS and (heading := _heading_text(el)):
                out.sections.append(Section(out.size, heading))
            if tag == "tr":
                _row(el, out)
            else:
                out.text(el.text)
            continue
        if tag in _BLOCK:
            out.newline(gap)
        if _PAGE_AFTER.search(el.get("style") or ""):
            out.page_break()
        if el is not root:
            out.text(el.tail)


def _skip(el, tag: str, drop_chrome: bool) -> bool:
    if tag in _SKIP or not tag:
        return True
    if el.get("hidden") is not None or _HIDDEN.search(el.get("style") or ""):
        return True
    if drop_chrome and tag not in ("body", "main", "article"):
        marker = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}"
        # A wrapper like <div class="layout has-sidebar"> may hold the article itself: keep it.
        return bool(_CHROME.search(marker)) and not any(el.find(f".//{t}") is not None for t in ("article", "main", "h1"))
    return False


def _row(tr, out: _Builder) -> None:
    """A table row as one line; the row's subtree is then emptied so the walk skips it."""
    cells = [_cell_text(td) for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]
    line = " | ".join(c for c in cells if c)
    for pattern, repl in _CELL_GLUE:
        line = pattern.sub(repl, line)
    if line:
        out.newline(1)
        out.text(line)
        out.newline(1)
    tr.clear(keep_tail=True)


def _heading_text(el) -> str:
    return " ".join(el.text_content().split()) if el.find(".//br") is None else _cell_text(el)


def _cell_text(el) -> str:
    """Text of a cell or heading with ``<br>`` and inner blocks as spaces
    ("Amortized<br>Cost" → "Amortized Cost"; ``text_content()`` alone would glue them)."""
    for inner in el.iter():
        if inner is not el and isinstance(inner.tag, str) and (inner.tag.lower() == "br" or inner.tag.lower() in _BLOCK):
            inner.text = " " + (inner.text or "")
            inner.tail = " " + (inner.tail or "")
    return " ".join(el.text_content().split())


def _pages(starts: list[int], end: int) -> list[Page]:
    bounds = starts + [end]
    return [Page(i + 1, a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:])) if b > a]
