"""HTML and Markdown for the web page, as pure functions of an ``Answer`` (no Gradio here).

Everything taken from documents or the model is escaped: a passage or an answer must not
be able to inject markup into the page.
"""

from __future__ import annotations

import re
from html import escape

from rag.types import Answer, Citation, Hit

PASSAGE_WINDOW = 700  # characters of passage shown around a quote; whole passages are often 1,000+
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#|~]")
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")  # a [n] marker after md_escape


def card_id(turn: int, marker: int) -> str:
    """The DOM id of a source card; the answer's ``[n]`` links point to it."""
    return f"src-{turn}-{marker}"


def answer_markdown(answer: Answer, turn: int) -> str:
    r"""The chat message: the checked text with ``[n]`` linked to its source card.

    What the checker removed is not in it: a small model's unsupported sentences are mostly
    noise, and struck-through noise still reads as an answer. A one-line pointer says how
    many were removed; the sentences wait, closed, under the sources (``sources_html``).

    >>> from rag.types import Answer
    >>> print(answer_markdown(Answer("q", "Grass is *green*. [1]", unsupported=("Pigs fly.",)), 2))
    Grass is \*green\*. [[1]](#src-2-1)
    <BLANKLINE>
    *1 generated sentence removed: no source supports it (listed, closed, under the sources).*
    """
    if answer.refused:
        why = f" {md_escape(answer.reason)}" if answer.reason else ""
        return f"{answer.text}{why}\n\n*The closest passages are shown beside the chat.*"
    text = _ESCAPED_MARKER.sub(lambda m: f"[[{m.group(1)}]](#{card_id(turn, int(m.group(1)))})", md_escape(answer.text))
    if answer.note:
        text += f"\n\n*{md_escape(answer.note)}*"
    if answer.unsupported:
        n = len(answer.unsupported)
        text += (f"\n\n*{n} generated sentence{'s' if n != 1 else ''} removed: no source supports "
                 f"{'them' if n != 1 else 'it'} (listed, closed, under the sources).*")
    return text


def md_escape(text: str) -> str:
    r"""Model and passage text shown as written: no HTML, links, emphasis or headings of its own.

    >>> print(md_escape("**NOTE** see [usage](#x) <b>"))
    \*\*NOTE\*\* see \[usage\](\#x) &lt;b&gt;
    """
    return _MD_SPECIAL.sub(r"\\\g<0>", escape(text, quote=False))


def highlight(passage: str, quote: str, window: int = PASSAGE_WINDOW) -> str:
    """The passage (cut to ``window`` characters around the quote) with the quote in ``<mark>``.

    >>> highlight("Revenue grew. We took a $4.5 billion charge. Done.", "We took a $4.5 billion charge.")
    'Revenue grew. <mark>We took a $4.5 billion charge.</mark> Done.'
    >>> highlight("a <b> tag", "missing")
    'a &lt;b&gt; tag'
    """
    span = _find(passage, quote)
    if span is None:
        return escape(_clip(passage, 0, min(len(passage), window), len(passage)))
    start, end = span
    spare = max(0, window - (end - start)) // 2
    lo, hi = max(0, start - spare), min(len(passage), end + spare)
    before = ("…" if lo else "") + passage[lo:start]
    after = passage[end:hi] + ("…" if hi < len(passage) else "")
    return f"{escape(before)}<mark>{escape(passage[start:end])}</mark>{escape(after)}"


def _find(passage: str, quote: str) -> tuple[int, int] | None:
    """Where the quote is in the passage; whitespace may differ (PDF line breaks)."""
    if not quote.strip():
        return None
    at = passage.find(quote)
    if at != -1:
        return at, at + len(quote)
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    m = re.search(pattern, passage)
    return (m.start(), m.end()) if m else None


def _clip(text: str, lo: int, hi: int, total: int) -> str:
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < total else "")


def _meta_line(publisher: str, date: str, page: int | None, section: str) -> str:
    parts = [escape(p) for p in (publisher, date) if p]
    if page is not None:
        parts.append(f'<span class="page">p.&nbsp;{page}</span>')
    if section:
        parts.append(f'<span class="section">§ {escape(_short(section, 80))}</span>')
    return " · ".join(parts)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _link(url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return '<span class="no-url">No public URL for this document</span>'
    return (f'<a class="open-url" href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
            'Open the original ↗</a>')


def citation_card(c: Citation, passage: str, turn: int) -> str:
    """One source: a header that is always visible, the passage with the quote when opened."""
    flag = "" if c.supported else '<span class="flag">not supported</span>'
    return (
        f'<details class="src{"" if c.supported else " unsupported"}" id="{card_id(turn, c.marker)}">'
        f'<summary><span class="badge">{c.marker}</span><span class="head">'
        f'<span class="title">{escape(c.title)}</span>{flag}'
        f'<span class="meta">{_meta_line(c.publisher, c.date, c.page, c.section)}</span>'
        f'<span class="quote-preview">“{escape(_short(c.quote, 160))}”</span></span></summary>'
        f'<div class="passage">{highlight(passage, c.quote)}</div>{_link(c.url)}</details>')


def hit_card(hit: Hit, rank: int) -> str:
    """A retrieved passage with no quote (a refusal's closest passages)."""
    ch, meta = hit.chunk, hit.chunk.meta
    provenance = _meta_line(str(meta.get("publisher", "")), str(meta.get("date", "")), ch.page, ch.section)
    return (
        f'<details class="src near"><summary><span class="badge">{rank}</span><span class="head">'
        f'<span class="title">{escape(str(meta.get("title") or ch.doc_id))}</span>'
        f'<span class="meta">{provenance}</span>'
        f'<span class="quote-preview">{escape(_short(" ".join(ch.text.split()), 160))}</span></span></summary>'
        f'<div class="passage">{highlight(ch.text, "")}</div>{_link(meta.get("url"))}</details>')


def sources_html(answer: Answer, turn: int) -> str:
    """The sources panel for one answer: its citations, or a refusal with the closest passages."""
    if answer.refused:
        near = "".join(hit_card(h, i) for i, h in enumerate(answer.hits[:3], 1))
        body = near or '<p class="empty">No passage matched the filters at all.</p>'
        return (_panel_head("Not in the sources", "refusal", turn=turn) + _searched_as(answer) +
                f'<p class="lead">{escape(answer.reason or "No passage covers enough of the question.")} '
                'There is no answer. The closest passages were:</p>' + body)
    passages = {h.chunk.id: h.passage for h in answer.hits}  # a continued table's rows under its header
    cards = "".join(citation_card(c, passages.get(c.chunk_id, c.quote), turn) for c in answer.citations)
    removed = ""
    if answer.unsupported:
        items = "".join(f"<li>{escape(s)}</li>" for s in answer.unsupported)
        n = len(answer.unsupported)
        removed = (f'<details class="removed"><summary>⚠️ {n} generated sentence{"s" if n != 1 else ""} removed: '
                   f'no passage supports {"them" if n != 1 else "it"}</summary><ul>{items}</ul></details>')
    n = len(answer.citations)
    lead = (f'<p class="lead">{n} source{"s" if n != 1 else ""} · open one to read the passage with the quote '
            'highlighted.</p>')
    return _panel_head("Sources", "answered", _timing(answer), turn) + _searched_as(answer) + lead + cards + removed


def _timing(answer: Answer) -> str:
    total = answer.timings.get("total")
    model = answer.model or answer.backend
    return f"{escape(model)} · {total:.1f} s" if total is not None else escape(model)


def _panel_head(title: str, state: str, note: str = "", turn: int | None = None) -> str:
    """The panel's title row; ``data-state``/``data-turn`` say which answer it shows (tests wait on them)."""
    note_html = f'<span class="note">{note}</span>' if note else ""
    turn_attr = f' data-turn="{turn}"' if turn is not None else ""
    return f'<div class="panel-head" data-state="{state}"{turn_attr}><h3>{escape(title)}</h3>{note_html}</div>'


def _searched_as(answer: Answer) -> str:
    """A follow-up is searched together with the previous question: say so, the user may wonder why."""
    if not answer.query or answer.query == answer.question:
        return ""
    return f'<p class="searched">Searched as a follow-up: “{escape(_short(answer.query, 200))}”</p>'


def placeholder_html() -> str:
    return (_panel_head("Sources", "empty") +
            '<p class="empty">Every sentence of an answer is checked against the passage it cites. '
            'The sources appear here: title, publisher, date, page, and the supporting quote.</p>')


def pending_html(step: str, turn: int | None = None) -> str:
    spinner = f'<p class="pending"><span class="spinner"></span>{escape(step)}</p>'
    return _panel_head("Sources", "pending", turn=turn) + spinner


def error_html(message: str, turn: int | None = None) -> str:
    return _panel_head("Something needs fixing", "error", turn=turn) + f'<div class="error">{escape(message)}</div>'
