"""Plain-text and Markdown loaders, plus the heading finder the other loaders share."""

from __future__ import annotations

import re
from pathlib import Path

from rag.errors import LoaderError
from rag.types import Section

# Headings in filings and papers rendered as plain lines: "PART II", "Item 1A. Risk Factors",
# "2.3 Multi-Token Prediction". Kept conservative: a false heading only mislabels a section.
_HEADING = re.compile(
    r"^[ \t]*(?:"
    r"PART\s+[IVX]+\b[^\n]{0,60}"
    r"|ITEM\s+\d{1,2}[A-C]?\.?[ \t]+[^\n]{2,90}"
    r"|\d{1,2}(?:\.\d{1,2}){0,2}\.?[ \t]+[A-Z][A-Za-z0-9 ,:&()/'’\-]{2,70}"
    r")[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def find_sections(text: str) -> list[Section]:
    """Heading-like lines of a filing or paper, as section starts.

    >>> [s.title for s in find_sections("intro\\nItem 1A. Risk Factors\\nbody\\n2.1 Basic Architecture\\n")]
    ['Item 1A. Risk Factors', '2.1 Basic Architecture']
    """
    out = []
    for m in _HEADING.finditer(text):
        title = " ".join(m.group(0).split())
        if not title.endswith((",", ";")) and not _mostly_digits(title):
            out.append(Section(m.start() + (len(m.group(0)) - len(m.group(0).lstrip())), title))
    return out


def markdown_sections(text: str) -> list[Section]:
    """ATX headings (``# Title``) outside fenced code blocks.

    >>> [s.title for s in markdown_sections("# A\\n```\\n# not a heading\\n```\\n## B\\n")]
    ['A', 'B']
    """
    fenced = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    return [
        Section(m.start(), m.group(2).strip())
        for m in _MD_HEADING.finditer(text)
        if not any(a <= m.start() < b for a, b in fenced)
    ]


def _mostly_digits(title: str) -> bool:
    return sum(c.isdigit() for c in title) > len(title) / 2


def decode_text(data: bytes) -> str:
    """Strict UTF-8 (BOM allowed) or UTF-16 (with a BOM, or without one when every other
    byte is NUL: Windows' "Unicode" text), with errors that say what is wrong and how to fix it.

    >>> decode_text("Grass is green.".encode("utf-16")), decode_text("Grass".encode("utf-16-le"))
    ('Grass is green.', 'Grass')
    """
    if not data.strip():
        raise LoaderError("empty file: nothing to index")
    encoding = _utf16(data[:8192])
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise LoaderError("not valid UTF-16 text: re-save the file as UTF-8") from None
        if not text.strip("\ufeff \n\r\t"):
            raise LoaderError("empty file: nothing to index")
        return normalize(text.lstrip("\ufeff"))
    if b"\x00" in data[:8192]:
        raise LoaderError("binary file (contains NUL bytes): not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): re-save the file as UTF-8"
        ) from None
    return normalize(text)


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec a file's first bytes show (a BOM, or NULs at every other byte), or None."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    pairs = len(head) // 2
    if pairs >= 2:
        odd_nul = sum(head[i] == 0 for i in range(1, 2 * pairs, 2)) / pairs
        even_nul = sum(head[i] == 0 for i in range(0, 2 * pairs, 2)) / pairs
        if odd_nul > 0.9 and even_nul < 0.1:
            return "utf-16-le"
        if even_nul > 0.9 and odd_nul < 0.1:
            return "utf-16-be"
    return None


def normalize(text: str) -> str:
    """Line endings to ``\\n``, control characters out; done before any offset is taken."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


# A table cell of a text export: a figure, maybe "(" negative, "$", "%", a dash for nil, or
# the ")" or "$" that the export put on a line of its own.
_CELL = re.compile(r"^[ \t]*(?:\$?[ \t]*\(?[-−–]?\$?[ \t]*\d[\d,]*(?:\.\d+)?[ \t]*%?[ \t]*\)?|[)$%]|[—–-]{1,2})[ \t]*$")


def join_cells(text: str) -> str:
    r"""Tables exported to text one cell per line ("Net income\n1,480\n1,310") joined back
    into one line per row, as the other loaders give them: a row's label and its figures
    then sit in one line, where table reading (``rag.retrieve.tables``) and a reader find
    them, and a statement takes one chunk, not four. A label needs two figures after it: a
    page number after a paragraph or a heading stays on its own line, as does a blank line.

    >>> join_cells("Year Ended June 30,\n2030\n2029\nNet income\n$\n1,480\n(1,310\n)\nIt rose.\n7")
    'Year Ended June 30, 2030 2029\nNet income $ 1,480 (1,310)\nIt rose.\n7'
    >>> join_cells("Item 7. Review\n45\nOverview\n\n12\n13")
    'Item 7. Review\n45\nOverview\n\n12\n13'
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and _CELL.match(lines[j]):
            j += 1
        label = lines[i].rstrip()
        if _CELL.match(label) or not label.strip():  # a run of figures with no label: as it is, read once
            out.extend(lines[i:j])
            i = j
            continue
        cells = [c.strip() for c in lines[i + 1:j]]
        if sum(bool(re.search(r"\d", c)) for c in cells) >= 2:
            row = label
            for cell in cells:
                row += cell if cell == ")" or row.endswith("(") else f" {cell}"
            out.append(row)
            i = j
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def load_text(path: Path, data: bytes) -> tuple[str, list, list[Section], dict]:
    text = join_cells(decode_text(data))
    return text, [], find_sections(text), {}


def load_markdown(path: Path, data: bytes) -> tuple[str, list, list[Section], dict]:
    text = decode_text(data)
    sections = markdown_sections(text)
    meta = {"title": sections[0].title} if sections else {}
    return text, [], sections, meta
