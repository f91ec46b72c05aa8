"""Pick a loader by file type and turn a file into a ``SourceDoc`` with its metadata."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from rag import corpus
from rag.errors import LoaderError
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

_COMPANIES = {"nvidia": "NVIDIA", "microsoft": "Microsoft", "alphabet": "Alphabet", "google": "Alphabet",
              "amazon": "Amazon", "deepseek": "DeepSeek", "janus": "DeepSeek"}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def load(path: Path, doc_id: str, *, max_bytes: int, sha256: str) -> SourceDoc:
    """Parse one file. Raises ``LoaderError`` with a reason a person can act on."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")
    size = path.stat().st_size
    if size > max_bytes:
        raise LoaderError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:g} MB limit); "
                          "raise RAG_MAX_FILE_MB to ingest it")
    if size == 0:
        raise LoaderError("empty file: nothing to index")
    try:
        text, pages, sections, found = loader(path, path.read_bytes())
    except LoaderError:
        raise
    except RecursionError:
        raise LoaderError("document nesting too deep for the parser (safety limit)") from None
    except MemoryError:
        raise LoaderError("document too large for the parser (out of memory)") from None
    except Exception as exc:  # a parser bug or limit on one file must not sink the run
        raise LoaderError(f"parser failed ({type(exc).__name__}: {exc})") from None
    return SourceDoc(doc_id=doc_id, path=str(path), text=text, pages=tuple(pages), sections=tuple(sections),
                     meta=metadata(path, found, sha256))


def metadata(path: Path, found: dict, sha256: str) -> dict:
    """Manifest facts win; otherwise what the file itself says; otherwise what its name says."""
    entry = corpus.entry_for(sha256) or {}
    meta = {
        "title": entry.get("title") or found.get("title") or path.stem.replace("-", " ").replace("_", " "),
        "publisher": entry.get("publisher") or found.get("publisher") or "",
        "doc_type": entry.get("doc_type") or found.get("doc_type") or path.suffix.lower().lstrip("."),
        "date": entry.get("date") or _mtime_date(path),
        "url": entry.get("source_url") or "",
        "file": path.name,
    }
    meta["company"] = company_of(f"{meta['publisher']} {meta['title']} {path.stem}")
    meta["file_sha256"] = sha256
    return meta


def company_of(text: str) -> str:
    """The company a document is about, for filters and boosts.

    >>> company_of("NVIDIA Corporation Form 10-K")
    'NVIDIA'
    >>> company_of("Some memo")
    ''
    """
    lowered = text.lower()
    for needle, name in _COMPANIES.items():
        if re.search(rf"\b{needle}", lowered):
            return name
    return ""


def _mtime_date(path: Path) -> str:
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
