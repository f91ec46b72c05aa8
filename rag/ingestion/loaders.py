"""Pick a loader by file type and turn a file into a ``SourceDoc`` with its metadata."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from rag import corpus
from rag.errors import LoaderError
from rag.ingestion.describe import describe
from rag.ingestion.html import load_html
from rag.ingestion.pdf import load_pdf
from rag.ingestion.text import load_markdown, load_text
from rag.types import SourceDoc

Loader = Callable[[Path, bytes], tuple]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".htm": load_html,
    ".html": load_html,
    ".xhtml": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
}
SUPPORTED = tuple(sorted(LOADERS))

def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def load(path: Path, doc_id: str, *, max_bytes: int, sha256: str, unchanged: bool = False) -> SourceDoc:
    """Parse one file. Raises ``LoaderError`` with a reason a person can act on. ``sha256``
    finds its manifest entry; with ``unchanged``, bytes that no longer hash to it are refused
    (an ingest hashes every file first and reads it later: another program wrote it meanwhile)."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")
    size = path.stat().st_size
    if size > max_bytes:
        raise LoaderError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:g} MB limit); "
                          "raise RAG_MAX_FILE_MB to ingest it")
    if size == 0:
        raise LoaderError("empty file: nothing to index")
    data = path.read_bytes()
    if unchanged and hashlib.sha256(data).hexdigest() != sha256:
        raise LoaderError("the file changed while it was being ingested; run `rag ingest` again once it is "
                          "written in full")
    try:
        text, pages, sections, found = loader(path, data)
    except LoaderError:
        raise
    except RecursionError:
        raise LoaderError("document nesting too deep for the parser (safety limit)") from None
    except MemoryError:
        raise LoaderError("document too large for the parser (out of memory)") from None
    except Exception as exc:  # a parser bug or limit on one file must not sink the run
        raise LoaderError(f"parser failed ({type(exc).__name__}: {exc})") from None
    return SourceDoc(doc_id=doc_id, path=str(path), text=text, pages=tuple(pages), sections=tuple(sections),
                     meta=metadata(path, text, found, sha256))


def metadata(path: Path, text: str, found: dict, sha256: str) -> dict:
    """A document's fields: the manifest's where it has them, else what the document says
    about itself (``describe``: a filing's registrant, form and fiscal period; a paper's
    title, authors and date), else what its parser or file name says.

    A filing's own title is composed from its fields; a PDF's info title ("nvda-20250126",
    "Microsoft Word - 10K.docx") is used only for other documents, and only when it reads
    as a title.
    """
    entry = corpus.entry_for(sha256) or {}
    said = describe(text, found.get("facts"))
    filing = bool(said.get("form"))
    parsed = found.get("title") if _real_title(found.get("title", "")) else ""
    meta = {
        "title": said.get("title") if filing else (parsed or said.get("title")),
        "publisher": said.get("registrant") or found.get("publisher") or said.get("authors") or "",
        "doc_type": said.get("form") or found.get("doc_type") or path.suffix.lower().lstrip("."),
        "date": said.get("date") or said.get("period_end") or "",
        "file": path.name,
    }
    meta.update({k: said[k] for k in DESCRIBED if said.get(k)})
    meta.update({k: entry[k] for k in ("title", "publisher", "doc_type", "date", *DESCRIBED) if entry.get(k)})
    meta["url"] = entry.get("source_url") or ""
    meta["title"] = meta["title"] or path.stem.replace("-", " ").replace("_", " ")
    meta["date"] = meta["date"] or _mtime_date(path)  # last: a manifest entry needs no file on disk
    meta["file_sha256"] = sha256
    return meta


# The fields a document states about itself, stored on every chunk (filters, hints, citations).
DESCRIBED = ("company", "registrant", "ticker", "form", "fiscal_year", "fiscal_quarter", "period_end", "authors")


def _real_title(title: str) -> bool:
    """Whether a parser's title reads as one: words, not a file name.

    >>> _real_title("Attention Is All You Need"), _real_title("nvda-20250126"), _real_title("Microsoft Word - a.docx")
    (True, False, False)
    """
    return len(title.split()) >= 2 and not re.search(r"\.(docx?|pdf|htm|indd|tex)\b|^microsoft word\b", title, re.I)


def _mtime_date(path: Path) -> str:
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
